'use strict';
// Faults in a whole deployed flow (issue 9): a serial device pulled out and plugged in again, the MQTT broker killed
// and restarted, gateway devices cut with a reset or lost in a black hole, sensors that never answer. For each: the
// rest of the flow keeps running (a heartbeat sensor's readings keep reaching a sink through the hub), the status of
// the nodes involved tells the truth, recovery needs no redeploy, and the counts add up. Timeouts are configured
// short so each fault shows quickly; nothing here measures time.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, coreNode, version, sink, collect, lastStatus, TAB, catcher, shipped } = require('../helpers/node-red');
const { needTool } = require('../helpers/tools');
const { until } = require('../helpers/wait');
const { PtyPair } = require('../fixtures/pty');
const { SerialDevice } = require('../fixtures/serial-device');
const { startBroker, freePort } = require('../fixtures/broker');
const { Device } = require('../fixtures/device');
const { BlackholeRelay } = require('../fixtures/blackhole');
const hubNodes = shipped('hub');
const sensorNodes = shipped('sensor');
const serialNodes = shipped('serial-port');
const fleetNodes = shipped('fleet');
const gatewayNodes = shipped('gateway');

const catchNode = coreNode('common/25-catch.js');
const changeNode = coreNode('function/15-change.js');
const NODES = [hubNodes, sensorNodes, serialNodes, fleetNodes, gatewayNodes, catchNode, changeNode];

const FAST = { latencyMin: 1, latencyMax: 3, seed: 7, noise: 0.2, mean: 21 };

function sensor(id, extra = {}, wires = []) {
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
        interval: 0.02,
        timeout: 1000,
        autoStart: true,
        ...FAST,
        ...extra,
        wires: [wires],
    };
}
const publish = (id, hub) => ({ id, type: 'sensorhub-publish', z: 'f1', hub, eventType: '', wires: [] });
// A change node between a subscriber and its sink: it completes each message, as a real flow does, so the
// subscriber's flow-control window keeps moving (the test helper's own node never completes one).
function subscribed(id, hub, out) {
    return [
        { id, type: 'sensorhub-subscribe', z: 'f1', hub, patterns: '#', wires: [[`${id}-via`]] },
        {
            id: `${id}-via`,
            type: 'change',
            z: 'f1',
            rules: [{ t: 'set', p: 'via', pt: 'msg', to: id, tot: 'str' }],
            wires: [[out]],
        },
        sink(out),
    ];
}
const localHub = (id = 'hub1') => ({ id, type: 'sensorhub-hub', backend: 'local' });
/** The rest of the flow: a sensor publishing through a local hub to a subscriber, its readings collected at `all`. */
function heartbeat(hub = 'hub1', sub = 'sAll', out = 'all') {
    return [sensor('beat', {}, ['pBeat']), publish('pBeat', hub), ...subscribed(sub, hub, out)];
}
const catching = [catcher(), sink('caught')];

const from = (msgs, id) => msgs.filter((m) => m.sensor?.id === id);
const node = (id) => helper.getNode(id);

/** Waits for the heartbeat to go on: `more` readings beyond those seen so far. */
async function stillBeating(all, what, more = 5) {
    const seen = from(all, 'beat').length;
    await until(() => from(all, 'beat').length >= seen + more, `the heartbeat to go on ${what}`);
}

/**
 * Every event a hub accepted is accounted for at each subscriber: delivered, dropped and counted, or still
 * queued. With the flow quiet, every delivery has reached the subscriber's sink.
 */
async function countsAddUp(hubId, subId, out) {
    const hub = node(hubId).hub;
    const sub = hub.listSubscribers().find((s) => s.name === subId);
    await until(() => out.length === sub.delivered, `${subId}: every delivery at its sink`);
    const { published } = hub.stats();
    assert.equal(published, sub.delivered + sub.dropped + sub.queued, `${hubId}: published = delivered + dropped`);
    assert.equal(sub.dropped, 0, 'nothing dropped: no subscriber was overloaded');
}

function tell(command, ids) {
    for (const id of ids) node(id).receive({ command });
}
async function stop(...ids) {
    tell('stop', ids);
}

