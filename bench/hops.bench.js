'use strict';
// What a user pays for routing through the hub instead of what they would wire otherwise: a chain of publish →
// subscribe hops against a chain of `link out` → `link in` pairs (the core way to connect flows without wires),
// both in the real Node-RED runtime with its default asynchronous delivery between nodes. A chain of core change
// nodes (no rules: a pure passthrough hop) stays beside them for information, the floor of a wired hop.
const { startRuntime } = require('./lib/runtime.js');
const { flatMsg, readingMsg } = require('./lib/messages.js');
const {
    median,
    gc,
    formatRate,
    formatMicros,
    goalAtMost,
    renderTable,
    publishTable,
    runMain,
} = require('./lib/report.js');
const { pump: pumpThrough } = require('./lib/pump.js');

const HOPS = 10;
const WINDOW = 256;
const ROUNDS = Number(process.env.SENSORHUB_BENCH_ROUNDS) || 7;
const MESSAGES = { 10: 20_000, 1: 100_000 };
const WARMUP_MESSAGES = 30_000;
const ROUND_TIMEOUT_MS = 60_000;
// Issue 18: a single hop at most level with `link out` → `link in`, and each further hop at most 0.8 of a link hop.
const SINGLE_HOP_LIMIT = 1.0;
const MARGINAL_HOP_LIMIT = 0.8;

const TAB = 'bench-tab';
const HUB = 'bench-hub';
const KINDS = ['hub', 'link', 'change'];

/** One hop of each kind: its nodes, given the hop's id stem and what its output is wired to. */
const HOP = {
    hub: (stem, next, i, length, y) => {
        // Distinct types per chain, so the 1-hop and 10-hop chains never see each other's events.
        const type = `bench/chain${length}/hop/${i}`;
        return [
            {
                id: `${stem}`,
                type: 'sensorhub-publish',
                z: TAB,
                hub: HUB,
                eventType: type,
                retain: false,
                x: 100,
                y,
                wires: [],
            },
            {
                id: `${stem}-sub`,
                type: 'sensorhub-subscribe',
                z: TAB,
                hub: HUB,
                patterns: type,
                queueLimit: '',
                overflow: '',
                sendRetained: false,
                x: 200,
                y,
                wires: [[next]],
            },
        ];
    },
    // Link nodes need x/y: without them the runtime takes them for config nodes ("Circular config node dependency").
    link: (stem, next, _i, _length, y) => [
        { id: stem, type: 'link out', z: TAB, mode: 'link', links: [`${stem}-in`], x: 100, y, wires: [] },
        { id: `${stem}-in`, type: 'link in', z: TAB, links: [stem], x: 200, y, wires: [[next]] },
    ],
    change: (stem, next, _i, _length, y) => [
        {
            id: stem,
            type: 'change',
            z: TAB,
            rules: [],
            action: '',
            property: '',
            from: '',
            to: '',
            reg: false,
            x: 100,
            y,
            wires: [[next]],
        },
    ],
};

/** The chains, by name (`hub10`, `link1`, …): `entry` is where messages go in, `sink` where they are counted. */
function buildFlows() {
    const nodes = [
        { id: TAB, type: 'tab', label: 'hops benchmark' },
        {
            id: HUB,
            type: 'sensorhub-hub',
            name: 'bench hub',
            backend: 'local',
            queueLimit: 1000,
            overflow: 'drop-oldest',
        },
    ];
    const chains = {};
    let y = 0;
    for (const length of [HOPS, 1]) {
        for (const kind of KINDS) {
            const name = `${kind}${length}`;
            const sink = `${name}-sink`;
            nodes.push({ id: sink, type: 'bench-sink', z: TAB, name: '', x: 300, y: (y += 20), wires: [] });
            for (let i = 1; i <= length; i++) {
                const next = i < length ? `${name}-${i + 1}` : sink;
                nodes.push(...HOP[kind](`${name}-${i}`, next, i, length, (y += 20)));
            }
            chains[name] = { entry: `${name}-1`, sink, hops: length, kind };
        }
    }
    return { nodes, chains };
}

