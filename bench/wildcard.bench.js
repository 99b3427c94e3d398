'use strict';
// Wildcard publish/subscribe inside one Node-RED: the local hub against what a user would wire instead, core
// `mqtt out` → mosquitto → `mqtt in` on a wildcard topic (JSON, QoS 0), through mosquitto at its defaults and
// with `set_tcp_nodelay true` (Nagle off, the fair peer for latency). All three paths live in one runtime.
const { performance } = require('node:perf_hooks');
const { startRuntime } = require('./lib/runtime.js');
const {
    median,
    gc,
    formatRate,
    formatMicros,
    goalAtLeast,
    goalAtMost,
    renderTable,
    publishTable,
    runMain,
} = require('./lib/report.js');
const { pump } = require('./lib/pump.js');
const { startBroker, mqttBrokerNode } = require('../test/fixtures/broker.js');

const ROUNDS = Number(process.env.SENSORHUB_BENCH_ROUNDS) || 5;
// Rounds long enough for a steady state on both paths: at 10,000 a hub round lasted ~90 ms, so its rate was
// mostly JIT warm-up and whichever garbage collection fell into it (spread 2.7–6.5× in one run).
const MESSAGES = 50_000;
const WARMUP_MESSAGES = 20_000;
// Enough to keep the pipe full, few enough that mosquitto never drops at QoS 0 (a drop fails the round).
const WINDOW = 500;
const ROUND_TIMEOUT_MS = 60_000;
const LATENCY_RATE = 1_000;
const LATENCY_MS = 3_000;
const LATENCY_ROUNDS = Number(process.env.SENSORHUB_BENCH_ROUNDS) || 3;
// Issue 18: at least 5× the core mqtt nodes' throughput through a Nagle-free mosquitto, p99 at most 0.2× of theirs.
const THROUGHPUT_GOAL = 5;
const P99_GOAL = 0.2;

const TAB = 'wild-tab';
const PATTERN = 'home/+/temperature';
const ROOMS = ['kitchen', 'hall', 'bath', 'attic', 'cellar', 'office', 'garage', 'porch'];

/** A reading on one of eight rooms' topics, as JSON-able data: its number and when it was sent. */
function wildMsg(i) {
    return {
        topic: `home/${ROOMS[i & 7]}/temperature`,
        payload: { seq: i, value: 20 + (i & 7), unit: '°C', sentAt: performance.now() },
    };
}

/** The three paths: hub (publish with the type from msg.topic → subscribe on the pattern), and mqtt per broker. */
function buildFlows(brokers) {
    const nodes = [
        { id: TAB, type: 'tab', label: 'wildcard benchmark' },
        { id: 'wild-hub', type: 'sensorhub-hub', backend: 'local' },
        { id: 'hub-pub', type: 'sensorhub-publish', z: TAB, hub: 'wild-hub', eventType: '', x: 100, y: 20, wires: [] },
        {
            id: 'hub-sub',
            type: 'sensorhub-subscribe',
            z: TAB,
            hub: 'wild-hub',
            patterns: PATTERN,
            queueLimit: '',
            overflow: '',
            sendRetained: false,
            x: 200,
            y: 20,
            wires: [['hub-sink']],
        },
        { id: 'hub-sink', type: 'bench-sink', z: TAB, x: 300, y: 20, wires: [] },
    ];
    const paths = { hub: { entry: 'hub-pub', sink: 'hub-sink' } };
    Object.entries(brokers).forEach(([name, broker], k) => {
        const y = 60 + k * 40;
        nodes.push(
            mqttBrokerNode(`${name}-broker`, broker.port),
            {
                id: `${name}-out`,
                type: 'mqtt out',
                z: TAB,
                topic: '',
                qos: '0',
                retain: 'false',
                broker: `${name}-broker`,
                x: 100,
                y,
                wires: [],
            },
            {
                id: `${name}-in`,
                type: 'mqtt in',
                z: TAB,
                topic: PATTERN,
                qos: '0',
                datatype: 'json',
                broker: `${name}-broker`,
                inputs: 0,
                x: 200,
                y,
                wires: [[`${name}-sink`]],
            },
            { id: `${name}-sink`, type: 'bench-sink', z: TAB, x: 300, y, wires: [] },
        );
        paths[name] = { entry: `${name}-out`, sink: `${name}-sink` };
    });
    return { nodes, paths };
}

