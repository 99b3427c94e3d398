'use strict';
const { StepClock } = require('../helpers/fake-clock');
const assert = require('node:assert/strict');
const fc = require('fast-check');
const {
    ThresholdMonitor,
    readThresholdInput,
    applyPatch,
    alarmTopic,
    limitsError,
} = require('../../nodes/core/threshold');
const { parseThresholdConfig } = require('../../nodes/core/threshold-config');

const FakeClock = StepClock;

const S = 1000;
const BASE = {
    high: 30,
    low: undefined,
    hysteresis: 0,
    minDurationMs: 0,
    staleMs: 0,
    repeatMs: 0,
    maxSensors: 10000,
};

function setup(settings = {}) {
    const clock = new FakeClock();
    const alarms = [];
    const monitor = new ThresholdMonitor({ ...BASE, ...settings, clock, onAlarm: (e) => alarms.push(e) });
    const sensor = { id: 't1', kind: 'temperature', location: 'hall', unit: '°C' };
    /** A reading of t1 (or `key`), returning its events as [state, level, value] triples. */
    const read = (value, key = 't1', type = 'temperature_update') => {
        const r = monitor.reading(key, value, type, key === 't1' ? sensor : undefined);
        assert.ok(r.ok, r.error);
        return r.events.map((e) => [e.state, e.level, e.value]);
    };
    return { clock, monitor, alarms, read, sensor };
}

