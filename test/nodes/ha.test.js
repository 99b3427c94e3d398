'use strict';
// Home Assistant discovery: the nodes announced through an mqtt hub with "Announce to Home Assistant" on, against a
// real broker (mosquitto; aedes where it is missing outside CI), watched by a client that plays Home Assistant.
const assert = require('node:assert/strict');
const mqtt = require('mqtt');
const { until } = require('../helpers/wait');
const fs = require('node:fs');
const path = require('node:path');
const { helper, version, collect, shipped, coreNode, brokerSuite } = require('../helpers/node-red');
const { metricsRegistry } = /** @type {typeof import('../../src/core/shared/metrics-registry')} */ (
    shipped('core/shared/metrics-registry')
);

/** What a node offers the monitor. */
const metricsOf = (type) => /** @type {any} */ (metricsRegistry.collect(type)[0]?.metrics);

const NODES = ['hub', 'sensor', 'light', 'door-lock', 'threshold'].map(shipped);
const TAB = { id: 'f1', type: 'tab', label: 'test' };
const DISCOVERY = 'homeassistant';
const CLIENT_ID = 'ha-test-instance';
const ROOT = '$sensorhub/hatest';

const hub = (url, extra = {}) => ({
    id: 'hub1',
    type: 'sensorhub-hub',
    name: 'test',
    backend: 'mqtt',
    broker: url,
    prefix: 'hatest',
    clientId: CLIENT_ID,
    qos: '0',
    protocol: '5',
    queueLimit: 1000,
    overflow: 'drop-oldest',
    bufferLimit: 100,
    haAnnounce: true,
    haPrefix: DISCOVERY,
    ...extra,
});
const light = (extra = {}) => ({
    id: 'light1',
    type: 'sensorhub-light',
    z: 'f1',
    name: 'Hall light',
    haHub: 'hub1',
    wires: [['lightOut']],
    ...extra,
});
const lock = (extra = {}) => ({
    id: 'lock1',
    type: 'sensorhub-door-lock',
    z: 'f1',
    name: 'Front door',
    haHub: 'hub1',
    initialState: 'locked',
    wires: [['lockOut'], []],
    ...extra,
});
const sensor = {
    id: 'temp1',
    type: 'sensorhub-sensor',
    z: 'f1',
    name: 'Kitchen',
    haHub: 'hub1',
    kind: 'temperature',
    source: 'msg',
    sensorId: 'kitchen',
    wires: [[]],
};
const threshold = {
    id: 'thr1',
    type: 'sensorhub-threshold',
    z: 'f1',
    name: 'Too warm',
    haHub: 'hub1',
    high: 30,
    wires: [[]],
};
const SINKS = [
    { id: 'lightOut', type: 'helper', z: 'f1' },
    { id: 'lockOut', type: 'helper', z: 'f1' },
];
const configTopic = (component, id) => `${DISCOVERY}/${component}/${CLIENT_ID}/${id}/config`;
const stateTopic = (id) => `$sensorhub/ha/${CLIENT_ID}/${id}/state`;
const commandTopic = (id) => `$sensorhub/ha/${CLIENT_ID}/${id}/set`;
const STATUS = `${ROOT}/instances/${CLIENT_ID}`;

/** A client that plays Home Assistant: every message on the discovery prefix and the node set's topics. */
async function homeAssistant(url) {
    const client = mqtt.connect(url, { clientId: `ha-${Math.random().toString(36).slice(2)}` });
    await new Promise((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
    });
    const seen = [];
    /** The last payload per topic, as text ('' for a deletion). */
    const last = new Map();
    client.on('message', (topic, payload, packet) => {
        seen.push({ topic, payload: payload.toString(), retain: packet.retain });
        last.set(topic, payload.toString());
    });
    await client.subscribeAsync([`${DISCOVERY}/#`, `${ROOT}/#`, '$sensorhub/ha/#']);
    const send = (topic, payload) => client.publishAsync(topic, payload);
    return { client, seen, last, send };
}

