'use strict';
/* global RED, document -- functions passed to page.evaluate/waitForFunction run in the browser */
// The "sensor hub" sidebar tab in a real Chromium, fed live by the runtime plugin over comms.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const mqtt = require('mqtt');
const { chromium } = require('playwright-core');
const { root, DEFAULT_NODE_RED, startNodeRed, onTab } = require('./launcher');
const { needTool } = require('../helpers/tools');
const { CHROMIUM_ARGS } = require('./chromium');
const { until } = require('../helpers/wait');
const { startBroker } = require('../fixtures/broker');

const ARTIFACTS = path.join(__dirname, 'artifacts');
const TYPE = 'temperature_update';

/** The smart-home example with its simulated sensors reading every 0.2 s, so rates change between two looks. */
function fastSmartHome() {
    const flows = JSON.parse(fs.readFileSync(path.join(root, 'examples', 'smart-home.json'), 'utf8'));
    for (const n of flows) if (n.type === 'sensorhub-sensor' && n.source === 'simulated') n.interval = 0.2;
    return onTab(flows, 'smart-home.json');
}

const DEVICES_FILE = 'devices-zigbee2mqtt.json';

/** The Zigbee2MQTT devices example, its hub on the test's broker. */
function devicesExample(brokerUrl) {
    const flows = JSON.parse(fs.readFileSync(path.join(root, 'examples', DEVICES_FILE), 'utf8'));
    return onTab(
        flows.map((n) => (n.type === 'sensorhub-hub' ? { ...n, broker: brokerUrl } : n)),
        DEVICES_FILE,
    );
}

describe(`e2e: ${DEFAULT_NODE_RED} sensor hub sidebar in Chromium`, function () {
    // Packing, installing and starting take seconds (minutes on a busy machine); a shorter timeout would abandon a
    // starting Node-RED.
    this.timeout(600000);
    let red;
    let broker;
    let client;
    let browser;
    let page;
    const pageErrors = [];

    before(async function () {
        const executablePath = needTool(this, 'chromium');
        broker = await startBroker();
        red = await startNodeRed({ flows: [...fastSmartHome(), ...devicesExample(broker.url)] });
        client = await mqtt.connectAsync(broker.url);
        browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
        page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
        page.on('pageerror', (err) => pageErrors.push(err.stack || String(err)));
        await page.goto(red.url);
        await page.waitForFunction(
            () =>
                globalThis.RED &&
                // The tab's content is in the page once the plugin's onadd has added the tab.
                document.querySelector('.sensorhub-sidebar') &&
                document.querySelector('.red-ui-flow-node-group'),
            null,
            { timeout: 30000 },
        );
    });

    after(async function () {
        if (browser) await browser.close();
        if (client) await client.endAsync();
        if (red) await red.stop();
        if (broker) await broker.close();
    });

    /** The total shown for `type` on the sidebar, or null while it has no row. */
    function totalOf(type) {
        return page.evaluate((t) => {
            const row = document.querySelector(`.sensorhub-sidebar tr[data-type="${t}"]`);
            return row ? Number(row.children[2].textContent) : null;
        }, type);
    }

    it('adds a "sensor hub" tab that shows live event types, subscribers and sensors', async function () {
        await page.evaluate(() => RED.sidebar.show('sensorhub'));
        // Node-RED 4 labels its sidebar tabs with text, Node-RED 5 with icons: ask the sidebar itself.
        assert.equal(await page.evaluate(() => RED.sidebar.containsTab('sensorhub')), true);
        await page.locator('.sensorhub-sidebar').first().waitFor({ state: 'visible' });
        await page.waitForFunction((t) => document.querySelector(`.sensorhub-sidebar tr[data-type="${t}"]`), TYPE, {
            timeout: 30000,
        });
        const first = await totalOf(TYPE);
        // Live: the same row shows a larger total after a later snapshot.
        await page.waitForFunction(
            ([t, before]) => {
                const row = document.querySelector(`.sensorhub-sidebar tr[data-type="${t}"]`);
                return row && Number(row.children[2].textContent) > before;
            },
            [TYPE, first],
            { timeout: 30000 },
        );
        const heading = await page.locator('.sensorhub-sidebar h4').first().textContent();
        assert.match(heading, /home/);
        const sensors = await page.locator('.sensorhub-sidebar tr[data-node-id]').count();
        assert.ok(sensors >= 2, `expected subscriber and sensor rows, got ${sensors}`);
    });

    it('reveals and selects the node of a clicked row', async function () {
        const id = await page.evaluate(() => {
            const sensor = RED.nodes.filterNodes({ type: 'sensorhub-sensor' })[0];
            return sensor.id;
        });
        await page.locator(`.sensorhub-sidebar tr[data-node-id="${id}"]`).first().click();
        await page.waitForFunction((nodeId) => RED.view.selection().nodes?.some((n) => n.id === nodeId), id, {
            timeout: 10000,
        });
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'sidebar.png') });
    });

    it("lists a device a devices node found, with its readings, and a click adds it to that node's list", async function () {
        const nodeId = await page.evaluate(() => RED.nodes.filterNodes({ type: 'sensorhub-device' })[0].id);
        const row = `.sensorhub-sidebar [data-devices-node="${nodeId}"] tr[data-device="kitchen sensor"]`;
        await page.evaluate(() => RED.sidebar.show('sensorhub'));
        // Retained availability, and a reading sent until the node has subscribed.
        await client.publishAsync('zigbee2mqtt/kitchen sensor/availability', '{"state":"online"}', { retain: true });
        await until(
            async () => {
                await client.publishAsync(
                    'zigbee2mqtt/kitchen sensor',
                    JSON.stringify({ temperature: 19.5, humidity: 51 }),
                );
                return page.evaluate((sel) => document.querySelector(sel) !== null, row);
            },
            'the sidebar to list the found device',
            60000,
        );
        await page.waitForFunction(
            (sel) => /online/.test(document.querySelector(sel)?.children[1].textContent ?? ''),
            row,
            { timeout: 30000 },
        );
        const cells = await page.evaluate(
            (sel) => [...(document.querySelector(sel)?.children ?? [])].map((c) => c.textContent),
            row,
        );
        assert.match(cells[2], /temperature 19\.5 °C/);
        assert.match(cells[2], /humidity 51 %/);
        assert.equal(
            await page.evaluate((sel) => document.querySelector(sel)?.children[0].getAttribute('title'), row),
            'zigbee2mqtt/kitchen sensor',
            'the topic to copy',
        );
        await page.locator(`${row} button.sensorhub-sidebar-use`).click();
        await page.waitForFunction((id) => RED.nodes.node(id).devices === 'kitchen sensor', nodeId, {
            timeout: 10000,
        });
        assert.equal(await page.evaluate(() => RED.nodes.dirty()), true, 'a change to deploy');
        await page.evaluate(() => RED.history.pop());
        assert.equal(await page.evaluate((id) => RED.nodes.node(id).devices, nodeId), '', 'undone');
        await page.locator(`${row} button.sensorhub-sidebar-copy`).first().click();
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'sidebar-devices.png') });
        await client.publishAsync('zigbee2mqtt/kitchen sensor/availability', '', { retain: true });
    });

    it('raised no error in the page', function () {
        assert.deepEqual(pageErrors, []);
    });
});
