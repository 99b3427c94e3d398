'use strict';
const assert = require('node:assert/strict');
const { CompletionTracker, completesMessages } = require('../../src/core/hub/flow-control');
const { EventHub } = require('../../src/core/hub/hub');
const { stub } = require('../helpers/types');
const { until } = require('../helpers/wait');

/** Node-RED's hooks API reduced to what the tracker uses, recording what it was asked. */
function fakeHooks() {
    const added = new Map();
    return {
        added,
        add: (id, fn) => added.set(id, fn),
        remove: (id) => added.delete(id),
        complete: (msg, nodeId) => [...added.values()].forEach((fn) => fn({ msg, node: { id: nodeId } })),
    };
}

/** A subscriber with a window of 1 that records what it was handed. */
function windowed(hub, pattern) {
    const got = [];
    const sub = hub.subscribe((m) => got.push(m), { patterns: [pattern], maxInFlight: 1 });
    return { sub, got };
}

describe('core/flow-control', function () {
    it('adds one hook for all subscribers and removes it with the last', function () {
        const hooks = fakeHooks();
        const t = new CompletionTracker(hooks);
        const hub = new EventHub();
        const a = windowed(hub, 'a').sub;
        const b = windowed(hub, 'b').sub;
        t.acquire(a, new Set(['n1']));
        t.acquire(b, new Set(['n2']));
        assert.equal(hooks.added.size, 1);
        t.release(a);
        assert.equal(hooks.added.size, 1);
        t.release(b);
        assert.equal(hooks.added.size, 0);
    });

    it('frees room only when the node on the subscriber wire completes the message it sent', function () {
        const hooks = fakeHooks();
        const t = new CompletionTracker(hooks);
        const hub = new EventHub();
        const { sub, got } = windowed(hub, 't');
        t.acquire(sub, new Set(['next']));
        hub.publish('t', { payload: 1 });
        t.track(got[0], sub);
        hub.publish('t', { payload: 2 });
        assert.equal(got.length, 1, 'window of 1: the second waits');
        hooks.complete(got[0], 'elsewhere');
        hooks.complete({}, 'next');
        assert.equal(got.length, 1, 'another node, or another message, frees nothing');
        hooks.complete(got[0], 'next');
        assert.equal(got.length, 2);
        assert.equal(got[1].payload, 2);
    });

    it('tracks one message outstanding for several subscribers along a chain', function () {
        const hooks = fakeHooks();
        const t = new CompletionTracker(hooks);
        const hub = new EventHub();
        const s1 = windowed(hub, 'one');
        const s2 = windowed(hub, 'two');
        t.acquire(s1.sub, new Set(['pub2']));
        t.acquire(s2.sub, new Set(['sink']));
        for (const type of ['one', 'one', 'two', 'two']) hub.publish(type, { payload: type });
        assert.deepEqual([s1.got.length, s1.sub.queued, s2.got.length, s2.sub.queued], [1, 1, 1, 1]);
        // The same object, handed on without a copy, is outstanding for both.
        const msg = {};
        t.track(msg, s1.sub);
        t.track(msg, s2.sub);
        hooks.complete(msg, 'pub2');
        assert.equal(s1.got.length, 2, 'the node on s1 wire finished: s1 sends its next');
        assert.equal(s2.got.length, 1, 's2 still waits for its sink');
        hooks.complete(msg, 'sink');
        assert.equal(s2.got.length, 2);
    });

    it('forgets what a closed or stalled subscriber sent', function () {
        const hooks = fakeHooks();
        const t = new CompletionTracker(hooks);
        const hub = new EventHub();
        const a = windowed(hub, 'a');
        const b = windowed(hub, 'b');
        t.acquire(a.sub, new Set(['x']));
        t.acquire(b.sub, new Set(['x']));
        for (const type of ['a', 'a', 'b', 'b']) hub.publish(type, { payload: type });
        const shared = {};
        t.track(shared, a.sub);
        t.track(shared, b.sub);
        t.forget(a.sub);
        hooks.complete(shared, 'x');
        assert.equal(b.got.length, 2, 'b, the owner left, got its room back');
        assert.equal(a.got.length, 1, 'a was forgotten: nothing released for it');
        assert.equal(a.sub.pending, 1);
    });

    it('gives back, at the second sweep, the places of messages never completed (their node threw)', function () {
        const hooks = fakeHooks();
        const reclaimed = [];
        const t = new CompletionTracker(hooks, { onReclaim: (sub, n) => reclaimed.push([sub.name, n]) });
        const hub = new EventHub();
        const sub = hub.subscribe(() => {}, { patterns: ['t'], maxInFlight: 3, name: 's' });
        t.acquire(sub, new Set(['next']));
        const lost = [{}, {}];
        for (const m of lost) t.track(m, sub);
        const late = {};
        sub.offer(stub({ type: 't' }), true);
        sub.offer(stub({ type: 't' }), true);
        sub.offer(stub({ type: 't' }), true);
        assert.equal(sub.pending, 3);
        assert.equal(t.sweep().size, 0, 'the first sweep only ages what is outstanding');
        t.track(late, sub);
        hooks.complete(lost[1], 'next');
        assert.equal(sub.pending, 2, 'a message completed after a sweep still frees its place');
        assert.deepEqual(
            [...t.sweep()].map(([s, n]) => [s.name, n]),
            [['s', 1]],
        );
        assert.deepEqual(reclaimed, [['s', 1]]);
        assert.equal(sub.pending, 1);
        assert.equal(t.outstanding, 1, 'the message tracked after the first sweep waits one more');
        t.sweep();
        assert.equal(t.outstanding, 0);
        assert.equal(sub.pending, 0);
    });

    it('keeps the places of a node that is only slow: it finishes in order, one message across many sweeps', function () {
        const hooks = fakeHooks();
        const t = new CompletionTracker(hooks);
        const hub = new EventHub();
        const got = [];
        const sub = hub.subscribe((m) => got.push(m), { patterns: ['t'], maxInFlight: 3, name: 's' });
        t.acquire(sub, new Set(['delay']));
        for (let i = 0; i < 6; i++) {
            hub.publish('t', { payload: i });
            if (got.length > i) t.track(got[i], sub);
        }
        assert.equal(sub.pending, 3);
        // Like a rate-limiting delay node behind a large window: one message finished per sweep period.
        for (let i = 0; i < 3; i++) {
            t.sweep();
            hooks.complete(got[i], 'delay');
            t.track(got[i + 3], sub);
        }
        assert.equal(t.sweep().size, 0, 'nothing given back while the node keeps finishing, in order');
        assert.equal(sub.pending, 3, 'the window holds: never more than 3 handed on');
        assert.equal(sub.queued, 0);
        hooks.complete(got[4], 'delay');
        assert.equal(t.sweep().get(sub), 1, 'an older message outstanding while a newer one finished was lost');
        assert.equal(t.sweep().get(sub), 1, 'and the rest, once the node finishes nothing for a period');
        assert.equal(sub.pending, 0);
    });

    it('ages a message handed on along a chain for each owner on its own', function () {
        const hooks = fakeHooks();
        const t = new CompletionTracker(hooks);
        const hub = new EventHub();
        const a = windowed(hub, 'a');
        const b = windowed(hub, 'b');
        t.acquire(a.sub, new Set(['pub-b']));
        t.acquire(b.sub, new Set(['sink']));
        hub.publish('a', {});
        hub.publish('b', {});
        const msg = {};
        t.track(msg, a.sub);
        t.sweep();
        // pub-b publishes the very object it got from a, then completes it.
        t.track(msg, b.sub);
        hooks.complete(msg, 'pub-b');
        assert.deepEqual([a.sub.pending, b.sub.pending], [0, 1]);
        assert.equal(t.sweep().size, 0, 'handed on after the sweep: nothing is due yet');
        hooks.complete(msg, 'sink');
        assert.equal(b.sub.pending, 0);
        assert.equal(t.outstanding, 0);
    });

    it('frees the place of a message finished out of order, and of one finished after many in order', function () {
        const hooks = fakeHooks();
        const t = new CompletionTracker(hooks);
        const hub = new EventHub();
        const sub = hub.subscribe(() => {}, { patterns: ['t'], maxInFlight: 5000, name: 's' });
        t.acquire(sub, new Set(['next']));
        const msgs = Array.from({ length: 3000 }, (_, i) => ({ i }));
        for (const m of msgs) {
            sub.offer(stub({ type: 't' }), true);
            t.track(m, sub);
        }
        hooks.complete(msgs[1], 'next');
        hooks.complete(msgs[0], 'next');
        for (let i = 3; i < msgs.length; i++) hooks.complete(msgs[i], 'next');
        hooks.complete(msgs[1], 'next');
        assert.deepEqual([t.outstanding, sub.pending], [1, 1], 'a second completion of the same message frees nothing');
        hooks.complete(msgs[2], 'next');
        assert.deepEqual([t.outstanding, sub.pending], [0, 0]);
    });

    it('sweeps on its own timer while it has users, and stops with the last', async function () {
        const hooks = fakeHooks();
        const t = new CompletionTracker(hooks, { sweepMs: 5 });
        const hub = new EventHub();
        const { sub } = windowed(hub, 't');
        t.acquire(sub, new Set(['x']));
        hub.publish('t', {});
        t.track({}, sub);
        await until(() => sub.pending === 0, 'the place given back by the timer', 2000);
        t.release(sub);
        t.release(sub);
        assert.equal(hooks.added.size, 0, 'a second release changes nothing');
    });

    it("tells from Node-RED's done count whether a node can complete messages", function () {
        assert.equal(completesMessages({ _expectedDoneCount: 1 }), true);
        assert.equal(completesMessages({ _expectedDoneCount: 0 }), false, 'function (msg) handlers, subflows');
        assert.equal(completesMessages({}), true, 'unknown internals: assume it completes');
    });

    it('is unavailable without hooks, so callers keep no window', function () {
        assert.equal(new CompletionTracker(undefined).available, false);
        assert.equal(new CompletionTracker(fakeHooks()).available, true);
    });
});