/** Sustained load through a path, WINDOW messages in flight (see bench/lib/pump.js). */
function pump(rt, chain, n, makeMsg) {
    return pumpThrough(rt, chain, n, makeMsg, { window: WINDOW, timeoutMs: ROUND_TIMEOUT_MS });
}

/** Checks a chain delivers what it should, with every arrival accounted for, before timing it. */
async function checkChain(rt, chain, name) {
    const sink = rt.getNode(chain.sink);
    await pump(rt, chain, 1, readingMsg);
    const msg = sink.lastMsg;
    if (msg.payload !== 21 || msg.sensor.location !== 'kitchen' || msg.reading.seq !== 1) {
        throw new Error(`${name}: message altered on the way`);
    }
    if (chain.kind === 'hub') {
        const want = `bench/chain${chain.hops}/hop/${chain.hops}`;
        if (msg.topic !== want || !msg.event || msg.event.type !== want || typeof msg.event.id !== 'string') {
            throw new Error(`${name}: expected an event of type ${want} with an id, got topic ${msg.topic}`);
        }
    }
}

/**
 * Per chain and round: CPU µs per message (this process, every thread: garbage collection included) and wall µs
 * per message. CPU time is what a hop costs; on a shared machine wall time also counts the time others ran.
 */
async function measureShape(rt, chains, makeMsg) {
    const names = Object.keys(chains);
    const cpu = Object.fromEntries(names.map((n) => [n, []]));
    const wall = Object.fromEntries(names.map((n) => [n, []]));
    for (const name of names) await pump(rt, chains[name], WARMUP_MESSAGES, makeMsg);
    for (let r = 0; r < ROUNDS; r++) {
        // Reversed every other round, so neither side always runs on a warmer or a busier machine.
        const runOrder = r % 2 === 0 ? names : [...names].reverse();
        for (const name of runOrder) {
            const n = MESSAGES[chains[name].hops];
            gc();
            const c0 = process.cpuUsage();
            const ns = await pumpChecked(rt, chains[name], n, makeMsg);
            const c = process.cpuUsage(c0);
            cpu[name].push((c.user + c.system) / n);
            wall[name].push(ns / 1000 / n);
        }
    }
    return { cpu, wall };
}

/** pump(), with every arrival's payload checked against the order it was sent in. */
async function pumpChecked(rt, chain, n, makeMsg) {
    let arrived = 0;
    let wrong = 0;
    const onArrival = (msg) => {
        arrived++;
        if (msg.payload !== 20 + (arrived & 7)) wrong++;
    };
    const ns = await pumpThrough(rt, chain, n, makeMsg, { window: WINDOW, timeoutMs: ROUND_TIMEOUT_MS, onArrival });
    if (wrong > 0 || arrived !== n)
        throw new Error(`${chain.sink}: ${wrong} of ${arrived} arrivals out of order or altered`);
    return ns;
}

const marginalOf = (r, kind) => r[`${kind}10`].map((us, i) => (us - r[`${kind}1`][i]) / (HOPS - 1));
const spread = (ratios) => `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`;

