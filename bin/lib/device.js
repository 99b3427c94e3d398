'use strict';
/*
 * A device for the sensorhub-gateway node: the `sensorhub-device` command (bin/sensorhub-device.js) and the tests.
 *
 * It connects over TCP (or TLS), says hello with its id and token, then sends readings at a steady rate and can
 * answer every command with an ack.
 *
 * In tests: `const d = new Device({port, id, token})`, `await d.connect()`, `await d.hello()`, then `d.reading(21.5)`,
 * `d.send(obj)`, `d.sendRaw(text)`, `await d.next((m) => m.type === 'command')`, `await d.closed`. Every line the
 * gateway sent is in `d.received`, parsed.
 */
const net = require('node:net');
const tls = require('node:tls');

const WAIT_MS = 10000;

/**
 * @typedef {object} DeviceOptions
 * @property {string} [host]
 * @property {number} [port]
 * @property {string} [id]
 * @property {string} [token]
 * @property {boolean} [useTls]
 * @property {string | Buffer | Array<string | Buffer>} [ca] trusted certificates for TLS; the system's by default
 * @property {boolean} [rejectUnauthorized]
 * @property {string} [sensor]
 * @property {string} [kind]
 * @property {boolean} [autoAck]
 * @property {boolean} [keep]
 * @property {string} [localAddress]
 */

class Device {
    /** @param {DeviceOptions} [options] */
    constructor({
        host = '127.0.0.1',
        port = 1881,
        id = 'dev1',
        token = 'secret',
        useTls = false,
        ca,
        rejectUnauthorized = true,
        sensor = 't1',
        kind = 'temperature',
        autoAck = false,
        keep = true,
        localAddress,
    } = {}) {
        this.host = host;
        this.port = port;
        this.id = id;
        this.token = token;
        this.useTls = useTls;
        this.ca = ca;
        this.rejectUnauthorized = rejectUnauthorized;
        this.sensor = sensor;
        this.kind = kind;
        /** Answers every command with an ack. */
        this.autoAck = autoAck;
        /** Keeps what the gateway sent in `received` (off for long load runs). */
        this.keep = keep;
        /** The source address to connect from (127.0.0.x in tests stand for other hosts), or the system's choice. */
        this.localAddress = localAddress;
        /**
         * Every message the gateway sent, parsed (a line that is not JSON is kept as `{unparsed: line}`).
         * @type {any[]}
         */
        this.received = [];
        /** @type {Set<{ match: (msg: any) => boolean, resolve: (msg: any) => void, reject: () => void }>} */
        this.waiters = new Set();
        /** @type {net.Socket | tls.TLSSocket | undefined} */
        this.socket = undefined;
        this.buffer = '';
        this.isClosed = true;
        /** @type {Promise<void>} */
        this.closed = Promise.resolve();
        this.seq = 0;
        /** @type {NodeJS.Timeout | undefined} */
        this.timer = undefined;
        /** @type {((msg: any) => void) | undefined} */
        this.onMessage = undefined;
    }

    /**
     * Opens the connection; resolves once connected (for TLS: after the handshake).
     * @returns {Promise<void>}
     */
    connect() {
        return new Promise((resolve, reject) => {
            const opts = { host: this.host, port: this.port, localAddress: this.localAddress };
            const socket = this.useTls
                ? tls.connect({ ...opts, ca: this.ca, rejectUnauthorized: this.rejectUnauthorized })
                : net.connect(opts);
            this.socket = socket;
            this.buffer = '';
            this.isClosed = false;
            socket.setNoDelay(true);
            socket.setEncoding('utf8');
            let settled = false;
            this.closed = new Promise((resolveClosed) => {
                socket.on('close', () => {
                    this.isClosed = true;
                    this.stop();
                    if (!settled) {
                        settled = true;
                        reject(new Error(`device ${this.id}: connection closed before it was open`));
                    }
                    this.wake();
                    resolveClosed();
                });
            });
            socket.on('error', (err) => {
                this.lastError = err;
                if (!settled) {
                    settled = true;
                    reject(err);
                }
            });
            socket.once(this.useTls ? 'secureConnect' : 'connect', () => {
                settled = true;
                resolve();
            });
            socket.on('data', (text) => this.data(text));
        });
    }

