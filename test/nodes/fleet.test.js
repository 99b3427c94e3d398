'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
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
const { needTool } = require('../helpers/tools');
const { until, sleep } = require('../helpers/wait');
const { PtyPair } = require('../fixtures/pty');
const { SerialDevice } = require('../fixtures/serial-device');
const fleetNodes = shipped('fleet');
const serialNodes = shipped('serial-port');

const catchNode = coreNode('common/25-catch.js');

const ROWS = [
    { id: 't1', kind: 'temperature', location: 'hall', source: 'simulated', command: '' },
    { id: 'h1', kind: 'humidity', location: 'cellar', source: 'simulated', command: '' },
    { id: 'm1', kind: 'motion', location: 'door', source: 'simulated', command: '' },
];

// Fast simulated reads: these tests count and check messages, they never measure time.
function fleet(extra = {}) {
    return {
        id: 'fleet1',
        type: 'sensorhub-fleet',
        z: 'f1',
        name: '',
        sensorSource: 'table',
        sensors: ROWS,
        interval: 0,
        timeout: 1000,
        concurrency: 0,
        output: 'batch',
        latencyMin: 1,
        latencyMax: 3,
        failureRate: 0,
        seed: 11,
        breakerFailures: 3,
        breakerBase: 10,
        breakerMax: 300,
        autoStart: true,
        ...extra,
        wires: [['readings'], ['failures'], ['stats']],
    };
}
const sinks = ['readings', 'failures', 'stats', 'caught'].map(sink);

async function load(extra, more = []) {
    await helper.load(
        [fleetNodes, catchNode, ...more.filter((m) => typeof m === 'function')],
        [TAB, fleet(extra), catcher(), ...sinks, ...more.filter((m) => typeof m !== 'function')],
    );
    /** @type {Record<'readings' | 'failures' | 'stats' | 'caught', any[]>} */
    const out = { readings: [], failures: [], stats: [], caught: [] };
    for (const id of /** @type {const} */ (['readings', 'failures', 'stats', 'caught']))
        out[id] = collect(helper.getNode(id));
    return { node: helper.getNode('fleet1'), ...out };
}

function warnings() {
    return helper
        .log()
        .args.filter((a) => a[0].level === helper.log().WARN)
        .map((a) => String(a[0].msg));
}

