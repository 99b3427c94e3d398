'use strict';
// Two real Node-RED processes sharing events through mqtt hubs on one real mosquitto, driven and observed only
// through HTTP endpoints in their own flows: what a user running the package on two machines would see.
const assert = require('node:assert/strict');
const { DEFAULT_NODE_RED, startNodeRed } = require('./launcher');
const { startBroker } = require('../fixtures/broker');
const { needTool } = require('../helpers/tools');
const { until } = require('../helpers/wait');

const STREAM_LENGTH = 300;
const BATCH = 50;

// Distinct ids per instance, so msg.event.source tells which instance published an event.
const nodeId = (who, n) => `${who}e2e${n.toString(16).padStart(12, '0')}`;

/** The flows of one instance: an mqtt hub, HTTP endpoints to publish and to read what was received and shown. */
function instanceFlows(who, brokerUrl) {
    const id = (n) => nodeId(who, n);
    const tab = id(1);
    const hub = id(2);
    const pub = id(3);
    const sub = id(4);
    const fn = (n, name, func, outputs, wires, y) => ({
        id: id(n),
        type: 'function',
        z: tab,
        name,
        func,
        outputs,
        timeout: 0,
        noerr: 0,
        initialize: '',
        finalize: '',
        libs: [],
        x: 400,
        y,
        wires,
    });
    const httpIn = (n, method, url, wires, y) => ({
        id: id(n),
        type: 'http in',
        z: tab,
        name: '',
        url,
        method,
        upload: false,
        swaggerDoc: '',
        x: 150,
        y,
        wires,
    });
    const httpResponse = (n, y) => ({
        id: id(n),
        type: 'http response',
        z: tab,
        name: '',
        statusCode: '',
        headers: {},
        x: 650,
        y,
        wires: [],
    });
    return [
        { id: tab, type: 'tab', label: `instance ${who}`, disabled: false, info: '' },
        {
            id: hub,
            type: 'sensorhub-hub',
            name: `hub ${who}`,
            backend: 'mqtt',
            broker: brokerUrl,
            prefix: 'sensorhub',
            qos: '1',
            protocol: '5',
            clientId: '',
            bufferLimit: 10000,
            queueLimit: 1000,
            overflow: 'drop-oldest',
            usetls: false,
        },
        httpIn(10, 'post', '/e2e/publish', [[id(11)]], 40),
        fn(
            11,
            'publish each',
            [
                'const events = msg.payload.map((e) => ({ topic: e.topic, payload: e.payload }));',
                'msg.payload = { published: events.length };',
                'return [events, msg];',
            ].join('\n'),
            2,
            [[pub], [id(12)]],
            40,
        ),
        {
            id: pub,
            type: 'sensorhub-publish',
            z: tab,
            name: '',
            hub,
            eventType: '',
            retain: false,
            x: 650,
            y: 20,
            wires: [],
        },
        httpResponse(12, 60),
        {
            id: sub,
            type: 'sensorhub-subscribe',
            z: tab,
            name: '',
            hub,
            patterns: 'home/#, stream/#',
            queueLimit: '',
            overflow: '',
            sendRetained: true,
            x: 150,
            y: 120,
            wires: [[id(20)]],
        },
        fn(
            20,
            'record',
            [
                "const got = flow.get('received') || [];",
                'got.push({ topic: msg.topic, payload: msg.payload, source: msg.event.source });',
                "flow.set('received', got);",
                'return null;',
            ].join('\n'),
            1,
            [[]],
            120,
        ),
        httpIn(21, 'get', '/e2e/received', [[id(22)]], 180),
        fn(22, 'list received', "msg.payload = flow.get('received') || [];\nreturn msg;", 1, [[id(23)]], 180),
        httpResponse(23, 180),
        {
            id: id(30),
            type: 'status',
            z: tab,
            name: '',
            scope: [pub, sub],
            x: 150,
            y: 240,
            wires: [[id(31)]],
        },
        fn(
            31,
            'record status',
            [
                "const all = flow.get('statuses') || {};",
                'const { fill, shape, text, source } = msg.status;',
                '(all[source.id] = all[source.id] || []).push({ fill, shape, text });',
                "flow.set('statuses', all);",
                'return null;',
            ].join('\n'),
            1,
            [[]],
            240,
        ),
        httpIn(32, 'get', '/e2e/status', [[id(33)]], 300),
        fn(33, 'list statuses', "msg.payload = flow.get('statuses') || {};\nreturn msg;", 1, [[id(34)]], 300),
        httpResponse(34, 300),
    ];
}

