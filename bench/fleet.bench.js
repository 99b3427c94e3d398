'use strict';
// The fleet against a Python collector doing the same job and against the floor, in one run:
//
// 1. Cycle wall time for N = 20, 1,000 and 10,000 simulated sensors whose reads take 100–500 ms: a Python
//    collector (Python, asyncio.gather; bench/anchors/python_collector.py), a `sensorhub-fleet` node in the real
//    embedded Node-RED runtime (inject → every reading delivered → statistics delivered), and a bare
//    `Promise.all` over the same simulated reads. Sequential reads, one after another, beside them.
// 2. Steady state: 10,000 sensors at 1 Hz through the fleet into a local hub and out of a subscribe node, against
//    the flow a user would write instead (inject → function starting the reads → link out → link in), and an idle
//    Node-RED measured the same way, each in a process of its own; a bare Node loop into an EventEmitter as
//    information. 3. Scale: 100,000 sensors at 1 Hz in batch mode on one instance.
const { fork, execFileSync } = require('node:child_process');
const { EventEmitter } = require('node:events');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { startRuntime, projectRoot } = require('./lib/runtime.js');
const { median, gc, goalAtMost, renderTable, publishTable, runMain } = require('./lib/report.js');

const { SimulatedSensor, realSleep } = require(path.join(projectRoot, 'nodes', 'core', 'sensor', 'simulator.js'));

const SIZES = [20, 1_000, 10_000];
const ROUNDS = 5;
const LATENCY = { min: 100, max: 500 };
const STEADY_SENSORS = 10_000;
const STEADY_S = Number(process.env.SENSORHUB_BENCH_STEADY_S || 20);
const STEADY_WARMUP_S = 5;
const STEADY_ROUNDS = Number(process.env.SENSORHUB_BENCH_STEADY_ROUNDS || 3);
const BATCH_SENSORS = 100_000;
const MIB = 1024 * 1024;
// Issue 5's goals.
const VS_PYTHON = goalAtMost(1.1);
// Issue 18's goals: against the flow a user would write, and on one instance at 100,000 sensors.
const CPU_GOAL = goalAtMost(0.8);
const RSS_GOAL = goalAtMost(0.8);
const RSS_BUDGET_MIB = 100;
const BUDGET_GOAL = goalAtMost(1);
const BATCH_ELD_GOAL = goalAtMost(1);
const BATCH_RATE_GOAL = { text: '≥ 0.98×', met: (ratio) => ratio >= 0.98 };

const TAB = 'fleet-tab';

/** A fleet of `n` generated simulated sensors (the Python collector's reads), stream output, no concurrency limit. */
function fleetNode(n, intervalS, wires) {
    return {
        id: 'fleet',
        type: 'sensorhub-fleet',
        z: TAB,
        sensorSource: 'generated',
        count: n,
        idPattern: 'sensor-{n}',
        mixTemperature: 1,
        latencyMin: LATENCY.min,
        latencyMax: LATENCY.max,
        failureRate: 0,
        seed: 2024,
        interval: intervalS,
        autoStart: true,
        timeout: 1000,
        concurrency: 0,
        output: 'stream',
        breakerFailures: 3,
        breakerBase: 10,
        breakerMax: 300,
        wires,
    };
}

function cycleFlow(n) {
    return [
        { id: TAB, type: 'tab', label: 'fleet benchmark' },
        fleetNode(n, 0, [['readings'], ['failures'], ['stats']]),
        { id: 'readings', type: 'bench-sink', z: TAB, wires: [] },
        { id: 'failures', type: 'bench-sink', z: TAB, wires: [] },
        { id: 'stats', type: 'bench-sink', z: TAB, wires: [] },
    ];
}

/** Samples RSS every 10 ms until stopped; resolves the peak in bytes. */
function rssPeak() {
    let peak = process.memoryUsage.rss();
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    return () => {
        clearInterval(timer);
        return Math.max(peak, process.memoryUsage.rss());
    };
}

