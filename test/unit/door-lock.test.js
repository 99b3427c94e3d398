'use strict';
// Property tests: fast-check prints the seed and path of a failure. To replay it, add them to that fc.assert's
// options, `fc.assert(property, { seed, path, endOnFailure: true })`, and run this file alone.
const { StepClock } = require('../helpers/fake-clock');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fc = require('fast-check');
const {
    DoorLock,
    digestCode,
    codeMatches,
    parseSaved,
    parseLockInput,
    roundDuration,
} = require('../../src/core/door-lock/door-lock');
const { parseDoorLockConfig } = require('../../src/core/door-lock/config');
const { fieldsOf } = require('../helpers/types');

class FakeClock extends StepClock {
    constructor() {
        super(1_000_000);
    }
}

const BASE = fieldsOf(parseDoorLockConfig({ location: 'front door' })).config;

/** A started lock on a fake clock, recording what it sends and saves. */
function setup(opts = {}) {
    const clock = opts.clock ?? new FakeClock();
    const states = [];
    const alerts = [];
    const saves = [];
    const errors = [];
    const lock = new DoorLock({
        ...BASE,
        clock,
        onState: (c) => states.push(c),
        onAlert: (a) => alerts.push(a),
        onSave: (s) => saves.push(s),
        onError: (e) => errors.push(e),
        ...opts,
    });
    lock.start();
    return { clock, lock, states, alerts, saves, errors, last: () => saves[saves.length - 1] };
}
const CODE = { codeDigest: digestCode('2468') };

