'use strict';
const { StepClock } = require('../helpers/fake-clock');
const assert = require('node:assert/strict');
const { Gateway } = require('../../src/core/gateway/session');
const { fieldsOf } = require('../helpers/types');

const FakeClock = StepClock;

/** A connection as the gateway sees it: what it writes is parsed into `sent`; end/destroy close it at once. */
class FakeTransport {
    constructor(gateway, remote) {
        this.gateway = gateway;
        this.remote = remote;
        this.sent = [];
        this.writableLength = 0;
        this.ended = false;
        this.destroyed = false;
        this.session = undefined;
    }
    write(text) {
        assert.equal(text.indexOf('\n'), text.length - 1, 'one line per write');
        this.sent.push(JSON.parse(text));
    }
    end() {
        this.ended = true;
        this.closeNow();
    }
    destroy() {
        this.destroyed = true;
        this.closeNow();
    }
    closeNow() {
        if (this.session && !this.gone) {
            this.gone = true;
            this.gateway.disconnected(this.session);
        }
    }
    get closed() {
        return this.ended || this.destroyed;
    }
    /** Sends raw text (a string or Buffer) as one chunk. */
    raw(text) {
        this.gateway.receive(this.session, Buffer.isBuffer(text) ? text : Buffer.from(text));
    }
    send(obj) {
        this.raw(`${JSON.stringify(obj)}\n`);
    }
    hello(device = 'dev1', token = 'token-of-dev1-xyz') {
        this.send({ type: 'hello', device, token });
        return this.sent[this.sent.length - 1];
    }
    reading(extra = {}) {
        this.send({ type: 'reading', sensor: 't1', kind: 'temperature', value: 21.5, ...extra });
    }
    errors() {
        return this.sent.filter((m) => m.type === 'error').map((m) => m.code);
    }
}

const LIMITS = {
    maxConnections: 10,
    maxLineBytes: 256,
    messagesPerSecond: 10,
    burst: 5,
    helloTimeoutMs: 1000,
    idleTimeoutMs: 5000,
    maxOutboundBytes: 4096,
};

/**
 * @template {keyof import('../../src/core/gateway/session').GatewayListener} K
 * @typedef {Parameters<import('../../src/core/gateway/session').GatewayListener[K]>} Told
 */
/** @typedef {{ readings: Told<'reading'>[0][], online: Told<'online'>[0][], offline: Told<'offline'>[0][], refusals: Told<'refusal'>[0][], acks: { deviceId: Told<'commandAck'>[0], id: Told<'commandAck'>[1] }[] }} Events */

function setup(limits = {}, devices) {
    const clock = new FakeClock();
    /** @type {Events} */
    const events = { readings: [], online: [], offline: [], refusals: [], acks: [] };
    const gateway = new Gateway({
        devices: devices ?? [
            { id: 'dev1', token: 'token-of-dev1-xyz', location: 'hall' },
            { id: 'dev2', token: 'token-of-dev2-xyz', location: '' },
            { id: 'mute', token: undefined, location: '' },
        ],
        limits: { ...LIMITS, ...limits },
        clock,
        refusalWindowMs: 10_000,
        listener: {
            reading: (m) => events.readings.push(m),
            online: (e) => events.online.push(e),
            offline: (e) => events.offline.push(e),
            refusal: (r) => events.refusals.push(r),
            commandAck: (deviceId, id) => events.acks.push({ deviceId, id }),
        },
    });
    let port = 40000;
    const connect = (address = '10.0.0.2') => {
        const t = new FakeTransport(gateway, `${address}:${port++}`);
        t.session = gateway.connect(t);
        return t;
    };
    return { clock, events, gateway, connect };
}

