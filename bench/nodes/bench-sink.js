'use strict';
// A terminal node for benchmarks: it only counts, so the figure measured is the
// cost of the flow in front of it, not of a debug node formatting output.
module.exports = function (RED) {
    function BenchSinkNode(config) {
        RED.nodes.createNode(this, config);
        const node = this;
        let waiters = [];
        node.count = 0;
        node.lastMsg = undefined;
        /** Called with each arrival; a benchmark sets it to keep a window of messages in flight. */
        node.onMessage = undefined;

        node.reset = () => {
            node.count = 0;
            node.lastMsg = undefined;
        };

        /** Resolves once `n` messages have arrived since the last reset. */
        node.waitFor = (n) => {
            if (node.count >= n) return Promise.resolve(node.count);
            return new Promise((resolve, reject) => waiters.push({ n, resolve, reject }));
        };

        node.on('input', (msg, _send, done) => {
            node.count++;
            node.lastMsg = msg;
            if (node.onMessage !== undefined) node.onMessage(msg);
            if (waiters.length > 0) {
                const ready = waiters.filter((w) => w.n <= node.count);
                if (ready.length > 0) {
                    waiters = waiters.filter((w) => w.n > node.count);
                    for (const w of ready) w.resolve(node.count);
                }
            }
            done();
        });

        node.on('close', (_removed, done) => {
            const gone = waiters;
            waiters = [];
            node.onMessage = undefined;
            for (const w of gone) w.reject(new Error('bench-sink closed before enough messages arrived'));
            done();
        });
    }
    RED.nodes.registerType('bench-sink', BenchSinkNode);
};
