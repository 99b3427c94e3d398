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

module.exports = { feed, only, readingsOf };
