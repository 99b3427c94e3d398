'use strict';
const assert = require('node:assert/strict');
const { parseFleetConfig, parseMemberList, expandPattern, FLEET_MAX_SENSORS } = require('../../src/core/fleet/config');
const { fieldsOf } = require('../helpers/types');

const table = (rows, extra = {}) => ({ sensorSource: 'table', sensors: rows, ...extra });
const generated = (extra = {}) => ({ sensorSource: 'generated', count: 20, ...extra });

function error(raw) {
    const r = parseFleetConfig(raw);
    assert.ok('error' in r, `expected an error for ${JSON.stringify(raw).slice(0, 200)}`);
    return r.error;
}

describe('parseFleetConfig', function () {
    it('fills the documented defaults', function () {
        const { config } = fieldsOf(parseFleetConfig(table([{ id: 't1' }])));
        assert.equal(config.intervalMs, 5000);
        assert.equal(config.timeoutMs, 1000);
        assert.equal(config.concurrency, 0);
        assert.equal(config.output, 'stream');
        assert.equal(config.catchFailures, false);
        assert.deepEqual(config.breaker, { failures: 3, baseMs: 10_000, maxMs: 300_000 });
        assert.equal(config.autoStart, true);
        assert.deepEqual(config.simulation, {
            seed: undefined,
            latencyMinMs: 100,
            latencyMaxMs: 500,
            failureProbability: 0,
        });
        assert.deepEqual(config.members, [
            {
                sensor: { id: 't1', kind: 'temperature', location: '', unit: '°C' },
                eventType: 'temperature_update',
                source: 'simulated',
                command: '',
            },
        ]);
    });

    it('reads a table of several kinds with their event types and units', function () {
        const { config } = fieldsOf(
            parseFleetConfig(
                table([
                    { id: 'h1', kind: 'humidity', location: 'cellar' },
                    { id: 'm1', kind: 'motion', location: 'hall' },
                    { id: 'g1', kind: 'generic', eventType: 'home/g1' },
                ]),
            ),
        );
        assert.deepEqual(
            config.members.map((m) => [m.sensor.id, m.sensor.unit, m.eventType, m.sensor.location]),
            [
                ['h1', '%', 'humidity_update', 'cellar'],
                ['m1', '', 'motion_detected', 'hall'],
                ['g1', '', 'home/g1', ''],
            ],
        );
    });

    it('refuses a table with duplicate ids, naming the id', function () {
        assert.match(error(table([{ id: 'a' }, { id: 'b' }, { id: 'a' }])), /"a" appears twice/);
    });

    it('refuses an empty table, a row without id, and a bad kind or source, naming the row', function () {
        assert.match(error(table([])), /table is empty/);
        assert.match(error(table(undefined)), /table is empty/);
        assert.match(error(table([{ id: 'a' }, { location: 'x' }])), /row 2 has no id/);
        assert.match(error(table([{ id: 'a', kind: 'pressure' }])), /row 1 \(a\): kind must be/);
        assert.match(error(table([{ id: 'a', source: 'tcp' }])), /source must be simulated or serial/);
        assert.match(error(table([{ id: 'a', eventType: 'x/#' }])), /wildcard/);
        assert.match(error(table('a,b')), /must be a list/);
    });

    it('needs the serial settings only when a row reads a serial sensor', function () {
        assert.match(error(table([{ id: 'a', source: 'serial' }])), /choose a serial port/);
        const { config } = fieldsOf(
            parseFleetConfig(
                table([{ id: 'a', source: 'serial', command: 'R a' }], { serialPort: 'p1', format: 'kv', field: 't' }),
            ),
        );
        assert.equal(config.serial.port, 'p1');
        assert.equal(config.members[0].command, 'R a');
        assert.match(
            error(table([{ id: 'a', source: 'serial' }], { serialPort: 'p1', format: 'kv' })),
            /kv format needs a field/,
        );
    });

    it('refuses a negative or zero timeout, a bad interval and a fractional concurrency', function () {
        assert.match(error(table([{ id: 'a' }], { timeout: -5 })), /timeout \(ms\) must be a number from 1/);
        assert.match(error(table([{ id: 'a' }], { timeout: 0 })), /timeout/);
        assert.match(error(table([{ id: 'a' }], { interval: 'often' })), /interval/);
        assert.match(error(table([{ id: 'a' }], { concurrency: 2.5 })), /concurrency limit must be a whole number/);
        assert.match(error(table([{ id: 'a' }], { output: 'csv' })), /stream or batch/);
        assert.match(error(table([{ id: 'a' }], { breakerBase: 60, breakerMax: 10 })), /longest quarantine/);
        assert.match(error(table([{ id: 'a' }], { latencyMin: 500, latencyMax: 100 })), /maximum latency/);
        assert.match(error(table([{ id: 'a' }], { failureRate: 2 })), /failure rate/);
        assert.match(error(table([{ id: 'a' }], { seed: 1.5 })), /seed/);
    });

    it('generates a fleet from a count, an id pattern and a kind mix', function () {
        const { config } = fieldsOf(
            parseFleetConfig(
                generated({
                    count: 10,
                    idPattern: 'node-{n:3}',
                    locationPattern: 'rack {n}',
                    mixTemperature: 3,
                    mixHumidity: 1,
                    mixMotion: 1,
                }),
            ),
        );
        assert.equal(config.members.length, 10);
        assert.equal(config.members[0].sensor.id, 'node-001');
        assert.equal(config.members[9].sensor.location, 'rack 10');
        const kinds = config.members.map((m) => m.sensor.kind);
        assert.deepEqual(
            { t: kinds.filter((k) => k === 'temperature').length, h: kinds.filter((k) => k === 'humidity').length },
            { t: 6, h: 2 },
        );
        // Interleaved: the first five already have the 3:1:1 mix.
        assert.deepEqual(new Set(kinds.slice(0, 5)), new Set(['temperature', 'humidity', 'motion']));
    });

    it('refuses a count of 0, above the maximum, or not whole; a pattern without {n}; no kind share', function () {
        assert.match(error(generated({ count: 0 })), /count must be a whole number from 1 to 100000/);
        assert.match(error(generated({ count: FLEET_MAX_SENSORS + 1 })), /count must be/);
        assert.match(error(generated({ count: 3.5 })), /count must be/);
        assert.match(error(generated({ count: '' })), /count must be/);
        assert.match(error(generated({ idPattern: 'sensor' })), /must contain \{n\}/);
        assert.match(error(generated({ mixTemperature: 0 })), /share above 0/);
        assert.match(error({ sensorSource: 'random' }), /table or generated/);
    });

    it('generates the documented maximum', function () {
        const { config } = fieldsOf(parseFleetConfig(generated({ count: FLEET_MAX_SENSORS })));
        assert.equal(config.members.length, FLEET_MAX_SENSORS);
        assert.equal(fieldsOf(config.members.at(-1)).sensor.id, `sensor-${FLEET_MAX_SENSORS}`);
    });
});

