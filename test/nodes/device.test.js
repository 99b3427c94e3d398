'use strict';
// The devices node against a real broker (mosquitto; aedes where it is missing outside CI), through the broker
// connection of an mqtt hub, on the Node-RED under test.
const assert = require('node:assert/strict');
const mqtt = require('mqtt');
const { until } = require('../helpers/wait');
const {
    helper,
    coreNode,
    version,
    collect,
    errorsLogged,
    lastStatus,
    HUB,
    shipped,
    doorLockDef,
    brokerSuite,
} = require('../helpers/node-red');
const hubNodes = shipped('hub');
const deviceNodes = shipped('device');
const sidebarPlugin = shipped('sidebar');
const { metricsRegistry } = /** @type {typeof import('../../src/core/shared/metrics-registry')} */ (
    shipped('core/shared/metrics-registry')
);

const catchNode = coreNode('common/25-catch.js');
const CORE = [
    catchNode,
    coreNode('common/21-debug.js'),
    coreNode('function/10-switch.js'),
    coreNode('common/90-comment.js'),
    coreNode('common/60-link.js'),
];
const path = require('node:path');
const fs = require('node:fs');
const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const TAB = { id: 'f1', type: 'tab', label: 'test' };

function mqttHub(url, extra = {}) {
    return {
        id: 'hub1',
        type: 'sensorhub-hub',
        backend: 'mqtt',
        broker: url,
        prefix: 'devtest',
        qos: '0',
        protocol: '5',
        queueLimit: 1000,
        overflow: 'drop-oldest',
        bufferLimit: 100,
        ...extra,
    };
}

function device(extra = {}) {
    return {
        id: 'dev1',
        type: 'sensorhub-device',
        z: 'f1',
        name: '',
        hub: 'hub1',
        profile: 'zigbee2mqtt',
        baseTopic: '',
        devices: '',
        location: 'hall',
        publish: false,
        wires: [['readings'], ['events']],
        ...extra,
    };
}

const SINKS = [
    { id: 'readings', type: 'helper', z: 'f1' },
    { id: 'events', type: 'helper', z: 'f1' },
];

/** The warnings logged since the flow was loaded. */
function warningsLogged() {
    return helper
        .log()
        .args.filter((a) => a[0].level === helper.log().WARN)
        .map((a) => String(a[0].msg));
}

function connect(url) {
    return new Promise((resolve, reject) => {
        const c = mqtt.connect(url, { clientId: `device-test-${Math.random().toString(36).slice(2)}` });
        c.once('connect', () => resolve(c));
        c.once('error', reject);
    });
}

function publish(client, topic, payload, opts = {}) {
    return /** @type {Promise<void>} */ (
        new Promise((resolve, reject) =>
            client.publish(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), opts, (err) =>
                err ? reject(err) : resolve(),
            ),
        )
    );
}

/** Waits until the device node's subscriptions are in place: a probe message on its filter comes out. */
async function ready(client, got, probe) {
    await until(async () => {
        await publish(client, probe.topic, probe.payload);
        await new Promise((r) => setTimeout(r, 50));
        return got.length > 0;
    }, 'the device node to read its first message');
    got.length = 0;
}