/** Every arrival checked: the n-th must be message n, on its room's topic, with its value. */
function checker() {
    const c = { arrived: 0, bad: 0 };
    c.onArrival = (msg) => {
        c.arrived++;
        const p = msg.payload;
        if (p.seq !== c.arrived || p.value !== 20 + (p.seq & 7) || msg.topic !== `home/${ROOMS[p.seq & 7]}/temperature`)
            c.bad++;
    };
    return c;
}

async function waitConnected(rt, names) {
    const deadline = Date.now() + 15_000;
    for (const name of names) {
        while (!rt.getNode(`${name}-broker`).connected) {
            if (Date.now() > deadline) throw new Error(`${name}: mqtt nodes did not connect`);
            await new Promise((r) => setTimeout(r, 20));
        }
    }
    // The subscription is sent on connect; give its SUBACK a moment before the first publish.
    await new Promise((r) => setTimeout(r, 500));
}

/** CPU seconds of this process and, for an mqtt path, its broker so far. */
function cpuNow(broker) {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e6 + (broker ? broker.cpuSeconds() : 0);
}

/** Per path and round: messages per wall second, and CPU µs per message (Node-RED, and the broker for mqtt). */
async function throughput(rt, paths, brokers) {
    const names = Object.keys(paths);
    const rates = Object.fromEntries(names.map((n) => [n, []]));
    const cpu = Object.fromEntries(names.map((n) => [n, []]));
    const opts = (c) => ({ window: WINDOW, timeoutMs: ROUND_TIMEOUT_MS, onArrival: c.onArrival });
    for (const name of names) await pump(rt, paths[name], WARMUP_MESSAGES, wildMsg, opts(checker()));
    for (let r = 0; r < ROUNDS; r++) {
        for (const name of r % 2 === 0 ? names : [...names].reverse()) {
            gc();
            const c = checker();
            const cpu0 = cpuNow(brokers[name]);
            const ns = await pump(rt, paths[name], MESSAGES, wildMsg, opts(c));
            cpu[name].push(((cpuNow(brokers[name]) - cpu0) * 1e6) / MESSAGES);
            if (c.bad > 0 || c.arrived !== MESSAGES)
                throw new Error(`${name}: ${c.bad} of ${c.arrived} arrivals altered or out of order`);
            rates[name].push(MESSAGES / (ns / 1e9));
        }
    }
    return { rates, cpu };
}

/** Sends at LATENCY_RATE for LATENCY_MS (catching up on late timers); resolves to p50 and p99 of send → arrival. */
async function latency(rt, p) {
    const entry = rt.getNode(p.entry);
    const sink = rt.getNode(p.sink);
    const n = (LATENCY_RATE * LATENCY_MS) / 1000;
    const lat = [];
    const c = checker();
    sink.reset();
    sink.onMessage = (msg) => {
        c.onArrival(msg);
        lat.push(performance.now() - msg.payload.sentAt);
    };
    let sent = 0;
    const start = performance.now();
    await new Promise((resolve) => {
        const tick = () => {
            const due = Math.min(n, Math.floor(((performance.now() - start) * LATENCY_RATE) / 1000) + 1);
            while (sent < due) entry.receive(wildMsg(++sent));
            if (sent < n) setTimeout(tick, 1);
            else resolve();
        };
        tick();
    });
    await sink.waitFor(n);
    sink.onMessage = undefined;
    if (c.bad > 0 || c.arrived !== n)
        throw new Error(`${p.entry}: ${c.bad} of ${c.arrived} arrivals altered or out of order`);
    lat.sort((a, b) => a - b);
    return { p50: lat[Math.floor(n * 0.5)], p99: lat[Math.floor(n * 0.99)] };
}

async function latencies(rt, paths) {
    const names = Object.keys(paths);
    const out = Object.fromEntries(names.map((n) => [n, { p50: [], p99: [] }]));
    for (let r = 0; r < LATENCY_ROUNDS; r++) {
        for (const name of r % 2 === 0 ? names : [...names].reverse()) {
            gc();
            const l = await latency(rt, paths[name]);
            out[name].p50.push(l.p50);
            out[name].p99.push(l.p99);
        }
    }
    return out;
}

const spread = (ratios) => `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`;
const ms = (v) => (v >= 1 ? `${v.toPrecision(3)} ms` : formatMicros(v * 1000));