/** One fleet cycle: inject, then wait for every reading and the statistics. Returns seconds. */
async function fleetCycle(rt, n) {
    const readings = rt.getNode('readings');
    const stats = rt.getNode('stats');
    readings.reset();
    stats.reset();
    const start = process.hrtime.bigint();
    rt.inject('fleet', { payload: 'cycle' });
    await stats.waitFor(1);
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    if (readings.count !== n) throw new Error(`fleet cycle delivered ${readings.count} of ${n} readings`);
    if (stats.lastMsg.payload.ok !== n) throw new Error(`fleet cycle: ${JSON.stringify(stats.lastMsg.payload)}`);
    return s;
}

function simulatedFleet(n, seed = 2024) {
    return Array.from(
        { length: n },
        (_, i) =>
            new SimulatedSensor({
                mode: 'numeric',
                seed: (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0,
                mean: 21,
                noise: 0.2,
                latencyMinMs: LATENCY.min,
                latencyMaxMs: LATENCY.max,
                sleep: realSleep,
            }),
    );
}

/** The floor: the same simulated reads, all at once, nothing else. Returns seconds. */
async function bareCycle(sensors) {
    const start = process.hrtime.bigint();
    const values = await Promise.all(sensors.map((s) => s.read()));
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    if (values.length !== sensors.length) throw new Error('bare cycle lost reads');
    return s;
}

async function sequentialCycle(sensors) {
    const start = process.hrtime.bigint();
    for (const s of sensors) await s.read();
    return Number(process.hrtime.bigint() - start) / 1e9;
}

function python(args) {
    const out = execFileSync('python3', [path.join(__dirname, 'anchors', 'python_collector.py'), ...args.map(String)], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
    });
    return JSON.parse(out.trim().split('\n').pop());
}

const fmtS = (s) => (s >= 10 ? `${s.toFixed(1)} s` : `${Math.round(s * 1000)} ms`);
const fmtMiB = (b) => `${(b / MIB).toFixed(0)} MiB`;

async function cycles() {
    const rt = await startRuntime();
    const rows = [];
    const memory = [];
    let pythonVersion;
    try {
        for (const n of SIZES) {
            await rt.deploy(cycleFlow(n));
            const bare = simulatedFleet(n);
            await fleetCycle(rt, n); // warm-up, both sides
            await bareCycle(bare);
            const times = { fleet: [], bare: [] };
            gc();
            const base = process.memoryUsage.rss();
            const stopPeak = rssPeak();
            for (let r = 0; r < ROUNDS; r++) {
                for (const side of r % 2 === 0 ? ['fleet', 'bare'] : ['bare', 'fleet']) {
                    times[side].push(side === 'fleet' ? await fleetCycle(rt, n) : await bareCycle(bare));
                }
            }
            const peak = stopPeak();
            const py = python([n, ROUNDS]);
            pythonVersion = py.python;
            const fleet = median(times.fleet);
            const pyS = median(py.cycles);
            const bareS = median(times.bare);
            const label = n.toLocaleString('en-US');
            rows.push({
                name: `cycle wall time, N = ${label}: fleet vs Python (every read at once with \`gather\`)`,
                candidate: fmtS(fleet),
                anchor: fmtS(pyS),
                ratio: fleet / pyS,
                goal: VS_PYTHON,
            });
            rows.push({
                name: `cycle wall time, N = ${label}: fleet vs bare \`Promise.all\``,
                candidate: fmtS(fleet),
                anchor: fmtS(bareS),
                ratio: fleet / bareS,
                // The floor does less than the fleet must (no node, no message): information, not a goal (issue 18).
                goal: undefined,
            });
            memory.push(
                `N = ${label}: peak RSS ${fmtMiB(peak)} (Node-RED process, ${fmtMiB(peak - base)} above its RSS before ` +
                    `the cycles; fleet and bare reads together) vs Python ${fmtMiB(py.peakRssKiB * 1024)} ` +
                    `(${fmtMiB((py.peakRssKiB - py.baseRssKiB) * 1024)} above its RSS before the cycles)`,
            );
        }
        // Reads one after another, for the gain. Measured at N = 20; a sum of N draws of 100–500 ms beyond.
        const seqNode = await sequentialCycle(simulatedFleet(20));
        const seqPy = python([20, 1, '--sequential']).cycles[0];
        await rt.deploy(cycleFlow(20));
        const fleet20 = median([await fleetCycle(rt, 20), await fleetCycle(rt, 20), await fleetCycle(rt, 20)]);
        rows.push({
            name: 'sequential reads, N = 20 (one after another): Node vs Python, for the gain',
            candidate: fmtS(seqNode),
            anchor: fmtS(seqPy),
            ratio: seqNode / seqPy,
            goal: undefined,
        });
        rows.push({
            name: 'fleet vs sequential reads, N = 20 (the gain: lower is better)',
            candidate: fmtS(fleet20),
            anchor: fmtS(seqNode),
            ratio: fleet20 / seqNode,
            goal: undefined,
        });
    } finally {
        await rt.stop();
    }
    return { rows, memory, pythonVersion };
}

