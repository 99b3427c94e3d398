'use strict';
// The fleet against the seed it replaces and against the floor, in one run:
//
// 1. Cycle wall time for N = 20, 1,000 and 10,000 simulated sensors whose reads take 100–500 ms: the seed's own
//    collector (Python, asyncio.gather; bench/anchors/seed_collector.py), a `sensorhub-fleet` node in the real
//    embedded Node-RED runtime (inject → every reading delivered → statistics delivered), and a bare
//    `Promise.all` over the same simulated reads. Sequential reads, the seed's "before" picture, beside them.
// 2. Steady state: 10,000 sensors at 1 Hz through the fleet into a local hub and out of a subscribe node, against
//    a bare Node loop doing the same reads into an EventEmitter, each in a process of its own.
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
const STEADY_S = Number(process.env.SENSORHUB_BENCH_STEADY_S || 60);
const STEADY_WARMUP_S = 5;
const MIB = 1024 * 1024;
// Issue 5's goals.
const VS_PYTHON = goalAtMost(1.1);
const VS_FLOOR = goalAtMost(1.25);
const CPU_GOAL = goalAtMost(1.5);
const RSS_BUDGET_MIB = 100;
const RSS_GOAL = goalAtMost(1);
const ELD_GOAL = goalAtMost(1.5);

const TAB = 'fleet-tab';

