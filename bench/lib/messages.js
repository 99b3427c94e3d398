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

/**
 * A reading with a ~2 KB nested payload (JSON), fresh per message: a device's full state, as a gateway or a
 * Zigbee2MQTT device sends it. `payload.seq` is the message number, for checking arrivals.
 */
function nestedMsg(i, topic = 'kitchen/climate') {
    const samples = [];
    for (let k = 0; k < 40; k++) samples.push({ t: 1_700_000_000_000 + k * 1000, v: 20 + k / 10, q: 'good' });
    return {
        topic,
        payload: {
            seq: i,
            device: { id: 'climate-01', model: 'TH-200', firmware: '2.4.1', battery: 87, linkquality: 112 },
            values: { temperature: 21.4, humidity: 48.2, pressure: 1013.2, co2: 612, voc: 0.31 },
            samples,
            thresholds: { temperature: { low: 18, high: 26 }, humidity: { low: 30, high: 60 } },
            location: { site: 'home', floor: 1, room: 'kitchen', position: { x: 2.5, y: 1.2 } },
        },
        sensor: { id: 'climate-01', kind: 'climate', location: 'kitchen', unit: '' },
        reading: { status: 'ok', ts: Date.now(), latencyMs: 1.5, seq: i },
    };
}

module.exports.nestedMsg = nestedMsg;