describe(`devices node on Node-RED ${version}`, function () {
    this.timeout(30000);
    let broker;
    let client;

    brokerSuite(
        {},
        {
            started: (b) => (broker = b),
            beforeUnload: async () => {
                if (client) await client.endAsync();
                client = undefined;
            },
        },
    );

    async function load(nodes, extraTypes = []) {
        await helper.load([hubNodes, deviceNodes, ...extraTypes], [TAB, ...nodes]);
        const hub = helper.getNode('hub1');
        await until(() => hub.connection === 'connected', 'the hub to connect');
        client = await connect(broker.url);
    }

    it('turns a Zigbee2MQTT climate sensor into a temperature and a humidity reading in the contract', async function () {
        await load([mqttHub(broker.url), device(), ...SINKS]);
        const got = collect(helper.getNode('readings'));
        await ready(client, got, { topic: 'zigbee2mqtt/probe', payload: { battery: 50 } });
        await publish(client, 'zigbee2mqtt/living room', {
            temperature: 21.5,
            humidity: 48.2,
            battery: 97,
            linkquality: 120,
        });
        await until(() => got.length === 3, 'three readings');
        const byId = Object.fromEntries(got.map((m) => [m.sensor.id, m]));
        assert.deepEqual(Object.keys(byId).sort(), [
            'living room/battery',
            'living room/humidity',
            'living room/temperature',
        ]);
        const t = byId['living room/temperature'];
        assert.equal(t.topic, 'temperature_update');
        assert.equal(t.payload, 21.5);
        assert.deepEqual(t.sensor, {
            id: 'living room/temperature',
            kind: 'temperature',
            location: 'hall',
            unit: '°C',
        });
        assert.equal(t.reading.status, 'ok');
        assert.equal(typeof t.reading.ts, 'number');
        assert.equal(t.reading.seq, 1);
        assert.equal(t.deviceId, 'living room');
        assert.equal(byId['living room/humidity'].sensor.unit, '%');
        assert.equal(byId['living room/battery'].topic, 'battery_update');
        await until(() => /2 devices · 4 sensors/.test(lastStatus(helper.getNode('dev1'))?.text ?? ''), 'the status');
    });

    it('publishes readings and availability on the hub when asked to', async function () {
        await load([
            mqttHub(broker.url),
            device({ publish: true }),
            ...SINKS,
            { id: 's1', type: 'sensorhub-subscribe', z: 'f1', hub: 'hub1', patterns: '#', wires: [['onHub']] },
            { id: 'onHub', type: 'helper', z: 'f1' },
        ]);
        const got = collect(helper.getNode('readings'));
        const onHub = collect(helper.getNode('onHub'));
        await ready(client, got, { topic: 'zigbee2mqtt/probe', payload: { occupancy: false } });
        onHub.length = 0;
        await publish(client, 'zigbee2mqtt/hall motion', { occupancy: true, illuminance: 12 });
        await publish(client, 'zigbee2mqtt/hall motion/availability', { state: 'online' });
        await until(() => onHub.length === 3, 'two readings and device_online on the hub');
        const types = onHub.map((m) => m.topic).sort();
        assert.deepEqual(types, ['device_online', 'illuminance_update', 'motion_detected']);
        const motion = onHub.find((m) => m.topic === 'motion_detected');
        assert.equal(motion.payload, true);
        assert.equal(motion.event.source, 'dev1');
    });

    it('says offline (Zigbee2MQTT 2.0 JSON and 1.x plain availability): an event, and each sensor a failed reading', async function () {
        await load(
            [
                mqttHub(broker.url),
                device(),
                ...SINKS,
                { id: 'c1', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['caught']] },
                { id: 'caught', type: 'helper', z: 'f1' },
            ],
            [catchNode],
        );
        const got = collect(helper.getNode('readings'));
        const events = collect(helper.getNode('events'));
        const caught = collect(helper.getNode('caught'));
        await ready(client, got, { topic: 'zigbee2mqtt/probe', payload: { battery: 5 } });
        await publish(client, 'zigbee2mqtt/door', { contact: true, battery: 80 });
        await until(() => got.length === 2, 'two readings');
        assert.equal(got.find((m) => m.sensor.kind === 'contact').payload, true, 'contact true = closed');
        await publish(client, 'zigbee2mqtt/door/availability', '{"state":"offline"}');
        await until(() => events.some((e) => e.topic === 'device_offline'), 'device_offline');
        await until(() => caught.length === 2, 'both sensors reported offline to catch');
        for (const m of caught) {
            assert.equal(m.reading.status, 'offline');
            assert.equal(m.payload, undefined, 'no made-up value');
            assert.match(m.sensor.id, /^door\//);
        }
        assert.equal(got.length, 2, 'nothing more on the readings output');
        // Said once: a retained availability repeated is not a new event.
        await publish(client, 'zigbee2mqtt/door/availability', 'offline');
        await publish(client, 'zigbee2mqtt/door/availability', 'online');
        await until(() => events.some((e) => e.topic === 'device_online'), 'device_online (1.x plain)');
        assert.equal(events.filter((e) => e.topic === 'device_offline').length, 1);
        assert.deepEqual(events.find((e) => e.topic === 'device_online').payload.deviceId, 'door');
    });

    it('counts garbage payloads, logs the first naming the topic, and keeps reading', async function () {
        await load([mqttHub(broker.url), device(), ...SINKS]);
        const got = collect(helper.getNode('readings'));
        await ready(client, got, { topic: 'zigbee2mqtt/probe', payload: { battery: 5 } });
        for (let i = 0; i < 20; i++) await publish(client, 'zigbee2mqtt/broken', `{not json ${i}`);
        await publish(client, 'zigbee2mqtt/ok', { temperature: 20 });
        await until(() => got.length === 1, 'the reading after the garbage');
        await until(
            () => /· 20 errors/.test(lastStatus(helper.getNode('dev1'))?.text ?? ''),
            'the status to count 20 errors',
        );
        const warned = warningsLogged().filter((w) => w.includes('zigbee2mqtt/broken'));
        assert.equal(warned.length, 1, `one warning for the first, the rest summed up later: ${warned.join('\n')}`);
        assert.match(warned[0], /not JSON/);
        assert.equal(lastStatus(helper.getNode('dev1')).fill, 'yellow');
    });

    it('reads Home Assistant discovery: retained configs are found, then their state topics read', async function () {
        await load([mqttHub(broker.url), device({ profile: 'homeassistant' }), ...SINKS]);
        const got = collect(helper.getNode('readings'));
        await publish(
            client,
            'homeassistant/sensor/garden/temperature/config',
            {
                '~': 'garden/weather',
                stat_t: '~/state',
                dev_cla: 'temperature',
                unit_of_meas: '°C',
                val_tpl: '{{ value_json.temperature }}',
                uniq_id: 'garden_t',
                dev: { ids: ['garden-station'], name: 'Garden' },
            },
            { retain: true },
        );
        await until(async () => {
            await publish(client, 'garden/weather/state', { temperature: 7.5 });
            await new Promise((r) => setTimeout(r, 50));
            return got.length > 0;
        }, 'the discovered entity to be read');
        assert.equal(got[0].payload, 7.5);
        assert.equal(got[0].sensor.kind, 'temperature');
        assert.equal(got[0].sensor.unit, '°C');
        const res = await helper.request().get('/sensorhub/devices/dev1').expect(200);
        assert.equal(res.body.running, true);
        assert.ok(
            res.body.discovered.some((d) => d.topic === 'homeassistant/sensor/garden/temperature/config'),
            JSON.stringify(res.body),
        );
        await publish(client, 'homeassistant/sensor/garden/temperature/config', '', { retain: true });
    });

    it('lists the devices it has seen for the edit dialog, and 404 for a node that is not running', async function () {
        await load([mqttHub(broker.url), device(), ...SINKS]);
        const got = collect(helper.getNode('readings'));
        await ready(client, got, { topic: 'zigbee2mqtt/kitchen', payload: { temperature: 19 } });
        const res = await helper.request().get('/sensorhub/devices/dev1').expect(200);
        const kitchen = res.body.devices.find((d) => d.id === 'kitchen');
        assert.ok(kitchen, JSON.stringify(res.body));
        assert.deepEqual(
            kitchen.sensors.map((s) => s.id),
            ['kitchen/temperature'],
        );
        await helper.request().get('/sensorhub/devices/nope').expect(404);
    });

    it("lists what it found in the editor's sidebar: devices with their topic, sensors, values and availability", async function () {
        await load([mqttHub(broker.url), device({ name: 'zigbee' }), ...SINKS]);
        // Plugins register no node type, so the helper does not load them: this gives it the API a plugin gets.
        const red = helper._registryUtil.createNodeApi({});
        red.plugins = { registerPlugin: () => {} };
        sidebarPlugin(red);
        const published = [];
        const onComms = (m) => {
            if (m.topic === 'sensorhub/sidebar') published.push(m.data);
        };
        red.events.on('comms', onComms);
        try {
            const got = collect(helper.getNode('readings'));
            await ready(client, got, { topic: 'zigbee2mqtt/kitchen', payload: { temperature: 19.5, humidity: 40 } });
            await publish(client, 'zigbee2mqtt/kitchen/availability', { state: 'online' });
            await publish(client, 'zigbee2mqtt/kitchen', 'garbage');
            await helper.request().post('/sensorhub/sidebar/watch').send({ client: 'c1' }).expect(200);
            await until(() => published.at(-1)?.devices[0]?.problems === 1, 'a snapshot with the found device');
            const [node] = published.at(-1).devices;
            assert.deepEqual(
                [node.id, node.name, node.profile, node.health, node.devices, node.online],
                ['dev1', 'zigbee', 'zigbee2mqtt', 'failed', 1, 1],
            );
            assert.deepEqual(node.problemsByCode, { 'device.not-json': 1 });
            const [kitchen] = node.found;
            assert.equal(kitchen.id, 'kitchen');
            assert.equal(kitchen.topic, 'zigbee2mqtt/kitchen');
            assert.equal(kitchen.online, true);
            assert.deepEqual(
                kitchen.sensors.map((x) => [x.id, x.kind, x.value]),
                [
                    ['kitchen/temperature', 'temperature', '19.5 °C'],
                    ['kitchen/humidity', 'humidity', '40 %'],
                ],
            );
            assert.equal(typeof kitchen.sensors[0].ageMs, 'number');
        } finally {
            await helper.request().post('/sensorhub/sidebar/watch').send({ client: 'c1', watch: false });
            red.events.removeListener('comms', onComms);
        }
    });

    it('drives a light and a lock: Zigbee2MQTT /set in the device scale, and refuses what it cannot send', async function () {
        await load([mqttHub(broker.url), device({ target: 'bulb' }), ...SINKS]);
        const sets = [];
        client.on('message', (topic, payload) => sets.push([topic, payload.toString()]));
        await client.subscribeAsync('zigbee2mqtt/+/set');
        const node = helper.getNode('dev1');
        node.receive({ payload: { state: 'on', brightness: 50 } });
        node.receive({ actuate: 'lock', deviceId: 'front door' });
        await until(() => sets.length === 2, 'two commands on the broker');
        assert.deepEqual(sets.sort(), [
            ['zigbee2mqtt/bulb/set', '{"state":"ON","brightness":127}'],
            ['zigbee2mqtt/front door/set', '{"state":"LOCK"}'],
        ]);
        // The lock's state messages without actuate come on the same wire: nothing to send, no error.
        node.receive({ topic: 'lock_state', payload: { state: 'locked', previous: 'locking', reason: 'feedback' } });
        node.receive({ payload: 'nonsense' });
        await until(() => errorsLogged().some((e) => /Not a command/.test(e)), 'the refusal');
        assert.equal(errorsLogged().filter((e) => /Not a command/.test(e)).length, 1, 'the lock state is no refusal');
        assert.equal(sets.length, 2);
        const [figures] = metricsRegistry.collect('sensorhub-device');
        assert.deepEqual(
            [figures.metrics?.['profile'], figures.metrics?.['commands']],
            ['zigbee2mqtt', 2],
            'the monitor counts the commands sent, not the refused ones',
        );
    });

    /** A door lock with hardware feedback, driving the Zigbee lock `front door` through a devices node. */
    function lockFlow() {
        return [
            mqttHub(broker.url),
            doorLockDef({
                name: 'front door',
                location: 'Front door',
                feedback: true,
                transitionTimeout: 1,
                wires: [['dev1', 'states'], []],
            }),
            device({ devices: 'front door', target: 'front door', wires: [[], ['feedback']] }),
            {
                id: 'feedback',
                type: 'switch',
                z: 'f1',
                property: 'topic',
                propertyType: 'msg',
                rules: [{ t: 'eq', v: 'lock_feedback', vt: 'str' }],
                checkall: 'true',
                outputs: 1,
                wires: [['lock1']],
            },
            { id: 'states', type: 'helper', z: 'f1' },
        ];
    }

    it("drives a real lock: its lock_state comes back as the door lock's feedback, and a lock that never answers is jammed", async function () {
        await load(lockFlow(), [shipped('door-lock'), ...CORE]);
        const states = collect(helper.getNode('states'));
        // A Zigbee lock that answers a /set with its lock_state, as Zigbee2MQTT reports one.
        let answering = true;
        client.on('message', (topic, payload) => {
            const cmd = JSON.parse(payload.toString());
            const lockState = cmd.state === 'LOCK' ? 'locked' : 'unlocked';
            if (answering) void publish(client, 'zigbee2mqtt/front door', { state: cmd.state, lock_state: lockState });
        });
        await client.subscribeAsync('zigbee2mqtt/front door/set');
        helper.getNode('lock1').receive({ command: 'unlock' });
        await until(() => states.some((m) => m.payload.state === 'unlocked'), "unlocked by the lock's own report");
        answering = false;
        helper.getNode('lock1').receive({ command: 'lock' });
        await until(() => states.some((m) => m.payload.state === 'jammed'), 'jammed: the lock never answered');
    });

    it('refuses a local hub (no broker) and a bad profile, saying why', async function () {
        await helper.load(
            [hubNodes, deviceNodes],
            [TAB, HUB, device({ hub: 'hub1' }), device({ id: 'dev2', profile: 'x10' }), ...SINKS],
        );
        assert.equal(lastStatus(helper.getNode('dev1')).text, 'hub has no broker');
        assert.ok(errorsLogged().some((e) => /backend is local/.test(e)));
        assert.ok(
            errorsLogged().some((e) => /profile/.test(e)),
            errorsLogged().join('\n'),
        );
    });

    it('shares the hub connection: a saved hub-only flow works unchanged beside device nodes', async function () {
        // A flow saved before the devices node existed: two hubs with their own broker settings.
        await helper.load(
            [hubNodes, deviceNodes],
            [
                TAB,
                mqttHub(broker.url, { clientId: 'saved-a' }),
                mqttHub(broker.url, { id: 'hub2', clientId: 'saved-b' }),
                { id: 'p1', type: 'sensorhub-publish', z: 'f1', hub: 'hub1', eventType: '', wires: [] },
                { id: 's2', type: 'sensorhub-subscribe', z: 'f1', hub: 'hub2', patterns: 'home/#', wires: [['onHub']] },
                { id: 'onHub', type: 'helper', z: 'f1' },
                device(),
                device({ id: 'dev2', profile: 'tasmota', wires: [['readings2'], []] }),
                ...SINKS,
                { id: 'readings2', type: 'helper', z: 'f1' },
            ],
        );
        const hub = helper.getNode('hub1');
        await until(
            () => hub.connection === 'connected' && helper.getNode('hub2').connection === 'connected',
            'both hubs',
        );
        client = await connect(broker.url);
        const got = collect(helper.getNode('readings'));
        const got2 = collect(helper.getNode('readings2'));
        const onHub = collect(helper.getNode('onHub'));
        await ready(client, got, { topic: 'zigbee2mqtt/probe', payload: { temperature: 1 } });
        await ready(client, got2, { topic: 'tele/probe/SENSOR', payload: { AM2301: { Temperature: 1 } } });
        await until(async () => {
            helper.getNode('p1').receive({ topic: 'home/kitchen/temperature', payload: 21.5 });
            await new Promise((r) => setTimeout(r, 50));
            return onHub.length > 0;
        }, 'events to cross hubs through the broker');
        assert.equal(onHub[0].payload, 21.5);
        assert.equal(got.length + got2.length, 0, 'hub events are not device readings');
        // The hub's bridge reports a message it cannot read as an event at error level.
        assert.equal(errorsLogged().length, 0, `device messages are not hub events: ${errorsLogged().join('\n')}`);
    });

    describe('the examples', function () {
        const files = fs.readdirSync(EXAMPLES).filter((f) => f.startsWith('devices-'));

        /** An example on tab f1, its hub pointed at the test broker. */
        function example(file) {
            const flow = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));
            return flow.map((n) =>
                n.type === 'sensorhub-hub' ? { ...n, broker: broker.url } : n.x === undefined ? n : { ...n, z: 'f1' },
            );
        }
        const OTHERS = ['light', 'door-lock', 'threshold'].map((n) => shipped(n));

        it('there is one per profile and one with several together', function () {
            assert.deepEqual(files.sort(), [
                'devices-esphome.json',
                'devices-generic.json',
                'devices-homeassistant.json',
                'devices-shelly.json',
                'devices-tasmota.json',
                'devices-together.json',
                'devices-zigbee2mqtt.json',
            ]);
        });

        for (const file of [
            'devices-esphome.json',
            'devices-generic.json',
            'devices-homeassistant.json',
            'devices-shelly.json',
            'devices-tasmota.json',
            'devices-zigbee2mqtt.json',
        ])
            it(`${file} loads and starts without an error`, async function () {
                await helper.load([hubNodes, deviceNodes, ...OTHERS, ...CORE], [TAB, ...example(file)]);
                await until(() => helper.getNode('a7e1c2d3b4f50aff').connection === 'connected', 'the hub');
                assert.deepEqual(errorsLogged(), []);
            });

        it('devices-together: a Zigbee motion turns the Zigbee bulb on through the light node', async function () {
            await helper.load([hubNodes, deviceNodes, ...OTHERS, ...CORE], [TAB, ...example('devices-together.json')]);
            await until(() => helper.getNode('a7e1c2d3b4f50aff').connection === 'connected', 'the hub');
            client = await connect(broker.url);
            const sets = [];
            client.on('message', (topic, payload) => sets.push([topic, payload.toString()]));
            await client.subscribeAsync('zigbee2mqtt/+/set');
            await until(async () => {
                await publish(client, 'zigbee2mqtt/hall motion', { occupancy: true, illuminance: 5, battery: 90 });
                await new Promise((r) => setTimeout(r, 100));
                return sets.some(([t]) => t === 'zigbee2mqtt/hall bulb/set');
            }, 'the bulb command');
            const [, body] = sets.find(([t]) => t === 'zigbee2mqtt/hall bulb/set');
            assert.deepEqual(JSON.parse(body), { state: 'ON', brightness: 203 }, '80 % of 254');
            assert.deepEqual(errorsLogged(), []);
        });
    });
});
