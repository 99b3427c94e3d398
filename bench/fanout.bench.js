'use strict';
// Fan-out: one event to ten consumers. Through the hub, ten subscribe nodes share one frozen event and each gets a
// shallow copy; in core Node-RED, one node wired to ten wires deep-clones the message for every wire but the first.
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

function buildFlows() {
    const nodes = [
        { id: TAB, type: 'tab', label: 'fan-out benchmark' },
        { id: 'fan-hub', type: 'sensorhub-hub', backend: 'local', queueLimit: 1000, overflow: 'drop-oldest' },
        { id: 'hub-pub', type: 'sensorhub-publish', z: TAB, hub: 'fan-hub', eventType: 'fan/out', wires: [] },
        { id: 'core-src', type: 'change', z: TAB, rules: [], wires: [[]] },
    ];
    const sinks = { hub: [], core: [] };
    for (let i = 0; i < FAN; i++) {
        sinks.hub.push(`hub-sink${i}`);
        sinks.core.push(`core-sink${i}`);
        nodes.push({ id: `hub-sink${i}`, type: 'bench-sink', z: TAB, wires: [] });
        nodes.push({ id: `core-sink${i}`, type: 'bench-sink', z: TAB, wires: [] });
        nodes.push({
            id: `hub-sub${i}`,
            type: 'sensorhub-subscribe',
            z: TAB,
            hub: 'fan-hub',
            patterns: 'fan/out',
            queueLimit: '',
            overflow: '',
            sendRetained: false,
            wires: [[`hub-sink${i}`]],
        });
        nodes[3].wires[0].push(`core-sink${i}`);
    }
    return {
        nodes,
        fans: { hub: { entry: 'hub-pub', sinks: sinks.hub }, core: { entry: 'core-src', sinks: sinks.core } },
    };
}

/** Sends `n` messages with at most WINDOW in flight (counted at the first sink); ns until all sinks have all. */
async function pump(rt, fan, n, makeMsg) {
    const entry = rt.getNode(fan.entry);
    const sinks = fan.sinks.map((id) => rt.getNode(id));
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
        for (const [label, makeMsg] of [
            ['flat msg', flatMsg],
            ['contract-shaped reading', readingMsg],
        ]) {
            const m = await measure(rt, fans, makeMsg);
            rows.push({
                name: `fan-out to ${FAN}, ${label}: deliveries per second`,
                candidate: formatRate(m.hub),
                anchor: formatRate(m.core),
                ratio: m.ratio,
                goal: goalAtLeast(GOAL),
            });
        }
        const notes = [
            `Real Node-RED ${rt.versions.nodeRed} on Node ${rt.versions.node}, embedded in-process.`,
            `Sensor hub: one \`sensorhub-publish\` and ${FAN} \`sensorhub-subscribe\` nodes on the same type, each wired to its own counting \`bench-sink\`. Core: one \`change\` node (no rules) whose output is wired to ${FAN} sinks; Node-RED deep-clones the message for every wire but the first.`,
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
