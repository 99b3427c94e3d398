'use strict';
// Property tests: fast-check prints the seed and path of a failure. To replay it, add them to that fc.assert's
// options, `fc.assert(property, { seed, path, endOnFailure: true })`, and run this file alone.
const assert = require('node:assert/strict');
const { EventEmitter } = require('node:events');
const fc = require('fast-check');
const { SerialPortMock } = require('serialport');
const { MockBinding } = require('@serialport/binding-mock');
const {
    SerialConnection,
    TimeoutError,
    OfflineError,
    BusyError,
    unescapeDelimiter,
    partialDelimiterAtEnd,
} = require('../../src/core/serial/connection');
const { until, sleep } = require('../helpers/wait');

const PATH = '/dev/ttyMOCK0';

function connect(extra = {}) {
    const conn = new SerialConnection({
        path: PATH,
        baudRate: 9600,
        dataBits: 8,
        parity: 'none',
        stopBits: 1,
        framing: { kind: 'delimiter', delimiter: '\n' },
        maxLineLength: 16,
        reconnectMinMs: 10,
        reconnectMaxMs: 40,
        createPort: (o) => new SerialPortMock(o),
        ...extra,
    });
    const states = [];
    const errors = [];
    const lines = [];
    conn.on('state', (s) => states.push(s));
    conn.on('error', (e) => errors.push(e.message));
    conn.onLine((l) => lines.push(l));
    return { conn, states, errors, lines };
}

/** The mock binding under the connection's current port: what the "device" side drives. */
const device = (conn) => conn.port.port;

async function opened(conn) {
    conn.open();
    await until(() => conn.state === 'open', 'the port to open');
    return device(conn);
}

/** Makes the mock device answer every write with `reply(command)` (or stay silent for undefined). */
function answer(binding, reply) {
    const write = binding.write.bind(binding);
    const written = [];
    binding.write = async (buf) => {
        await write(buf);
        const command = buf.toString();
        written.push(command);
        const r = reply(command);
        if (r !== undefined) setImmediate(() => binding.isOpen && binding.emitData(r));
    };
    return written;
}

/** What an unplugged USB adapter does: the port vanishes and the pending read fails. */
async function unplug(binding) {
    MockBinding.reset();
    await until(() => binding.pendingRead, 'a read to be pending');
    binding.pendingRead(new Error('device unplugged'));
}