// ---- steady state, each side in a process of its own ----

/** Fleet → publish → hub → subscribe → sink; `unwired`: the fleet alone, its readings going nowhere. */
function steadyFlow(unwired) {
    if (unwired)
        return [
            { id: TAB, type: 'tab', label: 'fleet steady state' },
            fleetNode(STEADY_SENSORS, 1, [[], [], ['stats']]),
            { id: 'stats', type: 'bench-sink', z: TAB, wires: [] },
        ];
    return [
        { id: TAB, type: 'tab', label: 'fleet steady state' },
        { id: 'steady-hub', type: 'sensorhub-hub', backend: 'local', queueLimit: 20000, overflow: 'drop-oldest' },
        fleetNode(STEADY_SENSORS, 1, [['publish'], [], ['stats']]),
        { id: 'publish', type: 'sensorhub-publish', z: TAB, hub: 'steady-hub', eventType: '', wires: [] },
        {
            id: 'subscribe',
            type: 'sensorhub-subscribe',
            z: TAB,
            hub: 'steady-hub',
            patterns: '#',
            queueLimit: '',
            overflow: '',
            sendRetained: false,
            wires: [['events']],
        },
        { id: 'events', type: 'bench-sink', z: TAB, wires: [] },
        { id: 'stats', type: 'bench-sink', z: TAB, wires: [] },
    ];
}

// What a user would write instead of the fleet: every second, one function node starts 10,000 simulated reads (a
// uniform 100–500 ms sleep each, a gaussian value around 21 with σ 0.2, rounded to 2 places: the fleet's simulated
// temperature sensors) and sends each result as it arrives, through a link to the consumer.
const USER_FUNCTION = `
let sensors = context.get('sensors');
if (!sensors) {
    sensors = [];
    for (let i = 1; i <= ${STEADY_SENSORS}; i++) sensors.push({ id: 'sensor-' + i, level: 21 });
    context.set('sensors', sensors);
}
for (const s of sensors) {
    const latency = Math.round(100 + Math.random() * 400);
    const u = 1 - Math.random();
    const v = Math.random();
    const value = Math.round((s.level + Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * 0.2) * 100) / 100;
    setTimeout(() => node.send({ topic: 'temperature', payload: value, sensor: s.id, ts: Date.now() }), latency);
}
return null;
`;

