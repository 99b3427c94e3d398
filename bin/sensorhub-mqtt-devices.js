#!/usr/bin/env node
'use strict';
// `sensorhub-mqtt-devices` (npx sensorhub-mqtt-devices): simulated Zigbee2MQTT, Tasmota, ESPHome, Shelly and Home
// Assistant devices on an MQTT broker, for the devices examples without hardware.
const { simulate, SIMULATORS } = require('./lib/mqtt-devices');
const { choice, command, number, say } = require('./lib/cli');

const NAME = 'sensorhub-mqtt-devices';
const PROFILES = ['all', ...Object.keys(SIMULATORS)];
const USAGE = `Usage: npx ${NAME} [options]

Simulated devices for the Sensor Hub devices node (sensorhub-device), on an MQTT broker: each profile publishes the
payloads its project's documentation shows (a Zigbee climate sensor, motion sensor, door contact and bulb; Tasmota
AM2301, DS18B20 and SI7021 sensors; an ESPHome node with its discovery config; Shelly Plus H&T and Plus 1; Home
Assistant discovery configs), retained where the firmware retains, and answers light, lock and relay commands the
way the firmware does. It publishes again every --interval seconds until Ctrl-C stops it.

Options:
  --broker <url>      the broker, as in the hub's settings; credentials as mqtt://user:password@host
                      (mqtt://127.0.0.1:1883)
  --profile <name>    ${PROFILES.join(', ')} (all)
  --interval <s>      publish again every s seconds, 0 for once (10)
  --count <n>         stop after n rounds (0: never)
  --clear             on stopping, remove the retained messages it published (devices and discovery configs)
  -h, --help          this text

Example, against the example flow "devices-zigbee2mqtt" with its hub on a local broker:
  npx ${NAME} --profile zigbee2mqtt --broker mqtt://127.0.0.1:1883
`;

const SPEC = { values: ['broker', 'profile', 'interval', 'count'], flags: ['clear'] };

async function main(args) {
    const url = args.broker ?? 'mqtt://127.0.0.1:1883';
    const profile = choice({ profile: args.profile ?? 'all' }, 'profile', PROFILES);
    const intervalMs = number(args, 'interval', 10, 0, 86400) * 1000;
    const count = number(args, 'count', 0, 0, Number.MAX_SAFE_INTEGER);
    const names = profile === 'all' ? Object.keys(SIMULATORS) : [profile];
    const sims = await Promise.all(names.map((n) => simulate(n, url)));
    let rounds = 0;
    let timer;
    let stopping;
    /** The round being published: stopping waits for it, or ending the connection would fail its publishes. */
    let current = Promise.resolve();
    const stop = () => {
        stopping ??= (async () => {
            clearTimeout(timer);
            await current.catch(() => undefined);
            if (args.clear) await Promise.all(sims.map((s) => s.clear()));
            await Promise.all(sims.map((s) => s.stop()));
            say(`stopped after ${rounds} round(s)`);
        })();
        return stopping;
    };
    const round = async () => {
        if (stopping) return undefined;
        current = Promise.all(sims.map((s) => s.start()));
        await current;
        rounds++;
        if (count > 0 && rounds >= count) return stop();
        if (intervalMs > 0 && !stopping) timer = setTimeout(() => void round(), intervalMs);
        return undefined;
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
    say(`simulating ${names.join(', ')} on ${url}${count > 0 ? '' : ' (Ctrl-C to stop)'}`);
    // With --interval 0 it publishes once and still answers commands until stopped.
    await round();
}

void command(NAME, USAGE, SPEC, main);
