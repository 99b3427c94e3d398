'use strict';
// The serial connection and the line parser against a real pty pair from socat, with the device simulator on the
// far end: real file descriptors, real termios, and a real unplug (socat stopped) and replug (started again).
const assert = require('node:assert/strict');
const { needTool } = require('../helpers/tools');
const { until, sleep } = require('../helpers/wait');
const { PtyPair } = require('../fixtures/pty');
const { SerialDevice } = require('../fixtures/serial-device');
const { SerialConnection, TimeoutError, OfflineError } = require('../../src/core/serial/connection');
const { parseReading } = require('../../src/core/shared/parse');
const { fieldsOf } = require('../helpers/types');

describe('serial connection on a real pty pair', function () {
    this.timeout(30000);
    let socat;
    let pty;
    let device;
    let conn;

    before(function () {
        socat = needTool(this, 'socat');
    });
    beforeEach(async function () {
        pty = new PtyPair(socat);
        await pty.start();
    });
    afterEach(async function () {
        if (conn) await conn.close();
        if (device) await device.close();
        if (pty) await pty.dispose();
        conn = device = pty = undefined;
    });

    /**
     * Opens the connection and collects every line, parsed as the sensor node will parse it.
     * @param {object} [extra]
     * @param {import('../../src/core/shared/parse').ParseSpec} [spec]
     */
    function connect(extra = {}, spec = { format: 'kv', field: 't' }) {
        conn = new SerialConnection({
            path: pty.devPath,
            baudRate: 9600,
            dataBits: 8,
            parity: 'none',
            stopBits: 1,
            framing: { kind: 'delimiter', delimiter: '\n' },
            maxLineLength: 256,
            reconnectMinMs: 50,
            reconnectMaxMs: 400,
            ...extra,
        });
        /** @type {{ values: Array<number | boolean>, errors: string[], states: string[], portErrors: string[] }} */
        const got = { values: [], errors: [], states: [], portErrors: [] };
        conn.on('state', (s) => got.states.push(s));
        conn.on('error', (e) => got.portErrors.push(e.message));
        conn.onLine((line) => {
            const r = parseReading(line, spec);
            if (r.ok) got.values.push(r.value);
            else got.errors.push(r.error);
        });
        conn.open();
        return got;
    }

    /** Every value received was sent, in the order it was sent. */
    function assertNoneInvented(values, sent) {
        let i = 0;
        for (const v of values) {
            while (i < sent.length && sent[i] !== v) i++;
            assert.ok(i < sent.length, `received ${v}, which the device never sent (sent: ${sent.join(', ')})`);
            i++;
        }
    }

    it('streams \\r\\n-terminated readings that arrive parsed, in order', async function () {
        device = new SerialDevice({ port: pty.simPath, mode: 'push', format: 'kv', interval: 10 });
        const got = connect();
        await until(() => conn.state === 'open', 'the port to open');
        await device.open();
        await until(() => got.values.length >= 20, '20 readings');
        assert.deepEqual(got.errors, []);
        assertNoneInvented(got.values, device.sent);
        assert.ok(got.values.every((v) => typeof v === 'number' && Number.isFinite(v)));
    });

    it('answers requests one at a time, in order, and moves on after a timeout', async function () {
        device = new SerialDevice({ port: pty.simPath, mode: 'request', format: 'json' });
        await device.open();
        connect();
        await until(() => conn.state === 'open', 'the port to open');
        const answers = await Promise.all(Array.from({ length: 10 }, () => conn.request('READ', 5000)));
        const values = answers.map((a) => fieldsOf(parseReading(a, { format: 'json', field: 't' })).value);
        assert.deepEqual(values, device.sent);
        assert.equal(await conn.request('SILENT 1', 5000), 'OK\r');
        await assert.rejects(conn.request('READ', 200), TimeoutError);
        const after = fieldsOf(parseReading(await conn.request('READ', 5000), { format: 'json', field: 't' }));
        assert.equal(after.value, device.sent[device.sent.length - 1]);
        assert.equal(conn.stats().requestsTimedOut, 1);
    });

    it('counts garbage, cut-short and oversized lines with clear errors, and invents no value', async function () {
        device = new SerialDevice({ port: pty.simPath, mode: 'push', format: 'kv', interval: 0 });
        await device.open();
        const got = connect();
        await until(() => conn.state === 'open', 'the port to open');
        device.sendReading();
        device.sendGarbage();
        device.sendPartial();
        device.sendReading();
        device.sendOversized(4096);
        device.sendReading();
        await device.drain();
        await until(() => got.values.length === 2 && conn.stats().oversized === 1, 'the stream to be read');
        // The reading after the cut-short line is lost with it: both went out as one line.
        assert.deepEqual(got.values, [device.sent[0], device.sent[2]]);
        assert.equal(got.errors.length, 2);
        assert.match(got.errors[0], /control or invalid bytes/);
        assert.match(got.errors[1], /not a number|appears twice|not a key=value pair/);
        assert.equal(conn.stats().oversized, 1);
    });

    it('survives an unplug and a replug on the same path: disconnected, then open again, readings resume', async function () {
        device = new SerialDevice({ port: pty.simPath, mode: 'push', format: 'number', interval: 10 });
        const got = connect({}, { format: 'number' });
        await until(() => conn.state === 'open', 'the port to open');
        await device.open();
        await until(() => got.values.length >= 5, 'readings before the unplug');
        await device.close();
        // Asked once the device is silent and its last lines have arrived, so that no pushed line answers it.
        for (let n = -1; n !== conn.stats().lines;) {
            n = conn.stats().lines;
            await sleep(100);
        }
        const pending = assert.rejects(conn.request('READ', 10000), OfflineError);
        await pty.stop();
        await until(() => conn.state === 'disconnected', 'the connection to notice the unplug');
        await pending;
        const before = got.values.length;
        const sentBefore = device.sent.slice();

        // Away long enough for several failed reopen attempts; each reason is reported once.
        await sleep(800);
        assert.equal(conn.state, 'disconnected');
        assert.equal(new Set(got.portErrors).size, got.portErrors.length, 'no error repeated');

        await pty.start();
        device = new SerialDevice({ port: pty.simPath, mode: 'push', format: 'number', interval: 10 });
        await device.open();
        await until(() => conn.state === 'open', 'the connection to reopen by itself');
        await until(() => got.values.length >= before + 5, 'readings after the replug');
        assert.deepEqual(got.states.slice(0, 3), ['opening', 'open', 'disconnected']);
        assert.equal(got.states[got.states.length - 1], 'open');
        assert.equal(conn.stats().reconnects, 1);
        assertNoneInvented(got.values.slice(0, before), sentBefore);
        assertNoneInvented(got.values.slice(before), device.sent);
        assert.deepEqual(got.errors, []);
    });
});