describe('core/threshold', function () {
    it('raises above the high limit and clears at or below it, sending only transitions', function () {
        const { read } = setup({ high: 30 });
        assert.deepEqual(read(29), []);
        assert.deepEqual(read(30), [], 'at the limit is not above it');
        assert.deepEqual(read(31), [['raised', 'high', 31]]);
        assert.deepEqual(read(35), [], 'still raised: nothing new');
        assert.deepEqual(read(30), [['cleared', 'high', 30]]);
        assert.deepEqual(read(29), []);
    });

    it('raises below the low limit and clears at or above it plus the hysteresis', function () {
        const { read } = setup({ high: undefined, low: 5, hysteresis: 1 });
        assert.deepEqual(read(4.9), [['raised', 'low', 4.9]]);
        assert.deepEqual(read(5.5), [], 'inside the hysteresis band');
        assert.deepEqual(read(6), [['cleared', 'low', 6]]);
    });

    it('applies hysteresis to a raised high: cleared only at or below high − hysteresis', function () {
        const { read } = setup({ high: 30, hysteresis: 2 });
        assert.deepEqual(read(31), [['raised', 'high', 31]]);
        assert.deepEqual(read(29), []);
        assert.deepEqual(read(28.5), []);
        assert.deepEqual(read(28), [['cleared', 'high', 28]]);
        assert.deepEqual(read(30.5), [['raised', 'high', 30.5]], 'raising needs no hysteresis');
    });

    it('checks high and low in one node, and goes from one straight to the other', function () {
        const { read } = setup({ high: 30, low: 10 });
        assert.deepEqual(read(40), [['raised', 'high', 40]]);
        assert.deepEqual(read(5), [
            ['cleared', 'high', 5],
            ['raised', 'low', 5],
        ]);
    });

    it('keeps sensors apart, with events carrying the sensor, its type and the limit', function () {
        const { monitor, read, sensor } = setup({ high: 30 });
        read(31, 't1');
        const r = monitor.reading('kitchen', 33, 'home/kitchen/temperature', undefined);
        assert.deepEqual(r.events, [
            {
                key: 'kitchen',
                type: 'home/kitchen/temperature',
                state: 'raised',
                level: 'high',
                value: 33,
                threshold: 30,
                sensor: { id: 'kitchen' },
                repeat: 0,
            },
        ]);
        assert.equal(monitor.sensors, 2);
        assert.equal(monitor.raised, 2);
        const [cleared] = monitor.reading('t1', 20, 'temperature_update', sensor).events;
        assert.deepEqual(cleared.sensor, sensor);
        assert.notEqual(cleared.sensor, sensor, 'a copy, not the message object');
        assert.equal(monitor.raised, 1);
    });

    it('raises only after the minimum duration beyond the limit, continuously', function () {
        const { clock, alarms, read } = setup({ high: 30, minDurationMs: 60 * S });
        assert.deepEqual(read(31), []);
        clock.advance(30 * S);
        assert.deepEqual(read(32), [], 'later readings beyond do not restart the time');
        clock.advance(29 * S);
        assert.deepEqual(alarms, []);
        clock.advance(1 * S);
        assert.deepEqual(
            alarms.map((e) => [e.state, e.level, e.value]),
            [['raised', 'high', 32]],
            'raised by the clock, with the latest value',
        );
        alarms.length = 0;
        assert.deepEqual(read(20), [['cleared', 'high', 20]], 'clearing is at once');
        read(31);
        clock.advance(59 * S);
        read(30);
        clock.advance(10 * S);
        read(31);
        clock.advance(59 * S);
        assert.deepEqual(alarms, [], 'a reading back inside cancels, and the time starts again');
        clock.advance(1 * S);
        assert.equal(alarms.length, 1);
    });

    it('raises a stale alarm when a sensor falls silent, cleared by its next reading', function () {
        const { clock, alarms, monitor, read } = setup({ high: 30, staleMs: 300 * S });
        read(20);
        for (let i = 0; i < 10; i++) {
            clock.advance(100 * S);
            read(20 + i / 10);
            assert.ok(clock.timers.size <= 1, 'one stale timer per sensor, not one per reading');
        }
        assert.deepEqual(alarms, []);
        clock.advance(299 * S);
        assert.deepEqual(alarms, []);
        clock.advance(1 * S);
        assert.deepEqual(
            alarms.map((e) => [e.state, e.level, e.value, e.threshold]),
            [['raised', 'stale', 20.9, 300]],
        );
        assert.equal(monitor.raised, 1);
        clock.advance(10_000 * S);
        assert.equal(alarms.length, 1, 'raised once, not again while silent');
        assert.deepEqual(read(21), [['cleared', 'stale', 21]]);
        assert.equal(monitor.raised, 0);
    });

    it('repeats a raised alarm at the interval until it clears', function () {
        const { clock, alarms, read } = setup({ high: 30, repeatMs: 60 * S });
        read(31);
        clock.advance(150 * S);
        read(33);
        clock.advance(60 * S);
        assert.deepEqual(
            alarms.map((e) => [e.state, e.value, e.repeat]),
            [
                ['raised', 31, 1],
                ['raised', 31, 2],
                ['raised', 33, 3],
            ],
        );
        read(10);
        clock.advance(600 * S);
        assert.equal(alarms.length, 3);
        assert.equal(clock.timers.size, 0);
    });

    it('changes limits all at once, checking every sensor against the new ones', function () {
        const { monitor, read } = setup({ high: 30 });
        read(31, 'a');
        read(25, 'b');
        const events = monitor.setLimits({ high: 20, low: undefined, hysteresis: 0 });
        assert.deepEqual(
            events.map((e) => [e.key, e.state, e.level, e.threshold]),
            [['b', 'raised', 'high', 20]],
        );
        const cleared = monitor.setLimits({ high: undefined, low: 0, hysteresis: 0 });
        assert.deepEqual(
            cleared.map((e) => [e.key, e.state, e.level, e.threshold]),
            [
                ['a', 'cleared', 'high', 20],
                ['b', 'cleared', 'high', 20],
            ],
            'a removed limit clears its alarms',
        );
    });

    it('refuses sensors beyond the limit, so memory stays bounded, until a reset', function () {
        const { monitor } = setup({ maxSensors: 3 });
        for (const k of ['a', 'b', 'c']) assert.ok(monitor.reading(k, 1, 'x', undefined).ok);
        const refused = monitor.reading('d', 1, 'x', undefined);
        assert.equal(refused.ok, false);
        assert.match(refused.error, /sensor "d" not tracked: already tracking the limit of 3 sensors/);
        assert.ok(monitor.reading('a', 2, 'x', undefined).ok, 'known sensors go on');
        assert.equal(monitor.refused, 1);
        monitor.reset();
        assert.equal(monitor.sensors, 0);
        assert.ok(monitor.reading('d', 1, 'x', undefined).ok);
    });

    it('reset forgets alarms and timers without sending anything', function () {
        const { clock, monitor, alarms, read } = setup({
            high: 30,
            staleMs: 10 * S,
            repeatMs: 5 * S,
            minDurationMs: 1 * S,
        });
        read(31, 'a');
        clock.advance(1 * S);
        read(40, 'b');
        assert.ok(clock.timers.size > 0);
        monitor.reset();
        assert.equal(clock.timers.size, 0);
        assert.equal(monitor.raised, 0);
        const before = alarms.length;
        clock.advance(10 ** 6);
        assert.equal(alarms.length, before);
    });

    it('close clears every timer, and later readings change nothing', function () {
        const { clock, monitor, alarms, read } = setup({
            high: 30,
            staleMs: 10 * S,
            repeatMs: 5 * S,
            minDurationMs: 2 * S,
        });
        read(31, 'a');
        read(35, 'b');
        clock.advance(3 * S);
        monitor.close();
        assert.equal(clock.timers.size, 0);
        assert.deepEqual(read(50, 'c'), []);
        clock.advance(10 ** 6);
        assert.equal(alarms.filter((e) => e.key === 'c').length, 0);
    });

    it('keeps its counts and transitions right for any sequence of readings (property)', function () {
        const step = fc.oneof(
            fc.record({
                kind: fc.constant('read'),
                key: fc.constantFrom('a', 'b', 'c'),
                value: fc.integer({ min: -10, max: 50 }),
            }),
            fc.record({ kind: fc.constant('advance'), ms: fc.integer({ min: 0, max: 20 * S }) }),
        );
        fc.assert(
            fc.property(
                fc.array(step, { maxLength: 80, size: 'max' }),
                fc.integer({ min: 0, max: 5 }),
                fc.integer({ min: 0, max: 5 }),
                (steps, hysteresis, minDurationS) => {
                    const { clock, monitor, alarms } = setup({
                        high: 30,
                        low: 5,
                        hysteresis,
                        minDurationMs: minDurationS * S,
                        staleMs: 30 * S,
                    });
                    const raised = new Map();
                    const apply = (e) => {
                        const id = `${e.key}/${e.level}`;
                        if (e.repeat > 0) return;
                        assert.equal(
                            raised.has(id),
                            e.state === 'cleared',
                            `${id} goes ${e.state} from the other state`,
                        );
                        if (e.state === 'raised') raised.set(id, e);
                        else raised.delete(id);
                        if (e.level === 'high' && e.state === 'raised') assert.ok(e.value > 30);
                        if (e.level === 'high' && e.state === 'cleared') assert.ok(e.value <= 30 - hysteresis);
                        if (e.level === 'low' && e.state === 'raised') assert.ok(e.value < 5);
                        if (e.level === 'low' && e.state === 'cleared') assert.ok(e.value >= 5 + hysteresis);
                    };
                    for (const s of steps) {
                        if (s.kind === 'read') {
                            monitor.reading(s.key, s.value, 'temperature_update', undefined).events.forEach(apply);
                        } else clock.advance(s.ms);
                        alarms.splice(0).forEach(apply);
                        assert.equal(monitor.raised, raised.size);
                    }
                    monitor.close();
                    assert.equal(clock.timers.size, 0);
                },
            ),
            { numRuns: 300 },
        );
    });
});

