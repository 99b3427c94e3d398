'use strict';
const assert = require('node:assert/strict');
const {
    helper,
    coreNode,
    version,
    sink,
    collect,
    errorsLogged,
    lastStatus,
    TAB,
    catcher,
    shipped,
} = require('../helpers/node-red');
const { until, sleep } = require('../helpers/wait');
const sensorNodes = shipped('sensor');
const hubNodes = shipped('hub');

const catchNode = coreNode('common/25-catch.js');

// Fast simulated reads: these tests count and order messages, they never measure time.
const FAST = { latencyMin: 1, latencyMax: 3, seed: 7, noise: 0.2, mean: 21 };

// The node id differs from the sensor id: Node-RED takes a property equal to a node's id for a reference to it.
function sensor(id, extra = {}, wires = ['out']) {
    return {
        id: `n${id}`,
        type: 'sensorhub-sensor',
        z: 'f1',
        sensorId: id,
        kind: 'temperature',
        unit: '°C',
        location: 'hall',
        eventType: '',
        source: 'simulated',
        interval: 0,
        timeout: 1000,
        autoStart: true,
        ...FAST,
        ...extra,
        wires: [wires],
    };
}
const sensorNode = (id) => helper.getNode(`n${id}`);
/** Resolves once `count()` has stayed the same for `ms`: whatever was already under way has come out. */
async function settled(count, what, ms = 100) {
    let last = count();
    let since = Date.now();
    await until(() => {
        if (count() !== last) [last, since] = [count(), Date.now()];
        return Date.now() - since >= ms;
    }, what);
}

/**
 * A stand-in for the sensorhub-serial-port config node with the API sensors use
 * (src/core/serial/user.ts): answers come from `answers`, pushed lines from `push()`.
 */
function fakeSerialNodes(RED) {
    function FakePort(config) {
        RED.nodes.createNode(this, config);
        this.path = '/dev/fake';
        this.mode = config.mode;
        this.requestTimeoutMs = 1000;
        this.configError = undefined;
        this.state = 'open';
        this.users = new Map();
        this.listeners = new Set();
        this.requests = [];
        this.answers = [];
        this.register = (user, onState) => {
            this.users.set(user.id, onState);
            onState(this.state, { fill: 'green', shape: 'dot', text: 'open' });
        };
        this.deregister = (user, done) => {
            this.users.delete(user.id);
            done();
        };
        this.request = (command) => {
            this.requests.push(command);
            const next = this.answers.shift();
            return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
        };
        this.onLine = (listener) => {
            this.listeners.add(listener);
            return () => this.listeners.delete(listener);
        };
        this.push = (line) => {
            for (const listener of this.listeners) listener(line);
        };
    }
    RED.nodes.registerType('sensorhub-serial-port', FakePort);
}
const coded = (code, message) => Object.assign(new Error(message), { code });

/** Collects every message arriving at a helper node. */

