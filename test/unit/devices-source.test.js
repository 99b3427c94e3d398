'use strict';
const assert = require('node:assert/strict');
const { DeviceSource, MAX_REMEMBERED_SENSORS, problemLog, parseDeviceNodeConfig } = require('../../src/core/devices');
const { FakeClock } = require('../helpers/fake-clock');
const { fieldsOf } = require('../helpers/types');
const { recorder } = require('../helpers/devices');

function config(extra = {}) {
    const parsed = parseDeviceNodeConfig({ profile: 'zigbee2mqtt', location: 'hall', ...extra });
    assert.ok('config' in parsed, fieldsOf(parsed).error);
    return parsed.config;
}

/** A source whose listener records everything it is told, by kind. */
function source(extra = {}, clock = new FakeClock()) {
    const { heard, listener } = recorder();
    const s = new DeviceSource(config(extra), listener, clock);
    const feed = (topic, payload) =>
        s.handle(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)));
    return { s, heard, feed, clock };
}

describe('core/devices config of the devices node', function () {
    it('defaults to Zigbee2MQTT, every device, not published', function () {
        const c = config({ profile: undefined, location: undefined });
        assert.equal(c.profile, 'zigbee2mqtt');
        assert.deepEqual(c.devices, []);
        assert.equal(c.publish, false);
        assert.equal(c.location, '');
    });

    it('reads the device list comma- or newline-separated, each once', function () {
        assert.deepEqual(config({ devices: 'a, b\nc,,a' }).devices, ['a', 'b', 'c']);
    });

    it('refuses an unknown profile, a base topic with wildcards, a bad generic pattern, kind or publish flag', function () {
        /** @type {Array<[Record<string, unknown>, string, string]>} */
        const bad = [
            [{ profile: 'x10' }, 'choice', 'profile'],
            [{ baseTopic: 'z2m/#' }, 'prefix', 'baseTopic'],
            [{ baseTopic: 'z2m/' }, 'prefix', 'baseTopic'],
            [{ profile: 'generic', pattern: '' }, 'pattern-empty', 'pattern'],
            [{ profile: 'generic', pattern: 'a/b#' }, 'pattern-hash', 'pattern'],
            [{ kind: 'pressure' }, 'choice', 'kind'],
            [{ publish: 'yes' }, 'checkbox', 'publish'],
            [{ devices: 42 }, 'text', 'devices'],
            [{ location: 'x'.repeat(129) }, 'too-long', 'location'],
        ];
        for (const [raw, code, field] of bad) {
            const parsed = parseDeviceNodeConfig({ profile: 'zigbee2mqtt', ...raw });
            assert.ok('error' in parsed, JSON.stringify(raw));
            assert.equal(parsed.problem.code, code, JSON.stringify(raw));
            if (field !== undefined && parsed.problem.params.field !== undefined)
                assert.equal(parsed.problem.params.field, field);
        }
    });
});

