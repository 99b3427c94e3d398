'use strict';
// The hub's MQTT backend against bare mqtt.js through the same mosquitto: two
// hubs joined by two bridges (one instance publishing, one subscribing) vs a
// publishing and a subscribing mqtt.js client. Both pairs live in this one
// process, so each figure is the cost of both ends of the wire on one thread,
// with mosquitto on the other core.
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const mqtt = require('mqtt');
const { packageRoot, projectRoot } = require('./lib/runtime.js');
const { EventHub } = require(path.join(packageRoot, 'nodes', 'core', 'hub', 'hub.js'));
const { MqttBridge } = require(path.join(packageRoot, 'nodes', 'core', 'hub', 'mqtt-bridge.js'));
const { startBroker } = require(path.join(projectRoot, 'test', 'fixtures', 'broker.js'));
const { median, gc, formatRate, renderTable, publishTable, runMain } = require('./lib/report.js');

const ROUNDS = 5;
const MESSAGES = 25_000;
const WARMUP_MESSAGES = 10_000;
// Enough to keep the pipe full, few enough that mosquitto's socket buffers never
// overflow: at QoS 0 an overrun broker drops, and a drop would end the round.
const WINDOW = 500;
const LATENCY_RATE = 5_000;
const LATENCY_MS = 2_000;
const LATENCY_ROUNDS = 3;
// A round that sees no arrival for this long has lost messages: it ends and reports them.
const STALL_MS = 2_000;
const CONNECT_TIMEOUT_MS = 10_000;
// Information only (issue 18): bare mqtt.js builds no message and parses nothing; the fair peer, core mqtt nodes
// between two Node-REDs, is bench/two-nodereds.bench.js.
const THROUGHPUT_GOAL = undefined;

const PROTOCOL_VERSION = 5;
const EVENT_TYPE = 'temperature_update';
// Prefixes of the same length, so both pairs put topics of the same size on the wire.
const HUB_PREFIX = 'bench/hub';
const RAW_PREFIX = 'bench/raw';

/** A flat reading, as a simple sensor or an inject node sends it. */
function flatMsg() {
    return { payload: 21.5 };
}

/** A reading shaped as the message contract says a sensor node emits it, fresh per message. */
function readingMsg(i) {
    return {
        payload: 21.5,
        sensor: { id: 'kitchen-t1', kind: 'temperature', location: 'kitchen', unit: '°C' },
        reading: { status: 'ok', ts: Date.now(), latencyMs: 1.5, seq: i },
    };
}

const SHAPES = [
    { label: '`{payload: 21.5}`', makeMsg: flatMsg },
    { label: 'contract-shaped reading', makeMsg: readingMsg },
];

let clientSeq = 0;
const clientId = (role) => `bench-${process.pid}-${role}-${++clientSeq}`;

/**
 * A subject is `{ publish(i), onArrival, close() }`: `publish` sends message i
 * on the publishing side, and the receiving side calls `onArrival()` once per
 * message that reached it intact (anything else is counted in `bad`).
 */

/** Hub A + bridge A publish; bridge B injects into hub B, whose one subscriber on `#` counts. */
async function bridgePair(url) {
    const bridgeOpts = {
        url,
        prefix: HUB_PREFIX,
        qos: 0,
        protocolVersion: PROTOCOL_VERSION,
        bufferLimit: 1000,
        minBackoffMs: 100,
        maxBackoffMs: 1000,
    };
    const hubA = new EventHub({ idPrefix: 'a' });
    const hubB = new EventHub({ idPrefix: 'b' });
    const bridgeA = new MqttBridge(hubA, { ...bridgeOpts, clientId: clientId('hubA') });
    const bridgeB = new MqttBridge(hubB, { ...bridgeOpts, clientId: clientId('hubB') });
    const errors = [];
    for (const b of [bridgeA, bridgeB]) b.on('error', (err) => errors.push(err.message));
    let makeMsg = flatMsg;
    const subject = {
        name: 'sensor hub',
        bad: 0,
        onArrival: () => {},
        setShape(shape) {
            makeMsg = shape.makeMsg;
        },
        publish(i) {
            hubA.publish(EVENT_TYPE, makeMsg(i), 'bench');
        },
        async close() {
            await Promise.all([bridgeA.close(), bridgeB.close()]);
            hubA.close();
            hubB.close();
        },
    };
    hubB.subscribe(
        (msg) => {
            if (msg.payload === 21.5 && msg.topic === EVENT_TYPE) subject.onArrival();
            else subject.bad++;
        },
        { patterns: ['#'] },
    );
    bridgeA.start();
    bridgeB.start();
    const connected = () => bridgeA.state === 'connected' && bridgeB.state === 'connected';
    const limit = Date.now() + CONNECT_TIMEOUT_MS;
    while (!connected()) {
        if (Date.now() > limit) throw new Error(`bridges did not connect: ${errors.join('; ')}`);
        await new Promise((r) => setTimeout(r, 20));
    }
    await untilSubscribed(subject);
    const ready = { a: bridgeA.stats(), b: bridgeB.stats() };
    subject.stats = () => ({ a: bridgeA.stats(), b: bridgeB.stats(), ready, errors });
    return subject;
}

