'use strict';
const assert = require('node:assert/strict');
const { FleetCollector, TimerSet, percentiles } = require('../../src/core/fleet/fleet');
const { ReadError } = require('../../src/core/shared/reading');
const { FakeClock, flush } = require('../helpers/fake-clock');
const { fieldsOf } = require('../helpers/types');

/** @returns {import('../../src/core/shared/reading').SensorInfo} */
const info = (id) => ({ id, kind: 'temperature', location: '', unit: '°C' });

/**
 * A member whose reads follow `script`: each entry is `{ms, value}`, `{ms, fail: status}`, or
 * `{hang: true}`; the last entry repeats. Counts reads and how many run at once.
 */
function member(clock, id, script, meter) {
    let n = 0;
    const m = {
        info: info(id),
        eventType: 'temperature_update',
        reads: 0,
        starts: /** @type {number[]} */ ([]),
        read() {
            const step = script[Math.min(n++, script.length - 1)];
            m.reads++;
            m.starts.push(clock.now());
            if (step.throws) throw new Error('thrown synchronously');
            meter.running++;
            meter.peak = Math.max(meter.peak, meter.running);
            if (step.hang) return new Promise(() => {});
            return new Promise((resolve, reject) => {
                clock.setTimeout(() => {
                    meter.running--;
                    if (step.fail) reject(new ReadError(step.fail, `${id} ${step.fail}`));
                    else if (step.plain) reject(new Error('plain failure'));
                    else resolve(step.value ?? 20);
                }, step.ms);
            });
        },
    };
    return m;
}

function setup({ scripts, timeoutMs = 1000, concurrency = 0, breaker = { failures: 0, baseMs: 1000, maxMs: 8000 } }) {
    const clock = new FakeClock();
    const meter = { running: 0, peak: 0 };
    const members = scripts.map((s, i) => member(clock, `s${i + 1}`, s, meter));
    const results = [];
    const quarantines = [];
    const collector = new FleetCollector({
        timeoutMs,
        concurrency,
        breaker,
        collect: true,
        clock,
        onResult: (r) => results.push(r),
        onQuarantine: (m, err, ms) => quarantines.push({ id: m.info.id, message: err.message, ms }),
    });
    collector.setMembers(members);
    /** Runs one cycle to its end on the fake clock. */
    const cycle = async (signal) => {
        let outcome;
        const p = collector.runCycle(signal).then((o) => (outcome = o));
        for (let i = 0; i < 10_000 && outcome === undefined; i++) await clock.advance(10);
        return await p;
    };
    return { clock, meter, members, results, quarantines, collector, cycle };
}

