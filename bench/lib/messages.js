'use strict';
// Message shapes the runtime benchmarks send. Fresh objects per message: a benchmark pays for making them, as a
// sensor would, and no node can get away with sharing one.

/** A flat message, as a simple sensor or an inject node would send. */
function flatMsg(i, topic = 'kitchen/temperature') {
    return { topic, payload: 20 + (i & 7) };
}

/** A reading shaped as the message contract says a sensor node emits it. */
function readingMsg(i, topic = 'temperature_update') {
    return {
        topic,
        payload: 20 + (i & 7),
        sensor: { id: 'kitchen-t1', kind: 'temperature', location: 'kitchen', unit: '°C' },
        reading: { status: 'ok', ts: Date.now(), latencyMs: 1.5, seq: i },
    };
}

module.exports = { flatMsg, readingMsg };
