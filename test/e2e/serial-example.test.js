'use strict';
// examples/serial-sensor.json as its comment node says to run it: the package's `sensorhub-serial-device` command,
// which makes a socat pty pair and sends on one end, the example's serial port on the other, in a real Node-RED with
// the packed module. Only the port's path differs from the example (a pty in a temp dir instead of
// /tmp/sensorhub-dev, so a demo running by hand is not disturbed).
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root, DEFAULT_NODE_RED, startNodeRed } = require('./launcher');
const { needTool } = require('../helpers/tools');
const { until } = require('../helpers/wait');

/** Every temperature the simulator can send (see bin/lib/serial-device.js): a shown value outside it was invented. */
const SENDABLE = new Set(Array.from({ length: 50 }, (_, k) => 20 + k / 10));

describe(`e2e: ${DEFAULT_NODE_RED} serial sensor example with a pty device`, function () {
    this.timeout(120000);
    let red;
    let device;
    let exited;
    let link;
    let tmp;

    before(async function () {
        needTool(this, 'socat');
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-serial-example-'));
        link = path.join(tmp, 'dev');
        const command = path.join(root, 'bin', 'sensorhub-serial-device.js');
        device = spawn(
            process.execPath,
            [command, '--link', link, '--mode', 'push', '--format', 'kv', '--interval', '100'],
            {
                stdio: ['ignore', 'pipe', 'inherit'],
            },
        );
        exited = new Promise((resolve) => device.on('exit', resolve));
        let said = '';
        device.stdout.on('data', (d) => (said += d));
        await until(() => said.includes(`serial port node path: ${link}`), 'the simulator command to start');
        red = await startNodeRed();
    });

    after(async function () {
        if (red) await red.stop();
        device?.kill('SIGTERM');
        await exited;
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('turns the device’s pushed lines into temperature and humidity readings on the hub', async function () {
        const flows = JSON.parse(fs.readFileSync(path.join(root, 'examples', 'serial-sensor.json'), 'utf8'));
        const port = flows.find((n) => n.type === 'sensorhub-serial-port');
        assert.equal(port.path, '/tmp/sensorhub-dev', 'the example points at the path its comment gives');
        port.path = link;
        const debug = flows.find((n) => n.type === 'debug');
        debug.console = true;
        debug.active = true;
        const from = red.mark();
        await red.deploy(flows);
        const label = `[debug:${debug.name || debug.id}]`;
        const seen = () => red.log(from).split(label).length - 1;
        await until(() => seen() >= 6, 'readings from the device in the debug output', 20000);
        const log = red.log(from);
        assert.match(log, /kind: 'temperature'[\s\S]*reading: \{[^}]*status: 'ok'/);
        assert.match(log, /kind: 'humidity'/);
        // Every temperature shown is one the device sent: nothing is invented from a partial or garbled line.
        const shown = [...log.matchAll(/topic: 'temperature_update',\s*payload: ([\d.]+)/g)].map((m) => Number(m[1]));
        assert.ok(shown.length > 0, `no temperature payload found in:\n${log}`);
        for (const t of shown) assert.ok(SENDABLE.has(t), `${t} is no value the device sends`);
        assert.doesNotMatch(log, /\[(error|fatal)\]/);
    });
});
