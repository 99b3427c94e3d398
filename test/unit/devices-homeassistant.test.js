'use strict';
const assert = require('node:assert/strict');
const { homeAssistant } = require('../../src/core/devices');
const ha = require('../../src/core/ha');
const { compileTemplate, applyTemplate } = require('../../src/core/devices/template');
const { feed, only, readingsOf } = require('../helpers/devices');

// Configs as Home Assistant's MQTT integration documentation shows them (discovery examples, sensor, binary
// sensor, light, lock pages, the abbreviation list, device-based discovery of 2024.11).
describe('core/devices homeassistant discovery', function () {
    let state;
    beforeEach(function () {
        state = homeAssistant.createState({});
    });

    it('subscribes to its discovery prefix; the state topics it learns are listed for the adapter', function () {
        assert.deepEqual(homeAssistant.subscriptions({}), ['homeassistant/#']);
        assert.deepEqual(homeAssistant.subscriptions({ prefix: 'ha' }), ['ha/#']);
        feed(homeAssistant, state, 'homeassistant/sensor/garden/temperature/config', {
            device_class: 'temperature',
            state_topic: 'garden/sensor/temperature/state',
            availability_topic: 'garden/status',
        });
        assert.deepEqual(homeAssistant.stateTopics(state), ['garden/sensor/temperature/state', 'garden/status']);
    });

    it('expands abbreviated keys and the ~ base topic, then reads the state with its value template', function () {
        assert.deepEqual(
            feed(homeAssistant, state, 'homeassistant/sensor/sensorBedroomT/config', {
                '~': 'homeassistant/sensor/sensorBedroom',
                name: 'Temperature',
                uniq_id: 'bedroom_temp',
                dev_cla: 'temperature',
                unit_of_meas: '°C',
                stat_t: '~/state',
                val_tpl: '{{ value_json.temperature}}',
                dev: { ids: 'bedroom_sensor', name: 'Bedroom' },
            }),
            [],
        );
        feed(homeAssistant, state, 'homeassistant/sensor/sensorBedroomH/config', {
            '~': 'homeassistant/sensor/sensorBedroom',
            dev_cla: 'humidity',
            unit_of_meas: '%',
            stat_t: '~/state',
            val_tpl: "{{ value_json['humidity'] | float | round(1) }}",
            dev: { ids: ['bedroom_sensor'] },
        });
        const events = feed(homeAssistant, state, 'homeassistant/sensor/sensorBedroom/state', {
            temperature: 23.2,
            humidity: '43.71',
        });
        assert.deepEqual(readingsOf(events), [
            'bedroom_sensor/sensorBedroomT temperature °C 23.2',
            'bedroom_sensor/sensorBedroomH humidity % 43.7',
        ]);
    });

    it('skips the entities this package announces itself, abbreviated or not, and drops one that becomes ours', function () {
        const inst = {
            discoveryPrefix: 'homeassistant',
            root: 'sh/$sensorhub/ha',
            availabilityTopic: 'sh/$sensorhub/instances/client-1',
            instanceId: 'client-1',
            deviceName: 'Sensor Hub',
            version: '0.1.0',
        };
        const own = ha.discoveryConfig(inst, ha.sensorSpec('s1', 'Kitchen', 'temperature', '°C'));
        const topic = ha.discoveryTopic(inst, 'sensor', 's1');
        assert.deepEqual(feed(homeAssistant, state, topic, own), []);
        const { origin, ...rest } = own;
        assert.deepEqual(feed(homeAssistant, state, topic.replace('s1', 's2'), { ...rest, o: origin }), []);
        assert.deepEqual(homeAssistant.stateTopics(state), [], 'nothing of ours is read');
        // The same entity from anyone else is read; announced again as ours, it is dropped.
        feed(homeAssistant, state, topic, { ...own, origin: { name: 'Zigbee2MQTT' } });
        assert.deepEqual(homeAssistant.stateTopics(state), [own.state_topic, own.availability_topic]);
        feed(homeAssistant, state, topic, own);
        assert.deepEqual(homeAssistant.stateTopics(state), []);
    });

    it('deletes an entity on an empty retained config', function () {
        const topic = 'homeassistant/binary_sensor/garden/motion/config';
        feed(homeAssistant, state, topic, { dev_cla: 'motion', stat_t: 'garden/motion' });
        assert.equal(readingsOf(feed(homeAssistant, state, 'garden/motion', 'ON')).length, 1);
        assert.deepEqual(feed(homeAssistant, state, topic, ''), []);
        assert.deepEqual(feed(homeAssistant, state, 'garden/motion', 'ON'), []);
        assert.deepEqual(homeAssistant.stateTopics(state), []);
    });

    it('maps device classes to kinds: motion, a door (on = open) to contact (true = closed), illuminance, battery', function () {
        feed(homeAssistant, state, 'homeassistant/binary_sensor/hall/door/config', {
            dev_cla: 'door',
            stat_t: 'hall/door',
            pl_on: 'open',
            pl_off: 'closed',
        });
        feed(homeAssistant, state, 'homeassistant/sensor/hall/lux/config', {
            dev_cla: 'illuminance',
            unit_of_meas: 'lx',
            stat_t: 'hall/lux',
        });
        feed(homeAssistant, state, 'homeassistant/sensor/hall/bat/config', {
            dev_cla: 'battery',
            unit_of_meas: '%',
            stat_t: 'hall/bat',
        });
        feed(homeAssistant, state, 'homeassistant/sensor/hall/energy/config', {
            dev_cla: 'energy',
            unit_of_meas: 'kWh',
            stat_t: 'hall/energy',
        });
        const events = [
            ...feed(homeAssistant, state, 'hall/door', 'open'),
            ...feed(homeAssistant, state, 'hall/door', 'closed'),
            ...feed(homeAssistant, state, 'hall/lux', '512'),
            ...feed(homeAssistant, state, 'hall/bat', '88'),
            ...feed(homeAssistant, state, 'hall/energy', '1.25'),
            ...feed(homeAssistant, state, 'hall/energy', 'unavailable'),
        ];
        assert.deepEqual(readingsOf(events), [
            'hall/door contact  false',
            'hall/door contact  true',
            'hall/lux illuminance lx 512',
            'hall/bat battery % 88',
            'hall/energy generic kWh 1.25',
            'hall/energy generic failed device.no-value',
        ]);
    });

    it('converts a °F temperature sensor to °C', function () {
        feed(homeAssistant, state, 'homeassistant/sensor/porch/t/config', {
            dev_cla: 'temperature',
            unit_of_meas: '°F',
            stat_t: 'porch/t',
        });
        assert.deepEqual(readingsOf(feed(homeAssistant, state, 'porch/t', '70.5')), ['porch/t temperature °C 21.39']);
    });

    it('locks: commands LOCK/UNLOCK by default, states LOCKED/UNLOCKED (and JAMMED)', function () {
        feed(homeAssistant, state, 'homeassistant/lock/front/door/config', {
            stat_t: 'front/door/state',
            cmd_t: 'front/door/set',
            dev: { ids: 'front-lock' },
        });
        assert.deepEqual(homeAssistant.encodeLock('front-lock', 'lock', state), [
            { topic: 'front/door/set', payload: 'LOCK' },
        ]);
        assert.deepEqual(feed(homeAssistant, state, 'front/door/state', 'LOCKED'), [
            { type: 'lock', deviceId: 'front-lock', state: 'locked' },
        ]);
        assert.deepEqual(feed(homeAssistant, state, 'front/door/state', 'JAMMED'), [
            { type: 'lock', deviceId: 'front-lock', state: 'jammed' },
        ]);
        assert.equal(feed(homeAssistant, state, 'front/door/state', 'LOCK')[0].code, 'device.state');
        feed(homeAssistant, state, 'front/door/state', 'LOCKED');
        homeAssistant.encodeLock('front-lock', 'lock', state);
        assert.equal(feed(homeAssistant, state, 'front/door/state', 'LOCKED').length, 1, 'the answer to a command');
        feed(homeAssistant, state, 'homeassistant/lock/back/door/config', {
            stat_t: 'back/state',
            cmd_t: 'back/set',
            pl_lock: 'close',
            pl_unlk: 'open',
            stat_locked: 'closed',
            dev: { ids: 'back-lock' },
        });
        assert.equal(homeAssistant.encodeLock('back-lock', 'unlock', state)[0].payload, 'open');
        assert.deepEqual(only(feed(homeAssistant, state, 'back/state', 'closed'), 'lock')[0].state, 'locked');
        assert.deepEqual(homeAssistant.encodeLock('nobody', 'lock', state), []);
    });

    it('reads a JSON-schema light (brightness scale 255) and commands it in JSON', function () {
        feed(homeAssistant, state, 'homeassistant/light/kitchen/ceiling/config', {
            schema: 'json',
            stat_t: 'kitchen/ceiling',
            cmd_t: 'kitchen/ceiling/set',
            brightness: true,
            dev: { ids: 'ceiling' },
        });
        assert.deepEqual(feed(homeAssistant, state, 'kitchen/ceiling', { state: 'ON', brightness: 255 }), [
            { type: 'light', deviceId: 'ceiling', state: 'on', brightness: 100 },
        ]);
        assert.deepEqual(homeAssistant.encodeLight('ceiling', { state: 'on', brightness: 20 }, state), [
            { topic: 'kitchen/ceiling/set', payload: '{"state":"ON","brightness":51}' },
        ]);
    });

    it('reads a default-schema light (ON/OFF, brightness on its own topic) and a switch, commands them with their payloads', function () {
        feed(homeAssistant, state, 'homeassistant/light/hall/lamp/config', {
            '~': 'hall/lamp',
            stat_t: '~/status',
            cmd_t: '~/switch',
            bri_stat_t: '~/brightness',
            bri_scl: 100,
            pl_on: 'on',
            pl_off: 'off',
            dev: { ids: 'lamp' },
        });
        assert.deepEqual(feed(homeAssistant, state, 'hall/lamp/status', 'on'), [
            { type: 'light', deviceId: 'lamp', state: 'on' },
        ]);
        assert.deepEqual(feed(homeAssistant, state, 'hall/lamp/brightness', '40'), [
            { type: 'light', deviceId: 'lamp', state: 'on', brightness: 40 },
        ]);
        assert.deepEqual(homeAssistant.encodeLight('lamp', { state: 'off' }, state), [
            { topic: 'hall/lamp/switch', payload: 'off' },
        ]);
        feed(homeAssistant, state, 'homeassistant/switch/relay/config', {
            stat_t: 'relay/state',
            cmd_t: 'relay/set',
            dev: { ids: 'relay' },
        });
        assert.deepEqual(feed(homeAssistant, state, 'relay/state', 'OFF'), [
            { type: 'light', deviceId: 'relay', state: 'off' },
        ]);
        assert.deepEqual(homeAssistant.encodeLight('relay', { state: 'on', brightness: 10 }, state), [
            { topic: 'relay/set', payload: 'ON' },
        ]);
        assert.equal(feed(homeAssistant, state, 'relay/state', 'MAYBE')[0].code, 'device.state');
    });

    it('reads availability topics with their payloads, one event per device', function () {
        const dev = { ids: 'node1' };
        feed(homeAssistant, state, 'homeassistant/sensor/node1/a/config', {
            stat_t: 'node1/a',
            avty: [{ t: 'node1/status' }],
            pl_avail: 'up',
            pl_not_avail: 'down',
            dev,
        });
        feed(homeAssistant, state, 'homeassistant/sensor/node1/b/config', {
            stat_t: 'node1/b',
            avty_t: 'node1/status',
            pl_avail: 'up',
            pl_not_avail: 'down',
            dev,
        });
        assert.deepEqual(feed(homeAssistant, state, 'node1/status', 'down'), [
            { type: 'availability', deviceId: 'node1', online: false },
        ]);
    });

    it('reads one-message device discovery (homeassistant/device/<id>/config with cmps)', function () {
        feed(homeAssistant, state, 'homeassistant/device/0AFFD2/config', {
            dev: { ids: '0AFFD2', name: 'Climate' },
            o: { name: 'bla2mqtt' },
            '~': 'climate/0AFFD2',
            cmps: {
                t1: {
                    p: 'sensor',
                    dev_cla: 'temperature',
                    unit_of_meas: '°C',
                    val_tpl: '{{ value_json.temperature }}',
                    stat_t: '~/state',
                },
                h1: {
                    p: 'sensor',
                    dev_cla: 'humidity',
                    unit_of_meas: '%',
                    val_tpl: '{{ value_json.humidity }}',
                    stat_t: '~/state',
                },
                b1: { p: 'button', cmd_t: '~/button' },
            },
        });
        const events = feed(homeAssistant, state, 'climate/0AFFD2/state', { temperature: 20.5, humidity: 55 });
        assert.deepEqual(readingsOf(events), ['0AFFD2/t1 temperature °C 20.5', '0AFFD2/h1 humidity % 55']);
        feed(homeAssistant, state, 'homeassistant/device/0AFFD2/config', '');
        assert.deepEqual(feed(homeAssistant, state, 'climate/0AFFD2/state', { temperature: 1 }), []);
    });

    it('refuses a template it does not evaluate, and a broken config, with a code; never evaluates code', function () {
        const [p] = feed(homeAssistant, state, 'homeassistant/sensor/x/y/config', {
            stat_t: 'x/y',
            val_tpl: "{{ states('sensor.other') }}",
        });
        assert.equal(p.code, 'device.template');
        assert.equal(p.topic, 'homeassistant/sensor/x/y/config');
        assert.deepEqual(feed(homeAssistant, state, 'x/y', '1'), []);
        assert.equal(feed(homeAssistant, state, 'homeassistant/sensor/x/z/config', '{')[0].code, 'device.not-json');
        assert.equal(
            feed(homeAssistant, state, 'homeassistant/sensor/x/z/config', { name: 'no topic' })[0].code,
            'device.config',
        );
        assert.equal(feed(homeAssistant, state, 'homeassistant/device/d/config', { dev: {} })[0].code, 'device.config');
    });

    describe('value templates', function () {
        it('compiles the simple forms', function () {
            const run = (t, text) =>
                applyTemplate(compileTemplate(t) ?? assert.fail(`not compiled: ${t}`), text, JSON.parse(text));
            assert.equal(run('{{ value }}', '"21"'), '"21"');
            assert.equal(run('{{ value_json.a.b }}', '{"a":{"b":3}}'), 3);
            assert.equal(run("{{ value_json['a b'] }}", '{"a b":4}'), 4);
            assert.equal(run('{{ value_json["t"] | float }}', '{"t":"4.5"}'), 4.5);
            assert.equal(run('{{ value_json.list[1] | int }}', '{"list":[1,7.9]}'), 7);
            assert.equal(run('{{ value_json.t | round(2) }}', '{"t":1.23456}'), 1.23);
            assert.equal(run('{{ value_json.t | round }}', '{"t":1.5}'), 2);
            assert.equal(run('{{ value_json.missing }}', '{"t":1}'), undefined);
        });

        it('refuses everything else', function () {
            for (const t of [
                '{{ value_json.t * 2 }}',
                '{% if value %}1{% endif %}',
                '{{ value_json.t | default(0) }}',
                '{{ value_json.__class__ }}x',
                '{{ value_json }}',
                '{{ now() }}',
                'value_json.t',
                '{{ value_json.t | round(a) }}',
            ])
                assert.equal(compileTemplate(t), undefined, t);
        });
    });
});