/** One Node-RED process and the endpoints its flows serve. */
function instance(who, red) {
    const call = async (method, path, body) => {
        const res = await red.request(method, path, body);
        assert.equal(res.status, 200, `${method} ${path} on ${who}: ${JSON.stringify(res.body)}\n${red.log()}`);
        return res.body;
    };
    return {
        who,
        red,
        pub: nodeId(who, 3),
        sub: nodeId(who, 4),
        publish: (events) => call('POST', '/e2e/publish', events),
        received: () => call('GET', '/e2e/received'),
        statuses: () => call('GET', '/e2e/status'),
    };
}

/**
 * `until` for a check that has to ask over HTTP: `probe()` resolves to a value, done when `ok(value)`. On timeout the
 * last answer, as `show` puts it, tells what was missing.
 */
async function untilAnswer(probe, ok, what, ms, show = JSON.stringify) {
    let last;
    let settled = false;
    let failed = null;
    let asking = null;
    const ask = () => {
        asking = probe().then(
            (value) => {
                last = value;
                settled = ok(value);
                asking = null;
            },
            (err) => (failed = err),
        );
    };
    ask();
    await until(
        () => {
            if (failed) throw failed;
            if (!settled && asking === null) ask();
            return settled;
        },
        what,
        ms,
    ).catch((err) => {
        err.message += `; last answer: ${show(last)}`;
        throw err;
    });
    return last;
}

/** A list of numbers as runs, e.g. "1-142, 151-300": a lost or repeated stretch shows at a glance. */
function runs(numbers) {
    const out = [];
    let start = 0;
    for (let i = 1; i <= numbers.length; i++) {
        if (i === numbers.length || numbers[i] !== numbers[i - 1] + 1) {
            out.push(i - 1 === start ? `${numbers[start]}` : `${numbers[start]}-${numbers[i - 1]}`);
            start = i;
        }
    }
    return out.join(', ');
}

const withTopic = (prefix) => (list) => list.filter((e) => e.topic.startsWith(prefix));
const errorLines = (text) => text.split('\n').filter((line) => /\[(error|fatal)\]/.test(line));

