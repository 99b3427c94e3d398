'use strict';
// A second, separate Node-RED: this file forked as a child process embeds its own runtime (bench/lib/runtime.js)
// and counts what reaches a `bench-sink` there, checking every arrival; the parent deploys its flows and watches
// over IPC. Node-RED is a singleton per process, so two runtimes that talk over a broker need two processes.
// Times are `process.hrtime` (CLOCK_MONOTONIC, one clock for every process on the machine), so the parent can
// take a message's publish→arrival time across the two.
const { fork } = require('node:child_process');

const REPLY_TIMEOUT_MS = 60_000;

/** Parent side: forks the child, resolves once its runtime has started. */
async function startRemoteRuntime() {
    const child = fork(__filename, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const pending = new Map();
    let seq = 0;
    let listener;
    child.on('message', (m) => {
        if (m.reply !== undefined) {
            const p = pending.get(m.reply);
            pending.delete(m.reply);
            if (m.error) p.reject(new Error(`remote runtime: ${m.error}`));
            else p.resolve(m.value);
        } else if (listener) listener(m);
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.once('exit', (code) => {
        for (const p of pending.values()) p.reject(new Error(`remote runtime exited (${code})`));
        pending.clear();
    });
    const call = (cmd, args) =>
        new Promise((resolve, reject) => {
            const id = ++seq;
            const timer = setTimeout(() => reject(new Error(`remote runtime: ${cmd} unanswered`)), REPLY_TIMEOUT_MS);
            pending.set(id, {
                resolve: (v) => (clearTimeout(timer), resolve(v)),
                reject: (e) => (clearTimeout(timer), reject(e)),
            });
            child.send({ id, cmd, ...args });
        });
    const versions = await call('start');
    return {
        versions,
        pid: child.pid,
        deploy: (flows) => call('deploy', { flows }),
        /**
         * Counts arrivals at `sink`: `watch.check` names the content check, `watch.n` how many end the watch,
         * `watch.ackEvery` how often progress is reported; `onEvent` gets `{ack}`, `{probe}` and `{done}` reports.
         */
        watch: (sink, watch, onEvent) => {
            listener = onEvent;
            return call('watch', { sink, watch });
        },
        /** The child's CPU time so far (user + system), µs. */
        cpu: () => call('cpu'),
        unwatch: (sink) => {
            listener = undefined;
            return call('unwatch', { sink });
        },
        async stop() {
            if (child.exitCode !== null) return;
            await call('stop').catch(() => {});
            await exited;
        },
    };
}

// ---- child side ----

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Content checks by name: arrival `i` (1-based) must be the i-th message sent, intact. */
const CHECKS = {
    /** A hub event: the reading's fields at top level, the event type as topic. */
    hub: (msg, i) =>
        msg.topic === 'temperature_update' &&
        msg.payload === 20 + (i & 7) &&
        msg.reading.seq === i &&
        msg.sensor.location === 'kitchen' &&
        typeof msg.event.id === 'string',
    /** Core mqtt in, parsed JSON: the reading's fields in msg.payload. */
    core: (msg, i) =>
        typeof msg.topic === 'string' &&
        msg.payload.payload === 20 + (i & 7) &&
        msg.payload.reading.seq === i &&
        msg.payload.sensor.location === 'kitchen',
};

function childMain() {
    const { startRuntime } = require('./runtime.js');
    let rt;
    const handlers = {
        async start() {
            rt = await startRuntime();
            return rt.versions;
        },
        deploy: ({ flows }) => rt.deploy(flows),
        watch({ sink, watch }) {
            const node = rt.getNode(sink);
            node.reset();
            if (watch.probe) {
                node.onMessage = () => process.send({ probe: true });
                return;
            }
            const check = CHECKS[watch.check];
            const stamps = watch.stamps ? new Float64Array(watch.n) : undefined;
            let got = 0;
            let bad = 0;
            node.onMessage = (msg) => {
                const t = now();
                got++;
                try {
                    if (!check(msg, got)) bad++;
                } catch {
                    bad++;
                }
                if (stamps && got <= watch.n) stamps[got - 1] = t;
                if (got === watch.n) {
                    node.onMessage = undefined;
                    process.send({ done: { got, bad, at: t, stamps: stamps && Array.from(stamps) } });
                } else if (got % watch.ackEvery === 0) process.send({ ack: got });
            };
        },
        cpu() {
            const u = process.cpuUsage();
            return u.user + u.system;
        },
        unwatch({ sink }) {
            rt.getNode(sink).onMessage = undefined;
        },
        async stop() {
            await rt.stop();
            setImmediate(() => process.disconnect());
        },
    };
    // The parent gone (it crashed, or was stopped): this runtime has nobody to serve and must not linger.
    process.on('disconnect', () => process.exit(0));
    process.on('message', (m) => {
        Promise.resolve()
            .then(() => handlers[m.cmd](m))
            .then(
                (value) => process.send({ reply: m.id, value }),
                (err) => process.send({ reply: m.id, error: String((err && err.stack) || err) }),
            );
    });
}

if (require.main === module && process.argv.includes('--child')) childMain();

module.exports = { startRemoteRuntime, now };
