'use strict';
const assert = require('node:assert/strict');
const fc = require('fast-check');
const devices = require('../../src/core/devices');
const { SENSOR_KINDS } = require('../../src/core/shared/reading');
const { feed } = require('../helpers/devices');

/** @type {Array<[import('../../src/core/devices').DeviceProfile<any, any>, unknown]>} */
const PROFILES = [
    [devices.zigbee2mqtt, {}],
    [devices.tasmota, {}],
    [devices.esphome, {}],
    [devices.shelly, {}],
    [devices.homeAssistant, {}],
    [devices.generic, { pattern: '+/+/state', path: 'v', kind: 'temperature' }],
];

// Topics near each profile's own, so the fuzzing reaches the parsers rather than the "not mine" exits.
const topic = fc.oneof(
    fc.string(),
    fc
        .tuple(
            fc.constantFrom('zigbee2mqtt', 'tele', 'stat', 'homeassistant', 'node', 'shelly1', 'sensorhub', 'a'),
            fc.array(
                fc.constantFrom('x', 'sensor', 'binary_sensor', 'light', 'lock', 'switch', 'device', 'bridge', '+'),
                {
                    maxLength: 3,
                },
            ),
            fc.constantFrom(
                'SENSOR',
                'LWT',
                'STATE',
                'RESULT',
                'POWER',
                'state',
                'status',
                'config',
                'availability',
                'online',
                'rpc',
                'events/rpc',
                'set',
            ),
        )
        .map(([a, mid, b]) => [a, ...mid, b].join('/')),
);
const json = fc.jsonValue().map((v) => JSON.stringify(v));
const payload = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    json.map((s) => Buffer.from(s)),
);

describe('core/devices properties', function () {
    it('decode never throws, on any topic and any bytes, and gives only well-formed events', function () {
        fc.assert(
            fc.property(fc.array(fc.tuple(topic, payload), { maxLength: 8 }), (messages) => {
                for (const [profile, config] of PROFILES) {
                    const state = profile.createState(config);
                    for (const [t, p] of messages)
                        for (const e of profile.decode(t, p, state)) {
                            assert.ok(['reading', 'availability', 'light', 'lock', 'problem'].includes(e.type), e.type);
                            if (e.type === 'reading') {
                                assert.ok(SENSOR_KINDS.includes(e.kind));
                                assert.ok(
                                    e.failure !== undefined || typeof e.value === 'boolean' || Number.isFinite(e.value),
                                );
                            }
                            if (e.type === 'problem') assert.equal(e.topic, t);
                            if (e.type === 'light' && e.brightness !== undefined)
                                assert.ok(e.brightness >= 0 && e.brightness <= 100);
                        }
                }
            }),
            { numRuns: 300 },
        );
    });

    it('a discovered config whose fields are anything never throws either', function () {
        fc.assert(
            fc.property(
                fc.dictionary(
                    fc.constantFrom(
                        'stat_t',
                        'cmd_t',
                        '~',
                        'val_tpl',
                        'dev',
                        'avty',
                        'cmps',
                        'dev_cla',
                        'unit_of_meas',
                        'p',
                        'schema',
                    ),
                    fc.jsonValue(),
                ),
                (config) => {
                    const state = devices.homeAssistant.createState({});
                    devices.homeAssistant.decode(
                        'homeassistant/sensor/a/b/config',
                        Buffer.from(JSON.stringify(config)),
                        state,
                    );
                    devices.homeAssistant.decode(
                        'homeassistant/device/a/config',
                        Buffer.from(JSON.stringify(config)),
                        state,
                    );
                    for (const t of devices.homeAssistant.stateTopics(state))
                        devices.homeAssistant.decode(t, Buffer.from('1'), state);
                },
            ),
            { numRuns: 300 },
        );
    });

    it("takes Object's own names (constructor, __proto__, toString) from a device as plain unknown text", function () {
        const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
        for (const name of names) {
            const z2m = devices.zigbee2mqtt;
            const zs = z2m.createState({});
            assert.equal(feed(z2m, zs, 'zigbee2mqtt/l', `{"lock_state":"${name}"}`)[0].code, 'device.state');
            const es = devices.esphome.createState({});
            assert.equal(feed(devices.esphome, es, 'n/lock/d/state', name)[0].code, 'device.state');
            const ss = devices.shelly.createState({});
            assert.deepEqual(
                feed(devices.shelly, ss, 'x/events/rpc', `{"method":"NotifyStatus","params":{"${name}:0":{"tC":1}}}`),
                [],
            );
            const ha = devices.homeAssistant;
            const hs = ha.createState({});
            feed(ha, hs, 'homeassistant/sensor/a/b/config', `{"stat_t":"a/b","dev_cla":"${name}","${name}":"x"}`);
            assert.deepEqual(
                feed(ha, hs, 'a/b', '5').map((e) => e.kind),
                ['generic'],
            );
            feed(ha, hs, 'homeassistant/lock/a/c/config', '{"stat_t":"a/c"}');
            assert.equal(feed(ha, hs, 'a/c', name)[0].code, 'device.state');
        }
    });

    it('brightness survives the round trip through each scale within one step', function () {
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 100 }), fc.constantFrom(254, 255), (pct, max) => {
                const back = devices.toPercent(devices.fromPercent(pct, max), max);
                assert.ok(Math.abs(back - pct) <= 1);
            }),
        );
    });
});