/** inject every second → function starting the reads → link out → link in → sink. */
function userFlow() {
    const at = (x) => ({ z: TAB, x, y: 100 });
    return [
        { id: TAB, type: 'tab', label: 'user flow' },
        {
            id: 'tick',
            type: 'inject',
            ...at(100),
            repeat: '1',
            once: true,
            onceDelay: '0.1',
            topic: '',
            payload: '',
            payloadType: 'date',
            props: [{ p: 'payload' }],
            wires: [['reads']],
        },
        { id: 'reads', type: 'function', ...at(250), func: USER_FUNCTION, outputs: 1, wires: [['lout']] },
        { id: 'lout', type: 'link out', ...at(400), mode: 'link', links: ['lin'], wires: [] },
        { id: 'lin', type: 'link in', ...at(550), links: ['lout'], wires: [['events']] },
        { id: 'events', type: 'bench-sink', ...at(650), wires: [] },
    ];
}

/** 100,000 generated sensors at 1 Hz, one batch per cycle. */
function batchFlow() {
    const fleet = fleetNode(BATCH_SENSORS, 1, [['batch'], ['failures'], ['stats']]);
    return [
        { id: TAB, type: 'tab', label: 'fleet batch scale' },
        { ...fleet, output: 'batch' },
        { id: 'batch', type: 'bench-sink', z: TAB, wires: [] },
        { id: 'failures', type: 'bench-sink', z: TAB, wires: [] },
        { id: 'stats', type: 'bench-sink', z: TAB, wires: [] },
    ];
}

/** Measures `count()` over the steady window: rate, CPU share of one core, peak RSS, event-loop delay p99. */
async function window(count) {
    await new Promise((r) => setTimeout(r, STEADY_WARMUP_S * 1000));
    const eld = monitorEventLoopDelay({ resolution: 10 });
    eld.enable();
    let rssMax = 0;
    const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage.rss())), 250);
    const c0 = count();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, STEADY_S * 1000));
    const cpu = process.cpuUsage(cpu0);
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000;
    clearInterval(rssTimer);
    eld.disable();
    return {
        rate: (count() - c0) / (wallUs / 1e6),
        cpu: (cpu.user + cpu.system) / wallUs,
        rssMax,
        eldP99Ms: eld.percentile(99) / 1e6,
    };
}

/** Counts the sink's arrivals that are not a temperature reading with a numeric payload. */
function checked(sink, isReading) {
    let bad = 0;
    sink.onMessage = (msg) => {
        if (!isReading(msg)) bad++;
    };
    return () => bad;
}

const fleetReading = (msg) => typeof msg.payload === 'number' && msg.reading?.status === 'ok';
const userReading = (msg) => typeof msg.payload === 'number' && typeof msg.sensor === 'string';

/** Runs `flows` in a fresh runtime and measures the window; `count` gives the readings delivered so far. */
async function steadyRun(flows, measure) {
    const rt = await startRuntime();
    try {
        await new Promise((r) => setTimeout(r, 1000));
        gc();
        await rt.deploy(flows);
        return await measure(rt);
    } finally {
        await rt.stop();
    }
}

function steadyFleet(unwired) {
    return steadyRun(steadyFlow(unwired), async (rt) => {
        const stats = rt.getNode('stats');
        let count = () => stats.count * STEADY_SENSORS;
        let bad = () => 0;
        // Unwired, every reading of a completed cycle counts (each cycle's statistics say all were ok).
        if (!unwired) {
            const events = rt.getNode('events');
            bad = checked(events, fleetReading);
            count = () => events.count;
        }
        const w = await window(count);
        return { ...w, bad: bad(), lastCycle: stats.lastMsg?.payload };
    });
}

function steadyUser() {
    return steadyRun(userFlow(), async (rt) => {
        const events = rt.getNode('events');
        const bad = checked(events, userReading);
        const w = await window(() => events.count);
        return { ...w, bad: bad() };
    });
}

/** An idle Node-RED measured the same way: a fresh runtime, a deploy (of an empty tab), the same window. */
function steadyIdle() {
    return steadyRun([{ id: TAB, type: 'tab', label: 'idle' }], () => window(() => 0));
}

