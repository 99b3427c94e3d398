'use strict';
// Fan-out: one message to ten consumers, three ways a user could wire it. Through the hub: one publish node and
// ten subscribe nodes on its type. The fair peers: one `link out` linked to ten `link in` nodes, and one node wired
// to ten wires; Node-RED deep-clones the message for every wire but the first. Consumers that may write (a counting
// `bench-sink`, unknown to the hub) get a writable copy from their subscriber (the hub's rule since issue 10);
// consumers known only to read (`debug`) share one frozen event, shown for information.
const { fork } = require('node:child_process');
const { startRuntime } = require('./lib/runtime.js');
const { readingMsg, nestedMsg } = require('./lib/messages.js');
const { median, gc, formatRate, goalAtLeast, renderTable, publishTable, runMain } = require('./lib/report.js');

const FAN = 10;
const WINDOW = 128;
const ROUNDS = Number(process.env.SENSORHUB_BENCH_ROUNDS) || 5;
// Per round, by shape: rounds of 5,000 contract-shaped readings lasted ~0.2 s a side, short enough for one garbage
// collection more or less to swing a round's ratio from 0.8× to 1.9×.
const MESSAGES = { reading: 20_000, nested: 5_000 };
const WARMUP_MESSAGES = 2_000;
// Issue 18: deliveries per second at least 1.5 times the peers' for a contract-shaped reading, 5 times for ~2 KB.
const GOALS = { reading: 1.5, nested: 5 };

const TAB = 'fan-tab';

// The consumers: `bench-sink` may write as far as the hub knows; `debug` (nothing shown, only done) only reads.
const TARGETS = {
    sink: () => ({ type: 'bench-sink' }),
    debug: () => ({
        type: 'debug',
        active: true,
        tosidebar: false,
        console: 'false',
        tostatus: false,
        complete: 'true',
    }),
};

/** The entry node of each way to fan out, given its id, and the ids its output goes to; its extra nodes. */
const FANS = {
    hub: (id, targets, y) => {
        const hub = `${id}-hub`;
        return [
            { id: hub, type: 'sensorhub-hub', backend: 'local' },
            { id, type: 'sensorhub-publish', z: TAB, hub, eventType: 'fan/out', x: 100, y, wires: [] },
            ...targets.map((t, i) => ({
                id: `${id}-sub${i}`,
                type: 'sensorhub-subscribe',
                z: TAB,
                hub,
                patterns: 'fan/out',
                queueLimit: '',
                overflow: '',
                sendRetained: false,
                x: 200,
                y: y + i * 10,
                wires: [[t]],
            })),
        ];
    },
    // Link nodes need x/y: without them the runtime takes them for config nodes ("Circular config node dependency").
    link: (id, targets, y) => [
        {
            id,
            type: 'link out',
            z: TAB,
            mode: 'link',
            links: targets.map((_t, i) => `${id}-in${i}`),
            x: 100,
            y,
            wires: [],
        },
        ...targets.map((t, i) => ({
            id: `${id}-in${i}`,
            type: 'link in',
            z: TAB,
            links: [id],
            x: 200,
            y: y + i * 10,
            wires: [[t]],
        })),
    ],
    wires: (id, targets, y) => [{ id, type: 'change', z: TAB, rules: [], x: 100, y, wires: [targets] }],
};

/** Every measured side (`hub-sink`, `wires-debug`, …): its entry and its ten consumers. */
function buildFlows() {
    const nodes = [{ id: TAB, type: 'tab', label: 'fan-out benchmark' }];
    const sides = {};
    let y = 0;
    for (const [way, kinds] of [
        ['hub', ['sink', 'debug']],
        ['link', ['sink']],
        ['wires', ['sink', 'debug']],
    ]) {
        for (const kind of kinds) {
            const name = `${way}-${kind}`;
            const sinks = [];
            for (let i = 0; i < FAN; i++) {
                sinks.push(`${name}-c${i}`);
                nodes.push({
                    id: `${name}-c${i}`,
                    z: TAB,
                    name: '',
                    x: 300,
                    y: y + i * 10,
                    wires: [],
                    ...TARGETS[kind](),
                });
            }
            nodes.push(...FANS[way](name, sinks, y));
            sides[name] = { entry: name, sinks };
            y += 200;
        }
    }
    return { nodes, sides };
}

/**
 * What pump() needs of a consumer, for any node: counts its arrivals through an extra input listener (a one-argument
 * listener leaves completion to the node's own handler) and checks each one: the message sent as number n must
 * arrive as the n-th, with its content.
 */
