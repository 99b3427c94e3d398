'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const {
    helper,
    coreNode,
    version,
    sink,
    collect,
    errorsLogged,
    lastStatus,
    TAB,
    catcher,
    shipped,
    doorLockDef,
    recorder,
    hubToLaterTab,
} = require('../helpers/node-red');
const { until, sleep } = require('../helpers/wait');
const lockNodes = shipped('door-lock');
const hubNodes = shipped('hub');
const sensorNodes = shipped('sensor');

const catchNode = coreNode('common/25-catch.js');

const CODE = '2468';

function doorLock(extra = {}) {
    return doorLockDef({ id: 'L', wires: [['state'], ['alert']], ...extra });
}

/**
 * Loads a door lock (with extra nodes) and collects its outputs and what a catch node catches.
 * @param {object} [extra]
 * @param {{ credentials?: object, nodes?: object[], types?: unknown[] }} [more]
 */
async function load(extra = {}, { credentials = {}, nodes = [], types = [] } = {}) {
    await helper.load(
        [lockNodes, catchNode, ...types],
        [TAB, doorLock(extra), sink('state'), sink('alert'), catcher(), sink('caught'), ...nodes],
        credentials,
    );
    return {
        lock: helper.getNode('L'),
        states: collect(helper.getNode('state')),
        alerts: collect(helper.getNode('alert')),
        caught: collect(helper.getNode('caught')),
    };
}

/**
 * Makes every node's context a store like a database while `load` runs: reads answer 50 ms late, and for node
 * `failing` with an error; what `load` resolves to.
 * @template T
 * @param {() => Promise<T>} load
 * @param {string} [failing]
 */
async function withSlowStore(load, failing) {
    const proto = helper._NodePrototype;
    const realContext = proto.context;
    proto.context = function () {
        const ctx = realContext.call(this);
        const id = this.id;
        return {
            get: (key, cb) =>
                setTimeout(() => (id === failing ? cb(new Error('store offline')) : ctx.get(key, cb)), 50),
            set: (key, value, cb) => ctx.set(key, value, cb),
        };
    };
    try {
        return await load();
    } finally {
        proto.context = realContext;
    }
}

/** A lock's state as its node saves it in context, `state` since now. */
const savedLock = (state) => ({ v: 1, state, since: Date.now(), attempts: 0, lockoutUntil: null, motionAlertAt: null });

const statusText = (node) => lastStatus(node)?.text;
/** The error a catch node received, without the "Error: " Node-RED puts in front. */
const why = (msg) => msg.error.message.replace(/^Error: /, '');

