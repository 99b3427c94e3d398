'use strict';
const assert = require('node:assert/strict');
const { zigbee2mqtt } = require('../../src/core/devices');
const { feed, only, readingsOf } = require('../helpers/devices');

// Payloads as the Zigbee2MQTT documentation shows them (MQTT topics and messages, device pages, availability guide).
describe('core/devices zigbee2mqtt', function () {
    let state;
    beforeEach(function () {
        state = zigbee2mqtt.createState({});
    });

    it('subscribes under its base topic, the default or a configured one', function () {
        assert.deepEqual(zigbee2mqtt.subscriptions({}), ['zigbee2mqtt/#']);
        assert.deepEqual(zigbee2mqtt.subscriptions({ baseTopic: 'z2m' }), ['z2m/#']);
    });

    it('turns one climate sensor into a temperature, a humidity and a battery sensor; linkquality is no reading', function () {
        const events = feed(zigbee2mqtt, state, 'zigbee2mqtt/0x00158d0001dc126a', {
            temperature: 21.61,
            humidity: 57.11,
            pressure: 1003.5,
            battery: 91,
            linkquality: 65,
        });
        assert.deepEqual(readingsOf(events), [
            '0x00158d0001dc126a/temperature temperature °C 21.61',
            '0x00158d0001dc126a/humidity humidity % 57.11',
            '0x00158d0001dc126a/battery battery % 91',
            '0x00158d0001dc126a/pressure generic hPa 1003.5',
        ]);
        assert.equal(only(events, 'reading')[0].deviceId, '0x00158d0001dc126a');
    });

    it('keeps a friendly name that contains slashes whole', function () {
        const events = feed(zigbee2mqtt, state, 'zigbee2mqtt/living room/motion sensor', {
            occupancy: true,
            illuminance: 120,
        });
        assert.deepEqual(readingsOf(events), [
            'living room/motion sensor/occupancy motion  true',
            'living room/motion sensor/illuminance illuminance lx 120',
        ]);
    });

    it('reads availability in both forms: plain online/offline (1.x) and {"state":"online"} (2.0)', function () {
        assert.deepEqual(feed(zigbee2mqtt, state, 'zigbee2mqtt/hall/door/availability', 'offline'), [
            { type: 'availability', deviceId: 'hall/door', online: false },
        ]);
        assert.deepEqual(feed(zigbee2mqtt, state, 'zigbee2mqtt/hall/door/availability', { state: 'online' }), [
            { type: 'availability', deviceId: 'hall/door', online: true },
        ]);
        const bad = feed(zigbee2mqtt, state, 'zigbee2mqtt/hall/door/availability', 'maybe');
        assert.equal(bad[0].code, 'device.state');
    });

    it('reports illuminance once when illuminance_lux (1.x, the lux) comes beside the raw illuminance', function () {
        const old = feed(zigbee2mqtt, state, 'zigbee2mqtt/lux', { illuminance: 23812, illuminance_lux: 240 });
        assert.deepEqual(readingsOf(old), ['lux/illuminance illuminance lx 240']);
        const v2 = feed(zigbee2mqtt, state, 'zigbee2mqtt/lux', { illuminance: 240 });
        assert.deepEqual(readingsOf(v2), ['lux/illuminance illuminance lx 240']);
    });

    it('carries contact: true as closed, as Zigbee2MQTT means it', function () {
        const events = feed(zigbee2mqtt, state, 'zigbee2mqtt/front door', {
            contact: true,
            battery: 100,
            voltage: 3055,
        });
        assert.deepEqual(readingsOf(events), [
            'front door/contact contact  true',
            'front door/battery battery % 100',
            'front door/voltage generic V 3.055',
        ]);
    });

    it("takes a battery device's voltage in mV, a plug's in V", function () {
        const plug = feed(zigbee2mqtt, state, 'zigbee2mqtt/plug', { voltage: 230.4, state: 'ON' });
        assert.deepEqual(readingsOf(plug), ['plug/voltage generic V 230.4']);
    });

    it('gives a light on/off with its brightness (0–254) as 0–100, once per change', function () {
        const first = feed(zigbee2mqtt, state, 'zigbee2mqtt/bulb', { state: 'ON', brightness: 254, color_temp: 370 });
        assert.deepEqual(first, [{ type: 'light', deviceId: 'bulb', state: 'on', brightness: 100 }]);
        assert.deepEqual(feed(zigbee2mqtt, state, 'zigbee2mqtt/bulb', { state: 'ON', brightness: 254 }), []);
        assert.deepEqual(feed(zigbee2mqtt, state, 'zigbee2mqtt/bulb', { state: 'ON', brightness: 127 }), [
            { type: 'light', deviceId: 'bulb', state: 'on', brightness: 50 },
        ]);
    });

    it("reads a lock's lock_state, not its LOCK/UNLOCK state; not_fully_locked is jammed", function () {
        const events = feed(zigbee2mqtt, state, 'zigbee2mqtt/front lock', {
            state: 'UNLOCK',
            lock_state: 'locked',
            battery: 80,
        });
        assert.deepEqual(only(events, 'lock'), [{ type: 'lock', deviceId: 'front lock', state: 'locked' }]);
        assert.deepEqual(only(events, 'light'), []);
        const jam = feed(zigbee2mqtt, state, 'zigbee2mqtt/front lock', {
            state: 'LOCK',
            lock_state: 'not_fully_locked',
        });
        assert.deepEqual(jam, [{ type: 'lock', deviceId: 'front lock', state: 'jammed' }]);
    });

    it('answers a command with the state even when it did not change (a lock told to lock that was locked)', function () {
        feed(zigbee2mqtt, state, 'zigbee2mqtt/front lock', { lock_state: 'locked' });
        assert.deepEqual(feed(zigbee2mqtt, state, 'zigbee2mqtt/front lock', { lock_state: 'locked' }), []);
        zigbee2mqtt.encodeLock('front lock', 'lock', state);
        assert.deepEqual(feed(zigbee2mqtt, state, 'zigbee2mqtt/front lock', { lock_state: 'locked' }), [
            { type: 'lock', deviceId: 'front lock', state: 'locked' },
        ]);
        feed(zigbee2mqtt, state, 'zigbee2mqtt/bulb', { state: 'ON', brightness: 254 });
        zigbee2mqtt.encodeLight('bulb', { state: 'on', brightness: 100 }, state);
        assert.equal(feed(zigbee2mqtt, state, 'zigbee2mqtt/bulb', { state: 'ON', brightness: 254 }).length, 1);
    });

    it('ignores the bridge and commands seen on the wildcard, and what is not its own', function () {
        assert.deepEqual(feed(zigbee2mqtt, state, 'zigbee2mqtt/bridge/state', { state: 'online' }), []);
        assert.deepEqual(feed(zigbee2mqtt, state, 'zigbee2mqtt/bulb/set', { state: 'ON' }), []);
        assert.deepEqual(feed(zigbee2mqtt, state, 'zigbee2mqtt/bulb/set/brightness', '10'), []);
        assert.deepEqual(feed(zigbee2mqtt, state, 'tele/x/SENSOR', { temperature: 1 }), []);
    });

    it('names the topic of a payload that does not parse, or a value of the wrong type, and goes on', function () {
        const [p] = feed(zigbee2mqtt, state, 'zigbee2mqtt/bulb', 'not json');
        assert.equal(p.type, 'problem');
        assert.equal(p.code, 'device.not-json');
        assert.equal(p.topic, 'zigbee2mqtt/bulb');
        assert.deepEqual(p.params, { topic: 'zigbee2mqtt/bulb', detail: '"not json"' });
        assert.equal(feed(zigbee2mqtt, state, 'zigbee2mqtt/bulb', '[1]')[0].code, 'device.not-object');
        const mixed = feed(zigbee2mqtt, state, 'zigbee2mqtt/s', { temperature: '21', humidity: 40, battery: 140 });
        assert.deepEqual(
            mixed.map((e) => e.code ?? e.sensorId),
            ['device.value', 's/humidity', 'device.value'],
        );
    });

    it('sends light and lock commands to <name>/set in its own format', function () {
        assert.deepEqual(zigbee2mqtt.encodeLight('hall/bulb', { state: 'on', brightness: 50 }, state), [
            { topic: 'zigbee2mqtt/hall/bulb/set', payload: '{"state":"ON","brightness":127}' },
        ]);
        assert.deepEqual(zigbee2mqtt.encodeLight('bulb', { state: 'off', brightness: 50 }, state), [
            { topic: 'zigbee2mqtt/bulb/set', payload: '{"state":"OFF"}' },
        ]);
        assert.deepEqual(zigbee2mqtt.encodeLock('front lock', 'lock', state), [
            { topic: 'zigbee2mqtt/front lock/set', payload: '{"state":"LOCK"}' },
        ]);
        assert.equal(zigbee2mqtt.encodeLock('l', 'unlock', state)[0].payload, '{"state":"UNLOCK"}');
    });
});
