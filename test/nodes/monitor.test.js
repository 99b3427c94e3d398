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
    HUB,
    monitorDef,
    lightDef,
    doorLockDef,
    thresholdDef,
    TAB,
    catcher,
    shipped,
    runtimeName,
} = require('../helpers/node-red');
const fs = require('node:fs');
const path = require('node:path');
const { until } = require('../helpers/wait');
const { readExposition } = require('../helpers/prometheus-text');
const hubNodes = shipped('hub');
const monitorNode = shipped('monitor');
const fleetNodes = shipped('fleet');
const sensorNode = shipped('sensor');
const lightNode = shipped('light');
const doorLockNode = shipped('door-lock');
const thresholdNode = shipped('threshold');
const example = require('../../examples/monitor.json');
const { metricsRegistry } = /** @type {typeof import('../../src/core/shared/metrics-registry')} */ (
    shipped('core/shared/metrics-registry')
);

const catchNode = coreNode('common/25-catch.js');
// The test helper serves only the admin app; http in nodes listen on the node app, reached through its supertest.
const request = require(require.resolve('supertest', { paths: [require.resolve('node-red-node-test-helper')] }));
const httpIn = coreNode('network/21-httpin.js');
const debugNode = coreNode('common/21-debug.js');
const commentNode = coreNode('common/90-comment.js');
// Node-RED's own YAML parser (its yaml node's), to read the prometheus.yml snippets.
const yaml = require(
    require.resolve('js-yaml', {
        paths: [
            require.resolve('@node-red/nodes/core/parsers/70-YAML.js', {
                paths: [path.dirname(require.resolve(runtimeName))],
            }),
        ],
    }),
);

const README = path.join(__dirname, '..', '..', 'README.md');

/** The example's nodes on one tab (its hub stays a config node). */
const exampleFlow = () => example.map((n) => (n.type === 'sensorhub-hub' ? { ...n } : { ...n, z: 'f1' }));

/** Loads `flow` with `more` nodes beside it; resolves to the app its http in nodes listen on. */
async function loadExample(flow, more) {
    let httpNode;
    const captureApi = (RED) => {
        httpNode = RED.httpNode;
    };
    const types = [captureApi, hubNodes, monitorNode, sensorNode, fleetNodes, lightNode, doorLockNode, thresholdNode];
    await helper.load([...types, httpIn, debugNode, commentNode], [TAB, ...flow, ...more]);
    return httpNode;
}

/** The prometheus.yml in the yaml (or plain) code block of markdown `text` that has scrape_configs. */
function scrapeConfig(text) {
    const blocks = [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)];
    const block = blocks.find((m) => ['', 'yaml'].includes(m[1]) && m[2].includes('scrape_configs:'));
    assert.ok(block, 'a prometheus.yml block');
    return yaml.load(block[2]);
}

/** Node-RED's default port, from the default settings file of the runtime under test. */
function defaultPort() {
    const settings = fs.readFileSync(
        path.join(path.dirname(require.resolve(`${runtimeName}/package.json`)), 'settings.js'),
        'utf8',
    );
    const port = /^\s*uiPort: process\.env\.PORT \|\| (\d+),$/m.exec(settings);
    assert.ok(port, "the default settings' uiPort");
    return Number(port[1]);
}

/** The label names the README's table gives `metric`, in its order. */
function readmeLabels(metric) {
    const row = fs.readFileSync(README, 'utf8').match(new RegExp(`^\\| \`${metric}\` \\| \\w+ \\| (.+?) \\|`, 'm'));
    assert.ok(row, `the README's row for ${metric}`);
    return [...row[1].matchAll(/`(\w+)`/g)].map((m) => m[1]);
}

/** The monitor's percentiles, typed as summaries. */
const SUMMARIES = ['sensorhub_fleet_read_latency_seconds', 'sensorhub_event_loop_delay_seconds'];