describe('core/threshold messages', function () {
    it('keys readings by msg.sensor.id, else by topic', function () {
        const sensor = { id: 't1', kind: 'temperature' };
        assert.deepEqual(readThresholdInput({ topic: 'temperature_update', payload: 21, sensor }), {
            kind: 'reading',
            key: 't1',
            value: 21,
            type: 'temperature_update',
            sensor,
        });
        assert.equal(readThresholdInput({ topic: 'x', payload: 1, sensor: { id: 7 } }).key, '7');
        assert.equal(readThresholdInput({ topic: 'hall/temp', payload: 1 }).key, 'hall/temp');
        assert.equal(readThresholdInput({ payload: 1, sensor: { id: 's' } }).type, 'sensor');
        assert.match(readThresholdInput({ payload: 1 }).error, /needs msg.sensor.id or msg.topic/);
        assert.match(readThresholdInput({ topic: 'x'.repeat(1025), payload: 1 }).error, /longer than 1024/);
    });

    it('refuses a reading that is not a finite number, naming the sensor', function () {
        const err = (payload) => readThresholdInput({ topic: 't', payload, sensor: { id: 'hall' } }).error;
        assert.match(err('21.5'), /sensor "hall": a reading must be a finite number, got the string "21.5"/);
        assert.match(err(true), /got true/);
        assert.match(err(null), /got null/);
        assert.match(err(undefined), /got nothing/);
        assert.match(err(Infinity), /got Infinity/);
        assert.match(err({ v: 1 }), /got an object/);
    });

    it('reads set and reset commands, and refuses others and bad limits', function () {
        assert.deepEqual(readThresholdInput({ command: 'set', payload: { high: 28, low: null, hysteresis: 0.5 } }), {
            kind: 'set',
            patch: { high: 28, low: null, hysteresis: 0.5 },
        });
        assert.deepEqual(readThresholdInput({ command: ' RESET ' }), { kind: 'reset' });
        assert.match(readThresholdInput({ command: 'mute' }).error, /unknown command "mute": use "set"/);
        assert.match(readThresholdInput({ command: 3 }).error, /unknown command 3/);
        assert.match(readThresholdInput({ command: 'set', payload: 30 }).error, /must be an object.*got 30/);
        assert.match(readThresholdInput({ command: 'set', payload: {} }).error, /none of high, low, hysteresis/);
        assert.match(
            readThresholdInput({ command: 'set', payload: { high: '30' } }).error,
            /high must be a number, or null/,
        );
        assert.match(
            readThresholdInput({ command: 'set', payload: { hysteresis: -1 } }).error,
            /hysteresis must be a number, 0 or more/,
        );
    });

    it('applies a change of limits whole or not at all', function () {
        const current = { high: 30, low: 5, hysteresis: 1 };
        assert.deepEqual(applyPatch(current, { high: 40 }), { limits: { high: 40, low: 5, hysteresis: 1 } });
        assert.deepEqual(applyPatch(current, { low: null, hysteresis: 0 }), {
            limits: { high: 30, low: undefined, hysteresis: 0 },
        });
        assert.match(applyPatch(current, { high: null, low: null }).error, /give a high limit, a low limit or both/);
        assert.match(applyPatch(current, { high: 3 }).error, /low limit \(5\) must be below the high limit \(3\)/);
        assert.equal(limitsError({ high: 1, low: undefined, hysteresis: 0 }), undefined);
    });

    it('names alarms after the event type', function () {
        assert.equal(alarmTopic('temperature_update'), 'temperature_alarm');
        assert.equal(alarmTopic('home/hall/humidity_update'), 'home/hall/humidity_alarm');
        assert.equal(alarmTopic('pressure'), 'pressure_alarm');
        assert.equal(alarmTopic('update_rate'), 'update_rate_alarm');
    });
});