describe(`sensorhub-sensor on Node-RED ${version}`, function () {
    beforeEach(function (done) {
        helper.startServer(done);
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    it('polls and sends readings that follow the contract', async function () {
        await helper.load(sensorNodes, [TAB, sensor('t1', { interval: 0.03 }), sink('out')]);
        const got = collect(helper.getNode('out'));
        await until(() => got.length >= 3, 'three readings');
        for (const msg of got.slice(0, 3)) {
            assert.equal(msg.topic, 'temperature_update');
            assert.equal(typeof msg.payload, 'number');
            assert.deepEqual(msg.sensor, { id: 't1', kind: 'temperature', location: 'hall', unit: '°C' });
            assert.equal(msg.reading.status, 'ok');
            assert.equal(typeof msg.reading.ts, 'number');
            assert.ok(msg.reading.latencyMs >= 0);
        }
        assert.deepEqual(
            got.slice(0, 3).map((m) => m.reading.seq),
            [1, 2, 3],
        );
    });

    it('defaults the event type by kind, and uses the one set in the node', async function () {
        await helper.load(sensorNodes, [
            TAB,
            sensor('t', { kind: 'temperature' }),
            sensor('h', { kind: 'humidity', unit: '' }),
            sensor('m', { kind: 'motion', unit: '', motionProbability: 1 }),
            sensor('g', { kind: 'generic', unit: 'hPa' }),
            sensor('x', { kind: 'generic', unit: 'hPa', eventType: 'home/hall/pressure' }),
            sink('out'),
        ]);
        const got = collect(helper.getNode('out'));
        for (const id of ['t', 'h', 'm', 'g', 'x']) {
            sensorNode(id).receive({ payload: 'read' });
            await until(() => got.length === 1, `a reading from ${id}`);
            const [msg] = got.splice(0);
            assert.equal(msg.sensor.id, id);
            if (id === 'm') assert.equal(msg.payload, true);
            else assert.equal(typeof msg.payload, 'number');
        }
        sensorNode('t').receive({});
        sensorNode('h').receive({});
        sensorNode('m').receive({});
        sensorNode('g').receive({});
        sensorNode('x').receive({});
        await until(() => got.length === 5, 'five readings');
        assert.deepEqual(Object.fromEntries(got.map((m) => [m.sensor.id, [m.topic, m.sensor.unit]])), {
            t: ['temperature_update', '°C'],
            h: ['humidity_update', '%'],
            m: ['motion_detected', ''],
            g: ['sensor_update', 'hPa'],
            x: ['home/hall/pressure', 'hPa'],
        });
    });

    it('reads illuminance, contact and battery: their units, event types, and a contact shown closed/open', async function () {
        await helper.load(sensorNodes, [
            TAB,
            sensor('lux', { kind: 'illuminance', unit: '', source: 'msg' }),
            sensor('door', { kind: 'contact', unit: '', source: 'msg' }),
            sensor('bat', { kind: 'battery', unit: '', source: 'msg' }),
            sink('out'),
        ]);
        const got = collect(helper.getNode('out'));
        sensorNode('lux').receive({ payload: 312 });
        sensorNode('door').receive({ payload: true });
        sensorNode('bat').receive({ payload: 87 });
        await until(() => got.length === 3, 'three readings');
        assert.deepEqual(
            got.map((m) => [m.sensor.id, m.topic, m.sensor.unit, m.payload]),
            [
                ['lux', 'illuminance_update', 'lx', 312],
                ['door', 'contact_update', '', true],
                ['bat', 'battery_update', '%', 87],
            ],
        );
        await until(() => lastStatus(sensorNode('door'))?.text === 'closed', 'the closed status');
        sensorNode('door').receive({ payload: false });
        await until(() => lastStatus(sensorNode('door'))?.text === 'open', 'the open status');
    });

    it('converts to °F, from the simulator and from msg.payload', async function () {
        await helper.load(sensorNodes, [
            TAB,
            sensor('sim', { unit: '°F', noise: 0, mean: 20 }),
            sensor('fromMsg', { unit: '°F', source: 'msg' }),
            sink('out'),
        ]);
        const got = collect(helper.getNode('out'));
        sensorNode('sim').receive({});
        await until(() => got.length === 1, 'the simulated reading');
        sensorNode('fromMsg').receive({ payload: 100, keep: 'me' });
        await until(() => got.length === 2, 'the msg reading');
        assert.deepEqual(
            got.map((m) => [m.payload, m.sensor.unit]),
            [
                [68, '°F'],
                [212, '°F'],
            ],
        );
        assert.equal(got[1].keep, 'me', 'the input message travels on');
        assert.equal(got[1].topic, 'temperature_update');
        assert.equal(got[1].reading.status, 'ok');
        assert.equal(got[1].reading.latencyMs, 0);
    });

    it('refuses a msg.payload of the wrong type through done(err), seen by a catch node, sending nothing', async function () {
        await helper.load(
            [sensorNodes, catchNode],
            [
                TAB,
                sensor('t', { source: 'msg' }),
                sensor('m', { source: 'msg', kind: 'motion', unit: '' }),
                sink('out'),
                catcher(),
                sink('caught'),
            ],
        );
        const out = collect(helper.getNode('out'));
        const caught = collect(helper.getNode('caught'));
        sensorNode('t').receive({ payload: '21.5' });
        sensorNode('t').receive({ payload: null });
        sensorNode('m').receive({ payload: 'yes' });
        sensorNode('t').receive({ payload: 21.5 });
        sensorNode('m').receive({ payload: false });
        await until(() => caught.length === 3 && out.length === 2, 'three errors and two readings');
        assert.match(
            caught[0].error.message,
            /Sensor t: error: a temperature sensor needs a finite number, got the string "21.5"/,
        );
        assert.match(caught[1].error.message, /got null/);
        assert.match(caught[2].error.message, /Sensor m: error: a motion sensor needs true or false/);
        assert.deepEqual(
            caught.map((m) => m.reading.status),
            ['error', 'error', 'error'],
        );
        assert.equal(caught[0].payload, '21.5', 'the refused message reaches the catch node intact');
        assert.deepEqual(
            out.map((m) => m.payload),
            [21.5, false],
        );
    });

    it('reports a read that times out, on input and when polling, with status timeout, and keeps polling', async function () {
        await helper.load(
            [sensorNodes, catchNode],
            [
                TAB,
                sensor('slow', { latencyMin: 300, latencyMax: 300, timeout: 20 }),
                sensor('polled', { latencyMin: 300, latencyMax: 300, timeout: 20, interval: 0.04 }),
                sink('out'),
                catcher(),
                sink('caught'),
            ],
        );
        const out = collect(helper.getNode('out'));
        const caught = collect(helper.getNode('caught'));
        sensorNode('slow').receive({ payload: 'go' });
        await until(() => caught.some((m) => m.sensor.id === 'slow'), 'the input read to time out');
        await until(() => caught.filter((m) => m.sensor.id === 'polled').length >= 2, 'two polled timeouts');
        const fromInput = caught.find((m) => m.sensor.id === 'slow');
        assert.equal(fromInput.payload, 'go');
        assert.equal(fromInput.reading.status, 'timeout');
        assert.match(fromInput.error.message, /Sensor slow: timeout: no reading within 20 ms/);
        const polled = caught.filter((m) => m.sensor.id === 'polled');
        assert.ok(polled.every((m) => m.reading.status === 'timeout' && m.topic === 'temperature_update'));
        assert.ok(polled[1].reading.seq > polled[0].reading.seq);
        assert.equal(out.length, 0);
    });

    it('goes offline and online by command: reads fail with status offline in between', async function () {
        await helper.load([sensorNodes, catchNode], [TAB, sensor('t'), sink('out'), catcher(), sink('caught')]);
        const out = collect(helper.getNode('out'));
        const caught = collect(helper.getNode('caught'));
        const t = sensorNode('t');
        t.receive({ command: 'offline' });
        t.receive({});
        await until(() => caught.length === 1, 'the offline failure');
        assert.equal(caught[0].reading.status, 'offline');
        assert.match(caught[0].error.message, /Sensor t: offline: the sensor is offline/);
        t.receive({ command: 'online' });
        t.receive({});
        await until(() => out.length === 1, 'a reading once online');
        assert.equal(out[0].reading.status, 'ok');
        assert.equal(out[0].reading.seq, 2);
    });

    it('reports a polled sensor going offline once, not on every poll, and again after it recovers', async function () {
        await helper.load(
            [sensorNodes, catchNode],
            [TAB, sensor('t', { interval: 0.02 }), sink('out'), catcher(), sink('caught')],
        );
        const out = collect(helper.getNode('out'));
        const caught = collect(helper.getNode('caught'));
        const t = sensorNode('t');
        await until(() => out.length > 0, 'a first reading');
        t.receive({ command: 'offline' });
        await until(() => caught.length === 1, 'the offline report');
        const offlineSeq = caught[0].reading.seq;
        await sleep(100);
        t.receive({ command: 'online' });
        await until(() => out.some((m) => m.reading.seq > offlineSeq + 2), 'readings again, after several polls');
        assert.equal(caught.length, 1, 'one report for the whole offline spell');
        t.receive({ command: 'offline' });
        await until(() => caught.length === 2, 'a new offline spell reported');
        assert.ok(caught.every((m) => m.reading.status === 'offline'));
    });

    it('starts and stops polling by message, and refuses unknown commands', async function () {
        await helper.load(
            [sensorNodes, catchNode],
            [TAB, sensor('t', { interval: 0.02, autoStart: false }), sink('out'), catcher(), sink('caught')],
        );
        const out = collect(helper.getNode('out'));
        const caught = collect(helper.getNode('caught'));
        const t = sensorNode('t');
        await sleep(60);
        assert.equal(out.length, 0, 'not started');
        t.receive({ payload: 'start' });
        await until(() => out.length >= 2, 'polling after start');
        t.receive({ command: 'stop' });
        // A read already running when it stopped still comes out (on a loaded machine, later than on a quiet one).
        await settled(() => out.length, 'the read already running to come out');
        const stoppedAt = out.length;
        await sleep(80);
        assert.equal(out.length, stoppedAt, 'no reading after stop');
        t.receive({ command: 'start' });
        await until(() => out.length > stoppedAt, 'polling again');
        t.receive({ command: 'explode' });
        await until(() => caught.length === 1, 'the refused command');
        assert.match(caught[0].error.message, /Unknown command "explode": use start, stop, offline or online/);
    });

    it('refuses a saved configuration that is wrong, naming the field', async function () {
        await helper.load(
            [sensorNodes, catchNode],
            [TAB, sensor('t', { kind: 'pressure' }), catcher(), sink('caught')],
        );
        const caught = collect(helper.getNode('caught'));
        sensorNode('t').receive({});
        await until(() => caught.length === 1, 'the refusal');
        assert.match(
            caught[0].error.message,
            /Sensor not started: kind must be one of: temperature, humidity, motion, illuminance, contact, battery, generic/,
        );
    });

    describe('in a runtime set to German (settings.lang)', function () {
        beforeEach(function () {
            helper.settings({ lang: 'de' });
        });
        afterEach(function () {
            helper.settings({ lang: undefined });
        });

        it('logs a wrong saved configuration in German, the field named by its German label', async function () {
            await helper.load(sensorNodes, [TAB, sensor('t', { interval: -1 }), sensor('u', { latencyMax: 0 })]);
            await until(() => errorsLogged().length === 2, 'both refusals logged');
            const logged = errorsLogged().sort();
            assert.deepEqual(logged, [
                'Sensor nicht gestartet: Intervall (s) muss eine Zahl von 0 bis 86400 sein. Öffnen Sie den Bearbeitungsdialog des Nodes, um das zu korrigieren.',
                'Sensor nicht gestartet: maximale Latenz (ms) darf nicht unter minimale Latenz (ms) liegen. Öffnen Sie den Bearbeitungsdialog des Nodes, um das zu korrigieren.',
            ]);
            assert.equal(lastStatus(sensorNode('t')).text, 'nicht gestartet: siehe Protokoll');
        });
    });

    it('leaves no timer running after 20 redeploys and a close', async function () {
        const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
        const flow = [
            TAB,
            sensor('a', { interval: 0.02, latencyMin: 5, latencyMax: 15 }),
            sensor('b', { interval: 0.02, latencyMin: 50, latencyMax: 50, timeout: 30 }),
            sink('out'),
        ];
        // The runtime starts timers of its own on first use: count from after one deploy and close.
        await helper.load(sensorNodes, flow);
        await sleep(30);
        await helper.unload();
        await sleep(20);
        const before = timers();
        await helper.load(sensorNodes, flow);
        for (let i = 0; i < 20; i++) {
            await helper.setFlows(flow, 'full');
            await sleep(10);
        }
        const out = collect(helper.getNode('out'));
        await until(() => out.length > 0, 'readings after the last redeploy');
        await helper.unload();
        await until(() => timers() <= before, `no more timers than the ${before} before`);
    });

    it('publishes readings into the hub, where a subscriber receives them', async function () {
        await helper.load(
            [sensorNodes, hubNodes],
            [
                TAB,
                { id: 'hub1', type: 'sensorhub-hub', backend: 'local' },
                sensor('t1', { interval: 0.03 }, ['p1']),
                sensor('m1', { kind: 'motion', unit: '', interval: 0.03, motionProbability: 0.5 }, ['p1']),
                { id: 'p1', type: 'sensorhub-publish', z: 'f1', hub: 'hub1', eventType: '', wires: [] },
                { id: 's1', type: 'sensorhub-subscribe', z: 'f1', hub: 'hub1', patterns: '#', wires: [['out']] },
                sink('out'),
            ],
        );
        const got = collect(helper.getNode('out'));
        await until(
            () => got.some((m) => m.topic === 'temperature_update') && got.some((m) => m.topic === 'motion_detected'),
            'both kinds through the hub',
        );
        const temp = got.find((m) => m.topic === 'temperature_update');
        assert.equal(temp.event.type, 'temperature_update');
        assert.equal(temp.event.source, 'p1');
        assert.deepEqual(temp.sensor, { id: 't1', kind: 'temperature', location: 'hall', unit: '°C' });
        assert.equal(temp.reading.status, 'ok');
        const motion = got.find((m) => m.topic === 'motion_detected');
        assert.equal(typeof motion.payload, 'boolean');
    });

    describe('with a serial port', function () {
        const serialSensor = (extra) =>
            sensor('t1', { source: 'serial', serialPort: 'port1', command: 'READ {{id}}', ...extra });

        it('in a runtime set to German reports a garbage line in German, the reading status unchanged', async function () {
            helper.settings({ lang: 'de' });
            try {
                await helper.load(
                    [sensorNodes, fakeSerialNodes, catchNode],
                    [
                        TAB,
                        { id: 'port1', type: 'sensorhub-serial-port', mode: 'push' },
                        serialSensor({ format: 'regex', pattern: 'T=(\\d+)' }),
                        sink('out'),
                        catcher(),
                        sink('caught'),
                    ],
                );
                const caught = collect(helper.getNode('caught'));
                helper.getNode('port1').push('garbage');
                await until(() => caught.length === 1, 'the refused line');
                assert.match(
                    caught[0].error.message,
                    /^(Error: )?Sensor t1: Fehler: Die Zeile passt nicht zum Muster$/,
                );
                assert.equal(caught[0].reading.status, 'error');
            } finally {
                helper.settings({ lang: undefined });
            }
        });

        it('in request mode writes the command per read and parses the answer; bad answers are errors', async function () {
            await helper.load(
                [sensorNodes, fakeSerialNodes, catchNode],
                [
                    TAB,
                    { id: 'port1', type: 'sensorhub-serial-port', mode: 'request' },
                    serialSensor({ format: 'kv', field: 't', min: -40, max: 85 }),
                    sink('out'),
                    catcher(),
                    sink('caught'),
                ],
            );
            const port = helper.getNode('port1');
            port.answers.push(
                't=21.5 h=40\r',
                't=999',
                '\u0000garbage',
                coded('timeout', 'no answer within 1000 ms'),
                coded('offline', 'the port is closed'),
            );
            const out = collect(helper.getNode('out'));
            const caught = collect(helper.getNode('caught'));
            for (let i = 1; i <= 5; i++) {
                sensorNode('t1').receive({});
                await until(() => out.length + caught.length === i, `answer ${i}`);
            }
            assert.deepEqual(port.requests, ['READ t1', 'READ t1', 'READ t1', 'READ t1', 'READ t1']);
            assert.equal(out[0].payload, 21.5);
            assert.equal(out[0].topic, 'temperature_update');
            assert.deepEqual(
                caught.map((m) => m.reading.status),
                ['error', 'error', 'timeout', 'offline'],
            );
            assert.match(caught[0].error.message, /Sensor t1: error: value 999 is above the maximum 85/);
            assert.match(caught[1].error.message, /control or invalid bytes/);
            assert.deepEqual(
                caught.map((m) => m.reading.seq),
                [2, 3, 4, 5],
            );
            await helper.unload();
            assert.equal(port.users.size, 0, 'deregistered on close');
        });

        it('in push mode sends a reading per valid line and refuses input messages', async function () {
            await helper.load(
                [sensorNodes, fakeSerialNodes, catchNode],
                [
                    TAB,
                    { id: 'port1', type: 'sensorhub-serial-port', mode: 'push' },
                    serialSensor({ format: 'number', unit: '°F' }),
                    sink('out'),
                    catcher(),
                    sink('caught'),
                ],
            );
            const port = helper.getNode('port1');
            const out = collect(helper.getNode('out'));
            const caught = collect(helper.getNode('caught'));
            port.push('20');
            port.push('abc');
            port.push('100\r');
            sensorNode('t1').receive({});
            await until(() => out.length === 2 && caught.length === 2, 'two readings and two errors');
            assert.deepEqual(
                out.map((m) => [m.payload, m.reading.seq]),
                [
                    [68, 1],
                    [212, 3],
                ],
            );
            assert.equal(caught[0].reading.status, 'error');
            assert.match(caught[0].error.message, /"abc" is not a number/);
            assert.match(caught[1].error.message, /push mode/);
            await helper.unload();
            assert.equal(port.listeners.size, 0, 'line listener removed on close');
            assert.equal(port.users.size, 0);
        });

        it('in push mode ignores lines that carry only another sensor field on a shared port', async function () {
            await helper.load(
                [sensorNodes, fakeSerialNodes, catchNode],
                [
                    TAB,
                    { id: 'port1', type: 'sensorhub-serial-port', mode: 'push' },
                    sensor('t1', { source: 'serial', serialPort: 'port1', format: 'kv', field: 't' }),
                    sensor('h1', {
                        kind: 'humidity',
                        source: 'serial',
                        serialPort: 'port1',
                        format: 'kv',
                        field: 'h',
                    }),
                    sink('out'),
                    catcher(),
                    sink('caught'),
                ],
            );
            const port = helper.getNode('port1');
            const out = collect(helper.getNode('out'));
            const caught = collect(helper.getNode('caught'));
            port.push('t=21.5');
            port.push('h=40');
            port.push('t=22,h=41');
            port.push('garbage');
            await until(
                () => out.length === 4 && caught.length === 2,
                'four readings, and the garbage line refused by both',
            );
            const bySensor = (id) => out.filter((m) => m.sensor.id === id).map((m) => [m.payload, m.reading.seq]);
            assert.deepEqual(bySensor('t1'), [
                [21.5, 1],
                [22, 2],
            ]);
            assert.deepEqual(bySensor('h1'), [
                [40, 1],
                [41, 2],
            ]);
            assert.ok(caught.every((m) => /no key=value pairs|is not a key=value pair/.test(m.error.message)));
        });

        it('refuses to read without a serial port', async function () {
            await helper.load(
                [sensorNodes, catchNode],
                [TAB, sensor('t1', { source: 'serial', serialPort: 'missing' }), catcher(), sink('caught')],
            );
            const caught = collect(helper.getNode('caught'));
            sensorNode('t1').receive({});
            await until(() => caught.length === 1, 'the refusal');
            assert.match(caught[0].error.message, /No serial port configured/);
        });
    });
});
