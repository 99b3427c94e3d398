'use strict';
/* global RED, document -- functions passed to page.evaluate/waitForFunction run in the browser */
// The devices node's dialog in a real Chromium: after a deploy, its refresh button lists the devices the running node
// has seen on a real broker, and clicking one puts it in the Devices field.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const { chromium } = require('playwright-core');
const { root, DEFAULT_NODE_RED, startNodeRed, onTab } = require('./launcher');
const { needTool } = require('../helpers/tools');
const { until } = require('../helpers/wait');
const { startBroker } = require('../fixtures/broker');

const CHROMIUM_ARGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
];
const FILE = 'devices-zigbee2mqtt.json';

describe(`e2e: ${DEFAULT_NODE_RED} devices node dialog lists the devices it has seen`, function () {
    // Packing, installing and starting take seconds (minutes on a busy machine).
    this.timeout(600000);
    let red;
    let broker;
    let client;
    let browser;
    let page;
    let nodeId;
    const pageErrors = [];

    before(async function () {
        const executablePath = needTool(this, 'chromium');
        broker = await startBroker();
        const flows = JSON.parse(fs.readFileSync(path.join(root, 'examples', FILE), 'utf8')).map((n) =>
            n.type === 'sensorhub-hub' ? { ...n, broker: broker.url } : n,
        );
        nodeId = flows.find((n) => n.type === 'sensorhub-device').id;
        red = await startNodeRed({ flows: onTab(flows, FILE) });
        client = await mqtt.connectAsync(broker.url);
        browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
        page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
        page.on('pageerror', (err) => pageErrors.push(err.stack || String(err)));
        await page.goto(red.url);
        await page.waitForFunction(
            () =>
                globalThis.RED &&
                RED.nodes &&
                RED.nodes.getType('sensorhub-device') &&
                document.querySelector('.red-ui-flow-node-group'),
            null,
            { timeout: 60000 },
        );
    });

    after(async function () {
        if (browser) await browser.close();
        if (client) await client.endAsync();
        if (red) await red.stop();
        if (broker) await broker.close();
    });

    it('lists a Zigbee2MQTT device seen on the broker, and a click adds it to the Devices field', async function () {
        await until(
            async () => {
                await client.publishAsync(
                    'zigbee2mqtt/kitchen sensor',
                    JSON.stringify({ temperature: 19.5, humidity: 51 }),
                );
                const res = await red.request('GET', `/sensorhub/devices/${nodeId}`);
                return res.status === 200 && res.body.devices.some((d) => d.id === 'kitchen sensor');
            },
            'the running node to have seen the device',
            60000,
        );
        await page.evaluate((id) => RED.view.reveal(id), nodeId);
        await page.locator(`g[id="${nodeId}"] .red-ui-flow-node`).first().dblclick();
        await page.locator('#sensorhub-device-refresh').click();
        const entry = page.locator('#sensorhub-device-found li', { hasText: 'kitchen sensor' });
        await entry.waitFor({ timeout: 30000 });
        assert.match(await entry.innerText(), /temperature 19\.5 °C/);
        await entry.locator('a').click();
        assert.equal(await page.locator('#node-input-devices').inputValue(), 'kitchen sensor');
        await page.locator('#node-dialog-cancel').click();
        assert.deepEqual(pageErrors, []);
    });
});
