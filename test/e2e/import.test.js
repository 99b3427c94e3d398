'use strict';
/* global RED, document -- functions passed to page.evaluate/waitForFunction run in the browser */
// A user's first steps with the packed module in a real Chromium: main menu → Import → Examples → our module →
// smart-home, clicked through the editor's own dialog, dropped on the canvas and deployed; the runtime then runs it.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { root, DEFAULT_NODE_RED, startNodeRed } = require('./launcher');
const { needTool } = require('../helpers/tools');
const { CHROMIUM_ARGS } = require('./chromium');

const MODULE = require('../../package.json').name;
const EXAMPLE = 'smart-home';
const ARTIFACTS = path.join(__dirname, 'artifacts');

/** `[type, name]` of every node in `flows` but tabs, sorted: what an import must reproduce, whatever ids it gives. */
function shape(flows) {
    return flows
        .filter((n) => n.type !== 'tab')
        .map((n) => `${n.type} ${n.name || ''}`)
        .sort();
}

describe(`e2e: ${DEFAULT_NODE_RED} import of an example from the editor's Import menu`, function () {
    // Packing, installing and starting take seconds; a shorter mocha default would abandon a starting Node-RED.
    this.timeout(300000);
    let red;
    let browser;
    let page;
    const pageErrors = [];

    before(async function () {
        const executablePath = needTool(this, 'chromium');
        // No flows: the editor opens on an empty tab, as for a new user.
        red = await startNodeRed();
        browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
        page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
        page.on('pageerror', (err) => pageErrors.push(err.stack || String(err)));
        await page.goto(red.url);
        await page.waitForFunction(
            () =>
                globalThis.RED &&
                RED.nodes &&
                RED.nodes.getType('sensorhub-sensor') &&
                RED.workspaces.active() &&
                document.querySelector('#red-ui-header-button-sidemenu'),
            null,
            { timeout: 30000 },
        );
    });

    after(async function () {
        if (browser) await browser.close();
        if (red) await red.stop();
    });

    /** Opens Import → Examples and imports one of ours. */
    async function chooseExample(name) {
        await page.locator('#red-ui-header-button-sidemenu').click();
        await page.locator('#menu-item-import').click();
        const dialog = page.locator('#red-ui-clipboard-dialog');
        await dialog.waitFor();
        await dialog.locator('#red-ui-clipboard-dialog-import-tabs .red-ui-tab', { hasText: /^Examples$/ }).click();

        // The examples tree: Examples › flows › one folder per module, our examples inside ours.
        const examples = dialog.locator('#red-ui-clipboard-dialog-import-tab-examples');
        const entry = (label) =>
            examples.locator('.red-ui-treeList-label', {
                has: page.locator('.red-ui-treeList-label-text', { hasText: new RegExp(`^${label}$`) }),
            });
        // Import is enabled once an example, not a folder, is chosen. On a busy machine a click can land while the
        // tree is still being drawn and choose nothing: choose again, until a generous deadline.
        const enabled = () =>
            !(/** @type {HTMLButtonElement} */ (document.querySelector('#red-ui-clipboard-dialog-ok')).disabled);
        for (let attempt = 1; ; attempt++) {
            // The module's folder is open after the first import: a second click would close it.
            if ((await entry(name).count()) === 0) await entry(MODULE).click();
            await entry(name).click();
            try {
                await page.waitForFunction(enabled, null, { timeout: 20000 });
                break;
            } catch (err) {
                if (attempt >= 4) throw err;
            }
        }
        await page.locator('#red-ui-clipboard-dialog-ok').click();
    }

    /** Puts down the imported nodes, which hang on the mouse until a click on the canvas. */
    async function putDown() {
        const canvas = page.locator('#red-ui-workspace-chart');
        const box = await canvas.boundingBox();
        await page.mouse.move(box.x + 120, box.y + 80);
        await page.mouse.move(box.x + 140, box.y + 100, { steps: 5 });
        await page.mouse.click(box.x + 140, box.y + 100);
        await page.waitForFunction(() => RED.view.state() === RED.state.DEFAULT);
    }

    const hubIds = () =>
        page.evaluate(() => {
            const ids = [];
            RED.nodes.eachConfig((n) => {
                if (n.type === 'sensorhub-hub') ids.push(n.id);
            });
            return ids;
        });

    it(`imports ${EXAMPLE} through Import → Examples, deploys it, and the runtime runs it without an error`, async function () {
        const expected = JSON.parse(fs.readFileSync(path.join(root, 'examples', `${EXAMPLE}.json`), 'utf8'));
        const from = red.mark();

        await chooseExample(EXAMPLE);
        // The imported nodes hang on the mouse until a click on the canvas puts them down.
        await page.waitForFunction(() => RED.nodes.filterNodes({ type: 'sensorhub-light' }).length === 1);
        await putDown();

        const invalid = await page.evaluate(() => {
            const bad = [];
            RED.nodes.eachNode((n) => {
                if (!n.valid) bad.push(`${n.type} ${n.id}: ${JSON.stringify(n.validationErrors || [])}`);
            });
            return bad;
        });
        assert.deepEqual(invalid, [], 'every imported node is valid');

        await page.locator('#red-ui-header-button-deploy').click();
        await page.waitForFunction(() => !RED.nodes.dirty(), null, { timeout: 30000 });

        const res = await red.request('GET', '/flows');
        assert.equal(res.status, 200);
        const deployed = Array.isArray(res.body) ? res.body : res.body.flows;
        assert.deepEqual(shape(deployed), shape(expected), 'the deployed flows are the example, node for node');
        const tabs = new Set(deployed.filter((n) => n.type === 'tab').map((n) => n.id));
        const onCanvas = deployed.filter((n) => 'x' in n && n.type !== 'tab');
        assert.ok(
            onCanvas.every((n) => tabs.has(n.z)),
            'every imported node sits on a deployed tab',
        );

        // Running, not just saved: the simulated sensors' first readings turn their status green in the editor.
        await page.waitForFunction(
            () => {
                const sensors = RED.nodes.filterNodes({ type: 'sensorhub-sensor' });
                return sensors.length > 0 && sensors.every((n) => n.status && n.status.fill === 'green');
            },
            null,
            { timeout: 30000 },
        );
        const log = red.log(from);
        assert.match(log, /Started flows/);
        assert.doesNotMatch(log, /\[(error|fatal)\]|\[warn\] .*(missing|unknown) type/i, log);

        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'import.png') });
    });

    it('imports two more examples after it and still has one hub, whichever way a user answers the conflict', async function () {
        const [hub] = await hubIds();
        assert.ok(hub, 'the first example brought a hub');
        const sensorsBefore = await page.evaluate(() => RED.nodes.filterNodes({ type: 'sensorhub-sensor' }).length);

        // The hub is already there: Node-RED asks, and "Import copy" gives the other nodes new ids but keeps the
        // existing config node with the same id.
        await chooseExample('simulated-sensors');
        const notice = page.locator('.red-ui-notification', { hasText: 'already exist in your workspace' });
        await notice.locator('button', { hasText: /^Import copy$/ }).click();
        await page.waitForFunction(
            (n) => RED.nodes.filterNodes({ type: 'sensorhub-sensor' }).length > n,
            sensorsBefore,
        );
        await putDown();
        assert.deepEqual(await hubIds(), [hub]);

        // "View nodes…" lists the hub unticked (it exists): importing the selection leaves it out, and the imported
        // nodes use the one there is.
        await chooseExample('hub-two-flows');
        await page
            .locator('.red-ui-notification', { hasText: 'already exist in your workspace' })
            .locator('button', { hasText: /^View nodes/ })
            .click();
        await page.locator('#red-ui-clipboard-dialog-import-conflict').click();
        await page.waitForFunction(() => RED.nodes.filterNodes({ type: 'sensorhub-publish' }).length >= 2);
        await putDown();
        assert.deepEqual(await hubIds(), [hub]);

        const users = await page.evaluate(() =>
            ['sensorhub-publish', 'sensorhub-subscribe'].flatMap((type) =>
                RED.nodes.filterNodes({ type }).map((n) => n.hub),
            ),
        );
        assert.ok(users.length >= 6, `the imported nodes: ${users.length}`);
        assert.deepEqual([...new Set(users)], [hub], 'every imported node uses the one hub');

        await page.locator('#red-ui-header-button-deploy').click();
        await page.waitForFunction(() => !RED.nodes.dirty(), null, { timeout: 30000 });
        const res = await red.request('GET', '/flows');
        const deployed = Array.isArray(res.body) ? res.body : res.body.flows;
        assert.deepEqual(
            deployed.filter((n) => n.type === 'sensorhub-hub').map((n) => n.name),
            ['home'],
        );
    });

    it('raises no error in the page', function () {
        assert.deepEqual(pageErrors, []);
    });
});
