'use strict';
// Many devices streaming readings into the flow over loopback TCP: a `sensorhub-gateway` node (hello with a token,
// JSON lines checked and turned into contract-shaped readings) against core `tcp in` (stream, lines) + `json`, the
// anchor, in the same run and the same real Node-RED runtime. The devices live in a child process (this file,
// forked with --devices), so the load generator never shares the runtime's thread; each sends its readings at a
// fixed rate, spread evenly over the period, and stamps each with the time it wrote it, so the figure is the
// latency from device write to the message reaching the end of the flow.
//
// Settable by environment (defaults: the 1,000 devices × 10 readings/s × 60 s per side):
//   SENSORHUB_BENCH_GATEWAY_DEVICES, SENSORHUB_BENCH_GATEWAY_RATE (readings/s per device),
//   SENSORHUB_BENCH_GATEWAY_SECONDS (measured load per side; a warm-up of a tenth of it, 1 to 5 s, runs first).
const { fork } = require('node:child_process');
const net = require('node:net');
const { performance } = require('node:perf_hooks');
const { startRuntime } = require('./lib/runtime.js');
const { gc, formatRate, renderTable, publishTable, runMain } = require('./lib/report.js');

const DEVICES = positive('SENSORHUB_BENCH_GATEWAY_DEVICES', 1000);
const RATE = positive('SENSORHUB_BENCH_GATEWAY_RATE', 10);
const SECONDS = positive('SENSORHUB_BENCH_GATEWAY_SECONDS', 60);
const WARMUP_SECONDS = Math.min(5, Math.max(1, SECONDS / 10));
// Readings that stop arriving for this long after the devices stopped sending are lost: the round ends there.
const STALL_MS = 3000;
const CONNECT_BATCH = 100;
const RSS_SAMPLE_MS = 250;
const TOKEN = 'bench-token-0123456789abcdef';
// Issue 7: every reading delivered (judged in main), at least the anchor's throughput, at lower CPU.
const SAME_THROUGHPUT = { text: '≥ 1×', met: (r) => r >= 1 };
const LOWER_CPU = { text: '< 1×', met: (r) => r < 1 };

const TAB = 'gw-bench-tab';
const GATEWAY = 'gw-bench-gateway';
const TCP_IN = 'gw-bench-tcp-in';
const JSON_NODE = 'gw-bench-json';
const SINK = 'gw-bench-sink';

