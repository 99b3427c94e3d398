'use strict';
// Sustained load through a path of the embedded runtime: a bench's `entry` node fed so that `window` messages are
// always in flight, each arrival at its counting `bench-sink` letting one more in.

/**
 * Sends `n` messages into `path` ({entry, sink}: node ids), keeping `window` of them in flight. Resolves to the
 * wall time in ns from the first send to the last arrival (`onArrival`, if given, sees each message as it arrives); rejects when not all arrive within `timeoutMs`.
 */
async function pump(rt, path, n, makeMsg, { window, timeoutMs, onArrival }) {
    const entry = rt.getNode(path.entry);
    const sink = rt.getNode(path.sink);
    sink.reset();
    let sent = 0;
    const sendOne = () => {
        sent++;
        entry.receive(makeMsg(sent));
    };
    sink.onMessage = (msg) => {
        if (onArrival !== undefined) onArrival(msg);
        if (sent < n) sendOne();
    };
    let timer;
    const timeout = new Promise((_resolve, reject) => {
        timer = setTimeout(
            () => reject(new Error(`${path.entry}: ${sink.count} of ${n} messages arrived within ${timeoutMs} ms`)),
            timeoutMs,
        );
    });
    const start = process.hrtime.bigint();
    const first = Math.min(window, n);
    while (sent < first) sendOne();
    try {
        await Promise.race([sink.waitFor(n), timeout]);
    } finally {
        clearTimeout(timer);
        sink.onMessage = undefined;
    }
    const ns = Number(process.hrtime.bigint() - start);
    if (sink.count !== n) throw new Error(`${path.sink}: ${sink.count} arrivals for ${n} messages`);
    return ns;
}

module.exports = { pump };
