'use strict';
const assert = require('node:assert/strict');
const { FleetCollector } = require('../../src/core/fleet/fleet');
const { ReadWheel } = require('../../src/core/fleet/wheel');
const { fleetMember } = require('../../src/core/fleet/members');
const { ReadError } = require('../../src/core/shared/reading');
const { FakeClock, flush } = require('../helpers/fake-clock');
const { fieldsOf } = require('../helpers/types');

/** @returns {import('../../src/core/shared/reading').SensorInfo} */
const info = (id) => ({ id, kind: 'temperature', location: '', unit: '°C' });

/** A sink that records what it hears, in order. */
function recorder() {
    const heard = [];
    return {
        heard,
        readOk: (k, value) => heard.push(['ok', k, value]),
        readFailed: (k, error) => heard.push(['failed', k, error]),
    };
}

/** A fake clock and how many timers it was asked for. */
function countingClock() {
    const clock = new FakeClock();
    const set = clock.setTimeout;
    const count = { asked: 0 };
    clock.setTimeout = (fn, ms) => {
        count.asked++;
        return set(fn, ms);
    };
    return { clock, count };
}

describe('ReadWheel', function () {
    it('shares one timer among the reads due in the same millisecond, and reports each in its time', async function () {
        const { clock, count } = countingClock();
        const wheel = new ReadWheel(clock);
        const sink = recorder();
        wheel.after(200, sink, 0, 21.5, false);
        wheel.after(100, sink, 1, 20, false);
        wheel.after(200, sink, 2, new Error('broken'), true);
        wheel.after(200, sink, 3, 22, false);
        assert.equal(count.asked, 2, 'two due times, two timers');
        assert.equal(wheel.size, 4);
        await clock.advance(100);
        assert.deepEqual(sink.heard, [['ok', 1, 20]]);
        await clock.advance(100);
        assert.deepEqual(
            sink.heard.map(([how, k]) => [how, k]),
            [
                ['ok', 1],
                ['ok', 0],
                ['failed', 2],
                ['ok', 3],
            ],
        );
        assert.equal(wheel.size, 0);
    });

    it('never reports synchronously, even for a read due at once', async function () {
        const clock = new FakeClock();
        const wheel = new ReadWheel(clock);
        const sink = recorder();
        wheel.after(0, sink, 0, 1, false);
        assert.deepEqual(sink.heard, []);
        await clock.advance(0);
        assert.deepEqual(sink.heard, [['ok', 0, 1]]);
    });

    it('a sink that throws does not cost the other reads of its bucket their results', async function () {
        const clock = new FakeClock();
        const wheel = new ReadWheel(clock);
        const sink = recorder();
        const bad = { readOk: () => assert.fail('boom'), readFailed: () => assert.fail('boom') };
        wheel.after(50, bad, 0, 1, false);
        wheel.after(50, sink, 1, 2, false);
        const due = [...clock.timers.values()][0];
        assert.throws(() => due.fn(), /boom/);
        assert.deepEqual(sink.heard, [['ok', 1, 2]]);
    });

    it('clear drops every pending read', async function () {
        const clock = new FakeClock();
        const wheel = new ReadWheel(clock);
        const sink = recorder();
        wheel.after(10, sink, 0, 1, false);
        wheel.after(20, sink, 1, 1, false);
        wheel.clear();
        assert.equal(wheel.size, 0);
        assert.equal(clock.timers.size, 0);
        await clock.advance(50);
        assert.deepEqual(sink.heard, []);
    });
});

