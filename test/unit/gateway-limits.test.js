'use strict';
const { StepClock } = require('../helpers/fake-clock');
const assert = require('node:assert/strict');
const {
    TokenBucket,
    RefusalLog,
    Backoff,
    PendingPool,
    addressKey,
    ADDRESS_BACKOFF,
} = require('../../src/core/gateway/limits');

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

    describe('Backoff', function () {
        const policy = { free: 2, baseMs: 100, capMs: 1000, forgetMs: 5000, maxKeys: 3 };

        it('lets the free failures pass, then doubles the penalty per failure up to the cap', function () {
            const b = new Backoff(policy);
            const penalties = [];
            let now = 0;
            for (let i = 0; i < 8; i++) {
                const p = b.fail('a', now);
                penalties.push(p);
                assert.equal(b.wait('a', now), p);
                now += p;
                assert.equal(b.wait('a', now), 0);
            }
            assert.deepEqual(penalties, [0, 0, 100, 200, 400, 800, 1000, 1000]);
            assert.equal(b.wait('b', now), 0, 'keys are apart');
        });

        it('forgets a key after forgetMs without a failure, or at once when told', function () {
            const b = new Backoff(policy);
            for (let i = 0; i < 4; i++) b.fail('a', 0);
            assert.equal(b.failures('a', 4999), 4);
            assert.equal(b.failures('a', 5000), 0);
            b.fail('c', 0);
            b.forget('c');
            assert.equal(b.failures('c', 0), 0);
        });

        it('remembers at most maxKeys, forgetting the least recently failed', function () {
            const b = new Backoff(policy);
            for (const k of ['a', 'b', 'c']) b.fail(k, 0);
            b.fail('a', 1);
            b.fail('d', 2);
            assert.deepEqual(
                ['a', 'b', 'c', 'd'].map((k) => b.failures(k, 3)),
                [2, 0, 1, 1],
            );
        });

        it('counts the keys serving a penalty', function () {
            const b = new Backoff(policy);
            for (let i = 0; i < 3; i++) b.fail('a', 0);
            b.fail('b', 0);
            assert.equal(b.blocked(50), 1);
            assert.equal(b.blocked(100), 0);
        });

        it('holds the default address policy to a handful of guesses in the first minute and one a minute after', function () {
            const b = new Backoff(ADDRESS_BACKOFF);
            let now = 0;
            let tries = 0;
            for (; now < 60 * 60_000; now += 10) {
                if (b.wait('x', now) > 0) continue;
                b.fail('x', now);
                tries++;
                if (now < 60_000) assert.ok(tries <= 10, `${tries} in the first minute`);
            }
            assert.ok(tries <= 10 + 60, `${tries} in an hour`);
        });
    });

    describe('PendingPool', function () {
        it('names the oldest item of the key holding the most, and nothing when empty', function () {
            const p = new PendingPool();
            assert.equal(p.victim(), undefined);
            p.add('a', 1);
            p.add('b', 2);
            p.add('b', 3);
            p.add('a', 4);
            p.add('b', 5);
            assert.equal(p.size, 5);
            assert.equal(p.victim(), 2);
            p.remove('b', 2);
            p.remove('b', 3);
            assert.equal(p.victim(), 1, 'a holds the most now');
            p.remove('a', 1);
            p.remove('a', 4);
            p.remove('a', 4);
            assert.equal(p.victim(), 5);
            p.remove('b', 5);
            assert.equal(p.size, 0);
            assert.equal(p.victim(), undefined);
        });
    });

    describe('addressKey', function () {
        it('keys IPv4 by address, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', function () {
            assert.equal(addressKey('10.0.0.2:4000'), '10.0.0.2');
            assert.equal(addressKey('[::ffff:10.0.0.2]:4000'), '10.0.0.2');
            assert.equal(addressKey('[2001:db8:0:1::5]:4000'), '2001:db8:0:1::/64');
            assert.equal(addressKey('[2001:db8:0:1:aa:bb:cc:dd]:1'), '2001:db8:0:1::/64');
            assert.equal(addressKey('[2001:0db8::1]:1'), '2001:db8:0:0::/64');
            assert.equal(addressKey('[::1]:1'), '0:0:0:0::/64');
            assert.equal(addressKey('[2001:db8::1:2:3:10.0.0.1]:1'), '2001:db8:0:1::/64');
        });
    });
});
