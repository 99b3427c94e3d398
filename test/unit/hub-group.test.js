'use strict';
const assert = require('node:assert/strict');
const { EventHub, HubError } = require('../../src/core/hub/hub');
const { groupProblem, Share } = require('../../src/core/hub/group');

const INFO = Object.freeze({ type: 'x', id: 'r-1', ts: 0, source: '' });

function collect(hub, patterns, opts = {}) {
    const got = [];
    const sub = hub.subscribe((msg) => got.push(msg), { patterns, ...opts });
    return { got, sub };
}

describe('core/hub consumer groups', function () {
    it('hands each event to one member of a group, while others get every event', function () {
        const hub = new EventHub();
        const members = [1, 2, 3].map(() => collect(hub, ['job/#'], { group: 'workers' }));
        const all = collect(hub, ['job/#']);
        for (let i = 0; i < 30; i++) hub.publish(`job/${i % 2}`, { payload: i });
        assert.equal(all.got.length, 30);
        assert.deepEqual(
            members.map((m) => m.got.length),
            [10, 10, 10],
            'idle members take turns',
        );
        const seen = members.flatMap((m) => m.got.map((msg) => msg.payload)).sort((a, b) => a - b);
        assert.deepEqual(seen, [...Array(30).keys()], 'each event exactly once over the group');
    });

    it('keeps two groups apart: each gets every event once', function () {
        const hub = new EventHub();
        const a = [collect(hub, ['x'], { group: 'a' }), collect(hub, ['x'], { group: 'a' })];
        const b = [collect(hub, ['x'], { group: 'b' })];
        for (let i = 0; i < 4; i++) hub.publish('x', { payload: i });
        assert.equal(a[0].got.length + a[1].got.length, 4);
        assert.equal(b[0].got.length, 4);
    });

    it('prefers the least busy member', function () {
        const hub = new EventHub();
        // A member whose window is full queues; the group hands the next events to the member with room.
        const slow = collect(hub, ['x'], { group: 'g', maxInFlight: 1 });
        const fast = collect(hub, ['x'], { group: 'g' });
        for (let i = 0; i < 10; i++) hub.publish('x', { payload: i });
        assert.equal(slow.got.length, 1, 'one in flight, never released');
        assert.equal(slow.sub.queued, 0, 'nothing piled up behind it');
        assert.equal(fast.got.length, 9);
    });

    it('hands a lone member the event with the same isolation as a lone subscriber', function () {
        const hub = new EventHub();
        const m = collect(hub, ['x'], { group: 'g' });
        const nested = { a: 1 };
        hub.publish('x', { payload: nested });
        assert.notEqual(m.got[0].payload, nested, 'the publisher keeps its object');
    });

    it('sends members no retained values (they are state, not work to share)', function () {
        const hub = new EventHub();
        hub.publish('x', { payload: 1 }, '', true);
        const m = collect(hub, ['x'], { group: 'g' });
        assert.equal(hub.replayRetained(m.sub), 0);
        assert.equal(m.got.length, 0);
    });

    it('stops handing events to a member that left, and forgets an empty group', function () {
        const hub = new EventHub();
        const a = collect(hub, ['x'], { group: 'g' });
        const b = collect(hub, ['x'], { group: 'g' });
        hub.unsubscribe(a.sub);
        hub.publish('x', { payload: 1 });
        hub.publish('x', { payload: 2 });
        assert.equal(a.got.length, 0);
        assert.equal(b.got.length, 2);
        hub.unsubscribe(b.sub);
        assert.deepEqual(hub.listShares(), []);
    });

    it('refuses a group name that cannot be an MQTT share name', function () {
        const hub = new EventHub();
        for (const bad of ['a/b', 'a+', '#', '$sys', 'x'.repeat(129)]) {
            assert.throws(
                () => hub.subscribe(() => {}, { patterns: ['x'], group: bad }),
                (err) => err instanceof HubError && err.code === 'invalid_group',
                bad,
            );
        }
        assert.equal(hub.subscriberCount, 0);
        assert.equal(groupProblem('workers-1'), undefined);
        assert.equal(groupProblem('a/b')?.code, 'group-invalid');
        assert.equal(groupProblem('x'.repeat(129))?.code, 'group-too-long');
    });

    it('with a carrier, leaves groups to it: nothing local, joins and leaves passed on', function () {
        const hub = new EventHub();
        const calls = [];
        const early = collect(hub, ['x'], { group: 'g' });
        const wantAll = [];
        hub.setGroupCarrier({
            join: (g, p) => calls.push(['join', g, p]),
            leave: (g, p) => calls.push(['leave', g, p]),
            wantAll: (all) => wantAll.push(all),
        });
        const late = collect(hub, ['y/#'], { group: 'g' });
        assert.deepEqual(wantAll, [false], 'only group members: the shares are enough, not the whole stream');
        const plain = collect(hub, ['x']);
        assert.deepEqual(wantAll, [false, true], 'a subscriber outside the groups needs every event');
        hub.publish('x', { payload: 1 });
        assert.equal(early.got.length, 0, 'the broker picks the member, even for an event published here');
        assert.equal(plain.got.length, 1);
        const published = hub.stats().published;
        assert.ok(hub.deliverToShare(Object.freeze({ topic: 'x', event: INFO, payload: 2 }), 'g', 'x', true));
        assert.equal(early.got.length, 1);
        assert.equal(hub.stats().published, published, 'an event this instance has counted already');
        assert.ok(hub.deliverToShare({ topic: 'x', event: INFO, payload: 3 }, 'g', 'x', false));
        assert.equal(hub.stats().published, published + 1, 'an event this instance sees only as a member');
        assert.equal(hub.typeTotals().byType.get('x'), 2, 'published once here, seen once as a member');
        assert.equal(hub.deliverToShare({ topic: 'y/1', event: INFO }, 'other', 'y/#', false), false, 'no such share');
        hub.unsubscribe(late.sub);
        hub.unsubscribe(plain.sub);
        assert.deepEqual(wantAll, [false, true, false], 'only group members again');
        hub.setGroupCarrier(undefined);
        hub.publish('x', { payload: 3 });
        assert.equal(early.got.length, 3, 'served locally again');
        const carrier = { join() {}, leave() {}, wantAll: (all) => wantAll.push(all) };
        hub.setGroupCarrier(carrier);
        wantAll.length = 0;
        hub.close();
        assert.deepEqual(wantAll, [], 'a closing hub does not ask for the whole stream as its members leave');
        assert.deepEqual(calls, [
            ['join', 'g', 'x'],
            ['join', 'g', 'y/#'],
            ['leave', 'g', 'y/#'],
            ['leave', 'g', 'x'],
        ]);
    });

    it('tells its carrier it needs no event while nobody here reads or watches them', function () {
        const hub = new EventHub();
        const wantAll = [];
        hub.setGroupCarrier({ join() {}, leave() {}, wantAll: (all) => wantAll.push(all) });
        assert.deepEqual(wantAll, [false], 'no subscriber: nothing to receive (no echo of its own over 3.1.1)');
        const plain = collect(hub, ['x']);
        assert.deepEqual(wantAll, [false, true], 'a subscriber needs every event');
        hub.unsubscribe(plain.sub);
        assert.deepEqual(wantAll, [false, true, false], 'nobody again');
        const stop = hub.onPublish(() => {});
        assert.deepEqual(wantAll, [false, true, false, true], 'a monitor counts every event, remote ones too');
        stop();
        assert.deepEqual(wantAll, [false, true, false, true, false]);
        const member = collect(hub, ['x'], { group: 'g' });
        const stopAgain = hub.onPublish(() => {});
        assert.deepEqual(wantAll.slice(5), [], 'group members only: the shares are enough, watched or not');
        stopAgain();
        hub.unsubscribe(member.sub);
        assert.deepEqual(wantAll.slice(5), []);
    });

    it('Share takes turns among equally busy members', function () {
        const share = new Share('g', 'x');
        const got = [];
        for (const name of ['a', 'b', 'c']) share.members.push({ load: 0, offer: () => got.push(name) });
        for (let i = 0; i < 6; i++) share.offer({}, false);
        assert.deepEqual(got, ['a', 'b', 'c', 'a', 'b', 'c']);
    });
});
