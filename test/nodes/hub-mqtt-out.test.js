'use strict';
// A subscriber wired to core `mqtt out` (which only reads nested values) shares the frozen event, and `mqtt out`
// still publishes it whole to a real mosquitto.
const assert = require('node:assert/strict');
const mqtt = require('mqtt');
const { until } = require('../helpers/wait');
const { helper, coreNode, version, errorsLogged, HUB, TAB, shipped, brokerSuite } = require('../helpers/node-red');
const { mqttBrokerNode } = require('../fixtures/broker');
const hubNodes = shipped('hub');

const coreMqtt = coreNode('network/10-mqtt.js');
// The test helper's RED._ knows only this package's messages; the mqtt nodes' status texts are Node-RED's own.
const mqttNode = (RED) => coreMqtt(new Proxy(RED, { get: (t, p) => (p === '_' ? (key) => key : Reflect.get(t, p)) }));
const functionNode = coreNode('function/10-function.js');
const OUT_TOPIC = 'readonly/reading';

describe(`hub subscribe into core mqtt out on Node-RED ${version}`, function () {
    this.timeout(20000);
    let broker;
    let client;

    brokerSuite(
        {},
        {
            started: (b) => (broker = b),
            beforeUnload: async () => {
                await client?.endAsync();
                client = undefined;
            },
        },
    );

    function flow(port) {
        const sub = (id, wires) => ({
            id,
            type: 'sensorhub-subscribe',
            z: 'f1',
            hub: 'hub1',
            patterns: 'climate',
            wires: [wires],
        });
        return [
            TAB,
            HUB,
            { id: 'p1', type: 'sensorhub-publish', z: 'f1', hub: 'hub1', eventType: 'climate', wires: [] },
            sub('s1', ['out']),
            sub('s2', ['fn']),
            // A writer beside it: it changes its own copy, which must not reach the broker.
            { id: 'fn', type: 'function', z: 'f1', func: 'msg.payload.device.battery = 0;\nreturn msg;', wires: [[]] },
            {
                id: 'out',
                type: 'mqtt out',
                z: 'f1',
                broker: 'b1',
                topic: OUT_TOPIC,
                qos: '0',
                retain: 'false',
                wires: [],
            },
            mqttBrokerNode('b1', port),
        ];
    }

    it('shares the frozen event with mqtt out, which publishes it whole', async function () {
        const port = Number(new URL(broker.url).port);
        client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
        const got = [];
        client.on('message', (_topic, payload) => got.push(JSON.parse(payload.toString())));
        await client.subscribeAsync(OUT_TOPIC);
        await helper.load([hubNodes, mqttNode, functionNode], flow(port));
        await until(() => helper.getNode('b1').connected === true, 'mqtt out to connect');
        const payload = { device: { id: 'climate-01', battery: 87 }, samples: [{ t: 1, v: 20.5 }] };
        helper.getNode('p1').receive({ payload: structuredClone(payload) });
        await until(() => got.length === 1, 'the event at the broker');
        assert.deepEqual(got[0], payload, 'published whole, untouched by the writer beside it');
        const subs = helper.getNode('hub1').hub.listSubscribers();
        assert.deepEqual(
            subs.map((s) => [s.name, s.writable]),
            [
                ['s1', false],
                ['s2', true],
            ],
        );
        assert.deepEqual(errorsLogged(), []);
    });
});
