'use strict';
const { StepClock } = require('../helpers/fake-clock');
const assert = require('node:assert/strict');
const { TokenBucket, RefusalLog } = require('../../nodes/core/gateway-limits');

const FakeClock = StepClock;

describe('core/gateway-limits', function () {
    describe('TokenBucket', function () {
        it('lets a burst through at once, then the rate', function () {
            const b = new TokenBucket(10, 3, 0);
            assert.deepEqual(
                [1, 2, 3, 4].map(() => b.take(0)),
                [true, true, true, false],
            );
            assert.equal(b.take(99), false, 'less than one token refilled in 99 ms at 10/s');
            assert.equal(b.take(100), true);
            assert.equal(b.take(100), false);
        });

        it('refills to the burst size and no further, however long it waits', function () {
            const b = new TokenBucket(10, 3, 0);
            for (let i = 0; i < 3; i++) b.take(0);
            let passed = 0;
            for (let i = 0; i < 10; i++) if (b.take(3_600_000)) passed++;
            assert.equal(passed, 3);
        });

        it('holds a steady sender at its rate over a long run', function () {
            const b = new TokenBucket(20, 40, 0);
            let passed = 0;
            // 100 messages a second for 60 s, against 20/s with a burst of 40.
            for (let t = 0; t < 60_000; t += 10) if (b.take(t)) passed++;
            assert.ok(passed >= 20 * 60 && passed <= 20 * 60 + 40, `passed ${passed}`);
        });

        it('ignores a clock that goes back', function () {
            const b = new TokenBucket(1, 1, 1000);
            assert.equal(b.take(1000), true);
            assert.equal(b.take(0), false);
            assert.equal(b.take(2000), true);
        });
    });

    describe('RefusalLog', function () {
        function setup(windowMs = 10_000) {
            const clock = new FakeClock();
            const reports = [];
            const log = new RefusalLog((r) => reports.push(r), windowMs, clock);
            const detail = (n) => ({ remote: `10.0.0.${n}:1`, message: `refusal ${n}` });
            return { clock, reports, log, detail };
        }

        it('reports the first refusal of a reason at once, and sums up the rest once per window', function () {
            const { clock, reports, log, detail } = setup();
            log.add('bad-json', detail(1));
            assert.equal(reports.length, 1);
            assert.deepEqual(reports[0], { reason: 'bad-json', count: 1, total: 1, detail: detail(1) });
            for (let i = 2; i <= 500; i++) log.add('bad-json', detail(i));
            assert.equal(reports.length, 1, 'a flood is not a log line per refusal');
            clock.advance(10_000);
            assert.equal(reports.length, 2);
            assert.deepEqual(reports[1], { reason: 'bad-json', count: 499, total: 500, detail: detail(500) });
            clock.advance(10_000);
            assert.equal(reports.length, 2, 'a quiet window reports nothing');
            log.add('bad-json', detail(501));
            assert.equal(reports.length, 3, 'after a quiet window, the next refusal is said at once again');
            assert.equal(reports[2].count, 1);
            assert.equal(reports[2].total, 501);
        });

        it('keeps reasons apart and counts them all', function () {
            const { reports, log, detail } = setup();
            log.add('auth-failed', detail(1));
            log.add('rate-limited', detail(2));
            log.add('rate-limited', detail(3));
            assert.deepEqual(
                reports.map((r) => r.reason),
                ['auth-failed', 'rate-limited'],
            );
            assert.deepEqual(log.counts(), { 'auth-failed': 1, 'rate-limited': 2 });
            assert.equal(log.total, 3);
        });

        it('reports nothing and leaves no timer after stop()', function () {
            const { clock, reports, log, detail } = setup();
            log.add('bad-json', detail(1));
            log.add('bad-json', detail(2));
            log.stop();
            assert.equal(clock.pending(), 0);
            log.add('bad-json', detail(3));
            clock.advance(60_000);
            assert.equal(reports.length, 1);
        });
    });
});
