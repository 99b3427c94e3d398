'use strict';
// examples/serial-sensor.json as its comment node says to run it: a device simulator on one end of a socat pty
// pair, the example's serial port on the other, in a real Node-RED with the packed module. Only the port's path
// differs from the example (a pty in a temp dir instead of /tmp/sensorhub-dev, so a demo running by hand is not
// disturbed).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root, DEFAULT_NODE_RED, startNodeRed } = require('./launcher');
const { needTool } = require('../helpers/tools');
const { until } = require('../helpers/wait');
const { PtyPair } = require('../fixtures/pty');
const { SerialDevice } = require('../fixtures/serial-device');

describe(`e2e: ${DEFAULT_NODE_RED} serial sensor example with a pty device`, function () {
    this.timeout(120000);
    let red;
    let pty;
    let device;
    let tmp;

    before(async function () {
        const socat = needTool(this, 'socat');
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-serial-example-'));
        pty = new PtyPair(socat, tmp);
        await pty.start();
        device = new SerialDevice({ port: pty.simPath, mode: 'push', format: 'kv', interval: 100 });
        await device.open();
        red = await startNodeRed();
    });

    after(async function () {
        if (red) await red.stop();
        await device?.close();
        await pty?.dispose();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('turns the device’s pushed lines into temperature and humidity readings on the hub', async function () {
        const flows = JSON.parse(fs.readFileSync(path.join(root, 'examples', 'serial-sensor.json'), 'utf8'));
        const port = flows.find((n) => n.type === 'sensorhub-serial-port');
        assert.equal(port.path, '/tmp/sensorhub-dev', 'the example points at the path its comment gives');
        port.path = pty.devPath;
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
        for (const t of shown) assert.ok(device.sent.includes(t), `${t} was never sent by the device`);
        assert.doesNotMatch(log, /\[(error|fatal)\]/);
    });
});
