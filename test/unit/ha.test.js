'use strict';
const assert = require('node:assert/strict');
const ha = require('../../src/core/ha');
const { parseHubConfig } = require('../../src/core/hub/config');
const { homeAssistant } = require('../../src/core/devices/homeassistant');
const { until } = require('../helpers/wait');

/**
 * The configuration keys Home Assistant's MQTT integration accepts, per component: the voluptuous schemas in
 * home-assistant/core, homeassistant/components/mqtt/ — schemas.py (MQTT_ENTITY_COMMON_SCHEMA,
 * MQTT_AVAILABILITY_SINGLE_SCHEMA, MQTT_ENTITY_DEVICE_INFO_SCHEMA, MQTT_ORIGIN_INFO_SCHEMA), config.py
 * (MQTT_RO_SCHEMA, MQTT_RW_SCHEMA), sensor.py, binary_sensor.py, light/schema.py + light/schema_json.py and
 * lock.py; and the full names in abbreviations.py. Only names are listed, as the documentation gives them.
 */
const COMMON = [
    'name',
    'unique_id',
    'device',
    'origin',
    'availability_topic',
    'payload_available',
    'payload_not_available',
    'availability_template',
    'availability_mode',
    'icon',
    'entity_category',
    'enabled_by_default',
    'encoding',
    'json_attributes_topic',
    'json_attributes_template',
    'qos',
    'state_topic',
    'value_template',
];
const RW = ['command_topic', 'retain'];
const HA_KEYS = {
    sensor: [
        ...COMMON,
        'device_class',
        'unit_of_measurement',
        'state_class',
        'expire_after',
        'force_update',
        'suggested_display_precision',
        'last_reset_value_template',
        'options',
    ],
    binary_sensor: [
        ...COMMON,
        'device_class',
        'expire_after',
        'force_update',
        'off_delay',
        'payload_on',
        'payload_off',
    ],
    light: [
        ...COMMON,
        ...RW,
        'schema',
        'brightness',
        'brightness_scale',
        'supported_color_modes',
        'effect',
        'effect_list',
        'flash',
        'flash_time_long',
        'flash_time_short',
        'transition',
        'white_scale',
        'optimistic',
        'min_kelvin',
        'max_kelvin',
        'color_temp_kelvin',
    ],
    lock: [
        ...COMMON,
        ...RW,
        'code_format',
        'command_template',
        'optimistic',
        'payload_lock',
        'payload_unlock',
        'payload_open',
        'payload_reset',
        'state_jammed',
        'state_locked',
        'state_locking',
        'state_open',
        'state_opening',
        'state_unlocked',
        'state_unlocking',
    ],
};
const DEVICE_KEYS = [
    'identifiers',
    'connections',
    'configuration_url',
    'manufacturer',
    'model',
    'model_id',
    'name',
    'serial_number',
    'suggested_area',
    'sw_version',
    'hw_version',
    'via_device',
];
const ORIGIN_KEYS = ['name', 'sw_version', 'support_url'];
// Home Assistant's device classes for the ones used here (sensor/const.py, binary_sensor/__init__.py).
const SENSOR_CLASSES = ['temperature', 'humidity', 'illuminance', 'battery'];
const BINARY_CLASSES = ['motion', 'door', 'problem'];

const INST = {
    discoveryPrefix: 'homeassistant',
    root: 'sh/$sensorhub/ha',
    availabilityTopic: 'sh/$sensorhub/instances/client-1',
    instanceId: 'client-1',
    deviceName: 'Sensor Hub test',
    version: '0.1.0',
};

/** Results whose union type the assertions narrow. */
const any = (v) => /** @type {any} */ (v);

/** A config as Home Assistant gets it, for reading its keys. */
const cfg = (spec) => /** @type {any} */ (ha.discoveryConfig(INST, spec));

