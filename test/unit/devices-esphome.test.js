'use strict';
const assert = require('node:assert/strict');
const { esphome } = require('../../src/core/devices');
const { feed, readingsOf } = require('../helpers/devices');

// Topics and payloads as ESPHome's MQTT client component documentation describes them.
describe('core/devices esphome', function () {
    let state;
    beforeEach(function () {
        state = esphome.createState({});
    });

    it('subscribes to the states and status of every node (or the ones named) and to discovery, unless told not to', function () {
        assert.deepEqual(esphome.subscriptions({}), ['+/status', '+/+/+/state', 'homeassistant/+/+/+/config']);
        assert.deepEqual(esphome.subscriptions({ nodes: ['garden'], discoveryPrefix: false }), [
            'garden/status',
            'garden/+/+/state',
        ]);
    });

    it('reads bare sensor values; with no discovery config the unit comes from the name', function () {
        const events = [
            ...feed(esphome, state, 'garden/sensor/soil_temperature/state', '18.25'),
            ...feed(esphome, state, 'garden/sensor/air_humidity/state', '61.3'),
            ...feed(esphome, state, 'garden/sensor/uptime/state', '3600'),
        ];
        assert.deepEqual(readingsOf(events), [
            'garden/soil_temperature temperature °C 18.25',
            'garden/air_humidity humidity % 61.3',
            'garden/uptime generic  3600',
        ]);
    });

    it("takes the unit and kind from the node's Home Assistant discovery config when it has seen it", function () {
        feed(esphome, state, 'homeassistant/sensor/garden/lightlevel/config', {
            dev_cla: 'illuminance',
            unit_of_meas: 'lx',
            stat_t: 'garden/sensor/lightlevel/state',
            name: 'Light level',
            uniq_id: 'ESPsensorlightlevel',
            dev: { ids: '246f28aabbcc', name: 'garden' },
        });
        feed(esphome, state, 'homeassistant/sensor/garden/power/config', {
            unit_of_meas: 'W',
            stat_t: 'garden/sensor/power/state',
            dev: { ids: '246f28aabbcc', name: 'garden' },
        });
        const events = [
            ...feed(esphome, state, 'garden/sensor/lightlevel/state', '812'),
            ...feed(esphome, state, 'garden/sensor/power/state', '12.5'),
        ];
        assert.deepEqual(readingsOf(events), ['garden/lightlevel illuminance lx 812', 'garden/power generic W 12.5']);
    });

    it('uses configured hints before names', function () {
        state = esphome.createState({
            hints: { 'garden/probe': { kind: 'temperature', unit: '°C' }, level: { kind: 'battery', unit: '%' } },
        });
        const events = [
            ...feed(esphome, state, 'garden/sensor/probe/state', '4.5'),
            ...feed(esphome, state, 'shed/sensor/level/state', '77'),
        ];
        assert.deepEqual(readingsOf(events), ['garden/probe temperature °C 4.5', 'shed/level battery % 77']);
    });

    it('turns nan into a failed reading, never a NaN value', function () {
        const events = feed(esphome, state, 'garden/sensor/soil_temperature/state', 'nan');
        assert.deepEqual(readingsOf(events), ['garden/soil_temperature temperature failed device.no-value']);
        assert.equal('value' in events[0], false);
        assert.equal(feed(esphome, state, 'garden/sensor/soil_temperature/state', 'warm')[0].code, 'device.value');
    });

    it("reads binary sensors ON/OFF: motion as is, a door's ON (open) as contact false", function () {
        const events = [
            ...feed(esphome, state, 'hall/binary_sensor/pir_motion/state', 'ON'),
            ...feed(esphome, state, 'hall/binary_sensor/front_door/state', 'ON'),
            ...feed(esphome, state, 'hall/binary_sensor/front_door/state', 'OFF'),
            ...feed(esphome, state, 'hall/binary_sensor/button/state', 'ON'),
        ];
        assert.deepEqual(readingsOf(events), [
            'hall/pir_motion motion  true',
            'hall/front_door contact  false',
            'hall/front_door contact  true',
            'hall/button generic  1',
        ]);
    });

    it('reads <node>/status online/offline as availability', function () {
        assert.deepEqual(feed(esphome, state, 'garden/status', 'offline'), [
            { type: 'availability', deviceId: 'garden', online: false },
        ]);
    });

    it("gives a light's JSON state with brightness 0–255 as 0–100, and a lock's state", function () {
        assert.deepEqual(
            feed(esphome, state, 'hall/light/ceiling/state', {
                state: 'ON',
                brightness: 255,
                color_mode: 'brightness',
            }),
            [{ type: 'light', deviceId: 'hall/ceiling', state: 'on', brightness: 100 }],
        );
        assert.deepEqual(feed(esphome, state, 'hall/lock/door/state', 'JAMMED'), [
            { type: 'lock', deviceId: 'hall/door', state: 'jammed' },
        ]);
        assert.equal(feed(esphome, state, 'hall/light/ceiling/state', 'ON')[0].code, 'device.not-json');
    });

    it('gives a switch ON/OFF as a light without brightness', function () {
        assert.deepEqual(feed(esphome, state, 'garden/switch/pump/state', 'ON'), [
            { type: 'light', deviceId: 'garden/pump', state: 'on' },
        ]);
        assert.equal(feed(esphome, state, 'garden/switch/pump/state', '1')[0].code, 'device.state');
    });

    it('after a command, answers with the state even when unchanged', function () {
        feed(esphome, state, 'hall/lock/door/state', 'LOCKED');
        esphome.encodeLock('hall/door', 'lock', state);
        assert.equal(feed(esphome, state, 'hall/lock/door/state', 'LOCKED').length, 1);
    });

    it('commands a light with JSON (brightness 0–255) and a lock with LOCK/UNLOCK on …/command', function () {
        assert.deepEqual(esphome.encodeLight('hall/ceiling', { state: 'on', brightness: 50 }, state), [
            { topic: 'hall/light/ceiling/command', payload: '{"state":"ON","brightness":128}' },
        ]);
        assert.deepEqual(esphome.encodeLock('hall/door', 'unlock', state), [
            { topic: 'hall/lock/door/command', payload: 'UNLOCK' },
        ]);
    });
});
