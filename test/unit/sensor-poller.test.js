'use strict';
const assert = require('node:assert/strict');
const { SensorPoller } = require('../../src/core/sensor/poller');
const { ReadError } = require('../../src/core/shared/reading');

const { FakeClock } = require('../helpers/fake-clock');
const { fieldsOf } = require('../helpers/types');

/**
 * A poller on a fake clock whose reads take `latency` ms; records when each read started and the results.
 * @param {{ intervalMs?: number, timeoutMs?: number, latency?: number, lateness?: number, read?: (clock: FakeClock) => (signal: AbortSignal) => Promise<unknown> }} [options]
 */
function setup({ intervalMs = 1000, timeoutMs = 5000, latency = 100, lateness = 0, read } = {}) {
    const clock = new FakeClock(lateness);
    const starts = [];
    const results = [];
    let running = 0;
    let maxRunning = 0;
    const poller = new SensorPoller({
        intervalMs,
        timeoutMs,
        clock,
        read:
            read?.(clock) ??
            (async (signal) => {
                starts.push(clock.now());
                running++;
                maxRunning = Math.max(maxRunning, running);
                try {
                    await clock.sleep(latency, signal);
                    return starts.length;
                } finally {
                    running--;
                }
            }),
        onPoll: (r) => results.push(r),
    });
    return { clock, poller, starts, results, t0: clock.t, maxRunning: () => maxRunning };
}

describe('core/sensor-poller', function () {
    it('polls at start + k × interval, with no drift from read latency', async function () {
        const { clock, poller, starts, results, t0 } = setup({ latency: 300 });
        poller.start();
        await clock.advance(10_000);
        assert.deepEqual(
            starts.map((t) => t - t0),
            [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000],
        );
        assert.equal(results.filter((r) => r.status === 'ok').length, 10, 'the read started at 10000 is still running');
        assert.deepEqual(
            results.map((r) => r.seq),
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        );
        assert.ok(results.every((r) => r.latencyMs === 300));
        poller.close();
    });

    it('does not accumulate timer lateness the way setInterval chains do', async function () {
        const { clock, poller, starts, t0 } = setup({ latency: 10, lateness: 7 });
        poller.start();
        await clock.advance(100_010);
        const offsets = starts.map((t, k) => t - t0 - k * 1000);
        assert.equal(starts.length, 101);
        assert.ok(
            offsets.every((o) => o === 0 || o === 7),
            `each read within one timer's lateness of its slot: ${offsets.slice(0, 5)}`,
        );
        poller.close();
    });

    it('never overlaps reads: a tick that finds a read running is counted as skipped', async function () {
        const { clock, poller, starts, results, t0, maxRunning } = setup({ latency: 2500 });
        poller.start();
        await clock.advance(10_000);
        assert.deepEqual(
            starts.map((t) => t - t0),
            [0, 3000, 6000, 9000],
        );
        assert.equal(maxRunning(), 1);
        assert.equal(poller.skipped, 7, 'ticks at 1, 2, 4, 5, 7, 8 and 10 s');
        assert.equal(results.filter((r) => r.status === 'ok').length, 3);
        poller.close();
    });

    it('skips an on-demand read while one is running, then reads again', async function () {
        const { clock, poller } = setup({ intervalMs: 0, latency: 200 });
        const first = poller.read();
        const second = await poller.read();
        assert.deepEqual(second, { status: 'skipped' });
        assert.equal(poller.skipped, 1);
        await clock.advance(200);
        assert.equal((await first).status, 'ok');
        const third = poller.read();
        await clock.advance(200);
        const r = await third;
        assert.equal(r.status, 'ok');
        assert.equal(r.seq, 2, 'a skipped read takes no sequence number');
    });

    it('times a read out, aborts it, reports timeout and keeps polling', async function () {
        let aborted = 0;
        const { clock, poller, results } = setup({
            intervalMs: 1000,
            timeoutMs: 400,
            read: (c) => (signal) => {
                signal.addEventListener('abort', () => aborted++);
                return new Promise(() => {
                    void c;
                });
            },
        });
        poller.start();
        await clock.advance(2500);
        assert.deepEqual(
            results.map((r) => r.status),
            ['timeout', 'timeout', 'timeout'],
        );
        assert.equal(aborted, 3);
        assert.ok(results.every((r) => r.latencyMs === 400 && r.error.status === 'timeout'));
        assert.match(results[0].error.message, /no reading within 400 ms/);
        assert.equal(poller.skipped, 0, 'a timed-out read no longer blocks the next');
        poller.close();
    });

    it('maps failures to statuses: ReadError keeps its own, anything else is error', async function () {
        const failures = [
            () => Promise.reject(new ReadError('offline', 'gone')),
            () => Promise.reject(new Error('boom')),
            () => {
                throw new TypeError('sync');
            },
            () => Promise.reject('a string'),
        ];
        let i = 0;
        const { poller } = setup({ intervalMs: 0, read: () => () => failures[i++]() });
        const got = [];
        for (let k = 0; k < failures.length; k++) got.push(await poller.read());
        assert.deepEqual(
            got.map((r) => [r.status, fieldsOf(r).error.message]),
            [
                ['offline', 'gone'],
                ['error', 'boom'],
                ['error', 'sync'],
                ['error', 'a string'],
            ],
        );
    });

    it('stops and starts; close aborts the running read and leaves no timer', async function () {
        const { clock, poller, starts } = setup({ latency: 300 });
        poller.start();
        await clock.advance(1500);
        poller.stop();
        assert.equal(poller.running, false);
        await clock.advance(5000);
        assert.equal(starts.length, 2, 'no read after stop');
        poller.start();
        assert.equal(poller.running, true);
        await clock.advance(100);
        assert.equal(poller.busy, true);
        const pending = poller.read();
        poller.close();
        assert.deepEqual(await pending, { status: 'skipped' });
        assert.equal(poller.busy, false);
        assert.equal(clock.timers.size, 0, 'no timer left after close');
        poller.start();
        assert.equal(poller.running, false, 'a closed poller does not start again');
        assert.deepEqual(await poller.read(), { status: 'closed' });
    });

    it('resolves a read running at close as closed, and aborts it', async function () {
        /** @type {AbortSignal | undefined} */
        let signal;
        const { poller } = setup({
            intervalMs: 0,
            read: () => (s) => {
                signal = s;
                return new Promise(() => {});
            },
        });
        const pending = poller.read();
        poller.close();
        assert.deepEqual(await pending, { status: 'closed' });
        assert.equal(signal?.aborted, true);
    });

    it('does not poll without an interval', async function () {
        const { clock, poller, starts } = setup({ intervalMs: 0 });
        poller.start();
        await clock.advance(10_000);
        assert.equal(starts.length, 0);
        assert.equal(poller.running, false);
    });
});