const SPECS = [
    ha.sensorSpec('s.1', 'Kitchen', 'temperature', '°C'),
    ha.sensorSpec('s2', 'Hall', 'humidity', '%'),
    ha.sensorSpec('s3', 'Lux', 'illuminance', 'lx'),
    ha.sensorSpec('s4', 'Battery', 'battery', '%'),
    ha.sensorSpec('s5', 'Thing', 'generic', ''),
    ha.sensorSpec('s6', 'Motion', 'motion', ''),
    ha.sensorSpec('s7', 'Door', 'contact', ''),
    ha.lightSpec('l1', 'Light'),
    ha.lockSpec('k1', 'Front door', true),
    ha.lockSpec('k2', 'Shed', false),
    ha.thresholdSpec('t1', 'Too warm'),
];

describe('core/ha', function () {
    it('emits only keys Home Assistant knows, for every entity', function () {
        for (const spec of SPECS) {
            const config = cfg(spec);
            const allowed = new Set(HA_KEYS[spec.component]);
            for (const key of Object.keys(config)) assert.ok(allowed.has(key), `${spec.component}: ${key}`);
            for (const key of Object.keys(config.device)) assert.ok(DEVICE_KEYS.includes(key), `device: ${key}`);
            for (const key of Object.keys(config.origin)) assert.ok(ORIGIN_KEYS.includes(key), `origin: ${key}`);
            const classes = spec.component === 'binary_sensor' ? BINARY_CLASSES : SENSOR_CLASSES;
            if (config.device_class !== undefined) assert.ok(classes.includes(config.device_class));
        }
    });

    it('names topics and ids from the node id, with only the characters Home Assistant allows', function () {
        const spec = ha.sensorSpec('a1.b/2+#', 'x', 'temperature', '°C');
        const topic = ha.discoveryTopic(INST, spec.component, spec.nodeId);
        assert.equal(topic, 'homeassistant/sensor/client-1/a1_b_2__/config');
        const config = cfg(spec);
        assert.equal(config.unique_id, 'sensorhub_a1_b_2__');
        assert.equal(config.state_topic, 'sh/$sensorhub/ha/a1_b_2__/state');
        assert.equal(config.availability_topic, INST.availabilityTopic);
        assert.equal(ha.stateTopicOfDiscovery(INST, topic), config.state_topic);
        assert.equal(ha.stateTopicOfDiscovery(INST, 'homeassistant/sensor/other/a/config'), undefined);
        // A rename changes the name only.
        const renamed = cfg(ha.sensorSpec('a1.b/2+#', 'y', 'temperature', '°C'));
        assert.equal(renamed.unique_id, config.unique_id);
    });

    it('gives each kind its class, unit and state class; a lock with a code asks for it', function () {
        const t = cfg(SPECS[0]);
        assert.deepEqual([t.device_class, t.unit_of_measurement, t.state_class], ['temperature', '°C', 'measurement']);
        assert.equal(cfg(SPECS[4]).device_class, undefined);
        assert.equal(cfg(SPECS[6]).device_class, 'door');
        const light = cfg(SPECS[7]);
        assert.equal(light.schema, 'json');
        assert.equal(light.brightness_scale, 100);
        assert.equal(light.command_topic, 'sh/$sensorhub/ha/l1/set');
        const withCode = cfg(SPECS[8]);
        assert.ok(withCode.code_format);
        assert.match(withCode.command_template, /code/);
        const noCode = cfg(SPECS[9]);
        assert.equal(noCode.code_format, undefined);
        assert.equal(noCode.command_template, undefined);
    });

    it('is read back by the devices node as Home Assistant would read it', function () {
        const state = homeAssistant.createState({});
        for (const spec of SPECS) {
            const topic = ha.discoveryTopic(INST, spec.component, spec.nodeId);
            // Home Assistant reads every origin; the devices node skips this package's own, so the stand-in gets another.
            const config = { ...cfg(spec), origin: { name: 'stand-in' } };
            const problems = homeAssistant.decode(topic, Buffer.from(JSON.stringify(config)), state);
            assert.deepEqual(problems, [], spec.nodeId);
        }
        const stateTopic = ha.stateTopic(INST, 's.1');
        assert.ok(homeAssistant.stateTopics(state).includes(stateTopic));
        const events = homeAssistant.decode(stateTopic, Buffer.from(ha.readingState('temperature', 21.5)), state);
        assert.equal(any(events.find((e) => e.type === 'reading')).value, 21.5);
        const door = homeAssistant.decode(
            ha.stateTopic(INST, 's7'),
            Buffer.from(ha.readingState('contact', true)),
            state,
        );
        assert.equal(any(door.find((e) => e.type === 'reading')).value, true, 'closed stays closed');
    });

    it('says states as Home Assistant expects them', function () {
        assert.equal(ha.readingState('motion', true), 'ON');
        assert.equal(ha.readingState('contact', true), 'OFF');
        assert.equal(ha.readingState('contact', false), 'ON');
        assert.equal(ha.readingState('humidity', 55.5), '55.5');
        assert.deepEqual(JSON.parse(ha.lightState('on', 40)), { state: 'ON', brightness: 40 });
        assert.deepEqual(JSON.parse(ha.lightState('off', 0)), { state: 'OFF' });
        assert.equal(ha.lockState('jammed'), 'JAMMED');
    });

    it('reads light commands, and refuses garbage with a code', function () {
        assert.deepEqual(ha.parseLightCommand('{"state":"ON","brightness":40}'), { action: 'on', brightness: 40 });
        assert.deepEqual(ha.parseLightCommand('{"state":"ON","transition":2}'), { action: 'on' });
        assert.deepEqual(ha.parseLightCommand('{"state":"OFF","brightness":40}'), { action: 'off' });
        for (const [payload, code] of [
            ['ON', 'not-json'],
            ['', 'not-json'],
            ['[1]', 'not-json'],
            ['{"state":"on"}', 'light-state'],
            ['{"brightness":3}', 'light-state'],
            ['{"state":"ON","brightness":101}', 'light-brightness'],
            ['{"state":"ON","brightness":"50"}', 'light-brightness'],
        ])
            assert.equal(any(ha.parseLightCommand(payload)).refused, code, payload);
    });

    it('reads lock commands with or without a code, never echoing a payload', function () {
        assert.deepEqual(ha.parseLockCommand('LOCK'), { action: 'lock' });
        assert.deepEqual(ha.parseLockCommand('UNLOCK'), { action: 'unlock' });
        assert.deepEqual(ha.parseLockCommand('{"action":"UNLOCK","code":"1234"}'), { action: 'unlock', code: '1234' });
        assert.deepEqual(ha.parseLockCommand('{"action":"UNLOCK","code":null}'), { action: 'unlock' });
        for (const [payload, code] of [
            ['OPEN', 'lock-action'],
            ['{"action":"UNLOCK","code":1234}', 'lock-code'],
            ['{"code":"1234"}', 'lock-action'],
            ['{not json', 'lock-action'],
        ]) {
            const r = any(ha.parseLockCommand(payload));
            assert.equal(r.refused, code, payload);
            assert.ok(!r.message.includes('1234'));
        }
    });

    it('checks the hub option and its discovery prefix', function () {
        const base = { backend: 'mqtt', broker: 'mqtt://127.0.0.1:1883' };
        assert.equal(any(parseHubConfig(base)).config.mqtt.haPrefix, undefined);
        assert.equal(any(parseHubConfig({ ...base, haAnnounce: true })).config.mqtt.haPrefix, 'homeassistant');
        assert.equal(any(parseHubConfig({ ...base, haAnnounce: true, haPrefix: ' ha ' })).config.mqtt.haPrefix, 'ha');
        assert.equal(
            any(parseHubConfig({ ...base, haAnnounce: false, haPrefix: '#' })).config.mqtt.haPrefix,
            undefined,
        );
        for (const bad of ['a/#', '/ha', 'ha/', '   ', 7]) {
            const parsed = /** @type {any} */ (parseHubConfig({ ...base, haAnnounce: true, haPrefix: bad }));
            assert.equal(parsed.problem.code, 'ha-prefix', String(bad));
        }
    });
});