describe('core/serial-connection', function () {
    let conn;
    beforeEach(function () {
        MockBinding.reset();
        MockBinding.createPort(PATH, { record: true });
    });
    afterEach(async function () {
        if (conn) await conn.close();
        conn = undefined;
        MockBinding.reset();
    });

    it('turns escapes typed in a dialog into delimiters', function () {
        assert.equal(unescapeDelimiter('\\r\\n'), '\r\n');
        assert.equal(unescapeDelimiter('\\x03'), '\x03');
        assert.equal(unescapeDelimiter('\\\\n'), '\\n');
        assert.equal(unescapeDelimiter(';'), ';');
    });

    describe('framing', function () {
        it('splits on the delimiter across chunks, \\r\\n included', async function () {
            let lines;
            ({ conn, lines } = connect({ framing: { kind: 'delimiter', delimiter: '\r\n' } }));
            const dev = await opened(conn);
            dev.emitData('t=21.5\r');
            dev.emitData('\nt=21.');
            dev.emitData('6\r\nt=2');
            await until(() => lines.length === 2, 'two lines');
            assert.deepEqual(lines, ['t=21.5', 't=21.6']);
            assert.equal(conn.stats().lines, 2);
        });

        it('cuts fixed-length frames', async function () {
            let lines;
            ({ conn, lines } = connect({ framing: { kind: 'length', length: 4 } }));
            const dev = await opened(conn);
            dev.emitData('00210022');
            dev.emitData('002');
            await until(() => lines.length === 2, 'two frames');
            assert.deepEqual(lines, ['0021', '0022']);
        });

        it('ends a frame after a silence', async function () {
            let lines;
            ({ conn, lines } = connect({ framing: { kind: 'timeout', intervalMs: 20 } }));
            const dev = await opened(conn);
            dev.emitData('21.');
            dev.emitData('5');
            await until(() => lines.length === 1, 'a frame');
            dev.emitData('22');
            await until(() => lines.length === 2, 'a second frame');
            assert.deepEqual(lines, ['21.5', '22']);
        });
    });

    describe('partialDelimiterAtEnd', function () {
        it('finds the start of a delimiter at the end of a buffer, never the whole one', function () {
            const d = Buffer.from('\r\n');
            assert.equal(partialDelimiterAtEnd(Buffer.from('abc\r'), d), 1);
            assert.equal(partialDelimiterAtEnd(Buffer.from('abc'), d), 0);
            assert.equal(partialDelimiterAtEnd(Buffer.from('abc\n'), d), 0);
            assert.equal(partialDelimiterAtEnd(Buffer.from(''), d), 0);
            assert.equal(partialDelimiterAtEnd(Buffer.from('ab\r'), Buffer.from('\n')), 0);
            assert.equal(partialDelimiterAtEnd(Buffer.from('xEN'), Buffer.from('ENDX')), 2);
        });
    });

    describe('oversized frames', function () {
        it('counts and drops a terminated line over the limit, and its tail, then goes on', async function () {
            let lines, conn_;
            ({ conn: conn_, lines } = connect());
            conn = conn_;
            const sizes = [];
            conn.on('oversized', (n) => sizes.push(n));
            const dev = await opened(conn);
            dev.emitData('t=1\n' + 'x'.repeat(40) + '\nt=2\n');
            await until(() => lines.length === 2, 'the lines around the long one');
            assert.deepEqual(lines, ['t=1', 't=2']);
            assert.equal(conn.stats().oversized, 1);
            assert.deepEqual(sizes, [40]);
        });

        it('drops an endless line as soon as it passes the limit, without buffering it', async function () {
            let lines;
            ({ conn, lines } = connect());
            const dev = await opened(conn);
            for (let i = 0; i < 50; i++) dev.emitData('9'.repeat(10));
            await until(() => conn.stats().oversized === 1, 'the flood to be counted');
            // @ts-expect-error the line parser and its buffer are private: the test checks the buffer stays bounded
            assert.ok(conn.parser.buffer.length <= 16, 'the parser holds at most one line');
            // The end of the flood looks like a short number: it must not come out as a reading.
            dev.emitData('99\nt=3\n');
            await until(() => lines.length === 1, 'the next line');
            assert.deepEqual(lines, ['t=3']);
            assert.equal(conn.stats().oversized, 1);
        });

        it('keeps a line of exactly the limit whose \\r\\n is split across chunks', async function () {
            let lines;
            ({ conn, lines } = connect({ framing: { kind: 'delimiter', delimiter: '\r\n' } }));
            const dev = await opened(conn);
            dev.emitData('x'.repeat(16) + '\r');
            await sleep(20);
            dev.emitData('\nt=2\r\n');
            await until(() => lines.length === 2, 'both lines');
            assert.deepEqual(lines, ['x'.repeat(16), 't=2']);
            assert.equal(conn.stats().oversized, 0);
        });

        it('drops an oversized line whose \\r\\n is split across chunks, and not the line after it', async function () {
            let lines;
            ({ conn, lines } = connect({ framing: { kind: 'delimiter', delimiter: '\r\n' } }));
            const dev = await opened(conn);
            dev.emitData('y'.repeat(20) + '\r');
            await until(() => conn.stats().oversized === 1, 'the long line to be counted');
            dev.emitData('\nt=3\r\n');
            await until(() => lines.length === 1, 'the next line');
            assert.deepEqual(lines, ['t=3']);
            assert.equal(conn.stats().oversized, 1);
        });

        it('with timeout framing, drops every piece of an oversized frame', async function () {
            let lines;
            ({ conn, lines } = connect({ framing: { kind: 'timeout', intervalMs: 20 } }));
            const dev = await opened(conn);
            dev.emitData('7'.repeat(40));
            await sleep(60);
            dev.emitData('22');
            await until(() => lines.length === 1, 'the next frame');
            assert.deepEqual(lines, ['22']);
            assert.equal(conn.stats().oversized, 1);
        });
    });

    describe('framing properties', function () {
        /**
         * A port whose open, data and close happen at once, in the caller's stack: the connection's parser
         * takes each chunk synchronously, so a property can run thousands of streams without waiting.
         */
        class InstantPort extends EventEmitter {
            isOpen = false;
            open(callback) {
                this.isOpen = true;
                callback(null);
            }
            close(callback) {
                this.isOpen = false;
                callback?.(null);
            }
            write(_data, callback) {
                callback(null);
                return true;
            }
        }
        function instant(framing, maxLineLength) {
            const c = new SerialConnection({
                path: PATH,
                baudRate: 9600,
                dataBits: 8,
                parity: 'none',
                stopBits: 1,
                framing,
                maxLineLength,
                presenceCheckMs: 0,
                createPort: () => new InstantPort(),
            });
            const lines = [];
            c.onLine((l) => lines.push(l));
            c.open();
            assert.equal(c.state, 'open');
            // @ts-expect-error the port is private: the test plays the device by emitting on it
            return { c, lines, send: (chunk) => c.port.emit('data', chunk) };
        }
        /** Cuts `buf` at the given positions. */
        function cut(buf, positions) {
            const at = [...new Set(positions.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
            const parts = [];
            let prev = 0;
            for (const p of at) {
                parts.push(buf.subarray(prev, p));
                prev = p;
            }
            parts.push(buf.subarray(prev));
            return parts;
        }
        const delimiters = ['\n', '\r\n', ';', '\x03', 'ENDX', 'ABAB'];

        it('frames any bytes as a whole-stream split does, however the stream is cut (property)', async function () {
            this.timeout(30_000);
            // The delimiter's own bytes, a CR, invalid and cut UTF-8: what a noisy line delivers.
            const byte = fc.oneof(
                { weight: 3, arbitrary: fc.constantFrom(...Buffer.from('\r\n;\x03ENDXAB\u00e9\u20ac')) },
                { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) },
            );
            const streams = [];
            fc.assert(
                fc.property(
                    fc.constantFrom(...delimiters),
                    fc.array(byte, { maxLength: 150 }),
                    fc.array(fc.nat(), { maxLength: 12 }),
                    fc.integer({ min: 1, max: 24 }),
                    (delimiter, bytes, positions, max) => {
                        const d = Buffer.from(delimiter);
                        // Ended by the delimiter, so that every byte belongs to a finished frame.
                        const whole = Buffer.concat([Buffer.from(bytes), d]);
                        const expected = [];
                        let oversized = 0;
                        for (let from = 0, at; (at = whole.indexOf(d, from)) !== -1; from = at + d.length) {
                            const frame = whole.subarray(from, at);
                            if (frame.length > max) oversized++;
                            else expected.push(frame.toString('utf8'));
                        }
                        const { c, lines, send } = instant({ kind: 'delimiter', delimiter }, max);
                        for (const part of cut(whole, positions)) {
                            send(part);
                            // @ts-expect-error the line parser and its buffer are private: the test checks the buffer stays bounded
                            assert.ok(c.parser.buffer.length < max + d.length, 'never holds more than a line');
                        }
                        assert.deepEqual(lines, expected);
                        assert.equal(c.stats().oversized, oversized, 'each oversized frame counted once');
                        assert.equal(c.stats().lines, expected.length);
                        streams.push(c.close());
                    },
                ),
                { numRuns: 3000 },
            );
            await Promise.all(streams);
        });

        it('keeps the next good line after an oversized one, whatever the chunks and the \\r\\n split (property)', async function () {
            this.timeout(30_000);
            const text = fc.string({ unit: fc.constantFrom('t', '=', '1', '.', '\r', 'é'), maxLength: 30 });
            const streams = [];
            fc.assert(
                fc.property(
                    fc.array(text, { minLength: 1, maxLength: 8 }),
                    fc.array(fc.nat(), { maxLength: 12 }),
                    fc.integer({ min: 1, max: 16 }),
                    (texts, positions, max) => {
                        const whole = Buffer.from(texts.map((t) => `${t}\r\n`).join(''));
                        const { c, lines, send } = instant({ kind: 'delimiter', delimiter: '\r\n' }, max);
                        for (const part of cut(whole, positions)) send(part);
                        // Split on the first \r\n each time, as a device's lines that may hold a bare \r are.
                        const frames = whole.toString('utf8').split('\r\n').slice(0, -1);
                        const good = frames.filter((f) => Buffer.byteLength(f) <= max);
                        assert.deepEqual(
                            lines,
                            good,
                            'every line within the limit comes through, whatever came before',
                        );
                        assert.equal(c.stats().oversized, frames.length - good.length);
                        streams.push(c.close());
                    },
                ),
                { numRuns: 2000 },
            );
            await Promise.all(streams);
        });

        it('cuts fixed-length frames the same however the stream is cut (property)', async function () {
            const streams = [];
            fc.assert(
                fc.property(
                    fc.uint8Array({ maxLength: 100 }),
                    fc.array(fc.nat(), { maxLength: 12 }),
                    fc.integer({ min: 1, max: 10 }),
                    (bytes, positions, length) => {
                        const whole = Buffer.from(bytes);
                        const { c, lines, send } = instant({ kind: 'length', length }, 16);
                        for (const part of cut(whole, positions)) send(part);
                        const expected = [];
                        for (let i = 0; i + length <= whole.length; i += length)
                            expected.push(whole.subarray(i, i + length).toString('utf8'));
                        assert.deepEqual(lines, expected);
                        streams.push(c.close());
                    },
                ),
                { numRuns: 1000 },
            );
            await Promise.all(streams);
        });
    });

    describe('requests', function () {
        it('sends one request at a time, in order, each answered by the next line', async function () {
            let lines;
            ({ conn, lines } = connect());
            const dev = await opened(conn);
            let n = 0;
            const written = answer(dev, (cmd) => `${cmd.trim()}=${++n}\n`);
            const answers = await Promise.all([
                conn.request('READ t', 500),
                conn.request('READ h', 500),
                conn.request('READ p\n', 500),
            ]);
            assert.deepEqual(answers, ['READ t=1', 'READ h=2', 'READ p=3']);
            assert.deepEqual(written, ['READ t\n', 'READ h\n', 'READ p\n']);
            assert.deepEqual(lines, [], 'answers are not pushed to line listeners');
            assert.equal(conn.stats().queued, 0);
        });

        it('times a request out, discards its late answer, then moves on', async function () {
            ({ conn } = connect());
            const dev = await opened(conn);
            const written = answer(dev, () => undefined);
            const first = conn.request('READ 1', 30);
            const second = conn.request('READ 2', 2000);
            await assert.rejects(
                first,
                (err) =>
                    err instanceof TimeoutError && err.code === 'timeout' && /"READ 1" within 30 ms/.test(err.message),
            );
            // Nothing more is written while the late answer may still come, so it cannot be taken for the next.
            assert.deepEqual(written, ['READ 1\n']);
            dev.emitData('late-1\n');
            await until(() => written.length === 2, 'the second request to be written');
            dev.emitData('answer-2\n');
            assert.equal(await second, 'answer-2');
            const s = conn.stats();
            assert.equal(s.requestsTimedOut, 1);
            assert.equal(s.lateAnswers, 1);
        });

        it('after a timeout with no late answer, sends the next request once the grace period ends', async function () {
            ({ conn } = connect());
            const dev = await opened(conn);
            let n = 0;
            const written = answer(dev, (cmd) => (++n === 1 ? undefined : `${cmd.trim()} ok\n`));
            await assert.rejects(conn.request('A', 30), TimeoutError);
            assert.equal(await conn.request('B', 2000), 'B ok');
            assert.deepEqual(written, ['A\n', 'B\n']);
            assert.equal(conn.stats().lateAnswers, 0);
        });

        it('fails a request that waited too long in the queue without ever writing it', async function () {
            ({ conn } = connect());
            const dev = await opened(conn);
            const written = answer(dev, () => undefined);
            const slow = conn.request('A', 200);
            const queued = conn.request('B', 20);
            await assert.rejects(queued, TimeoutError);
            await assert.rejects(slow, TimeoutError);
            await sleep(20);
            assert.deepEqual(written, ['A\n']);
        });

        it('refuses requests while not open, and beyond the queue limit', async function () {
            ({ conn } = connect({ maxQueue: 1 }));
            await assert.rejects(conn.request('READ', 100), OfflineError);
            const dev = await opened(conn);
            answer(dev, () => 'ok\n');
            const a = conn.request('A', 500);
            const b = conn.request('B', 500);
            await assert.rejects(conn.request('C', 500), BusyError);
            assert.deepEqual(await Promise.all([a, b]), ['ok', 'ok']);
        });
    });

    describe('a device that disappears', function () {
        it('fails pending requests as offline, reports once, and reopens by itself', async function () {
            let states, errors, lines;
            ({ conn, states, errors, lines } = connect());
            const dev = await opened(conn);
            const written = answer(dev, () => undefined);
            const pending = conn.request('READ', 5000);
            const queued = conn.request('READ', 5000);
            await until(() => written.length === 1, 'the request to be written');
            await unplug(dev);
            await assert.rejects(pending, OfflineError);
            await assert.rejects(queued, OfflineError);
            assert.equal(conn.state, 'disconnected');
            // Several retries fail while the device is away; each message is reported once.
            await until(() => errors.length >= 2, 'a failed retry reported');
            await sleep(150);
            assert.deepEqual(errors, [
                'device unplugged',
                `Port does not exist - please call MockBinding.createPort('${PATH}') first`,
            ]);
            MockBinding.createPort(PATH, { record: true });
            await until(() => conn.state === 'open', 'the port to reopen');
            assert.deepEqual(states, ['opening', 'open', 'disconnected', 'open']);
            assert.equal(conn.stats().reconnects, 1);
            device(conn).emitData('t=4\n');
            await until(() => lines.length === 1, 'readings to resume');
            assert.deepEqual(lines, ['t=4']);
        });

        it('keeps retrying a port that never existed, with a growing delay, until closed', async function () {
            let errors;
            MockBinding.reset();
            ({ conn, errors } = connect({ reconnectMinMs: 5, reconnectMaxMs: 20 }));
            const opens = [];
            const create = (o) => {
                opens.push(Date.now());
                return new SerialPortMock(o);
            };
            // @ts-expect-error replaces the private, read-only port factory with the test's
            conn.createPort = create;
            conn.open();
            await until(() => opens.length >= 5, 'several attempts');
            assert.equal(conn.state, 'disconnected');
            assert.equal(errors.length, 1);
            await conn.close();
            const attempts = opens.length;
            await sleep(60);
            assert.equal(opens.length, attempts, 'no attempt after close');
            assert.equal(conn.state, 'closed');
        });

        it('closes cleanly while a request is waiting', async function () {
            ({ conn } = connect());
            const dev = await opened(conn);
            answer(dev, () => undefined);
            const pending = conn.request('READ', 5000);
            await conn.close();
            await assert.rejects(pending, OfflineError);
            assert.equal(dev.isOpen, false);
            assert.equal(conn.state, 'closed');
        });
    });
});