/**
 * The bridge reports 'connected' before the broker has acknowledged its
 * subscription, and QoS 0 events published in between are simply not
 * delivered: probe until one arrives, then let any late probe drain.
 */
async function untilSubscribed(subject) {
    let arrived = false;
    subject.onArrival = () => (arrived = true);
    const limit = Date.now() + CONNECT_TIMEOUT_MS;
    while (!arrived) {
        if (Date.now() > limit) throw new Error('no probe event crossed the broker');
        subject.publish(0);
        await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 200));
    subject.onArrival = () => {};
}

/**
 * Client P publishes the bytes the bridge put on the wire; client S, subscribed
 * to that topic, receives them. P also holds the subscription bridge A holds
 * (its own topics, No Local), so the broker does the same matching for both pairs.
 */
async function rawPair(url) {
    const opts = { protocolVersion: PROTOCOL_VERSION, clean: true, queueQoSZero: false, reconnectPeriod: 0 };
    const topic = `${RAW_PREFIX}/${EVENT_TYPE}`;
    const [p, s] = await Promise.all(
        ['rawP', 'rawS'].map((role) => mqtt.connectAsync(url, { ...opts, clientId: clientId(role) })),
    );
    for (const c of [p, s]) c.stream.setNoDelay(true);
    await p.subscribeAsync(`${RAW_PREFIX}/#`, { qos: 0, nl: true });
    await s.subscribeAsync(topic, { qos: 0 });
    let body = '';
    let bodyBytes = 0;
    const subject = {
        name: 'bare mqtt.js',
        bad: 0,
        onArrival: () => {},
        setBody(b) {
            body = b;
            bodyBytes = Buffer.byteLength(b);
        },
        publish() {
            p.publish(topic, body, { qos: 0, retain: false });
        },
        async close() {
            await Promise.all([p.endAsync(), s.endAsync()]);
        },
    };
    s.on('message', (_topic, payload) => {
        if (payload.length === bodyBytes) subject.onArrival();
        else subject.bad++;
    });
    return subject;
}

/** Listens on the bridges' topics just long enough to copy one message's bytes as they cross the broker. */
async function captureWireBody(url, candidate, n) {
    const tap = await mqtt.connectAsync(url, { protocolVersion: PROTOCOL_VERSION, clientId: clientId('tap') });
    try {
        await tap.subscribeAsync(`${HUB_PREFIX}/#`, { qos: 0 });
        let last;
        let seen = 0;
        tap.on('message', (_topic, payload) => {
            seen++;
            last = payload.toString('utf8');
        });
        // One event per turn: events published in one turn leave as one batch, and the anchor copies a single one.
        for (let i = 0; i < n; i++) {
            candidate.publish(WARMUP_MESSAGES + i);
            await new Promise((r) => setTimeout(r, 1));
        }
        const limit = Date.now() + CONNECT_TIMEOUT_MS;
        while (seen < n) {
            if (Date.now() > limit) throw new Error(`the tap saw ${seen} of ${n} candidate messages`);
            await new Promise((r) => setTimeout(r, 10));
        }
        return last;
    } finally {
        await tap.endAsync();
    }
}

/**
 * Publishes n messages keeping `WINDOW` in flight: each arrival lets one more
 * out. Resolves to `{ rate, lost }`; a round in which messages vanish ends once
 * nothing has arrived for `STALL_MS`, and its rate counts what arrived.
 */
function pump(subject, n) {
    return new Promise((resolve) => {
        let sent = 0;
        let got = 0;
        let lastArrival = 0;
        const start = performance.now();
        const finish = () => {
            clearInterval(watchdog);
            subject.onArrival = () => {};
            const ms = (got === n ? lastArrival : lastArrival || performance.now()) - start;
            resolve({ rate: got / (ms / 1000), lost: n - got });
        };
        subject.onArrival = () => {
            got++;
            lastArrival = performance.now();
            if (sent < n) subject.publish(sent++);
            else if (got === n) finish();
        };
        const watchdog = setInterval(() => {
            if (performance.now() - (lastArrival || start) > STALL_MS) finish();
        }, 250);
        const first = Math.min(WINDOW, n);
        while (sent < first) subject.publish(sent++);
    });
}

