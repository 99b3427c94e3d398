'use strict';
const assert = require('node:assert/strict');
const { SimulatedSensor, mulberry32, realSleep } = require('../../src/core/sensor/simulator');
const { ReadError } = require('../../src/core/shared/reading');

/** A simulator whose sleeps return at once, recording the latency they stood for. */
function sim(opts, now = () => 0) {
    const latencies = [];
    const sensor = new SimulatedSensor({
        mode: 'numeric',
        seed: 1,
        now,
        sleep: (ms) => {
            latencies.push(ms);
            return Promise.resolve();
        },
        ...opts,
    });
    return { sensor, latencies };
}

/** n reads, each as its value or the status of its failure. */
async function outcomes(sensor, n) {
    const got = [];
    for (let i = 0; i < n; i++) {
        try {
            got.push(await sensor.read());
        } catch (err) {
            got.push(/** @type {{ status?: string }} */ (err).status);
        }
    }
    return got;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('core/simulator', function () {
    it('mulberry32 is repeatable and uniform in [0, 1)', function () {
        const a = mulberry32(7);
        const b = mulberry32(7);
        const xs = Array.from({ length: 10_000 }, () => a());
        assert.deepEqual(
            xs.slice(0, 5),
            Array.from({ length: 5 }, () => b()),
        );
        assert.ok(xs.every((x) => x >= 0 && x < 1));
        assert.ok(Math.abs(mean(xs) - 0.5) < 0.02);
    });

    it('repeats values, latencies and failures for the same seed, and differs for another', async function () {
        const opts = { seed: 1234, mean: 21, noise: 0.5, drift: 0.01, latencyMinMs: 100, latencyMaxMs: 500 };
        const run = async (seed) => {
            const { sensor, latencies } = sim({ ...opts, seed, failureProbability: 0.3 });
            return { values: await outcomes(sensor, 200), latencies };
        };
        const one = await run(1234);
        const two = await run(1234);
        const other = await run(99);
        assert.deepEqual(one, two);
        assert.notDeepEqual(one.values, other.values);
        assert.ok(one.values.includes('error') && one.values.some((v) => typeof v === 'number'));
    });

    it('fails about as often as its failure probability says', async function () {
        const { sensor } = sim({ seed: 42, mean: 20, failureProbability: 0.1 });
        const got = await outcomes(sensor, 10_000);
        const rate = got.filter((v) => v === 'error').length / got.length;
        assert.ok(rate > 0.09 && rate < 0.11, `failure rate ${rate}`);
    });

    it('reads the mean plus gaussian noise, with latencies in the range', async function () {
        const { sensor, latencies } = sim({ seed: 5, mean: 21, noise: 0.5, latencyMinMs: 100, latencyMaxMs: 500 });
        const values = await outcomes(sensor, 5000);
        const m = mean(values);
        const sd = Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
        assert.ok(Math.abs(m - 21) < 0.05, `mean ${m}`);
        assert.ok(Math.abs(sd - 0.5) < 0.05, `standard deviation ${sd}`);
        assert.ok(
            values.every((v) => Math.round(v * 100) / 100 === v),
            'two decimals',
        );
        assert.ok(latencies.every((ms) => Number.isInteger(ms) && ms >= 100 && ms <= 500));
        assert.ok(Math.abs(mean(latencies) - 300) < 10);
    });

    it('drifts by the given amount on every read', async function () {
        const { sensor } = sim({ mean: 20, noise: 0, drift: 0.5 });
        assert.deepEqual(await outcomes(sensor, 4), [20.5, 21, 21.5, 22]);
    });

    it('sees motion with the given probability, as booleans', async function () {
        const { sensor } = sim({ mode: 'motion', seed: 3, motionProbability: 0.3 });
        const got = await outcomes(sensor, 10_000);
        assert.ok(got.every((v) => typeof v === 'boolean'));
        const rate = got.filter((v) => v).length / got.length;
        assert.ok(rate > 0.28 && rate < 0.32, `motion rate ${rate}`);
    });

    it('goes offline by command: reads fail at once with status offline, then recover', async function () {
        const { sensor, latencies } = sim({ mean: 20, noise: 0, latencyMinMs: 100, latencyMaxMs: 100 });
        sensor.setOffline(true);
        assert.equal(sensor.offline, true);
        await assert.rejects(sensor.read(), (err) => err instanceof ReadError && err.status === 'offline');
        assert.equal(latencies.length, 0, 'an offline sensor answers at once');
        sensor.setOffline(false);
        assert.equal(await sensor.read(), 20);
    });

    it('draws the next read at once: the same latencies, values and failures as read(), offline at once', async function () {
        const opts = { latencyMinMs: 100, latencyMaxMs: 500, failureProbability: 0.3, mean: 21, noise: 0.2 };
        const { sensor, latencies } = sim(opts);
        const expected = await outcomes(sensor, 30);
        const { sensor: drawn } = sim(opts);
        const draws = Array.from({ length: 30 }, () => drawn.draw());
        assert.deepEqual(
            draws.map((d) => (d.error ? d.error.status : d.value)),
            expected,
        );
        assert.deepEqual(
            draws.map((d) => d.latencyMs),
            latencies,
        );
        drawn.setOffline(true);
        const off = drawn.draw();
        assert.equal(off.latencyMs, 0);
        assert.ok(off.error instanceof ReadError && off.error.status === 'offline');
    });

    it('goes offline on its schedule: the last X s of every Y s', async function () {
        let t = 5000;
        const { sensor } = sim({ mean: 20, offlineEveryMs: 10_000, offlineForMs: 3000 }, () => t);
        const at = (ms) => {
            t = 5000 + ms;
            return sensor.offline;
        };
        assert.deepEqual([0, 6999, 7000, 9999, 10_000, 16_999, 17_000, 20_000].map(at), [
            false,
            false,
            true,
            true,
            false,
            false,
            true,
            false,
        ]);
        t = 5000 + 8000;
        await assert.rejects(sensor.read(), { status: 'offline' });
    });

    it('stops a read when its signal aborts', async function () {
        const sensor = new SimulatedSensor({ mode: 'numeric', seed: 1, latencyMinMs: 10_000, latencyMaxMs: 10_000 });
        const ac = new AbortController();
        const pending = sensor.read(ac.signal);
        ac.abort();
        await assert.rejects(pending, { name: 'AbortError' });
        const aborted = AbortSignal.abort();
        await assert.rejects(realSleep(10, aborted), { name: 'AbortError' });
        await realSleep(1);
    });
});