describe('core/door-lock-config', function () {
    it('has fail-secure defaults for a flow saved before any field existed', function () {
        assert.deepEqual(parseDoorLockConfig({}), {
            config: {
                location: '',
                initialState: 'locked',
                feedback: false,
                actuationMs: 0,
                transitionTimeoutMs: 10_000,
                autoRelockMs: 0,
                motionPatterns: ['motion_detected'],
                cooldownMs: 60_000,
                repeatMs: 0,
                maxAttempts: 5,
                lockoutMs: 300_000,
                sendStart: false,
            },
        });
    });

    it('reads every field, seconds as ms, and a pattern list', function () {
        const { config } = fieldsOf(
            parseDoorLockConfig({
                location: ' hall ',
                initialState: 'unlocked',
                feedback: 'true',
                actuation: '1.5',
                transitionTimeout: 3,
                autoRelock: 30,
                motionPatterns: 'home/+/motion_detected,\n door/#',
                cooldown: 0,
                repeat: 90,
                maxAttempts: '3',
                lockout: 60,
                sendStart: true,
            }),
        );
        assert.deepEqual(config, {
            location: 'hall',
            initialState: 'unlocked',
            feedback: true,
            actuationMs: 1500,
            transitionTimeoutMs: 3000,
            autoRelockMs: 30_000,
            motionPatterns: ['home/+/motion_detected', 'door/#'],
            cooldownMs: 0,
            repeatMs: 90_000,
            maxAttempts: 3,
            lockoutMs: 60_000,
            sendStart: true,
        });
    });

    it('never rounds a positive duration down to 0, which would mean off or at once', function () {
        const { config } = fieldsOf(
            parseDoorLockConfig({ transitionTimeout: 0.0001, repeat: 0.0001, lockout: 0.0001 }),
        );
        assert.equal(config.transitionTimeoutMs, 1);
        assert.equal(config.repeatMs, 1);
        assert.equal(config.lockoutMs, 1);
    });

    it('names the field and the fix for every bad value', function () {
        const err = (raw) => fieldsOf(parseDoorLockConfig(raw)).error;
        assert.match(err({ location: 'x'.repeat(257) }), /location is longer than 256 characters/);
        assert.match(err({ location: 5 }), /location must be text/);
        assert.match(err({ initialState: 'jammed' }), /initial state must be locked or unlocked/);
        assert.match(err({ feedback: 'yes' }), /must be true or false/);
        assert.match(err({ sendStart: 1 }), /a checkbox value must be true or false, got/);
        assert.match(err({ actuation: -1 }), /actuation time must be a number of seconds from 0 to 600/);
        assert.match(err({ actuation: 'soon' }), /actuation time/);
        assert.match(err({ transitionTimeout: 0 }), /feedback timeout must be a number of seconds above 0/);
        assert.match(err({ autoRelock: 86401 }), /auto-relock must be a number of seconds from 0 to 86400/);
        assert.match(err({ cooldown: -5 }), /alert cooldown/);
        assert.match(err({ repeat: 'NaN' }), /alert repeat/);
        assert.match(err({ lockout: 0 }), /lockout must be a number of seconds above 0/);
        assert.match(err({ maxAttempts: 0 }), /wrong codes before lockout must be a whole number from 1 to 100/);
        assert.match(err({ maxAttempts: 2.5 }), /wrong codes before lockout/);
        assert.match(err({ motionPatterns: 'a/#/b' }), /motion event pattern "a\/#\/b": # must be a whole level/);
        assert.match(err({ motionPatterns: ['motion'] }), /motion event pattern must be text/);
    });
});

describe('core/door-lock input', function () {
    const P = ['motion_detected', 'home/+/motion'];
    const read = (msg) => fieldsOf(parseLockInput(msg, P));

    it('reads commands from msg.command or a string payload, trimmed and in any case', function () {
        assert.deepEqual(read({ command: 'lock' }), { kind: 'lock' });
        assert.deepEqual(read({ command: ' UNLOCK ', code: '12' }), { kind: 'unlock', code: '12' });
        assert.deepEqual(read({ command: 'unlock' }), { kind: 'unlock', code: undefined });
        assert.deepEqual(read({ payload: 'ack' }), { kind: 'ack' });
        assert.deepEqual(read({ payload: 'Lock', topic: 'door' }), { kind: 'lock' });
        assert.deepEqual(read({ command: 'lock', payload: 'unlock' }), { kind: 'lock' }, 'msg.command comes first');
    });

    it('reads hardware feedback and motion events matching the patterns', function () {
        assert.deepEqual(read({ feedback: 'jammed' }), { kind: 'feedback', state: 'jammed' });
        assert.deepEqual(read({ feedback: ' Locked' }), { kind: 'feedback', state: 'locked' });
        assert.deepEqual(read({ topic: 'motion_detected', payload: true }), { kind: 'motion', seen: true });
        assert.deepEqual(read({ topic: 'home/hall/motion', payload: false }), { kind: 'motion', seen: false });
    });

    it('refuses every other message with a problem naming what was wrong', function () {
        const problem = (msg) => {
            const r = read(msg);
            assert.ok('problem' in r, `expected a problem for ${JSON.stringify(msg)}`);
            return r;
        };
        /** The refusal code, the text's code and its parameters with described values in English. */
        const plain = (r) => ({
            problem: r.problem,
            code: r.text.code,
            params: Object.fromEntries(
                Object.entries(r.text.params).map(([k, v]) => [k, typeof v === 'object' ? v.message : v]),
            ),
        });
        const code = (refusal) => `sensorhub-door-lock.errors.${refusal}`;
        assert.equal(problem({ command: 'lock', feedback: 'locked' }).problem, 'both');
        assert.deepEqual(plain(problem({ command: 1 })), {
            problem: 'command-type',
            code: code('command-type'),
            params: { got: '1' },
        });
        assert.equal(problem({ command: 1 }).text.message, 'msg.command must be a string (lock, unlock or ack), got 1');
        assert.deepEqual(plain(problem({ command: { unlock: true } })).params, { got: 'an object' });
        assert.deepEqual(plain(problem({ command: 'open' })), {
            problem: 'command-unknown',
            code: code('command-unknown'),
            params: { command: '"open"' },
        });
        assert.deepEqual(plain(problem({ payload: 'unlock!' })).params, { command: '"unlock!"' });
        assert.deepEqual(plain(problem({ feedback: null })), {
            problem: 'feedback-type',
            code: code('feedback-type'),
            params: { got: 'null' },
        });
        assert.equal(problem({ feedback: 'open' }).problem, 'feedback-unknown');
        assert.deepEqual(plain(problem({ topic: 'motion_detected', payload: 1 })), {
            problem: 'motion-type',
            code: code('motion-type'),
            params: { topic: '"motion_detected"', got: '1' },
        });
        assert.equal(problem({ topic: 'motion_detected', payload: 'true' }).problem, 'motion-type');
        assert.deepEqual(plain(problem({ topic: 'temperature_update', payload: 21.5 })), {
            problem: 'unknown-message',
            code: code('unknown-message'),
            params: { patterns: 'motion_detected, home/+/motion', topic: '"temperature_update"' },
        });
        assert.equal(plain(problem({})).params.topic, 'nothing');
        assert.equal(problem({ payload: ['unlock'] }).problem, 'unknown-message');
    });

    it('refuses a code of the wrong type without quoting it', function () {
        const got = (msg) => fieldsOf(read(msg).text.params.got).message;
        assert.equal(read({ command: 'unlock', code: 2468 }).problem, 'code-type');
        assert.equal(got({ command: 'unlock', code: 2468 }), 'a number');
        assert.doesNotMatch(read({ command: 'unlock', code: 2468 }).text.message, /2468/);
        assert.equal(got({ payload: 'unlock', code: ['2468'] }), 'an array');
        assert.equal(got({ command: 'unlock', code: null }), 'null');
        assert.deepEqual(read({ command: 'lock', code: 5 }), { kind: 'lock' }, 'lock needs no code');
    });

    it('never reads an unlock from a message that does not say unlock', function () {
        fc.assert(
            fc.property(
                fc.record(
                    {
                        command: fc.oneof(fc.string(), fc.anything()),
                        payload: fc.oneof(fc.string(), fc.boolean(), fc.anything()),
                        feedback: fc.oneof(fc.constantFrom('locked', 'unlocked', 'jammed'), fc.anything()),
                        topic: fc.oneof(fc.constantFrom('motion_detected', 'home/a/motion'), fc.string()),
                        code: fc.anything(),
                    },
                    { requiredKeys: [] },
                ),
                (msg) => {
                    const r = read(msg);
                    if (r.kind !== 'unlock') return;
                    const said = msg.command !== undefined ? msg.command : msg.payload;
                    assert.equal(String(said).trim().toLowerCase(), 'unlock');
                    assert.equal(msg.feedback, undefined);
                },
            ),
            { numRuns: 1000 },
        );
    });
});

describe('core/door-lock', function () {
    describe('without feedback', function () {
        it('starts locked by default, and unlocked when so configured', function () {
            assert.equal(setup().lock.current, 'locked');
            const { lock, states } = setup({ initialState: 'unlocked' });
            assert.equal(lock.current, 'unlocked');
            assert.deepEqual(states, [], 'the initial state is not a change');
        });

        it('locks and unlocks at once, asking the hardware to move, and reports only changes', function () {
            const { lock, states } = setup();
            assert.equal(lock.lock(), false);
            assert.deepEqual(lock.unlock(undefined), { changed: true });
            assert.deepEqual(lock.unlock(undefined), { changed: false });
            assert.equal(lock.lock(), true);
            assert.equal(lock.lock(), false);
            assert.deepEqual(states, [
                { state: 'unlocked', previous: 'locked', reason: 'command', actuate: 'unlock' },
                { state: 'locked', previous: 'unlocked', reason: 'command', actuate: 'lock' },
            ]);
        });

        it('takes the actuation time in locking and unlocking, and can be turned around midway', function () {
            const { lock, states, clock } = setup({ actuationMs: 2000 });
            lock.unlock(undefined);
            assert.equal(lock.current, 'unlocking');
            clock.advance(1999);
            assert.equal(lock.current, 'unlocking');
            clock.advance(1);
            assert.equal(lock.current, 'unlocked');
            lock.lock();
            clock.advance(500);
            lock.unlock(undefined);
            clock.advance(2000);
            assert.deepEqual(
                states.map((s) => [s.state, s.reason, s.actuate]),
                [
                    ['unlocking', 'command', 'unlock'],
                    ['unlocked', 'command', undefined],
                    ['locking', 'command', 'lock'],
                    ['unlocking', 'command', 'unlock'],
                    ['unlocked', 'command', undefined],
                ],
            );
        });

        it('refuses feedback: there is no hardware reporting', function () {
            const { lock, states } = setup();
            assert.deepEqual(lock.feedback('unlocked'), { refused: 'feedback-off' });
            assert.equal(lock.current, 'locked');
            assert.deepEqual(states, []);
        });
    });

    describe('with feedback', function () {
        const FB = { feedback: true, transitionTimeoutMs: 5000 };

        it('waits in unlocking for the hardware, then follows its report', function () {
            const { lock, states, clock } = setup(FB);
            lock.unlock(undefined);
            assert.equal(lock.current, 'unlocking');
            clock.advance(4000);
            assert.deepEqual(lock.feedback('unlocked'), { changed: true });
            clock.advance(10_000);
            assert.equal(lock.current, 'unlocked', 'no timeout after the feedback came');
            assert.deepEqual(states[1], { state: 'unlocked', previous: 'unlocking', reason: 'feedback' });
        });

        it('becomes jammed, with an alert, when no feedback comes within the timeout', function () {
            const { lock, states, alerts, clock } = setup(FB);
            lock.unlock(undefined);
            lock.feedback('unlocked');
            lock.lock();
            clock.advance(4999);
            assert.equal(lock.current, 'locking');
            clock.advance(1);
            assert.equal(lock.current, 'jammed');
            assert.deepEqual(states[states.length - 1], { state: 'jammed', previous: 'locking', reason: 'timeout' });
            assert.deepEqual(alerts, [{ reason: 'jammed', location: 'front door', ts: clock.t, state: 'jammed' }]);
        });

        it('takes a jammed report as a jam, and lock or unlock to try again', function () {
            const { lock, alerts, clock } = setup(FB);
            lock.unlock(undefined);
            lock.feedback('jammed');
            assert.equal(lock.current, 'jammed');
            assert.equal(alerts.length, 1);
            assert.deepEqual(lock.feedback('jammed'), { changed: false }, 'a second report is not a new jam');
            assert.equal(alerts.length, 1);
            assert.equal(lock.lock(), true);
            assert.equal(lock.current, 'locking');
            lock.feedback('locked');
            lock.feedback('jammed');
            assert.deepEqual(lock.unlock(undefined), { changed: true });
            assert.equal(lock.current, 'unlocking');
            clock.advance(5000);
            assert.equal(lock.current, 'jammed');
        });

        it('follows reports nobody asked for: a key turned by hand', function () {
            const { lock, states } = setup(FB);
            lock.feedback('unlocked');
            lock.feedback('locked');
            assert.deepEqual(
                states.map((s) => [s.state, s.reason, s.actuate]),
                [
                    ['unlocked', 'feedback', undefined],
                    ['locked', 'feedback', undefined],
                ],
            );
        });
    });

    describe('unlock code', function () {
        it('needs the code: without it or with a wrong one the lock stays locked', function () {
            const { lock, states, alerts, clock } = setup(CODE);
            assert.deepEqual(lock.unlock(undefined), { refused: 'code-required' });
            assert.deepEqual(lock.unlock('1357'), { refused: 'wrong-code', attempts: 1, remaining: 4 });
            assert.deepEqual(lock.unlock(''), { refused: 'wrong-code', attempts: 2, remaining: 3 });
            assert.equal(lock.current, 'locked');
            assert.deepEqual(states, []);
            assert.deepEqual(alerts, [
                {
                    reason: 'wrong_code',
                    location: 'front door',
                    ts: clock.t,
                    state: 'locked',
                    attempts: 1,
                    remaining: 4,
                },
                {
                    reason: 'wrong_code',
                    location: 'front door',
                    ts: clock.t,
                    state: 'locked',
                    attempts: 2,
                    remaining: 3,
                },
            ]);
            assert.deepEqual(lock.unlock('2468'), { changed: true });
            assert.equal(lock.current, 'unlocked');
        });

        it('resets the count on the right code', function () {
            const { lock, last } = setup({ ...CODE, maxAttempts: 2 });
            lock.unlock('0');
            assert.equal(last().attempts, 1);
            lock.unlock('2468');
            assert.equal(last().attempts, 0);
            lock.lock();
            assert.deepEqual(lock.unlock('0'), { refused: 'wrong-code', attempts: 1, remaining: 1 });
        });

        it('locks unlocking out after N wrong codes in a row, for M seconds, even for the right code', function () {
            const { lock, alerts, clock, states } = setup({ ...CODE, maxAttempts: 3, lockoutMs: 60_000 });
            lock.unlock('1');
            lock.unlock('2');
            const t = clock.t;
            assert.deepEqual(lock.unlock('3'), { refused: 'lockout', lockoutMs: 60_000 });
            assert.deepEqual(alerts[2], {
                reason: 'lockout',
                location: 'front door',
                ts: t,
                state: 'locked',
                until: t + 60_000,
            });
            assert.deepEqual(lock.view(), { state: 'locked', lockedOutMs: 60_000 });
            clock.advance(15_000);
            assert.deepEqual(lock.unlock('2468'), { refused: 'locked-out', remainingMs: 45_000 });
            assert.equal(alerts.length, 3, 'attempts during a lockout raise no alert');
            assert.equal(lock.lock(), false, 'locking is always accepted');
            clock.advance(45_000);
            assert.deepEqual(lock.view(), { state: 'locked' });
            assert.deepEqual(lock.unlock('9'), { refused: 'wrong-code', attempts: 1, remaining: 2 }, 'count restarts');
            assert.deepEqual(lock.unlock('2468'), { changed: true });
            assert.deepEqual(states.length, 1);
        });

        it('compares in constant time through equal-length digests, whatever the lengths given', function () {
            const digest = digestCode('2468');
            assert.equal(digest.length, 32);
            assert.equal(codeMatches('2468', digest), true);
            assert.equal(codeMatches('', digest), false);
            assert.equal(codeMatches('2468'.repeat(1000), digest), false);
            assert.equal(codeMatches('2468 ', digest), false, 'compared exactly');
        });

        it('never reaches unlocked or unlocking without a valid unlock, whatever else happens (property)', function () {
            this.timeout(30_000);
            const RIGHT = '2468';
            // Near misses first: a compare that trims, folds case or width, or stops early would take one of these.
            const code = fc.oneof(
                { weight: 3, arbitrary: fc.constantFrom(RIGHT, RIGHT, '246', '24680', ' 2468', '2468 ', '2468\n') },
                { weight: 2, arbitrary: fc.constantFrom('２４６８', '2469', '8642', '', '\u00002468', undefined) },
                { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
            );
            const op = fc.oneof(
                { weight: 2, arbitrary: fc.record({ op: fc.constant('lock') }) },
                { weight: 5, arbitrary: fc.record({ op: fc.constant('unlock'), code }) },
                { weight: 1, arbitrary: fc.record({ op: fc.constant('ack') }) },
                { weight: 1, arbitrary: fc.record({ op: fc.constant('motion'), seen: fc.boolean() }) },
                {
                    weight: 2,
                    arbitrary: fc.record({
                        op: fc.constant('feedback'),
                        state: fc.constantFrom('locked', 'unlocked', 'jammed'),
                    }),
                },
                {
                    weight: 4,
                    arbitrary: fc.record({ op: fc.constant('advance'), ms: fc.integer({ min: 0, max: 120_000 }) }),
                },
                // To the next timer, or a millisecond either side of it: where off-by-one mistakes show.
                { weight: 3, arbitrary: fc.record({ op: fc.constant('timer'), delta: fc.constantFrom(-1, 0, 0, 1) }) },
                { weight: 1, arbitrary: fc.record({ op: fc.constant('restart') }) },
                // A message the lock could not read: fail-secure locks an open lock, and leaves a closed one be.
                {
                    weight: 1,
                    arbitrary: fc.record({
                        op: fc.constant('refuse'),
                        problem: fc.constantFrom('command-unknown', 'unknown-message', 'code-type', 'both'),
                    }),
                },
            );
            const settings = fc.record({
                initialState: fc.constantFrom('locked', 'locked', 'unlocked'),
                feedback: fc.boolean(),
                actuationMs: fc.constantFrom(0, 500, 3000),
                transitionTimeoutMs: fc.constantFrom(1000, 10_000),
                autoRelockMs: fc.constantFrom(0, 1000, 30_000),
                repeatMs: fc.constantFrom(0, 30_000),
                maxAttempts: fc.integer({ min: 1, max: 4 }),
                lockoutMs: fc.constantFrom(1000, 60_000, 300_000),
            });
            fc.assert(
                fc.property(settings, fc.array(op, { maxLength: 50, size: 'max' }), (cfg, ops) => {
                    const clock = new FakeClock();
                    const states = [];
                    const alerts = [];
                    let saved;
                    const make = () => {
                        const lock = new DoorLock({
                            ...BASE,
                            ...cfg,
                            codeDigest: digestCode(RIGHT),
                            clock,
                            saved,
                            onState: (c) => states.push({ ...c, at: clock.t }),
                            onAlert: (a) => alerts.push(a),
                            onSave: (sv) => (saved = sv),
                            onError: (e) => assert.fail(e),
                        });
                        lock.start();
                        return lock;
                    };
                    let lock = make();
                    // The model, from what the test did and what the lock reported: never from the lock's insides.
                    let opened = cfg.initialState === 'unlocked';
                    let unlockedSince = opened ? clock.t : undefined;
                    let wrong = 0;
                    let lockoutUntil;
                    const follow = (from, mayActuateUnlock) => {
                        for (const c of states.slice(from)) {
                            if (c.actuate === 'unlock')
                                assert.ok(mayActuateUnlock, 'the hardware is asked to unlock only by a valid unlock');
                            if (c.state === 'unlocked') unlockedSince = c.at;
                            if (c.state === 'locked' || c.state === 'locking' || c.state === 'jammed') opened = false;
                        }
                    };
                    for (const o of ops) {
                        const before = states.length;
                        const alertsBefore = alerts.length;
                        const was = lock.current;
                        let valid = false;
                        if (o.op === 'unlock') {
                            const now = clock.t;
                            const r = lock.unlock(o.code);
                            if (lockoutUntil !== undefined && now < lockoutUntil) {
                                assert.deepEqual(r, { refused: 'locked-out', remainingMs: lockoutUntil - now });
                            } else {
                                if (lockoutUntil !== undefined) [lockoutUntil, wrong] = [undefined, 0];
                                if (o.code === undefined) assert.deepEqual(r, { refused: 'code-required' });
                                else if (o.code !== RIGHT) {
                                    wrong++;
                                    if (wrong >= cfg.maxAttempts) {
                                        [wrong, lockoutUntil] = [0, now + cfg.lockoutMs];
                                        assert.deepEqual(r, { refused: 'lockout', lockoutMs: cfg.lockoutMs });
                                        assert.deepEqual(
                                            alerts.slice(alertsBefore).map((a) => [a.reason, a.until]),
                                            [['lockout', lockoutUntil]],
                                        );
                                    } else {
                                        const remaining = cfg.maxAttempts - wrong;
                                        assert.deepEqual(r, { refused: 'wrong-code', attempts: wrong, remaining });
                                        assert.deepEqual(
                                            alerts.slice(alertsBefore).map((a) => [a.reason, a.attempts, a.remaining]),
                                            [['wrong_code', wrong, remaining]],
                                        );
                                    }
                                } else {
                                    valid = true;
                                    wrong = 0;
                                    opened = true;
                                    assert.deepEqual(r, { changed: was !== 'unlocked' && was !== 'unlocking' });
                                    assert.ok(['unlocked', 'unlocking'].includes(lock.current), 'a valid unlock opens');
                                }
                            }
                            if (!valid) assert.equal(lock.current, was, 'a refused unlock changes nothing');
                        } else if (o.op === 'feedback') {
                            const r = lock.feedback(o.state);
                            if (!cfg.feedback) assert.deepEqual(r, { refused: 'feedback-off' });
                            // The hardware's report is the truth: a key turned by hand opens the door.
                            else if (o.state === 'unlocked') opened = true;
                        } else if (o.op === 'advance') clock.advance(o.ms);
                        else if (o.op === 'timer') {
                            const next = Math.min(...[...clock.timers.values()].map((x) => x.at));
                            if (Number.isFinite(next)) clock.advance(Math.max(0, next - clock.t + o.delta));
                        } else if (o.op === 'motion') lock.motion(o.seen);
                        else if (o.op === 'refuse') {
                            const open = was === 'unlocked' || was === 'unlocking';
                            assert.equal(lock.refuse(o.problem), open);
                            assert.deepEqual(
                                states.slice(before, before + 1).map((c) => [c.reason, c.actuate]),
                                open ? [[o.problem, 'lock']] : [],
                            );
                            if (!open) assert.equal(lock.current, was, 'a closed lock is left as it was');
                        } else if (o.op === 'restart') {
                            lock.close();
                            assert.equal(clock.timers.size, 0, 'close clears every timer');
                            lock = make();
                        } else lock[o.op]();
                        follow(before, valid);
                        if (lock.current === 'unlocked' || lock.current === 'unlocking')
                            assert.ok(opened, `${lock.current} after ${JSON.stringify(o)} without a valid unlock`);
                        if (lock.current === 'unlocked' && cfg.autoRelockMs > 0)
                            assert.ok(
                                clock.t < /** @type {number} */ (unlockedSince) + cfg.autoRelockMs,
                                'unlocked past the auto-relock',
                            );
                        assert.deepEqual(saved, lock.snapshot(), 'what is saved is the state');
                    }
                    lock.close();
                    assert.equal(clock.timers.size, 0);
                }),
                { numRuns: 1500 },
            );
        });

        it('starts neither unlocked nor unlocking from anything saved, unless a valid save says unlocked (property)', function () {
            const savedLike = fc.record(
                {
                    v: fc.constantFrom(1, 1, 2, '1'),
                    state: fc.oneof(
                        fc.constantFrom('locked', 'unlocked', 'locking', 'unlocking', 'jammed'),
                        fc.string(),
                    ),
                    since: fc.oneof(fc.integer(), fc.double(), fc.constant(null)),
                    attempts: fc.oneof(fc.integer({ min: -2, max: 10 }), fc.double()),
                    lockoutUntil: fc.oneof(fc.constant(null), fc.integer(), fc.double()),
                    motionAlertAt: fc.oneof(fc.constant(null), fc.integer()),
                },
                { requiredKeys: [] },
            );
            fc.assert(
                fc.property(
                    fc.oneof(savedLike, fc.anything()),
                    fc.constantFrom('locked', 'unlocked'),
                    (raw, initialState) => {
                        const { lock } = setup({ saved: raw, initialState, actuationMs: 500 });
                        const parsed = parseSaved(raw);
                        // Nothing saved (undefined) is a first start: the configured initial state then applies.
                        const expected = raw === undefined ? initialState : parsed?.state;
                        if (lock.current === 'unlocked') assert.equal(expected, 'unlocked');
                        assert.notEqual(lock.current, 'unlocking');
                        lock.close();
                    },
                ),
                { numRuns: 1000 },
            );
        });
    });

    describe('auto-relock', function () {
        it('locks again N seconds after unlocking, by command or by feedback', function () {
            const { lock, states, clock } = setup({ autoRelockMs: 30_000, feedback: true, transitionTimeoutMs: 5000 });
            lock.unlock(undefined);
            lock.feedback('unlocked');
            clock.advance(5000);
            assert.deepEqual(lock.view(), { state: 'unlocked', relockInMs: 25_000 });
            clock.advance(25_000);
            assert.equal(lock.current, 'locking');
            assert.deepEqual(states[2], {
                state: 'locking',
                previous: 'unlocked',
                reason: 'auto_relock',
                actuate: 'lock',
            });
            lock.feedback('locked');
            lock.feedback('unlocked');
            clock.advance(30_000);
            assert.equal(lock.current, 'locking');
            assert.equal(states[states.length - 1].reason, 'auto_relock');
        });

        it('is cancelled by a lock before it is due, and off at 0', function () {
            const { lock, states, clock } = setup({ autoRelockMs: 10_000 });
            lock.unlock(undefined);
            clock.advance(5000);
            lock.lock();
            assert.deepEqual(lock.view(), { state: 'locked' });
            clock.advance(60_000);
            assert.equal(states.length, 2);
            const off = setup();
            off.lock.unlock(undefined);
            off.clock.advance(86_400_000);
            assert.equal(off.lock.current, 'unlocked');
        });
    });

    describe('motion alerts', function () {
        it('alerts on motion while locked, with its location, once per cooldown window', function () {
            const { lock, alerts, clock } = setup({ cooldownMs: 60_000 });
            const t0 = clock.t;
            assert.equal(lock.motion(true), true);
            for (let i = 0; i < 59; i++) {
                clock.advance(1000);
                assert.equal(lock.motion(true), false);
            }
            clock.advance(1000);
            assert.equal(lock.motion(true), true);
            assert.deepEqual(
                alerts.map((a) => [a.reason, a.location, a.ts - t0, a.state]),
                [
                    ['motion_while_locked', 'front door', 0, 'locked'],
                    ['motion_while_locked', 'front door', 60_000, 'locked'],
                ],
            );
        });

        it('stamps a motion alert with the instant its cooldown counts from, however long saving takes', function () {
            // Saving the state (a context write) may take a while on a busy machine: the clock moves during it.
            let clock;
            ({ clock } = setup());
            const { lock, alerts } = setup({ cooldownMs: 300, clock, onSave: () => clock.advance(7) });
            const t0 = clock.t;
            assert.equal(lock.motion(true), true);
            clock.advance(300 - 7);
            assert.equal(lock.motion(true), true);
            assert.deepEqual(
                alerts.map((a) => a.ts - t0),
                [0, 300],
                'alerts exactly one cooldown apart',
            );
        });

        it('does not alert on no motion, nor while unlocked, locking, unlocking or jammed', function () {
            const { lock, alerts } = setup({ feedback: true, cooldownMs: 0 });
            assert.equal(lock.motion(false), false);
            lock.unlock(undefined);
            assert.equal(lock.motion(true), false, 'unlocking');
            lock.feedback('unlocked');
            assert.equal(lock.motion(true), false, 'unlocked');
            lock.lock();
            assert.equal(lock.motion(true), false, 'locking');
            lock.feedback('jammed');
            alerts.length = 0;
            assert.equal(lock.motion(true), false, 'jammed');
            lock.feedback('locked');
            assert.equal(lock.motion(true), true, 'locked');
            assert.equal(lock.motion(true), true, 'no cooldown at 0');
            assert.equal(alerts.length, 2);
        });

        it('ends a cooldown when the clock was set back, rather than stretching it', function () {
            const { lock, clock } = setup();
            lock.motion(true);
            clock.t -= 3_600_000;
            assert.equal(lock.motion(true), true);
        });
    });

    describe('repeat until acknowledged', function () {
        it('repeats the latest alert every N seconds until ack', function () {
            const { lock, alerts, clock } = setup({ repeatMs: 10_000 });
            lock.motion(true);
            assert.deepEqual(lock.view(), { state: 'locked', pendingAlert: 'motion_while_locked' });
            clock.advance(25_000);
            assert.deepEqual(
                alerts.map((a) => a.repeat),
                [undefined, 1, 2],
            );
            assert.equal(alerts[2].ts, alerts[0].ts + 20_000);
            assert.equal(lock.ack(), true);
            assert.equal(lock.ack(), false, 'nothing left to acknowledge');
            clock.advance(100_000);
            assert.equal(alerts.length, 3);
            assert.deepEqual(lock.view(), { state: 'locked' });
        });

        it('stops repeating a jam once the lock leaves jammed', function () {
            const { lock, alerts, clock } = setup({ repeatMs: 1000, feedback: true });
            lock.unlock(undefined);
            lock.feedback('jammed');
            clock.advance(2000);
            assert.equal(alerts.length, 3);
            lock.feedback('locked');
            clock.advance(5000);
            assert.equal(alerts.length, 3);
            assert.equal(lock.ack(), false);
        });

        it('sends an alert once when repeat is off, and ack does nothing', function () {
            const { lock, alerts, clock } = setup();
            lock.motion(true);
            clock.advance(600_000);
            assert.equal(alerts.length, 1);
            assert.equal(lock.ack(), false);
        });
    });

    describe('saved state', function () {
        const saved = (over) => ({
            v: 1,
            state: 'locked',
            since: 1_000_000,
            attempts: 0,
            lockoutUntil: null,
            motionAlertAt: null,
            ...over,
        });

        it('saves every change, and a saved lock resumes its state silently', function () {
            const a = setup();
            a.lock.unlock(undefined);
            assert.deepEqual(a.last(), saved({ state: 'unlocked' }));
            const b = setup({ saved: a.last(), initialState: 'locked' });
            assert.equal(b.lock.current, 'unlocked', 'the saved state wins over the initial state');
            assert.deepEqual(b.states, []);
        });

        it('says the state it starts in with sendStart (saved or initial), and only the restore for a cut transition', function () {
            const start = (state) => ({ state, previous: state, reason: 'start' });
            assert.deepEqual(setup({ sendStart: true }).states, [start('locked')]);
            assert.deepEqual(setup({ sendStart: true, initialState: 'unlocked' }).states, [start('unlocked')]);
            assert.deepEqual(setup({ sendStart: true, saved: saved({ state: 'jammed' }) }).states, [start('jammed')]);
            assert.deepEqual(setup({ sendStart: true, saved: saved({ state: 'unlocking' }) }).states, [
                { state: 'locked', previous: 'unlocking', reason: 'restore', actuate: 'lock' },
            ]);
            const overdue = setup({
                sendStart: true,
                autoRelockMs: 1000,
                saved: saved({ state: 'unlocked', since: 0 }),
            });
            overdue.clock.advance(0);
            assert.deepEqual(
                overdue.states.map((c) => c.reason),
                ['start', 'auto_relock'],
                'the start state first, then the relock it owed',
            );
            assert.deepEqual(setup({ initialState: 'unlocked' }).states, [], 'silent without sendStart');
        });

        it('locks again a transition cut short, asking the hardware, fail-secure', function () {
            for (const state of ['unlocking', 'locking']) {
                const quick = setup({ saved: saved({ state }) });
                assert.deepEqual(quick.states, [
                    { state: 'locked', previous: state, reason: 'restore', actuate: 'lock' },
                ]);
                const fb = setup({ saved: saved({ state }), feedback: true, transitionTimeoutMs: 1000 });
                assert.deepEqual(fb.states, [
                    { state: 'locking', previous: state, reason: 'restore', actuate: 'lock' },
                ]);
                fb.clock.advance(1000);
                assert.equal(fb.lock.current, 'jammed');
            }
        });

        it('resumes the auto-relock countdown where it was, relocking at once when overdue', function () {
            const clock = new FakeClock();
            const resumed = setup({
                clock,
                autoRelockMs: 30_000,
                saved: saved({ state: 'unlocked', since: clock.t - 20_000 }),
            });
            assert.deepEqual(resumed.lock.view(), { state: 'unlocked', relockInMs: 10_000 });
            clock.advance(10_000);
            assert.equal(resumed.lock.current, 'locked');
            const overdue = setup({ autoRelockMs: 30_000, saved: saved({ state: 'unlocked', since: 0 }) });
            overdue.clock.advance(0);
            assert.deepEqual(overdue.states, [
                { state: 'locked', previous: 'unlocked', reason: 'auto_relock', actuate: 'lock' },
            ]);
        });

        it('keeps a lockout and the wrong-code count, but never longer than the lockout lasts', function () {
            const clock = new FakeClock();
            const kept = setup({ ...CODE, clock, saved: saved({ lockoutUntil: clock.t + 100_000, attempts: 0 }) });
            assert.equal(fieldsOf(kept.lock.unlock('2468')).refused, 'locked-out');
            clock.advance(100_000);
            assert.deepEqual(kept.lock.unlock('2468'), { changed: true });
            const skewed = setup({ ...CODE, lockoutMs: 60_000, saved: saved({ lockoutUntil: 1e15 }) });
            assert.deepEqual(skewed.lock.view(), { state: 'locked', lockedOutMs: 60_000 });
            const counted = setup({ ...CODE, maxAttempts: 3, saved: saved({ attempts: 2 }) });
            assert.deepEqual(counted.lock.unlock('0'), { refused: 'lockout', lockoutMs: 300_000 });
            const noCode = setup({ saved: saved({ lockoutUntil: 1e15, attempts: 4 }) });
            assert.deepEqual(
                noCode.lock.unlock(undefined),
                { changed: true },
                'no code configured: nothing locked out',
            );
        });

        it('keeps the motion cooldown across a redeploy', function () {
            const a = setup();
            a.lock.motion(true);
            const b = setup({ clock: a.clock, saved: a.last() });
            assert.equal(b.lock.motion(true), false);
        });

        it('starts locked, whatever the initial state, from saved data it cannot read', function () {
            for (const bad of [
                null,
                'locked',
                { v: 2 },
                saved({ state: 'open' }),
                saved({ since: 'x' }),
                saved({ attempts: -1 }),
                saved({ lockoutUntil: 'soon' }),
            ]) {
                const { lock, last } = setup({ initialState: 'unlocked', saved: bad });
                assert.equal(lock.restoredInvalid, true, JSON.stringify(bad));
                assert.equal(lock.current, 'locked');
                assert.equal(last().state, 'locked');
                assert.equal(parseSaved(bad), undefined);
            }
            assert.equal(setup({ saved: undefined }).lock.restoredInvalid, false);
        });
    });

    describe('metrics', function () {
        it('starts with its state and no counts', function () {
            assert.deepEqual(setup().lock.metrics(), {
                state: 'locked',
                lockedOut: false,
                alertsRaised: 0,
                wrongCodes: 0,
                lockouts: 0,
                jams: 0,
                refusedMessages: 0,
            });
        });

        it('counts wrong codes, lockouts and their alerts, and says while unlocking is locked out', function () {
            const { lock, clock } = setup({ ...CODE, maxAttempts: 3, lockoutMs: 60_000 });
            lock.unlock('1');
            lock.unlock('2');
            assert.deepEqual(
                [lock.metrics().wrongCodes, lock.metrics().alertsRaised, lock.metrics().lockedOut],
                [2, 2, false],
            );
            lock.unlock('3');
            let m = lock.metrics();
            assert.deepEqual([m.wrongCodes, m.lockouts, m.alertsRaised, m.lockedOut], [3, 1, 3, true]);
            clock.advance(60_000);
            m = lock.metrics();
            assert.deepEqual([m.lockouts, m.lockedOut], [1, false]);
            lock.unlock('2468');
            assert.equal(lock.metrics().state, 'unlocked');
        });

        it('counts each time the lock becomes jammed, not repeated reports, and alerts without repeats', function () {
            const { lock, clock } = setup({ feedback: true, transitionTimeoutMs: 5000, repeatMs: 1000 });
            lock.unlock(undefined);
            clock.advance(5000);
            lock.feedback('jammed');
            clock.advance(3000);
            assert.deepEqual(
                [lock.metrics().state, lock.metrics().jams, lock.metrics().alertsRaised],
                ['jammed', 1, 1],
            );
            lock.lock();
            lock.feedback('jammed');
            assert.deepEqual([lock.metrics().jams, lock.metrics().alertsRaised], [2, 2]);
        });

        it('counts motion alerts', function () {
            const { lock } = setup();
            lock.motion(true);
            assert.equal(lock.metrics().alertsRaised, 1);
        });
    });

    describe('fail-secure on messages it cannot read', function () {
        /** @type {Parameters<import('../../src/core/door-lock/door-lock').DoorLock['refuse']>[0][]} */
        const PROBLEMS = [
            'command-type',
            'command-unknown',
            'feedback-type',
            'feedback-unknown',
            'both',
            'code-type',
            'motion-type',
            'unknown-message',
        ];

        it('locks an unlocked lock at once, asking the hardware, with the problem as the reason', function () {
            for (const problem of PROBLEMS) {
                const { lock, states } = setup({ initialState: 'unlocked' });
                assert.equal(lock.refuse(problem), true);
                assert.equal(lock.current, 'locked');
                assert.deepEqual(states, [{ state: 'locked', previous: 'unlocked', reason: problem, actuate: 'lock' }]);
            }
        });

        it('turns an unlocking lock around, and ends the auto-relock countdown', function () {
            const { lock, states, clock } = setup({ actuationMs: 2000, autoRelockMs: 30_000 });
            lock.unlock(undefined);
            clock.advance(500);
            assert.equal(lock.refuse('command-unknown'), true);
            assert.equal(lock.current, 'locking');
            clock.advance(2000);
            assert.equal(lock.current, 'locked');
            assert.deepEqual(
                states.map((s) => [s.state, s.reason, s.actuate]),
                [
                    ['unlocking', 'command', 'unlock'],
                    ['locking', 'command-unknown', 'lock'],
                    ['locked', 'command-unknown', undefined],
                ],
            );
            assert.equal(clock.timers.size, 0, 'no relock left to run');
        });

        it('with feedback, waits for the hardware to report locked, as a lock command does', function () {
            const { lock, states } = setup({ feedback: true, transitionTimeoutMs: 5000 });
            lock.unlock(undefined);
            lock.feedback('unlocked');
            lock.refuse('motion-type');
            assert.equal(lock.current, 'locking');
            lock.feedback('locked');
            assert.deepEqual(
                states.slice(2).map((s) => [s.state, s.reason, s.actuate]),
                [
                    ['locking', 'motion-type', 'lock'],
                    ['locked', 'feedback', undefined],
                ],
            );
        });

        it('leaves a lock that is locked, locking or jammed alone: no state change, no actuation', function () {
            const locked = setup();
            assert.equal(locked.lock.refuse('unknown-message'), false);
            assert.deepEqual(locked.states, []);
            assert.equal(locked.lock.metrics().refusedMessages, 1, 'counted even when there is nothing to secure');
            const locking = setup({ initialState: 'unlocked', actuationMs: 1000 });
            locking.lock.lock();
            assert.equal(locking.lock.refuse('both'), false);
            assert.deepEqual(
                locking.states.map((s) => s.state),
                ['locking'],
            );
            const jammed = setup({ feedback: true, transitionTimeoutMs: 5000 });
            jammed.lock.feedback('jammed');
            assert.equal(jammed.lock.refuse('command-type'), false);
            assert.equal(jammed.lock.current, 'jammed');
            assert.equal(jammed.states.length, 1);
        });

        it('never stays unlocked or unlocking after a message parseLockInput refuses (property)', function () {
            const message = fc.record(
                {
                    command: fc.oneof(fc.constantFrom('lock', 'unlock', 'ack', 'open'), fc.anything()),
                    payload: fc.oneof(fc.constantFrom('lock', 'unlock', true, false), fc.anything()),
                    feedback: fc.oneof(fc.constantFrom('locked', 'unlocked', 'jammed'), fc.anything()),
                    topic: fc.oneof(fc.constantFrom('motion_detected', 'temperature_update'), fc.string()),
                    code: fc.oneof(fc.constant('2468'), fc.anything()),
                },
                { requiredKeys: [] },
            );
            fc.assert(
                fc.property(message, fc.constantFrom('unlocked', 'unlocking'), fc.boolean(), (msg, from, feedback) => {
                    const { lock, states, clock } = setup({
                        feedback,
                        actuationMs: 1000,
                        transitionTimeoutMs: 5000,
                    });
                    lock.unlock(undefined);
                    if (from === 'unlocked' && feedback) lock.feedback('unlocked');
                    else if (from === 'unlocked') clock.advance(1000);
                    assert.equal(lock.current, from);
                    const input = parseLockInput(msg, ['motion_detected']);
                    if (!('problem' in input)) return;
                    const before = states.length;
                    lock.refuse(input.problem);
                    assert.ok(['locking', 'locked'].includes(lock.current), `${lock.current} after a bad message`);
                    assert.deepEqual(
                        states.slice(before).map((s) => [s.reason, s.actuate]),
                        [[input.problem, 'lock']],
                    );
                    lock.close();
                }),
                { numRuns: 1000 },
            );
        });
    });

    describe('fail-secure on internal errors', function () {
        it('ends locked when reporting an unlock throws, and rethrows', function () {
            let calls = 0;
            const states = [];
            const { lock } = setup({
                onState: (c) => {
                    states.push(c);
                    if (++calls === 1) throw new Error('wire on fire');
                },
            });
            assert.throws(() => lock.unlock(undefined), /wire on fire/);
            assert.equal(lock.current, 'locked');
            assert.deepEqual(states[1], { state: 'locked', previous: 'unlocked', reason: 'error', actuate: 'lock' });
        });

        it('ends locked when the code comparison itself throws, even with the right code', function () {
            const { lock, states } = setup(CODE);
            const real = crypto.timingSafeEqual;
            crypto.timingSafeEqual = () => {
                throw new Error('crypto unavailable');
            };
            try {
                assert.throws(() => lock.unlock('2468'), /crypto unavailable/);
            } finally {
                crypto.timingSafeEqual = real;
            }
            assert.equal(lock.current, 'locked');
            assert.deepEqual(states, []);
        });

        it('ends locked when a timer fails, reporting through onError', function () {
            let fail = false;
            const { lock, errors, clock, states } = setup({
                actuationMs: 1000,
                onState: (c) => {
                    states.push(c);
                    if (fail) throw new Error('late failure');
                },
            });
            lock.unlock(undefined);
            fail = true;
            clock.advance(1000);
            assert.equal(lock.current, 'locked');
            assert.match(errors[0].message, /late failure/);
        });

        it('stays locked when raising an alert throws, and a failing save does not stop fail-secure', function () {
            let failing = false;
            const { lock } = setup({
                feedback: true,
                onAlert: () => {
                    throw new Error('alert failed');
                },
                onSave: () => {
                    if (failing) throw new Error('disk full');
                },
            });
            assert.throws(() => lock.motion(true), /alert failed/);
            assert.equal(lock.current, 'locked');
            lock.unlock(undefined);
            failing = true;
            assert.throws(() => lock.feedback('jammed'), /disk full/);
            assert.equal(lock.current, 'locked');
        });
    });

    it('clears every timer on close and does nothing after', function () {
        const { lock, clock, states, alerts } = setup({
            ...CODE,
            maxAttempts: 1,
            actuationMs: 1000,
            repeatMs: 1000,
            autoRelockMs: 5000,
        });
        lock.unlock('x');
        lock.lock();
        lock.motion(true);
        assert.ok(clock.timers.size > 0);
        lock.close();
        assert.equal(clock.timers.size, 0);
        const before = [states.length, alerts.length];
        clock.advance(1_000_000);
        assert.deepEqual([states.length, alerts.length], before);
        const relocking = setup({ autoRelockMs: 5000, feedback: true });
        relocking.lock.unlock(undefined);
        relocking.lock.feedback('unlocked');
        relocking.lock.close();
        assert.equal(relocking.clock.timers.size, 0);
    });

    it('rounds durations up for the status', function () {
        assert.deepEqual(roundDuration(0), { n: 0, unit: 's' });
        assert.deepEqual(roundDuration(24_001), { n: 25, unit: 's' });
        assert.deepEqual(roundDuration(119_000), { n: 119, unit: 's' });
        assert.deepEqual(roundDuration(240_000), { n: 4, unit: 'min' });
        assert.deepEqual(roundDuration(7_200_000), { n: 2, unit: 'h' });
    });
});
