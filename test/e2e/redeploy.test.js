'use strict';
// Issue 9's redeploy soak: a flow with every node type of the package, fully deployed over and over in a real
// Node-RED with the packed module, must leave nothing behind. The process is read from inside by the test-only
// probe node (test/fixtures/probe-node): timers, sockets, servers and other handles, async resources not yet
// destroyed (which also sees unref()ed timers), listeners on RED.events and process, and heap after gc.
//
// Baseline and final figures are both taken with an idle flow deployed (a tab with a comment), so every resource the
// soak flow owns must have been released: a per-deploy leak of one timer shows as N timers. Heap is allowed to grow
// by noise only. SENSORHUB_REDEPLOYS sets the number of deploys (issue 9's 200 by default).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { DEFAULT_NODE_RED, startNodeRed, installedPackageDir, registeredTypes } = require('./launcher');
const { which } = require('../helpers/tools');
const { until, sleep } = require('../helpers/wait');
const { startBroker } = require('../fixtures/broker');
const { Device } = require('../fixtures/device');
const { PtyPair } = require('../fixtures/pty');
const { SerialDevice } = require('../fixtures/serial-device');

const PROBE_DIR = path.join(__dirname, '..', 'fixtures', 'probe-node');
const REDEPLOYS = Number(process.env.SENSORHUB_REDEPLOYS || 200);
if (!Number.isInteger(REDEPLOYS) || REDEPLOYS < 1) {
    throw new Error(`SENSORHUB_REDEPLOYS must be a whole number, at least 1: ${process.env.SENSORHUB_REDEPLOYS}`);
}
const WARMUP = 5;
const MIB = 1024 * 1024;
// Heap after gc moves by a few MiB between calls with nothing leaking (JIT code, caches of express and Node-RED);
// a leak of 100 KiB per deploy is 20 MiB over 200 deploys.
const HEAP_NOISE = 20 * MIB;
const TOKEN = 'soak-token';

function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

