'use strict';
const assert = require('node:assert/strict');
const { until } = require('../helpers/wait');
const mqtt = require('mqtt');
const { EventHub } = require('../../src/core/hub/hub');
const { MqttBridge, brokerUrlError, prefixError } = require('../../src/core/hub/mqtt-bridge');
const { startBroker, freePort } = require('../fixtures/broker');
const { BlackholeRelay } = require('../fixtures/blackhole');
const { textOf } = require('../helpers/types');

let clientSeq = 0;
function node(url, extra = {}, { reader = true } = {}) {
    const hub = new EventHub();
    const bridge = new MqttBridge(hub, {
        url,
        clientId: `test-${process.pid}-${++clientSeq}`,
        prefix: 'sensorhub',
        qos: 1,
        protocolVersion: 5,
        bufferLimit: 1000,
        minBackoffMs: 50,
        maxBackoffMs: 400,
        ...extra,
    });
    const got = [];
    if (reader) hub.subscribe((msg) => got.push(msg), { patterns: ['#'] });
    const errors = [];
    bridge.on('error', (e) => errors.push(e));
    return { hub, bridge, got, errors };
}

/** Starts a node's bridge and resolves once it is connected and its subscription has settled. */
async function connected(n) {
    n.bridge.start();
    await until(() => n.bridge.state === 'connected', 'connect');
    await new Promise((r) => setTimeout(r, 100));
    return n;
}

/** A client that keeps the last status (online, offline) each instance under the default prefix said. */
async function watchStatus(url) {
    const watcher = mqtt.connect(url, { protocolVersion: 5 });
    const status = new Map();
    watcher.on('message', (topic, payload) => status.set(topic, payload.toString()));
    await new Promise((r) => watcher.on('connect', r));
    await new Promise((r) => watcher.subscribe('$sensorhub/sensorhub/instances/+', { qos: 1 }, r));
    return { watcher, status };
}

