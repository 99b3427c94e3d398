'use strict';
const assert = require('node:assert/strict');
const { until } = require('../helpers/wait');
const {
    helper,
    coreNode,
    version,
    collect,
    errorsLogged,
    TAB,
    sink,
    shipped,
    brokerSuite,
} = require('../helpers/node-red');
const { startBroker, freePort } = require('../fixtures/broker');
const hubNodes = shipped('hub');

function mqttHub(id, url, extra = {}) {
    return {
        id,
        type: 'sensorhub-hub',
        backend: 'mqtt',
        broker: url,
        prefix: 'nodetest',
        qos: '1',
        protocol: '5',
        queueLimit: 1000,
        overflow: 'drop-oldest',
        bufferLimit: 100,
        ...extra,
    };
}

describe(`hub nodes with the mqtt backend on Node-RED ${version}`, function () {
    this.timeout(20000);
    let broker;

    brokerSuite({ users: { hubuser: 'hubpass' } }, { started: (b) => (broker = b) });

    it('refuses a consumer group on an MQTT 3.1.1 hub, and subscribes it on an MQTT 5 hub', async function () {
        const creds = { user: 'hubuser', password: 'hubpass' };
        await helper.load(
            hubNodes,
            [
                TAB,
                mqttHub('hub4', broker.url, { clientId: 'node-test-g4', protocol: '4' }),
                mqttHub('hub5', broker.url, { clientId: 'node-test-g5' }),
                {
                    id: 's4',
                    type: 'sensorhub-subscribe',
                    z: 'f1',
                    hub: 'hub4',
                    patterns: 'job',
                    group: 'w',
                    wires: [[]],
                },
                {
                    id: 's5',
                    type: 'sensorhub-subscribe',
                    z: 'f1',
                    hub: 'hub5',
                    patterns: 'job',
                    group: 'w',
                    wires: [[]],
                },
                { id: 'p5', type: 'sensorhub-publish', z: 'f1', hub: 'hub5', eventType: 'job', wires: [] },
            ],
            { hub4: creds, hub5: creds },
        );
        const hub5 = helper.getNode('hub5');
        await until(() => hub5.connection === 'connected', 'connected');
        assert.ok(
            errorsLogged().some((e) => e.includes('needs an MQTT 5 hub')),
            errorsLogged().join('\n'),
        );
        assert.equal(helper.getNode('hub4').hub.subscriberCount, 0);
        // The share's subscription goes out after the connection's own.
        await new Promise((r) => setTimeout(r, 200));
        helper.getNode('p5').receive({ payload: 1 });
        await until(() => hub5.bridge.stats().groupReceived === 1, 'the event back from the broker, for the group');
        assert.deepEqual(hub5.hub.listShares(), [{ group: 'w', pattern: 'job', members: 1, delivered: 1 }]);
    });

    it('shares events between two hubs on one broker, each delivered once, with credentials', async function () {
        const creds = { user: 'hubuser', password: 'hubpass' };
        await helper.load(
            hubNodes,
            [
                TAB,
                mqttHub('hubA', broker.url, { clientId: 'node-test-a' }),
                mqttHub('hubB', broker.url, { clientId: 'node-test-b' }),
                { id: 'pA', type: 'sensorhub-publish', z: 'f1', hub: 'hubA', eventType: '', wires: [] },
                { id: 'sA', type: 'sensorhub-subscribe', z: 'f1', hub: 'hubA', patterns: '#', wires: [['outA']] },
                { id: 'sB', type: 'sensorhub-subscribe', z: 'f1', hub: 'hubB', patterns: 'home/#', wires: [['outB']] },
                sink('outA'),
                sink('outB'),
            ],
            { hubA: creds, hubB: creds },
        );
        const hubA = helper.getNode('hubA');
        const hubB = helper.getNode('hubB');
        await until(() => hubA.connection === 'connected' && hubB.connection === 'connected', 'both hubs connected');
        await new Promise((r) => setTimeout(r, 100));
        const gotA = collect(helper.getNode('outA'));
        const gotB = collect(helper.getNode('outB'));
        helper.getNode('pA').receive({ topic: 'home/kitchen/temperature', payload: 21.5 });
        helper.getNode('pA').receive({ topic: 'garden/rain', payload: 3 });
        await until(() => gotB.length === 1 && gotA.length === 2, 'deliveries');
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(gotA.length, 2, 'the local subscriber gets each event once, not again through the broker');
        assert.equal(gotB.length, 1, 'only the matching event crosses to the other hub');
        assert.equal(gotB[0].topic, 'home/kitchen/temperature');
        assert.equal(gotB[0].payload, 21.5);
        assert.equal(gotB[0].event.source, 'pA');
    });

    it('reports refused credentials once in the log and shows the hub disconnected', async function () {
        await helper.load(
            hubNodes,
            [
                TAB,
                mqttHub('hubA', broker.url),
                { id: 'pA', type: 'sensorhub-publish', z: 'f1', hub: 'hubA', eventType: 't', wires: [] },
            ],
            { hubA: { user: 'hubuser', password: 'nope' } },
        );
        await until(
            () =>
                errorsLogged().some((m) =>
                    /Broker mqtt:\/\/127\.0\.0\.1:\d+: .*(Not authorized|Bad User Name or Password)/i.test(m),
                ),
            'auth error',
        );
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(errorsLogged().filter((m) => /Broker/.test(m)).length, 1, 'said once, not per retry');
        assert.notEqual(helper.getNode('hubA').connection, 'connected');
    });

    it('leaves one broker connection, no more, after 20 full redeploys', async function () {
        const tcpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
        const flow = [
            TAB,
            mqttHub('hubA', broker.url),
            { id: 'pA', type: 'sensorhub-publish', z: 'f1', hub: 'hubA', eventType: 't', wires: [] },
            { id: 'sA', type: 'sensorhub-subscribe', z: 'f1', hub: 'hubA', patterns: 't', wires: [['out']] },
            sink('out'),
        ];
        const creds = { hubA: { user: 'hubuser', password: 'hubpass' } };
        await helper.load(hubNodes, [TAB], creds);
        const baseline = tcpSockets();
        await helper.setFlows(flow, 'full', creds);
        for (let i = 0; i < 20; i++) {
            await until(() => helper.getNode('hubA').connection === 'connected', `connected (round ${i})`);
            await helper.setFlows(flow, 'full', creds);
        }
        await until(() => helper.getNode('hubA').connection === 'connected', 'connected after the last redeploy');
        await until(
            () => tcpSockets() === baseline + 1,
            `sockets back to baseline + 1 (now ${tcpSockets()}, baseline ${baseline})`,
        );
        await helper.setFlows([TAB], 'full');
        await until(() => tcpSockets() === baseline, 'no broker connection once the hub is gone');
    });

    it('connects over TLS through a tls-config node that trusts the broker certificate', async function () {
        const secure = await startBroker({ tls: true });
        try {
            const tlsNode = coreNode('network/05-tls.js');
            const tlsConfig = {
                id: 'tls1',
                type: 'tls-config',
                cert: '',
                key: '',
                ca: secure.tls.certFile,
                certname: '',
                keyname: '',
                caname: '',
                servername: '',
                verifyservercert: true,
            };
            await helper.load(
                [hubNodes, tlsNode],
                [
                    TAB,
                    tlsConfig,
                    mqttHub('hubA', secure.url, { usetls: true, tls: 'tls1', clientId: 'tls-a' }),
                    mqttHub('hubB', secure.url, { usetls: true, tls: 'tls1', clientId: 'tls-b' }),
                    { id: 'pA', type: 'sensorhub-publish', z: 'f1', hub: 'hubA', eventType: 'secure/t', wires: [] },
                    {
                        id: 'sB',
                        type: 'sensorhub-subscribe',
                        z: 'f1',
                        hub: 'hubB',
                        patterns: 'secure/#',
                        wires: [['out']],
                    },
                    sink('out'),
                ],
            );
            await until(
                () =>
                    helper.getNode('hubA').connection === 'connected' &&
                    helper.getNode('hubB').connection === 'connected',
                'both hubs connected over TLS',
            );
            const got = collect(helper.getNode('out'));
            helper.getNode('pA').receive({ payload: 'over tls' });
            await until(() => got.length === 1, 'the event over TLS');
            assert.equal(got[0].payload, 'over tls');
        } finally {
            await helper.unload();
            await secure.close();
        }
    });

    it('says in the log why, when TLS is on but its tls-config node is missing, and does not connect', async function () {
        await helper.load(hubNodes, [
            TAB,
            mqttHub('hubA', broker.url, { usetls: true, tls: 'gone' }),
            { id: 'pA', type: 'sensorhub-publish', z: 'f1', hub: 'hubA', eventType: 't', wires: [] },
        ]);
        const hubA = helper.getNode('hubA');
        assert.equal(hubA.bridge, undefined);
        assert.ok(
            errorsLogged().some((m) =>
                /Hub configuration is invalid: TLS is on but no TLS configuration is chosen/.test(m),
            ),
            'the status says "see the log": the log must say it',
        );
    });

    it('refuses an invalid broker URL with a clear error, no connection and no crash', async function () {
        await helper.load(hubNodes, [
            TAB,
            mqttHub('hubA', 'localhost:1883'),
            { id: 'pA', type: 'sensorhub-publish', z: 'f1', hub: 'hubA', eventType: 't', wires: [] },
            { id: 'sA', type: 'sensorhub-subscribe', z: 'f1', hub: 'hubA', patterns: 't', wires: [['out']] },
            sink('out'),
        ]);
        const hubA = helper.getNode('hubA');
        assert.equal(hubA.bridge, undefined);
        assert.match(hubA.configError, /scheme must be mqtt/);
        assert.ok(errorsLogged().some((m) => /Hub configuration is invalid: broker URL "localhost:1883"/.test(m)));
        const got = collect(helper.getNode('out'));
        helper.getNode('pA').receive({ payload: 1 });
        await until(() => got.length === 1, 'local delivery still works');
    });

    it('connects with the keep alive it is given, and refuses one that is no whole number of seconds', async function () {
        await helper.load(
            hubNodes,
            [TAB, mqttHub('hubA', broker.url, { keepalive: '7' }), mqttHub('hubB', broker.url, { keepalive: 'soon' })],
            { hubA: { user: 'hubuser', password: 'hubpass' } },
        );
        const hubA = helper.getNode('hubA');
        await until(() => hubA.connection === 'connected', 'hub A connected');
        // What mqtt.js pings by, and what the broker took from CONNECT: 1.5 times it without a word, and A is gone.
        assert.equal(/** @type {any} */ (hubA.bridge).client.options.keepalive, 7);
        const hubB = helper.getNode('hubB');
        assert.equal(hubB.bridge, undefined);
        assert.match(hubB.configError, /keep alive must be a whole number from 0 to 65535/);
        assert.ok(errorsLogged().some((m) => /Hub configuration is invalid: keep alive/.test(m)));
    });

    it('buffers while the broker is unreachable and says so in the status', async function () {
        const port = await freePort();
        await helper.load(hubNodes, [
            TAB,
            mqttHub('hubA', `mqtt://127.0.0.1:${port}`, { bufferLimit: 3 }),
            { id: 'pA', type: 'sensorhub-publish', z: 'f1', hub: 'hubA', eventType: 't', wires: [] },
        ]);
        const pA = helper.getNode('pA');
        const statuses = [];
        pA.on('call:status', (call) => statuses.push(call.args[0]));
        for (let i = 0; i < 5; i++) pA.receive({ payload: i });
        await until(
            () => statuses.some((s) => /broker disconnected · 3 buffered/.test(s.text || '')),
            'disconnected status',
        );
        const s = helper.getNode('hubA').bridge.stats();
        assert.equal(s.buffered, 3);
        assert.equal(s.bufferDropped, 2);
        assert.ok(errorsLogged().some((m) => /ECONNREFUSED/.test(m)));
    });
});