/** A fleet of `n` generated simulated sensors (the seed's reads), stream output, no concurrency limit. */
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
    const out = execFileSync('python3', [path.join(__dirname, 'anchors', 'seed_collector.py'), ...args.map(String)], {
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
                name: `cycle wall time, N = ${label}: fleet vs seed (Python \`asyncio.gather\`)`,
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
                goal: n === 10_000 ? VS_FLOOR : undefined,
            });
            memory.push(
                `N = ${label}: peak RSS ${fmtMiB(peak)} (Node-RED process, ${fmtMiB(peak - base)} above its RSS before ` +
                    `the cycles; fleet and bare reads together) vs Python ${fmtMiB(py.peakRssKiB * 1024)} ` +
                    `(${fmtMiB((py.peakRssKiB - py.baseRssKiB) * 1024)} above its RSS before the cycles)`,
            );
        }
        // The seed's "before": one sensor after another. Measured at N = 20; a sum of N draws of 100–500 ms beyond.
        const seqNode = await sequentialCycle(simulatedFleet(20));
        const seqPy = python([20, 1, '--sequential']).cycles[0];
        await rt.deploy(cycleFlow(20));
        const fleet20 = median([await fleetCycle(rt, 20), await fleetCycle(rt, 20), await fleetCycle(rt, 20)]);
        rows.push({
            name: 'sequential reads, N = 20 (the seed\'s "before"): Node vs Python, for the gain',
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

/** Measures `count()` over the steady window: rate, CPU share of one core, RSS, event-loop delay p99. */
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

async function steadyFleet(unwired) {
    const rt = await startRuntime();
    try {
        await new Promise((r) => setTimeout(r, 1000));
        gc();
        const idle = process.memoryUsage.rss();
        await rt.deploy(steadyFlow(unwired));
        const stats = rt.getNode('stats');
        // Unwired, every reading of a completed cycle counts (each cycle's statistics say all were ok).
        const count = unwired
            ? () => stats.count * STEADY_SENSORS
            : (
                  (events) => () =>
                      events.count
              )(rt.getNode('events'));
        const w = await window(count);
        return { ...w, idle, lastCycle: stats.lastMsg?.payload };
    } finally {
        await rt.stop();
    }
}

/** The bare loop inside an idle Node-RED process: what the runtime's presence alone costs the same code. */
async function steadyBareInRuntime() {
    const rt = await startRuntime();
    try {
        await new Promise((r) => setTimeout(r, 1000));
        return await steadyBare();
    } finally {
        await rt.stop();
    }
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
    // The seed's collect loop, on a fixed 1 s schedule: every sensor read at once, each value emitted as it arrives.
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
    return { ...w, idle };
}

function runChild(mode) {
    return new Promise((resolve, reject) => {
        const child = fork(__filename, ['--steady', mode], { execArgv: ['--expose-gc'], stdio: 'inherit' });
        let result;
        child.on('message', (m) => (result = m));
        child.on('error', reject);
        child.on('exit', (code) =>
            code === 0 && result ? resolve(result) : reject(new Error(`${mode} exited ${code}`)),
        );
    });
}

async function steady() {
    const fleet = await runChild('fleet');
    const bare = await runChild('bare');
    const unwired = await runChild('fleet-unwired');
    const bareInRuntime = await runChild('bare-in-runtime');
    const cpu = (r) => `${(r.cpu * 100).toFixed(1)}%`;
    const rows = [
        {
            name: `steady state, ${STEADY_SENSORS.toLocaleString('en-US')} sensors at 1 Hz: readings per second delivered`,
            candidate: `${Math.round(fleet.rate).toLocaleString('en-US')}/s`,
            anchor: `${Math.round(bare.rate).toLocaleString('en-US')}/s`,
            ratio: fleet.rate / bare.rate,
            goal: undefined,
        },
        {
            name: 'steady state: CPU share of one core',
            candidate: cpu(fleet),
            anchor: cpu(bare),
            ratio: fleet.cpu / bare.cpu,
            goal: CPU_GOAL,
        },
        {
            name: "breakdown: the same bare loop inside an idle Node-RED process vs alone (the runtime's share)",
            candidate: cpu(bareInRuntime),
            anchor: cpu(bare),
            ratio: bareInRuntime.cpu / bare.cpu,
            goal: undefined,
        },
        {
            name: "breakdown: the fleet alone (readings unwired) vs that bare loop inside Node-RED (the fleet's share)",
            candidate: cpu(unwired),
            anchor: cpu(bareInRuntime),
            ratio: unwired.cpu / bareInRuntime.cpu,
            goal: undefined,
        },
        {
            name: "breakdown: fleet → hub → subscriber vs the fleet alone (the hub path's share)",
            candidate: cpu(fleet),
            anchor: cpu(unwired),
            ratio: fleet.cpu / unwired.cpu,
            goal: undefined,
        },
        {
            name: 'steady state: event-loop delay p99',
            candidate: `${fleet.eldP99Ms.toFixed(1)} ms`,
            anchor: `${bare.eldP99Ms.toFixed(1)} ms`,
            ratio: fleet.eldP99Ms / bare.eldP99Ms,
            goal: ELD_GOAL,
        },
        {
            name: 'steady state: peak RSS above an idle Node-RED (fleet) vs the budget',
            candidate: fmtMiB(fleet.rssMax - fleet.idle),
            anchor: `${RSS_BUDGET_MIB} MiB`,
            ratio: (fleet.rssMax - fleet.idle) / MIB / RSS_BUDGET_MIB,
            goal: RSS_GOAL,
        },
    ];
    const notes = [
        `Steady state: ${STEADY_S} s measured after ${STEADY_WARMUP_S} s of warm-up, each side in a fresh process. ` +
            'Fleet: a `sensorhub-fleet` of 10,000 generated simulated sensors (100–500 ms reads, 1 s interval, stream ' +
            'output) → `sensorhub-publish` → local hub → `sensorhub-subscribe` on `#` → a counting sink, in the real ' +
            'embedded Node-RED. Bare loop: the same 10,000 simulated reads every second with `Promise.all`, each value ' +
            'emitted on an EventEmitter with one counting listener, no Node-RED.',
        `Peak RSS: fleet process ${fmtMiB(fleet.rssMax)} (idle Node-RED before the deploy: ${fmtMiB(fleet.idle)}); ` +
            `fleet alone ${fmtMiB(unwired.rssMax)} (${fmtMiB(unwired.rssMax - unwired.idle)} above idle); ` +
            `bare loop ${fmtMiB(bare.rssMax)} (${fmtMiB(bare.idle)} before its sensors were made).`,
        `The fleet's last cycle: ${fleet.lastCycle ? JSON.stringify(fleet.lastCycle) : 'none reported'}.`,
    ];
    return { rows, notes };
}

async function main() {
    const c = await cycles();
    const s = await steady();
    const notes = [
        `Cycle rows: median of ${ROUNDS} cycles after one warm-up; fleet and bare alternate, both in one process. ` +
            "Every simulated read sleeps a uniform 100–500 ms (the seed's `random.uniform(0.1, 0.5)`); the fleet node " +
            '(generated sensors, timeout 1 s, no concurrency limit, stream output) is timed from the inject to the ' +
            'arrival of its statistics message, after every reading has reached a counting sink. Python ' +
            `${c.pythonVersion}: the seed's own \`AsyncSensor\` and \`collect_sensor_data\`, ${ROUNDS} cycles after a warm-up.`,
        ...c.memory,
        ...s.notes,
        'Design anchors on this machine kind: 10,000 simulated reads of 100–500 ms all at once, 542 ms wall; ' +
            '10,000 sensors at 1 Hz into an EventEmitter, 30% of one core, 107 MiB RSS.',
    ];
    const table = renderTable(
        'Fleet: cycle time against the seed and the floor, and the steady state',
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
        bare: steadyBare,
        'bare-in-runtime': steadyBareInRuntime,
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