describe('MQTT bridge with a real broker', function () {
    this.timeout(30000);
    let broker;
    const open = [];
    function track(n) {
        open.push(n);
        return n;
    }

    before(async function () {
        broker = await startBroker({ persistence: true });
    });
    afterEach(async function () {
        await Promise.all(open.splice(0).map((n) => n.bridge.close()));
    });
    after(async function () {
        if (broker) await broker.close();
    });

    for (const protocolVersion of [5, 4]) {
        it(`shares events both ways between two hubs, none twice (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, async function () {
            const a = track(node(broker.url, { protocolVersion }));
            const b = track(node(broker.url, { protocolVersion }));
            a.bridge.start();
            b.bridge.start();
            await until(() => a.bridge.state === 'connected' && b.bridge.state === 'connected', 'connect');
            await new Promise((r) => setTimeout(r, 100));
            a.hub.publish('home/kitchen/temperature', { payload: 21.5, sensor: { id: 't1' } }, 'pubA');
            b.hub.publish('motion_detected', { payload: true }, 'pubB');
            await until(() => a.got.length === 2 && b.got.length === 2, 'both events on both hubs');
            await new Promise((r) => setTimeout(r, 300));
            assert.deepEqual(
                a.got.map((m) => m.topic),
                ['home/kitchen/temperature', 'motion_detected'],
            );
            assert.deepEqual(b.got.map((m) => m.topic).sort(), ['home/kitchen/temperature', 'motion_detected']);
            const remote = b.got.find((m) => m.topic === 'home/kitchen/temperature');
            assert.equal(remote.payload, 21.5);
            assert.deepEqual(remote.sensor, { id: 't1' });
            assert.equal(remote.event.source, 'pubA');
            // One local reader owns the decoded event outright, as a Node-RED node owns the message it receives.
            assert.ok(!Object.isFrozen(remote.sensor), 'a lone reader gets the event itself, nothing to freeze');
            if (protocolVersion === 5) assert.equal(a.bridge.stats().echoesDropped, 0, 'No Local keeps our own events');
            else assert.equal(a.bridge.stats().echoesDropped, 1, 'the origin check drops our own event');
        });
    }

    it('takes no event from the broker while nothing here reads them: no echo of its own over 3.1.1', async function () {
        // A prefix of its own: the retained event it leaves must not reach the other tests' hubs.
        const a = track(node(broker.url, { protocolVersion: 4, prefix: 'quiet' }, { reader: false }));
        const b = track(node(broker.url, { protocolVersion: 4, prefix: 'quiet' }));
        a.bridge.start();
        b.bridge.start();
        await until(() => a.bridge.state === 'connected' && b.bridge.state === 'connected', 'connect');
        await new Promise((r) => setTimeout(r, 100));
        b.hub.publish('door/state', { payload: 'closed' }, 'pubB', true);
        for (let i = 0; i < 20; i++) a.hub.publish('x', { payload: i }, 'pubA');
        await until(() => b.got.filter((m) => m.topic === 'x').length === 20, "a's events at b");
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(a.bridge.stats().echoesDropped, 0, 'a publishing-only instance gets none of its events back');
        assert.equal(a.bridge.stats().received, 0);
        // A reader arrives: the hub subscribes now, and the broker hands it the retained state it missed.
        const got = [];
        const sub = a.hub.subscribe((msg) => got.push(msg), { patterns: ['#'] });
        await until(() => got.some((m) => m.topic === 'door/state'), 'the retained state, from the broker');
        b.hub.publish('door/state', { payload: 'open' }, 'pubB', true);
        await until(() => got.some((m) => m.payload === 'open'), 'a live event after the subscription');
        assert.deepEqual(
            got.map((m) => m.payload),
            ['closed', 'open'],
        );
        a.hub.unsubscribe(sub);
        for (let i = 0; i < 5; i++) a.hub.publish('y', { payload: i }, 'pubA');
        await until(() => b.got.filter((m) => m.topic === 'y').length === 5, "a's later events at b");
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(a.bridge.stats().echoesDropped, 0, 'unsubscribed again once its reader left');
    });

    it('takes every event while a monitor watches a hub with no subscriber', async function () {
        const a = track(node(broker.url, { protocolVersion: 4 }, { reader: false }));
        const b = track(node(broker.url, { protocolVersion: 4 }));
        const seen = [];
        a.hub.onPublish((type) => seen.push(type));
        await connected(a);
        await connected(b);
        b.hub.publish('motion', { payload: true }, 'pubB');
        await until(() => seen.includes('motion'), "b's event counted at a");
    });

    it('says online and offline on its retained status topic, by its last will when it dies', async function () {
        const { watcher, status } = await watchStatus(broker.url);
        try {
            const a = node(broker.url);
            const b = track(node(broker.url));
            a.bridge.start();
            b.bridge.start();
            await until(() => status.get(a.bridge.statusTopic) === 'online', 'a online');
            await until(() => status.get(b.bridge.statusTopic) === 'online', 'b online');
            // Killed: the socket goes without a DISCONNECT, so the broker publishes the will.
            const client = /** @type {any} */ (a.bridge).client;
            client.stream.destroy();
            client.end(true);
            await until(() => status.get(a.bridge.statusTopic) === 'offline', 'a offline by its will');
            await a.bridge.close();
            await b.bridge.close();
            await until(() => status.get(b.bridge.statusTopic) === 'offline', 'b offline on a clean close');
            assert.equal(b.got.length, 0, 'status messages are never hub events');
            assert.equal(b.bridge.stats().decodeErrors, 0);
        } finally {
            watcher.end(true);
        }
    });

    it('is taken for gone after 1.5 times its keep alive when its network goes silent, and says so by its will', async function () {
        // A pulled cable between the hub and the broker: no FIN, no reset; only the keep alive can tell.
        const relay = new BlackholeRelay({ host: '127.0.0.1', port: broker.port });
        await relay.listen();
        const { watcher, status } = await watchStatus(broker.url);
        try {
            // The default of 60 s would keep it "online" for 90 s after the cut, far past this test's deadline.
            const a = track(node(`mqtt://127.0.0.1:${relay.port}`, { keepalive: 1 }));
            a.bridge.start();
            await until(() => status.get(a.bridge.statusTopic) === 'online', 'online');
            relay.blackhole();
            await until(() => status.get(a.bridge.statusTopic) === 'offline', 'offline by its will', 20000);
            await until(() => a.bridge.state !== 'connected', 'the hub noticing too', 20000);
            relay.restore();
            await until(() => status.get(a.bridge.statusTopic) === 'online', 'online again', 20000);
        } finally {
            watcher.end(true);
            await relay.close();
        }
    });

    it('freezes the nested values of a remote event that two local subscribers share', async function () {
        const a = track(node(broker.url));
        const b = track(node(broker.url));
        const second = [];
        b.hub.subscribe((msg) => second.push(msg), { patterns: ['home/#'] });
        a.bridge.start();
        b.bridge.start();
        await until(() => a.bridge.state === 'connected' && b.bridge.state === 'connected', 'connect');
        await new Promise((r) => setTimeout(r, 100));
        a.hub.publish('home/hall/temperature', { payload: 20, sensor: { id: 't2' } }, 'pubA');
        await until(() => b.got.length === 1 && second.length === 1, 'the event at both subscribers');
        assert.notEqual(b.got[0], second[0], 'each subscriber has its own message');
        assert.equal(b.got[0].sensor, second[0].sensor, 'nested values are shared…');
        assert.ok(Object.isFrozen(second[0].sensor), '…and frozen');
    });

    it('buffers while the broker is unreachable and delivers in order after connecting', async function () {
        // b's session, subscription included, is on the broker before it stops (and kept over the restart): a's
        // events reach it whichever of the two reconnects first.
        const late = await startBroker({ persistence: true });
        try {
            const b = track(node(late.url));
            b.bridge.start();
            await until(() => b.bridge.state === 'connected', 'b connect');
            await late.stop();
            const a = track(node(late.url));
            a.bridge.start();
            for (let i = 1; i <= 20; i++) a.hub.publish('seq', { payload: i });
            assert.equal(a.bridge.stats().buffered, 20);
            assert.equal(a.got.length, 20, 'local subscribers do not wait for the broker');
            await late.restart();
            await until(() => b.got.length === 20, 'buffered events at b', 15000);
            assert.deepEqual(
                b.got.map((m) => m.payload),
                Array.from({ length: 20 }, (_, i) => i + 1),
            );
            assert.equal(a.bridge.stats().buffered, 0);
        } finally {
            await late.close();
        }
    });

    it('drops the oldest buffered events beyond the bound, and counts them', async function () {
        const port = await freePort();
        const a = track(node(`mqtt://127.0.0.1:${port}`, { bufferLimit: 5 }));
        a.bridge.start();
        for (let i = 1; i <= 12; i++) a.hub.publish('seq', { payload: i });
        const s = a.bridge.stats();
        assert.equal(s.buffered, 5);
        assert.equal(s.bufferDropped, 7);
    });

    it('loses nothing at QoS 1 when the broker restarts in the middle of a stream', async function () {
        const a = track(node(broker.url, { clientId: 'restart-a' }));
        const b = track(node(broker.url, { clientId: 'restart-b' }));
        a.bridge.start();
        b.bridge.start();
        await until(() => a.bridge.state === 'connected' && b.bridge.state === 'connected', 'connect');
        await new Promise((r) => setTimeout(r, 100));
        const N = 400;
        for (let i = 1; i <= N; i++) {
            a.hub.publish('stream', { payload: i });
            if (i === N / 2) await broker.restart();
            if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
        }
        await until(() => b.got.length >= N, `all ${N} events at b (got ${b.got.length})`, 20000);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(
            b.got.map((m) => m.payload),
            Array.from({ length: N }, (_, i) => i + 1),
            'every event once, in publish order',
        );
        assert.ok(a.bridge.stats().reconnects >= 1, 'the bridge reconnected');
    });

    it('listens on a new prefix even when the broker resumes a session subscribed to the old one', async function () {
        const old = track(node(broker.url, { clientId: 'prefix-change', prefix: 'old' }));
        old.bridge.start();
        await until(() => old.bridge.state === 'connected', 'first connect');
        await new Promise((r) => setTimeout(r, 100));
        await old.bridge.close();
        const renamed = track(node(broker.url, { clientId: 'prefix-change', prefix: 'new' }));
        renamed.bridge.start();
        await until(() => renamed.bridge.state === 'connected', 'reconnect with the same client id');
        await new Promise((r) => setTimeout(r, 100));
        const raw = await mqtt.connectAsync(broker.url);
        await raw.publishAsync('new/t', JSON.stringify({ o: 'z', s: 1, m: { payload: 'new' } }), { qos: 1 });
        await raw.endAsync();
        await until(() => renamed.got.length === 1, 'the event on the new prefix');
        assert.equal(renamed.got[0].payload, 'new');
    });

    it('ignores garbage on its topics, counts it and keeps working', async function () {
        const b = await connected(track(node(broker.url)));
        const raw = await mqtt.connectAsync(broker.url);
        await raw.publishAsync('sensorhub/x', 'not json', { qos: 1 });
        await raw.publishAsync('sensorhub/x', '[1,2]', { qos: 1 });
        await raw.publishAsync('sensorhub/', JSON.stringify({ o: 'z', s: 1, m: {} }), { qos: 1 });
        await raw.publishAsync('sensorhub/ok', JSON.stringify({ o: 'z', s: 1, m: { payload: 7 } }), { qos: 1 });
        await raw.endAsync();
        await until(() => b.got.length === 1, 'the valid event');
        assert.equal(b.got[0].payload, 7);
        assert.equal(b.bridge.stats().decodeErrors, 3);
        assert.match(b.errors[0].message, /ignored a message on sensorhub\/x: not JSON/);
    });

    it('knows its own events by their envelope head without decoding them, and only its own', async function () {
        // Without No Local (3.1.1) every event comes back: what starts as ours is dropped as an echo unparsed,
        // even were the rest broken; an instance whose id merely starts with ours is someone else.
        const b = await connected(track(node(broker.url, { protocolVersion: 4, instanceId: 'inst-1' })));
        const raw = await mqtt.connectAsync(broker.url);
        await raw.publishAsync('sensorhub/x', '{"o":"inst-1","s":9,"m":{broken', { qos: 1 });
        await raw.publishAsync('sensorhub/ok', JSON.stringify({ o: 'inst-10', s: 1, m: { payload: 7 } }), { qos: 1 });
        await raw.endAsync();
        await until(() => b.got.length === 1, 'the other instance’s event');
        assert.equal(b.got[0].payload, 7);
        assert.equal(b.bridge.stats().echoesDropped, 1);
        assert.equal(b.bridge.stats().decodeErrors, 0);
    });

    it('sends a burst of one type as one broker message and delivers its events in order, each on its own', async function () {
        const a = track(node(broker.url));
        const b = track(node(broker.url));
        a.bridge.start();
        b.bridge.start();
        await until(() => a.bridge.state === 'connected' && b.bridge.state === 'connected', 'connect');
        await new Promise((r) => setTimeout(r, 100));
        const tap = await mqtt.connectAsync(broker.url);
        const wire = [];
        tap.on('message', (topic, payload) => wire.push({ topic, body: JSON.parse(payload.toString()) }));
        await tap.subscribeAsync(['sensorhub/t', 'sensorhub/u']);
        // One turn: 150 of one type (the first at once, then a full batch of 100, then 49), one of another, and one
        // more of the first.
        for (let i = 0; i < 150; i++) a.hub.publish('t', { payload: i }, 'p');
        a.hub.publish('u', { payload: 'u' }, 'p');
        a.hub.publish('t', { payload: 150 }, 'p');
        await until(() => b.got.length === 152, 'every event');
        await until(() => wire.length === 5, 'the broker messages');
        await tap.endAsync();
        assert.deepEqual(
            b.got.map((m) => m.payload),
            [...Array.from({ length: 150 }, (_, i) => i), 'u', 150],
        );
        assert.ok(
            b.got.every((m, i) => i === 0 || m.event.id !== b.got[i - 1].event.id),
            'each event its own id',
        );
        assert.deepEqual(
            wire.map((w) => [w.topic, w.body.b ? w.body.b.length : 'single']),
            [
                ['sensorhub/t', 'single'],
                ['sensorhub/t', 100],
                ['sensorhub/t', 49],
                ['sensorhub/u', 'single'],
                ['sensorhub/t', 'single'],
            ],
        );
        assert.equal(a.bridge.stats().sent, 152);
        assert.equal(b.bridge.stats().received, 152);
    });

    it('writes a lone event at once, and batches what follows it in the same turn to the end of the turn', async function () {
        const a = track(node(broker.url));
        a.bridge.start();
        await until(() => a.bridge.state === 'connected', 'connect');
        await new Promise((r) => setTimeout(r, 100));
        const stream = a.bridge.client.stream;
        const before = stream.bytesWritten;
        a.hub.publish('t', { payload: 1 }, 'p');
        // mqtt.js holds a packet's parts until the next tick; the end of the turn (setImmediate) is later.
        await new Promise((r) => process.nextTick(r));
        assert.equal(a.bridge.stats().sent, 1, 'the lone event is sent before the turn ends');
        assert.ok(stream.bytesWritten > before, 'and written to the socket');
        a.hub.publish('t', { payload: 2 }, 'p');
        a.hub.publish('t', { payload: 3 }, 'p');
        await new Promise((r) => process.nextTick(r));
        assert.equal(a.bridge.stats().sent, 1, 'what follows in the same turn waits for its end');
        await new Promise((r) => setImmediate(r));
        assert.equal(a.bridge.stats().sent, 3);
    });

    it('delivers the events of a batch and counts what in it is not an event', async function () {
        const b = await connected(track(node(broker.url)));
        const raw = await mqtt.connectAsync(broker.url);
        const batch = { o: 'z', s: 1, b: [{ payload: 1 }, 7, null, [2], { payload: 2 }] };
        await raw.publishAsync('sensorhub/x', JSON.stringify(batch), { qos: 1 });
        await raw.publishAsync('sensorhub/x', JSON.stringify({ o: 'z', s: 2, b: {} }), { qos: 1 });
        await raw.publishAsync('sensorhub/x', JSON.stringify({ o: 'z', s: 3, m: {}, b: [] }), { qos: 1 });
        await raw.endAsync();
        await until(() => b.got.length === 2 && b.bridge.stats().decodeErrors === 5, 'the two events, five errors');
        assert.deepEqual(
            b.got.map((m) => m.payload),
            [1, 2],
        );
        assert.equal(b.bridge.stats().received, 2);
    });

    it('reports an unreachable broker once, backs off, and does not storm', async function () {
        const port = await freePort();
        const a = track(node(`mqtt://127.0.0.1:${port}`, { minBackoffMs: 20, maxBackoffMs: 160 }));
        a.bridge.start();
        await until(() => a.bridge.stats().reconnects >= 2, 'it keeps trying');
        // Then a while to count the tries in: on a loaded machine there are fewer, never more.
        await new Promise((r) => setTimeout(r, 1200));
        const reconnects = a.bridge.stats().reconnects;
        assert.ok(reconnects < 20, `with backoff, not a storm (${reconnects} tries)`);
        assert.equal(a.errors.length, 1, 'the same error is reported once');
        assert.match(a.errors[0].message, /ECONNREFUSED/);
        assert.notEqual(a.bridge.state, 'connected');
    });

    it('reports refused credentials clearly', async function () {
        const secured = await startBroker({ users: { alice: 's3cret' } });
        try {
            const bad = track(node(secured.url, { username: 'alice', password: 'wrong' }));
            bad.bridge.start();
            await until(() => bad.errors.length > 0, 'an auth error');
            assert.match(bad.errors[0].message, /not authori[sz]ed|bad user ?name or password/i);
            const good = track(node(secured.url, { username: 'alice', password: 's3cret' }));
            good.bridge.start();
            await until(() => good.bridge.state === 'connected', 'connect with the right password');
        } finally {
            await Promise.all(open.splice(0).map((n) => n.bridge.close()));
            await secured.close();
        }
    });

    it('connects over TLS when it trusts the broker certificate, and refuses when it does not', async function () {
        const secure = await startBroker({ tls: true });
        try {
            const trusting = track(node(secure.url, { tls: { ca: secure.tls.ca, rejectUnauthorized: true } }));
            const other = track(node(secure.url, { tls: { ca: secure.tls.ca, rejectUnauthorized: true } }));
            trusting.bridge.start();
            other.bridge.start();
            await until(
                () => trusting.bridge.state === 'connected' && other.bridge.state === 'connected',
                'TLS connect',
            );
            trusting.hub.publish('secure/t', { payload: 1 });
            await until(() => other.got.length === 1, 'an event over TLS');
            const wary = track(node(secure.url, { tls: { rejectUnauthorized: true } }));
            wary.bridge.start();
            await until(() => wary.errors.length > 0, 'a certificate error');
            assert.match(wary.errors[0].message, /self[- ]signed certificate/i);
            assert.notEqual(wary.bridge.state, 'connected');
        } finally {
            await Promise.all(open.splice(0).map((n) => n.bridge.close()));
            await secure.close();
        }
    });

    it('refuses unusable broker URLs and prefixes before connecting', function () {
        assert.match(textOf(brokerUrlError('')), /empty/);
        assert.match(textOf(brokerUrlError('localhost:1883')), /scheme must be mqtt/);
        assert.match(textOf(brokerUrlError('not a url')), /is not a URL/);
        assert.match(textOf(brokerUrlError('http://x')), /scheme must be/);
        assert.equal(brokerUrlError('mqtts://broker.example:8883'), undefined);
        assert.match(textOf(prefixError('a/#')), /cannot contain/);
        assert.match(textOf(prefixError('a/')), /must not end with/);
        assert.throws(() => node('ftp://x'), /scheme must be mqtt/);
    });
});
