'use strict';
const assert = require('node:assert/strict');
const { tasmota } = require('../../src/core/devices');
const { feed, readingsOf } = require('../helpers/devices');

// Payloads as the Tasmota documentation shows them (MQTT, DS18x20, AM2301, BME280, Commands pages).
describe('core/devices tasmota', function () {
    let state;
    beforeEach(function () {
        state = tasmota.createState({});
    });

    it('subscribes to telemetry, last will and command answers of every device', function () {
        assert.deepEqual(tasmota.subscriptions({}), [
            'tele/+/SENSOR',
            'tele/+/STATE',
            'tele/+/LWT',
            'stat/+/RESULT',
            'stat/+/POWER',
        ]);
    });

    it('reads sensor objects keyed by driver name (AM2301, SI7021, BME280); DewPoint and Time are no readings', function () {
        const events = feed(tasmota, state, 'tele/climate/SENSOR', {
            Time: '2024-01-01T12:00:00',
            AM2301: { Temperature: 22.4, Humidity: 41.2, DewPoint: 8.5 },
            SI7021: { Temperature: 21.9, Humidity: 43.0, DewPoint: 8.9 },
            BME280: { Temperature: 22.1, Humidity: 40.5, DewPoint: 8.0, Pressure: 1013.2 },
            PressureUnit: 'hPa',
            TempUnit: 'C',
        });
        assert.deepEqual(readingsOf(events), [
            'climate/AM2301/temperature temperature °C 22.4',
            'climate/AM2301/humidity humidity % 41.2',
            'climate/SI7021/temperature temperature °C 21.9',
            'climate/SI7021/humidity humidity % 43',
            'climate/BME280/temperature temperature °C 22.1',
            'climate/BME280/humidity humidity % 40.5',
            'climate/BME280/pressure generic hPa 1013.2',
        ]);
    });

    it('names several DS18B20s by their Id, so a renumbering (-1, -2 swapped) keeps each sensor', function () {
        const before = feed(tasmota, state, 'tele/tank/SENSOR', {
            Time: '2024-01-01T12:00:00',
            'DS18B20-1': { Id: '01144A0CB2AA', Temperature: 45.1 },
            'DS18B20-2': { Id: '0316A2798D3F', Temperature: 12.3 },
            TempUnit: 'C',
        });
        const after = feed(tasmota, state, 'tele/tank/SENSOR', {
            Time: '2024-01-01T12:05:00',
            'DS18B20-1': { Id: '0316A2798D3F', Temperature: 12.4 },
            'DS18B20-2': { Id: '01144A0CB2AA', Temperature: 45.0 },
            TempUnit: 'C',
        });
        assert.deepEqual(readingsOf(before), [
            'tank/DS18B20-01144A0CB2AA/temperature temperature °C 45.1',
            'tank/DS18B20-0316A2798D3F/temperature temperature °C 12.3',
        ]);
        assert.deepEqual(readingsOf(after).sort(), [
            'tank/DS18B20-01144A0CB2AA/temperature temperature °C 45',
            'tank/DS18B20-0316A2798D3F/temperature temperature °C 12.4',
        ]);
    });

    it('converts TempUnit F to °C, as the reading contract carries temperatures', function () {
        const events = feed(tasmota, state, 'tele/porch/SENSOR', {
            DS18B20: { Id: '01144A0CB2AA', Temperature: 70.5 },
            TempUnit: 'F',
        });
        assert.deepEqual(readingsOf(events), ['porch/DS18B20-01144A0CB2AA/temperature temperature °C 21.39']);
    });

    it('reads the last will Online/Offline as availability', function () {
        assert.deepEqual(feed(tasmota, state, 'tele/porch/LWT', 'Offline'), [
            { type: 'availability', deviceId: 'porch', online: false },
        ]);
        assert.deepEqual(feed(tasmota, state, 'tele/porch/LWT', 'Online'), [
            { type: 'availability', deviceId: 'porch', online: true },
        ]);
    });

    it('sends the feedback of a command answered twice (stat/RESULT JSON, then stat/POWER text) once', function () {
        const result = feed(tasmota, state, 'stat/lamp/RESULT', { POWER: 'ON', Dimmer: 40 });
        const power = feed(tasmota, state, 'stat/lamp/POWER', 'ON');
        assert.deepEqual(result, [{ type: 'light', deviceId: 'lamp', state: 'on', brightness: 40 }]);
        assert.deepEqual(power, []);
        assert.deepEqual(feed(tasmota, state, 'stat/lamp/POWER', 'OFF'), [
            { type: 'light', deviceId: 'lamp', state: 'off', brightness: 40 },
        ]);
    });

    it('after a command, answers with the state even when unchanged, still once for its two answers', function () {
        feed(tasmota, state, 'stat/lamp/RESULT', { POWER: 'ON', Dimmer: 40 });
        tasmota.encodeLight('lamp', { state: 'on', brightness: 40 }, state);
        assert.equal(feed(tasmota, state, 'stat/lamp/RESULT', { POWER: 'ON', Dimmer: 40 }).length, 1);
        assert.deepEqual(feed(tasmota, state, 'stat/lamp/POWER', 'ON'), []);
    });

    it('takes the periodic tele/STATE as feedback too, Dimmer already 0–100', function () {
        const events = feed(tasmota, state, 'tele/lamp/STATE', {
            Time: '2024-01-01T12:00:00',
            Uptime: '0T01:00:00',
            POWER: 'ON',
            Dimmer: 75,
            Wifi: { RSSI: 80 },
        });
        assert.deepEqual(events, [{ type: 'light', deviceId: 'lamp', state: 'on', brightness: 75 }]);
        assert.deepEqual(feed(tasmota, state, 'stat/lamp/RESULT', { Dimmer: 75 }), []);
    });

    it('names garbage with its topic and code, never throws', function () {
        assert.equal(feed(tasmota, state, 'tele/x/SENSOR', '{"AM2301":')[0].code, 'device.not-json');
        assert.equal(feed(tasmota, state, 'stat/x/POWER', 'MAYBE')[0].code, 'device.state');
        const bad = feed(tasmota, state, 'tele/x/SENSOR', { AM2301: { Temperature: 'n/a', Humidity: 40 } });
        assert.deepEqual(
            bad.map((e) => e.code ?? e.sensorId),
            ['device.value', 'x/AM2301/humidity'],
        );
        assert.deepEqual(feed(tasmota, state, 'tele/x/INFO1', { Module: 'Generic' }), []);
    });

    it('commands POWER and Dimmer on cmnd/<topic>/…; a light told on never gets Dimmer 0', function () {
        assert.deepEqual(tasmota.encodeLight('lamp', { state: 'on', brightness: 40 }, state), [
            { topic: 'cmnd/lamp/POWER', payload: 'ON' },
            { topic: 'cmnd/lamp/Dimmer', payload: '40' },
        ]);
        assert.deepEqual(tasmota.encodeLight('lamp', { state: 'on', brightness: 0 }, state)[1].payload, '1');
        assert.deepEqual(tasmota.encodeLight('lamp', { state: 'off' }, state), [
            { topic: 'cmnd/lamp/POWER', payload: 'OFF' },
        ]);
        assert.equal(tasmota.canLock, false);
        assert.deepEqual(tasmota.encodeLock('lamp', 'lock', state), []);
    });
});