describe('core/gateway-session', function () {
    describe('hello', function () {
        it('welcomes a device with its token, tells it the limits, and reports it online', function () {
            const { events, gateway, connect } = setup();
            const t = connect();
            t.send({ type: 'hello', device: 'dev1', token: 'token-of-dev1-xyz', id: 'h1' });
            assert.deepEqual(t.sent, [
                {
                    type: 'ack',
                    for: 'hello',
                    id: 'h1',
                    device: 'dev1',
                    v: 1,
                    limits: { maxLineBytes: 256, messagesPerSecond: 10, burst: 5, idleTimeoutMs: 5000 },
                },
            ]);
            assert.equal(events.online.length, 1);
            assert.deepEqual(
                { ...events.online[0], ts: 0 },
                { deviceId: 'dev1', remote: '10.0.0.2:40000', ts: 0, replaced: false, connects: 1 },
            );
            assert.ok(gateway.isOnline('dev1'));
            assert.equal(gateway.stats().devicesOnline, 1);
        });

        it('refuses a wrong token, an unknown device and a device without a token alike, and closes', function () {
            const { events, gateway, connect } = setup();
            const attempts = [
                ['dev1', 'wrong'],
                ['nobody', 'token-of-dev1-xyz'],
                ['mute', 'anything'],
            ];
            for (const [device, token] of attempts) {
                const t = connect();
                const answer = t.hello(device, token);
                assert.deepEqual(answer, {
                    type: 'error',
                    code: 'auth-failed',
                    message: 'unknown device or wrong token',
                });
                assert.ok(t.ended, 'closed after telling why');
            }
            assert.equal(events.online.length, 0);
            assert.equal(gateway.stats().refused['auth-failed'], 3);
            // The log is told which, the device is not.
            assert.equal(events.refusals.length, 1, 'the rest summed up in the window');
            assert.equal(events.refusals[0].detail.message, 'wrong token for device dev1');
            assert.equal(events.refusals[0].detail.deviceId, 'dev1');
        });

        it('closes a connection whose first line is not a hello, whatever it is', function () {
            const { gateway, connect } = setup();
            for (const first of [
                '{"type":"reading","sensor":"t1","kind":"temperature","value":1}\n',
                'garbage\n',
                '{"type":"hello","device":"dev1"}\n',
            ]) {
                const t = connect();
                t.raw(first);
                assert.deepEqual(t.errors(), ['hello-required']);
                assert.ok(t.ended);
            }
            assert.equal(gateway.stats().refused['hello-required'], 3);
        });

        it('reads nothing more after a refused hello, even in the same chunk', function () {
            const { events, connect } = setup();
            const t = connect();
            t.raw(
                '{"type":"hello","device":"dev1","token":"wrong"}\n{"type":"hello","device":"dev1","token":"token-of-dev1-xyz"}\n',
            );
            assert.deepEqual(t.errors(), ['auth-failed']);
            assert.equal(events.online.length, 0);
        });

        it('refuses a second hello on the same connection but keeps it', function () {
            const { connect } = setup();
            const t = connect();
            t.hello();
            t.hello();
            assert.deepEqual(t.errors(), ['already-authenticated']);
            assert.ok(!t.closed);
        });
    });

    describe('failed hellos', function () {
        const WRONG = 'not-the-token-xyz';

        /** One connection from `address` saying hello; its answer, or the refusal at connect. */
        function attempt(connect, address, device = 'dev1', token = WRONG) {
            const t = connect(address);
            if (!t.session) return t.sent[0];
            return t.hello(device, token);
        }

        it('throttles one address after three failures: 1 s, 2 s, 4 s… up to a minute, the token not even checked meanwhile', function () {
            const { clock, gateway, connect, events } = setup();
            const codes = [];
            for (let i = 0; i < 4; i++) codes.push(attempt(connect, '10.0.0.9').code);
            assert.deepEqual(codes, ['auth-failed', 'auth-failed', 'auth-failed', 'auth-failed']);
            const penalties = [];
            for (let n = 0; n < 9; n++) {
                // Hammering during the penalty: turned away at connect, uncounted, and not prolonging it.
                const started = clock.now();
                let refused = 0;
                while (attempt(connect, '10.0.0.9').code === 'auth-throttled') {
                    refused++;
                    clock.advance(250);
                }
                assert.ok(refused > 0);
                penalties.push(clock.now() - started);
            }
            assert.deepEqual(penalties, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
            assert.equal(gateway.stats().authChecks, 4 + 9);
            assert.equal(gateway.stats().throttledAddresses, 1);
            // The right token from the throttled address waits too: otherwise the guess that hits would get in.
            assert.equal(attempt(connect, '10.0.0.9', 'dev1', 'token-of-dev1-xyz').code, 'auth-throttled');
            // Another address, another device: unaffected.
            assert.equal(attempt(connect, '10.0.0.3', 'dev2', 'token-of-dev2-xyz').type, 'ack');
            assert.equal(events.online.length, 1);
            // Logged once per kind, then summed up once per 10 s: the log names the penalty to come.
            assert.deepEqual(
                events.refusals.slice(0, 2).map((r) => r.reason),
                ['auth-failed', 'auth-throttled'],
            );
            const { refused } = gateway.stats();
            assert.ok(refused['auth-throttled'] > 900, `${refused['auth-throttled']} throttled`);
            assert.ok(events.refusals.length < 60, `${events.refusals.length} log lines`);
            clock.advance(10_000);
            const summary = events.refusals.filter((r) => r.reason === 'auth-failed').pop();
            assert.equal(fieldsOf(summary).detail.message, 'wrong token for device dev1; further hellos wait 60 s');
        });

        it('refuses a hello that arrives during the penalty on a connection opened before it', function () {
            const { gateway, connect } = setup();
            const early = connect('10.0.0.9');
            for (let i = 0; i < 4; i++) attempt(connect, '10.0.0.9');
            assert.equal(early.hello('dev1', 'token-of-dev1-xyz').code, 'auth-throttled');
            assert.ok(early.ended);
            assert.equal(gateway.stats().authChecks, 4);
        });

        it('throttles one device id guessed from many addresses, but not that device from an address it said hello from, nor another device', function () {
            const { clock, gateway, connect, events } = setup();
            connect('10.0.0.2').hello();
            for (let i = 0; i < 6; i++) assert.equal(attempt(connect, `10.1.0.${i}`).code, 'auth-failed');
            assert.equal(attempt(connect, '10.1.1.1').code, 'auth-throttled');
            assert.equal(attempt(connect, '10.1.1.2', 'dev1', 'token-of-dev1-xyz').code, 'auth-throttled');
            assert.equal(gateway.stats().throttledDevices, 1);
            assert.equal(attempt(connect, '10.1.1.3', 'dev2', 'token-of-dev2-xyz').type, 'ack');
            assert.equal(attempt(connect, '10.0.0.2', 'dev1', 'token-of-dev1-xyz').type, 'ack');
            assert.deepEqual(
                events.online.map((e) => e.remote.replace(/:\d+$/, '')),
                ['10.0.0.2', '10.1.1.3', '10.0.0.2'],
            );
            // After the penalty the device gets in from anywhere, and its good hello clears the count.
            clock.advance(1000);
            assert.equal(attempt(connect, '10.1.1.4', 'dev1', 'token-of-dev1-xyz').type, 'ack');
            assert.equal(attempt(connect, '10.1.1.5').code, 'auth-failed');
        });

        it('throttles ids not in the table together, so a refusal does not tell whether an id exists', function () {
            const { gateway, connect } = setup();
            for (let i = 0; i < 6; i++) assert.equal(attempt(connect, `10.1.0.${i}`, `nobody${i}`).code, 'auth-failed');
            assert.equal(attempt(connect, '10.1.1.1', 'someone-else').code, 'auth-throttled');
            assert.equal(gateway.stats().throttledDevices, 1);
        });

        it('holds a guesser hammering for a minute to a handful of token checks, from one address or from a hundred', function () {
            for (const addresses of [1, 100]) {
                const { clock, gateway, connect } = setup();
                for (let ms = 0, i = 0; ms < 60_000; ms += 5, i++) {
                    attempt(connect, `10.2.0.${i % addresses}`);
                    clock.advance(5);
                }
                const checks = gateway.stats().authChecks;
                assert.ok(checks <= 12, `${checks} of 12,000 hellos checked from ${addresses} address(es)`);
                assert.equal(gateway.stats().refused['auth-failed'], checks);
            }
        });

        it('forgets the failures of an address that stops failing for a quarter of an hour', function () {
            const { clock, connect } = setup();
            for (let i = 0; i < 4; i++) attempt(connect, '10.0.0.9');
            clock.advance(15 * 60_000);
            for (let i = 0; i < 3; i++) assert.equal(attempt(connect, '10.0.0.9').code, 'auth-failed');
        });
    });

    describe('readings', function () {
        it('turns a reading into a message of the reading contract, with the device id', function () {
            const { clock, events, connect } = setup();
            const t = connect();
            t.hello();
            clock.advance(50);
            t.reading({ ts: clock.now() - 12.5, id: 9 });
            assert.equal(events.readings.length, 1);
            const msg = events.readings[0];
            assert.deepEqual(msg, {
                topic: 'temperature_update',
                payload: 21.5,
                sensor: { id: 'dev1/t1', kind: 'temperature', location: 'hall', unit: '°C' },
                reading: { status: 'ok', ts: clock.now() - 12.5, latencyMs: 12.5, seq: 1 },
                deviceId: 'dev1',
            });
            assert.deepEqual(t.sent[t.sent.length - 1], { type: 'ack', for: 'reading', id: 9 });
        });

        it('stamps a reading without ts with its arrival, and takes unit and location from the device', function () {
            const { clock, events, connect } = setup();
            const t = connect();
            t.hello('dev2', 'token-of-dev2-xyz');
            t.send({ type: 'reading', sensor: 'h', kind: 'humidity', value: 40 });
            t.send({ type: 'reading', sensor: 'p', kind: 'generic', value: 1013, unit: 'hPa', location: 'roof' });
            t.send({ type: 'reading', sensor: 'm', kind: 'motion', value: 1 });
            t.reading({ unit: '°F', value: 70 });
            const [h, p, m, f] = events.readings;
            assert.equal(h.reading.ts, clock.now());
            assert.equal(h.reading.latencyMs, 0);
            assert.deepEqual(h.sensor, { id: 'dev2/h', kind: 'humidity', location: '', unit: '%' });
            assert.equal(h.topic, 'humidity_update');
            assert.deepEqual(p.sensor, { id: 'dev2/p', kind: 'generic', location: 'roof', unit: 'hPa' });
            assert.equal(p.topic, 'sensor_update');
            assert.equal(m.payload, true);
            assert.equal(m.topic, 'motion_detected');
            assert.equal(f.payload, 70, 'a value is passed in the unit the device names, not converted');
            assert.equal(f.sensor.unit, '°F');
            assert.deepEqual(t.sent.slice(1), [], 'no ack unless asked for with an id');
        });

        it('refuses malformed JSON, bad values and unknown types, keeps the connection, and counts each', function () {
            const { events, gateway, connect } = setup({ burst: 100 });
            const t = connect();
            t.hello();
            t.raw('{"type":"reading",\n');
            t.reading({ value: 'hot', id: 'r1' });
            t.send({ type: 'reboot' });
            t.raw('[1,2]\n');
            t.reading();
            assert.deepEqual(t.errors(), ['bad-json', 'bad-value', 'unknown-type', 'bad-message']);
            assert.equal(t.sent.find((m) => m.code === 'bad-value').id, 'r1', 'the error names the message');
            assert.ok(!t.closed);
            assert.equal(events.readings.length, 1);
            assert.equal(events.readings[0].reading.seq, 2, 'the refused reading took a number: a gap shows it');
            assert.deepEqual(gateway.stats().refused, {
                'bad-json': 1,
                'bad-value': 1,
                'unknown-type': 1,
                'bad-message': 1,
            });
        });

        it("refuses a reading for another device's id; sensor ids are scoped to the device", function () {
            const { events, gateway, connect } = setup();
            const t = connect();
            t.hello();
            t.reading({ device: 'dev2' });
            t.reading({ device: 'dev1' });
            t.reading({ sensor: 'dev2.t1' });
            assert.deepEqual(t.errors(), ['wrong-device']);
            assert.equal(gateway.stats().refused['wrong-device'], 1);
            assert.deepEqual(
                events.readings.map((m) => [m.deviceId, m.sensor.id]),
                [
                    ['dev1', 'dev1/t1'],
                    ['dev1', 'dev1/dev2.t1'],
                ],
            );
        });

        it('answers a ping, and passes a command ack on', function () {
            const { events, connect } = setup();
            const t = connect();
            t.hello();
            t.send({ type: 'ping', id: 1 });
            t.send({ type: 'ack', id: 'c-7' });
            assert.deepEqual(t.sent.slice(1), [{ type: 'ack', for: 'ping', id: 1 }]);
            assert.deepEqual(events.acks, [{ deviceId: 'dev1', id: 'c-7' }]);
        });
    });

    describe('limits', function () {
        it('drops a line over the length limit and goes on; before the hello it closes', function () {
            const { events, gateway, connect } = setup({ maxLineBytes: 80 });
            const t = connect();
            t.hello();
            t.raw(`${'x'.repeat(81)}\n`);
            t.reading();
            assert.deepEqual(t.errors(), ['line-too-long']);
            assert.equal(events.readings.length, 1);
            const early = connect();
            early.raw('y'.repeat(100));
            assert.deepEqual(early.errors(), ['line-too-long']);
            assert.ok(early.ended);
            assert.equal(gateway.stats().refused['line-too-long'], 2);
        });

        it('refuses a line nesting too deep without parsing it, keeps the device; before the hello it closes', function () {
            const { events, gateway, connect } = setup({ maxLineBytes: 100_000 });
            const t = connect();
            t.hello();
            t.raw(`${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
            assert.deepEqual(t.errors(), ['too-deep']);
            assert.match(
                t.sent[t.sent.length - 1].message,
                /^a line nests more than 16 levels of brackets: it was dropped$/,
            );
            t.reading();
            assert.equal(events.readings.length, 1);
            assert.ok(!t.closed);
            const early = connect();
            early.raw(`{"type":"hello","x":${'['.repeat(17)}\n`);
            assert.deepEqual(early.errors(), ['too-deep']);
            assert.ok(early.ended);
            assert.equal(gateway.stats().refused['too-deep'], 2);
        });

        it('holds a device to its rate: the burst passes, the flood is dropped and counted, one error per second', function () {
            const { clock, events, gateway, connect } = setup({ messagesPerSecond: 10, burst: 5 });
            const t = connect();
            t.hello();
            let chunk = '';
            for (let i = 0; i < 1000; i++) chunk += '{"type":"reading","sensor":"t1","kind":"temperature","value":1}\n';
            t.raw(chunk);
            assert.equal(events.readings.length, 5, 'the burst');
            assert.equal(gateway.stats().refused['rate-limited'], 995);
            assert.deepEqual(t.errors(), ['rate-limited'], 'one answer, not one per dropped line');
            assert.ok(!t.closed, 'a flood is dropped, the device stays');
            clock.advance(500);
            t.raw(chunk);
            assert.equal(events.readings.length, 10, 'five more tokens after half a second');
            assert.deepEqual(t.errors(), ['rate-limited']);
            clock.advance(1000);
            t.reading();
            assert.equal(events.readings.length, 11);
        });

        it('keeps the rate budget across a reconnect: reconnecting is no way around it', function () {
            const { events, connect } = setup({ messagesPerSecond: 1, burst: 3 });
            const a = connect();
            a.hello();
            for (let i = 0; i < 3; i++) a.reading();
            a.end();
            const b = connect();
            b.hello();
            b.reading();
            assert.equal(events.readings.length, 3);
            assert.deepEqual(b.errors(), ['rate-limited']);
        });

        it('closes a connection that has not said hello within the hello timeout (slowloris)', function () {
            const { clock, gateway, connect } = setup({ helloTimeoutMs: 1000 });
            const silent = connect();
            const dripping = connect();
            for (const c of '{"type":"hel') {
                dripping.raw(c);
                clock.advance(50);
            }
            const good = connect();
            good.hello();
            clock.advance(1300);
            assert.deepEqual(silent.errors(), ['hello-timeout']);
            assert.deepEqual(dripping.errors(), ['hello-timeout']);
            assert.ok(silent.ended && dripping.ended);
            assert.ok(!good.closed);
            assert.equal(gateway.stats().refused['hello-timeout'], 2);
        });

        it('closes an idle device and reports it offline; any line keeps it, partial lines do not', function () {
            const { clock, events, connect } = setup({ idleTimeoutMs: 5000 });
            const t = connect();
            t.hello();
            for (let i = 0; i < 5; i++) {
                clock.advance(3000);
                t.send({ type: 'ping' });
            }
            assert.ok(!t.closed, 'pings keep it');
            t.raw('{"type":');
            clock.advance(3000);
            t.raw('"pi');
            clock.advance(3000);
            assert.ok(t.closed, 'a line trickled byte by byte does not keep it');
            assert.deepEqual(t.errors(), ['idle-timeout']);
            assert.equal(events.offline.length, 1);
            assert.equal(events.offline[0].reason, 'idle-timeout');
            assert.equal(events.offline[0].deviceId, 'dev1');
        });

        it('refuses connections over the limit when devices hold them all, and takes new ones once some close', function () {
            const { gateway, connect } = setup({ maxConnections: 2 });
            const a = connect();
            a.hello();
            const b = connect();
            b.hello('dev2', 'token-of-dev2-xyz');
            const c = connect();
            assert.equal(c.session, undefined);
            assert.deepEqual(c.errors(), ['too-many-connections']);
            assert.ok(c.ended);
            a.end();
            const d = connect();
            assert.ok(d.session);
            assert.ok(!b.closed);
            assert.equal(gateway.stats().refused['too-many-connections'], 1);
            assert.equal(gateway.stats().connections, 2);
        });

        it('gives connections waiting for their hello half the limit; when full, the oldest of the address with the most goes', function () {
            const devices = Array.from({ length: 10 }, (_, i) => ({
                id: `d${i}`,
                token: `token-of-d${i}-xyz`,
                location: '',
            }));
            const { gateway, connect } = setup({ maxConnections: 10 }, devices);
            const flood = Array.from({ length: 4 }, () => connect('10.0.0.9'));
            const other = connect('10.0.0.8');
            assert.equal(gateway.stats().pending, 5);
            // A sixth waiting connection: the flooding address loses its oldest, not the one from elsewhere.
            const device = connect('10.0.0.2');
            assert.deepEqual(flood[0].errors(), ['too-many-pending']);
            assert.ok(flood[0].ended);
            assert.ok(!other.closed);
            assert.equal(gateway.stats().pending, 5);
            assert.equal(device.hello('d0', 'token-of-d0-xyz').type, 'ack');
            connect('10.0.0.7');
            // From the flooding address itself, a newcomer still gets in: the oldest there makes room.
            const sameAddress = connect('10.0.0.9');
            assert.deepEqual(flood[1].errors(), ['too-many-pending']);
            assert.equal(sameAddress.hello('d1', 'token-of-d1-xyz').type, 'ack');
            // Devices may fill the whole limit: online ones are never closed to make room.
            for (let i = 2; i < 10; i++) connect(`10.0.1.${i}`).hello(`d${i}`, `token-of-d${i}-xyz`);
            assert.equal(gateway.stats().devicesOnline, 10);
            assert.equal(gateway.stats().pending, 0);
            const late = connect('10.0.0.9');
            assert.deepEqual(late.errors(), ['too-many-connections']);
            assert.equal(gateway.stats().refused['too-many-pending'], 6);
        });

        it('cuts a device that does not read what is sent to it', function () {
            const { events, gateway, connect } = setup({ maxOutboundBytes: 1000 });
            const t = connect();
            t.hello();
            t.writableLength = 5000;
            const r = gateway.command('dev1', { on: true });
            assert.equal(r.ok, false);
            assert.equal(r.reason, 'slow-consumer');
            assert.ok(t.destroyed);
            assert.equal(events.offline[0].reason, 'slow-consumer');
            assert.equal(gateway.stats().refused['slow-consumer'], 1);
        });
    });

    describe('reconnects', function () {
        it('reports offline when a device goes, online when it comes back, and continues its reading numbers', function () {
            const { events, connect } = setup();
            const a = connect();
            a.hello();
            a.reading();
            a.reading();
            a.end();
            assert.equal(events.offline.length, 1);
            assert.equal(events.offline[0].reason, 'disconnected');
            assert.equal(events.offline[0].readings, 2);
            const b = connect();
            b.hello();
            b.reading();
            assert.deepEqual(
                events.readings.map((m) => m.reading.seq),
                [1, 2, 3],
            );
            assert.equal(events.online.length, 2);
            assert.equal(events.online[1].connects, 2);
        });

        it('lets a new connection take over from a half-open one, without an offline event', function () {
            const { events, gateway, connect } = setup();
            const stale = connect();
            stale.hello();
            stale.gone = true; // the device vanished: this end never hears of it
            const fresh = connect();
            fresh.hello();
            assert.deepEqual(stale.errors(), ['replaced']);
            assert.ok(stale.ended);
            assert.equal(events.offline.length, 0);
            assert.equal(events.online.length, 2);
            assert.equal(events.online[1].replaced, true);
            const r = gateway.command('dev1', 'on');
            assert.ok(r.ok);
            assert.equal(fresh.sent[fresh.sent.length - 1].type, 'command', 'commands go to the new connection');
            gateway.disconnected(stale.session);
            assert.equal(events.offline.length, 0, 'the old connection closing later changes nothing');
            assert.ok(gateway.isOnline('dev1'));
            assert.equal(gateway.stats().devicesOnline, 1);
        });
    });

    describe('commands', function () {
        it('sends a command to one device with an id, and to every online device with "*"', function () {
            const { gateway, connect } = setup();
            const a = connect();
            a.hello();
            const b = connect();
            b.hello('dev2', 'token-of-dev2-xyz');
            const waiting = connect();
            assert.deepEqual(gateway.command('dev1', { state: 'on' }, 'light'), { ok: true, id: 1, sent: ['dev1'] });
            assert.deepEqual(a.sent[1], { type: 'command', id: 1, topic: 'light', payload: { state: 'on' } });
            assert.deepEqual(gateway.command('*', 'reboot', undefined, 'all-1'), {
                ok: true,
                id: 'all-1',
                sent: ['dev1', 'dev2'],
            });
            assert.deepEqual(b.sent[1], { type: 'command', id: 'all-1', payload: 'reboot' });
            assert.deepEqual(waiting.sent, [], 'a connection that has not said hello gets no command');
            assert.equal(gateway.stats().commands, 3);
        });

        it('says why a command cannot go', function () {
            const { gateway, connect } = setup({ maxLineBytes: 64 });
            assert.deepEqual(gateway.command('nobody', 1), {
                ok: false,
                reason: 'unknown-device',
                error: 'no device nobody in the device table',
            });
            assert.deepEqual(gateway.command('dev1', 1), {
                ok: false,
                reason: 'offline',
                error: 'device dev1 is not connected',
            });
            connect().hello();
            assert.equal(fieldsOf(gateway.command('dev1', 'x'.repeat(100))).reason, 'too-long');
            const circular = {};
            circular.self = circular;
            assert.equal(fieldsOf(gateway.command('dev1', circular)).reason, 'not-json');
            assert.deepEqual(gateway.command('*', 1), { ok: true, id: 1, sent: ['dev1'] });
        });
    });

    describe('close', function () {
        it('tells every connection shutdown, ends it, stops its timers and sends no more events', function () {
            const { clock, events, gateway, connect } = setup();
            const a = connect();
            a.hello();
            const pending = connect();
            gateway.close();
            assert.deepEqual(a.errors(), ['shutdown']);
            assert.deepEqual(pending.errors(), ['shutdown']);
            assert.ok(a.ended && pending.ended);
            assert.equal(events.offline.length, 0);
            assert.equal(clock.timers.size, 0, 'no timer left');
            const late = connect();
            assert.equal(late.session, undefined);
            assert.ok(late.destroyed);
            assert.equal(fieldsOf(gateway.command('*', 1)).reason, 'closed');
        });
    });
});