const counters = new WeakMap();
function counter(node) {
    if (counters.has(node)) return counters.get(node);
    let waiters = [];
    const c = {
        count: 0,
        bad: 0,
        onMessage: undefined,
        reset() {
            c.count = 0;
            c.bad = 0;
        },
        waitFor(n) {
            return c.count >= n ? Promise.resolve(c.count) : new Promise((resolve) => waiters.push({ n, resolve }));
        },
    };
    node.on('input', (msg) => {
        c.count++;
        if (seqOf(msg) !== c.count || msg.sensor.location !== 'kitchen') c.bad++;
        if (c.onMessage !== undefined) c.onMessage(msg);
        const ready = waiters.filter((w) => w.n <= c.count);
        if (ready.length === 0) return;
        waiters = waiters.filter((w) => w.n > c.count);
        for (const w of ready) w.resolve(c.count);
    });
    counters.set(node, c);
    return c;
}

const seqOf = (msg) => (typeof msg.payload === 'object' ? msg.payload.seq : msg.reading.seq);

/** Sends `n` messages with at most WINDOW in flight (counted at the first consumer); ns until all have all. */
async function pump(rt, side, n, makeMsg) {
    const entry = rt.getNode(side.entry);
    const sinks = side.sinks.map((id) => counter(rt.getNode(id)));
    for (const s of sinks) s.reset();
    let sent = 0;
    const sendOne = () => {
        sent++;
        entry.receive(makeMsg(sent));
    };
    sinks[0].onMessage = () => {
        if (sent < n) sendOne();
    };
    const start = process.hrtime.bigint();
    while (sent < Math.min(WINDOW, n)) sendOne();
    await Promise.all(sinks.map((s) => s.waitFor(n)));
    const ns = Number(process.hrtime.bigint() - start);
    sinks[0].onMessage = undefined;
    for (const s of sinks) {
        if (s.count !== n || s.bad > 0)
            throw new Error(`${side.entry}: a consumer got ${s.count} of ${n}, ${s.bad} altered or out of order`);
    }
    return ns;
}

/** Checks what each consumer gets: a writable copy of its own where it may write, the event where it only reads. */
async function checkSides(rt, sides) {
    for (const [name, side] of Object.entries(sides)) {
        const seen = [];
        const nodes = side.sinks.map((id) => rt.getNode(id));
        const listeners = nodes.map((node) => {
            const l = (msg) => seen.push(msg);
            node.on('input', l);
            return l;
        });
        await pump(rt, side, 1, nestedMsg);
        nodes.forEach((node, i) => node.removeListener('input', listeners[i]));
        if (seen.length !== FAN) throw new Error(`${name}: ${seen.length} of ${FAN} consumers got the message`);
        if (
            name === 'hub-sink' &&
            seen.some((m) => Object.isFrozen(m.payload) || Object.isFrozen(m.payload.samples[0]))
        ) {
            throw new Error(`${name}: a consumer that may write got frozen values`);
        }
        if (name === 'hub-sink' && new Set(seen.map((m) => m.payload)).size !== FAN) {
            throw new Error(`${name}: consumers that may write share a payload`);
        }
        if (name === 'hub-debug' && !seen.every((m) => Object.isFrozen(m.payload) && m.payload === seen[0].payload)) {
            throw new Error(`${name}: read-only consumers should share the frozen payload`);
        }
    }
}

/**
 * Deliveries per CPU second (this process, every thread: garbage collection included) and per wall second of each
 * side, per round, sides alternating order every round.
 */
async function measure(rt, sides, names, makeMsg, messages) {
    const rates = Object.fromEntries(names.map((n) => [n, []]));
    const wall = Object.fromEntries(names.map((n) => [n, []]));
    for (const name of names) await pump(rt, sides[name], WARMUP_MESSAGES, makeMsg);
    for (let r = 0; r < ROUNDS; r++) {
        for (const name of r % 2 === 0 ? names : [...names].reverse()) {
            gc();
            const c0 = process.cpuUsage();
            const ns = await pump(rt, sides[name], messages, makeMsg);
            const c = process.cpuUsage(c0);
            rates[name].push((messages * FAN) / ((c.user + c.system) / 1e6));
            wall[name].push((messages * FAN) / (ns / 1e9));
        }
    }
    return { rates, wall };
}

const spread = (ratios) => `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`;

function row(name, { rates, wall }, a, b, goal) {
    const ratios = rates[a].map((h, i) => h / rates[b][i]);
    const wallRatio = median(wall[a].map((h, i) => h / wall[b][i]));
    return {
        name: `${name} (spread ${spread(ratios)}; wall time ${wallRatio.toFixed(2)}×)`,
        candidate: formatRate(median(rates[a]), 'per CPU s'),
        anchor: formatRate(median(rates[b]), 'per CPU s'),
        ratio: median(ratios),
        goal: goal === undefined ? undefined : goalAtLeast(goal),
    };
}

const SHAPES = {
    reading: { label: 'contract-shaped reading', makeMsg: readingMsg },
    nested: { label: '~2 KB nested payload', makeMsg: nestedMsg },
};