/**
 * Publishes at a fixed rate for `LATENCY_MS`, in timer ticks that send every
 * message due so far, and takes each message's publish→receive time. MQTT keeps
 * the order of QoS 0 messages on one topic from one client, so the k-th arrival
 * is the k-th message sent.
 */
function paced(subject) {
    const n = Math.round((LATENCY_RATE * LATENCY_MS) / 1000);
    const sentAt = new Float64Array(n);
    const latencies = new Float64Array(n);
    return new Promise((resolve) => {
        let sent = 0;
        let got = 0;
        let timer;
        let lastArrival = performance.now();
        const start = performance.now();
        const finish = () => {
            clearTimeout(timer);
            clearInterval(watchdog);
            subject.onArrival = () => {};
            const sorted = latencies.subarray(0, got).sort();
            const at = (q) => (got === 0 ? NaN : sorted[Math.min(got - 1, Math.floor(q * got))]);
            resolve({ p50: at(0.5), p99: at(0.99), lost: n - got });
        };
        subject.onArrival = () => {
            lastArrival = performance.now();
            latencies[got] = lastArrival - sentAt[got];
            if (++got === n) finish();
        };
        const tick = () => {
            const due = Math.min(n, Math.floor(((performance.now() - start) * LATENCY_RATE) / 1000) + 1);
            while (sent < due) {
                sentAt[sent] = performance.now();
                subject.publish(sent++);
            }
            if (sent < n) timer = setTimeout(tick, 1);
        };
        const watchdog = setInterval(() => {
            if (sent === n && performance.now() - lastArrival > STALL_MS) finish();
        }, 250);
        tick();
    });
}

/** Records a round's losses and intact-message check, so the table's notes can say what went missing. */
function account(losses, subject, what, result) {
    if (result.lost > 0) {
        losses.push(`${subject.name}, ${what}: ${result.lost} lost`);
        process.stderr.write(`mqtt bench: ${subject.name}, ${what}: ${result.lost} messages lost\n`);
    }
    if (subject.bad > 0) throw new Error(`${subject.name}, ${what}: ${subject.bad} messages arrived altered`);
    return result;
}

/** Alternates candidate and anchor (order flipped every round); medians of rates and of per-round ratios. */
async function throughput(candidate, anchor, losses, label) {
    const c = [];
    const a = [];
    const ratios = [];
    for (let r = 0; r < ROUNDS; r++) {
        const pair = r % 2 === 0 ? [candidate, anchor] : [anchor, candidate];
        const rates = [];
        for (const s of pair) {
            gc();
            rates.push(account(losses, s, `${label}, round ${r + 1}`, await pump(s, MESSAGES)).rate);
        }
        const [cr, ar] = r % 2 === 0 ? rates : [rates[1], rates[0]];
        c.push(cr);
        a.push(ar);
        ratios.push(cr / ar);
    }
    return { candidate: median(c), anchor: median(a), ratio: median(ratios) };
}

async function latency(candidate, anchor, losses, label) {
    const c = { p50: [], p99: [] };
    const a = { p50: [], p99: [] };
    for (let r = 0; r < LATENCY_ROUNDS; r++) {
        const pair = r % 2 === 0 ? [candidate, anchor] : [anchor, candidate];
        for (const s of pair) {
            gc();
            const res = account(losses, s, `${label}, latency round ${r + 1}`, await paced(s));
            const into = s === candidate ? c : a;
            into.p50.push(res.p50);
            into.p99.push(res.p99);
        }
    }
    const pick = (q) => ({ candidate: median(c[q]), anchor: median(a[q]) });
    return { p50: pick('p50'), p99: pick('p99') };
}

function formatMs(ms) {
    return `${ms.toPrecision(3)} ms`;
}

