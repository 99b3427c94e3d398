'use strict';
// Property tests: fast-check prints the seed and path of a failure. To replay it, add them to that fc.assert's
// options, `fc.assert(property, { seed, path, endOnFailure: true })`, and run this file alone.
const { StepClock } = require('../helpers/fake-clock');
const assert = require('node:assert/strict');
const fc = require('fast-check');
const {
    ThresholdMonitor,
    readThresholdInput,
    applyPatch,
    alarmTopic,
    limitsError,
} = require('../../src/core/threshold/threshold');
const { parseThresholdConfig } = require('../../src/core/threshold/config');
const { fieldsOf } = require('../helpers/types');

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
    /** @type {import('../../src/core/threshold/threshold').AlarmEvent[]} */
    const alarms = [];
    const monitor = new ThresholdMonitor({ ...BASE, ...settings, clock, onAlarm: (e) => alarms.push(e) });
    const sensor = { id: 't1', kind: 'temperature', location: 'hall', unit: '°C' };
    /** A reading of t1 (or `key`), returning its events as [state, level, value] triples. */
    const read = (value, key = 't1', type = 'temperature_update') => {
        const r = fieldsOf(monitor.reading(key, value, type, key === 't1' ? sensor : undefined));
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
        const r = fieldsOf(monitor.reading('kitchen', 33, 'home/kitchen/temperature', undefined));
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
        const [cleared] = fieldsOf(monitor.reading('t1', 20, 'temperature_update', sensor)).events;
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
        assert.deepEqual([...alarms], []);
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
        assert.deepEqual([...alarms], []);
        clock.advance(299 * S);
        assert.deepEqual([...alarms], []);
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

    it('never holds a high and a low alarm at once, however wide the hysteresis (regression)', function () {
        // Found by the property below: a raised high stayed raised below the low limit, the low one raised too;
        // and going from low to high, the high was raised before the low was cleared.
        const { read, monitor } = setup({ high: 30, low: 5, hysteresis: 30 });
        assert.deepEqual(read(31), [['raised', 'high', 31]]);
        assert.deepEqual(read(10), [], 'inside the band of the high alarm: still raised');
        assert.deepEqual(read(4), [
            ['cleared', 'high', 4],
            ['raised', 'low', 4],
        ]);
        assert.deepEqual(read(20), [], 'inside the band of the low alarm: still raised');
        assert.deepEqual(read(31), [
            ['cleared', 'low', 31],
            ['raised', 'high', 31],
        ]);
        assert.equal(monitor.raised, 1);
        const events = monitor.setLimits({ high: 50, low: 40, hysteresis: 30 });
        assert.deepEqual(
            events.map((e) => [e.state, e.level, e.value]),
            [
                ['cleared', 'high', 31],
                ['raised', 'low', 31],
            ],
        );
    });

    it('raises only after the minimum duration beyond, clears only past the band, never high and low at once (property)', function () {
        this.timeout(30_000);
        const limit = fc.option(fc.integer({ min: -10, max: 50 }), { nil: undefined });
        const limits = fc
            .record({ high: limit, low: limit, hysteresis: fc.integer({ min: 0, max: 40 }) })
            .filter((l) => limitsError(l) === undefined);
        const step = fc.oneof(
            {
                weight: 6,
                arbitrary: fc.record({
                    kind: fc.constant('read'),
                    key: fc.constantFrom('a', 'b', 'c'),
                    value: fc.integer({ min: -20, max: 60 }),
                }),
            },
            {
                weight: 4,
                arbitrary: fc.record({ kind: fc.constant('advance'), ms: fc.integer({ min: 0, max: 20 * S }) }),
            },
            {
                weight: 1,
                arbitrary: fc.record(
                    {
                        kind: fc.constant('set'),
                        high: fc.option(fc.integer({ min: -10, max: 50 })),
                        low: fc.option(fc.integer({ min: -10, max: 50 })),
                        hysteresis: fc.integer({ min: 0, max: 40 }),
                    },
                    { requiredKeys: ['kind'] },
                ),
            },
            // To the next timer, or a millisecond either side of it: where off-by-one mistakes show.
            { weight: 2, arbitrary: fc.record({ kind: fc.constant('timer'), delta: fc.constantFrom(-1, 0, 1) }) },
            { weight: 1, arbitrary: fc.constant({ kind: 'reset' }) },
        );
        const settings = fc.record({
            limits,
            minDurationS: fc.integer({ min: 0, max: 5 }),
            staleS: fc.constantFrom(0, 30),
            repeatS: fc.constantFrom(0, 10),
            maxSensors: fc.integer({ min: 1, max: 3 }),
        });
        fc.assert(
            fc.property(settings, fc.array(step, { maxLength: 80, size: 'max' }), (cfg, steps) => {
                const clock = new FakeClock();
                const timed = [];
                const monitor = new ThresholdMonitor({
                    ...cfg.limits,
                    minDurationMs: cfg.minDurationS * S,
                    staleMs: cfg.staleS * S,
                    repeatMs: cfg.repeatS * S,
                    maxSensors: cfg.maxSensors,
                    clock,
                    onAlarm: (e) => timed.push({ e, at: clock.t }),
                });
                // The model: what the test itself knows from what it did, never read back from the monitor.
                let current = cfg.limits;
                /** key → {value, lastAt, since: {high, low} (start of the run beyond that limit), raised: Set} */
                let sensors = new Map();
                const beyond = (level, v) =>
                    current[level] !== undefined && (level === 'high' ? v > current[level] : v < current[level]);
                const track = (s, now) => {
                    for (const level of ['high', 'low']) {
                        if (!beyond(level, s.value)) s.since[level] = undefined;
                        else s.since[level] ??= now;
                    }
                };
                const apply = ({ e, at }, checked) => {
                    const s = sensors.get(e.key);
                    assert.ok(s, `an event for ${e.key}, which is not tracked`);
                    assert.equal(e.value, s.value, 'events carry the latest value');
                    if (e.repeat > 0) {
                        assert.equal(e.state, 'raised');
                        assert.ok(s.raised.has(e.level), `a repeat of ${e.level}, which is not raised`);
                        return;
                    }
                    assert.equal(
                        s.raised.has(e.level),
                        e.state === 'cleared',
                        `${e.key}/${e.level} goes ${e.state} twice`,
                    );
                    if (e.level === 'stale') {
                        if (e.state === 'raised') assert.equal(at, s.lastAt + cfg.staleS * S, 'stale exactly when due');
                        else assert.ok(checked, 'a stale alarm clears only by a reading');
                    } else if (e.state === 'raised') {
                        assert.ok(beyond(e.level, e.value), 'raised only beyond the limit');
                        assert.notEqual(s.since[e.level], undefined);
                        assert.equal(
                            at,
                            s.since[e.level] + cfg.minDurationS * S,
                            'raised when it has been beyond for the minimum duration, not before and not later',
                        );
                    } else {
                        const { high, low, hysteresis: h } = current;
                        const removed = current[e.level] === undefined;
                        const past =
                            e.level === 'high'
                                ? e.value <= /** @type {number} */ (high) - h || (low !== undefined && e.value < low)
                                : e.value >= /** @type {number} */ (low) + h || (high !== undefined && e.value > high);
                        assert.ok(
                            checked && (removed || past),
                            'cleared only past the band, or with the limit removed',
                        );
                    }
                    if (e.state === 'raised') s.raised.add(e.level);
                    else s.raised.delete(e.level);
                    // Checked after every event, not every step: a flow sees them one by one.
                    assert.ok(!(s.raised.has('high') && s.raised.has('low')), `${e.key}: high and low at once`);
                };
                for (const st of steps) {
                    if (st.kind === 'read') {
                        let s = sensors.get(st.key);
                        const r = monitor.reading(st.key, st.value, 'temperature_update', undefined);
                        if (!s && sensors.size >= cfg.maxSensors) {
                            assert.equal(r.ok, false, 'a sensor beyond the limit is refused');
                            continue;
                        }
                        assert.ok(r.ok);
                        if (!s) {
                            s = { since: {}, raised: new Set() };
                            sensors.set(st.key, s);
                        }
                        s.value = st.value;
                        s.lastAt = clock.t;
                        track(s, clock.t);
                        r.events.forEach((e) => apply({ e, at: clock.t }, true));
                    } else if (st.kind === 'set') {
                        const next = applyPatch(current, st);
                        if ('error' in next) continue;
                        current = next.limits;
                        for (const s of sensors.values()) track(s, clock.t);
                        monitor.setLimits(current).forEach((e) => apply({ e, at: clock.t }, true));
                    } else if (st.kind === 'reset') {
                        monitor.reset();
                        sensors = new Map();
                    } else {
                        const next = Math.min(...[...clock.timers.values()].map((x) => x.at));
                        if (st.kind === 'advance') clock.advance(st.ms);
                        else if (Number.isFinite(next)) clock.advance(Math.max(0, next - clock.t + st.delta));
                        timed.splice(0).forEach((x) => apply(x, false));
                    }
                    assert.equal(timed.length, 0, 'only the clock raises through onAlarm');
                    let raised = 0;
                    for (const [key, s] of sensors) {
                        raised += s.raised.size;
                        const { high, low, hysteresis: h } = current;
                        for (const level of ['high', 'low']) {
                            if (s.raised.has(level)) {
                                const inside =
                                    level === 'high'
                                        ? s.value > /** @type {number} */ (high) - h &&
                                          !(low !== undefined && s.value < low)
                                        : s.value < /** @type {number} */ (low) + h &&
                                          !(high !== undefined && s.value > high);
                                assert.ok(current[level] !== undefined && inside, `${key}/${level} not cleared`);
                            } else if (s.since[level] !== undefined) {
                                assert.ok(
                                    clock.t < s.since[level] + cfg.minDurationS * S,
                                    `${key}/${level} not raised`,
                                );
                            }
                        }
                    }
                    assert.equal(monitor.raised, raised);
                }
                monitor.close();
                assert.equal(clock.timers.size, 0);
            }),
            { numRuns: 2000 },
        );
    });
});