describe('core/devices source (one devices node)', function () {
    it('sends each quantity as a reading in the contract, counting seq per sensor', function () {
        const { heard, feed, s } = source();
        feed('zigbee2mqtt/climate', { temperature: 20.5, humidity: 40 });
        feed('zigbee2mqtt/climate', { temperature: 20.7 });
        assert.equal(heard.readings.length, 3);
        const t = heard.readings.filter((m) => m.sensor.id === 'climate/temperature');
        assert.deepEqual(
            t.map((m) => [m.topic, m.payload, m.reading.seq, m.reading.status]),
            [
                ['temperature_update', 20.5, 1, 'ok'],
                ['temperature_update', 20.7, 2, 'ok'],
            ],
        );
        assert.deepEqual(t[0].sensor, { id: 'climate/temperature', kind: 'temperature', location: 'hall', unit: '°C' });
        assert.equal(t[0].deviceId, 'climate');
        assert.equal(s.stats().devices, 1);
        assert.equal(s.stats().sensors, 2);
    });

    it('gives every message its own sensor object (a flow that changes one cannot change the next)', function () {
        const { heard, feed } = source();
        feed('zigbee2mqtt/a', { temperature: 1 });
        feed('zigbee2mqtt/a', { temperature: 2 });
        // @ts-expect-error the sensor is read-only to core, but a flow's function node may still change it
        heard.readings[0].sensor.location = 'changed';
        assert.equal(heard.readings[1].sensor.location, 'hall');
    });

    it('reads only the listed devices (and their sub-devices) when a list is given', function () {
        const { heard, feed } = source({ devices: 'kitchen' });
        feed('zigbee2mqtt/kitchen', { temperature: 1 });
        feed('zigbee2mqtt/cellar', { temperature: 2 });
        feed('zigbee2mqtt/kitchen/availability', 'offline');
        feed('zigbee2mqtt/cellar/availability', 'offline');
        assert.deepEqual(
            heard.readings.map((m) => m.deviceId),
            ['kitchen'],
        );
        assert.deepEqual(
            heard.events.map((e) => e.deviceId),
            ['kitchen'],
        );
    });

    it('offline: one event, each known sensor one failed reading with status offline; repeats are not new', function () {
        const { heard, feed } = source();
        feed('zigbee2mqtt/door', { contact: false, battery: 90 });
        feed('zigbee2mqtt/door/availability', { state: 'offline' });
        feed('zigbee2mqtt/door/availability', { state: 'offline' });
        assert.deepEqual(
            heard.events.map((e) => e.topic),
            ['device_offline'],
        );
        assert.equal(heard.failures.length, 2);
        for (const { m, why } of heard.failures) {
            assert.equal(m.reading.status, 'offline');
            assert.equal('payload' in m, false, 'no value made up');
            assert.equal(why.code, 'read.offline');
        }
        feed('zigbee2mqtt/door/availability', { state: 'online' });
        assert.deepEqual(
            heard.events.map((e) => e.topic),
            ['device_offline', 'device_online'],
        );
    });

    it("a device's own 'no value' is a failed reading, said once until a value comes back", function () {
        const { heard, feed } = source({ profile: 'esphome', baseTopic: '' });
        feed('node1/sensor/temperature/state', 'nan');
        feed('node1/sensor/temperature/state', 'nan');
        assert.equal(heard.failures.length, 1);
        assert.equal(heard.failures[0].m.reading.status, 'error');
        assert.equal(heard.failures[0].why.code, 'device.no-value');
        feed('node1/sensor/temperature/state', '21.5');
        feed('node1/sensor/temperature/state', 'nan');
        assert.equal(heard.readings.length, 1);
        assert.equal(heard.failures.length, 2);
        assert.equal(heard.readings[0].reading.seq, 3, 'failed reads count in seq');
    });

    it('garbage is a counted problem naming the topic, reported at a bounded rate, never a throw', async function () {
        const clock = new FakeClock();
        const { heard, feed, s } = source({}, clock);
        for (let i = 0; i < 50; i++) feed('zigbee2mqtt/broken', `{${i}`);
        feed('zigbee2mqtt/other', '[1,2]');
        assert.equal(s.stats().problems, 51);
        assert.deepEqual(s.stats().problemsByCode, { 'device.not-json': 50, 'device.not-object': 1 });
        assert.equal(heard.problems.length, 2, 'the first of each code at once');
        assert.equal(heard.problems[0].problem.topic, 'zigbee2mqtt/broken');
        await clock.advance(10_000);
        assert.equal(heard.problems.length, 3, 'then one summary per window');
        assert.equal(heard.problems[2].count, 49);
        assert.equal(heard.problems[2].total, 50);
        await clock.advance(10_000);
        assert.equal(heard.problems.length, 3, 'nothing new, nothing said');
        s.close();
    });

    it('light and lock feedback become light_state and lock_feedback (msg.feedback for the door lock node)', function () {
        const { heard, feed } = source();
        feed('zigbee2mqtt/bulb', { state: 'ON', brightness: 254 });
        feed('zigbee2mqtt/lock', { state: 'LOCK', lock_state: 'locked' });
        assert.deepEqual(heard.events, [
            { topic: 'light_state', deviceId: 'bulb', payload: { state: 'on', brightness: 100 } },
            { topic: 'lock_feedback', deviceId: 'lock', feedback: 'locked', payload: { state: 'locked' } },
        ]);
    });

    it('Home Assistant: subscriptions grow with the discovered state topics and shrink when a config is deleted', function () {
        const { feed, s, heard } = source({ profile: 'homeassistant' });
        assert.deepEqual(s.subscriptions(), ['homeassistant/#']);
        feed('homeassistant/binary_sensor/hall/motion/config', {
            stat_t: 'hall/motion',
            dev_cla: 'motion',
            dev: { ids: 'hall-pir' },
        });
        assert.deepEqual(s.subscriptions(), ['homeassistant/#', 'hall/motion']);
        feed('hall/motion', 'ON');
        assert.equal(heard.readings[0].payload, true);
        assert.equal(heard.readings[0].sensor.kind, 'motion');
        assert.equal(s.discovered().length, 1);
        s.handle('homeassistant/binary_sensor/hall/motion/config', Buffer.alloc(0));
        assert.deepEqual(s.subscriptions(), ['homeassistant/#']);
        assert.equal(s.discovered().length, 0);
    });

    it('does not subscribe a state topic that a wildcard of its own already covers (the broker would send it twice)', function () {
        const { feed, s } = source({ profile: 'homeassistant' });
        feed('homeassistant/sensor/bedroomT/config', {
            dev_cla: 'temperature',
            stat_t: 'homeassistant/sensor/bedroom/state',
            unit_of_meas: '°C',
        });
        assert.deepEqual(s.subscriptions(), ['homeassistant/#']);
    });

    it('lists what it has seen for the editor: devices, availability, sensors and their last values', function () {
        const { feed, s, clock } = source();
        feed('zigbee2mqtt/climate', { temperature: 20.5 });
        const at = clock.now();
        feed('zigbee2mqtt/climate/availability', 'online');
        const [d] = s.listing();
        assert.equal(d.id, 'climate');
        assert.equal(d.online, true);
        assert.equal(d.topic, 'zigbee2mqtt/climate', 'the topic its readings come on, not its availability');
        assert.deepEqual(d.sensors, [
            { id: 'climate/temperature', kind: 'temperature', unit: '°C', status: 'ok', value: 20.5, ts: at },
        ]);
    });

    it('lists at most as many devices and entities as asked, and counts them all', function () {
        const { feed, s } = source({ profile: 'homeassistant' });
        for (const room of ['hall', 'kitchen', 'attic'])
            feed(`homeassistant/sensor/${room}T/config`, {
                stat_t: `home/${room}/temperature`,
                dev_cla: 'temperature',
                unit_of_meas: '°C',
            });
        for (const room of ['hall', 'kitchen', 'attic']) feed(`home/${room}/temperature`, '21');
        assert.equal(s.listing().length, 3);
        assert.equal(s.listing(2).length, 2);
        assert.equal(s.discovered().length, 3);
        assert.equal(s.discoveredCount, 3);
        const two = s.discovered(2);
        assert.equal(two.length, 2);
        assert.equal(two[0].topic, 'homeassistant/sensor/hallT/config');
        assert.equal(two[0].stateTopic, 'home/hall/temperature');
        assert.equal(two[0].unit, '°C');
        assert.deepEqual(
            s.listing(1).map((d) => [d.id, d.topic]),
            [['hallT', 'home/hall/temperature']],
        );
    });

    it('counts the messages it read and the commands the adapter sent', function () {
        const { feed, s } = source();
        feed('zigbee2mqtt/climate', { temperature: 20.5 });
        feed('zigbee2mqtt/climate', 'garbage');
        feed('zigbee2mqtt/other/availability', 'online');
        s.commandSent();
        assert.equal(s.stats().messages, 3);
        assert.equal(s.stats().commands, 1);
    });

    it('remembers at most MAX_REMEMBERED_SENSORS sensors; messages of further ones are counted, not read', function () {
        const { feed, s, heard } = source({ profile: 'generic', pattern: 'sensors/+/+', kind: 'generic' });
        for (let i = 0; i <= MAX_REMEMBERED_SENSORS; i++) feed(`sensors/d${i}/v`, '1');
        assert.equal(s.stats().sensors, MAX_REMEMBERED_SENSORS);
        assert.equal(s.stats().overLimit, 1);
        assert.equal(heard.readings.length, MAX_REMEMBERED_SENSORS);
        feed('sensors/d0/w', '2');
        assert.equal(s.stats().overLimit, 2, 'a new sensor of a known device too');
        feed('sensors/d0/v', '3');
        assert.equal(heard.readings.at(-1)?.payload, 3, 'known sensors are still read');
    });

    it('encodes commands through its profile', function () {
        const { s } = source({ profile: 'tasmota' });
        assert.deepEqual(s.light('plug', { state: 'on', brightness: 40 }), [
            { topic: 'cmnd/plug/POWER', payload: 'ON' },
            { topic: 'cmnd/plug/Dimmer', payload: '40' },
        ]);
        assert.deepEqual(s.lock('plug', 'lock'), []);
    });
});

describe('core/devices problem log', function () {
    it('stops reporting once stopped', async function () {
        const clock = new FakeClock();
        const said = [];
        const log = problemLog((r) => said.push(r), 1000, clock);
        /** @type {import('../../src/core/devices').DeviceProblem} */
        const p = { type: 'problem', code: 'device.value', topic: 't', detail: 'd', params: {}, message: 'm' };
        log.add(p.code, p);
        log.add(p.code, p);
        log.stop();
        log.add(p.code, p);
        await clock.advance(5000);
        assert.equal(said.length, 1);
        assert.equal(log.total, 2);
    });
});
