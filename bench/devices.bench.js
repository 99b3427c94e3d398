'use strict';
// Readings per second from Zigbee2MQTT climate sensors into the flow: the `sensorhub-device` node (zigbee2mqtt
// profile, on the broker connection of an mqtt `sensorhub-hub`) against what a user builds from core nodes, `mqtt in`
// → `json` → `function` doing the same mapping to the reading contract, one message per quantity. Both sides run in
// the real Node-RED runtime embedded in this process, through the same mosquitto, fed the same payloads by an
// mqtt.js client in a separate process (so the publisher's CPU is not counted), deployed one at a time so the broker
// never delivers to both. Flat out (the publisher kept a window of payloads ahead of the readings delivered) gives
// the throughput; a fixed rate both sides keep up with gives the CPU each takes per reading.
const { fork } = require('node:child_process');
const { performance } = require('node:perf_hooks');
const path = require('node:path');
const mqtt = require('mqtt');

const DEVICES = 10;
const PAYLOAD = Buffer.from('{"temperature":21.5,"humidity":48,"battery":90,"linkquality":120}');
const TOPICS = Array.from({ length: DEVICES }, (_, i) => `zigbee2mqtt/climate-${String(i + 1).padStart(2, '0')}`);
const PROBE_TOPIC = 'zigbee2mqtt/probe';
const PROTOCOL_VERSION = 5;

if (process.argv[2] === 'publisher') publisherMain(process.argv[3]);
else benchMain();

/**
 * The separate publishing client. Commands over IPC: `flat` publishes `window` payloads and then one more per
 * payload credited back; `paced` publishes `rate` payloads a second in 1 ms timer ticks; `probe` one payload of the
 * probe device; `end` disconnects and exits.
 */
