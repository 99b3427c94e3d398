'use strict';
// The serial port's read on the event loop: wait for the poller, read without blocking. Driven with a fake
// poller and a fake read; a real pty pair checks it against the operating system.
const assert = require('node:assert/strict');
const { EventEmitter } = require('node:events');
const { SerialPort } = require('serialport');
const { polledRead, polledBinding, isUnixPort, CanceledReadError } = require('../../src/core/serial/polled-read');
const { needTool } = require('../helpers/tools');
const { PtyPair } = require('../fixtures/pty');
const { until } = require('../helpers/wait');

function errno(code) {
    return Object.assign(new Error(`${code}: from the fake read`), { code });
}

/** A unix port binding whose poller fires when the test says and whose read answers from `script`. */
function fakePort(script) {
    const poller = new EventEmitter();
    /** @type {import("../../src/core/serial/polled-read").UnixPortBinding & { isOpen: boolean, fd: number | null, reads: object[] }} */
    const port = {
        isOpen: true,
        fd: 42,
        poller,
        read: () => Promise.reject(new Error('the thread pool read must not be used')),
        reads: [],
    };
    /** @type {(fd: number, buffer: Buffer, offset: number, length: number, position: null) => number} */
    const read = (fd, buffer, offset, length, position) => {
        port.reads.push({ fd, offset, length, position });
        const next = script.shift();
        if (next instanceof Error) throw next;
        buffer.write(next, offset);
        return Buffer.byteLength(next);
    };
    /** @param {Error | null} [err] */
    const fire = (err = null) => {
        assert.equal(poller.listenerCount('readable'), 1, 'the read waits for the poller');
        poller.emit('readable', err);
    };
    return { port, read, fire };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('core/serial/polled-read', function () {
    it('waits for the port to be readable before reading, then gives what was there', async function () {
        const { port, read, fire } = fakePort(['t=1\n']);
        const buffer = Buffer.alloc(16);
        const result = polledRead(port, read)(buffer, 2, 10);
        await tick();
        assert.equal(port.reads.length, 0, 'nothing read before the poller says so');
        fire();
        const { bytesRead, buffer: got } = await result;
        assert.equal(bytesRead, 4);
        assert.equal(got, buffer);
        assert.equal(buffer.toString('utf8', 2, 6), 't=1\n');
        assert.deepEqual(port.reads, [{ fd: 42, offset: 2, length: 10, position: null }]);
    });

    for (const code of ['EAGAIN', 'EWOULDBLOCK', 'EINTR']) {
        it(`waits again when the read says ${code}`, async function () {
            const { port, read, fire } = fakePort([errno(code), 'x']);
            const result = polledRead(port, read)(Buffer.alloc(4), 0, 4);
            fire();
            await tick();
            fire();
            assert.equal((await result).bytesRead, 1);
            assert.equal(port.reads.length, 2);
        });
    }

    it('waits again after an empty read (a hung-up terminal), as serialport does, rather than ending', async function () {
        const { port, read, fire } = fakePort(['', 'y']);
        const result = polledRead(port, read)(Buffer.alloc(4), 0, 4);
        fire();
        await tick();
        fire();
        assert.equal((await result).bytesRead, 1);
    });

    it('rejects with any other read error, which the stream takes for a disconnection', async function () {
        const { port, read, fire } = fakePort([errno('EIO')]);
        const result = polledRead(port, read)(Buffer.alloc(4), 0, 4);
        fire();
        await assert.rejects(result, (/** @type {any} */ err) => err.code === 'EIO' && err.canceled === undefined);
    });

    it("rejects with the poller's error", async function () {
        const { port, read, fire } = fakePort([]);
        const result = polledRead(port, read)(Buffer.alloc(4), 0, 4);
        fire(new Error('poll failed'));
        await assert.rejects(result, /poll failed/);
        assert.equal(port.reads.length, 0);
    });

    it('cancels (not a disconnection) when the port was closed while waiting', async function () {
        const { port, read, fire } = fakePort(['never read']);
        const result = polledRead(port, read)(Buffer.alloc(4), 0, 4);
        port.isOpen = false;
        port.fd = null;
        fire();
        await assert.rejects(result, (/** @type {any} */ err) => err instanceof CanceledReadError && err.canceled);
        assert.equal(port.reads.length, 0, 'a closed descriptor is never read');
    });

    it('tells unix port bindings from others', function () {
        assert.equal(isUnixPort(fakePort([]).port), true);
        assert.equal(isUnixPort({ isOpen: true, read() {} }), false, 'Windows: no descriptor, no poller');
        assert.equal(isUnixPort({ fd: 3, poller: {}, read() {} }), false);
        assert.equal(isUnixPort({ fd: null, poller: new EventEmitter(), read() {} }), false);
    });

    it('opens through the base binding and reads unix ports on the event loop, others as they were', async function () {
        const unix = fakePort([]).port;
        const other = { isOpen: true, read: async () => ({ bytesRead: 0 }) };
        const otherRead = other.read;
        const opened = [];
        const base = {
            list: async () => ['p'],
            open: async (options) => {
                opened.push(options);
                return options.path === 'unix' ? unix : other;
            },
        };
        const binding = polledBinding(base);
        assert.deepEqual(await binding.list(), ['p']);
        assert.equal(await binding.open({ path: 'unix' }), unix);
        assert.notEqual(unix.read, fakePort([]).port.read);
        assert.equal(unix.read.name, '', 'replaced by the polled read');
        assert.equal(await binding.open({ path: 'COM3' }), other);
        assert.equal(other.read, otherRead);
        assert.deepEqual(opened, [{ path: 'unix' }, { path: 'COM3' }]);
    });

    describe('on a real pty pair', function () {
        this.timeout(30000);
        /** @type {PtyPair | undefined} */
        let pty;
        /** @type {SerialPort[]} */
        let ports = [];
        let socat = '';
        before(function () {
            socat = needTool(this, 'socat') ?? '';
        });
        afterEach(async function () {
            for (const p of ports) if (p.isOpen) await new Promise((r) => p.close(r));
            ports = [];
            if (pty) await pty.dispose();
            pty = undefined;
        });

        /**
         * @param {string} path
         * @param {any} [binding]
         */
        async function open(path, binding) {
            const port = new SerialPort({ path, baudRate: 9600, autoOpen: false, ...(binding ? { binding } : {}) });
            ports.push(port);
            await new Promise((resolve, reject) => port.open((err) => (err ? reject(err) : resolve(undefined))));
            return port;
        }

        it('reads every byte the device writes, in order, and the port closes cleanly', async function () {
            pty = new PtyPair(socat);
            await pty.start();
            const reader = await open(pty.devPath, polledBinding(SerialPort.binding));
            const bound = /** @type {any} */ (reader.port);
            assert.equal(isUnixPort(bound), true);
            assert.notEqual(bound.read, Object.getPrototypeOf(bound).read, 'read on the event loop');
            const device = await open(pty.simPath);
            const chunks = [];
            reader.on('data', (c) => chunks.push(c));
            const sent = Buffer.from(Array.from({ length: 2000 }, (_, i) => `t=${i}\r\n`).join(''));
            for (let at = 0; at < sent.length; at += 997) device.write(sent.subarray(at, at + 997));
            await until(() => Buffer.concat(chunks).length >= sent.length, 'every byte', 20000);
            assert.deepEqual(Buffer.concat(chunks), sent);
            const closed = await new Promise((r) => reader.close((err) => r(err)));
            assert.equal(closed, null, 'closing is not a disconnection');
        });

        it('reports the device going away as a disconnection', async function () {
            pty = new PtyPair(socat);
            await pty.start();
            const reader = await open(pty.devPath, polledBinding(SerialPort.binding));
            /** @type {any[]} */
            const closes = [];
            reader.on('close', (err) => closes.push(err));
            reader.on('data', () => undefined);
            await pty.stop();
            await until(() => closes.length > 0, 'the port to close', 20000);
            assert.equal(closes[0]?.disconnected, true);
        });
    });
});
