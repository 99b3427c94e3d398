#!/usr/bin/env node
'use strict';
// `sensorhub-serial-device` (npx sensorhub-serial-device): a simulated serial sensor, on a virtual serial line of
// its own (a socat pty pair) or on a serial line given.
const { PtyPair } = require('./lib/pty');
const { SerialDevice } = require('./lib/serial-device');
const { command, number, choice, say, UsageError } = require('./lib/cli');

const NAME = 'sensorhub-serial-device';
const DEFAULT_LINK = '/tmp/sensorhub-dev';
const USAGE = `Usage: npx ${NAME} [options]

A simulated serial sensor for the Sensor Hub serial nodes. It sends a temperature and a humidity reading per line,
each line ending with \\r\\n, as many real devices do:
  number   21.5
  kv       t=21.5,h=40
  json     {"t":21.5,"h":40}
In push mode it sends a line every interval; in request mode it answers each line READ with one.

Without --port it makes a virtual serial line with socat (which must be installed, e.g. apt install socat) and
links its far end at ${DEFAULT_LINK} (or --link): point a serial port config node there. Stopping this command
unplugs that line; starting it again plugs it back in. Ctrl-C stops it.

Options:
  --link <path>         where the virtual line's far end appears, for the serial port node (${DEFAULT_LINK})
  --port <path>         use this serial line instead of making one (e.g. one end of your own socat pair)
  --mode <mode>         push or request (push)
  --format <format>     kv, number or json (kv)
  --interval <ms>       between pushed lines, 10 to 3600000 (1000)
  --baud <rate>         the baud rate (9600)
  --misbehave <0..1>    the chance that a pushed line is garbage, cut short or oversized instead (0)
  -h, --help            this text

Example, for the example flow "serial sensor":
  npx ${NAME} --mode push --format kv
`;

const SPEC = { values: ['link', 'port', 'mode', 'format', 'interval', 'baud', 'misbehave'] };

async function main(args) {
    if (args.port !== undefined && args.link !== undefined)
        throw new UsageError('give --port (a serial line to use) or --link (where to make one), not both');
    const settings = {
        mode: choice(args, 'mode', ['push', 'request']),
        format: choice(args, 'format', ['kv', 'number', 'json']),
        interval: number(args, 'interval', 1000, 10, 3_600_000),
        baudRate: number(args, 'baud', 9600, 1, 4_000_000),
        misbehave: number(args, 'misbehave', 0, 0, 1),
    };
    let pty;
    if (args.port === undefined) {
        const link = args.link ?? DEFAULT_LINK;
        pty = new PtyPair('socat', undefined, { devPath: link, simPath: `${link}-device` });
        try {
            await pty.start();
        } catch (err) {
            const missing = /ENOENT/.test(err.message) ? ' (is socat installed? e.g. apt install socat)' : '';
            throw new Error(`cannot make a virtual serial line at ${link}${missing}: ${err.message.trim()}`);
        }
    }
    const port = args.port ?? pty.simPath;
    const device = new SerialDevice({ port, ...settings });
    let stopping = false;
    const stop = async (code) => {
        stopping = true;
        await device.close();
        if (pty) await pty.stop();
        process.exit(code);
    };
    try {
        await device.open();
    } catch (err) {
        if (pty) await pty.stop();
        throw err;
    }
    const where = pty ? `serial port node path: ${pty.devPath}` : `on ${port}`;
    say(`${device.mode} mode, ${device.format} lines, ${where}`);
    device.port.on('close', () => {
        if (stopping) return;
        say('the serial line went away');
        void stop(0);
    });
    process.on('SIGINT', () => void stop(0));
    process.on('SIGTERM', () => void stop(0));
}

void command(NAME, USAGE, SPEC, main);
