'use strict';
// The device simulators the package ships as commands (package.json `bin`): run as a user runs them, in processes of
// their own, against a real pty pair. The gateway device's readings arriving at a gateway is in gateway.test.js.
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SerialPort, ReadlineParser } = require('serialport');
const { needTool } = require('../helpers/tools');
const { until } = require('../helpers/wait');
const { PtyPair } = require('../fixtures/pty');
const mqtt = require('mqtt');
const { startBroker } = require('../fixtures/broker');

const ROOT = path.join(__dirname, '..', '..');
const pkg = require('../../package.json');
const COMMANDS = {
    'sensorhub-device': 'bin/sensorhub-device.js',
    'sensorhub-serial-device': 'bin/sensorhub-serial-device.js',
    'sensorhub-mqtt-devices': 'bin/sensorhub-mqtt-devices.js',
};

/** Starts a command; `out` collects stdout and stderr, `exited` resolves with its exit code. */
function run(name, args, env = process.env) {
    const child = spawn(process.execPath, [path.join(ROOT, COMMANDS[name]), ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
    });
    const result = { child, out: '' };
    child.stdout.on('data', (d) => (result.out += d));
    child.stderr.on('data', (d) => (result.out += d));
    result.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    return result;
}

/** Opens a serial line and collects its lines. */
async function listen(file, lines) {
    const port = new SerialPort({ path: file, baudRate: 9600, autoOpen: false });
    await /** @type {Promise<void>} */ (
        new Promise((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
    );
    port.on('error', () => undefined);
    port.pipe(new ReadlineParser({ delimiter: '\n' })).on('data', (l) => lines.push(l.replace(/\r$/, '')));
    return port;
}
const closePort = (port) =>
    /** @type {Promise<void>} */ (new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())));