    data(text) {
        this.buffer += text;
        let nl;
        while ((nl = this.buffer.indexOf('\n')) !== -1) {
            const line = this.buffer.slice(0, nl);
            this.buffer = this.buffer.slice(nl + 1);
            let msg;
            try {
                msg = JSON.parse(line);
            } catch {
                msg = { unparsed: line };
            }
            if (this.keep) this.received.push(msg);
            if (this.autoAck && msg.type === 'command') this.send({ type: 'ack', id: msg.id });
            if (this.onMessage) this.onMessage(msg);
            this.wake(msg);
        }
    }

    /** Settles the waits of `next()`: with `msg` when it matches one, or all of them (rejected) once closed. */
    wake(msg) {
        for (const w of this.waiters) {
            if (msg === undefined) w.reject();
            else if (w.match(msg)) w.resolve(msg);
            else continue;
            this.waiters.delete(w);
        }
    }

    /** Resolves with the first received message (from `from` on) that `match` accepts; rejects on close or timeout. */
    next(match, what = 'a message', ms = WAIT_MS, from = 0) {
        const seen = () => JSON.stringify(this.received.slice(-20));
        return new Promise((resolve, reject) => {
            const found = this.received.slice(from).find(match);
            if (found) {
                resolve(found);
                return;
            }
            if (this.isClosed) {
                reject(new Error(`device ${this.id}: closed before ${what}; got ${seen()}`));
                return;
            }
            const waiter = {
                match,
                resolve: (msg) => {
                    clearTimeout(deadline);
                    resolve(msg);
                },
                reject: () => {
                    clearTimeout(deadline);
                    reject(new Error(`device ${this.id}: closed before ${what}; got ${seen()}`));
                },
            };
            const deadline = setTimeout(() => {
                this.waiters.delete(waiter);
                reject(new Error(`device ${this.id}: no ${what} within ${ms} ms; got ${seen()}`));
            }, ms);
            this.waiters.add(waiter);
        });
    }

    /** Sends a hello and resolves with the gateway's answer: its ack, or the error it refused with. */
    async hello(token = this.token, id = this.id) {
        const from = this.received.length;
        this.send({ type: 'hello', device: id, token });
        return this.next(
            (m) => m.type === 'error' || (m.type === 'ack' && m.for === 'hello'),
            'an answer to hello',
            WAIT_MS,
            from,
        );
    }

    send(obj) {
        this.sendRaw(`${JSON.stringify(obj)}\n`);
    }

    sendRaw(data) {
        if (this.socket && !this.socket.destroyed && this.socket.writable) this.socket.write(data);
    }

    /** The next reading's value: a slow random walk, or motion now and then. */
    value() {
        const n = this.seq++;
        if (this.kind === 'motion') return n % 7 === 0;
        const base = this.kind === 'humidity' ? 45 : 21;
        return Math.round((base + 2 * Math.sin(n / 20) + (Math.random() - 0.5) * 0.2) * 100) / 100;
    }

    reading(value = this.value(), extra = {}) {
        this.send({ type: 'reading', sensor: this.sensor, kind: this.kind, value, ts: Date.now(), ...extra });
    }

    /**
     * Sends `rate` readings per second until `count` are sent (0: until stopped).
     * @param {number} rate
     * @param {number} [count]
     * @param {(sent: number) => void} [onSent] told how many were sent so far, after each one
     */
    stream(rate, count = 0, onSent = () => undefined) {
        this.stop();
        let sent = 0;
        const start = Date.now();
        const tick = () => {
            const due = Math.floor(((Date.now() - start) * rate) / 1000) + 1;
            while (sent < due && (count === 0 || sent < count) && !this.isClosed) {
                this.reading();
                sent++;
                onSent(sent);
            }
            if ((count === 0 || sent < count) && !this.isClosed)
                this.timer = setTimeout(tick, Math.max(1, 1000 / rate));
        };
        tick();
    }

    stop() {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
    }

    /** Closes its side and resolves once the connection is closed. */
    close() {
        this.stop();
        if (this.socket && !this.isClosed) this.socket.end();
        return this.closed;
    }

    destroy() {
        this.stop();
        if (this.socket) this.socket.destroy();
        return this.closed;
    }
}

module.exports = { Device };