/** One shape measured in this process (every side, rounds alternating): per side and round, the rates. */
async function measureShape(shape) {
    const rt = await startRuntime();
    try {
        const { nodes, sides } = buildFlows();
        await rt.deploy(nodes);
        await checkSides(rt, sides);
        const rates = await measure(rt, sides, Object.keys(sides), SHAPES[shape].makeMsg, MESSAGES[shape]);
        return { rates, versions: rt.versions };
    } finally {
        await rt.stop();
    }
}

/** A shape's rows with goals (into nodes that may write) and without (into `debug` nodes). */
function rowsOf(shape, rates) {
    const label = SHAPES[shape].label;
    const base = `fan-out to ${FAN}, ${label}, into nodes that may write (a writable copy each): deliveries per CPU second`;
    return {
        rows: [
            row(`${base} vs 1 node with ${FAN} wires`, rates, 'hub-sink', 'wires-sink', GOALS[shape]),
            row(`${base} vs \`link out\` to ${FAN} \`link in\``, rates, 'hub-sink', 'link-sink', GOALS[shape]),
        ],
        info: [
            row(
                `fan-out to ${FAN}, ${label}, into \`debug\` nodes (only read: one frozen event shared): deliveries per CPU second vs 1 node with ${FAN} wires`,
                rates,
                'hub-debug',
                'wires-debug',
            ),
        ],
    };
}

/**
 * Each shape in a fresh process, as bench/run.js runs each benchmark: measured one after the other in one process,
 * the second shape inherited the first's heap and JIT state, and the peers' clone ran up to 2.5 times faster or slower
 * from one process to the next.
 */
function shapeInChild(shape) {
    return new Promise((resolve, reject) => {
        const child = fork(__filename, [], {
            env: { ...process.env, SENSORHUB_FANOUT_SHAPE: shape },
            execArgv: process.execArgv,
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        let result;
        child.on('message', (m) => {
            result = m;
        });
        child.on('error', reject);
        child.on('exit', (code) => {
            if (code === 0 && result !== undefined) resolve(result);
            else reject(new Error(`fan-out ${shape}: exited with ${code}`));
        });
    });
}

async function main() {
    const only = process.env.SENSORHUB_FANOUT_SHAPE;
    if (only !== undefined) {
        const result = await measureShape(only);
        await new Promise((resolve) => process.send(result, resolve));
        return;
    }
    const rows = [];
    const info = [];
    let versions;
    for (const shape of Object.keys(SHAPES)) {
        const measured = await shapeInChild(shape);
        const r = rowsOf(shape, measured.rates);
        rows.push(...r.rows);
        info.push(...r.info);
        versions = measured.versions;
    }
    const notes = [
        `Real Node-RED ${versions.nodeRed} on Node ${versions.node}, embedded in-process, default asynchronous delivery.`,
        `Sensor hub: one \`sensorhub-publish\` and ${FAN} \`sensorhub-subscribe\` nodes on its type (a hub at its defaults, flow control on), each wired to its own consumer. Peers: one \`link out\` linked to ${FAN} \`link in\` nodes, each wired to its own consumer; one \`change\` node (no rules) wired to ${FAN} consumers. Node-RED deep-clones the message for every wire but the first (the \`link out\` too: its links are wires).`,
        'Consumers that may write: a counting `bench-sink`, a node the hub does not know, so each of its subscribers gets a writable copy (plain data copied at every level), as a core wire gives. Read-only consumers (information rows): a `debug` node that shows nothing (sidebar, console and status off), which the hub knows only reads, so its subscribers share the frozen event.',
        'Every arrival is checked at every consumer: the n-th message sent must arrive as the n-th, with its content. Before timing: consumers that may write each get their own unfrozen payload, read-only ones share the frozen one.',
        'Deliveries per CPU second: deliveries / CPU time of the Node-RED process (all threads, garbage collection included), steady on a shared machine where wall time also counts whoever else ran; the wall-time ratio is shown beside it.',
        `Messages: a contract-shaped reading (\`{topic, payload: number, sensor, reading}\`), and the same with a ~2 KB nested \`payload\` (a device's state: ${JSON.stringify(nestedMsg(1)).length} B as JSON, 40 samples). ${MESSAGES.reading} readings or ${MESSAGES.nested} nested payloads per round, at most ${WINDOW} in flight; ${ROUNDS} rounds after ${WARMUP_MESSAGES} warm-up messages, sides alternating order each round, each shape in a fresh process; medians, ratios the median of per-round ratios (spread: lowest–highest round).`,
    ];
    await publishTable(
        renderTable(
            'Fan-out to 10: hub subscribers vs `link out` to 10 `link in` and vs 1 node with 10 wires (real Node-RED runtime)',
            { candidate: 'sensor hub', anchor: 'peer (named in the row)' },
            [...rows, ...info],
            notes,
        ),
    );
}

runMain(main);