describe(`e2e: two ${DEFAULT_NODE_RED} instances sharing events through mosquitto`, function () {
    this.timeout(120000);
    let broker;
    let a;
    let b;
    // Log positions of each instance around the broker restart: the only time a broker error is expected.
    let restartLog = null;

    before(async function () {
        needTool(this, 'mosquitto');
        // Persistence keeps the QoS 1 sessions, and the events queued in them, across the broker restart below.
        broker = await startBroker({ persistence: true });
        // Settled, not all: when one fails to start, the other must still reach the after hook to be stopped.
        const [redA, redB] = await Promise.allSettled(
            ['a', 'b'].map((who) => startNodeRed({ port: 0, flows: instanceFlows(who, broker.url) })),
        );
        if (redA.status === 'fulfilled') a = instance('a', redA.value);
        if (redB.status === 'fulfilled') b = instance('b', redB.value);
        for (const r of [redA, redB]) if (r.status === 'rejected') throw r.reason;
        // Connected is not yet subscribed: an event counts as shared only once the other side has received one.
        const ready = (from, to) =>
            untilAnswer(
                async () => {
                    await from.publish([{ topic: 'home/ready', payload: from.who }]);
                    return to.received();
                },
                (got) => got.some((e) => e.source === from.pub),
                `${to.who} to receive an event from ${from.who}`,
                20000,
            );
        await ready(a, b);
        await ready(b, a);
    });

    after(async function () {
        await Promise.all([a, b].filter(Boolean).map((x) => x.red.stop()));
    });
    after(async function () {
        if (broker) await broker.close();
    });

    it('shares events both ways, each delivered once on every instance', async function () {
        const fromA = [
            { topic: 'home/kitchen/temperature', payload: 21.5 },
            { topic: 'home/kitchen/humidity', payload: { value: 48, unit: '%' } },
        ];
        const fromB = [
            { topic: 'home/garage/temperature', payload: 7.25 },
            { topic: 'home/garage/door', payload: 'open' },
        ];
        const fence = { topic: 'home/fence', payload: true };
        const tagged = (events, who) => events.map((e) => ({ ...e, source: nodeId(who, 3) }));
        const home = withTopic('home/');
        const skipReady = (list) => home(list).filter((e) => e.topic !== 'home/ready');
        const arrived = (n) => (list) => skipReady(list).length >= n;

        // Each step waits for the previous one to arrive over the broker, so the expected order is fixed. The last
        // event (A's fence) reaches B after any echo of B's own events could have reached B, and B's events reach A
        // after any echo of A's: the broker delivers to a client in the order it routed the messages.
        await a.publish(fromA);
        await untilAnswer(b.received, arrived(2), "A's events at B", 10000);
        await b.publish(fromB);
        await untilAnswer(a.received, arrived(4), "B's events at A", 10000);
        await a.publish([fence]);
        await untilAnswer(b.received, arrived(5), "A's fence at B", 10000);
        await untilAnswer(a.received, arrived(5), "A's fence at A", 10000);

        const expected = [...tagged(fromA, 'a'), ...tagged(fromB, 'b'), ...tagged([fence], 'a')];
        assert.deepEqual(skipReady(await a.received()), expected, 'events at A');
        assert.deepEqual(skipReady(await b.received()), expected, 'events at B');
    });

    it('loses, repeats and reorders nothing at QoS 1 when the broker restarts in the middle of a stream', async function () {
        const before = { a: await a.statuses(), b: await b.statuses() };
        const numbers = Array.from({ length: STREAM_LENGTH }, (_, i) => i + 1);
        const batches = [];
        for (let i = 0; i < numbers.length; i += BATCH) {
            batches.push(numbers.slice(i, i + BATCH).map((n) => ({ topic: 'stream/seq', payload: n })));
        }
        const middle = batches.length / 2;
        restartLog = { a: { from: a.red.mark() }, b: { from: b.red.mark() } };
        let restarting = null;
        for (let i = 0; i < batches.length; i++) {
            // Not awaited: the later batches are published while the broker is stopping, down and starting again.
            if (i === middle) restarting = broker.restart();
            await a.publish(batches[i]);
        }
        await restarting;

        const seq = withTopic('stream/seq');
        const numbersIn = (got) => seq(got).map((e) => e.payload);
        await untilAnswer(
            b.received,
            (got) => seq(got).length >= STREAM_LENGTH,
            'the whole stream at B',
            30000,
            (got) => runs(numbersIn(got)),
        );
        // As in the test above: once the end marker is in, a repeat sent before it would have arrived.
        await a.publish([{ topic: 'stream/end', payload: STREAM_LENGTH }]);
        const atB = await untilAnswer(
            b.received,
            (got) => got.some((e) => e.topic === 'stream/end'),
            'the end of the stream at B',
            10000,
        );
        const atA = await untilAnswer(
            a.received,
            (got) => got.some((e) => e.topic === 'stream/end'),
            'the end of the stream at A',
            10000,
        );

        assert.equal(runs(numbersIn(atB)), runs(numbers), 'B received every number once, in order');
        assert.ok(
            seq(atB).every((e) => e.source === a.pub),
            'every number at B was published by A',
        );
        assert.equal(runs(numbersIn(atA)), runs(numbers), "A's own subscriber received every number once, in order");
        assert.equal(withTopic('stream/end')(atB).length, 1);
        assert.equal(withTopic('stream/end')(atA).length, 1);

        // The status dots follow the connection: not green while the broker was away, green again now.
        const since = (all, before, id) => (all[id] || []).slice((before[id] || []).length);
        const reconnected = (x, id) =>
            untilAnswer(
                x.statuses,
                (all) => {
                    const shown = since(all, before[x.who], id);
                    return shown.length > 0 && shown[shown.length - 1].fill === 'green';
                },
                `a green status again on ${x.who}'s node ${id}`,
                10000,
            ).then((all) => since(all, before[x.who], id));
        for (const [x, id] of [
            [a, a.pub],
            [a, a.sub],
            [b, b.sub],
        ]) {
            const shown = await reconnected(x, id);
            assert.ok(
                shown.some((s) => s.fill !== 'green' && s.shape === 'ring'),
                `${x.who}'s node ${id} never showed the lost connection: ${JSON.stringify(shown)}`,
            );
            assert.equal(shown[shown.length - 1].shape, 'dot', JSON.stringify(shown));
        }
        restartLog.a.to = a.red.mark();
        restartLog.b.to = b.red.mark();
    });

    it('logs no error but the lost connection while the broker restarted', function () {
        // What mqtt.js reports when the broker goes away mid-session (depending on where the socket was) and while
        // it is still down.
        const lost =
            /Broker mqtt:\/\/127\.0\.0\.1:\d+: (read ECONNRESET|write ECONNRESET|write EPIPE|connect ECONNREFUSED .*)$/;
        for (const x of [a, b]) {
            const all = x.red.log();
            // log() may have dropped its head; marks are absolute positions.
            const at = (mark) => mark - (x.red.mark() - all.length);
            const window = restartLog && restartLog[x.who];
            let during = '';
            let outside = all;
            if (window) {
                // Open-ended when the restart test failed before it saw both instances reconnected.
                const to = window.to === undefined ? all.length : at(window.to);
                during = all.slice(at(window.from), to);
                outside = all.slice(0, at(window.from)) + all.slice(to);
            }
            const hub = `[sensorhub-hub:hub ${x.who}] `;
            const unexpected = errorLines(during).filter((line) => !(line.includes(hub) && lost.test(line)));
            assert.deepEqual(unexpected, [], `${x.who} logged errors during the restart:\n${all}`);
            assert.deepEqual(errorLines(outside), [], `${x.who} logged errors:\n${all}`);
        }
    });
});