describe('core/threshold metrics', function () {
    it('gives sensors, active and stale alarms, and the alarms raised and cleared so far', function () {
        const { clock, monitor, read } = setup({ high: 30, staleMs: 10 * S, repeatMs: 2 * S });
        assert.deepEqual(monitor.metrics(), {
            sensors: 0,
            alarmsActive: 0,
            staleActive: 0,
            alarmsRaised: 0,
            alarmsCleared: 0,
            refused: 0,
        });
        read(31, 't1');
        read(20, 'kitchen');
        clock.advance(5 * S);
        assert.deepEqual(monitor.metrics(), {
            sensors: 2,
            alarmsActive: 1,
            staleActive: 0,
            alarmsRaised: 1,
            alarmsCleared: 0,
            refused: 0,
        });
        read(25, 't1');
        clock.advance(10 * S);
        assert.deepEqual(monitor.metrics(), {
            sensors: 2,
            alarmsActive: 2,
            staleActive: 2,
            alarmsRaised: 3,
            alarmsCleared: 1,
            refused: 0,
        });
        read(22, 'kitchen');
        let m = monitor.metrics();
        assert.deepEqual([m.alarmsActive, m.staleActive, m.alarmsCleared], [1, 1, 2]);
        monitor.reset();
        m = monitor.metrics();
        assert.deepEqual(
            [m.sensors, m.alarmsActive, m.staleActive, m.alarmsRaised, m.alarmsCleared],
            [0, 0, 0, 3, 2],
            'a reset forgets the alarms and keeps the totals',
        );
    });

    it('counts readings refused at the sensor limit', function () {
        const { monitor } = setup({ maxSensors: 1 });
        monitor.reading('a', 1, 't');
        monitor.reading('b', 1, 't');
        assert.equal(monitor.metrics().refused, 1);
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
        assert.equal(fieldsOf(readThresholdInput({ topic: 'x', payload: 1, sensor: { id: 7 } })).key, '7');
        assert.equal(fieldsOf(readThresholdInput({ topic: 'hall/temp', payload: 1 })).key, 'hall/temp');
        assert.equal(fieldsOf(readThresholdInput({ payload: 1, sensor: { id: 's' } })).type, 'sensor');
        assert.match(fieldsOf(readThresholdInput({ payload: 1 })).error, /needs msg.sensor.id or msg.topic/);
        assert.match(fieldsOf(readThresholdInput({ topic: 'x'.repeat(1025), payload: 1 })).error, /longer than 1024/);
    });

    it('refuses a reading that is not a finite number, naming the sensor', function () {
        const err = (payload) => fieldsOf(readThresholdInput({ topic: 't', payload, sensor: { id: 'hall' } })).error;
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
        assert.match(fieldsOf(readThresholdInput({ command: 'mute' })).error, /unknown command "mute": use "set"/);
        assert.match(fieldsOf(readThresholdInput({ command: 3 })).error, /unknown command 3/);
        assert.match(fieldsOf(readThresholdInput({ command: 'set', payload: 30 })).error, /must be an object.*got 30/);
        assert.match(
            fieldsOf(readThresholdInput({ command: 'set', payload: {} })).error,
            /none of high, low, hysteresis/,
        );
        assert.match(
            fieldsOf(readThresholdInput({ command: 'set', payload: { high: '30' } })).error,
            /high must be a number, or null/,
        );
        assert.match(
            fieldsOf(readThresholdInput({ command: 'set', payload: { hysteresis: -1 } })).error,
            /hysteresis must be a number, 0 or more/,
        );
    });

    it('applies a change of limits whole or not at all', function () {
        const current = { high: 30, low: 5, hysteresis: 1 };
        assert.deepEqual(applyPatch(current, { high: 40 }), { limits: { high: 40, low: 5, hysteresis: 1 } });
        assert.deepEqual(applyPatch(current, { low: null, hysteresis: 0 }), {
            limits: { high: 30, low: undefined, hysteresis: 0 },
        });
        assert.match(
            fieldsOf(applyPatch(current, { high: null, low: null })).error,
            /give a high limit, a low limit or both/,
        );
        assert.match(
            fieldsOf(applyPatch(current, { high: 3 })).error,
            /low limit \(5\) must be below the high limit \(3\)/,
        );
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
            fieldsOf(
                parseThresholdConfig({
                    high: '',
                    low: -5,
                    hysteresis: '0.5',
                    minDuration: 10,
                    staleAfter: 600,
                    repeat: 300,
                    maxSensors: '50',
                }),
            ).config,
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
        const err = (raw) => fieldsOf(parseThresholdConfig(raw)).error;
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
