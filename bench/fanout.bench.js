'use strict';
// Fan-out: one event to ten consumers. Through the hub, ten subscribe nodes get the same event: subscribers wired to
// nodes known only to read (here `debug`) share it frozen, each with a shallow copy of the top level; subscribers wired
// to nodes that may write (here `bench-sink`, unknown to the hub) each get a writable copy. In core Node-RED, one node
// wired to ten wires deep-clones the message for every wire but the first.
const { startRuntime } = require('./lib/runtime.js');
const { flatMsg, readingMsg } = require('./lib/messages.js');
const { median, gc, formatRate, goalAtLeast, renderTable, publishTable, runMain } = require('./lib/report.js');

const FAN = 10;
const WINDOW = 128;
const ROUNDS = 5;
const MESSAGES = 10_000;
const WARMUP_MESSAGES = 2_000;
// Issue 3: fan-out to 10 subscribe nodes delivers at least 2 times the deliveries per second of one core node wired
// to 10 wires.
const GOAL = 2;

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

/** Per target kind, a hub fan (a publish node, ten subscribe nodes) and a core fan (a change node on ten wires). */
function buildFlows() {
    const nodes = [{ id: TAB, type: 'tab', label: 'fan-out benchmark' }];
    const fans = {};
    Object.entries(TARGETS).forEach(([kind, target], k) => {
        const hub = `fan-hub-${kind}`;
        const core = {
            id: `core-src-${kind}`,
            type: 'change',
            z: TAB,
            rules: [],
            x: 100,
            y: 100 + k * 40,
            wires: [[]],
        };
        nodes.push(
            { id: hub, type: 'sensorhub-hub', backend: 'local' },
            { id: `hub-pub-${kind}`, type: 'sensorhub-publish', z: TAB, hub, eventType: 'fan/out', wires: [] },
            core,
        );
        const sinks = { hub: [], core: [] };
        for (let i = 0; i < FAN; i++) {
            for (const side of ['hub', 'core']) {
                const id = `${side}-${kind}${i}`;
                sinks[side].push(id);
                nodes.push({ id, z: TAB, name: '', wires: [], ...target() });
            }
            nodes.push({
                id: `hub-sub-${kind}${i}`,
                type: 'sensorhub-subscribe',
                z: TAB,
                hub,
                patterns: 'fan/out',
                queueLimit: '',
                overflow: '',
                sendRetained: false,
                wires: [[`hub-${kind}${i}`]],
            });
            core.wires[0].push(`core-${kind}${i}`);
        }
        fans[kind] = {
            hub: { entry: `hub-pub-${kind}`, sinks: sinks.hub },
            core: { entry: core.id, sinks: sinks.core },
        };
    });
    return { nodes, fans };
}

/**
 * What pump() needs of a sink, for any node: counts its arrivals through an extra input listener (a one-argument
 * listener leaves completion to the node's own handler). A `bench-sink` is used as it is.
 */
const counters = new WeakMap();
function counter(node) {
    if (typeof node.waitFor === 'function') return node;
    if (counters.has(node)) return counters.get(node);
    let waiters = [];
    const c = {
        count: 0,
        onMessage: undefined,
        reset() {
            c.count = 0;
        },
        waitFor(n) {
            return c.count >= n ? Promise.resolve(c.count) : new Promise((resolve) => waiters.push({ n, resolve }));
        },
    };
    node.on('input', (msg) => {
        c.count++;
        if (c.onMessage !== undefined) c.onMessage(msg);
        const ready = waiters.filter((w) => w.n <= c.count);
        if (ready.length === 0) return;
        waiters = waiters.filter((w) => w.n > c.count);
        for (const w of ready) w.resolve(c.count);
    });
    counters.set(node, c);
    return c;
}

/** Sends `n` messages with at most WINDOW in flight (counted at the first sink); ns until all sinks have all. */
async function pump(rt, fan, n, makeMsg) {
    const entry = rt.getNode(fan.entry);
    const sinks = fan.sinks.map((id) => counter(rt.getNode(id)));
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
    for (const s of sinks) if (s.count !== n) throw new Error(`${fan.entry}: a sink got ${s.count} of ${n}`);
    return ns;
}

async function measure(rt, fans, makeMsg) {
    const rates = { hub: [], core: [] };
    for (const name of ['hub', 'core']) await pump(rt, fans[name], WARMUP_MESSAGES, makeMsg);
    for (let r = 0; r < ROUNDS; r++) {
        for (const name of r % 2 === 0 ? ['hub', 'core'] : ['core', 'hub']) {
            gc();
            const ns = await pump(rt, fans[name], MESSAGES, makeMsg);
            rates[name].push((MESSAGES * FAN) / (ns / 1e9));
        }
    }
    return {
        hub: median(rates.hub),
        core: median(rates.core),
        ratio: median(rates.hub.map((h, i) => h / rates.core[i])),
    };
}

async function main() {
    const rt = await startRuntime();
    try {
        const { nodes, fans } = buildFlows();
        await rt.deploy(nodes);
        const rows = [];
        const into = {
            debug: 'into debug nodes (only read: one frozen event shared)',
            sink: 'into nodes that may write (a writable copy each)',
        };
        for (const [label, makeMsg] of [
            ['flat msg', flatMsg],
            ['contract-shaped reading', readingMsg],
        ]) {
            for (const kind of ['debug', 'sink']) {
                const m = await measure(rt, fans[kind], makeMsg);
                rows.push({
                    name: `fan-out to ${FAN}, ${label}, ${into[kind]}: deliveries per second`,
                    candidate: formatRate(m.hub),
                    anchor: formatRate(m.core),
                    ratio: m.ratio,
                    goal: goalAtLeast(GOAL),
                });
            }
        }
        const notes = [
            `Real Node-RED ${rt.versions.nodeRed} on Node ${rt.versions.node}, embedded in-process.`,
            `Sensor hub: one \`sensorhub-publish\` and ${FAN} \`sensorhub-subscribe\` nodes on the same type (a hub at its defaults), each wired to its own consumer. Core: one \`change\` node (no rules) whose output is wired to ${FAN} consumers of the same kind; Node-RED deep-clones the message for every wire but the first.`,
            'Consumers: a `debug` node that shows nothing (sidebar, console and status off, complete message), which the hub knows only reads, so its subscribers share the frozen event; or a counting `bench-sink`, a node the hub does not know, so each of its subscribers gets a writable copy (plain data copied at every level). Arrivals at debug nodes are counted by an extra input listener.',
            `${MESSAGES} messages per round, at most ${WINDOW} in flight; median of ${ROUNDS} rounds after ${WARMUP_MESSAGES} warm-up messages, sides alternating; the ratio is the median of per-round ratios.`,
            'Design anchor on this machine kind: 239 k deliveries/s for a core node fanning out to 10 wires.',
        ];
        await publishTable(
            renderTable(
                'Fan-out to 10: hub subscribers vs one core node wired to 10 wires (real Node-RED runtime)',
                { candidate: 'sensor hub', anchor: 'anchor (core, 10 wires)' },
                rows,
                notes,
            ),
        );
    } finally {
        await rt.stop();
    }
}

runMain(main);
