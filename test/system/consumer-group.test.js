'use strict';
// A consumer group of three real Node-RED runtimes, each its own process (test/fixtures/group-worker.js), on a
// real mosquitto: 30,000 events are processed exactly once in total, and with one instance SIGKILLed in the
// middle of the stream and started again (same client id, so it resumes its session) nothing is lost at QoS 1.
const assert = require('node:assert/strict');
const { fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { until } = require('../helpers/wait');
const { EventHub } = require('../../src/core/hub/hub');
const { MqttBridge } = require('../../src/core/hub/mqtt-bridge');
const { startBroker } = require('../fixtures/broker');

const WORKER = path.join(__dirname, '..', 'fixtures', 'group-worker.js');
const N = 30_000;

/** Starts one worker; resolves once its hub is connected (its share subscribed a moment later). */
function startWorker(env) {
    const child = fork(WORKER, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`worker ${env.CLIENT_ID} exited with ${code}`)));
        child.on('message', (m) => /** @type {any} */ (m).ready && resolve(child));
    });
    return ready;
}

/** Asks a worker for its bridge counters and how many events wait in it (acknowledged, not yet processed). */
function statsOf(child) {
    return new Promise((resolve) => {
        /** @param {any} m */
        const on = (m) => {
            if (!m.stats) return;
            child.off('message', on);
            resolve(m);
        };
        child.on('message', on);
        child.send('stats');
    });
}

function stop(child) {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
        child.once('exit', () => resolve(undefined));
        child.send('stop');
    });
}

/** Payloads appended by the workers, from all their output files. */
function processed(files) {
    const out = [];
    for (const f of files) {
        if (!fs.existsSync(f)) continue;
        for (const line of fs.readFileSync(f, 'utf8').split('\n')) if (line !== '') out.push(Number(line));
    }
    return out;
}

/** Counts of events processed once, more than once, and never. */
function tally(ids) {
    const seen = new Uint8Array(N);
    let duplicates = 0;
    for (const id of ids) {
        if (seen[id] > 0) duplicates++;
        seen[id]++;
    }
    return { unique: seen.filter((c) => c > 0).length, duplicates, missing: seen.filter((c) => c === 0).length };
}

async function publisher(url) {
    const hub = new EventHub();
    const bridge = new MqttBridge(hub, {
        url,
        clientId: `group-publisher-${process.pid}`,
        prefix: 'grouptest',
        qos: 1,
        protocolVersion: 5,
        bufferLimit: N,
    });
    bridge.start();
    await until(() => bridge.state === 'connected', 'publisher connected');
    return { hub, bridge };
}

/**
 * Publishes N events in bursts of 500, so the stream lasts long enough to kill a worker in the middle of it.
 * `gate()`, if given, is awaited between bursts.
 */
async function stream(hub, pauseMs, gate = async () => {}) {
    for (let i = 0; i < N; i++) {
        hub.publish('job', { payload: i });
        if (i % 500 === 499) {
            await new Promise((r) => setTimeout(r, pauseMs));
            await gate();
        }
    }
}

describe('a consumer group of three Node-RED instances on a real broker', function () {
    this.timeout(120_000);
    let broker;
    let dir;
    const children = [];
    let pub;

    before(async function () {
        // mosquitto queues at most 1000 QoS 1 messages per client by default and drops the rest: a member briefly
        // behind a 10,000 events/s stream needs more (docs/scale-out.md says so).
        broker = await startBroker({ persistence: true, conf: ['max_queued_messages 100000'] });
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-group-'));
    });
    afterEach(async function () {
        await Promise.all(children.splice(0).map(stop));
        if (pub) await pub.bridge.close();
        pub = undefined;
    });
    after(async function () {
        if (broker) await broker.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    async function workers(run) {
        const files = [0, 1, 2].map((i) => path.join(dir, `${run}-${i}.txt`));
        const started = await Promise.all(
            files.map((f, i) => startWorker({ BROKER_URL: broker.url, CLIENT_ID: `${run}-worker-${i}`, OUT_FILE: f })),
        );
        children.push(...started);
        // Each worker subscribes its share just after connecting: wait until the broker hands events to all three.
        await new Promise((r) => setTimeout(r, 300));
        return { files, started };
    }

    it('processes 30,000 events exactly once over the three, each doing part', async function () {
        const { files, started } = await workers('steady');
        pub = await publisher(broker.url);
        await stream(pub.hub, 50);
        await until(() => processed(files).length >= N, `all ${N} processed`, 60_000);
        await new Promise((r) => setTimeout(r, 500));
        const ids = processed(files);
        assert.deepEqual(tally(ids), { unique: N, duplicates: 0, missing: 0 });
        const shares = files.map((f) => processed([f]).length);
        assert.ok(
            shares.every((n) => n > N / 10),
            `each instance took a share: ${shares.join(' / ')}`,
        );
        const stats = await Promise.all(started.map(statsOf));
        assert.equal(
            stats.reduce((n, s) => n + s.stats.groupOrphans, 0),
            0,
        );
    });

    it('loses nothing at QoS 1 when one instance is SIGKILLed mid-stream and started again', async function () {
        const { files, started } = await workers('kill');
        pub = await publisher(broker.url);
        const victim = started[1];
        // The kill lands between two bursts, once the victim has finished what it took: what a member loses that
        // it had taken and not finished is measured separately (docs/scale-out.md); this checks what the broker
        // keeps for it. The stream goes on after the kill.
        let hold = false;
        let release = () => {};
        const streaming = stream(pub.hub, 50, () =>
            hold ? new Promise((r) => (release = () => r(undefined))) : Promise.resolve(),
        );
        await until(() => processed(files).length >= N / 3, 'a third processed', 60_000);
        hold = true;
        let before = await statsOf(victim);
        // Idle: nothing waiting, and nothing more arriving (the publisher's last burst may still be on its way).
        const idle = async () => {
            const first = await statsOf(victim);
            await new Promise((r) => setTimeout(r, 200));
            before = await statsOf(victim);
            return before.load === 0 && before.stats.groupReceived === first.stats.groupReceived;
        };
        await until(idle, 'the victim idle between bursts', 30_000);
        victim.kill('SIGKILL');
        await new Promise((r) => victim.once('exit', r));
        const atKill = processed([files[1]]).length;
        hold = false;
        release();
        await streaming;
        // Its session, and the events the broker kept for it, wait for the same client id.
        const again = path.join(dir, 'kill-1-again.txt');
        children.push(await startWorker({ BROKER_URL: broker.url, CLIENT_ID: 'kill-worker-1', OUT_FILE: again }));
        const all = [...files, again];
        await until(() => tally(processed(all)).unique >= N, `all ${N} processed`, 60_000).catch(() => {});
        await new Promise((r) => setTimeout(r, 500));
        const t = tally(processed(all));
        console.log(
            `      killed with ${atKill} processed and ${before.load} acknowledged but not processed;` +
                ` after restart: ${t.unique} unique, ${t.duplicates} processed twice, ${t.missing} lost`,
        );
        assert.equal(t.missing, 0, 'nothing lost');
    });
});