/** A broker in memory: retained messages, and subscribers by exact topic or `+` levels. */
function fakeLink() {
    const retained = new Map();
    const subs = [];
    const link = {
        up: true,
        /** @type {unknown[]} */
        published: [],
        publish(topic, payload, retain) {
            if (!link.up) return false;
            link.published.push([topic, payload, retain]);
            if (retain) {
                if (payload === '') retained.delete(topic);
                else retained.set(topic, payload);
            }
            for (const s of subs) if (matches(s.filter, topic)) s.handler(topic, Buffer.from(payload), false);
            return true;
        },
        subscribe(filter, handler) {
            const s = { filter, handler };
            subs.push(s);
            for (const [t, p] of retained) if (matches(filter, t)) handler(t, Buffer.from(p), true);
            return () => subs.splice(subs.indexOf(s), 1);
        },
        retained,
        deliver(topic, payload, isRetained = false) {
            for (const s of subs) if (matches(s.filter, topic)) s.handler(topic, Buffer.from(payload), isRetained);
        },
    };
    return link;
}
function matches(filter, topic) {
    const f = filter.split('/');
    const t = topic.split('/');
    return f.length === t.length && f.every((l, i) => l === '+' || l === t[i]);
}

describe('core/ha announcer', function () {
    it('publishes retained configs and states, republishes them on a reconnect, and removes on removal', function () {
        const link = fakeLink();
        const a = new ha.HaAnnouncer(INST, link, { sweepDelayMs: 10 });
        const s = a.announce(ha.sensorSpec('s1', 'Kitchen', 'temperature', '°C'));
        s.state('21.5');
        const cfg = ha.discoveryTopic(INST, 'sensor', 's1');
        assert.ok(link.retained.has(cfg));
        assert.equal(link.retained.get(ha.stateTopic(INST, 's1')), '21.5');
        link.retained.clear();
        a.connected();
        assert.ok(link.retained.has(cfg));
        assert.equal(link.retained.get(ha.stateTopic(INST, 's1')), '21.5');
        s.remove();
        assert.equal(link.retained.size, 0);
        a.close();
    });

    it('keeps a released entity on the broker; after a connect, sweeps the configs no node announces', async function () {
        const link = fakeLink();
        const old = ha.discoveryTopic(INST, 'light', 'gone');
        link.retained.set(old, '{}');
        link.retained.set(ha.stateTopic(INST, 'gone'), '{"state":"ON"}');
        const other = 'homeassistant/light/another-instance/x/config';
        link.retained.set(other, '{}');
        const a = new ha.HaAnnouncer(INST, link, { sweepDelayMs: 5 });
        const kept = a.announce(ha.sensorSpec('kept', 'x', 'humidity', '%'));
        kept.release();
        assert.ok(link.retained.has(ha.discoveryTopic(INST, 'sensor', 'kept')), 'a redeploy keeps the entity');
        const live = a.announce(ha.sensorSpec('live', 'x', 'humidity', '%'));
        a.connected();
        await until(() => !link.retained.has(old));
        assert.ok(!link.retained.has(ha.stateTopic(INST, 'gone')));
        assert.ok(link.retained.has(other), "another instance's config stays");
        assert.ok(link.retained.has(ha.discoveryTopic(INST, 'sensor', 'live')));
        // Nothing announced it again after the connect, as after a deploy without it while the hub was down.
        assert.ok(!link.retained.has(ha.discoveryTopic(INST, 'sensor', 'kept')));
        live.release();
        a.close();
    });

    it('hands on commands, never retained ones, and none after release', function () {
        const link = fakeLink();
        const a = new ha.HaAnnouncer(INST, link, { sweepDelayMs: 5 });
        const got = [];
        const e = a.announce(ha.lightSpec('l1', 'Light'), (p) => got.push(p));
        const cmd = ha.commandTopic(INST, 'l1');
        link.deliver(cmd, '{"state":"ON"}');
        link.deliver(cmd, '{"state":"OFF"}', true);
        e.release();
        link.deliver(cmd, '{"state":"ON"}');
        assert.deepEqual(got, ['{"state":"ON"}']);
        a.close();
    });

    it('warns once per burst and counts every one', function () {
        let now = 0;
        const w = new ha.BurstWarning(1000, () => now);
        const said = [];
        for (const t of [0, 10, 500, 1400, 3000, 3001]) {
            now = t;
            said.push(w.hit());
        }
        assert.deepEqual(said, [true, false, false, false, true, false]);
        assert.equal(w.total, 6);
    });
});
