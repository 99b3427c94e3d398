'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, version, errorsLogged, TAB, shipped } = require('../helpers/node-red');
const { needTool } = require('../helpers/tools');
const { until, sleep } = require('../helpers/wait');
const { PtyPair } = require('../fixtures/pty');
const { SerialDevice } = require('../fixtures/serial-device');
const serialNodes = shipped('serial-port');

/**
 * A stand-in for the sensor node: registers with the port, collects the lines it pushes, and deregisters on close,
 * the way the real users of the config node do.
 */
function userNodes(RED) {
    /** @this {any} a Node-RED node */
    function SerialUser(config) {
        RED.nodes.createNode(this, config);
        const port = RED.nodes.getNode(config.serialPort);
        this.port = port;
        this.lines = [];
        this.statuses = [];
        const stop = port.onLine((line) => this.lines.push(line));
        port.register(this);
        this.on('close', (done) => {
            stop();
            port.deregister(this, done);
        });
    }
    RED.nodes.registerType('test-serial-user', SerialUser);
}

/** As serialport finds a program: on PATH only (tools.which also looks in sbin). */
function onPath(name) {
    return (process.env.PATH || '').split(path.delimiter).some((dir) => {
        try {
            fs.accessSync(path.join(dir, name), fs.constants.X_OK);
            return true;
        } catch {
            return false;
        }
    });
}

function portConfig(extra = {}) {
    return { id: 'port1', type: 'sensorhub-serial-port', path: '/dev/null-sensorhub', baudRate: 9600, ...extra };
}
function user(id) {
    return { id, type: 'test-serial-user', z: 'f1', serialPort: 'port1', wires: [] };
}