describe('the simulator commands', function () {
    this.timeout(30000);
    const started = [];
    afterEach(async function () {
        for (const r of started.splice(0)) {
            if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
            await r.exited;
        }
    });
    const start = (...a) => {
        const r = run(...a);
        started.push(r);
        return r;
    };

    it('are declared in package.json and shipped in the package', function () {
        assert.deepEqual(pkg.bin, COMMANDS);
        const packed = JSON.parse(
            execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }),
        )[0].files.map((f) => f.path);
        const libs = ['bin/lib/device.js', 'bin/lib/serial-device.js', 'bin/lib/mqtt-devices.js'];
        for (const file of [...Object.values(COMMANDS), ...libs]) {
            assert.ok(packed.includes(file), `${file} is in the package`);
            assert.match(fs.readFileSync(path.join(ROOT, file), 'utf8'), /^(#!\/usr\/bin\/env node\n)?'use strict'/);
        }
        for (const file of Object.values(COMMANDS)) {
            assert.ok(fs.readFileSync(path.join(ROOT, file), 'utf8').startsWith('#!/usr/bin/env node\n'), file);
            assert.ok(fs.statSync(path.join(ROOT, file)).mode & 0o100, `${file} is executable`);
        }
        assert.ok(!packed.some((f) => f.startsWith('test/')), 'the tests are not in the package');
    });

    for (const name of Object.keys(COMMANDS)) {
        it(`${name} --help says how to use it, and a wrong option is a usage error`, async function () {
            const help = start(name, ['--help']);
            assert.equal(await help.exited, 0, help.out);
            assert.match(help.out, new RegExp(`^Usage: npx ${name} \\[options\\]`));
            assert.match(help.out, /Example/);
            const wrong = start(name, ['--colour', 'red']);
            assert.equal(await wrong.exited, 2, wrong.out);
            assert.match(wrong.out, new RegExp(`${name}: unknown option --colour\\nRun ${name} --help`));
        });
    }

    it('sensorhub-device refuses a value it cannot use, naming the option', async function () {
        const r = start('sensorhub-device', ['--rate', 'fast']);
        assert.equal(await r.exited, 2);
        assert.match(r.out, /--rate must be a number from 0\.01 to 10000, got "fast"/);
    });

    describe('sensorhub-mqtt-devices', function () {
        let broker;
        before(async function () {
            broker = await startBroker();
        });
        after(async function () {
            if (broker) await broker.close();
        });
        // Clients a test opened, ended even when it fails: a client left open reconnects forever and keeps mocha alive.
        const clients = [];
        afterEach(async function () {
            for (const c of clients.splice(0)) await c.endAsync(true);
        });
        const connect = async (url) => {
            const c = await mqtt.connectAsync(url);
            clients.push(c);
            return c;
        };

        it("publishes a profile's documented payloads, answers a command, and clears its retained messages", async function () {
            const watcher = await connect(broker.url);
            const seen = [];
            watcher.on('message', (topic, payload, packet) => seen.push([topic, payload.toString(), packet.retain]));
            await watcher.subscribeAsync(['zigbee2mqtt/#']);
            const r = start('sensorhub-mqtt-devices', ['--profile', 'zigbee2mqtt', '--broker', broker.url, '--clear']);
            await until(() => seen.some(([t]) => t === 'zigbee2mqtt/climate'), 'the climate sensor', 20000);
            assert.equal(JSON.parse(seen.find(([t]) => t === 'zigbee2mqtt/climate')[1]).temperature, 20.77);
            await watcher.publishAsync('zigbee2mqtt/bulb/set', JSON.stringify({ state: 'ON', brightness: 100 }));
            await until(
                () => seen.some(([t, p]) => t === 'zigbee2mqtt/bulb' && p.includes('"brightness":100')),
                'the bulb to answer its command',
                20000,
            );
            r.child.kill('SIGINT');
            assert.equal(await r.exited, 0, r.out);
            assert.match(r.out, /simulating zigbee2mqtt on mqtt:\/\/127\.0\.0\.1:\d+ \(Ctrl-C to stop\)/);
            const later = await connect(broker.url);
            const retained = [];
            let probed = false;
            later.on('message', (topic, payload, packet) => {
                if (topic === 'zigbee2mqtt/probe') probed = true;
                else if (packet.retain && payload.length > 0) retained.push(topic);
            });
            await later.subscribeAsync('zigbee2mqtt/#');
            // The broker sends retained messages on subscribing, before anything published after.
            await later.publishAsync('zigbee2mqtt/probe', 'end');
            await until(() => probed, 'the probe after any retained message');
            assert.deepEqual(retained, [], '--clear left no retained device behind');
        });

        it('stops cleanly when interrupted while a round is still publishing', async function () {
            // Rounds every 20 ms of every profile: each interrupt is likely to land in the middle of one. Ending the
            // connection under it must not fail the publishes still queued (exit code 1, "client disconnecting").
            for (let i = 0; i < 5; i++) {
                const watcher = await connect(broker.url);
                let seen = 0;
                watcher.on('message', () => seen++);
                await watcher.subscribeAsync(['#']);
                const r = start('sensorhub-mqtt-devices', ['--broker', broker.url, '--interval', '0.02', '--clear']);
                await until(() => seen > 60, 'a few rounds', 20000);
                r.child.kill('SIGINT');
                assert.equal(await r.exited, 0, r.out);
                assert.match(r.out, /stopped after \d+ round/);
            }
        });

        it('stops by itself after --count rounds, and refuses a profile it does not know', async function () {
            const r = start('sensorhub-mqtt-devices', ['--profile', 'tasmota', '--broker', broker.url, '--count', '1']);
            assert.equal(await r.exited, 0, r.out);
            assert.match(r.out, /stopped after 1 round/);
            const bad = start('sensorhub-mqtt-devices', ['--profile', 'x10']);
            assert.equal(await bad.exited, 2);
            assert.match(bad.out, /--profile must be all, zigbee2mqtt/);
        });
    });

    describe('sensorhub-serial-device', function () {
        let socat;
        let dir;
        before(function () {
            socat = needTool(this, 'socat');
        });
        beforeEach(function () {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-sim-'));
        });
        afterEach(function () {
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it('makes a virtual serial line of its own and pushes readings on it, until stopped', async function () {
            const link = path.join(dir, 'dev');
            const sim = start('sensorhub-serial-device', ['--link', link, '--interval', '20']);
            await until(() => sim.out.includes(`serial port node path: ${link}`), 'the simulator to say where');
            const lines = [];
            const port = await listen(link, lines);
            try {
                await until(() => lines.length >= 3, 'readings over the virtual line');
            } finally {
                await closePort(port);
            }
            assert.ok(
                lines.slice(1).every((l) => /^t=\d+(\.\d+)?,h=\d+$/.test(l)),
                JSON.stringify(lines),
            );
            sim.child.kill('SIGTERM');
            assert.equal(await sim.exited, 0, sim.out);
            assert.equal(fs.existsSync(link), false, 'stopping it unplugs the line');
        });

        it('answers READ in request mode on a serial line given with --port', async function () {
            const pty = new PtyPair(socat, dir);
            await pty.start();
            try {
                const sim = start('sensorhub-serial-device', [
                    '--port',
                    pty.simPath,
                    '--mode',
                    'request',
                    '--format',
                    'json',
                ]);
                await until(() => /request mode, json lines/.test(sim.out), 'the simulator to open the line');
                const lines = [];
                const port = await listen(pty.devPath, lines);
                try {
                    port.write('READ\r\n');
                    await until(() => lines.length === 1, 'the answer');
                } finally {
                    await closePort(port);
                }
                assert.deepEqual(Object.keys(JSON.parse(lines[0])), ['t', 'h']);
            } finally {
                await pty.dispose();
            }
        });

        it('says so when socat is missing, and when --port and --link are both given', async function () {
            const noSocat = start('sensorhub-serial-device', ['--link', path.join(dir, 'dev')], {
                ...process.env,
                PATH: dir,
            });
            assert.equal(await noSocat.exited, 1);
            assert.match(noSocat.out, /cannot make a virtual serial line at .*is socat installed\?/);
            const both = start('sensorhub-serial-device', ['--port', '/dev/null', '--link', '/tmp/x']);
            assert.equal(await both.exited, 2);
            assert.match(both.out, /give --port .* or --link .*, not both/);
        });
    });
});
