'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const {
    helper,
    coreNode,
    version,
    sink,
    collect,
    errorsLogged,
    HUB,
    monitorDef,
    TAB,
    catcher,
    shipped,
} = require('../helpers/node-red');
const { until } = require('../helpers/wait');
const { freePort } = require('../fixtures/broker');
const { Device, selfSignedCertificate } = require('../fixtures/device');
const { needTool } = require('../helpers/tools');
const gatewayNodes = shipped('gateway');
const hubNodes = shipped('hub');
const monitorNode = shipped('monitor');

const catchNode = coreNode('common/25-catch.js');
const tlsNode = coreNode('network/05-tls.js');

const TOKENS = { dev1: 'token-of-dev1-0123', dev2: 'token-of-dev2-0123' };
const CREDS = { gw: { tokens: JSON.stringify(TOKENS) } };

function gateway(port, extra = {}) {
    return {
        id: 'gw',
        type: 'sensorhub-gateway',
        z: 'f1',
        name: '',
        host: '127.0.0.1',
        port,
        usetls: false,
        tls: '',
        devices: [
            { id: 'dev1', location: 'hall' },
            { id: 'dev2', location: '' },
        ],
        maxConnections: 10,
        maxLineBytes: 1024,
        rate: 100,
        burst: 100,
        helloTimeout: 5,
        idleTimeout: 60,
        wires: [['readings'], ['events']],
        ...extra,
    };
}

/** The last status the node showed. */
function lastStatus(node) {
    const calls = node.status.getCalls().filter((c) => c.thisValue === node);
    return calls.length > 0 ? calls[calls.length - 1].args[0] : undefined;
}

/** The texts logged at warn level since the flow was loaded. */
function warningsLogged() {
    return helper
        .log()
        .args.filter((a) => a[0].level === helper.log().WARN)
        .map((a) => String(a[0].msg));
}