describe(`sensorhub-serial-port on Node-RED ${version}`, function () {
    this.timeout(20000);
    let tmp;
    beforeEach(function (done) {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-serial-node-'));
        helper.startServer(done);
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('turns its user red for a port that does not exist, logs why once, and keeps retrying without crashing', async function () {
        const missing = path.join(tmp, 'no-such-port');
        await helper.load([serialNodes, userNodes], [TAB, portConfig({ path: missing }), user('u1'), user('u2')]);
        const u1 = helper.getNode('u1');
        const statuses = [];
        u1.on('call:status', (call) => statuses.push(call.args[0]));
        const port = helper.getNode('port1');
        await until(() => port.state === 'disconnected', 'the open to fail');
        // 0.5 s, then 1 s: long enough for two retries, each failing the same way.
        await sleep(1700);
        assert.equal(port.state, 'disconnected');
        const last = statuses[statuses.length - 1];
        assert.deepEqual(last, { fill: 'red', shape: 'ring', text: `${missing} disconnected · retrying` });
        const logged = errorsLogged().filter((m) => m.includes(missing));
        assert.equal(logged.length, 1, `logged once, not per retry: ${logged.join(' | ')}`);
        assert.match(logged[0], /^Serial port .*no-such-port: .*No such file or directory/);
        await assert.rejects(port.request('READ'), (/** @type {any} */ err) => err.code === 'offline');
    });

    it('reports a misconfigured port in the log and in its users status', async function () {
        await helper.load([serialNodes, userNodes], [TAB, portConfig({ path: '', baudRate: 12345 }), user('u1')]);
        const u1 = helper.getNode('u1');
        assert.deepEqual(u1.status.lastCall.args[0], {
            fill: 'red',
            shape: 'ring',
            text: 'serial port misconfigured: see the log',
        });
        assert.match(errorsLogged()[0], /misconfigured: no serial port path is set/);
        await assert.rejects(helper.getNode('port1').request('READ'), /misconfigured/);
    });

    it('lists serial ports for the edit dialog, saying where each came from, with or without udevadm', async function () {
        await helper.load([serialNodes, userNodes], [TAB, portConfig(), user('u1')]);
        const res = await helper.request().get('/sensorhub/serial-ports').expect(200);
        assert.ok(Array.isArray(res.body.ports), JSON.stringify(res.body));
        assert.equal(res.body.error, undefined, 'a readable /dev is enough');
        for (const p of res.body.ports) {
            assert.equal(typeof p.path, 'string');
            assert.ok(['serialport', 'dev', 'configured'].includes(p.source), p.source);
        }
        // Without udevadm (containers, CI hides it), serialport's listing fails and the list comes from /dev.
        if (!onPath('udevadm')) {
            assert.match(res.body.serialportFailure, /udevadm/);
            assert.ok(
                res.body.ports.every((p) => p.source !== 'serialport'),
                JSON.stringify(res.body.ports),
            );
        }
    });

    describe('with a device on a pty pair', function () {
        let socat;
        let pty;
        let device;
        before(function () {
            socat = needTool(this, 'socat');
        });
        beforeEach(async function () {
            pty = new PtyPair(socat, tmp);
            await pty.start();
        });
        afterEach(async function () {
            if (device) await device.close();
            if (pty) await pty.stop();
            device = pty = undefined;
        });

        it('opens on the first register, gives users the lines and a green status, and closes on the last deregister', async function () {
            await helper.load(
                [serialNodes, userNodes],
                [TAB, portConfig({ path: pty.devPath }), user('u1'), user('u2')],
            );
            const port = helper.getNode('port1');
            await until(() => port.state === 'open', 'the port to open');
            const u1 = helper.getNode('u1');
            const u2 = helper.getNode('u2');
            assert.deepEqual(u1.status.lastCall.args[0], { fill: 'green', shape: 'dot', text: `${pty.devPath} open` });
            device = new SerialDevice({ port: pty.simPath, mode: 'push', format: 'kv', interval: 10 });
            await device.open();
            await until(() => u1.lines.length >= 3 && u2.lines.length >= 3, 'lines for both users');
            assert.match(u1.lines[0], /^t=[\d.]+,h=\d+\r$/);
            device.sendOversized(4096);
            await until(() => port.stats().oversized === 1, 'the oversized line to be counted');
            await until(() => port.warn.called, 'a warning');
            assert.match(port.warn.lastCall.args[0], /1 line\(s\) longer than 1024 bytes dropped/);
            assert.ok(
                u1.lines.every((l) => l.length <= 1024),
                'the oversized line reached no user',
            );
            assert.equal(port.stats().reconnects, 0);
            await helper.unload();
            assert.equal(port.state, 'closed');
        });

        it('lists the pty link a serial port node is configured with, and not one that is gone', async function () {
            const gone = path.join(tmp, 'gone');
            await helper.load(
                [serialNodes, userNodes],
                [TAB, portConfig({ path: pty.devPath }), { ...portConfig({ path: gone }), id: 'port2' }],
            );
            const res = await helper.request().get('/sensorhub/serial-ports').expect(200);
            const configured = res.body.ports.filter((p) => p.source === 'configured');
            assert.deepEqual(configured, [
                { path: pty.devPath, source: 'configured', target: fs.realpathSync(pty.devPath) },
            ]);
            assert.match(configured[0].target, /^\/dev\/pts\/\d+$/);
        });

        it('answers requests from its users in request mode', async function () {
            device = new SerialDevice({ port: pty.simPath, mode: 'request', format: 'number' });
            await device.open();
            await helper.load(
                [serialNodes, userNodes],
                [TAB, portConfig({ path: pty.devPath, mode: 'request', requestTimeoutMs: 2000 }), user('u1')],
            );
            const port = helper.getNode('port1');
            await until(() => port.state === 'open', 'the port to open');
            const answers = await Promise.all([port.request('READ'), port.request('READ t', 2000)]);
            assert.deepEqual(answers, [`${device.sent[0]}\r`, `${device.sent[1]}\r`]);
        });

        it('follows an unplug and a replug in its users status, with no redeploy', async function () {
            await helper.load([serialNodes, userNodes], [TAB, portConfig({ path: pty.devPath }), user('u1')]);
            const port = helper.getNode('port1');
            const u1 = helper.getNode('u1');
            await until(() => port.state === 'open', 'the port to open');
            await pty.stop();
            await until(() => port.state === 'disconnected', 'the unplug to be noticed');
            await until(() => u1.status.lastCall.args[0].fill === 'red', 'the user to turn red');
            await pty.start();
            await until(() => port.state === 'open', 'the port to reopen by itself');
            assert.equal(u1.status.lastCall.args[0].fill, 'green');
            assert.equal(port.stats().reconnects, 1);
        });
    });
});
