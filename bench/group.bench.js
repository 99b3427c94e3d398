'use strict';
// Consumer group throughput: a stream of events that each cost WORK_US of CPU downstream (a function node spinning),
// processed by one Node-RED instance versus a group of three (each its own process, test/fixtures/group-worker.js),
// over a real mosquitto at QoS 1. Rounds alternate one and three, each with fresh processes and client ids.
// On a machine with cores to spare the group should approach 3×; on 2 cores it can show at most 2×, less what the
// broker and the publisher take.
const { fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { packageRoot, projectRoot } = require('./lib/runtime.js');
const { EventHub } = require(path.join(packageRoot, 'nodes', 'core', 'hub', 'hub.js'));
const { MqttBridge } = require(path.join(packageRoot, 'nodes', 'core', 'hub', 'mqtt-bridge.js'));
const { startBroker } = require(path.join(projectRoot, 'test', 'fixtures', 'broker.js'));
const { median, formatRate, renderTable, publishTable, runMain, goalAtLeast } = require('./lib/report.js');

const WORKER = path.join(projectRoot, 'test', 'fixtures', 'group-worker.js');
const WORK_US = 1000;
const EVENTS = 3000;
const ROUNDS = 3;

function startWorker(env) {
    const child = fork(WORKER, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
        child.on('message', (m) => m && m.ready && resolve(child));
    });
}

function stop(child) {
    return new Promise((resolve) => {
        child.once('exit', () => resolve(undefined));
        child.send('stop');
    });
}

function lines(files) {
    let n = 0;
    for (const f of files) if (fs.existsSync(f)) n += fs.readFileSync(f, 'utf8').split('\n').length - 1;
    return n;
}

/** Events per second processed by `count` workers, from the first publish until the last event is processed. */
async function round(brokerUrl, dir, count, tag) {
    const files = Array.from({ length: count }, (_, i) => path.join(dir, `${tag}-${i}.txt`));
    const children = await Promise.all(
        files.map((f, i) =>
            startWorker({ BROKER_URL: brokerUrl, CLIENT_ID: `${tag}-${i}`, OUT_FILE: f, WORK_US: String(WORK_US) }),
        ),
    );
    const hub = new EventHub();
    const bridge = new MqttBridge(hub, {
        url: brokerUrl,
        clientId: `${tag}-pub`,
        prefix: 'grouptest',
        qos: 1,
        protocolVersion: 5,
        bufferLimit: EVENTS,
    });
    bridge.start();
    while (bridge.state !== 'connected') await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < EVENTS; i++) hub.publish('job', { payload: i });
    const deadline = Date.now() + 180_000;
    while (lines(files) < EVENTS) {
        if (Date.now() > deadline) throw new Error(`only ${lines(files)} of ${EVENTS} events processed in 180 s`);
        await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const shares = files.map((f) => lines([f]));
    await bridge.close();
    await Promise.all(children.map(stop));
    return { rate: EVENTS / seconds, shares };
}

async function main() {
    const broker = await startBroker({ conf: ['max_queued_messages 100000'] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-group-bench-'));
    const one = [];
    const three = [];
    const shares = [];
    try {
        for (let r = 0; r < ROUNDS; r++) {
            one.push((await round(broker.url, dir, 1, `one-${r}`)).rate);
            const g = await round(broker.url, dir, 3, `three-${r}`);
            three.push(g.rate);
            shares.push(g.shares.join('/'));
        }
    } finally {
        await broker.close();
        fs.rmSync(dir, { recursive: true, force: true });
    }
    const a = median(one);
    const b = median(three);
    const load = os.loadavg()[0].toFixed(1);
    await publishTable(
        renderTable(
            'Consumer group: 3 Node-RED instances vs 1, CPU-bound downstream',
            { candidate: 'group of 3', anchor: '1 subscriber' },
            [
                {
                    name: `${EVENTS} events, ${WORK_US} µs CPU each, QoS 1`,
                    candidate: formatRate(b, 'events/s'),
                    anchor: formatRate(a, 'events/s'),
                    ratio: b / a,
                    goal: goalAtLeast(os.cpus().length >= 4 ? 2.5 : 1.3),
                },
            ],
            [
                `median of ${ROUNDS} rounds each, alternating; per round: ${one.map((x) => x.toFixed(0)).join(', ')} (1) and ${three.map((x) => x.toFixed(0)).join(', ')} (3) events/s`,
                `events per member in the rounds of three: ${shares.join(', ')}`,
                `${os.cpus().length} cores, load average ${load} at the end: three workers share ${os.cpus().length} cores with the broker and the publisher, so ${os.cpus().length >= 4 ? 'close to 3×' : 'at most 2×'} is possible here`,
            ],
        ),
    );
}

runMain(main);
