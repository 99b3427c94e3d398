'use strict';
/*
 * A serial sensor device simulator: the `sensorhub-serial-device` command (bin/sensorhub-serial-device.js) and the
 * tests.
 *
 * It opens one end of a serial line (usually a pty from socat) and either streams readings (push mode) or answers
 * `READ` commands (request mode), one reading per line ending with \r\n, as many real devices do:
 *
 *     number:  21.5
 *     kv:      t=21.5,h=40
 *     json:    {"t":21.5,"h":40}
 *
 * Request mode: `READ` (or `READ <anything>`) is answered with a reading; anything else with `ERR unknown command`.
 * `SILENT <n>` makes it ignore the next n requests (for timeout tests).
 *
 * In tests: `new SerialDevice({port, mode, format, interval})`, `await device.open()`, and `sent` lists the
 * temperature of every well-formed reading written, so a test can prove that no received value was invented.
 */
const { SerialPort, ReadlineParser } = require('serialport');

class SerialDevice {
    constructor({ port, mode = 'push', format = 'kv', interval = 1000, baudRate = 9600, misbehave = 0 }) {
        this.path = port;
        this.mode = mode;
        this.format = format;
        this.interval = interval;
        this.baudRate = baudRate;
        this.misbehave = misbehave;
        this.seq = 0;
        /** Temperatures of the well-formed readings written. */
        this.sent = [];
        /** Commands received, in request mode. */
        this.commands = [];
        this.silent = 0;
        this.port = undefined;
        this.timer = undefined;
    }

    /** The next reading's values: deterministic, so a run can be repeated. */
    next() {
        const seq = this.seq++;
        return { t: 20 + ((seq * 7) % 50) / 10, h: 40 + (seq % 20) };
    }

    line({ t, h }) {
        switch (this.format) {
            case 'number':
                return `${t}\r\n`;
            case 'json':
                return `${JSON.stringify({ t, h })}\r\n`;
            default:
                return `t=${t},h=${h}\r\n`;
        }
    }

    async open() {
        const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
        await /** @type {Promise<void>} */ (
            new Promise((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
        );
        this.port = port;
        // The far end going away (socat stopped) is expected in tests: stop quietly.
        port.on('error', () => undefined);
        port.on('close', () => this.stopTimer());
        if (this.mode === 'request') {
            const lines = port.pipe(new ReadlineParser({ delimiter: '\n' }));
            lines.on('data', (line) => this.command(line.replace(/\r$/, '')));
        } else if (this.interval > 0) {
            this.timer = setInterval(() => this.push(), this.interval);
        }
    }

    stopTimer() {
        if (this.timer) clearInterval(this.timer);
        this.timer = undefined;
    }

    push() {
        if (this.misbehave > 0 && Math.random() < this.misbehave) {
            const pick = Math.floor(Math.random() * 3);
            if (pick === 0) this.sendGarbage();
            else if (pick === 1) this.sendPartial();
            else this.sendOversized(4096);
            return;
        }
        this.sendReading();
    }

    /** Writes one well-formed reading and returns its temperature. */
    sendReading() {
        const values = this.next();
        this.sent.push(values.t);
        this.write(this.line(values));
        return values.t;
    }

    command(line) {
        this.commands.push(line);
        if (this.silent > 0) {
            this.silent--;
            return;
        }
        const silent = /^SILENT (\d+)$/.exec(line);
        if (silent) {
            this.silent = Number(silent[1]);
            this.write('OK\r\n');
        } else if (/^READ\b/.test(line)) this.sendReading();
        else this.write('ERR unknown command\r\n');
    }

    /** Bytes no sensor sends: control characters, invalid UTF-8 and letters, then a line end. */
    sendGarbage() {
        this.write(Buffer.concat([Buffer.from([0x00, 0x1b, 0xff, 0xfe]), Buffer.from('#@!x\r\n')]));
    }

    /** The first part of a reading with no line end, as a device reset in mid-line leaves it. */
    sendPartial() {
        const line = this.line(this.next());
        this.write(line.slice(0, Math.max(1, Math.floor(line.length / 2))));
    }

    /** A line of `length` digits: longer than any limit, and a plausible number if it were cut. */
    sendOversized(length) {
        this.write(`${'1'.repeat(length)}\r\n`);
    }

    write(data) {
        if (this.port && this.port.isOpen) this.port.write(data);
    }

    /** Waits until everything written has gone out. */
    drain() {
        return /** @type {Promise<void>} */ (
            new Promise((resolve) => (this.port && this.port.isOpen ? this.port.drain(() => resolve()) : resolve()))
        );
    }

    async close() {
        this.stopTimer();
        const port = this.port;
        this.port = undefined;
        if (port && port.isOpen)
            await /** @type {Promise<void>} */ (new Promise((resolve) => port.close(() => resolve())));
    }
}

module.exports = { SerialDevice };