function positive(name, fallback) {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${raw}`);
    return n;
}

/** Wall-clock time in ms with sub-ms resolution; the same clock in both processes. */
const nowMs = () => performance.timeOrigin + performance.now();
const deviceId = (i) => `d${i}`;

// ---------------------------------------------------------------------------------------------------------------
// The devices (child process)

/**
 * Opens `n` connections in batches (the listen backlog is 511), says hello on each when `hello`, and resolves once
 * all are connected (and welcomed).
 */
async function openDevices(port, n, hello, errors) {
    const sockets = new Array(n);
    for (let start = 0; start < n; start += CONNECT_BATCH) {
        const batch = [];
        for (let i = start; i < Math.min(n, start + CONNECT_BATCH); i++) {
            batch.push(
                new Promise((resolve, reject) => {
                    const s = net.connect({ port, host: '127.0.0.1' });
                    s.setNoDelay(true);
                    s.setEncoding('utf8');
                    let text = '';
                    let welcomed = !hello;
                    s.on('data', (d) => {
                        text += d;
                        let nl;
                        while ((nl = text.indexOf('\n')) !== -1) {
                            const line = text.slice(0, nl);
                            text = text.slice(nl + 1);
                            if (line.includes('"error"')) errors.push(line);
                            if (!welcomed && line.includes('"for":"hello"')) {
                                welcomed = true;
                                resolve();
                            }
                        }
                    });
                    s.once('error', reject);
                    s.once('connect', () => {
                        sockets[i] = s;
                        if (hello) s.write(`${JSON.stringify({ type: 'hello', device: deviceId(i), token: TOKEN })}\n`);
                        else resolve();
                    });
                }),
            );
        }
        await Promise.all(batch);
    }
    return sockets;
}

/**
 * Sends `rate` readings per second from each device for `seconds`: reading k (of all) is due at k / (n × rate) s,
 * from device k mod n, so the load is spread evenly and every device keeps its own rate. Resolves to what was sent.
 */
function sendLoad(sockets, rate, seconds) {
    const n = sockets.length;
    const total = Math.round(n * rate * seconds);
    const perMs = (n * rate) / 1000;
    return new Promise((resolve) => {
        const cpu0 = process.cpuUsage();
        const start = performance.now();
        let sent = 0;
        let behindMax = 0;
        const tick = () => {
            const elapsed = performance.now() - start;
            const due = Math.min(total, Math.floor(elapsed * perMs) + 1);
            behindMax = Math.max(behindMax, due - sent);
            while (sent < due) {
                const i = sent % n;
                const value = 20 + (sent % 100) / 10;
                sockets[i].write(
                    `{"type":"reading","sensor":"t1","kind":"temperature","value":${value},"ts":${nowMs()}}\n`,
                );
                sent++;
            }
            if (sent < total) setTimeout(tick, 1);
            else {
                const cpu = process.cpuUsage(cpu0);
                resolve({ sent, wallMs: performance.now() - start, cpuUs: cpu.user + cpu.system, behindMax });
            }
        };
        tick();
    });
}

function deviceProcess() {
    let sockets = [];
    const errors = [];
    process.on('message', (m) => {
        const reply = (x) => process.send(x);
        if (m.cmd === 'connect') {
            errors.length = 0;
            openDevices(m.port, m.devices, m.hello, errors).then(
                (s) => {
                    sockets = s;
                    reply({ event: 'connected' });
                },
                (err) => reply({ event: 'failed', error: err.message }),
            );
        } else if (m.cmd === 'run') {
            sendLoad(sockets, m.rate, m.seconds).then((r) =>
                reply({ event: 'sent', ...r, errors: errors.slice(0, 5) }),
            );
        } else if (m.cmd === 'disconnect') {
            for (const s of sockets) s.destroy();
            sockets = [];
            reply({ event: 'disconnected' });
        } else if (m.cmd === 'exit') {
            process.exit(0);
        }
    });
    // The runner may kill the benchmark: the devices must not outlive it.
    process.on('disconnect', () => process.exit(0));
    process.send({ event: 'ready' });
}

// ---------------------------------------------------------------------------------------------------------------
// The runtime side (parent process)

/** Talks to the device process: `ask(cmd)` resolves with its next reply. */
function deviceChild() {
    const child = fork(__filename, ['--devices'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const waiting = [];
    child.on('message', (m) => {
        const w = waiting.shift();
        if (w) w(m);
    });
    const next = () => new Promise((resolve) => waiting.push(resolve));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    return {
        ready: next(),
        async ask(cmd) {
            const reply = next();
            child.send(cmd);
            const m = await reply;
            if (m.event === 'failed') throw new Error(`device process: ${m.error}`);
            return m;
        },
        async stop() {
            if (child.exitCode === null) child.send({ cmd: 'exit' });
            await exited;
        },
    };
}

async function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

function sinkNode() {
    return { id: SINK, type: 'bench-sink', z: TAB, name: '', wires: [] };
}

/** The sensor hub: gateway → counting sink; a device counts once its reading reaches the sink in contract shape. */
function gatewaySide(port) {
    const tokens = {};
    const devices = [];
    for (let i = 0; i < DEVICES; i++) {
        tokens[deviceId(i)] = TOKEN;
        devices.push({ id: deviceId(i), location: '' });
    }
    return {
        name: 'sensor hub',
        hello: true,
        flows: [
            { id: TAB, type: 'tab', label: 'gateway benchmark' },
            {
                id: GATEWAY,
                type: 'sensorhub-gateway',
                z: TAB,
                name: '',
                host: '127.0.0.1',
                port,
                usetls: false,
                tls: '',
                devices,
                maxConnections: DEVICES + 10,
                maxLineBytes: 4096,
                rate: 2 * RATE,
                burst: Math.max(40, 4 * RATE),
                helloTimeout: 30,
                idleTimeout: 60,
                credentials: { tokens: JSON.stringify(tokens) },
                wires: [[SINK], []],
            },
            sinkNode(),
        ],
        /** The device's write time, or NaN for a message that is not a good reading. */
        stamp: (msg) =>
            msg.topic === 'temperature_update' &&
            msg.reading.status === 'ok' &&
            msg.sensor.id === `${msg.deviceId}/t1` &&
            typeof msg.payload === 'number'
                ? msg.reading.ts
                : NaN,
        async ready(rt) {
            const node = rt.getNode(GATEWAY);
            await waitFor(() => node.port() === port, 'the gateway to listen');
        },
        check(rt) {
            const stats = rt.getNode(GATEWAY).stats();
            if (stats.refusedTotal > 0) throw new Error(`the gateway refused ${JSON.stringify(stats.refused)}`);
            return stats;
        },
    };
}

/** The anchor: core tcp in (server, stream of lines) → json → the same counting sink. */
function anchorSide(port) {
    return {
        name: 'core tcp in + json',
        hello: false,
        flows: [
            { id: TAB, type: 'tab', label: 'gateway benchmark' },
            {
                id: TCP_IN,
                type: 'tcp in',
                z: TAB,
                name: '',
                server: 'server',
                host: '',
                port: String(port),
                datamode: 'stream',
                datatype: 'utf8',
                newline: '\\n',
                topic: '',
                trim: false,
                base64: false,
                tls: '',
                wires: [[JSON_NODE]],
            },
            {
                id: JSON_NODE,
                type: 'json',
                z: TAB,
                name: '',
                property: 'payload',
                action: 'obj',
                pretty: false,
                wires: [[SINK]],
            },
            sinkNode(),
        ],
        stamp: (msg) =>
            msg.payload !== null && typeof msg.payload === 'object' && msg.payload.type === 'reading'
                ? msg.payload.ts
                : NaN,
        async ready() {
            // tcp in listens asynchronously and offers no way to ask: wait until a connection is accepted.
            await waitFor(() => canConnect(port), 'tcp in to listen');
        },
        check: () => undefined,
    };
}

async function canConnect(port) {
    return new Promise((resolve) => {
        const s = net.connect({ port, host: '127.0.0.1' });
        s.once('connect', () => {
            s.destroy();
            resolve(true);
        });
        s.once('error', () => resolve(false));
    });
}

async function waitFor(check, what, ms = 30_000) {
    const deadline = Date.now() + ms;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
    }
}

function percentile(sorted, p) {
    if (sorted.length === 0) return NaN;
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Runs the load once through `side`, already deployed and connected: resolves to the counts, latencies (ms), the
 * runtime process's CPU and its RSS.
 */
async function measure(rt, devices, side, seconds) {
    const sink = rt.getNode(SINK);
    const expected = Math.round(DEVICES * RATE * seconds);
    const latencies = new Float64Array(expected + 1024);
    let delivered = 0;
    let bad = 0;
    let lastArrival = 0;
    sink.reset();
    sink.onMessage = (msg) => {
        const ts = side.stamp(msg);
        lastArrival = performance.now();
        if (Number.isNaN(ts)) {
            bad++;
            return;
        }
        if (delivered < latencies.length) latencies[delivered] = lastArrival + performance.timeOrigin - ts;
        delivered++;
    };
    gc();
    const rssBefore = process.memoryUsage.rss();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
        rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    }, RSS_SAMPLE_MS);
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const sent = await devices.ask({ cmd: 'run', rate: RATE, seconds });
    // Drained: everything sent has arrived, or nothing has for STALL_MS (then the rest is lost and counted so).
    await waitFor(
        () => delivered + bad >= sent.sent || performance.now() - Math.max(lastArrival, start) > STALL_MS,
        'the flow to drain',
        STALL_MS + 60_000,
    );
    const end = delivered + bad >= sent.sent ? lastArrival : performance.now();
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    sink.onMessage = undefined;
    const sorted = latencies.subarray(0, Math.min(delivered, latencies.length)).sort();
    const wallMs = end - start;
    return {
        sent: sent.sent,
        delivered,
        bad,
        wallMs,
        loadMs: sent.wallMs,
        childCpuShare: sent.cpuUs / 1000 / sent.wallMs,
        behindMax: sent.behindMax,
        deviceErrors: sent.errors,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted.length > 0 ? sorted[sorted.length - 1] : NaN,
        cpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
        cpuUsPerReading: (cpu.user + cpu.system) / Math.max(1, delivered),
        rssBefore,
        rssPeak,
    };
}

/** Deploys a side, connects the devices, warms up, measures, and takes it all down again. */
async function runSide(rt, devices, side) {
    await rt.deploy(side.flows);
    try {
        await side.ready(rt);
        const port = side.flows.find((n) => n.port !== undefined).port;
        await devices.ask({ cmd: 'connect', port: Number(port), devices: DEVICES, hello: side.hello });
        await measure(rt, devices, side, WARMUP_SECONDS);
        const result = await measure(rt, devices, side, SECONDS);
        result.stats = side.check(rt);
        return result;
    } finally {
        await devices.ask({ cmd: 'disconnect' });
        await rt.deploy([]);
    }
}

const mib = (bytes) => `${(bytes / 1048576).toFixed(0)} MiB`;
const ms = (v) => `${v < 10 ? v.toPrecision(2) : v.toFixed(0)} ms`;

async function main() {
    const rt = await startRuntime();
    const devices = deviceChild();
    try {
        await devices.ready;
        const candidate = await runSide(rt, devices, gatewaySide(await freePort()));
        const anchor = await runSide(rt, devices, anchorSide(await freePort()));
        const c = candidate;
        const a = anchor;
        const offered = DEVICES * RATE;
        const allDelivered = { text: 'all', met: () => c.delivered === c.sent && c.bad === 0 };
        const rows = [
            {
                name: 'readings delivered (of sent)',
                candidate: `${c.delivered} of ${c.sent}`,
                anchor: `${a.delivered} of ${a.sent}`,
                ratio: c.delivered / a.delivered,
                goal: allDelivered,
            },
            {
                name: `throughput at ${formatRate(offered, 'readings/s')} offered (delivered / load time)`,
                candidate: formatRate(c.delivered / SECONDS, 'readings/s'),
                anchor: formatRate(a.delivered / SECONDS, 'readings/s'),
                ratio: c.delivered / a.delivered,
                goal: SAME_THROUGHPUT,
            },
            {
                name: 'CPU of the Node-RED process (share of one core)',
                candidate: `${(100 * c.cpuShare).toFixed(1)}%`,
                anchor: `${(100 * a.cpuShare).toFixed(1)}%`,
                ratio: c.cpuShare / a.cpuShare,
                goal: LOWER_CPU,
            },
            {
                name: 'CPU per reading delivered',
                candidate: `${c.cpuUsPerReading.toPrecision(3)} µs`,
                anchor: `${a.cpuUsPerReading.toPrecision(3)} µs`,
                ratio: c.cpuUsPerReading / a.cpuUsPerReading,
                goal: undefined,
            },
            {
                name: 'latency p50, device write → end of flow',
                candidate: ms(c.p50),
                anchor: ms(a.p50),
                ratio: c.p50 / a.p50,
                goal: undefined,
            },
            {
                name: 'latency p99, device write → end of flow',
                candidate: ms(c.p99),
                anchor: ms(a.p99),
                ratio: c.p99 / a.p99,
                goal: undefined,
            },
            {
                name: 'RSS of the Node-RED process, peak under load',
                candidate: mib(c.rssPeak),
                anchor: mib(a.rssPeak),
                ratio: c.rssPeak / a.rssPeak,
                goal: undefined,
            },
        ];
        const notes = [
            `Real Node-RED ${rt.versions.nodeRed} on Node ${rt.versions.node}, embedded in-process, default asynchronous delivery between nodes. ${DEVICES} devices, each its own TCP connection on loopback, ${RATE} readings/s each (${formatRate(offered, 'readings/s')} in all) for ${SECONDS} s per side, after a ${WARMUP_SECONDS} s warm-up on the same connections. The devices run in a child process (the other core); this process runs only Node-RED.`,
            `Sensor hub: one \`sensorhub-gateway\` (${DEVICES} devices with tokens, rate limit ${2 * RATE}/s per device, line limit 4096 bytes) → counting \`bench-sink\`; every device says hello with its token first. A reading counts when it reaches the sink as a contract-shaped reading (topic, status ok, \`sensor.id\` = \`<device>/t1\`). The gateway refused nothing in either run (checked).`,
            `Anchor: core \`tcp in\` (server, stream of \`\\n\`-separated lines, utf8) → core \`json\` → the same sink; no hello (it has no authentication). A reading counts when it reaches the sink as a parsed object. Both receive the same lines: \`{"type":"reading","sensor":"t1","kind":"temperature","value":…,"ts":…}\`.`,
            `Latency: \`ts\` is the device's \`performance.timeOrigin + performance.now()\` when it wrote the line; the sink takes the same clock on arrival (one system clock for both processes). CPU: \`process.cpuUsage\` of this process (all its threads) from the start of the load to the last arrival, over that wall time. RSS: peak of samples every ${RSS_SAMPLE_MS} ms (before the load: sensor hub ${mib(c.rssBefore)}, anchor ${mib(a.rssBefore)}).`,
            `Throughput is readings delivered per second of offered load: at a paced load, equal means both kept up; a side that lost or fell behind readings shows it here and in the first row. The load generator wrote its last line ${(c.loadMs / 1000).toFixed(1)} s / ${(a.loadMs / 1000).toFixed(1)} s after its first (candidate / anchor), was at most ${Math.max(c.behindMax, a.behindMax)} readings behind schedule, and took ${(100 * c.childCpuShare).toFixed(0)}% / ${(100 * a.childCpuShare).toFixed(0)}% of a core. Slowest arrival: ${ms(c.max)} / ${ms(a.max)}.`,
            `One run per side (sensor hub first, then anchor), each ${SECONDS} s long, so each figure is an average over the run rather than a median of rounds. Settable: SENSORHUB_BENCH_GATEWAY_DEVICES, _RATE, _SECONDS.`,
        ];
        if (c.bad > 0 || a.bad > 0) notes.push(`Malformed arrivals: sensor hub ${c.bad}, anchor ${a.bad}.`);
        if (c.deviceErrors.length > 0) notes.push(`Errors the gateway sent to devices: ${c.deviceErrors.join('; ')}`);
        const markdown = renderTable(
            `Device gateway vs core tcp in + json: ${DEVICES} devices × ${RATE} readings/s × ${SECONDS} s`,
            { candidate: 'sensor hub', anchor: 'anchor (core tcp in + json)' },
            rows,
            notes,
        );
        await publishTable(markdown);
    } finally {
        await devices.stop();
        await rt.stop();
    }
}

if (process.argv[2] === '--devices') deviceProcess();
else runMain(main);
