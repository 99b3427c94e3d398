'use strict';
// Consumer groups over a real mosquitto, hub and bridge in this process: what the broker does with
// `$share/…` subscriptions, subscription identifiers and a persistent session. The same with three real
// Node-RED runtimes is consumer-group.test.js.
const assert = require('node:assert/strict');
const { until } = require('../helpers/wait');
const { EventHub } = require('../../src/core/hub/hub');
const { MqttBridge } = require('../../src/core/hub/mqtt-bridge');
const { startBroker } = require('../fixtures/broker');

let seq = 0;
function instance(url, extra = {}) {
    const hub = new EventHub();
    const bridge = new MqttBridge(hub, {
        url,
        clientId: `group-${process.pid}-${++seq}`,
        prefix: 'sensorhub',
        qos: 1,
        protocolVersion: 5,
        bufferLimit: 100_000,
        minBackoffMs: 50,
        maxBackoffMs: 400,
        ...extra,
    });
    const errors = [];
    bridge.on('error', (e) => errors.push(e));
    return { hub, bridge, errors };
}

function member(inst, patterns = ['job/#'], group = 'workers') {
    const got = [];
    const sub = inst.hub.subscribe((msg) => got.push(msg), { patterns, group });
    return { got, sub };
}

const settle = (ms) => new Promise((r) => setTimeout(r, ms));

describe('consumer groups over a real broker (hub and bridge)', function () {
    this.timeout(40000);
    let broker;
    const open = [];
    const track = (i) => (open.push(i), i);

    before(async function () {
        broker = await startBroker({ persistence: true });
    });
    afterEach(async function () {
        await Promise.all(open.splice(0).map((i) => i.bridge.close()));
    });
    after(async function () {
        if (broker) await broker.close();
    });

    async function connected(...insts) {
        for (const i of insts) i.bridge.start();
        await until(() => insts.every((i) => i.bridge.state === 'connected'), 'all connected');
        // The share subscriptions are sent after the ordinary one: give the broker a moment to have them all.
        await settle(200);
    }

    it('hands each event to one member over three instances, the publisher one of them; others get all', async function () {
        const [a, b, c] = [1, 2, 3].map(() => track(instance(broker.url)));
        const members = [member(a), member(b), member(c), member(c)];
        const watcher = track(instance(broker.url));
        const all = [];
        watcher.hub.subscribe((m) => all.push(m), { patterns: ['job/#'] });
        const aAll = [];
        a.hub.subscribe((m) => aAll.push(m), { patterns: ['job/#'] });
        await connected(a, b, c, watcher);
        const N = 600;
        for (let i = 0; i < N; i++) a.hub.publish(`job/${i % 3}`, { payload: i });
        const total = () => members.reduce((n, m) => n + m.got.length, 0);
        await until(() => total() >= N && all.length >= N, `all ${N} events (group ${total()}, watcher ${all.length})`);
        await settle(300);
        const payloads = members.flatMap((m) => m.got.map((msg) => msg.payload)).sort((x, y) => x - y);
        assert.deepEqual(payloads, [...Array(N).keys()], 'each event exactly once over the group');
        assert.ok(
            members.slice(0, 3).every((m) => m.got.length > 0),
            `every instance had a share: ${members.map((m) => m.got.length)}`,
        );
        assert.equal(all.length, N, 'a subscriber outside the group gets every event');
        assert.equal(aAll.length, N, 'the publishing instance delivers its own ungrouped subscriber once');
        assert.equal(a.bridge.stats().groupOrphans, 0);
        assert.deepEqual(
            [b, c].map((i) => i.bridge.stats().received),
            [0, 0],
            'an instance with only group members gets its share, not the whole stream besides',
        );
        assert.deepEqual(
            [a, b, c].flatMap((i) => i.errors.map((e) => e.message)),
            [],
        );
    });

    it('an event for a group no instance has is not delivered to anyone in that group', async function () {
        const a = track(instance(broker.url));
        const m = member(a, ['other/#'], 'g2');
        await connected(a);
        a.hub.publish('job/1', { payload: 1 });
        a.hub.publish('other/1', { payload: 2 });
        await until(() => m.got.length === 1, 'the member of g2');
        await settle(200);
        assert.deepEqual(
            m.got.map((x) => x.payload),
            [2],
        );
    });

    it('stops receiving the whole stream once its last subscriber outside the groups leaves', async function () {
        const pub = track(instance(broker.url));
        const a = track(instance(broker.url));
        const m = member(a);
        const plain = a.hub.subscribe(() => {}, { patterns: ['job/#'] });
        await connected(pub, a);
        pub.hub.publish('job/1', { payload: 1 });
        await until(() => a.bridge.stats().received === 1 && m.got.length === 1, 'whole and as a member');
        a.hub.unsubscribe(plain);
        await settle(200);
        for (let i = 2; i <= 11; i++) pub.hub.publish('job/1', { payload: i });
        await until(() => m.got.length === 11, 'the member gets the rest');
        await settle(200);
        assert.equal(a.bridge.stats().received, 1, 'not the whole stream besides');
    });

    /** Ends a bridge's connection without a DISCONNECT, as a killed process would. */
    async function kill(inst) {
        const client = /** @type {any} */ (inst.bridge).client;
        client.stream.destroy();
        client.end(true);
        await inst.bridge.close();
    }

    it('a killed member that comes back with its session gets what the broker kept for it', async function () {
        const pub = track(instance(broker.url));
        const id = `group-comeback-${process.pid}`;
        const first = instance(broker.url, { clientId: id });
        member(first);
        await connected(pub, first);
        await kill(first);
        // The session (and its share) stays on the broker: events for the group queue there while it is away.
        for (let i = 0; i < 50; i++) pub.hub.publish('job/x', { payload: i });
        await settle(200);
        const again = track(instance(broker.url, { clientId: id }));
        const m = member(again);
        again.bridge.start();
        await until(() => m.got.length === 50, `the 50 kept events (got ${m.got.length})`);
        assert.equal(again.bridge.stats().groupOrphans, 0);
    });

    it('a member stopped cleanly leaves its group: the others get everything', async function () {
        const pub = track(instance(broker.url));
        const gone = instance(broker.url);
        const stays = track(instance(broker.url));
        member(gone);
        const m = member(stays);
        await connected(pub, gone, stays);
        await gone.bridge.close();
        await settle(200);
        for (let i = 0; i < 50; i++) pub.hub.publish('job/x', { payload: i });
        await until(() => m.got.length === 50, `all 50 at the member left (got ${m.got.length})`);
    });

    it('while a killed member is away, the broker keeps handing it its turn (measured)', async function () {
        const pub = track(instance(broker.url));
        const dead = instance(broker.url);
        const alive = track(instance(broker.url));
        member(dead);
        const m = member(alive);
        await connected(pub, dead, alive);
        await kill(dead);
        await settle(200);
        // One event per event-loop turn: each its own broker message (events of one turn travel as one batch).
        for (let i = 0; i < 100; i++) {
            pub.hub.publish('job/x', { payload: i });
            await new Promise((r) => setImmediate(r));
        }
        await until(() => m.got.length >= 50, `the live member's share (got ${m.got.length})`);
        await settle(500);
        console.log(`      live member got ${m.got.length} of 100 while the other was killed`);
    });
});