describe(`Home Assistant discovery on Node-RED ${version}`, function () {
    this.timeout(30000);
    let broker;
    let ha;

    brokerSuite(
        {},
        {
            started: (b) => (broker = b),
            // What one test left retained must not be found by the next.
            afterUnload: async () => {
                if (ha) {
                    for (const [topic, payload] of ha.last)
                        if (payload !== '') await ha.client.publishAsync(topic, '', { retain: true });
                    await ha.client.endAsync();
                }
                ha = undefined;
            },
        },
    );

    async function load(nodes, credentials) {
        await helper.load(NODES, [TAB, hub(broker.url), ...nodes, ...SINKS], credentials);
        await until(() => helper.getNode('hub1').connection === 'connected', 'the hub to connect');
        ha = await homeAssistant(broker.url);
    }

    it('announces sensors, lights, locks and threshold alarms with retained configs Home Assistant reads', async function () {
        await load([light(), lock(), sensor, threshold], { lock1: { code: '4711' } });
        const configs = [
            ['sensor', 'temp1'],
            ['light', 'light1'],
            ['lock', 'lock1'],
            ['binary_sensor', 'thr1'],
        ];
        await until(() => configs.every(([c, id]) => ha.last.get(configTopic(c, id))), 'the four configs');
        for (const [c, id] of configs) {
            const got = ha.seen.find((m) => m.topic === configTopic(c, id));
            assert.equal(got.retain, true, `${c} config retained`);
            const cfg = JSON.parse(got.payload);
            assert.equal(cfg.unique_id, `sensorhub_${id}`);
            assert.equal(cfg.availability_topic, STATUS);
            assert.equal(cfg.state_topic, stateTopic(id));
            assert.deepEqual(cfg.device.identifiers, [`sensorhub_${CLIENT_ID}`]);
        }
        const t = JSON.parse(ha.last.get(configTopic('sensor', 'temp1')));
        assert.deepEqual(
            [t.name, t.device_class, t.unit_of_measurement, t.state_class],
            ['Kitchen', 'temperature', '°C', 'measurement'],
        );
        const l = JSON.parse(ha.last.get(configTopic('light', 'light1')));
        assert.equal(l.schema, 'json');
        assert.equal(l.command_topic, commandTopic('light1'));
        const k = JSON.parse(ha.last.get(configTopic('lock', 'lock1')));
        assert.ok(k.code_format, 'a lock with a code asks for it');
        assert.equal(JSON.parse(ha.last.get(configTopic('binary_sensor', 'thr1'))).device_class, 'problem');
        // The status is published on connect, apart from the configs: it may arrive after them.
        await until(() => ha.last.get(STATUS) === 'online', 'the connection online');
        // States: what each node is now, retained. Each node says its own, so they may arrive in any order.
        await until(() => ha.last.get(stateTopic('lock1')) === 'LOCKED', 'the lock state');
        await until(() => ha.last.get(stateTopic('thr1')) !== undefined, 'the alarm state');
        assert.equal(ha.last.get(stateTopic('thr1')), 'OFF');
        await until(() => ha.last.get(stateTopic('light1')) !== undefined, 'the light state');
        assert.deepEqual(JSON.parse(ha.last.get(stateTopic('light1'))), { state: 'OFF' });
        helper.getNode('temp1').receive({ payload: 21.5 });
        await until(() => ha.last.get(stateTopic('temp1')) === '21.5', 'the reading as the sensor state');
        helper.getNode('thr1').receive({ payload: 35, topic: 'temperature_update', sensor: { id: 'kitchen' } });
        await until(() => ha.last.get(stateTopic('thr1')) === 'ON', 'the alarm as a problem');
    });

    it('goes unavailable through the last will when the hub connection dies', async function () {
        await load([sensor]);
        await until(() => ha.last.get(STATUS) === 'online', 'online');
        ha.seen.length = 0;
        // Not a clean close: the broker publishes the will.
        helper.getNode('hub1').bridge.client.stream.destroy();
        await until(() => ha.seen.some((m) => m.topic === STATUS && m.payload === 'offline'), 'offline by the will');
        await until(() => ha.last.get(STATUS) === 'online', 'online again after the reconnect');
    });

    it('turns the light on and off by Home Assistant command, sent on like a manual command', async function () {
        await load([light()]);
        const out = collect(helper.getNode('lightOut'));
        await until(() => ha.last.get(stateTopic('light1')), 'the light state');
        await ha.send(commandTopic('light1'), '{"state":"ON","brightness":40}');
        await until(() => out.length === 1, 'the light command');
        assert.deepEqual(out[0].payload, { state: 'on', brightness: 40 });
        assert.equal(out[0].reason, 'manual');
        await until(() => ha.last.get(stateTopic('light1')) === '{"state":"ON","brightness":40}', 'the state');
        await ha.send(commandTopic('light1'), '{"state":"OFF"}');
        await until(() => out.length === 2 && out[1].payload.state === 'off', 'off');
    });

    it('refuses garbage commands with a clear warning, and goes on with the next good one', async function () {
        await load([light()]);
        const node = helper.getNode('light1');
        const warned = [];
        node.on('call:warn', (call) => warned.push(String(call.args[0])));
        const out = collect(helper.getNode('lightOut'));
        await until(() => ha.last.get(stateTopic('light1')), 'the light state');
        for (const bad of ['ON', '{"state":"maybe"}', '{"state":"ON","brightness":"lots"}', '\u0000\u00ff'])
            await ha.send(commandTopic('light1'), bad);
        await ha.send(commandTopic('light1'), '{"state":"ON"}');
        await until(() => out.length === 1, 'the good command');
        assert.deepEqual(out[0].payload, { state: 'on', brightness: 100 });
        assert.equal(warned.length, 1, 'one warning for the burst');
        assert.match(warned[0], /Home Assistant.*not a JSON object/);
        assert.equal(metricsOf('sensorhub-light').haRefused, 4);
    });

    it('never unlocks without the right code; the right code unlocks', async function () {
        await load([lock()], { lock1: { code: '4711' } });
        const out = collect(helper.getNode('lockOut'));
        const node = helper.getNode('lock1');
        const warned = [];
        node.on('call:warn', (call) => warned.push(String(call.args[0])));
        await until(() => ha.last.get(stateTopic('lock1')) === 'LOCKED', 'locked');
        const before = ha.seen.filter((m) => m.topic === stateTopic('lock1')).length;
        await ha.send(commandTopic('lock1'), 'UNLOCK');
        await ha.send(commandTopic('lock1'), '{"action":"UNLOCK","code":null}');
        await ha.send(commandTopic('lock1'), '{"action":"UNLOCK","code":"1234"}');
        // Each refusal says the state again, so Home Assistant stops showing "unlocking".
        await until(() => ha.seen.filter((m) => m.topic === stateTopic('lock1')).length >= before + 3, 'states again');
        assert.equal(out.length, 0, 'nothing actuated');
        assert.ok(ha.seen.every((m) => m.topic !== stateTopic('lock1') || m.payload === 'LOCKED'));
        assert.equal(warned.length, 1, 'one warning for the burst');
        assert.ok(!warned[0].includes('1234'));
        assert.equal(metricsOf('sensorhub-door-lock').haRefused, 3);
        assert.equal(metricsOf('sensorhub-door-lock').wrongCodes, 1);
        await ha.send(commandTopic('lock1'), '{"action":"UNLOCK","code":"4711"}');
        await until(() => out.some((m) => m.actuate === 'unlock'), 'unlocked with the right code');
        await until(() => ['UNLOCKING', 'UNLOCKED'].includes(ha.last.get(stateTopic('lock1'))), 'the state');
    });

    it('clears the config of a node removed by a deploy; keeps the others', async function () {
        await load([light(), sensor]);
        await until(
            () => ha.last.get(configTopic('light', 'light1')) && ha.last.get(configTopic('sensor', 'temp1')),
            'both',
        );
        await helper.setFlows([TAB, hub(broker.url), sensor], 'nodes');
        await until(() => ha.last.get(configTopic('light', 'light1')) === '', 'the light config deleted');
        assert.equal(ha.last.get(stateTopic('light1')), '');
        assert.ok(ha.last.get(configTopic('sensor', 'temp1')));
    });

    it('clears, once connected, configs left by nodes removed while the hub was away', async function () {
        const earlier = await homeAssistant(broker.url);
        await earlier.client.publishAsync(configTopic('light', 'gone1'), '{"name":"old"}', { retain: true });
        await earlier.client.endAsync();
        await load([sensor]);
        await until(() => ha.last.get(configTopic('light', 'gone1')) === '', 'the orphan cleared');
        assert.ok(ha.last.get(configTopic('sensor', 'temp1')));
    });

    it('the devices-together example announces its light, door lock and threshold alarm', async function () {
        const file = path.join(__dirname, '..', '..', 'examples', 'devices-together.json');
        const flow = JSON.parse(fs.readFileSync(file, 'utf8')).map((n) =>
            n.type === 'sensorhub-hub' ? { ...n, broker: broker.url } : n.x === undefined ? n : { ...n, z: 'f1' },
        );
        ha = await homeAssistant(broker.url);
        await helper.load(
            [
                ...NODES,
                shipped('device'),
                coreNode('function/10-switch.js'),
                coreNode('common/21-debug.js'),
                coreNode('common/90-comment.js'),
                coreNode('common/60-link.js'),
            ],
            [TAB, ...flow],
        );
        const components = () =>
            [...ha.last]
                .filter(([t, p]) => t.startsWith(`${DISCOVERY}/`) && p !== '')
                .map(([t]) => t.split('/')[1])
                .sort();
        await until(() => components().length === 3, 'three configs');
        assert.deepEqual(components(), ['binary_sensor', 'light', 'lock']);
    });
});