/** The type a family's name says: counters end in _total, percentiles are summaries, the rest gauges. */
const typeOf = (name) => (name.endsWith('_total') ? 'counter' : SUMMARIES.includes(name) ? 'summary' : 'gauge');

const monitor = monitorDef;
const pub = { id: 'p1', type: 'sensorhub-publish', z: 'f1', hub: 'hub1', eventType: '', wires: [] };
const sub = { id: 's1', type: 'sensorhub-subscribe', z: 'f1', name: 'all', hub: 'hub1', patterns: '#', wires: [[]] };

/** A temperature sensor `sensor1` named hall, simulated, read on input. */
function simulatedSensor(extra) {
    return {
        id: 'sensor1',
        type: 'sensorhub-sensor',
        z: 'f1',
        name: 'hall',
        kind: 'temperature',
        source: 'simulated',
        interval: 0,
        timeout: 1000,
        latencyMin: 1,
        latencyMax: 2,
        seed: 3,
        ...extra,
    };
}

/** A fleet `fleet1` named north of one simulated sensor, read on input, its cycle statistics to `stats`. */
function fleetDef() {
    return {
        id: 'fleet1',
        type: 'sensorhub-fleet',
        z: 'f1',
        name: 'north',
        sensorSource: 'table',
        sensors: [{ id: 't1', kind: 'temperature', location: 'hall', source: 'simulated', command: '' }],
        interval: 0,
        timeout: 1000,
        concurrency: 0,
        output: 'batch',
        latencyMin: 1,
        latencyMax: 3,
        failureRate: 0,
        seed: 11,
        wires: [[], [], ['stats']],
    };
}

async function load(extra = {}, more = []) {
    await helper.load(
        [hubNodes, monitorNode, catchNode, ...more.filter((m) => typeof m === 'function')],
        [
            TAB,
            HUB,
            pub,
            sub,
            monitor(extra),
            catcher(),
            sink('out'),
            sink('caught'),
            ...more.filter((m) => typeof m !== 'function'),
        ],
    );
    return {
        node: helper.getNode('m1'),
        out: collect(helper.getNode('out')),
        caught: collect(helper.getNode('caught')),
    };
}