function publisherMain(url) {
    const client = mqtt.connect(url, {
        protocolVersion: PROTOCOL_VERSION,
        clientId: `bench-${process.pid}-z2m`,
        clean: true,
        reconnectPeriod: 0,
        queueQoSZero: false,
    });
    let sent = 0;
    let total = 0;
    const one = () => {
        client.publish(TOPICS[sent % DEVICES], PAYLOAD, { qos: 0, retain: false });
        sent++;
    };
    const burst = (k) => {
        for (let i = 0; i < k && sent < total; i++) one();
    };
    const paced = (rate, n) => {
        sent = 0;
        total = n;
        const start = performance.now();
        const tick = () => {
            const due = Math.min(n, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
            burst(due - sent);
            if (sent < n) setTimeout(tick, 1);
            else process.send({ pacedMs: performance.now() - start });
        };
        tick();
    };
    client.on('connect', () => {
        client.stream.setNoDelay(true);
        process.send({ ready: true });
    });
    client.on('error', (err) => {
        process.stderr.write(`devices bench publisher: ${err.message}\n`);
        process.exit(1);
    });
    process.on('message', (m) => {
        switch (m.cmd) {
            case 'probe':
                client.publish(PROBE_TOPIC, PAYLOAD, { qos: 0 });
                break;
            case 'flat':
                sent = 0;
                total = m.n;
                burst(m.window);
                break;
            case 'credit':
                burst(m.k);
                break;
            case 'paced':
                paced(m.rate, m.n);
                break;
            case 'end':
                client.end(false, () => process.exit(0));
                break;
        }
    });
    process.on('disconnect', () => process.exit(0));
}

function benchMain() {
    const { startRuntime, projectRoot } = require('./lib/runtime.js');
    const report = require('./lib/report.js');
    const { startBroker } = require(path.join(projectRoot, 'test', 'fixtures', 'broker.js'));
    report.runMain(() => main({ startRuntime, startBroker, ...report }));
}

// Fewer and shorter rounds for a smoke run of the benchmark itself (the figures are then not worth keeping).
const QUICK = process.env.SENSORHUB_BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 5;
const PAYLOADS = QUICK ? 2_000 : 20_000;
const WARMUP_PAYLOADS = QUICK ? 1_000 : 10_000;
// Payloads published and not yet turned into readings: enough to keep both sides busy, few enough that mosquitto
// never drops at QoS 0. Credits go back in batches, so the IPC costs both sides the same little.
const WINDOW = 1000;
const CREDIT_BATCH = 100;
const PACED_RATE = 3_000;
const PACED_MS = QUICK ? 500 : 2_000;
const STALL_MS = 3_000;
const READY_TIMEOUT_MS = 15_000;
const READINGS_PER_PAYLOAD = 3;
// Issue 16: at least the same throughput as the core nodes, less CPU per reading.
const THROUGHPUT_GOAL = { text: '≥ 1×', met: (r) => r >= 1 };
const CPU_GOAL = { text: '< 1×', met: (r) => r < 1 };

const TAB = 'devices-tab';
const HUB = 'devices-hub';
const DEVICE = 'devices-node';
const BROKER = 'devices-broker';
const MQTT_IN = 'devices-mqtt-in';
const JSON_NODE = 'devices-json';
const MAP = 'devices-map';
const SINK = 'devices-sink';
const LOCATION = 'bench';

/** What each reading of the climate payload must carry, by message topic. */
const EXPECTED = {
    temperature_update: { quantity: 'temperature', kind: 'temperature', unit: '°C', value: 21.5 },
    humidity_update: { quantity: 'humidity', kind: 'humidity', unit: '%', value: 48 },
    battery_update: { quantity: 'battery', kind: 'battery', unit: '%', value: 90 },
};

/**
 * The core side's mapping, as a user would write it in a function node: the zigbee2mqtt profile's topics and
 * quantities (the climate payload uses three), a value check per kind, a sequence number per sensor, one message
 * per quantity. The table and the sequence numbers live in the node's context, set up on start.
 */
const MAP_START = `context.set('z2m', {
    seq: new Map(),
    quantities: [
        ['temperature', 'temperature', '°C', 'temperature_update'],
        ['humidity', 'humidity', '%', 'humidity_update'],
        ['occupancy', 'motion', '', 'motion_detected'],
        ['contact', 'contact', '', 'contact_update'],
        ['battery', 'battery', '%', 'battery_update'],
        ['pressure', 'generic', 'hPa', 'generic_update'],
        ['co2', 'generic', 'ppm', 'generic_update'],
        ['illuminance', 'illuminance', 'lx', 'illuminance_update'],
    ],
});`;
const MAP_FUNC = `const rest = msg.topic.slice(12);
if (rest.startsWith('bridge/') || rest.endsWith('/availability') || rest.endsWith('/set') || rest.endsWith('/get') || rest.includes('/set/')) return null;
const p = msg.payload;
if (p === null || typeof p !== 'object' || Array.isArray(p)) {
    node.warn('not a JSON object on ' + msg.topic);
    return null;
}
const { seq, quantities } = context.get('z2m');
const ts = Date.now();
const out = [];
for (const [key, kind, unit, type] of quantities) {
    const v = p[key];
    if (v === undefined || v === null) continue;
    const ok = kind === 'motion' || kind === 'contact' ? typeof v === 'boolean' : typeof v === 'number' && Number.isFinite(v);
    if (!ok) {
        node.warn(key + ' is not a value on ' + msg.topic);
        continue;
    }
    const id = rest + '/' + key;
    const n = (seq.get(id) || 0) + 1;
    seq.set(id, n);
    out.push({
        topic: type,
        payload: v,
        sensor: { id, kind, location: '${LOCATION}', unit },
        reading: { status: 'ok', ts, latencyMs: 0, seq: n },
        deviceId: rest,
    });
}
return [out];`;

function sink() {
    return { id: SINK, type: 'bench-sink', z: TAB, name: '', wires: [] };
}

function devicesFlow(url) {
    return [
        { id: TAB, type: 'tab', label: 'devices benchmark' },
        {
            id: HUB,
            type: 'sensorhub-hub',
            name: '',
            backend: 'mqtt',
            broker: url,
            clientId: '',
            prefix: 'benchhub',
            qos: '0',
            protocol: String(PROTOCOL_VERSION),
            usetls: false,
            tls: '',
            bufferLimit: 1000,
            queueLimit: 10000,
            overflow: 'drop-oldest',
        },
        {
            id: DEVICE,
            type: 'sensorhub-device',
            z: TAB,
            name: '',
            hub: HUB,
            profile: 'zigbee2mqtt',
            baseTopic: '',
            devices: '',
            location: LOCATION,
            publish: false,
            target: '',
            pattern: '',
            path: '',
            kind: 'generic',
            unit: '',
            wires: [[SINK], []],
        },
        sink(),
    ];
}

function coreFlow(port) {
    const { mqttBrokerNode } = require('../test/fixtures/broker.js');
    return [
        { id: TAB, type: 'tab', label: 'devices benchmark' },
        {
            ...mqttBrokerNode(BROKER, port, PROTOCOL_VERSION),
            birthTopic: '',
            closeTopic: '',
            willTopic: '',
            userProps: '',
            sessionExpiry: '',
        },
        {
            id: MQTT_IN,
            type: 'mqtt in',
            z: TAB,
            name: '',
            topic: 'zigbee2mqtt/#',
            qos: '0',
            datatype: 'utf8',
            broker: BROKER,
            nl: false,
            rap: true,
            rh: 0,
            inputs: 0,
            wires: [[JSON_NODE]],
        },
        {
            id: JSON_NODE,
            type: 'json',
            z: TAB,
            name: '',
            property: 'payload',
            action: 'obj',
            pretty: false,
            wires: [[MAP]],
        },
        {
            id: MAP,
            type: 'function',
            z: TAB,
            name: '',
            func: MAP_FUNC,
            outputs: 1,
            timeout: 0,
            noerr: 0,
            initialize: MAP_START,
            finalize: '',
            libs: [],
            wires: [[SINK]],
        },
        sink(),
    ];
}

/** Starts the publishing client in its own process; resolves once it is connected. */
function startPublisher(url) {
    const child = fork(__filename, ['publisher', url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the publisher did not connect')), READY_TIMEOUT_MS);
        child.once('exit', (code) => reject(new Error(`the publisher exited with ${code}`)));
        child.once('message', (m) => {
            clearTimeout(timer);
            if (m && m.ready) resolve(child);
        });
    });
}

/**
 * A subject deploys its flow, checks every reading that reaches the sink (value, topic, sensor, status, a sequence
 * number one past the sensor's last) and hands the good ones to `onReading`; a bad one is counted.
 */
function subject(rt, name, flows) {
    const s = {
        name,
        bad: 0,
        onReading: () => {},
        async open(publisher) {
            s.bad = 0;
            const lastSeq = new Map();
            await rt.deploy(flows);
            let probed = false;
            rt.getNode(SINK).onMessage = (msg) => {
                if (msg.deviceId === 'probe') {
                    probed = true;
                    return;
                }
                const e = EXPECTED[msg.topic];
                const sensor = msg.sensor;
                const ok =
                    e !== undefined &&
                    msg.payload === e.value &&
                    sensor.id === `${msg.deviceId}/${e.quantity}` &&
                    sensor.kind === e.kind &&
                    sensor.unit === e.unit &&
                    sensor.location === LOCATION &&
                    msg.reading.status === 'ok' &&
                    msg.reading.seq === (lastSeq.get(sensor.id) || 0) + 1;
                if (!ok) {
                    s.bad++;
                    return;
                }
                lastSeq.set(sensor.id, msg.reading.seq);
                s.onReading();
            };
            // The subscription is in place once a probe comes out as readings.
            const limit = Date.now() + READY_TIMEOUT_MS;
            while (!probed) {
                if (Date.now() > limit) throw new Error(`${name}: no probe payload came out as readings`);
                publisher.send({ cmd: 'probe' });
                await new Promise((r) => setTimeout(r, 50));
            }
            await new Promise((r) => setTimeout(r, 100));
        },
        async close() {
            await rt.deploy([]);
            if (s.bad > 0) throw new Error(`${name}: ${s.bad} readings arrived wrong`);
        },
    };
    return s;
}

/**
 * Runs one measurement: the publisher is told `cmd`, and the round ends when every payload's readings have
 * arrived, or once none has for `STALL_MS` (the rest are reported lost). Resolves to the readings delivered, their
 * rate (first publish command → last reading) and this process's CPU time per reading.
 */
function measure(publisher, s, n, cmd, credit) {
    const want = n * READINGS_PER_PAYLOAD;
    return new Promise((resolve) => {
        let got = 0;
        let credited = 0;
        let lastArrival = 0;
        let cpu0;
        let start;
        const finish = () => {
            const cpu = process.cpuUsage(cpu0);
            clearInterval(watchdog);
            s.onReading = () => {};
            const ms = (lastArrival || performance.now()) - start;
            resolve({ rate: got / (ms / 1000), cpuUsPerReading: (cpu.user + cpu.system) / got, lost: want - got, ms });
        };
        s.onReading = () => {
            got++;
            lastArrival = performance.now();
            if (credit) {
                const done = Math.floor(got / READINGS_PER_PAYLOAD);
                if (done - credited >= CREDIT_BATCH) {
                    publisher.send({ cmd: 'credit', k: done - credited });
                    credited = done;
                }
            }
            if (got === want) finish();
        };
        const watchdog = setInterval(() => {
            if (performance.now() - (lastArrival || start) > STALL_MS) finish();
        }, 250);
        cpu0 = process.cpuUsage();
        start = performance.now();
        publisher.send(cmd);
    });
}

const flatOut = (publisher, s, n) => measure(publisher, s, n, { cmd: 'flat', n, window: WINDOW }, true);
const pacedRun = (publisher, s) => {
    const n = (PACED_RATE * PACED_MS) / 1000;
    return measure(publisher, s, n, { cmd: 'paced', rate: PACED_RATE, n }, false);
};

async function main({ startRuntime, startBroker, median, gc, formatRate, formatMicros, renderTable, publishTable }) {
    const broker = await startBroker();
    let rt;
    let publisher;
    try {
        rt = await startRuntime();
        publisher = await startPublisher(broker.url);
        const candidate = subject(rt, 'devices node', devicesFlow(broker.url));
        const anchor = subject(rt, 'mqtt in → json → function', coreFlow(broker.port));
        const losses = [];
        const run = async (s, label, fn) => {
            await s.open(publisher);
            try {
                gc();
                const r = await fn(publisher, s);
                if (r.lost > 0) {
                    losses.push(`${s.name}, ${label}: ${r.lost} readings lost`);
                    process.stderr.write(`devices bench: ${s.name}, ${label}: ${r.lost} readings lost\n`);
                }
                return r;
            } finally {
                await s.close();
            }
        };
        for (const s of [candidate, anchor]) await run(s, 'warm-up', (p, x) => flatOut(p, x, WARMUP_PAYLOADS));

        const flat = { c: [], a: [] };
        const paced = { c: [], a: [] };
        for (let r = 0; r < ROUNDS; r++) {
            const order = r % 2 === 0 ? [candidate, anchor] : [anchor, candidate];
            for (const s of order) {
                const into = s === candidate ? 'c' : 'a';
                flat[into].push(await run(s, `flat out, round ${r + 1}`, (p, x) => flatOut(p, x, PAYLOADS)));
            }
            for (const s of order) {
                const into = s === candidate ? 'c' : 'a';
                paced[into].push(await run(s, `paced, round ${r + 1}`, pacedRun));
            }
        }

        const unit = 'readings/s';
        const med = (runs, key) => median(runs.map((x) => x[key]));
        const paired = (x, y, key) => median(x.map((v, i) => v[key] / y[i][key]));
        const share = (runs) => median(runs.map((x) => (x.cpuUsPerReading * x.rate) / 1e6));
        const cpuFigure = (runs) =>
            `${formatMicros(med(runs, 'cpuUsPerReading'))} (${(100 * share(runs)).toFixed(0)}% of a core)`;
        const slowest = Math.max(...[...paced.c, ...paced.a].map((x) => x.ms));
        const rows = [
            {
                name: 'flat out: readings/s into the flow',
                candidate: formatRate(med(flat.c, 'rate'), unit),
                anchor: formatRate(med(flat.a, 'rate'), unit),
                ratio: paired(flat.c, flat.a, 'rate'),
                goal: THROUGHPUT_GOAL,
            },
            {
                name: 'flat out: CPU per reading',
                candidate: cpuFigure(flat.c),
                anchor: cpuFigure(flat.a),
                ratio: paired(flat.c, flat.a, 'cpuUsPerReading'),
                goal: CPU_GOAL,
            },
            {
                name: `fixed ${formatRate(PACED_RATE * READINGS_PER_PAYLOAD, unit)} (${PACED_RATE} payloads/s): CPU per reading`,
                candidate: cpuFigure(paced.c),
                anchor: cpuFigure(paced.a),
                ratio: paired(paced.c, paced.a, 'cpuUsPerReading'),
                goal: CPU_GOAL,
            },
        ];
        const notes = [
            `Real Node-RED ${rt.versions.nodeRed} on Node ${rt.versions.node}, embedded in this process (not the test helper), default asynchronous delivery; broker: ${broker.kind === 'mosquitto' ? 'mosquitto (Debian package)' : `ABSENT: ${broker.kind} stood in for mosquitto`} on a loopback port, MQTT ${PROTOCOL_VERSION}, QoS 0 everywhere.`,
            `Payload: \`${PAYLOAD.toString()}\` (${PAYLOAD.length} B) on \`zigbee2mqtt/climate-01\` … \`climate-${String(DEVICES).padStart(2, '0')}\` in turn, published by an mqtt.js client in a separate process (its CPU is not counted; mosquitto's neither). Each payload makes ${READINGS_PER_PAYLOAD} readings (temperature, humidity, battery; \`linkquality\` is not a quantity).`,
            `Devices node: \`sensorhub-device\` (profile zigbee2mqtt, all devices, location \`${LOCATION}\`, not published on the hub) on the broker connection of a \`sensorhub-hub\` (backend mqtt) → counting \`bench-sink\`. Core nodes: \`mqtt-broker\` + \`mqtt in\` on \`zigbee2mqtt/#\` (output a UTF-8 string) → \`json\` → \`function\` (the same topic rules, quantities, value checks, a sequence number per sensor in context, one message per quantity: \`msg.sensor\` {id \`<device>/<quantity>\`, kind, unit, location}, \`msg.reading\` {status, ts, latencyMs, seq}, \`msg.deviceId\`) → the same sink. A \`change\` node cannot split one payload into a message per quantity, so the mapping is one function node: the cheapest core build found.`,
            `Every reading is checked at the sink (value, topic, sensor id, kind, unit, location, status, seq one past the sensor's last); a wrong one fails the run. Only one side is deployed at a time (an empty deploy between), so the broker never delivers to both.`,
            `Flat out: ${PAYLOADS} payloads (${PAYLOADS * READINGS_PER_PAYLOAD} readings) per round, the publisher kept at most ${WINDOW} payloads ahead of the readings delivered (credits go back over IPC every ${CREDIT_BATCH} payloads), so the side under test sets the pace and the broker never drops; rate = readings / (start → last reading); CPU = this process's \`process.cpuUsage\` (user + system) over the round / readings. Fixed rate: ${PACED_RATE} payloads/s for ${PACED_MS / 1000} s in 1 ms ticks, which both sides keep up with (slowest round: last reading ${slowest.toFixed(0)} ms after start), CPU per reading and the share of one core.`,
            `Median of ${ROUNDS} rounds after a ${WARMUP_PAYLOADS}-payload warm-up of each side; sides alternate, order reversed every round; each side's flow is deployed afresh for each round; ratio = devices node / core nodes, the median of per-round ratios (throughput: higher is better; CPU: lower is better).`,
            losses.length === 0 ? 'No reading was lost in any round.' : `Losses: ${losses.join('; ')}.`,
        ];
        const markdown = renderTable(
            'Devices node (Zigbee2MQTT) vs core mqtt in → json → function through the same mosquitto',
            { candidate: 'devices node', anchor: 'anchor (core mqtt in → json → function)' },
            rows,
            notes,
        );
        await publishTable(markdown);
    } finally {
        try {
            if (publisher && publisher.connected) publisher.send({ cmd: 'end' });
            if (rt) await rt.stop();
        } finally {
            await broker.close();
        }
    }
}
