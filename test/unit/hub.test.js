'use strict';
const assert = require('node:assert/strict');
const { EventHub, HubError, copyForDelivery, writableCopy } = require('../../src/core/hub/hub');
const { fieldsOf, stub } = require('../helpers/types');

function collect(hub, patterns, opts = {}) {
    const got = [];
    const sub = hub.subscribe((msg) => got.push(msg), { patterns, ...opts });
    return { got, sub };
}

describe('core/hub', function () {
    it('delivers by exact type and pattern, in publish order, with msg.event', function () {
        const hub = new EventHub({ idPrefix: 'h', now: () => 1000 });
        const a = collect(hub, ['motion_detected']);
        const b = collect(hub, ['home/+/temperature', '#']);
        hub.publish('motion_detected', { payload: true }, 'pub1');
        hub.publish('home/kitchen/temperature', { payload: 21.5 }, 'pub2');
        hub.publish('home/hall/temperature', { payload: 19 }, 'pub2');
        assert.deepEqual(
            a.got.map((m) => m.payload),
            [true],
        );
        assert.deepEqual(
            b.got.map((m) => [m.topic, m.payload]),
            [
                ['motion_detected', true],
                ['home/kitchen/temperature', 21.5],
                ['home/hall/temperature', 19],
            ],
        );
        assert.deepEqual(a.got[0].event, { type: 'motion_detected', id: 'h-1', ts: 1000, source: 'pub1' });
        assert.equal(b.got[0].event.id, 'h-1');
        assert.deepEqual(hub.stats(), { published: 3, delivered: 4, dropped: 0, subscribers: 2, retained: 0 });
    });

    it('refuses an invalid type with a HubError and delivers nothing', function () {
        const hub = new EventHub();
        const all = collect(hub, ['#']);
        for (const bad of ['', 'a/+', 'a/#', 5, undefined, null, {}]) {
            assert.throws(
                () => hub.publish(bad, { payload: 1 }),
                (err) => err instanceof HubError && err.code === 'invalid_type',
            );
        }
        hub.publish('ok', { payload: 1 });
        assert.equal(all.got.length, 1);
        assert.equal(hub.stats().published, 1);
    });

    it('refuses invalid patterns and empty pattern lists', function () {
        const hub = new EventHub();
        assert.throws(() => hub.subscribe(() => {}, { patterns: [] }), /no pattern/);
        assert.throws(
            () => hub.subscribe(() => {}, { patterns: ['a/#/b'] }),
            (/** @type {any} */ e) => e.code === 'invalid_pattern',
        );
        assert.equal(hub.subscriberCount, 0);
    });

    it('says whether a type has exactly one reader', function () {
        const hub = new EventHub();
        assert.equal(hub.soleReader('a/b'), false);
        hub.subscribe(() => {}, { patterns: ['a/+'] });
        assert.equal(hub.soleReader('a/b'), true);
        hub.subscribe(() => {}, { patterns: ['#'] });
        assert.equal(hub.soleReader('a/b'), false);
        hub.close();
        assert.equal(hub.soleReader('a/b'), false);
    });

    it('gives each subscriber its own message object with frozen, shared nested values', function () {
        const hub = new EventHub();
        const a = collect(hub, ['t']);
        const b = collect(hub, ['t']);
        const original = { payload: { celsius: 21 }, sensor: { id: 's1' } };
        hub.publish('t', original);
        const [ma] = a.got;
        const [mb] = b.got;
        assert.notEqual(ma, mb);
        ma.payload = 'changed';
        assert.deepEqual(mb.payload, { celsius: 21 });
        assert.ok(Object.isFrozen(mb.payload));
        assert.ok(Object.isFrozen(mb.event));
        assert.throws(() => {
            'use strict';
            mb.payload.celsius = 99;
        }, TypeError);
        assert.equal(ma.sensor, mb.sensor, 'nested values are shared, not deep-cloned per delivery');
        assert.ok(!Object.isFrozen(original.payload), "the publisher's own objects are never frozen");
        assert.ok(!Object.isFrozen(original));
    });

    it('copies a Buffer payload per delivery, since Buffers cannot be frozen', function () {
        const hub = new EventHub();
        const a = collect(hub, ['b']);
        const b = collect(hub, ['b']);
        hub.publish('b', { payload: Buffer.from('abc') });
        a.got[0].payload[0] = 0x7a;
        assert.equal(b.got[0].payload.toString(), 'abc');
        assert.ok(Buffer.isBuffer(b.got[0].payload));
    });

    it('copies plain data itself, hands other objects to the clone function, and shares frozen values', function () {
        class Reading {
            constructor(v) {
                this.v = v;
            }
        }
        const cloned = [];
        const hub = new EventHub({
            clone: (v) => {
                cloned.push(v);
                return new Reading(/** @type {{ v: number }} */ (v).v);
            },
        });
        const got = collect(hub, ['x']).got;
        const shared = Object.freeze({ frozen: true });
        const plain = { list: [1, { deep: 2 }] };
        const instance = new Reading(3);
        hub.publish('x', { payload: plain, extra: instance, keep: shared });
        assert.deepEqual(cloned, [instance], 'only the non-plain value goes to clone');
        const [msg] = got;
        assert.notEqual(msg.payload, plain);
        assert.deepEqual(msg.payload, plain);
        assert.ok(Object.isFrozen(msg.payload.list[1]));
        assert.ok(!Object.isFrozen(plain.list[1]), "the publisher's nested objects stay writable");
        assert.ok(msg.extra instanceof Reading && msg.extra !== instance);
        assert.equal(msg.keep, shared, 'a frozen value is shared, not copied');
    });

    it('keeps msg.req and msg.res by reference, never copied or frozen, like Node-RED', function () {
        const hub = new EventHub();
        const got = collect(hub, ['x']).got;
        const req = { socket: {} };
        hub.publish('x', { payload: 1, req });
        assert.equal(got[0].req, req);
        assert.ok(!Object.isFrozen(req));
    });

    it('hands a lone subscriber the event without a second copy, and still isolates the publisher', function () {
        const hub = new EventHub();
        const got = collect(hub, ['x']).got;
        const original = { payload: { a: 1 } };
        const ev = hub.publish('x', original);
        assert.equal(got[0], ev, 'no per-delivery copy with one subscriber');
        assert.notEqual(got[0], original);
        // @ts-expect-error a subscriber writing to what it got (typed read-only) must not reach the publisher's object
        got[0].payload = 2;
        assert.deepEqual(original.payload, { a: 1 });
    });

    it('delivers an event once to a subscriber whose patterns overlap', function () {
        const hub = new EventHub();
        const s = collect(hub, ['a/b', 'a/+', '#']);
        hub.publish('a/b', { payload: 1 });
        assert.equal(s.got.length, 1);
    });

    it('stops delivering after unsubscribe and keeps counting its drops', function () {
        const hub = new EventHub();
        const s = collect(hub, ['t'], { maxInFlight: 1, queueLimit: 1 });
        hub.publish('t', { payload: 1 });
        hub.publish('t', { payload: 2 });
        hub.publish('t', { payload: 3 });
        assert.equal(s.sub.dropped, 1);
        hub.unsubscribe(s.sub);
        hub.publish('t', { payload: 4 });
        assert.equal(s.got.length, 1);
        assert.equal(hub.stats().dropped, 1);
        assert.equal(hub.subscriberCount, 0);
        hub.unsubscribe(s.sub);
    });

    describe('bounded queues', function () {
        it('queues beyond maxInFlight and delivers in order on release', function () {
            const hub = new EventHub();
            const s = collect(hub, ['t'], { maxInFlight: 2, queueLimit: 10 });
            for (let i = 1; i <= 5; i++) hub.publish('t', { payload: i });
            assert.deepEqual(
                s.got.map((m) => m.payload),
                [1, 2],
            );
            assert.equal(s.sub.queued, 3);
            s.sub.release(2);
            assert.deepEqual(
                s.got.map((m) => m.payload),
                [1, 2, 3, 4],
            );
            s.sub.release(2);
            assert.deepEqual(
                s.got.map((m) => m.payload),
                [1, 2, 3, 4, 5],
            );
            assert.equal(s.sub.queued, 0);
        });

        it('unlimit lifts the window for good and sends what waits, in order', function () {
            const hub = new EventHub();
            const s = collect(hub, ['t'], { maxInFlight: 1, queueLimit: 10 });
            for (let i = 1; i <= 4; i++) hub.publish('t', { payload: i });
            assert.equal(s.got.length, 1);
            s.sub.unlimit();
            assert.equal(s.sub.maxInFlight, Infinity);
            for (let i = 5; i <= 6; i++) hub.publish('t', { payload: i });
            assert.deepEqual(
                s.got.map((m) => m.payload),
                [1, 2, 3, 4, 5, 6],
            );
            assert.equal(s.sub.pending, 0);
            assert.equal(s.sub.queued, 0);
        });

        it('drop-oldest keeps the latest events, drop-newest keeps the first', function () {
            const hub = new EventHub();
            const oldest = collect(hub, ['t'], { maxInFlight: 1, queueLimit: 2, overflow: 'drop-oldest' });
            const newest = collect(hub, ['t'], { maxInFlight: 1, queueLimit: 2, overflow: 'drop-newest' });
            for (let i = 1; i <= 6; i++) hub.publish('t', { payload: i });
            for (let i = 0; i < 3; i++) {
                oldest.sub.release();
                newest.sub.release();
            }
            assert.deepEqual(
                oldest.got.map((m) => m.payload),
                [1, 5, 6],
            );
            assert.deepEqual(
                newest.got.map((m) => m.payload),
                [1, 2, 3],
            );
            assert.equal(oldest.sub.dropped, 3);
            assert.equal(newest.sub.dropped, 3);
        });

        it('a stalled subscriber neither blocks the publisher nor its peers, and stays bounded', function () {
            const hub = new EventHub({ queueLimit: 100 });
            const stalled = collect(hub, ['t'], { maxInFlight: 1 });
            const healthy = collect(hub, ['t']);
            for (let i = 0; i < 100000; i++) hub.publish('t', { payload: i });
            assert.equal(healthy.got.length, 100000);
            assert.equal(stalled.sub.queued, 100);
            assert.equal(stalled.sub.dropped, 100000 - 1 - 100);
            const s = hub.stats();
            assert.equal(s.published, 100000);
            assert.equal(s.delivered + s.dropped + stalled.sub.queued, 2 * 100000);
        });

        it('re-entrant release from inside the handler neither recurses nor reorders', function () {
            const hub = new EventHub();
            const got = [];
            const sub = hub.subscribe(
                (msg, self) => {
                    got.push(msg.payload);
                    self.release();
                },
                { patterns: ['t'], maxInFlight: 1 },
            );
            hub.publish('t', { payload: 1 });
            hub.publish('t', { payload: 2 });
            assert.deepEqual(got, [1, 2]);
            assert.equal(sub.pending, 0);
        });
    });

    describe('retained events', function () {
        it('replays the last retained event of each matching type', function () {
            const hub = new EventHub();
            hub.publish('home/kitchen/temperature', { payload: 20 }, 'p', true);
            hub.publish('home/kitchen/temperature', { payload: 21 }, 'p', true);
            hub.publish('home/hall/temperature', { payload: 18 }, 'p', true);
            hub.publish('home/hall/humidity', { payload: 40 }, 'p', true);
            hub.publish('home/hall/temperature', { payload: 99 }, 'p', false);
            const s = collect(hub, ['home/+/temperature']);
            assert.equal(hub.replayRetained(s.sub), 2);
            assert.deepEqual(s.got.map((m) => m.payload).sort(), [18, 21]);
        });

        it('starts with the retained events of an earlier hub, and ids go on after its sequence', function () {
            const changes = [];
            const first = new EventHub({ idPrefix: 'h' });
            first.publish('a', { payload: 1 }, 'p', true);
            first.publish('b', { payload: 2 }, 'p', true);
            first.publish('a', { payload: 3 }, 'p', true);
            const kept = first.retainedEvents();
            assert.deepEqual(
                kept.map((e) => [e.topic, e.payload]),
                [
                    ['b', 2],
                    ['a', 3],
                ],
                'oldest first',
            );
            first.close();
            const next = new EventHub({
                idPrefix: 'h',
                retained: kept,
                seq: first.lastSeq,
                onRetainedChange: () => changes.push('x'),
            });
            assert.equal(changes.length, 0, 'what it starts with is no change');
            const s = collect(next, ['#']);
            assert.equal(next.replayRetained(s.sub), 2);
            assert.equal(next.publish('c', {}).event.id, 'h-4');
            next.publish('c', {}, 'p', true);
            next.clearRetained('b');
            assert.equal(changes.length, 2);
        });

        it('adds events read back later only for types not retained since', function () {
            const hub = new EventHub();
            hub.publish('a', { payload: 'new' }, 'p', true);
            const old = new EventHub();
            old.publish('a', { payload: 'old' }, 'p', true);
            old.publish('b', { payload: 'old' }, 'p', true);
            assert.equal(hub.restoreRetained(old.retainedEvents()), 1);
            assert.equal(fieldsOf(hub.getRetained('a')).payload, 'new');
            assert.equal(fieldsOf(hub.getRetained('b')).payload, 'old');
        });

        it('holds at most retainLimit types, evicting the least recently retained', function () {
            const hub = new EventHub({ retainLimit: 2 });
            hub.publish('a', { payload: 1 }, '', true);
            hub.publish('b', { payload: 2 }, '', true);
            hub.publish('a', { payload: 3 }, '', true);
            hub.publish('c', { payload: 4 }, '', true);
            assert.equal(hub.getRetained('b'), undefined);
            assert.equal(fieldsOf(hub.getRetained('a')).payload, 3);
            assert.equal(hub.stats().retained, 2);
            hub.clearRetained('a');
            assert.equal(hub.stats().retained, 1);
        });
    });

    it("passes an owned message's own values to a lone subscriber, and copies them when others could see them", function () {
        const hub = new EventHub();
        const got = collect(hub, ['x']).got;
        const msg = { topic: 'in', payload: { a: 1 }, _msgid: 'm1' };
        const ev = hub.publish('x', msg, 'p', false, true);
        assert.equal(got[0], ev);
        assert.equal(ev.payload, msg.payload, 'its own values, like a Node-RED node passing on its input');
        assert.equal(ev._msgid, 'm1');
        assert.equal(ev.topic, 'x');
        assert.deepEqual(Object.keys(ev.event), ['type', 'id', 'ts', 'source']);
        assert.ok(!Object.isFrozen(ev.event), 'its one reader owns the event info too');
        assert.ok(!Object.isFrozen(ev.payload), 'nothing is shared, so nothing needs freezing');
        // A new top level: the caller's object is never written to (an old object holding a fresh event keeps it
        // alive until a full collection).
        assert.deepEqual(msg, { topic: 'in', payload: { a: 1 }, _msgid: 'm1' });

        // Handed on from a subscriber (a publish node after a subscribe node): the top level a hub made is reused.
        const handedOn = got[0];
        const firstId = handedOn.event.id;
        const next = hub.publish('x', handedOn, 'p', false, true);
        assert.equal(next, handedOn, 'a message that carries an event is the event itself');
        assert.equal(got[1], handedOn);
        assert.notEqual(next.event.id, firstId, 'with its own event info');

        const other = collect(hub, ['x']).got;
        const second = { payload: { b: 2 } };
        hub.publish('x', second, 'p', false, true);
        assert.notEqual(got[2], second, 'two readers: each gets its own copy');
        assert.notEqual(other[0], got[2]);
        assert.ok(Object.isFrozen(other[0].payload));
    });

    it('hands an event only the broker will see to the outbound side without copying or freezing', function () {
        const hub = new EventHub({ idPrefix: 'h' });
        const out = [];
        hub.setOutbound((ev, retain) => out.push({ ev, retain, wire: JSON.stringify(ev) }));
        const sensor = { id: 's1' };
        hub.publish('remote/only', { payload: 1, sensor }, 'p');
        assert.equal(out.length, 1);
        assert.equal(out[0].ev.topic, 'remote/only');
        assert.deepEqual(JSON.parse(out[0].wire).sensor, { id: 's1' });
        assert.ok(!Object.isFrozen(sensor), "the publisher's object is never frozen");

        const local = collect(hub, ['remote/#']).got;
        hub.publish('remote/only', { payload: 2, sensor }, 'p');
        assert.equal(out.length, 2, 'the broker still gets events that also have local subscribers');
        assert.ok(Object.isFrozen(local[0].sensor), 'a local subscriber gets frozen nested values');
        assert.notEqual(local[0].sensor, sensor);
        assert.ok(!Object.isFrozen(sensor));
    });

    it('refuses to publish or subscribe once closed', function () {
        const hub = new EventHub();
        const s = collect(hub, ['t']);
        hub.close();
        assert.ok(!s.sub.active);
        assert.throws(
            () => hub.publish('t', {}),
            (/** @type {any} */ e) => e.code === 'closed',
        );
        assert.throws(
            () => hub.subscribe(() => {}, { patterns: ['t'] }),
            (/** @type {any} */ e) => e.code === 'closed',
        );
    });

    describe('typeTotals', function () {
        it('counts every event per type from the start, on every path, with no listener', function () {
            const hub = new EventHub();
            collect(hub, ['one/reader']);
            collect(hub, ['two/#']);
            collect(hub, ['two/#']);
            hub.publish('nobody', { payload: 1 });
            hub.publish('one/reader', { payload: 2 }, 'p', false, true);
            hub.publish('two/readers', { payload: 3 });
            hub.publish('two/readers', { payload: 4 }, 'p', true);
            hub.inject({ topic: 'nobody', payload: 5, event: { type: 'nobody', id: 'r-1', ts: 1, source: '' } });
            assert.throws(() => hub.publish('bad/#', {}));
            const remote = new EventHub();
            remote.setOutbound(() => {});
            remote.publish('only/broker', { payload: 6 });
            assert.deepEqual(
                [...hub.typeTotals().byType],
                [
                    ['nobody', 2],
                    ['one/reader', 1],
                    ['two/readers', 2],
                ],
            );
            assert.equal(hub.typeTotals().other, 0);
            assert.deepEqual([...remote.typeTotals().byType], [['only/broker', 1]]);
        });

        it('names at most typeLimit types and counts the rest together', function () {
            const hub = new EventHub({ typeLimit: 2 });
            for (const t of ['a', 'b', 'c', 'a', 'd', 'c']) hub.publish(t, {});
            const totals = hub.typeTotals();
            assert.deepEqual(
                [...totals.byType],
                [
                    ['a', 2],
                    ['b', 1],
                ],
            );
            assert.equal(totals.other, 3);
        });
    });

    describe('onPublish', function () {
        it('tells each listener the type of every event published or injected, in order', function () {
            const hub = new EventHub();
            const a = [];
            const b = [];
            hub.onPublish((t) => a.push(t));
            hub.onPublish((t) => b.push(t));
            collect(hub, ['x']);
            hub.publish('x', { payload: 1 });
            hub.publish('nobody/listens', { payload: 2 });
            hub.publish('x', { payload: 3 }, 'p', false, true);
            hub.inject({
                topic: 'from/broker',
                payload: 4,
                event: { type: 'from/broker', id: 'r-1', ts: 1, source: '' },
            });
            const want = ['x', 'nobody/listens', 'x', 'from/broker'];
            assert.deepEqual(a, want);
            assert.deepEqual(b, want);
        });

        it('gives each listener the message as published, or the event as injected', function () {
            const hub = new EventHub();
            const seen = [];
            hub.onPublish((t, msg) => seen.push([t, msg]));
            const local = { payload: 1 };
            hub.publish('x', local);
            const remote = { topic: 'y', payload: 2, event: { type: 'y', id: 'r-1', ts: 1, source: '' } };
            hub.inject(remote);
            assert.equal(seen[0][1], local);
            assert.equal(seen[1][1], remote);
        });

        it('is not told of a refused type', function () {
            const hub = new EventHub();
            const seen = [];
            hub.onPublish((t) => seen.push(t));
            assert.throws(() => hub.publish('a/#', {}));
            assert.throws(() => hub.publish(42, {}));
            assert.deepEqual(seen, []);
        });

        it('stops calling a listener once it unsubscribes, even from inside a call, and leaves the others', function () {
            const hub = new EventHub();
            const a = [];
            const b = [];
            const stopA = hub.onPublish((t) => {
                a.push(t);
                stopA();
            });
            const stopB = hub.onPublish((t) => b.push(t));
            hub.publish('one', {});
            hub.publish('two', {});
            assert.deepEqual(a, ['one']);
            assert.deepEqual(b, ['one', 'two']);
            stopB();
            stopB();
            hub.publish('three', {});
            assert.deepEqual(b, ['one', 'two']);
        });

        it('removes one registration of a listener added twice per stop', function () {
            const hub = new EventHub();
            const seen = [];
            const listener = (t) => seen.push(t);
            const stop1 = hub.onPublish(listener);
            hub.onPublish(listener);
            hub.publish('t', {});
            stop1();
            stop1();
            hub.publish('u', {});
            assert.deepEqual(seen, ['t', 't', 'u']);
        });
    });

    it('copyForDelivery makes a fresh top-level object', function () {
        const ev = Object.freeze({ topic: 't', payload: 1, event: stub({}) });
        const m = copyForDelivery(ev);
        assert.notEqual(m, ev);
        assert.deepEqual(m, ev);
        assert.ok(!Object.isFrozen(m));
    });

    describe('writable deliveries', function () {
        const nested = () => ({ payload: { value: 1, nested: { x: 0 }, list: [{ a: 1 }] }, raw: Buffer.from('ab') });

        it('gives a subscriber whose flow may write a writable copy, and the others the shared frozen event', function () {
            const hub = new EventHub();
            const writer = collect(hub, ['t'], { mayWrite: true });
            const reader1 = collect(hub, ['t']);
            const reader2 = collect(hub, ['t'], { mayWrite: false });
            hub.publish('t', nested());
            const [w] = writer.got;
            w.payload.value = 42;
            w.payload.nested.x = 1;
            w.payload.list[0].a = 2;
            w.raw[0] = 0;
            w.event.source = 'changed';
            const [r1] = reader1.got;
            const [r2] = reader2.got;
            assert.deepEqual(r1.payload, { value: 1, nested: { x: 0 }, list: [{ a: 1 }] });
            assert.equal(r1.raw.toString(), 'ab');
            assert.equal(r1.event.source, '');
            assert.ok(Object.isFrozen(r1.payload.nested), 'readers share frozen values');
            assert.equal(r1.payload, r2.payload, 'the same object, not a copy per reader');
        });

        it('asks a resolver at each delivery until it answers, copying to be safe meanwhile', function () {
            const hub = new EventHub();
            let answer;
            let asked = 0;
            const s = collect(hub, ['t'], {
                mayWrite: () => {
                    asked++;
                    return answer;
                },
            });
            collect(hub, ['t']);
            hub.publish('t', nested());
            assert.equal(s.sub.writable, undefined);
            assert.ok(!Object.isFrozen(s.got[0].payload), 'not known yet: a writable copy');
            answer = false;
            hub.publish('t', nested());
            hub.publish('t', nested());
            assert.equal(asked, 2, 'settled by the first answer');
            assert.equal(s.sub.writable, false);
            assert.ok(Object.isFrozen(s.got[2].payload));
        });

        it('copies only the frozen values of an event a lone writer owns', function () {
            const hub = new EventHub();
            const first = collect(hub, ['a']);
            hub.publish('a', { payload: { v: 1 } });
            const writer = collect(hub, ['b'], { mayWrite: true });
            // Handed on unchanged, as a publish node does: a frozen value of the first hub inside an owned message.
            const own = { mine: { y: 1 } };
            const handedOn = { payload: first.got[0].payload, own };
            hub.publish('b', handedOn, '', false, true);
            const [m] = writer.got;
            assert.equal(m.own, own, 'its own objects are kept');
            assert.equal(handedOn.event, undefined, "the caller's object is not written to");
            assert.notEqual(m.payload, first.got[0].payload);
            m.payload.v = 2;
            assert.equal(first.got[0].payload.v, 1);
        });

        it('hands a message the publisher gave up to the last of several writers, each other one its own copy', function () {
            const hub = new EventHub();
            const writers = [0, 1, 2].map(() => collect(hub, ['t'], { mayWrite: true }));
            hub.publish('t', nested(), 'p', false, true); // settles whether they write
            const msg = nested();
            hub.publish('t', msg, 'p', false, true);
            const got = writers.map((w) => w.got[1]);
            assert.equal(got[2].payload, msg.payload, "the last writer gets the message's own values, nothing frozen");
            assert.ok(!Object.isFrozen(msg.payload.nested) && !Object.isFrozen(got[2].event));
            assert.equal(msg.event, undefined, "the caller's object is not written to");
            got[2].payload.nested.x = 9;
            got[2].raw[0] = 0;
            for (const m of got.slice(0, 2)) {
                assert.notEqual(m.payload, msg.payload);
                assert.deepEqual(m.payload, { value: 1, nested: { x: 0 }, list: [{ a: 1 }] });
                assert.equal(m.raw.toString(), 'ab');
                assert.equal(m.event.id, got[2].event.id, 'one event, one id');
            }
            got[0].payload.list[0].a = 5;
            assert.equal(got[1].payload.list[0].a, 1);
        });

        it("shares a frozen copy with the rest when a delivery fills a later writer's window", function () {
            const hub = new EventHub();
            let nudge = false;
            const first = hub.subscribe(
                (m) => {
                    // A flow that publishes at once, filling the next subscriber's window.
                    if (nudge && m.topic === 't') hub.publish('u', {});
                },
                { patterns: ['t'], mayWrite: true },
            );
            const full = collect(hub, ['t', 'u'], { mayWrite: true, maxInFlight: 2 });
            const last = collect(hub, ['t'], { mayWrite: true });
            hub.publish('t', nested(), 'p', false, true);
            nudge = true;
            const msg = nested();
            hub.publish('t', msg, 'p', false, true);
            assert.ok(first.active);
            assert.equal(full.sub.queued, 1, 'its window filled: the event waits');
            assert.notEqual(last.got[1].payload, msg.payload, "nobody gets the message's own values then");
            msg.payload.nested.x = 9;
            last.got[1].payload.nested.x = 8;
            full.sub.release(2);
            const queued = full.got[full.got.length - 1];
            assert.equal(queued.topic, 't');
            assert.deepEqual(queued.payload.nested, { x: 0 }, 'copied before anybody could change it');
            assert.ok(!Object.isFrozen(queued.payload), 'still a writable copy');
            assert.equal(queued.event.id, last.got[1].event.id, 'one event, one id');
        });

        it('writableCopy keeps request and response objects by reference', function () {
            const req = Object.freeze({ url: '/' });
            const ev = Object.freeze({
                topic: 't',
                req,
                payload: Object.freeze({ a: 1 }),
                event: stub(Object.freeze({})),
            });
            const m = writableCopy(ev, false, (v) => v);
            assert.equal(m.req, req);
            assert.ok(!Object.isFrozen(m.payload));
            assert.ok(!Object.isFrozen(m));
        });
    });
});
