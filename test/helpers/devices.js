'use strict';
/** Feeds one MQTT message (a string, or an object sent as JSON) to a device profile, as the broker would deliver it. */
function feed(profile, state, topic, payload) {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return profile.decode(topic, Buffer.from(text, 'utf8'), state);
}

/** The events of one kind, without their `type`. */
function only(events, type) {
    return events.filter((e) => e.type === type);
}

/** Readings as `sensorId kind unit value` lines, easy to compare. */
function readingsOf(events) {
    return only(events, 'reading').map((r) =>
        r.failure ? `${r.sensorId} ${r.kind} failed ${r.failure.code}` : `${r.sensorId} ${r.kind} ${r.unit} ${r.value}`,
    );
}

/**
 * @typedef {import('../../src/core/devices/source').DeviceReadingMessage} DeviceReadingMessage
 * @typedef {{
 *     readings: DeviceReadingMessage[],
 *     failures: { m: DeviceReadingMessage, why: import('../../src/core/shared/texts').Problem }[],
 *     events: import('../../src/core/devices/source').DeviceEventMessage[],
 *     problems: import('../../src/core/devices/problem-log').ProblemReport[],
 * }} Heard
 */

/**
 * A device source's listener that records everything it is told, by kind, in `heard`.
 * @returns {{ heard: Heard, listener: import('../../src/core/devices/source').DeviceListener }}
 */
function recorder() {
    /** @type {Heard} */
    const heard = { readings: [], failures: [], events: [], problems: [] };
    const listener = {
        reading: (m) => heard.readings.push(m),
        failure: (m, why) => heard.failures.push({ m, why }),
        event: (m) => heard.events.push(m),
        problem: (r) => heard.problems.push(r),
    };
    return { heard, listener };
}

module.exports = { feed, only, readingsOf, recorder };