describe(`faults in a deployed flow on Node-RED ${version}`, function () {
    this.timeout(30000);
    let tmp;
    beforeEach(function (done) {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-faults-'));
        helper.startServer(done);
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    describe('a serial device', function () {
        let socat;
        const cleanup = [];
        before(function () {
            socat = needTool(this, 'socat');
        });
        afterEach(async function () {
            for (const fn of cleanup.splice(0).reverse()) await fn();
        });
        async function pty() {
            const p = new PtyPair(socat, tmp);
            cleanup.push(() => p.stop());
            await p.start();
            return p;
        }
        async function device(p, opts) {
            const d = new SerialDevice({ port: p.simPath, ...opts });
            cleanup.push(() => d.close());
            await d.open();
            return d;
        }

        it('unplugged and plugged in again mid-stream: the flow goes on, the sensor shows it, and takes it back', async function () {
            const p = await pty();
            await helper.load(NODES, [
                TAB,
                localHub(),
                { id: 'port1', type: 'sensorhub-serial-port', path: p.devPath, baudRate: 9600, mode: 'push' },
                sensor('ser', { source: 'serial', serialPort: 'port1', format: 'kv', field: 't' }, ['pSer']),
                publish('pSer', 'hub1'),
                ...heartbeat(),
                ...catching,
            ]);
            const all = collect(node('all'));
            const caught = collect(node('caught'));
            const ser = node('nser');
            const port = node('port1');
            await until(() => port.state === 'open', 'the port to open');
            // A serial line keeps nothing for a reader that has not opened it yet: the device speaks once heard.
            const first = await device(p, { mode: 'push', format: 'kv', interval: 10 });
            await until(() => from(all, 'ser').length >= 5, 'readings from the serial device');

            // Pulled out while it streams: whatever is in the cable is lost, the rest must be exact.
            await p.stop();
            await first.close();
            await until(() => port.state === 'disconnected', 'the unplug to be noticed');
            await until(
                () => lastStatus(ser)?.text === `${p.devPath} disconnected · retrying`,
                'the sensor to show the port gone',
            );
            assert.deepEqual(lastStatus(ser), {
                fill: 'red',
                shape: 'ring',
                text: `${p.devPath} disconnected · retrying`,
            });
            await stillBeating(all, 'while the device is unplugged');
            const beforeReplug = from(all, 'ser').length;

            await p.start();
            await until(() => port.state === 'open', 'the port to reopen by itself');
            const second = await device(p, { mode: 'push', format: 'kv', interval: 10 });
            await until(() => from(all, 'ser').length >= beforeReplug + 5, 'readings again after the replug');
            await until(() => lastStatus(ser)?.fill === 'green', 'the sensor green again');
            assert.match(lastStatus(ser).text, /^\d+\.\d °C$/);
            assert.equal(port.stats().reconnects, 1);

            second.stopTimer();
            await second.drain();
            await until(() => from(all, 'ser').length === beforeReplug + second.sent.length, 'the last lines');
            // In order, none twice, none invented: a prefix of what the first device sent, then all the second sent.
            const got = from(all, 'ser').map((m) => m.payload);
            assert.deepEqual(got.slice(0, beforeReplug), first.sent.slice(0, beforeReplug));
            assert.deepEqual(got.slice(beforeReplug), second.sent);
            assert.deepEqual(
                from(all, 'ser').map((m) => m.reading.seq),
                got.map((_, i) => i + 1),
                'a reading per line received, numbered on',
            );
            assert.deepEqual(caught, [], 'no cut line came out as a bad reading');
            await stop('nbeat');
            await countsAddUp('hub1', 'sAll', all);
        });

        it('that never answers, beside a sensor that hangs and a fleet with one hung member: the others go on, the hung ones report timeout, no cycle stalls', async function () {
            const p = await pty();
            const dev = await device(p, { mode: 'request', format: 'number' });
            dev.silent = Number.MAX_SAFE_INTEGER;
            // Started once collected (here and the fleet): a first serial read fails at once, before the port has
            // opened, and must be seen.
            const hung = { timeout: 100, interval: 0.25, autoStart: false };
            const rows = [
                { id: 'f1', kind: 'temperature', location: 'a', source: 'simulated', command: '' },
                { id: 'fx', kind: 'temperature', location: 'b', source: 'serial', command: '' },
                { id: 'f2', kind: 'humidity', location: 'c', source: 'simulated', command: '' },
            ];
            await helper.load(NODES, [
                TAB,
                localHub(),
                {
                    id: 'port1',
                    type: 'sensorhub-serial-port',
                    path: p.devPath,
                    baudRate: 9600,
                    mode: 'request',
                    requestTimeoutMs: 100,
                },
                sensor('slow', { ...hung, latencyMin: 60000, latencyMax: 60000 }, ['pAll']),
                sensor(
                    'mute',
                    { ...hung, source: 'serial', serialPort: 'port1', command: 'READ {{id}}', format: 'number' },
                    ['pAll'],
                ),
                {
                    id: 'fleet1',
                    type: 'sensorhub-fleet',
                    z: 'f1',
                    sensorSource: 'table',
                    sensors: rows,
                    interval: 0.25,
                    timeout: 100,
                    concurrency: 0,
                    output: 'stream',
                    latencyMin: 1,
                    latencyMax: 3,
                    failureRate: 0,
                    seed: 11,
                    breakerFailures: 3,
                    breakerBase: 0.2,
                    breakerMax: 0.4,
                    serialPort: 'port1',
                    command: 'READ {{id}}',
                    format: 'number',
                    autoStart: false,
                    wires: [['pAll'], ['fails'], ['stats']],
                },
                publish('pAll', 'hub1'),
                sink('fails'),
                sink('stats'),
                ...heartbeat(),
                ...catching,
            ]);
            const all = collect(node('all'));
            const caught = collect(node('caught'));
            const fails = collect(node('fails'));
            const stats = collect(node('stats'));
            for (const id of ['nslow', 'nmute', 'fleet1']) node(id).receive({ command: 'start' });

            await until(
                () =>
                    from(caught, 'slow').length >= 3 &&
                    from(caught, 'mute').length >= 3 &&
                    from(fails, 'fx').length >= 4 &&
                    stats.some((s) => s.payload.quarantined === 1),
                'the hung ones to time out, again and again, and the fleet to quarantine its hung member',
            );
            await stillBeating(all, 'while sensors hang');
            assert.ok(from(caught, 'slow').every((m) => m.reading.status === 'timeout'));
            assert.match(from(caught, 'slow')[0].error.message, /Sensor slow: timeout: no reading within 100 ms$/);
            // A serial read asked for before the port has opened is offline, and says so; then every one times out.
            const serialFailures = (msgs) => {
                const statuses = msgs.map((m) => m.reading.status).join(' ');
                assert.match(statuses, /^(offline )*timeout( timeout)*$/);
            };
            serialFailures(from(caught, 'mute'));
            serialFailures(from(fails, 'fx'));
            assert.match(from(caught, 'mute').at(-1).error.message, /Sensor mute: timeout: no reading within 100 ms$/);
            // Status redraws are throttled to one a second: wait for it rather than read it at once. On a loaded
            // machine a late tick can find the last read still running, and the status counts it as skipped.
            for (const id of ['slow', 'mute']) {
                const shown = () => lastStatus(node(`n${id}`));
                await until(() => /^timeout( · \d+ skipped)?$/.test(shown()?.text ?? ''), `${id} to show timeout`);
                assert.deepEqual([shown().fill, shown().shape], ['red', 'ring']);
            }
            // No cycle waits for the hung member: every cycle ends, and the others are read in each.
            const cycles = stats.map((s) => s.payload);
            assert.deepEqual(
                cycles.map((c) => c.cycle),
                cycles.map((_, i) => i + 1),
            );
            for (const c of cycles) {
                assert.equal(c.sensors, c.reads + c.quarantined);
                assert.equal(c.reads, c.ok + c.failed);
                assert.equal(c.failed, c.offline + c.timeout);
                assert.equal(c.ok, 2, `cycle ${c.cycle}: both healthy members read`);
            }
            await until(
                () => /^2\/3 ok · \d+ ms/.test(lastStatus(node('fleet1'))?.text ?? ''),
                'the fleet to show its hung member',
            );
            assert.equal(lastStatus(node('fleet1')).fill, 'yellow');

            // The device answers again: the serial sensor and the fleet member come back by themselves.
            dev.silent = 0;
            await until(() => from(all, 'mute').length >= 2, 'readings from the serial sensor again');
            await until(() => lastStatus(node('nmute'))?.fill === 'green', 'the serial sensor green again');
            await until(() => from(all, 'fx').length >= 2, 'the fleet member back');
            await until(() => stats.at(-1).payload.ok === 3, 'a whole cycle ok');
            await until(() => lastStatus(node('fleet1'))?.fill === 'green', 'the fleet green again');

            await stop('nbeat', 'nslow', 'nmute', 'fleet1');
            // Every read attempt came out once, as a reading or as a failure, numbered without a gap.
            const attempts = (id) =>
                [...from(all, id), ...from(caught, id), ...from(fails, id)]
                    .map((m) => m.reading.seq)
                    .sort((a, b) => a - b);
            for (const id of ['slow', 'mute', 'fx', 'f1', 'f2']) {
                await until(() => {
                    const seqs = attempts(id);
                    return seqs.every((s, i) => s === i + 1);
                }, `${id}: each attempt reported once`);
            }
            assert.equal(from(all, 'slow').length, 0);
            await countsAddUp('hub1', 'sAll', all);
        });
    });

    describe('the MQTT broker', function () {
        let broker;
        before(async function () {
            needTool(this, 'mosquitto');
            broker = await startBroker({ persistence: true });
        });
        after(async function () {
            if (broker) await broker.close();
        });

        it('killed and restarted mid-stream at QoS 1: nothing lost, publishers in order, status follows, no redeploy', async function () {
            this.timeout(120000);
            const mqttHub = (id, clientId) => ({
                id,
                type: 'sensorhub-hub',
                backend: 'mqtt',
                broker: broker.url,
                clientId: `${clientId}-${process.pid}-${version}`,
                prefix: 'faults',
                qos: '1',
                protocol: '5',
                queueLimit: 1000,
                overflow: 'drop-oldest',
                bufferLimit: 10000,
            });
            await helper.load(NODES, [
                TAB,
                mqttHub('hubA', 'faults-a'),
                mqttHub('hubB', 'faults-b'),
                sensor('s1', { interval: 0.05, autoStart: false }, ['pA', 'sent']),
                sensor('s2', { interval: 0.05, autoStart: false, kind: 'humidity', unit: '' }, ['pA', 'sent']),
                publish('pA', 'hubA'),
                sink('sent'),
                ...subscribed('sB', 'hubB', 'got'),
                localHub(),
                ...heartbeat(),
            ]);
            const sent = collect(node('sent'));
            const got = collect(node('got'));
            const all = collect(node('all'));
            const hubA = node('hubA');
            const hubB = node('hubB');
            await until(() => hubA.connection === 'connected' && hubB.connection === 'connected', 'both connected');
            // The broker keeps hubB's session from here on, as a broker with autosave would.
            await broker.save();
            // Publishing starts once hubB has subscribed: before that, the broker has nobody to keep an event for.
            tell('start', ['ns1', 'ns2']);
            await until(() => from(got, 's1').length >= 5 && from(got, 's2').length >= 5, 'events across the broker');

            // Killed (SIGKILL) when all sent so far had crossed: what a killed broker held only in memory is lost
            // with it, and that is the broker's to promise. The publishers pause for that moment (on a loaded machine
            // a running stream is seldom caught with nothing in flight) and go on at once, before the hubs notice.
            await stop('ns1', 'ns2');
            await until(() => got.length === sent.length, 'the stream to have crossed so far');
            await broker.kill();
            tell('start', ['ns1', 'ns2']);
            await until(() => hubA.connection !== 'connected', 'the publishing hub to notice');
            await until(() => hubA.bridge.stats().buffered >= 10, 'events buffered while the broker is away');
            await until(
                () => /^broker disconnected · \d+ buffered$/.test(lastStatus(node('pA'))?.text ?? ''),
                'the publish node to show the broker gone',
            );
            assert.equal(lastStatus(node('pA')).fill, 'red');
            await until(() => lastStatus(node('sB'))?.fill === 'red', 'the subscriber to show it too');
            await stillBeating(all, 'while the broker is down');

            await broker.restart();
            // The hubs retry with a backoff that doubles up to 30 s: the longer a loaded machine took to get here,
            // the longer the wait for their next attempt.
            await until(
                () => hubA.connection === 'connected' && hubB.connection === 'connected',
                'both hubs back by themselves',
                45000,
            );
            await until(() => lastStatus(node('pA'))?.fill === 'green', 'the publish node green again');
            await until(() => lastStatus(node('sB'))?.fill === 'green', 'the subscriber green again');
            await stop('ns1', 'ns2');
            await until(() => got.length === sent.length, 'every event across', 30000);
            for (const id of ['s1', 's2']) {
                assert.deepEqual(
                    from(got, id).map((m) => m.reading.seq),
                    from(sent, id).map((m) => m.reading.seq),
                    `${id}: every event once, in the order published`,
                );
            }
            const a = hubA.bridge.stats();
            assert.equal(a.bufferDropped, 0);
            assert.equal(a.buffered, 0);
            assert.ok(a.reconnects >= 1);
            assert.equal(hubB.bridge.stats().received, got.length, 'received = delivered: none dropped');
            await stop('nbeat');
            await countsAddUp('hubB', 'sB', got);
            await countsAddUp('hub1', 'sAll', all);
        });
    });

    describe('a gateway device that goes without a FIN', function () {
        const TOKENS = { dev1: 'token-of-dev1-0123', dev2: 'token-of-dev2-0123' };
        const devices = [];
        const timers = [];
        let relay;
        let port;
        beforeEach(async function () {
            port = await freePort();
        });
        afterEach(async function () {
            for (const t of timers.splice(0)) clearInterval(t);
            await Promise.all(devices.splice(0).map((d) => d.destroy()));
            if (relay) await relay.close();
            relay = undefined;
        });

        async function load() {
            await helper.load(
                NODES,
                [
                    TAB,
                    localHub(),
                    {
                        id: 'gw',
                        type: 'sensorhub-gateway',
                        z: 'f1',
                        host: '127.0.0.1',
                        port,
                        usetls: false,
                        devices: [
                            { id: 'dev1', location: 'hall' },
                            { id: 'dev2', location: 'cellar' },
                        ],
                        maxConnections: 10,
                        maxLineBytes: 1024,
                        rate: 1000,
                        burst: 1000,
                        helloTimeout: 1,
                        idleTimeout: 0.3,
                        wires: [['pGw'], ['events']],
                    },
                    publish('pGw', 'hub1'),
                    sink('events'),
                    ...heartbeat(),
                ],
                { gw: { tokens: JSON.stringify(TOKENS) } },
            );
            const seen = { all: collect(node('all')), events: collect(node('events')) };
            await until(() => /online/.test(lastStatus(node('gw'))?.text ?? ''), 'the gateway listening');
            return seen;
        }
        /** A device that says hello (through `via`, a port) and then sends readings 1, 2, 3… every 10 ms. */
        async function online(id, via = port, first = 1) {
            const d = /** @type {import('../fixtures/device').Device & { values: number[], halt: () => void }} */ (
                new Device({ port: via, id, token: TOKENS[id] })
            );
            devices.push(d);
            await d.connect();
            assert.equal((await d.hello()).type, 'ack');
            d.values = [];
            let n = first;
            const t = setInterval(() => {
                if (d.isClosed) return;
                d.values.push(n);
                d.reading(n++);
            }, 10);
            timers.push(t);
            d.halt = () => clearInterval(t);
            return d;
        }
        const values = (all, dev) => all.filter((m) => m.deviceId === dev).map((m) => m.payload);
        const status = () => lastStatus(node('gw'))?.text ?? '';

        /**
         * A device's readings in the flow are, in order and none twice: a prefix of what its lost connection sent
         * (the rest went down with it), then everything its new connection sent.
         */
        async function exact(all, lost, back) {
            back.halt();
            const id = back.id;
            await until(() => values(all, id).at(-1) === back.values.at(-1), `${id}: its last reading`);
            const got = values(all, id);
            const cut = got.length - back.values.length;
            assert.deepEqual(got.slice(cut), back.values);
            assert.deepEqual(got.slice(0, cut), lost.values.slice(0, cut));
        }

        it('reset (RST, no FIN): marked offline at once, the other device and the flow go on, and it is taken back', async function () {
            const { all, events } = await load();
            const d1 = await online('dev1');
            const d2 = await online('dev2');
            await until(() => values(all, 'dev1').length >= 5 && values(all, 'dev2').length >= 5, 'readings');
            await until(() => status() === `2 online · 127.0.0.1:${port}`, 'two online');

            d1.halt();
            /** @type {import('node:net').Socket} */ (d1.socket).resetAndDestroy();
            await until(() => events.some((e) => e.topic === 'device_offline'), 'dev1 offline');
            const off = events.find((e) => e.topic === 'device_offline');
            assert.equal(off.deviceId, 'dev1');
            assert.equal(off.payload.reason, 'disconnected');
            await until(() => status() === `1 online · 127.0.0.1:${port}`, 'the status to count one');
            const seen2 = values(all, 'dev2').length;
            await until(() => values(all, 'dev2').length >= seen2 + 5, 'dev2 to go on');
            await stillBeating(all, 'after the reset');

            const back = await online('dev1', port, 1001);
            await until(() => status() === `2 online · 127.0.0.1:${port}`, 'two online again');
            const again = events.filter((e) => e.topic === 'device_online' && e.deviceId === 'dev1');
            assert.deepEqual(
                again.map((e) => [e.payload.connects, e.payload.replaced]),
                [
                    [1, false],
                    [2, false],
                ],
            );
            await until(() => values(all, 'dev1').some((v) => v > 1000), 'readings from dev1 again');
            await exact(all, d1, back);
            d2.halt();
            await stop('nbeat');
            await until(() => all.length === node('gw').stats().readings + from(all, 'beat').length, 'all readings');
            await countsAddUp('hub1', 'sAll', all);
        });

        it('lost in a black hole (no FIN, no reset, nothing): found out by the idle timeout, the rest goes on, and it is taken back', async function () {
            const { all, events } = await load();
            relay = new BlackholeRelay({ host: '127.0.0.1', port });
            const via = await relay.listen();
            const d1 = await online('dev1', via);
            const d2 = await online('dev2');
            await until(() => values(all, 'dev1').length >= 5 && values(all, 'dev2').length >= 5, 'readings');
            await until(() => status() === `2 online · 127.0.0.1:${port}`, 'two online');

            relay.blackhole();
            await until(() => events.some((e) => e.topic === 'device_offline'), 'dev1 offline', 5000);
            const off = events.find((e) => e.topic === 'device_offline');
            assert.equal(off.deviceId, 'dev1');
            assert.equal(off.payload.reason, 'idle-timeout');
            assert.ok(!d1.isClosed, 'the device itself has noticed nothing');
            await until(() => status() === `1 online · 127.0.0.1:${port} · 1 refused`, 'the status to count one');
            const seen2 = values(all, 'dev2').length;
            await until(() => values(all, 'dev2').length >= seen2 + 5, 'dev2 to go on');
            await stillBeating(all, 'while dev1 is in the black hole');

            // The cable is back: the gateway hung up long ago, so the device learns its connection is dead…
            relay.restore();
            await d1.closed;
            d1.halt();
            // …and connects again, through the same cable.
            const back = await online('dev1', via, 1001);
            await until(() => status() === `2 online · 127.0.0.1:${port} · 1 refused`, 'two online again');
            await until(() => values(all, 'dev1').some((v) => v > 1000), 'readings from dev1 again');
            await exact(all, d1, back);
            assert.deepEqual(
                events.filter((e) => e.deviceId === 'dev1' && e.topic.startsWith('device_')).map((e) => e.topic),
                ['device_online', 'device_offline', 'device_online'],
            );
            assert.equal(node('gw').stats().refused['idle-timeout'], 1);
            d2.halt();
            await stop('nbeat');
            await until(() => all.length === node('gw').stats().readings + from(all, 'beat').length, 'all readings');
            await countsAddUp('hub1', 'sAll', all);
        });
    });
});
