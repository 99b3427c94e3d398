'use strict';
const assert = require('node:assert/strict');
const mqtt = require('mqtt');
const {
    helper,
    version,
    sink,
    collect,
    errorsLogged,
    lastStatus,
    TAB,
    shipped,
    brokerSuite,
} = require('../helpers/node-red');
const { until } = require('../helpers/wait');
const { ownerOf } = require('../../src/core/fleet/partition');
const fleetNodes = shipped('fleet');
const hubNodes = shipped('hub');

const SENSORS = 40;
const ROOT = '$sensorhub/parttest';
const SELF = 'fleet-node-test';
const OTHER = 'other-instance';

function fleet(extra = {}) {
    return {
        id: 'fleet1',
        type: 'sensorhub-fleet',
        z: 'f1',
        name: 'hall',
        sensorSource: 'generated',
        count: SENSORS,
        idPattern: 'sensor-{n}',
        interval: 0.5,
        timeout: 1000,
        output: 'batch',
        latencyMin: 1,
        latencyMax: 3,
        seed: 5,
        partition: true,
        hub: 'hub1',
        group: '',
        ...extra,
        wires: [['readings'], ['failures'], ['stats']],
    };
}

function hub(url, extra = {}) {
    return {
        id: 'hub1',
        type: 'sensorhub-hub',
        backend: 'mqtt',
        broker: url,
        prefix: 'parttest',
        qos: '0',
        protocol: '5',
        clientId: SELF,
        queueLimit: 1000,
        overflow: 'drop-oldest',
        bufferLimit: 100,
        ...extra,
    };
}

const sinks = ['readings', 'failures', 'stats'].map(sink);

async function load(nodes) {
    await helper.load([fleetNodes, hubNodes], [TAB, ...nodes, ...sinks]);
    return { stats: collect(helper.getNode('stats')), readings: collect(helper.getNode('readings')) };
}

/** Connects as a test client, resolving once connected. */
async function client(url) {
    const c = mqtt.connect(url, { protocolVersion: 5, clientId: `probe-${Math.random().toString(36).slice(2)}` });
    await new Promise((resolve, reject) => {
        c.once('connect', resolve);
        c.once('error', reject);
    });
    return c;
}

const publish = (c, topic, payload) =>
    new Promise((resolve, reject) => {
        c.publish(topic, payload, { qos: 1, retain: true }, (err) => (err ? reject(err) : resolve(undefined)));
    });

describe(`sensorhub-fleet shared with other Node-REDs, on Node-RED ${version}`, function () {
    this.timeout(30000);
    let broker;
    brokerSuite({}, { started: (b) => (broker = b) });

    it('refuses to share without a hub, naming what is missing', async function () {
        await load([fleet({ hub: '' })]);
        const node = helper.getNode('fleet1');
        await until(() => errorsLogged().length > 0, 'the refusal');
        assert.match(errorsLogged()[0], /needs a hub with a broker/);
        assert.equal(lastStatus(node).text, 'not started: see the log');
    });

    it('refuses to share without an interval', async function () {
        await load([fleet({ interval: 0 }), hub(broker.url)]);
        await until(() => errorsLogged().some((e) => /needs an interval/.test(e)), 'the refusal');
    });

    it('refuses to share over a local hub: the broker is where instances meet', async function () {
        await load([fleet(), { id: 'hub1', type: 'sensorhub-hub', backend: 'local' }]);
        await until(() => errorsLogged().some((e) => /mqtt backend/.test(e)), 'the refusal');
    });

    it('refuses a second fleet node sharing the same group on the same hub', async function () {
        await load([fleet(), { ...fleet(), id: 'fleet2', wires: [[], [], []] }, hub(broker.url)]);
        await until(() => errorsLogged().some((e) => /already shares group "hall"/.test(e)), 'the refusal');
        assert.equal(errorsLogged().length, 1, 'the first one runs');
    });

    it('reads only its share while another instance is live, all of it once that one goes offline', async function () {
        const probe = await client(broker.url);
        const otherStatus = `${ROOT}/instances/${OTHER}`;
        const otherPresence = `${ROOT}/fleets/hall/members/${OTHER}`;
        const presence = { member: OTHER, status: otherStatus, from: 0, interval: 500, sensors: SENSORS };
        await publish(probe, otherStatus, 'online');
        await publish(probe, otherPresence, JSON.stringify(presence));
        try {
            const t = await load([fleet(), hub(broker.url)]);
            const node = helper.getNode('fleet1');
            const ids = Array.from({ length: SENSORS }, (_, i) => `sensor-${i + 1}`);
            const mine = ids.filter((id) => ownerOf(id, [SELF, OTHER]) === SELF);
            assert.ok(mine.length > 0 && mine.length < SENSORS, String(mine.length));
            const shared = () => t.stats.filter((m) => m.payload.sensors > 0);
            await until(() => shared().length >= 2, 'two cycles reading a share', 20000);
            const last = shared().at(-1);
            assert.deepEqual(last.payload.share, { of: SENSORS, instances: 2 });
            assert.equal(last.payload.sensors, mine.length);
            const readIds = t.readings
                .at(-1)
                .payload.map((r) => r.sensor.id)
                .sort();
            assert.deepEqual(readIds, [...mine].sort(), 'exactly the sensors rendezvous hashing gives this instance');
            await until(() => /of 40 sensors · 2 instances · \d+ ms$/.test(lastStatus(node).text), 'the share status');
            assert.equal(lastStatus(node).text.split(' of ')[0], String(mine.length));

            // The other instance's last will: its sensors are taken over from the next cycle.
            await publish(probe, otherStatus, 'offline');
            await until(() => t.stats.at(-1).payload.sensors === SENSORS, 'the whole fleet read here', 10000);
            assert.deepEqual(t.stats.at(-1).payload.share, { of: SENSORS, instances: 1 });
            await until(() => /^40 of 40 sensors · 1 instance · /.test(lastStatus(node).text), 'one instance');

            // A clean stop clears this instance's retained presence.
            const own = `${ROOT}/fleets/hall/members/${SELF}`;
            const seen = [];
            probe.on('message', (topic, payload) => {
                if (topic === own) seen.push(payload.toString());
            });
            await new Promise((resolve) => probe.subscribe(own, { qos: 1 }, () => resolve(undefined)));
            await until(() => seen.length > 0 && JSON.parse(seen[0]).member === SELF, 'its presence, retained');
            await helper.unload();
            await until(() => seen.at(-1) === '', 'its presence cleared on close');
        } finally {
            await publish(probe, otherPresence, '');
            await publish(probe, otherStatus, '');
            await new Promise((resolve) => probe.end(false, {}, resolve));
        }
    });
});