describe('FleetCollector', function () {
    it('reads every sensor at once: the cycle lasts as long as the slowest read', async function () {
        const t = setup({ scripts: [[{ ms: 300 }], [{ ms: 100 }], [{ ms: 500 }], [{ ms: 200 }]] });
        const start = t.clock.now();
        const { stats, results } = await t.cycle();
        assert.equal(t.meter.peak, 4);
        assert.equal(stats.durationMs, 500);
        assert.equal(stats.startedAt, start);
        assert.deepEqual(
            results.map((r) => r.member.info.id),
            ['s2', 's4', 's1', 's3'],
            'results come in the order they arrive',
        );
        assert.deepEqual(
            results.map((r) => r.latencyMs),
            [100, 200, 300, 500],
        );
        assert.equal(stats.ok, 4);
        assert.equal(stats.failed, 0);
        assert.deepEqual(stats.latencyMs, { p50: 200, p95: 500, max: 500 });
    });

    it('times out a hung read at the timeout; the others are not held up', async function () {
        const t = setup({ scripts: [[{ hang: true }], [{ ms: 100 }], [{ ms: 50, fail: 'offline' }]], timeoutMs: 700 });
        const { stats, results } = await t.cycle();
        assert.equal(stats.durationMs, 700);
        assert.deepEqual(
            results.map((r) => [r.member.info.id, r.status]),
            [
                ['s3', 'offline'],
                ['s2', 'ok'],
                ['s1', 'timeout'],
            ],
        );
        assert.equal(fieldsOf(results[2]).error.message, 'no reading within 700 ms');
        assert.equal(results[2].latencyMs, 700);
        assert.deepEqual([stats.ok, stats.offline, stats.timeout, stats.error, stats.failed], [1, 1, 1, 0, 2]);
    });

    it('uses one timer for all the read deadlines of a cycle, not one per read', async function () {
        const t = setup({ scripts: Array.from({ length: 50 }, () => [{ hang: true }]), timeoutMs: 500 });
        const p = t.collector.runCycle();
        await flush();
        assert.equal(t.clock.timers.size, 1);
        await t.clock.advance(500);
        const { stats } = await p;
        assert.equal(stats.timeout, 50);
        assert.equal(t.clock.timers.size, 0, 'no timer left behind');
    });

    it('keeps at most `concurrency` reads running; each read has its own deadline from its start', async function () {
        const scripts = [[{ hang: true }], [{ ms: 100 }], [{ hang: true }], [{ ms: 100 }], [{ ms: 100 }]];
        const t = setup({ scripts, concurrency: 2, timeoutMs: 300 });
        const { stats, results } = await t.cycle();
        // A read that timed out gives its place up (it is abandoned, not waited for), so a slot frees at 300.
        const started = t.members.map((m) => m.starts[0] - stats.startedAt);
        assert.deepEqual(started, [0, 0, 100, 300, 400]);
        assert.equal(stats.ok, 3);
        assert.equal(stats.timeout, 2);
        // s2 ends at 100 (s3 starts), s1 times out at 300 (s4 starts), s4 ends at 400 (s5 starts) as s3 times out.
        const at = Object.fromEntries(results.map((r) => [r.member.info.id, r.ts - stats.startedAt]));
        assert.deepEqual(at, { s2: 100, s1: 300, s4: 400, s3: 400, s5: 500 });
        assert.equal(stats.durationMs, 500);
    });

    it('turns a synchronous throw and a plain rejection into error results', async function () {
        const t = setup({ scripts: [[{ throws: true }], [{ ms: 10, plain: true }], [{ ms: 10 }]] });
        const { stats, results } = await t.cycle();
        assert.equal(stats.error, 2);
        assert.deepEqual(results.map((r) => r.status).sort(), ['error', 'error', 'ok']);
        assert.ok(results.some((r) => fieldsOf(r).error?.message === 'thrown synchronously'));
    });

    it('counts attempts per sensor in seq, failures included', async function () {
        const t = setup({ scripts: [[{ ms: 10 }, { ms: 10, fail: 'error' }, { ms: 10 }]] });
        const seqs = [];
        for (let i = 0; i < 3; i++) seqs.push((await t.cycle()).results[0].seq);
        assert.deepEqual(seqs, [1, 2, 3]);
    });

    it('quarantines a sensor after repeated failures, retries it alone with a doubling backoff, and takes it back', async function () {
        const failing = [{ ms: 10, fail: 'error' }];
        const script = [...failing, ...failing, ...failing, ...failing, ...failing, { ms: 10, value: 42 }];
        const t = setup({
            scripts: [script, [{ ms: 10 }]],
            breaker: { failures: 3, baseMs: 1000, maxMs: 8000 },
        });
        for (let i = 0; i < 3; i++) assert.equal((await t.cycle()).stats.quarantined, 0);
        assert.deepEqual(t.quarantines, [{ id: 's1', message: 's1 error', ms: 1000 }]);
        assert.equal(t.collector.quarantined, 1);

        // Quarantined: left out of the cycle, the other sensor read as usual.
        const before = t.members[0].reads;
        let { stats } = await t.cycle();
        assert.deepEqual([stats.sensors, stats.reads, stats.quarantined, stats.ok], [2, 1, 1, 1]);
        assert.equal(t.members[0].reads, before);

        // Retried alone after 1 s (fails: 4th), then after 2 s (fails: 5th), then after 4 s (succeeds).
        t.results.length = 0;
        await t.clock.advance(1000);
        assert.equal(t.members[0].reads, before + 1);
        await t.clock.advance(1999);
        assert.equal(t.members[0].reads, before + 1, 'the second retry waits twice as long');
        await t.clock.advance(11);
        assert.equal(t.members[0].reads, before + 2);
        await t.clock.advance(4010);
        assert.equal(t.members[0].reads, before + 3);
        assert.deepEqual(
            t.results.map((r) => [r.member.info.id, r.status, r.probe]),
            [
                ['s1', 'error', true],
                ['s1', 'error', true],
                ['s1', 'ok', true],
            ],
        );
        assert.equal(t.collector.quarantined, 0);
        assert.equal(t.quarantines.length, 1, 'one quarantine, however many retries');

        // Back in the next cycle, which reports the retries since the last one and carries them in its batch.
        const outcome = await t.cycle();
        stats = outcome.stats;
        assert.deepEqual([stats.reads, stats.quarantined, stats.retried, stats.recovered], [2, 0, 3, 1]);
        assert.equal(outcome.results.filter((r) => r.probe).length, 3);
    });

    it('caps the backoff at the longest quarantine', async function () {
        const t = setup({
            scripts: [[{ ms: 10, fail: 'timeout' }]],
            breaker: { failures: 1, baseMs: 1000, maxMs: 3000 },
        });
        await t.cycle();
        const reads = () => t.members[0].reads;
        await t.clock.advance(1010); // retry 1 at +1 s
        await t.clock.advance(2010); // retry 2 at +2 s
        await t.clock.advance(3010); // retry 3 at +3 s (capped, not 4)
        assert.equal(reads(), 4);
        await t.clock.advance(3010);
        assert.equal(reads(), 5);
    });

    it('never quarantines with the breaker off', async function () {
        const t = setup({ scripts: [[{ ms: 10, fail: 'error' }]] });
        for (let i = 0; i < 5; i++) assert.equal((await t.cycle()).stats.reads, 1);
        assert.equal(t.quarantines.length, 0);
    });

    it('ends a cycle at once when its signal aborts, and ignores reads that end afterwards', async function () {
        const t = setup({ scripts: [[{ ms: 100 }], [{ ms: 900 }]] });
        const controller = new AbortController();
        const p = t.collector.runCycle(controller.signal);
        await t.clock.advance(150);
        controller.abort();
        const { stats } = await p;
        assert.equal(stats.ok, 1);
        await t.clock.advance(1000);
        assert.equal(t.results.length, 1, 'the late read is dropped');
        assert.equal(t.clock.timers.size, 0);
    });

    it('drops the retries of sensors replaced by setMembers, and reads the new ones', async function () {
        const t = setup({
            scripts: [[{ ms: 10, fail: 'error' }]],
            breaker: { failures: 1, baseMs: 1000, maxMs: 1000 },
        });
        await t.cycle();
        assert.equal(t.collector.quarantined, 1);
        const meter = { running: 0, peak: 0 };
        const fresh = member(t.clock, 'n1', [{ ms: 10, value: 7 }], meter);
        t.collector.setMembers([fresh]);
        assert.equal(t.clock.timers.size, 0, 'the old retry is cancelled');
        const { results } = await t.cycle();
        assert.deepEqual(
            results.map((r) => [r.member.info.id, fieldsOf(r).value]),
            [['n1', 7]],
        );
    });

    it('schedules no retry for a sensor replaced while its read ran', async function () {
        const t = setup({
            scripts: [[{ ms: 100, fail: 'error' }]],
            breaker: { failures: 1, baseMs: 1000, maxMs: 1000 },
        });
        const p = t.collector.runCycle();
        await t.clock.advance(50);
        t.collector.setMembers([]);
        await t.clock.advance(100);
        await p;
        assert.equal(t.quarantines.length, 0);
        assert.equal(t.clock.timers.size, 0, 'no retry timer left behind');
    });

    it('finishes a cycle with no sensors at once', async function () {
        const t = setup({ scripts: [] });
        const { stats } = await t.collector.runCycle();
        assert.deepEqual([stats.sensors, stats.reads, stats.durationMs], [0, 0, 0]);
    });

    it('takes process figures from `sample`', async function () {
        const clock = new FakeClock();
        const sample = () => ({ eventLoopDelayMs: { p50: 1, p99: 2, max: 3 }, heapUsedMiB: 10, rssMiB: 50 });
        const c = new FleetCollector({
            timeoutMs: 10,
            concurrency: 0,
            breaker: { failures: 0, baseMs: 1, maxMs: 1 },
            collect: false,
            clock,
            sample,
        });
        const { stats, results } = await c.runCycle();
        assert.deepEqual(stats.eventLoopDelayMs, { p50: 1, p99: 2, max: 3 });
        assert.equal(stats.rssMiB, 50);
        assert.deepEqual(results, []);
    });
});

describe('percentiles', function () {
    it('takes nearest-rank percentiles', function () {
        const values = Float64Array.from({ length: 100 }, (_, i) => 100 - i);
        assert.deepEqual(percentiles(values), { p50: 50, p95: 95, max: 100 });
        assert.deepEqual(percentiles(new Float64Array(0)), { p50: 0, p95: 0, max: 0 });
        assert.deepEqual(percentiles(Float64Array.of(7)), { p50: 7, p95: 7, max: 7 });
    });
});

describe('TimerSet', function () {
    it('sleeps, and clears every pending sleep at once', async function () {
        const timers = new TimerSet();
        await timers.sleep(1);
        let woke = false;
        void timers.sleep(10).then(() => (woke = true));
        void timers.sleep(20).then(() => (woke = true));
        assert.equal(timers.size, 2);
        timers.clear();
        assert.equal(timers.size, 0);
        await new Promise((r) => setTimeout(r, 40));
        assert.equal(woke, false);
    });
});