describe('core/threshold-config', function () {
    it('reads defaults and every field', function () {
        assert.deepEqual(parseThresholdConfig({ high: '30' }), {
            config: {
                high: 30,
                low: undefined,
                hysteresis: 0,
                minDurationMs: 0,
                staleMs: 0,
                repeatMs: 0,
                maxSensors: 10000,
            },
        });
        assert.deepEqual(
            parseThresholdConfig({
                high: '',
                low: -5,
                hysteresis: '0.5',
                minDuration: 10,
                staleAfter: 600,
                repeat: 300,
                maxSensors: '50',
            }).config,
            {
                high: undefined,
                low: -5,
                hysteresis: 0.5,
                minDurationMs: 10000,
                staleMs: 600000,
                repeatMs: 300000,
                maxSensors: 50,
            },
        );
    });

    it('names the field and the fix for every bad value', function () {
        const err = (raw) => parseThresholdConfig(raw).error;
        assert.match(err({}), /give a high limit, a low limit or both/);
        assert.match(err({ high: 'hot' }), /high limit must be blank or a number/);
        assert.match(err({ high: 10, low: 10 }), /low limit \(10\) must be below the high limit \(10\)/);
        assert.match(err({ high: 10, hysteresis: -1 }), /hysteresis must be a number from 0/);
        assert.match(err({ high: 10, minDuration: 1e6 }), /minimum duration \(s\) must be a number from 0 to 86400/);
        assert.match(err({ high: 10, staleAfter: -1 }), /stale after/);
        assert.match(err({ high: 10, repeat: 0.001 }), /repeat every \(s\) must be 0 \(no repeat\) or at least 0.01/);
        assert.match(err({ high: 10, maxSensors: 0 }), /sensors at most must be a whole number from 1 to 100000/);
        assert.match(err({ high: 10, maxSensors: 2.5 }), /whole number/);
    });
});