describe(`sensorhub-gateway on Node-RED ${version}`, function () {
    this.timeout(15000);
    let port;
    const devices = [];
    function device(opts = {}) {
        const d = new Device({ port, id: 'dev1', token: TOKENS.dev1, ...opts });
        devices.push(d);
        return d;
    }
    async function online(opts) {
        const d = device(opts);
        await d.connect();
        const answer = await d.hello();
        assert.equal(answer.type, 'ack', JSON.stringify(answer));
        return d;
    }
    async function loadGateway(extra = {}, creds = CREDS, more = []) {
        await helper.load(
            [gatewayNodes, catchNode, tlsNode],
            [TAB, gateway(port, extra), sink('readings'), sink('events'), catcher(), sink('caught'), ...more],
            creds,
        );
        const gw = helper.getNode('gw');
        await until(() => /online/.test(lastStatus(gw)?.text ?? '') || lastStatus(gw)?.fill === 'red', 'listening');
        return gw;
    }

    beforeEach(async function () {
        port = await freePort();
        await new Promise((resolve) => helper.startServer(resolve));
    });
    afterEach(async function () {
        await Promise.all(devices.splice(0).map((d) => d.destroy()));
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    it('listens on loopback, and sends readings in the contract shape with the device id', async function () {
        const gw = await loadGateway();
        assert.deepEqual(lastStatus(gw), { fill: 'green', shape: 'dot', text: `0 online · 127.0.0.1:${port}` });
        const readings = collect(helper.getNode('readings'));
        const events = collect(helper.getNode('events'));
        const d = await online();
        d.reading(21.5, { ts: Date.now() - 5 });
        d.send({ type: 'reading', sensor: 'door', kind: 'motion', value: true, location: 'porch' });
        await until(() => readings.length === 2, 'two readings');
        const [t, m] = readings;
        assert.equal(t.topic, 'temperature_update');
        assert.equal(t.payload, 21.5);
        assert.deepEqual(t.sensor, { id: 'dev1/t1', kind: 'temperature', location: 'hall', unit: '°C' });
        assert.equal(t.reading.status, 'ok');
        assert.ok(t.reading.latencyMs >= 5);
        assert.equal(t.reading.seq, 1);
        assert.equal(t.deviceId, 'dev1');
        assert.equal(m.topic, 'motion_detected');
        assert.deepEqual(m.sensor, { id: 'dev1/door', kind: 'motion', location: 'porch', unit: '' });
        assert.equal(events[0].topic, 'device_online');
        assert.equal(events[0].deviceId, 'dev1');
        assert.equal(events[0].payload.replaced, false);
        await until(() => lastStatus(gw).text === `1 online · 127.0.0.1:${port}`, 'the status counting the device');
    });

    it('sends device_offline when a device goes, and device_online again when it is back', async function () {
        await loadGateway();
        const events = collect(helper.getNode('events'));
        const d = await online();
        await d.close();
        await until(() => events.some((e) => e.topic === 'device_offline'), 'offline event');
        const off = events.find((e) => e.topic === 'device_offline');
        assert.equal(off.deviceId, 'dev1');
        assert.equal(off.payload.reason, 'disconnected');
        await online();
        await until(() => events.filter((e) => e.topic === 'device_online').length === 2, 'online again');
        assert.equal(events[events.length - 1].payload.connects, 2);
    });

    it('sends a command to the device named in msg.deviceId, and its ack comes out as command_ack', async function () {
        const gw = await loadGateway();
        const events = collect(helper.getNode('events'));
        const d = await online({ autoAck: true });
        const msg = { deviceId: 'dev1', topic: 'light', payload: { state: 'on' } };
        gw.receive(msg);
        const cmd = await d.next((m) => m.type === 'command', 'a command');
        assert.deepEqual(cmd, { type: 'command', id: 1, topic: 'light', payload: { state: 'on' } });
        await until(() => events.some((e) => e.topic === 'command_ack'), 'the ack event');
        assert.deepEqual(events.find((e) => e.topic === 'command_ack').payload, { deviceId: 'dev1', id: 1 });
        gw.receive({ deviceId: 'dev1', commandId: 'mine', payload: 'x' });
        assert.equal((await d.next((m) => m.id === 'mine', 'the second command')).payload, 'x');
    });

    it('broadcasts with msg.deviceId "*" to every connected device', async function () {
        const gw = await loadGateway();
        const a = await online();
        const b = await online({ id: 'dev2', token: TOKENS.dev2 });
        gw.receive({ deviceId: '*', payload: 'sync' });
        const [ca, cb] = await Promise.all([
            a.next((m) => m.type === 'command', 'a command'),
            b.next((m) => m.type === 'command', 'a command'),
        ]);
        assert.equal(ca.payload, 'sync');
        assert.equal(cb.payload, 'sync');
    });

    it('reports a command it cannot deliver through done(err), seen by a catch node', async function () {
        const gw = await loadGateway();
        const caught = collect(helper.getNode('caught'));
        gw.receive({ deviceId: 'dev2', payload: 1 });
        gw.receive({ deviceId: 'ghost', payload: 1 });
        gw.receive({ payload: 1 });
        gw.receive({ deviceId: 'dev1' });
        gw.receive({ deviceId: 'dev1', commandId: { no: 1 }, payload: 1 });
        await until(() => caught.length === 5, 'five errors');
        assert.deepEqual(
            // Node-RED puts the error's toString() in msg.error.message.
            caught.map((m) => m.error.message.replace(/^Error: /, '')),
            [
                'Command to dev2 not sent: device dev2 is not connected',
                'Command to ghost not sent: no device ghost in the device table',
                'msg.deviceId must name the device to send to, or be "*" for every connected device',
                'A command needs a msg.payload to send',
                'msg.commandId must be a string of 1 to 64 characters or a whole number',
            ],
        );
    });

    it('refuses a wrong token: the device is told, the log and the second output say who, the status counts it', async function () {
        const gw = await loadGateway();
        const events = collect(helper.getNode('events'));
        const d = device({ token: 'wrong' });
        await d.connect();
        assert.deepEqual(await d.hello(), {
            type: 'error',
            code: 'auth-failed',
            message: 'unknown device or wrong token',
        });
        await d.closed;
        await until(() => events.some((e) => e.topic === 'gateway_refusal'), 'the refusal event');
        const refusal = events.find((e) => e.topic === 'gateway_refusal');
        assert.equal(refusal.payload.reason, 'auth-failed');
        assert.equal(refusal.payload.message, 'wrong token for device dev1');
        assert.ok(
            warningsLogged().some((w) =>
                /^Refused 127\.0\.0\.1:\d+ \(device dev1\): authentication failed: wrong token for device dev1$/.test(
                    w,
                ),
            ),
            warningsLogged().join('\n'),
        );
        await until(() => /· 1 refused$/.test(lastStatus(gw).text), 'the status with the refusal');
        assert.equal(gw.stats().refused['auth-failed'], 1);
    });

    /** Wrong tokens from this address until it is throttled; the codes the gateway answered. */
    async function guess(times) {
        const codes = [];
        for (let i = 0; i < times; i++) {
            const d = device({ token: 'wrong-token-0123456' });
            await d.connect();
            codes.push((await d.hello()).code);
            await d.closed;
        }
        return codes;
    }

    it('throttles a guesser: refused unchecked, logged once, on the second output, and counted in the monitor', async function () {
        await helper.load(
            [gatewayNodes, hubNodes, monitorNode],
            [
                TAB,
                gateway(port),
                sink('readings'),
                sink('events'),
                HUB,
                monitorDef({ format: 'prometheus', maxTypes: 10 }),
                sink('out'),
            ],
            CREDS,
        );
        const events = collect(helper.getNode('events'));
        const out = collect(helper.getNode('out'));
        const gw = helper.getNode('gw');
        await until(() => /online/.test(lastStatus(gw)?.text ?? ''), 'listening');
        assert.deepEqual(await guess(8), [...new Array(4).fill('auth-failed'), ...new Array(4).fill('auth-throttled')]);
        assert.equal(gw.stats().authChecks, 4);
        await until(() => events.some((e) => e.payload.reason === 'auth-throttled'), 'the throttle on output 2');
        const throttled = warningsLogged().filter((w) => /too many failed hellos/.test(w));
        assert.equal(throttled.length, 1, throttled.join('\n'));
        assert.match(
            throttled[0],
            /^Refused 127\.0\.0\.1:\d+: too many failed hellos: address 127\.0\.0\.1 failed too often: its hellos are refused unchecked for 1 s more$/,
        );
        helper.getNode('m1').receive({});
        await until(() => out.length === 1, 'the metrics');
        const text = out[0].payload;
        assert.match(text, /^sensorhub_gateway_refusals_total\{gateway="gw",name="",reason="auth-throttled"\} 4$/m);
        assert.match(text, /^sensorhub_gateway_refusals_total\{gateway="gw",name="",reason="too-deep"\} 0$/m);
        assert.match(text, /^sensorhub_gateway_auth_checks_total\{gateway="gw",name=""\} 4$/m);
        assert.match(text, /^sensorhub_gateway_throttled_addresses\{gateway="gw",name=""\} 1$/m);
    });

    it('in a runtime set to German names the new refusals in German', async function () {
        helper.settings({ lang: 'de' });
        try {
            await loadGateway();
            await guess(5);
            const d = await online({ id: 'dev2', token: TOKENS.dev2, localAddress: '127.0.0.2' });
            d.sendRaw(`${'['.repeat(40)}\n`);
            await d.next((m) => m.code === 'too-deep', 'the refusal');
            const logged = warningsLogged().join('\n');
            assert.match(logged, /: zu viele fehlgeschlagene hellos: /);
            assert.match(logged, /: JSON zu tief verschachtelt: /);
        } finally {
            helper.settings({ lang: undefined });
        }
    });

    it('uses the tokens from the credentials only: a device without one cannot connect, and the log says so', async function () {
        await loadGateway({}, { gw: { tokens: JSON.stringify({ dev1: TOKENS.dev1 }) } });
        assert.ok(warningsLogged().includes('Gateway: without a token these devices cannot connect: dev2'));
        const d = device({ id: 'dev2', token: '' });
        await d.connect();
        assert.equal((await d.hello('anything')).code, 'auth-failed');
    });

    it('says clearly when its port is in use: red status and an error in the log', async function () {
        const blocker = net.createServer();
        await new Promise((resolve) => blocker.listen(port, '127.0.0.1', () => resolve(undefined)));
        try {
            const gw = await loadGateway();
            assert.deepEqual(lastStatus(gw), { fill: 'red', shape: 'ring', text: `port ${port} in use` });
            assert.ok(
                errorsLogged().some(
                    (m) =>
                        m ===
                        `Gateway cannot listen on 127.0.0.1:${port}: port ${port} is already in use by another program or node; choose another port`,
                ),
                errorsLogged().join('\n'),
            );
            const caught = collect(helper.getNode('caught'));
            gw.receive({ deviceId: 'dev1', payload: 1 });
            await until(() => caught.length === 1, 'the error');
            assert.match(caught[0].error.message, /not listening/);
        } finally {
            await new Promise((resolve) => blocker.close(resolve));
        }
    });

    it('refuses to start on a bad configuration, with a red status, the reason in the log and on input', async function () {
        await helper.load(
            [gatewayNodes, catchNode],
            [TAB, gateway(port, { host: 'not a host' }), catcher(), sink('caught')],
            CREDS,
        );
        const gw = helper.getNode('gw');
        assert.deepEqual(lastStatus(gw), { fill: 'red', shape: 'ring', text: 'not started: see the log' });
        assert.ok(errorsLogged().some((m) => /Gateway not started: host must be an IP address/.test(m)));
        const caught = collect(helper.getNode('caught'));
        gw.receive({ deviceId: 'dev1', payload: 1 });
        await until(() => caught.length === 1, 'the error');
        assert.match(caught[0].error.message, /Gateway not started/);
        const probe = net.connect(port, '127.0.0.1');
        const refused = await new Promise((resolve) => {
            probe.on('error', () => resolve(true));
            probe.on('connect', () => resolve(false));
        });
        probe.destroy();
        assert.ok(refused, 'nothing listens');
    });

    it('refuses to start with TLS on and its tls-config node missing', async function () {
        await helper.load(gatewayNodes, [TAB, gateway(port, { usetls: true, tls: 'gone' })], CREDS);
        assert.ok(
            errorsLogged().some((m) => /Gateway not started: TLS is on but its tls-config node is missing/.test(m)),
        );
    });

    it('closes the server and every connection on redeploy, and listens again on the same port', async function () {
        const flow = [TAB, gateway(port), sink('readings'), sink('events')];
        await helper.load(gatewayNodes, flow, CREDS);
        await until(() => /online/.test(lastStatus(helper.getNode('gw'))?.text ?? ''), 'listening');
        const a = await online();
        const b = await online({ id: 'dev2', token: TOKENS.dev2 });
        const pending = device();
        await pending.connect();
        await helper.setFlows(flow, 'full', CREDS);
        await Promise.all([a.closed, b.closed, pending.closed]);
        assert.equal(a.received[a.received.length - 1].code, 'shutdown');
        const readings = collect(helper.getNode('readings'));
        const again = await online();
        again.reading(20);
        await until(() => readings.length === 1, 'a reading on the new gateway');
        assert.equal(readings[0].reading.seq, 1, 'a new deploy starts counting again');
        await helper.unload();
        await again.closed;
        const reuse = net.createServer();
        await new Promise((resolve, reject) => {
            reuse.once('error', reject);
            reuse.listen(port, '127.0.0.1', () => resolve(undefined));
        });
        await new Promise((resolve) => reuse.close(resolve));
    });

    it('closes a device that stays silent after hello, with the idle timeout configured in seconds', async function () {
        await loadGateway({ idleTimeout: 0.2 });
        const events = collect(helper.getNode('events'));
        const d = await online();
        await d.closed;
        assert.equal(d.received[d.received.length - 1].code, 'idle-timeout');
        await until(() => events.some((e) => e.topic === 'device_offline'), 'offline');
        assert.equal(events.find((e) => e.topic === 'device_offline').payload.reason, 'idle-timeout');
    });

    describe('over TLS', function () {
        let dir;
        let cert;
        const tlsConfig = (extra) => ({
            id: 'tls1',
            type: 'tls-config',
            cert: cert.certFile,
            key: cert.keyFile,
            ca: '',
            certname: '',
            keyname: '',
            caname: '',
            servername: '',
            verifyservercert: false,
            ...extra,
        });

        before(function () {
            needTool(this, 'openssl');
            dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-gateway-node-tls-'));
            cert = selfSignedCertificate(dir);
        });
        after(function () {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        it('serves devices over TLS with the certificate and key of a tls-config node', async function () {
            const gw = await loadGateway({ usetls: true, tls: 'tls1', helloTimeout: 0.5 }, CREDS, [tlsConfig()]);
            assert.equal(lastStatus(gw).text, `0 online · 127.0.0.1:${port} TLS`);
            const readings = collect(helper.getNode('readings'));
            const d = await online({ useTls: true, ca: cert.cert });
            d.reading(19.5);
            await until(() => readings.length === 1, 'a reading over TLS');
            assert.equal(readings[0].payload, 19.5);
            const plain = device();
            await plain.connect();
            await plain.closed;
            assert.equal(plain.received.length, 0, 'a plain TCP client gets nothing');
        });

        it('refuses to start when the tls-config node has no certificate and key for a server', async function () {
            await helper.load(
                [gatewayNodes, tlsNode],
                [
                    TAB,
                    gateway(port, { usetls: true, tls: 'tls1' }),
                    tlsConfig({ cert: '', key: '', ca: cert.certFile }),
                ],
                CREDS,
            );
            assert.ok(
                errorsLogged().some((m) =>
                    /Gateway not started: TLS is on but the tls-config node has no certificate and private key/.test(m),
                ),
                errorsLogged().join('\n'),
            );
        });
    });
});