describe('FleetCollector with reads without a promise (readInto)', function () {
    /**
     * A member reporting through `readInto` on the wheel after `ms`, or never (`hang`), or throwing at once.
     * @param {ReadWheel} wheel
     * @param {string} id
     * @param {{ ms?: number, value?: number, fail?: import('../../src/core/shared/reading').FailureStatus, hang?: boolean, throws?: boolean }} [how]
     */
    function wheelMember(wheel, id, { ms = 100, value = 20, fail, hang, throws } = {}) {
        return {
            info: info(id),
            eventType: 'temperature_update',
            read: () => assert.fail('a cycle uses readInto when there is one'),
            readInto(sink, k) {
                if (throws) throw new Error('thrown at once');
                if (hang) return;
                wheel.after(ms, sink, k, fail ? new ReadError(fail, `${id} ${fail}`) : value, fail !== undefined);
            },
        };
    }

    function collectorOf(clock, members, timeoutMs = 1000) {
        const results = [];
        const c = new FleetCollector({
            timeoutMs,
            concurrency: 0,
            breaker: { failures: 0, baseMs: 1000, maxMs: 8000 },
            collect: true,
            clock,
            onResult: (r) => results.push(r),
        });
        c.setMembers(members);
        return { c, results };
    }

    async function run(clock, collector) {
        let outcome;
        const p = collector.runCycle().then((o) => (outcome = o));
        for (let i = 0; i < 1000 && outcome === undefined; i++) await clock.advance(10);
        return await p;
    }

    it('keeps the reading contract: values, failures, a synchronous throw and a hung read with its timeout', async function () {
        const clock = new FakeClock();
        const wheel = new ReadWheel(clock);
        const members = [
            wheelMember(wheel, 'a', { ms: 300, value: 21.5 }),
            wheelMember(wheel, 'b', { ms: 100, fail: 'offline' }),
            wheelMember(wheel, 'c', { throws: true }),
            wheelMember(wheel, 'd', { hang: true }),
        ];
        const { c, results } = collectorOf(clock, members, 500);
        const { stats } = await run(clock, c);
        assert.deepEqual(
            results.map((r) => [r.member.info.id, r.status, r.latencyMs, r.seq]),
            [
                ['c', 'error', 0, 1],
                ['b', 'offline', 100, 1],
                ['a', 'ok', 300, 1],
                ['d', 'timeout', 500, 1],
            ],
        );
        assert.equal(fieldsOf(results[0]).error.message, 'thrown at once');
        assert.equal(fieldsOf(results[2]).value, 21.5);
        assert.deepEqual([stats.ok, stats.error, stats.offline, stats.timeout, stats.durationMs], [1, 1, 1, 1, 500]);
    });

    it('drops a report that comes after its read timed out', async function () {
        const clock = new FakeClock();
        const wheel = new ReadWheel(clock);
        const { c, results } = collectorOf(clock, [wheelMember(wheel, 'slow', { ms: 800 })], 300);
        const { stats } = await run(clock, c);
        assert.equal(stats.timeout, 1);
        await clock.advance(1000);
        assert.deepEqual(
            results.map((r) => r.status),
            ['timeout'],
        );
    });

    it('reads timed out together share one error', async function () {
        const clock = new FakeClock();
        const wheel = new ReadWheel(clock);
        const members = ['a', 'b', 'c'].map((id) => wheelMember(wheel, id, { hang: true }));
        const { c, results } = collectorOf(clock, members, 300);
        await run(clock, c);
        const errors = new Set(results.map((r) => fieldsOf(r).error));
        assert.equal(results.length, 3);
        assert.equal(errors.size, 1);
    });

    it('starts a big fleet in slices, letting the event loop run between them', async function () {
        const started = [];
        const wheel = new ReadWheel();
        const members = Array.from({ length: 3500 }, (_, i) => ({
            info: info(`s${i}`),
            eventType: 'temperature_update',
            read: () => assert.fail('a cycle uses readInto when there is one'),
            readInto(sink, k) {
                started.push(k);
                wheel.after(1, sink, k, 20, false);
            },
        }));
        const { c } = collectorOf(undefined, members);
        let seenBySomeoneElse = -1;
        setImmediate(() => (seenBySomeoneElse = started.length));
        const { stats } = await c.runCycle();
        assert.ok(
            seenBySomeoneElse > 0 && seenBySomeoneElse < 3500,
            `started before the loop ran: ${seenBySomeoneElse}`,
        );
        assert.equal(stats.ok, 3500);
        assert.deepEqual(started.slice(0, 3), [0, 1, 2]);
        await flush();
    });

    it("a fleet's simulated members read through the wheel when it has one, with the same values as without", async function () {
        /** @type {import('../../src/core/fleet/config').MemberSpec} */
        const spec = { sensor: info('t1'), eventType: 'temperature_update', source: 'simulated', command: '' };
        const simulation = { seed: 3, latencyMinMs: 100, latencyMaxMs: 500, failureProbability: 0.3 };
        const serial = { port: '', command: '', spec: { format: /** @type {const} */ ('number') } };
        const base = { port: undefined, serial, timeoutMs: 1000, simulation, seedBase: 3 };
        const clock = new FakeClock();
        const wheel = new ReadWheel(clock);
        const slept = [];
        const plain = fleetMember(spec, 0, { ...base, sleep: (ms) => (slept.push(ms), Promise.resolve()) });
        const wheeled = fleetMember(spec, 0, { ...base, sleep: () => assert.fail('no sleep'), wheel });
        assert.equal(plain.readInto, undefined);
        const readInto = wheeled.readInto;
        assert.ok(readInto);
        const expected = [];
        for (let i = 0; i < 20; i++)
            expected.push(
                await plain.read().then(
                    (v) => ['ok', v],
                    (e) => ['failed', e.message],
                ),
            );
        const sink = recorder();
        const delays = [];
        for (let k = 0; k < 20; k++) {
            const before = clock.timers.size;
            readInto(sink, k);
            if (clock.timers.size > before) delays.push([...clock.timers.values()].pop().at - clock.now());
        }
        await clock.advance(1000);
        const got = [...sink.heard]
            .sort((x, y) => x[1] - y[1])
            .map(([how, , v]) => [how, how === 'ok' ? v : v.message]);
        assert.deepEqual(got, expected);
        assert.ok(expected.some(([how]) => how === 'failed') && expected.some(([how]) => how === 'ok'));
        assert.ok(
            delays.every((d) => slept.includes(d)),
            'the same latencies',
        );
    });
});