describe(`sensorhub-monitor on Node-RED ${version}`, function () {
    beforeEach(function (done) {
        helper.startServer(done);
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    it('emits the hub, node and process metrics as an object on input, keeping the input message', async function () {
        const { node, out } = await load();
        const p = helper.getNode('p1');
        for (let i = 0; i < 3; i++) p.receive({ topic: 'temperature_update', payload: 20 + i });
        p.receive({ topic: 'motion_detected', payload: true });
        await until(() => helper.getNode('hub1').hub.stats().published === 4, 'four events published');
        node.receive({ payload: 'now', trace: 'kept' });
        await until(() => out.length === 1, 'metrics');
        const msg = out[0];
        assert.equal(msg.topic, 'sensorhub_metrics');
        assert.equal(msg.trace, 'kept');
        const s = msg.payload;
        assert.equal(s.hub.id, 'hub1');
        assert.equal(s.hub.name, 'home');
        assert.equal(s.hub.backend, 'local');
        assert.equal(s.hub.published, 4);
        assert.deepEqual(
            s.hub.events.byType.map((t) => [t.type, t.count]),
            [
                ['temperature_update', 3],
                ['motion_detected', 1],
            ],
        );
        assert.deepEqual(
            s.hub.subscribers.map((x) => [x.id, x.name, x.patterns]),
            [['s1', 'all', ['#']]],
        );
        assert.equal(typeof s.process.heapUsedMiB, 'number');
        assert.equal(typeof s.process.eventLoopDelayMs.p99, 'number');
        assert.ok(s.process.uptimeS >= 0);
        assert.deepEqual(s.serialPorts, []);
        assert.match(lastStatus(node).text, /^2 types · [\d.]+ ev\/s · 0 dropped$/);
        assert.equal(lastStatus(node).fill, 'green');
    });

    it('emits every interval without input', async function () {
        const { out } = await load({ interval: 1 });
        await until(() => out.length >= 1, 'a metrics message from the timer', 5000);
        assert.equal(out[0].topic, 'sensorhub_metrics');
        assert.equal(typeof out[0].payload.hub.published, 'number');
    });

    it('shows its interval until the first emission', async function () {
        const { node } = await load({ interval: 5 });
        assert.deepEqual(lastStatus(node), { fill: 'grey', shape: 'ring', text: 'every 5 s' });
    });

    it('emits Prometheus text with its content type in Prometheus mode', async function () {
        const { node, out } = await load({ format: 'prometheus' });
        helper.getNode('p1').receive({ topic: 'say "hi"', payload: 1 });
        node.receive({});
        await until(() => out.length === 1, 'metrics');
        assert.equal(typeof out[0].payload, 'string');
        assert.deepEqual(out[0].headers, { 'content-type': 'text/plain; version=0.0.4' });
        assert.match(out[0].payload, /^# TYPE sensorhub_events_total counter$/m);
        assert.match(out[0].payload, /^sensorhub_events_total\{hub="home",type="say \\"hi\\""\} 1$/m);
        assert.match(out[0].payload, /^sensorhub_process_resident_memory_bytes \d+$/m);
    });

    it("writes each sensor's latest reading on its hub, labelled by sensor id, kind, unit and location", async function () {
        const sensor = simulatedSensor({ sensorId: 'hall/t1', location: 'hall', wires: [['p1', 'readings']] });
        const { node, out } = await load({ format: 'prometheus' }, [sensorNode, sensor, sink('readings')]);
        const readings = collect(helper.getNode('readings'));
        helper.getNode('p1').receive({ topic: 'motion_detected', payload: true, sensor: { id: 'm1', kind: 'motion' } });
        helper.getNode('sensor1').receive({});
        await until(() => readings.length === 1, 'a reading');
        helper.getNode('sensor1').receive({});
        await until(() => readings.length === 2, 'a second reading');
        node.receive({});
        await until(() => out.length === 1, 'metrics');
        const text = out[0].payload;
        const value = readings[1].payload;
        const labels = 'hub="home",sensor_id="hall/t1",kind="temperature",unit="°C",location="hall"';
        const line = text.split('\n').find((l) => l.startsWith(`sensorhub_reading{${labels}} `));
        assert.ok(line, `a reading line with ${labels} in\n${text}`);
        assert.equal(Number(line.slice(line.lastIndexOf(' ') + 1)), value, 'the latest of the two readings');
        assert.match(text, /^# TYPE sensorhub_reading gauge$/m);
        assert.match(text, /^sensorhub_reading\{hub="home",sensor_id="m1",kind="motion",unit="",location=""\} 1$/m);
        assert.match(text, /^sensorhub_readings_sensors\{hub="home"\} 2$/m);
        assert.match(text, /^sensorhub_readings_dropped_total\{hub="home"\} 0$/m);
        assert.match(text, /^# TYPE sensorhub_event_loop_delay_seconds summary$/m);
    });

    it('answers an http in request through an http response node', async function () {
        let httpNode;
        const captureApi = (RED) => {
            httpNode = RED.httpNode;
        };
        await load({ format: 'prometheus', wires: [['resp']] }, [
            captureApi,
            httpIn,
            { id: 'in1', type: 'http in', z: 'f1', url: '/sensorhub/metrics', method: 'get', wires: [['m1']] },
            { id: 'resp', type: 'http response', z: 'f1', statusCode: '', headers: {}, wires: [] },
        ]);
        helper.getNode('p1').receive({ topic: 'motion_detected', payload: true });
        const res = await request(httpNode).get('/sensorhub/metrics').expect(200);
        // Express adds a charset, which Prometheus accepts.
        assert.match(res.headers['content-type'], /^text\/plain;.*version=0\.0\.4/);
        assert.match(res.text, /^sensorhub_events_total\{hub="home",type="motion_detected"\} 1$/m);
        assert.match(res.text, /^sensorhub_hub_subscribers\{hub="home"\} 1$/m);
    });

    it("reports a fleet's last cycle statistics, and forgets the fleet when it is removed", async function () {
        const fleet = fleetDef();
        const { node, out } = await load({}, [fleetNodes, fleet, sink('stats')]);
        const stats = collect(helper.getNode('stats'));
        node.receive({});
        await until(() => out.length === 1, 'metrics before a cycle');
        assert.deepEqual(out[0].payload.fleets, [
            { id: 'fleet1', type: 'sensorhub-fleet', name: 'north', metrics: null },
        ]);
        helper.getNode('fleet1').receive({});
        await until(() => stats.length === 1, 'a fleet cycle');
        node.receive({});
        await until(() => out.length === 2, 'metrics after a cycle');
        const [f] = out[1].payload.fleets;
        assert.equal(f.metrics.cycle, 1);
        assert.equal(f.metrics.ok, 1);
        assert.equal(typeof f.metrics.latencyMs.p95, 'number');
        await helper.unload();
        assert.equal(metricsRegistry.collect('sensorhub-fleet').length, 0);
    });

    it("reports a sensor's last read, failed or not, and forgets the sensor when it is removed", async function () {
        const sensor = simulatedSensor({ sensorId: 't1', wires: [['readings']] });
        const { node, out } = await load({}, [sensorNode, sensor, sink('readings')]);
        const readings = collect(helper.getNode('readings'));
        helper.getNode('sensor1').receive({});
        await until(() => readings.length === 1, 'a reading');
        node.receive({});
        await until(() => out.length === 1, 'metrics after a read');
        const [s] = out[0].payload.sensors;
        assert.equal(s.id, 'sensor1');
        assert.equal(s.name, 'hall');
        assert.equal(s.metrics.status, 'ok');
        assert.equal(s.metrics.seq, 1);
        assert.equal(typeof s.metrics.latencyMs, 'number');
        await helper.unload();
        assert.equal(metricsRegistry.collect('sensorhub-sensor').length, 0);
    });

    it('reports lights, door locks and thresholds, and forgets them when they are removed', async function () {
        const [light, lock, threshold] = [
            lightDef({ name: 'porch', brightness: 70 }),
            doorLockDef({ name: 'front' }),
            thresholdDef({ name: 'temps' }),
        ];
        const { node, out } = await load({}, [lightNode, doorLockNode, thresholdNode, light, lock, threshold]);
        helper.getNode('light1').receive({ topic: 'motion_detected', payload: true });
        helper.getNode('lock1').receive({ topic: 'motion_detected', payload: true });
        helper.getNode('th1').receive({ topic: 'temperature_update', sensor: { id: 't1' }, payload: 31 });
        helper.getNode('th1').receive({ topic: 'temperature_update', sensor: { id: 't2' }, payload: 20 });
        await until(
            () =>
                /** @type {{ alertsRaised?: number } | undefined} */ (
                    metricsRegistry.collect('sensorhub-door-lock')[0]?.metrics
                )?.alertsRaised === 1,
            'the alert',
        );
        node.receive({});
        await until(() => out.length === 1, 'metrics');
        const s = out[0].payload;
        assert.deepEqual(
            s.lights.map((n) => [n.id, n.name, n.metrics.state, n.metrics.brightness, n.metrics.lastReason]),
            [['light1', 'porch', 'on', 70, 'motion']],
        );
        assert.equal(s.lights[0].metrics.eventsHandled, 1);
        assert.equal(s.lights[0].metrics.commandsSent, 1);
        assert.deepEqual(
            s.doorLocks.map((n) => [n.id, n.name, n.metrics.state, n.metrics.alertsRaised]),
            [['lock1', 'front', 'locked', 1]],
        );
        assert.deepEqual(
            s.thresholds.map((n) => [n.id, n.metrics.sensors, n.metrics.alarmsActive, n.metrics.alarmsRaised]),
            [['th1', 2, 1, 1]],
        );
        assert.deepEqual(s.nodes, []);

        await helper.unload();
        assert.deepEqual(
            ['sensorhub-light', 'sensorhub-door-lock', 'sensorhub-threshold'].map(
                (t) => metricsRegistry.collect(t).length,
            ),
            [0, 0, 0],
        );
    });

    it('writes light, door lock and threshold figures in Prometheus text', async function () {
        const light = lightDef({ name: 'porch' });
        const threshold = thresholdDef();
        const { node, out } = await load({ format: 'prometheus' }, [lightNode, thresholdNode, light, threshold]);
        helper.getNode('light1').receive({ command: 'on', brightness: 40 });
        helper.getNode('th1').receive({ topic: 'temperature_update', sensor: { id: 't1' }, payload: 35 });
        await until(
            () =>
                /** @type {{ alarmsActive?: number } | undefined} */ (
                    metricsRegistry.collect('sensorhub-threshold')[0]?.metrics
                )?.alarmsActive === 1,
            'the alarm',
        );
        node.receive({});
        await until(() => out.length === 1, 'metrics');
        const text = out[0].payload;
        assert.match(text, /^sensorhub_light_on\{light="light1",name="porch"\} 1$/m);
        assert.match(text, /^sensorhub_light_brightness\{light="light1",name="porch"\} 40$/m);
        assert.match(text, /^sensorhub_light_mode\{light="light1",name="porch",mode="manual"\} 1$/m);
        assert.match(text, /^sensorhub_light_commands_sent_total\{light="light1",name="porch"\} 1$/m);
        assert.match(text, /^sensorhub_threshold_alarms_active\{threshold="th1",name=""\} 1$/m);
        assert.match(text, /^sensorhub_threshold_alarms_raised_total\{threshold="th1",name=""\} 1$/m);
    });

    it('stops counting and emitting when closed: the hub keeps no listener, the timer stops', async function () {
        const { node, out } = await load({ interval: 1 });
        const hub = helper.getNode('hub1').hub;
        assert.equal(hub.publishListeners.length, 1);
        await node.close(true);
        const before = out.length;
        assert.equal(hub.publishListeners, undefined);
        await new Promise((r) => setTimeout(r, 1200));
        assert.equal(out.length, before);
    });

    it('refuses input without a hub, for catch nodes to see', async function () {
        const { node, caught, out } = await load({ hub: 'nowhere' });
        assert.deepEqual(lastStatus(node), { fill: 'red', shape: 'ring', text: 'no hub configured' });
        node.receive({});
        await until(() => caught.length === 1, 'the error at the catch node');
        assert.match(caught[0].error.message, /No hub configured/);
        assert.equal(out.length, 0);
    });

    it('logs a bad configuration and refuses input', async function () {
        const { node, caught } = await load({ interval: 9999 });
        assert.deepEqual(lastStatus(node), { fill: 'red', shape: 'ring', text: 'not started: see the log' });
        assert.ok(errorsLogged().some((e) => /interval must be 0 .* from 1 to 3600/.test(e)));
        node.receive({});
        await until(() => caught.length === 1, 'the error at the catch node');
    });

    it("runs the example: metrics of the simulated sensor's events, and the Prometheus endpoint", async function () {
        const flow = exampleFlow();
        const periodic = flow.find((n) => n.type === 'sensorhub-monitor' && n.format === 'object');
        assert.ok(periodic, 'the example has a monitor sending objects');
        periodic.interval = 1;
        periodic.wires = [['out']];
        const httpNode = await loadExample(flow, [sink('out')]);
        const out = collect(helper.getNode('out'));
        await until(
            () => out.some((m) => m.payload.hub.events.byType.some((t) => t.type === 'temperature_update')),
            'a temperature reading counted by the periodic monitor',
        );
        const res = await request(httpNode).get('/sensorhub/metrics').expect(200);
        assert.match(res.text, /^sensorhub_events_total\{hub="home",type="temperature_update"\} \d+$/m);
        assert.match(
            res.text,
            /^sensorhub_subscriber_queued\{hub="home",subscriber="[0-9a-f]+",name="all events",patterns="#"\} \d+$/m,
        );
        assert.deepEqual(errorsLogged(), []);
    });

    it("the example's prometheus.yml job scrapes a full exposition that a Prometheus text parser reads", async function () {
        const job = scrapeConfig(example.find((n) => n.type === 'comment')?.info ?? '');
        assert.deepEqual(scrapeConfig(fs.readFileSync(README, 'utf8')), job, 'the README gives the same job');
        const endpoint = example.find((n) => n.type === 'http in');
        assert.deepEqual(job, {
            scrape_configs: [
                {
                    job_name: 'node-red-sensorhub',
                    metrics_path: endpoint?.url,
                    static_configs: [{ targets: [`localhost:${defaultPort()}`] }],
                },
            ],
        });
        const { metrics_path: metricsPath } = job.scrape_configs[0];
        const more = [
            sink('stats'),
            fleetDef(),
            lightDef({ name: 'porch' }),
            doorLockDef({ name: 'front' }),
            thresholdDef({ name: 'temps' }),
        ];
        const httpNode = await loadExample(exampleFlow(), more);
        helper.getNode('fleet1').receive({});
        helper.getNode('light1').receive({ topic: 'motion_detected', payload: true });
        helper.getNode('lock1').receive({ topic: 'motion_detected', payload: true });
        helper.getNode('th1').receive({ topic: 'temperature_update', sensor: { id: 't1' }, payload: 31 });
        const scrape = () => request(httpNode).get(metricsPath).expect(200);
        await until(
            async () => {
                const { text } = await scrape();
                return [
                    'sensorhub_reading{',
                    'sensorhub_fleet_read_latency_seconds{',
                    'sensorhub_door_lock_alerts_total{',
                ].every((name) => text.includes(`\n${name}`));
            },
            "the simulated sensor's reading, a fleet cycle and the lock's alert",
            15000,
        );
        const res = await scrape();
        // Express adds a charset, as Prometheus's own client libraries do.
        const [media, ...params] = res.headers['content-type'].split(';').map((p) => p.trim().toLowerCase());
        assert.equal(media, 'text/plain');
        assert.deepEqual(params.sort(), ['charset=utf-8', 'version=0.0.4']);
        const families = readExposition(res.text);
        const byName = new Map(families.map((f) => [f.name, f]));
        for (const name of [
            'sensorhub_events_total',
            'sensorhub_sensor_ok',
            'sensorhub_fleet_cycles_total',
            'sensorhub_light_on',
            'sensorhub_door_lock_state',
            'sensorhub_threshold_alarms_active',
            'sensorhub_reading_timestamp_seconds',
        ])
            assert.ok(byName.get(name)?.samples.length, `${name} in\n${res.text}`);
        for (const f of families) assert.equal(f.type, typeOf(f.name), f.name);
        for (const name of SUMMARIES)
            assert.ok(
                byName.get(name)?.samples.some((s) => s.name === name && s.labels.quantile),
                `${name} quantiles`,
            );
        const reading = byName.get('sensorhub_reading')?.samples.find((s) => s.labels.sensor_id === 'temp-1');
        assert.deepEqual(reading?.labels, {
            hub: 'home',
            sensor_id: 'temp-1',
            kind: 'temperature',
            unit: '°C',
            location: 'living room',
        });
        assert.deepEqual(Object.keys(reading.labels), readmeLabels('sensorhub_reading'));
        assert.deepEqual(errorsLogged(), []);
    });
});