describe('parseMemberList', function () {
    it('takes ids and objects', function () {
        const { config } = fieldsOf(parseMemberList(['a', 7, { id: 'm', kind: 'motion', location: 'hall' }], false));
        assert.deepEqual(
            config.map((m) => [m.sensor.id, m.sensor.kind, m.sensor.location]),
            [
                ['a', 'temperature', ''],
                ['7', 'temperature', ''],
                ['m', 'motion', 'hall'],
            ],
        );
    });

    it('refuses anything but a list, and refuses the whole list for one bad entry', function () {
        assert.equal(
            fieldsOf(parseMemberList('a,b', false)).error,
            'the sensor list must be an array, got the string "a,b"',
        );
        assert.equal(
            fieldsOf(parseMemberList({ id: 'a' }, false)).error,
            'the sensor list must be an array, got an object',
        );
        assert.match(fieldsOf(parseMemberList(['a', null], false)).error, /sensor 2 must be a sensor id or an object/);
        assert.match(fieldsOf(parseMemberList(['a', ['b']], false)).error, /sensor 2 must be/);
        assert.match(fieldsOf(parseMemberList(['a', 'a'], false)).error, /"a" appears twice/);
        assert.match(
            fieldsOf(parseMemberList([{ id: 'a', source: 'serial' }], false)).error,
            /needs the fleet's serial port/,
        );
        assert.ok('config' in parseMemberList([{ id: 'a', source: 'serial' }], true));
    });
});

describe('expandPattern', function () {
    it('numbers and pads', function () {
        assert.equal(expandPattern('s{n}', 7), 's7');
        assert.equal(expandPattern('s{n:4}-{n}', 7), 's0007-7');
        assert.equal(expandPattern('plain', 7), 'plain');
    });
});