describe(`sensorhub-fleet on Node-RED ${version}`, function () {
    this.timeout(20000);
    beforeEach(function (done) {
        helper.startServer(done);
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    it('reads the whole table per input message and sends one batch on that message, with statistics', async function () {
        const t = await load();
        t.node.receive({ payload: 'go', _msgid: 'm-1', keep: 'me' });
        await until(() => t.stats.length === 1, 'the cycle statistics');
        assert.equal(t.readings.length, 1);
        const batch = t.readings[0];
        assert.equal(batch._msgid, 'm-1', 'the batch is the input message');
        assert.equal(batch.keep, 'me');
        assert.equal(batch.topic, 'fleet_cycle');
        assert.equal(batch.payload.length, 3);
        const byId = Object.fromEntries(batch.payload.map((r) => [r.sensor.id, r]));
        assert.equal(byId.t1.topic, 'temperature_update');
        assert.equal(typeof byId.t1.payload, 'number');
        assert.deepEqual(byId.t1.sensor, { id: 't1', kind: 'temperature', location: 'hall', unit: '°C' });
        assert.equal(byId.h1.sensor.unit, '%');
        assert.equal(byId.m1.topic, 'motion_detected');
        assert.equal(typeof byId.m1.payload, 'boolean');
        for (const r of batch.payload) {
            assert.equal(r.reading.status, 'ok');
            assert.equal(r.reading.seq, 1);
            assert.ok(r.reading.latencyMs >= 0);
        }
        const stats = t.stats[0].payload;
        assert.equal(t.stats[0].topic, 'fleet_stats');
        assert.deepEqual(batch.stats, stats);
        assert.deepEqual(
            [stats.cycle, stats.sensors, stats.reads, stats.ok, stats.failed, stats.quarantined],
            [1, 3, 3, 3, 0, 0],
        );
        for (const key of ['p50', 'p95', 'max']) assert.equal(typeof stats.latencyMs[key], 'number');
        for (const key of ['p50', 'p99', 'max']) assert.equal(typeof stats.eventLoopDelayMs[key], 'number');
        assert.ok(stats.rssMiB > 0 && stats.heapUsedMiB > 0);
        assert.equal(t.failures.length, 0);
    });

    it('streams one reading-contract message per reading as it arrives, then the statistics', async function () {
        const t = await load({ output: 'stream' });
        t.node.receive({ payload: 1 });
        await until(() => t.stats.length === 1, 'the cycle statistics');
        assert.equal(t.readings.length, 3);
        assert.deepEqual(t.readings.map((m) => m.sensor.id).sort(), ['h1', 'm1', 't1']);
        for (const m of t.readings) {
            assert.equal(m.reading.status, 'ok');
            assert.ok(['temperature_update', 'humidity_update', 'motion_detected'].includes(m.topic));
        }
    });

    it("gives each streamed reading its own message id, shaped like Node-RED's, from the fleet's own count", async function () {
        const t = await load({ output: 'stream' });
        t.node.receive({ payload: 1 });
        await until(() => t.stats.length === 1, 'the cycle statistics');
        t.node.receive({ payload: 1 });
        await until(() => t.stats.length === 2, 'the second cycle');
        const ids = t.readings.map((m) => m._msgid);
        assert.equal(ids.length, 6);
        assert.equal(new Set(ids).size, 6, 'distinct');
        assert.ok(
            ids.every((id) => /^[0-9a-f]{16}$/.test(id)),
            ids.join(' '),
        );
        assert.equal(new Set(ids.map((id) => id.slice(0, 8))).size, 1, 'one fleet, one prefix');
    });

    it('sends each failed read on the failure output with its sensor, and does not log every one', async function () {
        const t = await load({ failureRate: 1, breakerFailures: 0 });
        t.node.receive({ payload: 1 });
        await until(() => t.stats.length === 1, 'the cycle statistics');
        assert.equal(t.failures.length, 3);
        for (const f of t.failures) {
            assert.equal(f.reading.status, 'error');
            assert.deepEqual(f.payload, { status: 'error', message: 'simulated read failure' });
            assert.ok(['t1', 'h1', 'm1'].includes(f.sensor.id));
        }
        const batch = t.readings[0].payload;
        assert.deepEqual(
            batch.map((r) => r.reading.status),
            ['error', 'error', 'error'],
        );
        assert.deepEqual([t.stats[0].payload.failed, t.stats[0].payload.error], [3, 3]);
        assert.deepEqual(errorsLogged(), []);
        assert.equal(t.caught.length, 0);
    });

    it('in a runtime set to German says a failed read in German on the failure output and to catch nodes', async function () {
        helper.settings({ lang: 'de' });
        try {
            const t = await load({ failureRate: 1, breakerFailures: 0, catchFailures: true });
            t.node.receive({ payload: 1 });
            await until(() => t.stats.length === 1 && t.caught.length === 3, 'the cycle and three caught failures');
            for (const f of t.failures)
                assert.deepEqual(f.payload, { status: 'error', message: 'Simulierter Lesefehler' });
            const ids = t.caught.map((c) => c.sensor.id).sort();
            assert.deepEqual(
                t.caught.map((c) => c.error.message.replace(/^Error: /, '')).sort(),
                ids.map((id) => `Sensor ${id}: error: Simulierter Lesefehler`),
            );
            assert.deepEqual(
                t.caught.map((c) => c.reading.status),
                ['error', 'error', 'error'],
            );
        } finally {
            helper.settings({ lang: undefined });
        }
    });

    it('also reports each failed read to catch nodes when asked, with its sensor and reading', async function () {
        const t = await load({ failureRate: 1, breakerFailures: 0, catchFailures: true });
        t.node.receive({ payload: 1 });
        await until(() => t.stats.length === 1 && t.caught.length === 3, 'the cycle and three caught failures');
        assert.equal(t.failures.length, 3, 'the failure output still gets them');
        for (const c of t.caught) {
            assert.match(c.error.message, /^(Error: )?Sensor (t1|h1|m1): error: simulated read failure$/);
            assert.equal(c.reading.status, 'error');
            assert.ok(['t1', 'h1', 'm1'].includes(c.sensor.id));
        }
    });

    it('quarantines a failing sensor with one warning and leaves it out of the next cycles', async function () {
        const t = await load({ failureRate: 1, breakerFailures: 1, breakerBase: 60, breakerMax: 600 });
        t.node.receive({ payload: 1 });
        await until(() => t.stats.length === 1, 'the first cycle');
        t.node.receive({ payload: 2 });
        await until(() => t.stats.length === 2, 'the second cycle');
        const second = t.stats[1].payload;
        assert.deepEqual([second.sensors, second.reads, second.quarantined], [3, 0, 3]);
        const quarantined = warnings().filter((w) => w.includes('quarantined'));
        assert.equal(quarantined.length, 3);
        assert.match(quarantined[0], /retried alone in 60 s/);
        await until(() => /0\/3 ok · \d+ ms · 3 quarantined/.test(lastStatus(t.node)?.text ?? ''), 'the status');
    });

    it('replaces its sensors with a list in msg.payload and reads them; refuses a bad list and keeps the old', async function () {
        const t = await load();
        t.node.receive({ payload: ['a', { id: 'b', kind: 'humidity' }] });
        await until(() => t.stats.length === 1, 'a cycle over the new list');
        assert.deepEqual(t.readings[0].payload.map((r) => r.sensor.id).sort(), ['a', 'b']);

        t.node.receive({ payload: ['x', 'x'] });
        t.node.receive({ command: 'configure', payload: { id: 'y' } });
        await until(() => t.caught.length === 2, 'two refusals');
        assert.match(
            t.caught[0].error.message,
            /Sensor list refused, the fleet is unchanged: sensor id "x" appears twice/,
        );
        assert.match(t.caught[1].error.message, /the sensor list must be an array, got an object/);

        t.node.receive({ payload: 'again' });
        await until(() => t.stats.length === 2, 'a cycle over the kept list');
        assert.deepEqual(t.readings[1].payload.map((r) => r.sensor.id).sort(), ['a', 'b']);
    });

    it('refuses an unknown command, and start/stop without an interval, through done(err)', async function () {
        const t = await load();
        t.node.receive({ command: 'explode' });
        t.node.receive({ command: 'start' });
        await until(() => t.caught.length === 2, 'two refusals');
        assert.match(t.caught[0].error.message, /Unknown command "explode"/);
        assert.match(t.caught[1].error.message, /needs an interval/);
        assert.equal(t.stats.length, 0, 'no cycle ran');
    });

    it('reads on its interval, skips (and counts) a cycle that is due while one runs, and stops and starts by message', async function () {
        // Reads of 150–200 ms every 50 ms: most ticks find a cycle running.
        const t = await load({ interval: 0.05, latencyMin: 150, latencyMax: 200, output: 'stream' });
        await until(() => t.stats.length >= 2, 'two cycles');
        const stats = t.stats.at(-1).payload;
        assert.ok(stats.skippedCycles > 0, `skipped cycles counted: ${JSON.stringify(stats)}`);
        t.node.receive({ command: 'stop' });
        await until(() => lastStatus(t.node)?.text === 'stopped', 'the stopped status');
        const seen = t.stats.length;
        await sleep(500);
        assert.ok(t.stats.length <= seen + 1, 'at most the cycle already running finishes after stop');
        t.node.receive({ payload: 'start' });
        await until(() => t.stats.length >= seen + 2, 'cycles again after start');
    });

    it('does not start from a table with duplicate ids: red status, one clear error, inputs refused', async function () {
        const rows = [ROWS[0], { ...ROWS[1], id: 't1' }];
        const t = await load({ sensors: rows });
        assert.equal(lastStatus(t.node).fill, 'red');
        assert.ok(errorsLogged().some((e) => /Fleet not started: sensor id "t1" appears twice/.test(e)));
        t.node.receive({ payload: 1 });
        await until(() => t.caught.length === 1, 'the refusal');
        assert.match(t.caught[0].error.message, /Fleet not started/);
    });

    it('does not start from a generated fleet of 0 sensors or a negative timeout', async function () {
        const t = await load({ sensorSource: 'generated', count: 0 });
        assert.ok(errorsLogged().some((e) => /count must be a whole number from 1 to 100000/.test(e)));
        assert.equal(lastStatus(t.node).fill, 'red');
        await helper.unload();
        await load({ timeout: -1 });
        assert.ok(errorsLogged().some((e) => /timeout \(ms\) must be a number from 1/.test(e)));
    });

    it('in a runtime set to German, names the bad row and its field in German', async function () {
        helper.settings({ lang: 'de' });
        try {
            await load({ sensors: [ROWS[0], { ...ROWS[1], kind: 'pressure' }] });
            assert.deepEqual(errorsLogged(), [
                'Sensorflotte nicht gestartet: Zeile 2 (h1): Art muss einer dieser Werte sein: temperature, humidity, motion, illuminance, contact, battery, generic. Öffnen Sie den Bearbeitungsdialog des Nodes, um das zu korrigieren.',
            ]);
        } finally {
            helper.settings({ lang: undefined });
        }
    });

    it('generates a fleet and reads it all at once', async function () {
        const t = await load({ sensorSource: 'generated', count: 500, idPattern: 'dev-{n:4}', mixHumidity: 1 });
        t.node.receive({ payload: 1 });
        await until(() => t.stats.length === 1, 'the cycle');
        const batch = t.readings[0].payload;
        assert.equal(batch.length, 500);
        assert.equal(new Set(batch.map((r) => r.sensor.id)).size, 500);
        assert.ok(batch.some((r) => r.sensor.id === 'dev-0500'));
        assert.equal(batch.filter((r) => r.sensor.kind === 'humidity').length, 250);
        assert.equal(t.stats[0].payload.ok, 500);
        await until(() => lastStatus(t.node)?.text?.startsWith('500/500 ok'), 'the status');
    });

    it('closes in the middle of a cycle of slow reads without waiting for them', async function () {
        const t = await load({ latencyMin: 10_000, latencyMax: 10_000 });
        t.node.receive({ payload: 1 });
        await sleep(50);
        const began = Date.now();
        await helper.unload();
        assert.ok(Date.now() - began < 5_000, 'unload does not wait for the 10 s reads');
        assert.equal(t.stats.length, 0);
    });

    describe('with serial sensors on a real pty', function () {
        let socat;
        let tmp;
        let pty;
        let device;
        beforeEach(async function () {
            socat = needTool(this, 'socat');
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-fleet-'));
            pty = new PtyPair(/** @type {string} */ (socat), tmp);
            await pty.start();
            device = new SerialDevice({ port: pty.simPath, mode: 'request', format: 'kv' });
            await device.open();
        });
        afterEach(async function () {
            await device?.close();
            await pty?.dispose();
            fs.rmSync(tmp, { recursive: true, force: true });
        });

        const serialRows = ['a', 'b', 'c'].map((id) => ({ id, kind: 'temperature', source: 'serial', command: '' }));
        const port = () => ({
            id: 'port1',
            type: 'sensorhub-serial-port',
            path: pty.devPath,
            baudRate: 9600,
            mode: 'request',
            requestTimeoutMs: 2000,
        });

        it('asks each sensor through the shared port and parses its answer', async function () {
            const t = await load(
                { sensors: serialRows, serialPort: 'port1', command: 'READ {{id}}', format: 'kv', field: 't' },
                [serialNodes, port()],
            );
            await until(() => helper.getNode('port1').state === 'open', 'the port to open');
            t.node.receive({ payload: 1 });
            await until(() => t.stats.length === 1, 'the cycle');
            assert.deepEqual(device.commands, ['READ a', 'READ b', 'READ c']);
            const values = t.readings[0].payload.map((r) => r.payload);
            assert.deepEqual(values, device.sent);
            assert.equal(t.stats[0].payload.ok, 3);
        });

        it('counts a value of the wrong type for the sensor (a motion sensor answering a number) as a failed read', async function () {
            const rows = [
                { id: 'door', kind: 'motion', source: 'serial', command: '' },
                { id: 'hall', kind: 'temperature', source: 'serial', command: '' },
            ];
            device.format = 'number';
            const t = await load({ sensors: rows, serialPort: 'port1', command: 'READ {{id}}', format: 'number' }, [
                serialNodes,
                port(),
            ]);
            await until(() => helper.getNode('port1').state === 'open', 'the port to open');
            t.node.receive({ payload: 1 });
            await until(() => t.stats.length === 1, 'the cycle');
            const stats = t.stats[0].payload;
            assert.deepEqual([stats.ok, stats.error], [1, 1]);
            assert.equal(t.failures.length, 1);
            assert.equal(t.failures[0].sensor.id, 'door');
            assert.match(t.failures[0].payload.message, /a motion sensor needs true or false/);
            const batch = Object.fromEntries(t.readings[0].payload.map((r) => [r.sensor.id, r.reading.status]));
            assert.deepEqual(batch, { door: 'error', hall: 'ok' });
        });

        it('fails the reads of a port that vanishes mid-cycle as offline, and completes the cycle', async function () {
            const t = await load(
                {
                    sensors: serialRows,
                    serialPort: 'port1',
                    command: 'READ {{id}}',
                    format: 'kv',
                    field: 't',
                    timeout: 10_000,
                },
                [serialNodes, port()],
            );
            await until(() => helper.getNode('port1').state === 'open', 'the port to open');
            device.silent = 3;
            t.node.receive({ payload: 1 });
            await until(() => device.commands.length === 1, 'the first request to reach the device');
            await device.close();
            await pty.stop();
            await until(() => t.stats.length === 1, 'the cycle to complete');
            const stats = t.stats[0].payload;
            assert.deepEqual([stats.reads, stats.offline, stats.ok], [3, 3, 0]);
            assert.equal(t.failures.length, 3);
            for (const f of t.failures) assert.equal(f.payload.status, 'offline');
        });
    });
});