/** A flow with one or more of every node type, on its own tab. */
function soakFlow({ mqttUrl, gatewayPort, serialPath }) {
    const z = 'soak-tab';
    const n = (id, type, props, wires = []) => ({ id, type, z, x: 100, y: 100, wires, ...props });
    const nodes = [
        { id: z, type: 'tab', label: 'redeploy soak', disabled: false, info: '' },
        {
            id: 'hub',
            type: 'sensorhub-hub',
            name: 'local',
            backend: 'local',
            queueLimit: 1000,
            overflow: 'drop-oldest',
        },
        n(
            'temp',
            'sensorhub-sensor',
            {
                sensorId: 'temp-1',
                kind: 'temperature',
                unit: '°C',
                location: 'hall',
                source: 'simulated',
                interval: 0.05,
                timeout: 1000,
                autoStart: true,
                seed: '1',
                mean: 24,
                noise: 5,
                latencyMin: 1,
                latencyMax: 20,
                failureProbability: 0,
            },
            [['pub', 'pub-mqtt']],
        ),
        n(
            'motion',
            'sensorhub-sensor',
            {
                sensorId: 'motion-1',
                kind: 'motion',
                location: 'hall',
                source: 'simulated',
                interval: 0.05,
                timeout: 1000,
                autoStart: true,
                seed: '2',
                latencyMin: 1,
                latencyMax: 20,
                motionProbability: 0.5,
                failureProbability: 0,
            },
            [['pub']],
        ),
        n(
            'fleet',
            'sensorhub-fleet',
            {
                sensorSource: 'generated',
                count: 50,
                idPattern: 'sensor-{n}',
                locationPattern: 'room {n}',
                mixTemperature: 1,
                mixHumidity: 1,
                mixMotion: 1,
                latencyMin: 5,
                latencyMax: 150,
                failureRate: 0.1,
                seed: '3',
                interval: 0.2,
                autoStart: true,
                timeout: 100,
                concurrency: 0,
                output: 'stream',
                breakerFailures: 3,
                breakerBase: 10,
                breakerMax: 300,
            },
            [['pub'], [], []],
        ),
        n('pub', 'sensorhub-publish', { hub: 'hub', eventType: '' }),
        n('sub-motion', 'sensorhub-subscribe', { hub: 'hub', patterns: 'motion_detected' }, [['light', 'lock']]),
        n('sub-temp', 'sensorhub-subscribe', { hub: 'hub', patterns: 'temperature_update' }, [['threshold']]),
        n('sub-all', 'sensorhub-subscribe', { hub: 'hub', patterns: '#', queueLimit: 100, overflow: 'drop-oldest' }),
        n('light', 'sensorhub-light', { motionPatterns: 'motion_detected', wait: 1, brightness: 80 }, [
            ['to-devices', 'z2m'],
        ]),
        n(
            'to-devices',
            'change',
            {
                rules: [{ t: 'set', p: 'deviceId', pt: 'msg', to: '*', tot: 'str' }],
                action: '',
                property: '',
                from: '',
                to: '',
                reg: false,
            },
            [['gateway']],
        ),
        n(
            'lock',
            'sensorhub-door-lock',
            {
                location: 'front door',
                initialState: 'locked',
                maxAttempts: 5,
                lockout: 300,
                transitionTimeout: 10,
                autoRelock: 1,
                motionPatterns: 'motion_detected',
                cooldown: 1,
            },
            [[], []],
        ),
        n('threshold', 'sensorhub-threshold', {
            high: 26,
            low: 20,
            hysteresis: 0.5,
            minDuration: 0.1,
            staleAfter: 1,
            maxSensors: 1000,
        }),
        n('monitor', 'sensorhub-monitor', { hub: 'hub', interval: 1, format: 'object', maxTypes: 100 }),
        n(
            'gateway',
            'sensorhub-gateway',
            {
                host: '127.0.0.1',
                port: gatewayPort,
                usetls: false,
                devices: [{ id: 'dev1', location: 'hall' }],
                maxConnections: 10,
                maxLineBytes: 4096,
                rate: 100,
                burst: 100,
                helloTimeout: 5,
                idleTimeout: 60,
                credentials: { tokens: JSON.stringify({ dev1: TOKEN }) },
            },
            [['pub'], []],
        ),
    ];
    nodes.push(
        {
            id: 'hub-mqtt',
            type: 'sensorhub-hub',
            name: 'mqtt',
            backend: 'mqtt',
            broker: mqttUrl,
            prefix: 'soak',
            qos: '1',
            protocol: '5',
            bufferLimit: 1000,
            queueLimit: 1000,
            overflow: 'drop-oldest',
        },
        n('pub-mqtt', 'sensorhub-publish', { hub: 'hub-mqtt', eventType: '' }),
        n('sub-mqtt', 'sensorhub-subscribe', { hub: 'hub-mqtt', patterns: '#' }),
        // Shares the MQTT hub's connection: its subscriptions come and go with every deploy; the light drives it.
        n(
            'z2m',
            'sensorhub-device',
            {
                hub: 'hub-mqtt',
                profile: 'zigbee2mqtt',
                baseTopic: '',
                devices: '',
                location: '',
                publish: true,
                target: 'hall bulb',
                pattern: '',
                path: '',
                kind: 'generic',
                unit: '',
            },
            [[], []],
        ),
    );
    if (serialPath) {
        nodes.push(
            {
                id: 'serial',
                type: 'sensorhub-serial-port',
                path: serialPath,
                baudRate: 9600,
                framing: 'delimiter',
                delimiter: '\\n',
                maxLineLength: 1024,
                mode: 'push',
                requestTimeoutMs: 1000,
            },
            n(
                'serial-sensor',
                'sensorhub-sensor',
                {
                    sensorId: 'serial-t',
                    kind: 'temperature',
                    unit: '°C',
                    location: 'lab',
                    source: 'serial',
                    serialPort: 'serial',
                    interval: 0.2,
                    timeout: 1000,
                    autoStart: true,
                    format: 'kv',
                    field: 't',
                },
                [['pub']],
            ),
        );
    }
    return nodes;
}

const IDLE_FLOW = [
    { id: 'idle-tab', type: 'tab', label: 'idle', disabled: false, info: '' },
    { id: 'idle-note', type: 'comment', z: 'idle-tab', name: 'nothing runs here', x: 100, y: 100, wires: [] },
];

