'use strict';
const assert = require('node:assert/strict');
const {
    defaultEventType,
    toReadingValue,
    buildReading,
    failedReading,
    sensorCopy,
    ReadError,
} = require('../../src/core/shared/reading');
const { parseSensorConfig } = require('../../src/core/sensor/config');
const { fieldsOf } = require('../helpers/types');

describe('core/reading', function () {
    it('defaults the event type by kind', function () {
        assert.deepEqual(
            /** @type {const} */ (['temperature', 'humidity', 'motion', 'generic']).map(defaultEventType),
            ['temperature_update', 'humidity_update', 'motion_detected', 'sensor_update'],
        );
    });

    it("gives each message its own copy of the sensor's description, with the same fields", function () {
        const sensor = parseSensorConfig({ sensorId: 's1', kind: 'humidity', location: 'attic' }, 'n1');
        if (!('config' in sensor)) throw new Error('the configuration was refused');
        const info = sensor.config.sensor;
        const copy = sensorCopy(info);
        assert.notEqual(copy, info);
        assert.deepEqual(copy, info);
        assert.deepEqual(Object.keys(copy), Object.keys(info));
    });

    it('converts °C to °F, and takes numbers and booleans by kind', function () {
        assert.deepEqual(toReadingValue('temperature', '°F', 21.4), { value: 70.52 });
        assert.deepEqual(toReadingValue('temperature', '°C', 21.4), { value: 21.4 });
        assert.deepEqual(toReadingValue('temperature', '°F', -40), { value: -40 });
        assert.deepEqual(toReadingValue('humidity', '%', 45), { value: 45 });
        assert.deepEqual(toReadingValue('motion', '', true), { value: true });
        assert.deepEqual(toReadingValue('motion', '', 0), { value: false });
    });

    it('has illuminance, contact and battery kinds with their units and event types', function () {
        const { defaultUnit, isSensorKind } = require('../../src/core/shared/reading');
        assert.deepEqual(/** @type {const} */ (['illuminance', 'contact', 'battery']).map(defaultEventType), [
            'illuminance_update',
            'contact_update',
            'battery_update',
        ]);
        assert.deepEqual(/** @type {const} */ (['illuminance', 'contact', 'battery']).map(defaultUnit), [
            'lx',
            '',
            '%',
        ]);
        assert.ok(['illuminance', 'contact', 'battery'].every(isSensorKind));
        assert.deepEqual(toReadingValue('illuminance', 'lx', 312.5), { value: 312.5 });
        assert.deepEqual(toReadingValue('contact', '', true), { value: true });
        assert.deepEqual(toReadingValue('contact', '', 0), { value: false });
        assert.deepEqual(toReadingValue('battery', '%', 100), { value: 100 });
        assert.deepEqual(toReadingValue('battery', '%', 0), { value: 0 });
    });

    it('refuses a contact that is no boolean and a battery level outside 0–100, with their codes', function () {
        const bad = (kind, v) => fieldsOf(toReadingValue(kind, '', v)).problem;
        assert.equal(bad('contact', 'closed').code, 'read.contact-value');
        assert.match(bad('contact', 'closed').message, /true \(closed\) or false \(open\).*got the string "closed"/);
        assert.equal(bad('battery', 101).code, 'read.battery-value');
        assert.equal(bad('battery', -1).params.value, '-1');
        assert.equal(bad('battery', '90').code, 'read.number-value');
        assert.equal(bad('illuminance', NaN).code, 'read.number-value');
    });

    it('refuses values of the wrong type with a sentence that says what came', function () {
        const err = (kind, v) => fieldsOf(toReadingValue(kind, '', v)).error;
        assert.match(err('temperature', '21'), /needs a finite number, got the string "21"/);
        assert.match(err('generic', NaN), /got NaN/);
        assert.match(err('humidity', null), /got null/);
        assert.match(err('humidity', { v: 1 }), /got an object/);
        assert.match(err('humidity', [1]), /got an array/);
        assert.match(err('motion', 'yes'), /needs true or false \(or 1\/0\), got the string "yes"/);
        assert.match(err('motion', 2), /got 2/);
    });

    it('builds the contract: topic, payload, sensor, reading', function () {
        /** @type {import('../../src/core/shared/reading').SensorInfo} */
        const sensor = { id: 't1', kind: 'temperature', location: 'hall', unit: '°C' };
        assert.deepEqual(buildReading(sensor, 'temperature_update', 21.4, { ts: 5, latencyMs: 120, seq: 3 }), {
            topic: 'temperature_update',
            payload: 21.4,
            sensor,
            reading: { status: 'ok', ts: 5, latencyMs: 120, seq: 3 },
        });
        assert.deepEqual(failedReading('timeout', { ts: 9, latencyMs: 2000, seq: 4 }), {
            status: 'timeout',
            ts: 9,
            latencyMs: 2000,
            seq: 4,
        });
        const e = new ReadError('offline', 'gone');
        assert.ok(e instanceof Error);
        assert.equal(e.status, 'offline');
    });
});