function rowsFor(label, { cpu, wall }) {
    const rows = [];
    const margin = { hub: marginalOf(cpu, 'hub'), link: marginalOf(cpu, 'link'), change: marginalOf(cpu, 'change') };
    const peerNames = { link: '`link out` → `link in`', change: 'core `change` node (information)' };
    for (const peer of ['link', 'change']) {
        const goal = peer === 'link';
        const single = cpu.hub1.map((h, i) => h / cpu[`${peer}1`][i]);
        const marginal = margin.hub.map((h, i) => h / margin[peer][i]);
        const singleWall = wall.hub1.map((h, i) => h / wall[`${peer}1`][i]);
        const chain = wall[`${peer}10`].map((c, i) => c / wall.hub10[i]);
        rows.push(
            {
                name: `1 hop, ${label}, vs ${peerNames[peer]}: CPU µs per message (spread ${spread(single)}; wall time ${median(singleWall).toFixed(2)}×)`,
                candidate: formatMicros(median(cpu.hub1)),
                anchor: formatMicros(median(cpu[`${peer}1`])),
                ratio: median(single),
                goal: goal ? goalAtMost(SINGLE_HOP_LIMIT) : undefined,
            },
            {
                name: `marginal hop, ${label}, vs ${peerNames[peer]}: CPU µs, (10-hop − 1-hop) / 9 (spread ${spread(marginal)})`,
                candidate: formatMicros(median(margin.hub)),
                anchor: formatMicros(median(margin[peer])),
                ratio: median(marginal),
                goal: goal ? goalAtMost(MARGINAL_HOP_LIMIT) : undefined,
            },
            {
                name: `${HOPS}-hop chain, ${label}, vs ${peerNames[peer]}: throughput (wall time)`,
                candidate: formatRate(1e6 / median(wall.hub10)),
                anchor: formatRate(1e6 / median(wall[`${peer}10`])),
                ratio: median(chain),
                goal: undefined,
            },
        );
    }
    return rows;
}

async function main() {
    const rt = await startRuntime();
    try {
        const { nodes, chains } = buildFlows();
        await rt.deploy(nodes);
        for (const [name, chain] of Object.entries(chains)) await checkChain(rt, chain, name);

        // Both shapes through every chain before either is timed: the shape measured first would otherwise also
        // pay for the JIT settling on the second one's objects.
        for (const makeMsg of [flatMsg, readingMsg])
            for (const chain of Object.values(chains)) await pump(rt, chain, WARMUP_MESSAGES, makeMsg);
        const flat = await measureShape(rt, chains, flatMsg);
        const reading = await measureShape(rt, chains, readingMsg);

        const rows = [...rowsFor('contract-shaped reading', reading), ...rowsFor('flat msg', flat)];
        const notes = [
            `Real Node-RED ${rt.versions.nodeRed} on Node ${rt.versions.node}, embedded in-process, default asynchronous delivery between nodes; this package installed as a module.`,
            'A sensor hub hop is a `sensorhub-publish` node and the `sensorhub-subscribe` node it feeds (one local hub, flow control on). The fair peer, a link hop, is a `link out` node and the `link in` node it is linked to: what a user wires to connect flows without a wire. A core `change` node with no rules (a plain wire with one passthrough node) is shown for information.',
            `Each chain ends in a counting \`bench-sink\`; every arrival is checked (count, and its payload in the order sent). Sustained load: ${MESSAGES[10]} messages per round into the ${HOPS}-hop chains and ${MESSAGES[1]} into the 1-hop ones, at most ${WINDOW} in flight (each arrival lets the next one in). ${ROUNDS} rounds after a warm-up of ${WARMUP_MESSAGES} messages of each shape through every chain (both shapes before either is timed, as in a runtime that carries both), all chains in each round, order reversed every other round; figures are medians, ratios medians of per-round ratios (spread: lowest–highest round).`,
            "CPU µs per message = CPU time of the Node-RED process (all threads, garbage collection included) / messages: the cost of a hop, and steady on a shared machine where wall time also counts whoever else ran (the single hop's wall-time ratio is shown beside it). The 1-hop figure includes the fixed cost of entering the flow and reaching the sink; the marginal hop removes it: what each further hop adds.",
            "All chains run in one runtime, so the link and change chains also pay for the hub's `onComplete` hook (Node-RED calls it on every completion once a subscriber uses flow control), as they would in a user's Node-RED with the hub in use.",
            'Flat msg: `{topic, payload}`. Contract-shaped reading: adds fresh `sensor` and `reading` objects per message, as a sensor node sends.',
        ];
        const markdown = renderTable(
            'Publish → subscribe hop vs `link out` → `link in` (real Node-RED runtime)',
            { candidate: 'sensor hub', anchor: 'peer (named in the row)' },
            rows,
            notes,
        );
        await publishTable(markdown);
    } finally {
        await rt.stop();
    }
}

runMain(main);