describe(`e2e: ${DEFAULT_NODE_RED} redeploy soak with every node type`, function () {
    this.timeout(300000);
    let red;
    let broker;
    let pty;
    let serialDevice;
    let tmp;
    let gatewayPort;
    const devices = [];

    // A request on its own connection (no keep-alive), so the probe's caller leaves no idle socket behind.
    function probe(query = '') {
        return new Promise((resolve, reject) => {
            const url = new URL(`sensorhub-probe${query}`, red.url);
            const req = http.get(url, { agent: false, headers: { Accept: 'application/json' } }, (res) => {
                let text = '';
                res.setEncoding('utf8');
                res.on('data', (d) => (text += d));
                res.on('end', () => {
                    if (res.statusCode !== 200) reject(new Error(`probe: HTTP ${res.statusCode} ${text}`));
                    else resolve(JSON.parse(text));
                });
            });
            req.on('error', reject);
        });
    }

    /** What must come back to the baseline: everything but the admin API's own connections and per-tick resources. */
    function footprint(snap) {
        const adminPort = red.port;
        const resources = { ...snap.resources };
        // The admin API's connections (the probe's own, deploys' keep-alive ones) are counted apart, below.
        delete resources.TCPSocketWrap;
        const endpoints = snap.endpoints.filter((e) => e.localPort !== adminPort && e.port !== adminPort);
        return {
            resources,
            handles: snap.handles,
            sockets: endpoints.filter((e) => e.kind === 'socket').length,
            servers: endpoints
                .filter((e) => e.kind === 'server')
                .map((e) => e.port)
                .sort(),
            // Every async resource created since tracking began and not destroyed, by type: with the idle flow
            // deployed and gc run, only the probe's own request is left (its socket, request and a file read).
            tracked: snap.tracked,
            fds: snap.fds,
            metricsSources: snap.metricsSources,
            listeners: snap.listeners,
        };
    }

    const adminConnections = (snap) => snap.endpoints.filter((e) => e.localPort === red.port).length;

    /**
     * A snapshot once the idle flow has settled: the admin API's keep-alive connections from deploys have closed
     * (only the probe's own is left, with its timers) and two snapshots a second apart agree.
     */
    async function settledSnapshot(expected) {
        const deadline = Date.now() + 30000;
        let previous = null;
        for (;;) {
            const snap = await probe('?gc=1');
            const fp = JSON.stringify(footprint(snap));
            if (adminConnections(snap) <= 1 && (expected ? fp === expected : fp === previous)) return snap;
            // Not a failure yet: the caller compares whatever is there when the wait runs out.
            if (Date.now() > deadline) return snap;
            previous = fp;
            await sleep(1000);
        }
    }

    async function connectDevice() {
        const device = new Device({ port: gatewayPort, id: 'dev1', token: TOKEN });
        devices.push(device);
        // The gateway starts listening just after Node-RED logs that the flows have started.
        await until(
            () =>
                device.connect().then(
                    () => true,
                    () => false,
                ),
            'the gateway to accept a device',
            10000,
        );
        const answer = await device.hello();
        assert.equal(answer.type, 'ack', `the gateway refused the device: ${JSON.stringify(answer)}`);
        device.reading(21.5);
    }

    before(async function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-redeploy-'));
        gatewayPort = await freePort();
        red = await startNodeRed({ settings: { nodesDir: [PROBE_DIR] } });
        const tracking = await red.request('POST', '/sensorhub-probe/track');
        assert.equal(tracking.status, 200, `the probe node did not load:\n${red.log()}`);
    });

    after(async function () {
        for (const device of devices) await device.close();
        if (red) await red.stop();
        await serialDevice?.close();
        await pty?.dispose();
        await broker?.stop();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it(`releases every handle, timer, socket and listener over ${REDEPLOYS} full deploys`, async function () {
        // Without socat the rest still runs (loudly, and never in CI): the serial port is the only node needing it.
        const socat = which('socat');
        if (socat) {
            pty = new PtyPair(socat, tmp);
            await pty.start();
            serialDevice = new SerialDevice({ port: pty.simPath, mode: 'push', format: 'kv', interval: 50 });
            await serialDevice.open();
        } else if (process.env.CI === 'true') {
            throw new Error('socat is required in CI; install it with: apt-get install socat');
        } else {
            process.stderr.write(
                '\n!!! socat not found: the redeploy soak runs WITHOUT the serial port and sensor\n\n',
            );
        }
        broker = await startBroker();
        const flows = soakFlow({ mqttUrl: broker.url, gatewayPort, serialPath: pty?.devPath });
        // Every type the installed package registers, so a new node type cannot miss the soak.
        const inFlow = new Set(flows.map((node) => node.type));
        for (const type of registeredTypes(installedPackageDir(red.userDir))) {
            if (type === 'sensorhub-serial-port' && !socat) continue;
            assert.ok(inFlow.has(type), `the soak flow has no ${type}`);
        }

        const from = red.mark();
        for (let i = 0; i < WARMUP; i++) {
            await red.deploy(flows);
            await connectDevice();
        }
        await red.deploy(IDLE_FLOW);
        const baseline = await settledSnapshot();

        for (let i = 0; i < REDEPLOYS; i++) {
            await red.deploy(flows);
            await connectDevice();
        }
        // The last deploy's flow is running with its gateway open when the idle flow replaces it.
        const running = await probe();
        assert.ok(
            running.endpoints.some((e) => e.kind === 'server' && e.port === gatewayPort),
            'no gateway server',
        );
        assert.ok(running.metricsSources > 0, 'the probe does not see the package’s metrics registry');

        await red.deploy(IDLE_FLOW);
        const final = await settledSnapshot(JSON.stringify(footprint(baseline)));

        // A difference names what leaked: the resource or handle type, the listener's event, the socket or server.
        assert.deepEqual(
            footprint(final),
            footprint(baseline),
            `after ${REDEPLOYS} deploys the idle flow's process holds something it did not before`,
        );
        const growth = final.memory.heapUsed - baseline.memory.heapUsed;
        assert.ok(
            growth < HEAP_NOISE,
            `heap after gc grew by ${(growth / MIB).toFixed(1)} MiB over ${REDEPLOYS} deploys (limit ${HEAP_NOISE / MIB})`,
        );
        // Nothing the flows did on the way may have failed.
        const errors = red
            .log(from)
            .split('\n')
            .filter((line) => /\[(error|fatal)\]/.test(line));
        assert.deepEqual(errors, [], 'errors were logged during the soak');
    });
});