function rows({ rates, cpu }, lat) {
    const out = [];
    const label = { nodelay: 'mosquitto with `set_tcp_nodelay true`', plain: 'mosquitto at its defaults' };
    for (const peer of ['nodelay', 'plain']) {
        const fair = peer === 'nodelay';
        const tr = rates.hub.map((h, i) => h / rates[peer][i]);
        out.push({
            name: `throughput vs core \`mqtt out\` → ${label[peer]} → \`mqtt in\` (spread ${spread(tr)})`,
            candidate: formatRate(median(rates.hub)),
            anchor: formatRate(median(rates[peer])),
            ratio: median(tr),
            goal: fair ? goalAtLeast(THROUGHPUT_GOAL) : undefined,
        });
        const cr = cpu.hub.map((h, i) => h / cpu[peer][i]);
        out.push({
            name: `CPU per message (Node-RED, and mosquitto for mqtt) vs the same, ${label[peer]} (spread ${spread(cr)})`,
            candidate: formatMicros(median(cpu.hub)),
            anchor: formatMicros(median(cpu[peer])),
            ratio: median(cr),
            goal: undefined,
        });
        for (const q of ['p99', 'p50']) {
            const lr = lat.hub[q].map((h, i) => h / lat[peer][q][i]);
            out.push({
                name: `latency ${q} at ${LATENCY_RATE / 1000} k msg/s vs the same, ${label[peer]} (spread ${spread(lr)})`,
                candidate: ms(median(lat.hub[q])),
                anchor: ms(median(lat[peer][q])),
                ratio: median(lr),
                goal: fair && q === 'p99' ? goalAtMost(P99_GOAL) : undefined,
            });
        }
    }
    return out;
}

async function main() {
    const brokers = { nodelay: await startBroker(), plain: await startBroker({ nodelay: false }) };
    // The peer is mosquitto with each Nagle setting: an in-process stand-in would measure something else.
    if (Object.values(brokers).some((b) => b.kind !== 'mosquitto')) throw new Error('this benchmark needs mosquitto');
    const rt = await startRuntime();
    try {
        const { nodes, paths } = buildFlows(brokers);
        await rt.deploy(nodes);
        await waitConnected(rt, ['nodelay', 'plain']);
        const rates = await throughput(rt, paths, brokers);
        const lat = await latencies(rt, paths);
        const notes = [
            `Real Node-RED ${rt.versions.nodeRed} on Node ${rt.versions.node}, embedded in-process, default asynchronous delivery; mosquitto (Debian package) on loopback, two instances started from a config file: one at its defaults (Nagle on), one with \`set_tcp_nodelay true\`.`,
            `Sensor hub: a \`sensorhub-publish\` node (type from \`msg.topic\`) → a local hub → a \`sensorhub-subscribe\` node on \`${PATTERN}\`. Core: \`mqtt out\` (topic from \`msg.topic\`, QoS 0, MQTT 3.1.1) → mosquitto → \`mqtt in\` on \`${PATTERN}\` (QoS 0, output: parsed JSON object). Each ends in a counting \`bench-sink\`.`,
            `Messages: \`{topic: home/<room>/temperature, payload: {seq, value, unit, sentAt}}\`, eight rooms in turn. Every arrival is checked: the n-th must be message n, with its topic and value (QoS 0 must not drop here: a drop fails the run).`,
            `Throughput: ${MESSAGES} messages per round, at most ${WINDOW} in flight; ${ROUNDS} rounds after ${WARMUP_MESSAGES} warm-up messages, paths alternating order each round. Latency: send → arrival at the sink, paced at ${LATENCY_RATE} msg/s for ${LATENCY_MS / 1000} s per path and round, ${LATENCY_ROUNDS} rounds. Medians; ratios the median of per-round ratios (spread: lowest–highest round).`,
            "Throughput and latency are wall time, so on a shared machine they also count whoever else ran; the CPU rows (Node-RED's process, plus mosquitto's from /proc for the mqtt paths, during the throughput rounds) are steadier.",
        ];
        await publishTable(
            renderTable(
                'Wildcard pub/sub in one Node-RED: local hub vs core `mqtt out` → mosquitto → `mqtt in` (real Node-RED runtime)',
                { candidate: 'sensor hub', anchor: 'core mqtt nodes' },
                rows(rates, lat),
                notes,
            ),
        );
    } finally {
        await rt.stop();
        for (const b of Object.values(brokers)) await b.close();
    }
}

runMain(main);
