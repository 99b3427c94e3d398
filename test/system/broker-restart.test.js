'use strict';
// What a restart of the broker keeps of a hub's QoS 1 session, with and without mosquitto's persistence (the README's
// "QoS 1 and a broker restart"): the events queued for an instance that is disconnected, and retained messages.
const assert = require('node:assert/strict');
const mqtt = require('mqtt');
const { needTool } = require('../helpers/tools');
const { until } = require('../helpers/wait');
const { EventHub } = require('../../src/core/hub/hub');
const { MqttBridge } = require('../../src/core/hub/mqtt-bridge');
const { startBroker } = require('../fixtures/broker');

/** A hub bridged at QoS 1 with a persistent session (the default), collecting every event it gets. */
function subscriberHub(url, clientId) {
    const hub = new EventHub();
    const got = [];
    hub.subscribe((msg) => got.push(msg.topic), { patterns: ['#'] });
    const bridge = new MqttBridge(hub, {
        url,
        clientId,
        prefix: 'restart',
        qos: 1,
        protocolVersion: 5,
        bufferLimit: 100,
        minBackoffMs: 50,
        maxBackoffMs: 400,
    });
    bridge.on('error', () => {});
    bridge.start();
    return { bridge, got };
}

/** Another instance's event as the bridge writes it, published at QoS 1: resolves once the broker has it (PUBACK). */
function publishEvent(client, type, seq, retain = false) {
    const body = JSON.stringify({ o: 'other-instance', s: seq, m: { payload: seq, event: { type } } });
    return client.publishAsync(`restart/${type}`, body, { qos: 1, retain });
}

/** Publishes a marker and waits for it: whatever the broker had for `got` before it has come by then. */
async function drained(client, got, seq) {
    await publishEvent(client, 'marker', seq);
    await until(() => got.includes('marker'), 'the marker');
    return got.slice(0, got.indexOf('marker'));
}

describe('a broker restart and the hub at QoS 1 (mosquitto)', function () {
    this.timeout(60000);
    before(function () {
        needTool(this, 'mosquitto');
    });

    for (const persistence of [false, true]) {
        it(`${persistence ? 'with' : 'without'} persistence: the queued events and retained messages are ${persistence ? 'kept' : 'lost'}`, async function () {
            const broker = await startBroker({ persistence });
            const clientId = `restart-${persistence}-${process.pid}`;
            const open = [];
            try {
                // The subscribing instance connects once, so the broker has its session and subscription, then goes.
                const first = subscriberHub(broker.url, clientId);
                open.push(first.bridge);
                await until(() => first.bridge.state === 'connected', 'the subscriber connected');
                await first.bridge.close();
                // Another instance publishes while it is away: the broker queues the events for its session.
                const publisher = await mqtt.connectAsync(broker.url, { clientId: `pub-${clientId}`, clean: true });
                for (let i = 1; i <= 3; i++) await publishEvent(publisher, 'reading', i);
                await publishEvent(publisher, 'status', 4, true);
                await publisher.endAsync();

                await broker.restart();

                const back = subscriberHub(broker.url, clientId);
                open.push(back.bridge);
                await until(() => back.bridge.state === 'connected', 'the subscriber back');
                const other = await mqtt.connectAsync(broker.url, { clientId: `pub2-${clientId}`, clean: true });
                open.push({ close: () => other.endAsync() });
                // The retained message comes to a new subscription (the resumed one asked not to have it again).
                const fresh = await mqtt.connectAsync(broker.url, { clientId: `fresh-${clientId}`, clean: true });
                open.push({ close: () => fresh.endAsync() });
                const retained = [];
                fresh.on('message', (topic, _body, packet) => {
                    // The instances' own status topics are retained too, but under `$sensorhub/`: `restart/#` never sees them.
                    if (packet.retain) retained.push(topic);
                });
                await fresh.subscribeAsync('restart/#', { qos: 1 });

                const queued = await drained(other, back.got, 5);
                if (persistence) {
                    assert.deepEqual(
                        queued,
                        ['reading', 'reading', 'reading', 'status'],
                        'the queued events, in order',
                    );
                    assert.deepEqual(retained, ['restart/status']);
                } else {
                    assert.deepEqual(queued, [], 'the broker forgot the session and what it had queued');
                    assert.deepEqual(retained, [], 'and its retained messages');
                }
                // Either way the hub subscribed again by itself: events published from now on arrive.
                await publishEvent(other, 'after', 6);
                await until(() => back.got.includes('after'), 'an event after the restart');
            } finally {
                await Promise.all(open.map((o) => o.close()));
                await broker.close();
            }
        });
    }
});