function steadyBatch() {
    return steadyRun(batchFlow(), async (rt) => {
        const batch = rt.getNode('batch');
        const stats = rt.getNode('stats');
        let readings = 0;
        let bad = 0;
        // Every sensor in each batch, as a reading or (a read that ran past the timeout on a loaded machine) a failure.
        batch.onMessage = (msg) => {
            const ok = msg.payload.filter(fleetReading).length;
            readings += ok;
            if (msg.payload.length !== BATCH_SENSORS || !msg.payload.every((m) => m.reading?.status)) bad++;
        };
        let cycles = 0;
        let maxMs = 0;
        stats.onMessage = (msg) => {
            cycles++;
            maxMs = Math.max(maxMs, msg.payload.durationMs);
        };
        const w = await window(() => readings);
        return { ...w, bad, cycles, maxCycleMs: maxMs, lastCycle: stats.lastMsg?.payload };
    });
}

async function steadyBare() {
    gc();
    const idle = process.memoryUsage.rss();
    const ee = new EventEmitter();
    let count = 0;
    ee.on('reading', () => count++);
    const sensors = simulatedFleet(STEADY_SENSORS);
    let running = true;
    const start = Date.now();
    // The Python collector's loop, on a fixed 1 s schedule: every sensor read at once, each value emitted as it arrives.
    const loop = async () => {
        for (let k = 1; running; k++) {
            await Promise.all(
                sensors.map((s, i) => s.read().then((value) => ee.emit('reading', { id: i, value, ts: Date.now() }))),
            );
            await new Promise((r) => setTimeout(r, Math.max(0, start + k * 1000 - Date.now())));
        }
    };
    const done = loop();
    const w = await window(() => count);
    running = false;
    await done;
    return { ...w, idle, bad: 0 };
}

function runChild(mode) {
    return new Promise((resolve, reject) => {
        const child = fork(__filename, ['--steady', mode], { execArgv: ['--expose-gc'], stdio: 'inherit' });
        let result;
        child.on('message', (m) => (result = m));
        child.on('error', reject);
        child.on('exit', (code) => {
            if (code !== 0 || !result) reject(new Error(`${mode} exited ${code}`));
            else if (result.bad > 0) reject(new Error(`${mode}: ${result.bad} arrivals were not a good reading`));
            else resolve(result);
        });
    });
}