async function main() {
    const broker = await startBroker();
    const open = [];
    try {
        const candidate = await bridgePair(broker.url);
        open.push(candidate);
        const anchor = await rawPair(broker.url);
        open.push(anchor);

        const rows = [];
        const losses = [];
        const bodies = [];
        const anchorFigures = [];
        for (const shape of SHAPES) {
            candidate.setShape(shape);
            // Warm up both paths, then take the anchor's bytes from a warm candidate, whose sequence numbers
            // and event ids have as many digits as during the rounds.
            account(losses, candidate, `${shape.label}, warm-up`, await pump(candidate, WARMUP_MESSAGES));
            const body = await captureWireBody(broker.url, candidate, 100);
            bodies.push({ shape, body });
            anchor.setBody(body);
            account(losses, anchor, `${shape.label}, warm-up`, await pump(anchor, WARMUP_MESSAGES));

            const t = await throughput(candidate, anchor, losses, shape.label);
            rows.push({
                name: `throughput, ${shape.label} (${Buffer.byteLength(body)} B on the wire)`,
                candidate: formatRate(t.candidate),
                anchor: formatRate(t.anchor),
                ratio: t.ratio,
                goal: THROUGHPUT_GOAL,
            });
            const l = await latency(candidate, anchor, losses, shape.label);
            anchorFigures.push(`${formatRate(t.anchor)}, p99 ${formatMs(l.p99.anchor)}`);
            for (const q of ['p50', 'p99']) {
                rows.push({
                    name: `latency ${q} at ${LATENCY_RATE / 1000} k msg/s, ${shape.label}`,
                    candidate: formatMs(l[q].candidate),
                    anchor: formatMs(l[q].anchor),
                    ratio: l[q].candidate / l[q].anchor,
                    goal: undefined,
                });
            }
        }

        const { a: statsA, b: statsB, ready, errors } = candidate.stats();
        const sent = statsA.sent - ready.a.sent;
        const received = statsB.received - ready.b.received;
        if (statsA.bufferDropped > 0 || statsB.decodeErrors > 0 || statsB.duplicatesDropped > 0 || sent !== received) {
            throw new Error(`bridge counters show trouble: A ${JSON.stringify(statsA)}, B ${JSON.stringify(statsB)}`);
        }
        if (errors.length > 0) throw new Error(`bridge errors: ${errors.join('; ')}`);

        const notes = [
            `Broker: ${broker.kind === 'mosquitto' ? 'mosquitto (Debian package) with `set_tcp_nodelay true`' : 'ABSENT: aedes stood in for mosquitto'} on a loopback port, MQTT ${PROTOCOL_VERSION === 5 ? '5' : '3.1.1'}, QoS 0. TCP_NODELAY on every socket: the bridge sets it itself, the anchor's clients after connect, mosquitto by that option (without it, its Nagle stalls of ~40 ms set both pairs' p99 at 12–37 ms). Both pairs run in this one Node.js process, so each rate is the cost of the publishing and the receiving end together on one thread; mosquitto has the other core.`,
            `Sensor hub: \`EventHub.publish\` on hub A → bridge A (envelope, JSON) → mosquitto → bridge B (JSON, checks, freeze) → \`EventHub.inject\` → one subscriber on \`#\` of hub B, which counts. Bare mqtt.js: client P publishes one fixed string to one topic and client S, subscribed to it, counts: no hub and no JSON on either side, which is what the bridge adds. The bridge sends the events of one type published in one event-loop turn as one broker message (a batch); the window below releases events in bursts as arrivals come in, so it batches, while the anchor sends one broker message per message. P also holds a No Local subscription on its own topics, as bridge A does.`,
            `Same bytes per message: the anchor publishes a copy of a single-event message the bridge put on the wire after warm-up (published one per turn) (taken by a listening client), on a topic of the same length (\`${HUB_PREFIX}/…\` vs \`${RAW_PREFIX}/…\`). Sizes: ${bodies.map((b) => `${b.shape.label} ${Buffer.byteLength(b.body)} B`).join(', ')}.`,
            `Throughput: ${MESSAGES} messages per round with at most ${WINDOW} published and not yet received (each arrival lets the next one out), so the broker is never overrun; median of ${ROUNDS} rounds after a ${WARMUP_MESSAGES}-message warm-up per pair and shape; candidate and anchor alternate, order flipped every round; the ratio is the median of per-round ratios.`,
            `Latency: ${LATENCY_RATE} msg/s for ${LATENCY_MS / 1000} s (sent in 1 ms timer ticks), publish call → subscriber handler; median over ${LATENCY_ROUNDS} rounds of each round's p50 / p99. Ratio = sensor hub / bare mqtt.js (lower is better), shown for information.`,
            `Every round checks that every message arrived, intact: ${losses.length === 0 ? 'none was lost' : `LOST: ${losses.join('; ')}`}. Bridge counters once subscribed: A sent ${sent}, B received ${received}, no decode errors, duplicates or buffer drops.`,
            `Design anchor on this machine kind: mosquitto loopback QoS 0, mqtt.js, TCP_NODELAY: 87 k msg/s, p99 1.2 ms; this run's bare mqtt.js: ${anchorFigures.join(' / ')} (the two shapes; p99 at ${LATENCY_RATE / 1000} k msg/s).`,
        ];
        const markdown = renderTable(
            'MQTT backend vs bare mqtt.js through the same mosquitto',
            { candidate: 'sensor hub', anchor: 'anchor (bare mqtt.js)' },
            rows,
            notes,
        );
        await publishTable(markdown);
    } finally {
        for (const s of open) await s.close();
        await broker.close();
    }
}

runMain(main);
