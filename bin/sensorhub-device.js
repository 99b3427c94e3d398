#!/usr/bin/env node
'use strict';
// `sensorhub-device` (npx sensorhub-device): a simulated device for the sensorhub-gateway node.
const fs = require('node:fs');
const { Device } = require('./lib/device');
const { command, number, say } = require('./lib/cli');

const NAME = 'sensorhub-device';
const USAGE = `Usage: npx ${NAME} [options]

A simulated device for the Sensor Hub device gateway (the sensorhub-gateway node). It connects, says hello with
its id and token, then sends readings at a steady rate, drifting between about 19 and 23 degrees for a
temperature, and acknowledges every command it gets, printing it. When the connection drops it connects again
with a growing delay. Ctrl-C stops it.

Options:
  --host <address>    the gateway's address (127.0.0.1)
  --port <port>       the gateway's port (1881)
  --id <device id>    the device id, as in the gateway's device table (dev1)
  --token <token>     the device's token, as typed in the gateway's device table (secret)
  --rate <n>          readings per second, 0.01 to 10000 (1)
  --sensor <id>       the sensor id; readings come out of the gateway as <device id>/<sensor id> (t1)
  --kind <kind>       temperature, humidity, motion or another kind the gateway takes (temperature)
  --count <n>         stop after n readings (0: never)
  --tls               connect over TLS
  --ca <file>         the certificate to trust (e.g. the gateway's self-signed one)
  --insecure          trust any certificate (for testing only)
  --no-reconnect      exit when the connection drops
  -h, --help          this text

Example, against the example flow "gateway" with the token you typed for dev1:
  npx ${NAME} --port 1881 --id dev1 --token <your token> --rate 10
`;

const SPEC = {
    values: ['host', 'port', 'id', 'token', 'rate', 'sensor', 'kind', 'count', 'ca'],
    flags: ['tls', 'insecure', 'no-reconnect'],
};

async function main(args) {
    const rate = number(args, 'rate', 1, 0.01, 10000);
    const count = number(args, 'count', 0, 0, Number.MAX_SAFE_INTEGER);
    const device = new Device({
        host: args.host ?? '127.0.0.1',
        port: number(args, 'port', 1881, 1, 65535),
        id: args.id ?? 'dev1',
        token: args.token ?? 'secret',
        useTls: args.tls === true,
        ca: args.ca ? fs.readFileSync(args.ca) : undefined,
        rejectUnauthorized: args.insecure !== true,
        sensor: args.sensor ?? 't1',
        kind: args.kind ?? 'temperature',
        autoAck: true,
        keep: false,
    });
    const tell = (text) => say(`${device.id}: ${text}`);
    device.onMessage = (m) => {
        if (m.type === 'command') tell(`command ${JSON.stringify(m)} (acked)`);
        else if (m.type === 'error') tell(`error ${m.code}: ${m.message}`);
    };
    let delay = 1000;
    let total = 0;
    for (;;) {
        try {
            await device.connect();
            const answer = await device.hello();
            if (answer.type === 'error') {
                tell(`refused: ${answer.code}: ${answer.message}`);
                await device.closed;
                process.exitCode = 1;
                return;
            }
            tell(
                `connected to ${device.host}:${device.port}, sending ${rate} reading(s)/s (limits ${JSON.stringify(answer.limits)})`,
            );
            delay = 1000;
            device.stream(rate, count === 0 ? 0 : count - total, (n) => {
                if (count > 0 && total + n >= count) {
                    tell(`sent ${count} readings`);
                    void device.close();
                }
            });
            // Often enough for the gateway's idle timeout, whatever the reading rate.
            const idle = answer.limits.idleTimeoutMs;
            const pinger = setInterval(() => device.send({ type: 'ping' }), idle > 0 ? Math.max(100, idle / 3) : 15000);
            await device.closed;
            clearInterval(pinger);
            total = device.seq;
            if (count > 0 && total >= count) return;
            tell('disconnected');
        } catch (err) {
            tell(`cannot connect: ${err.message}`);
        }
        if (args['no-reconnect']) {
            process.exitCode = 1;
            return;
        }
        tell(`reconnecting in ${delay / 1000} s`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 10000);
    }
}

void command(NAME, USAGE, SPEC, main);