/** Fleet, user flow and idle Node-RED in turn, the order alternating between rounds, each run a fresh process. */
async function steadyRounds() {
    const runs = { fleet: [], user: [], idle: [] };
    for (let r = 0; r < STEADY_ROUNDS; r++) {
        const order = r % 2 === 0 ? ['fleet', 'user', 'idle'] : ['user', 'fleet', 'idle'];
        for (const mode of order) runs[mode].push(await runChild(mode));
    }
    // Above idle per round: each side's peak against the idle run of the same round.
    const above = (side) => runs[side].map((s, i) => s.rssMax - runs.idle[i].rssMax);
    return { ...runs, fleetAbove: above('fleet'), userAbove: above('user') };
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const spread = (xs, fmt) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;

/** A median figure with its spread over the rounds: `19.5% (18.1–21.0%)`. */
function withSpread(xs, fmt) {
    return xs.length > 1 ? `${fmt(median(xs))} (${spread(xs, fmt)})` : fmt(xs[0]);
}

function ratioRow(name, fleetXs, userXs, fmt, goal) {
    const ratios = fleetXs.map((x, i) => x / userXs[i]);
    return {
        name: `${name} (spread of the per-round ratio ${spread(ratios, (x) => x.toFixed(2))}×)`,
        candidate: withSpread(fleetXs, fmt),
        anchor: withSpread(userXs, fmt),
        ratio: median(ratios),
        goal,
    };
}

async function steady() {
    const s = await steadyRounds();
    const bare = await runChild('bare');
    const unwired = await runChild('fleet-unwired');
    const batch = await runChild('batch');
    const batchIdle = await runChild('idle');
    const n = STEADY_SENSORS.toLocaleString('en-US');
    const ms = (x) => `${x.toFixed(1)} ms`;
    const mib = (x) => `${(x / MIB).toFixed(0)} MiB`;
    const pick = (runs, key) => runs.map((r) => r[key]);
    const fleetAboveMiB = median(s.fleetAbove) / MIB;
    const rows = [
        {
            name: `steady state, ${n} sensors at 1 Hz: readings per second delivered, fleet → hub → subscriber vs the user's flow`,
            candidate: `${Math.round(median(pick(s.fleet, 'rate'))).toLocaleString('en-US')}/s`,
            anchor: `${Math.round(median(pick(s.user, 'rate'))).toLocaleString('en-US')}/s`,
            ratio: median(pick(s.fleet, 'rate')) / median(pick(s.user, 'rate')),
            goal: undefined,
        },
        ratioRow('steady state: CPU share of one core', pick(s.fleet, 'cpu'), pick(s.user, 'cpu'), pct, CPU_GOAL),
        ratioRow('steady state: peak RSS above an idle Node-RED', s.fleetAbove, s.userAbove, mib, RSS_GOAL),
        ratioRow('steady state: event-loop delay p99', pick(s.fleet, 'eldP99Ms'), pick(s.user, 'eldP99Ms'), ms),
        {
            name: 'steady state: peak RSS above an idle Node-RED, fleet with the hub path, vs the budget',
            candidate: withSpread(s.fleetAbove, mib),
            anchor: `${RSS_BUDGET_MIB} MiB`,
            ratio: fleetAboveMiB / RSS_BUDGET_MIB,
            goal: BUDGET_GOAL,
        },
        {
            name: 'information: CPU share, fleet → hub → subscriber vs a bare Node loop into an EventEmitter (no Node-RED)',
            candidate: pct(median(pick(s.fleet, 'cpu'))),
            anchor: pct(bare.cpu),
            ratio: median(pick(s.fleet, 'cpu')) / bare.cpu,
            goal: undefined,
        },
        {
            name: 'information: CPU share, the fleet alone (readings unwired) vs the fleet with the hub path',
            candidate: pct(unwired.cpu),
            anchor: pct(median(pick(s.fleet, 'cpu'))),
            ratio: unwired.cpu / median(pick(s.fleet, 'cpu')),
            goal: undefined,
        },
        {
            name: `scale: ${BATCH_SENSORS.toLocaleString('en-US')} sensors at 1 Hz in batch mode, event-loop delay p99 vs 50 ms`,
            candidate: ms(batch.eldP99Ms),
            anchor: '50 ms',
            ratio: batch.eldP99Ms / 50,
            goal: BATCH_ELD_GOAL,
        },
        {
            name: 'scale: readings per second delivered (in batches) vs 100,000/s',
            candidate: `${Math.round(batch.rate).toLocaleString('en-US')}/s`,
            anchor: `${BATCH_SENSORS.toLocaleString('en-US')}/s`,
            ratio: batch.rate / BATCH_SENSORS,
            goal: BATCH_RATE_GOAL,
        },
    ];
    const notes = [
        `Steady state: ${STEADY_ROUNDS} rounds, each a fresh process per side (fleet, user's flow, idle Node-RED; ` +
            `fleet and user's flow alternate first), ${STEADY_S} s measured after ${STEADY_WARMUP_S} s of warm-up. ` +
            'Fleet: a `sensorhub-fleet` of 10,000 generated simulated temperature sensors (100–500 ms reads, 1 s ' +
            'interval, stream output) → `sensorhub-publish` → local hub → `sensorhub-subscribe` on `#` → a counting ' +
            "sink. User's flow: `inject` every second → a `function` node starting 10,000 reads (a `setTimeout` of a " +
            'uniform 100–500 ms each, the same gaussian values) and sending each result → `link out` → `link in` → the ' +
            "same sink. Every arrival is checked (a numeric payload; the fleet's a reading with status ok). Idle: a " +
            'fresh runtime with an empty tab deployed, its peak RSS over the same window; "above idle" subtracts the ' +
            'idle peak of the same round.',
        `Peak RSS medians: fleet ${mib(median(pick(s.fleet, 'rssMax')))}, user's flow ` +
            `${mib(median(pick(s.user, 'rssMax')))}, idle Node-RED ${mib(median(pick(s.idle, 'rssMax')))}; ` +
            `fleet alone ${mib(unwired.rssMax)}. Bare loop: ${mib(bare.rssMax)} (${mib(bare.idle)} before its sensors ` +
            'were made).',
        `Event-loop delay p99 per round: ${pick(s.fleet, 'eldP99Ms').map(ms).join(', ')} (fleet) vs ` +
            `${pick(s.user, 'eldP99Ms').map(ms).join(', ')} (user's flow); shown without a goal, as issue 18 sets none.`,
        `The fleet's last cycle: ${s.fleet[0].lastCycle ? JSON.stringify(s.fleet[0].lastCycle) : 'none reported'}.`,
        `Scale: ${BATCH_SENSORS.toLocaleString('en-US')} generated sensors, 1 s interval, batch output into a ` +
            `counting sink (every batch checked: one message per sensor, readings counted when ok): ` +
            `${batch.cycles} cycles in ${STEADY_S} s, longest ${Math.round(batch.maxCycleMs)} ms, ` +
            `${batch.lastCycle?.skippedCycles ?? '?'} skipped; CPU ${pct(batch.cpu)} of one core; peak RSS ` +
            `${mib(batch.rssMax)}, ${mib(batch.rssMax - batchIdle.rssMax)} above an idle Node-RED measured right after.`,
    ];
    return { rows, notes };
}

async function main() {
    const c = process.env.SENSORHUB_BENCH_FLEET_STEADY_ONLY ? { rows: [], memory: [] } : await cycles();
    const s = await steady();
    const notes = [
        `Cycle rows: median of ${ROUNDS} cycles after one warm-up; fleet and bare alternate, both in one process. ` +
            "Every simulated read sleeps a uniform 100–500 ms (the Python collector's `random.uniform(0.1, 0.5)`); the fleet node " +
            '(generated sensors, timeout 1 s, no concurrency limit, stream output) is timed from the inject to the ' +
            'arrival of its statistics message, after every reading has reached a counting sink. Python ' +
            `${c.pythonVersion}: a collector that reads every sensor at once (\`AsyncSensor\`, \`collect_sensor_data\`, \`gather\`), ${ROUNDS} cycles after a warm-up.`,
        ...c.memory,
        ...s.notes,
    ];
    const table = renderTable(
        "Fleet: cycle time against Python and the floor, and the steady state against the user's own flow",
        { candidate: 'sensor hub fleet', anchor: 'anchor' },
        [...c.rows, ...s.rows],
        notes,
    );
    await publishTable(table);
}

if (process.argv[2] === '--steady') {
    const modes = {
        fleet: () => steadyFleet(false),
        'fleet-unwired': () => steadyFleet(true),
        user: steadyUser,
        idle: steadyIdle,
        batch: steadyBatch,
        bare: steadyBare,
    };
    const run = modes[process.argv[3]];
    if (!run) throw new Error(`unknown steady mode ${process.argv[3]}`);
    run().then(
        (result) => {
            // Run by hand (`node --expose-gc bench/fleet.bench.js --steady fleet`, e.g. under --cpu-prof): print it.
            if (process.send) process.send(result, () => process.exit(0));
            else process.stdout.write(`${JSON.stringify(result)}\n`);
        },
        (err) => {
            process.stderr.write(`${err.stack}\n`);
            process.exit(1);
        },
    );
} else {
    runMain(main);
}