describe('core/sensor-config', function () {
    it('reads an empty config with defaults, the node id naming the sensor', function () {
        const { config } = fieldsOf(parseSensorConfig({}, 'n1'));
        assert.deepEqual(config.sensor, { id: 'n1', kind: 'temperature', location: '', unit: '°C' });
        assert.equal(config.eventType, 'temperature_update');
        assert.equal(config.source, 'simulated');
        assert.equal(config.intervalMs, 5000);
        assert.equal(config.timeoutMs, 2000);
        assert.equal(config.autoStart, true);
        assert.equal(config.simulation.seed, undefined);
        assert.equal(config.simulation.mode, 'numeric');
    });

    it('reads an editor-saved config, numbers as strings included', function () {
        const { config } = fieldsOf(
            parseSensorConfig(
                {
                    sensorId: ' t1 ',
                    kind: 'motion',
                    location: 'hall',
                    eventType: 'home/hall/motion',
                    interval: '0.5',
                    timeout: '300',
                    autoStart: false,
                    seed: '42',
                    motionProbability: '0.3',
                    offlineFor: 2,
                    offlineEvery: 10,
                },
                'n1',
            ),
        );
        assert.deepEqual(config.sensor, { id: 't1', kind: 'motion', location: 'hall', unit: '' });
        assert.equal(config.eventType, 'home/hall/motion');
        assert.equal(config.intervalMs, 500);
        assert.equal(config.timeoutMs, 300);
        assert.equal(config.autoStart, false);
        assert.equal(config.simulation.seed, 42);
        assert.equal(config.simulation.mode, 'motion');
        assert.equal(config.simulation.offlineForMs, 2000);
        assert.equal(config.simulation.offlineEveryMs, 10_000);
    });

    it('keeps the unit a kind allows', function () {
        const unit = (raw) => fieldsOf(parseSensorConfig(raw, 'n')).config.sensor.unit;
        assert.equal(unit({ kind: 'temperature', unit: '°F' }), '°F');
        assert.equal(unit({ kind: 'humidity', unit: '°F' }), '%');
        assert.equal(unit({ kind: 'generic', unit: ' hPa ' }), 'hPa');
        assert.equal(unit({ kind: 'illuminance', unit: '°F' }), 'lx');
        assert.equal(unit({ kind: 'battery' }), '%');
        assert.equal(unit({ kind: 'contact' }), '');
        assert.equal(fieldsOf(parseSensorConfig({ source: 'msg', interval: 5 }, 'n')).config.intervalMs, 0);
    });

    it('simulates a contact like motion (a boolean) and illuminance and battery around their own levels', function () {
        const sim = (kind) => fieldsOf(parseSensorConfig({ kind }, 'n1')).config.simulation;
        assert.equal(sim('contact').mode, 'motion');
        assert.equal(sim('illuminance').mode, 'numeric');
        assert.equal(sim('illuminance').mean, 300);
        assert.equal(sim('battery').mean, 90);
        assert.equal(fieldsOf(parseSensorConfig({ kind: 'battery' }, 'n1')).config.eventType, 'battery_update');
    });

    it('names the field and the fix for every bad value', function () {
        const err = (raw) => fieldsOf(parseSensorConfig(raw, 'n')).error;
        assert.match(
            err({ kind: 'pressure' }),
            /kind must be temperature, humidity, motion, illuminance, contact, battery or generic/,
        );
        assert.match(err({ source: 'tcp' }), /source must be simulated, msg or serial/);
        assert.match(err({ unit: 'K' }), /°C or °F/);
        assert.match(err({ kind: 'generic', unit: 'x'.repeat(33) }), /unit is longer than 32/);
        assert.match(err({ eventType: 'a/+' }), /wildcard/);
        assert.match(err({ interval: -1 }), /interval \(s\) must be a number from 0 to 86400/);
        assert.match(err({ timeout: 0 }), /timeout \(ms\)/);
        assert.match(err({ seed: '1.5' }), /seed must be blank or a whole number/);
        assert.match(err({ failureProbability: 2 }), /failure probability must be a number from 0 to 1/);
        assert.match(err({ latencyMin: 500, latencyMax: 100 }), /maximum latency must not be below/);
        assert.match(err({ offlineFor: 10, offlineEvery: 10 }), /offline for \(s\) must be shorter/);
        assert.match(err({ mean: 'warm' }), /mean must be a number/);
    });
});