describe(`sensorhub-door-lock on Node-RED ${version}`, function () {
    // The status is redrawn at most once a second: waiting for one can take that long.
    this.timeout(20000);
    beforeEach(function (done) {
        helper.startServer(done);
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    it('locks and unlocks by msg.command or payload, sending each state change once', async function () {
        const { lock, states } = await load();
        await until(() => statusText(lock) === 'locked', 'the locked status');
        assert.deepEqual(lastStatus(lock), { fill: 'green', shape: 'dot', text: 'locked' });
        lock.receive({ command: 'unlock' });
        lock.receive({ payload: 'unlock' });
        lock.receive({ payload: 'LOCK' });
        lock.receive({ command: 'lock' });
        lock.receive({ command: 'unlock' });
        await until(() => states.length === 3, 'three state changes');
        assert.deepEqual(
            states.map((m) => [m.topic, m.payload, m.reason, m.previous, m.actuate]),
            [
                ['lock_state', { state: 'unlocked' }, 'command', 'locked', 'unlock'],
                ['lock_state', { state: 'locked' }, 'command', 'unlocked', 'lock'],
                ['lock_state', { state: 'unlocked' }, 'command', 'locked', 'unlock'],
            ],
        );
        await until(() => statusText(lock) === 'unlocked', 'the unlocked status');
        assert.equal(lastStatus(lock).fill, 'yellow');
    });

    it('refuses unknown commands, malformed messages and wrong types through done(err), never unlocking', async function () {
        const { lock, states, caught } = await load({}, { credentials: { L: { code: CODE } } });
        const bad = [
            { command: 'open' },
            { command: 5 },
            { command: ['unlock'] },
            { payload: 42 },
            { payload: 'unlock please' },
            { topic: 'temperature_update', payload: 21 },
            { command: 'unlock', feedback: 'unlocked' },
            { feedback: 'unlocked' },
            { feedback: 7 },
            { topic: 'motion_detected', payload: 'yes' },
            { command: 'unlock', code: 2468 },
            { command: 'unlock' },
        ];
        for (const msg of bad) lock.receive(msg);
        await until(() => caught.length === bad.length, 'an error per bad message');
        assert.deepEqual(caught.map(why), [
            'Unknown command "open": use lock, unlock or ack',
            'msg.command must be a string (lock, unlock or ack), got 5',
            'msg.command must be a string (lock, unlock or ack), got an array',
            'Message not understood: send msg.command (lock, unlock or ack), msg.feedback (locked, unlocked or jammed), or a motion event whose topic matches motion_detected (got topic nothing)',
            'Unknown command "unlock please": use lock, unlock or ack',
            'Message not understood: send msg.command (lock, unlock or ack), msg.feedback (locked, unlocked or jammed), or a motion event whose topic matches motion_detected (got topic "temperature_update")',
            'A message carries a command or hardware feedback, not both: send msg.command and msg.feedback separately',
            'Hardware feedback is off in this node\'s settings: msg.feedback "unlocked" was ignored',
            'msg.feedback must be a string (locked, unlocked or jammed), got 7',
            'A motion event (topic "motion_detected") needs msg.payload true or false, got the string "yes"',
            'msg.code must be a string, got a number; nothing was unlocked',
            'This lock needs a code to unlock: set msg.code',
        ]);
        assert.equal(states.length, 0);
        assert.equal(statusText(lock), 'locked');
        lock.receive({ command: 'unlock', code: CODE });
        await until(() => states.length === 1, 'the right code still unlocks');
        assert.equal(states[0].payload.state, 'unlocked');
    });

    it('locks an unlocked lock on an unknown command, a malformed message or a wrong type, saying why', async function () {
        const { lock, states, caught } = await load(
            { initialState: 'unlocked' },
            { credentials: { L: { code: CODE } } },
        );
        const bad = [
            [{ command: 'open' }, 'command-unknown', /^Unknown command "open"/],
            [{ payload: 'unlock please' }, 'command-unknown', /^Unknown command "unlock please"/],
            [{ command: 5 }, 'command-type', /^msg.command must be a string/],
            [{ payload: 42 }, 'unknown-message', /^Message not understood/],
            [{ topic: 'temperature_update', payload: 21 }, 'unknown-message', /got topic "temperature_update"/],
            [{ command: 'unlock', feedback: 'unlocked' }, 'both', /not both/],
            [{ feedback: 7 }, 'feedback-type', /^msg.feedback must be a string/],
            [{ feedback: 'open' }, 'feedback-unknown', /^Unknown feedback "open"/],
            [{ topic: 'motion_detected', payload: 'yes' }, 'motion-type', /needs msg.payload true or false/],
            [{ command: 'unlock', code: 2468 }, 'code-type', /^msg.code must be a string/],
        ];
        for (const [i, [msg, problem, text]] of /** @type {Array<[object, string, RegExp]>} */ (bad).entries()) {
            if (i > 0) {
                lock.receive({ command: 'unlock', code: CODE });
                await until(() => states.length === 2 * i, `unlocked again before message ${i}`);
            }
            lock.receive(msg);
            await until(() => caught.length === i + 1 && states.length === 2 * i + 1, `the refusal of message ${i}`);
            assert.match(why(caught[i]), text);
            assert.deepEqual(
                [states.at(-1).payload, states.at(-1).previous, states.at(-1).reason, states.at(-1).actuate],
                [{ state: 'locked' }, 'unlocked', problem, 'lock'],
                JSON.stringify(msg),
            );
        }
        await until(() => statusText(lock) === 'locked', 'the locked status');
    });

    it('turns an unlocking lock around on a message it cannot read, and leaves a locked one be', async function () {
        const { lock, states, caught } = await load({ actuation: 30 });
        lock.receive({ command: 'lock' });
        lock.receive({ command: 'bogus' });
        await until(() => caught.length === 1, 'the refusal while locked');
        assert.equal(states.length, 0, 'no actuation for a lock that is locked');
        lock.receive({ command: 'unlock' });
        lock.receive({ payload: { open: true } });
        await until(() => states.length === 2 && caught.length === 2, 'unlocking, then locking again');
        assert.deepEqual(
            states.map((m) => [m.payload.state, m.reason, m.actuate]),
            [
                ['unlocking', 'command', 'unlock'],
                ['locking', 'unknown-message', 'lock'],
            ],
        );
    });

    it('stays locked, or locks, when the state machine fails inside, reporting the error', async function () {
        const { lock, states, caught } = await load(
            { initialState: 'unlocked' },
            { credentials: { L: { code: CODE } } },
        );
        const real = crypto.timingSafeEqual;
        crypto.timingSafeEqual = () => {
            throw new Error('crypto unavailable');
        };
        try {
            lock.receive({ command: 'unlock', code: CODE });
            await until(() => caught.length === 1, 'the internal error');
        } finally {
            crypto.timingSafeEqual = real;
        }
        assert.equal(why(caught[0]), 'Internal error, the lock stays locked: crypto unavailable');
        await until(() => states.length === 1, 'the fail-secure lock');
        assert.deepEqual(
            [states[0].payload, states[0].reason, states[0].actuate],
            [{ state: 'locked' }, 'error', 'lock'],
        );
        await until(() => statusText(lock) === 'locked', 'the locked status');
    });

    it('needs the credential code; wrong codes alert and err, then lock unlocking out; the code is never shown', async function () {
        const { lock, states, alerts, caught } = await load(
            { maxAttempts: 2, lockout: 2 },
            { credentials: { L: { code: CODE } } },
        );
        lock.receive({ command: 'unlock', code: '1111' });
        await until(() => caught.length === 1 && alerts.length === 1, 'the first wrong code');
        assert.equal(why(caught[0]), 'Wrong unlock code (1 in a row; 1 more lock unlocking out)');
        assert.equal('code' in caught[0], false, 'msg.code is removed before the catch node sees the message');
        assert.equal(alerts[0].topic, 'door_alert');
        assert.deepEqual(
            [alerts[0].payload.reason, alerts[0].payload.location, alerts[0].payload.attempts],
            ['wrong_code', 'front door', 1],
        );
        assert.equal(typeof alerts[0].payload.ts, 'number');
        lock.receive({ payload: 'unlock', code: '2222' });
        await until(() => caught.length === 2 && alerts.length === 2, 'the lockout');
        assert.equal(why(caught[1]), 'Wrong unlock code: too many in a row, unlocking is locked out for 2 s');
        assert.equal(alerts[1].payload.reason, 'lockout');
        assert.equal(typeof alerts[1].payload.until, 'number');
        lock.receive({ command: 'unlock', code: CODE });
        await until(() => caught.length === 3, 'the refusal during the lockout');
        assert.match(why(caught[2]), /^Unlocking is locked out for another \d s after repeated wrong codes$/);
        await until(() => /^locked · locked out \d s$/.test(statusText(lock) ?? ''), 'the lockout status');
        assert.equal(lastStatus(lock).fill, 'red');
        assert.equal(states.length, 0);
        await until(() => statusText(lock) === 'locked', 'the end of the lockout');
        lock.receive({ command: 'unlock', code: CODE });
        await until(() => states.length === 1, 'unlocked with the right code');
        const logged = helper
            .log()
            .args.map((a) => JSON.stringify(a[0]))
            .join('\n');
        for (const code of ['1111', '2222', CODE]) assert.equal(logged.includes(code), false, 'no code in the log');
    });

    it('raises one door_alert per cooldown window for motion while locked, arriving through the hub', async function () {
        const hub = { id: 'hub1', type: 'sensorhub-hub', backend: 'local', queueLimit: 1000, overflow: 'drop-oldest' };
        const { lock, alerts, caught } = await load(
            { cooldown: 0.3, wires: [['state'], ['alert']] },
            {
                types: [hubNodes, sensorNodes],
                nodes: [
                    hub,
                    {
                        id: 'nPir',
                        type: 'sensorhub-sensor',
                        z: 'f1',
                        sensorId: 'pir',
                        kind: 'motion',
                        unit: '',
                        location: 'hall',
                        source: 'msg',
                        wires: [['pub']],
                    },
                    { id: 'pub', type: 'sensorhub-publish', z: 'f1', hub: 'hub1', eventType: '', wires: [] },
                    {
                        id: 'sub',
                        type: 'sensorhub-subscribe',
                        z: 'f1',
                        hub: 'hub1',
                        patterns: 'motion_detected',
                        wires: [['L']],
                    },
                ],
            },
        );
        const pir = helper.getNode('nPir');
        for (let i = 0; i < 5; i++) pir.receive({ payload: true });
        pir.receive({ payload: false });
        await until(() => alerts.length === 1, 'one alert for the burst');
        assert.deepEqual(
            [alerts[0].topic, alerts[0].payload.reason, alerts[0].payload.location, alerts[0].payload.state],
            ['door_alert', 'motion_while_locked', 'front door', 'locked'],
        );
        // Motion goes on; a new window opens 0.3 s after the first alert.
        while (alerts.length < 3) {
            pir.receive({ payload: true });
            await sleep(20);
        }
        for (let i = 1; i < alerts.length; i++)
            assert.ok(alerts[i].payload.ts - alerts[i - 1].payload.ts >= 300, 'at most one alert per window');
        lock.receive({ command: 'unlock' });
        const before = alerts.length;
        await until(() => statusText(lock) === 'unlocked', 'unlocked');
        pir.receive({ payload: true });
        await sleep(400);
        pir.receive({ payload: true });
        await sleep(50);
        assert.equal(alerts.length, before, 'no alert while unlocked');
        assert.equal(caught.length, 0);
    });

    it('with Send at start, says its state once the flows have started, to a hub subscriber on a later tab', async function () {
        const { got, register } = recorder(['state', 'dash']);
        await helper.load(
            [lockNodes, hubNodes, register],
            [
                TAB,
                doorLock({ sendStart: true, wires: [['rec', 'pub'], []] }),
                { id: 'rec', type: 'recorder', z: 'f1', name: 'state', x: 1, y: 1, wires: [] },
                ...hubToLaterTab('lock_state'),
            ],
        );
        await until(() => got.state.length === 1 && got.dash.length === 1, 'the start state on both');
        for (const msg of [got.state[0], got.dash[0]]) {
            assert.equal(msg.topic, 'lock_state');
            assert.deepEqual(msg.payload, { state: 'locked' });
            assert.equal(msg.reason, 'start');
            assert.equal(msg.previous, 'locked');
            assert.equal(msg.actuate, undefined, 'nothing moves');
        }
        helper.getNode('L').receive({ command: 'unlock' });
        await until(() => got.dash.length === 2, 'the next change');
        assert.deepEqual(
            got.state.map((m) => [m.payload.state, m.reason]),
            [
                ['locked', 'start'],
                ['unlocked', 'command'],
            ],
            'the start state once, then changes only',
        );
    });

    it('repeats an alert until acknowledged, showing it in the status', async function () {
        const { lock, alerts } = await load({ repeat: 0.05 });
        lock.receive({ topic: 'motion_detected', payload: true });
        await until(() => alerts.length >= 3, 'two repeats');
        assert.deepEqual(
            alerts.slice(0, 3).map((m) => [m.payload.reason, m.payload.repeat]),
            [
                ['motion_while_locked', undefined],
                ['motion_while_locked', 1],
                ['motion_while_locked', 2],
            ],
        );
        await until(() => statusText(lock) === 'locked · alert: motion', 'the pending alert in the status');
        lock.receive({ command: 'ack' });
        await until(() => statusText(lock) === 'locked', 'the status after ack');
        await sleep(100);
        const count = alerts.length;
        await sleep(250);
        assert.equal(alerts.length, count, 'no repeats after ack');
    });

    it('relocks by itself after the auto-relock time, counting down in the status', async function () {
        const { lock, states } = await load({ autoRelock: 0.5 });
        lock.receive({ command: 'unlock' });
        await until(() => /^unlocked · relock in 1 s$/.test(statusText(lock) ?? ''), 'the countdown');
        await until(() => states.length === 2, 'the relock');
        assert.deepEqual(
            [states[1].payload, states[1].reason, states[1].actuate],
            [{ state: 'locked' }, 'auto_relock', 'lock'],
        );
        await until(() => statusText(lock) === 'locked', 'locked again');
    });

    it('takes the actuation time without feedback', async function () {
        const { lock, states } = await load({ actuation: 0.05 });
        lock.receive({ command: 'unlock' });
        await until(() => states.length === 2, 'unlocking, then unlocked');
        assert.deepEqual(
            states.map((m) => [m.payload.state, m.actuate]),
            [
                ['unlocking', 'unlock'],
                ['unlocked', undefined],
            ],
        );
    });

    it('with feedback, waits for msg.feedback and goes jammed, with an alert and an error, when none comes', async function () {
        const { lock, states, alerts, caught } = await load({ feedback: true, transitionTimeout: 0.1 });
        lock.receive({ command: 'unlock' });
        await until(() => states.length === 1, 'unlocking');
        await until(() => statusText(lock) === 'unlocking…', 'the unlocking status');
        assert.deepEqual(lastStatus(lock), { fill: 'yellow', shape: 'ring', text: 'unlocking…' });
        lock.receive({ feedback: 'unlocked' });
        await until(() => states.length === 2, 'unlocked by feedback');
        assert.equal(states[1].reason, 'feedback');
        lock.receive({ command: 'lock' });
        await until(() => states.length === 4, 'locking, then jammed');
        assert.deepEqual(
            states.slice(2).map((m) => [m.payload.state, m.reason]),
            [
                ['locking', 'command'],
                ['jammed', 'timeout'],
            ],
        );
        await until(() => alerts.length === 1 && caught.length === 1, 'the jam alert and error');
        assert.equal(alerts[0].payload.reason, 'jammed');
        assert.match(why(caught[0]), /The lock is jammed/);
        await until(() => statusText(lock) === 'jammed', 'the jammed status');
        assert.deepEqual(lastStatus(lock), { fill: 'red', shape: 'ring', text: 'jammed' });
        lock.receive({ feedback: 'locked' });
        await until(() => states.length === 5, 'locked by feedback');
    });

    it('keeps its state and lockout across a redeploy, and locks again a transition cut by one', async function () {
        const flowOf = (extra) => [TAB, doorLock(extra), sink('state'), sink('alert')];
        const credentials = { L: { code: CODE } };
        await helper.load(lockNodes, flowOf({ maxAttempts: 1 }), credentials);
        const states = collect(helper.getNode('state'));
        helper.getNode('L').receive({ command: 'unlock', code: CODE });
        await until(() => states.length === 1, 'unlocked');
        await helper.setFlows(flowOf({ maxAttempts: 1, name: 'renamed' }), 'nodes', credentials);
        const renamed = helper.getNode('L');
        assert.equal(renamed.name, 'renamed');
        await until(() => statusText(renamed) === 'unlocked', 'unlocked after the redeploy');
        renamed.receive({ command: 'unlock', code: 'wrong' });
        renamed.receive({ command: 'lock' });
        await until(() => states.length === 2, 'locked');
        // A full deploy restarts every node, with the default (unconfigured) context store too.
        await helper.setFlows(flowOf({ maxAttempts: 1, name: 'again' }), 'full', credentials);
        await until(() => statusText(helper.getNode('L')) === 'locked · locked out 5 min', 'the lockout after it');

        // Another lock (a new id: a new context), whose unlock a redeploy cuts short.
        const later = collect(helper.getNode('state'));
        const cutFlow = (name) => flowOf({ id: 'L2', feedback: true, transitionTimeout: 30, name });
        await helper.setFlows(cutFlow(''), 'nodes', {});
        helper.getNode('L2').receive({ command: 'unlock' });
        await until(() => later.length === 1, 'unlocking');
        assert.equal(later[0].payload.state, 'unlocking');
        await helper.setFlows(cutFlow('cut'), 'nodes', {});
        await until(() => later.length === 2, 'the restore');
        assert.deepEqual(
            [later[1].payload, later[1].previous, later[1].reason, later[1].actuate],
            [{ state: 'locking' }, 'unlocking', 'restore', 'lock'],
        );
        // Lock L was removed with that deploy: added again, it starts afresh.
        await helper.setFlows(flowOf({ initialState: 'unlocked' }), 'nodes', credentials);
        await until(() => statusText(helper.getNode('L')) === 'unlocked', 'the initial state, no lockout');
    });

    it('resumes from node context what a restart with a persistent store keeps, locking a cut transition', async function () {
        await helper.load(lockNodes, [TAB, sink('state'), sink('alert')]);
        const states = collect(helper.getNode('state'));
        helper._context.get('L', 'f1').set('lock', savedLock('unlocking'));
        helper._context.get('B', 'f1').set('lock', { state: 'unlocked' });
        await helper.setFlows(
            [
                TAB,
                doorLock({ initialState: 'unlocked' }),
                doorLock({ id: 'B', initialState: 'unlocked', wires: [['state'], []] }),
                sink('state'),
                sink('alert'),
            ],
            'nodes',
        );
        await until(() => states.length === 1, 'the restored unlock locking again');
        assert.deepEqual(
            [states[0].payload, states[0].previous, states[0].reason, states[0].actuate],
            [{ state: 'locked' }, 'unlocking', 'restore', 'lock'],
        );
        await until(() => statusText(helper.getNode('B')) === 'locked', 'the unreadable lock starting locked');
        assert.ok(
            helper
                .log()
                .args.some(
                    (a) => a[0].level === helper.log().WARN && /saved state in context is not valid/.test(a[0].msg),
                ),
        );
    });

    it('holds messages until an asynchronous context store answers, and starts locked when it fails', async function () {
        // A store like a database: answers later, and for node B not at all.
        const { lock, states, caught } = await withSlowStore(
            () => load({}, { nodes: [doorLock({ id: 'B', initialState: 'unlocked', wires: [[], []] })] }),
            'B',
        );
        lock.receive({ command: 'unlock' });
        lock.receive({ command: 'bogus' });
        await until(() => states.length === 2 && caught.length === 1, 'both messages handled after the restore');
        assert.deepEqual(
            states.map((m) => [m.payload.state, m.reason]),
            [
                ['unlocked', 'command'],
                ['locked', 'command-unknown'],
            ],
            'in the order they came: the bad command locks the lock just unlocked',
        );
        assert.match(why(caught[0]), /Unknown command "bogus"/);
        await until(() => statusText(helper.getNode('B')) === 'locked', 'B locked for want of its saved state');
        assert.ok(
            helper
                .log()
                .args.some((a) => a[0].level === helper.log().WARN && /starting locked: store offline/.test(a[0].msg)),
        );
    });

    it('restores a cut transition before the messages that came while the saved state was read, so they have the last word', async function () {
        await helper.load(lockNodes, [TAB, sink('state'), sink('alert')]);
        const states = collect(helper.getNode('state'));
        // Node-RED stopped while the lock was locking; a slow store gives it back only after a command came.
        helper._context.get('L', 'f1').set('lock', savedLock('locking'));
        await withSlowStore(() =>
            helper.setFlows([TAB, doorLock({ actuation: 0.05 }), sink('state'), sink('alert')], 'nodes'),
        );
        helper.getNode('L').receive({ command: 'unlock' });
        await until(() => states.some((m) => m.payload.state === 'unlocked'), 'unlocked by the command');
        assert.deepEqual(
            states.map((m) => [m.payload.state, m.reason]),
            [
                ['locking', 'restore'],
                ['unlocking', 'command'],
                ['unlocked', 'command'],
            ],
        );
        await until(() => statusText(helper.getNode('L')) === 'unlocked', 'the unlocked status');
    });

    it('reports a bad configuration in the status and the log, and refuses every message', async function () {
        const { lock, caught } = await load({ maxAttempts: 0 });
        assert.deepEqual(lastStatus(lock), { fill: 'red', shape: 'ring', text: 'not started: see the log' });
        const reason =
            'Door lock not started: wrong codes before lockout must be a whole number from 1 to 100. ' +
            "Open the node's edit dialog to correct it.";
        assert.ok(errorsLogged().includes(reason));
        lock.receive({ command: 'unlock' });
        await until(() => caught.length === 1, 'the refusal');
        assert.equal(why(caught[0]), reason);
    });

    it('clears every timer when closed', async function () {
        const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
        await helper.load(lockNodes, [TAB, sink('state'), sink('alert')]);
        const baseline = timers();
        const flow = [
            TAB,
            doorLock({ initialState: 'unlocked', repeat: 0.05, autoRelock: 60, maxAttempts: 1 }),
            sink('state'),
            sink('alert'),
        ];
        await helper.setFlows(flow, 'full', { L: { code: CODE } });
        const lock = helper.getNode('L');
        lock.receive({ command: 'unlock', code: 'x' });
        await until(
            () => /locked out/.test(statusText(lock) ?? ''),
            'a relock countdown and a lockout with its alert repeating',
        );
        assert.ok(timers() > baseline);
        await helper.setFlows([TAB, sink('state'), sink('alert')], 'full');
        await until(() => timers() === baseline, `timers back to the baseline (now ${timers()}, baseline ${baseline})`);
    });
});
