'use strict';
/* global window, document -- functions passed to page.waitForFunction run in the browser */
// The demo's dashboard page (examples/smart-home-dashboard.json beside smart-home.json, as `npm start` deploys them)
// in a real Chromium: the temperature chart fills with one line per sensor, the motion button turns the light on,
// and the door lock answers the lock and unlock buttons.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { DEFAULT_NODE_RED, startNodeRed, examplesOnTabs } = require('./launcher');
const { needTool } = require('../helpers/tools');
const { CHROMIUM_ARGS } = require('./chromium');

const ARTIFACTS = path.join(__dirname, 'artifacts');
// Generous: a dashboard client on a busy machine takes seconds to connect and draw.
const UI_TIMEOUT = 60000;

/**
 * Both examples on their own tabs, with the sensors a little quicker and no motion but the button's: the light is
 * off until the test presses it, and stays on long enough to be seen.
 */
function demoFlows() {
    const flows = examplesOnTabs(['smart-home.json', 'smart-home-dashboard.json']);
    for (const n of flows) {
        if (n.type === 'sensorhub-sensor' && n.kind === 'temperature') n.interval = 1;
        if (n.type === 'sensorhub-sensor' && n.kind === 'motion') n.autoStart = false;
        if (n.type === 'sensorhub-light') n.wait = 600;
    }
    return flows;
}

describe(`e2e: ${DEFAULT_NODE_RED} smart-home dashboard in Chromium`, function () {
    this.timeout(180000);
    let red;
    let browser;
    let page;
    let flows;
    const pageErrors = [];

    before(async function () {
        const executablePath = needTool(this, 'chromium');
        flows = demoFlows();
        red = await startNodeRed({ flows });
        browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
        page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
        page.on('pageerror', (err) => pageErrors.push(err.stack || String(err)));
        // The dashboard's own test hook (it is written for Cypress): each chart registers itself on window.uiCharts.
        await page.addInitScript(() => {
            window.Cypress = true;
        });
        const base = flows.find((n) => n.type === 'ui-base');
        const home = flows.find((n) => n.type === 'ui-page');
        await page.goto(new URL(`${base.path}${home.path}`.replace(/^\//, ''), red.url).href);
    });

    after(async function () {
        if (browser) await browser.close();
        if (red) await red.stop();
    });

    /** The text of the dashboard widget made by node `name` (a ui-text's value, beside its label). */
    const widget = (id) => page.locator(`#nrdb-ui-widget-${id}`);
    const nodeId = (type, name) => {
        const node = flows.find((n) => n.type === type && (n.label === name || n.name === name));
        assert.ok(node, `the dashboard has a ${type} "${name}"`);
        return node.id;
    };

    it('draws a line per temperature sensor, and points keep arriving', async function () {
        const sensors = flows.filter((n) => n.type === 'sensorhub-sensor' && n.kind === 'temperature');
        assert.ok(sensors.length >= 2, 'the demo has two temperature sensors');
        const ids = sensors.map((n) => n.sensorId).sort();
        // What ECharts holds to draw: series by name, each with its points.
        const points = () =>
            page.evaluate(() => {
                const charts = Object.values(window.uiCharts || {});
                if (charts.length === 0) return null;
                const chart = charts[0].chart;
                const echart = chart && (chart.getOption ? chart : chart.value);
                if (!echart) return null;
                return Object.fromEntries(echart.getOption().series.map((s) => [s.name, s.data.length]));
            });
        await page.waitForFunction(
            (names) => {
                const charts = Object.values(window.uiCharts || {});
                const chart = charts[0] && charts[0].chart;
                const echart = chart && (chart.getOption ? chart : chart.value);
                if (!echart) return false;
                const series = echart.getOption().series || [];
                return names.every((name) => series.some((s) => s.name === name && s.data.length >= 2));
            },
            ids,
            { timeout: UI_TIMEOUT },
        );
        const first = await points();
        assert.deepEqual(Object.keys(first).sort(), ids, 'one series per sensor, named by its id');
        // Still live: every line grows past what it had.
        await page.waitForFunction(
            (before) => {
                const chart = Object.values(window.uiCharts)[0].chart;
                const echart = chart.getOption ? chart : chart.value;
                const series = echart.getOption().series;
                return Object.entries(before).every(([name, n]) =>
                    series.some((s) => s.name === name && s.data.length > n),
                );
            },
            first,
            { timeout: UI_TIMEOUT },
        );
    });

    it('turns the light on when the motion button is pressed', async function () {
        const light = widget(nodeId('ui-text', 'now'));
        await light.waitFor({ timeout: UI_TIMEOUT });
        // The light says its state at start (Send at start in the demo): shown before any motion.
        await page.waitForFunction(
            (id) => /\boff \(start\)/.test(document.querySelector(`#nrdb-ui-widget-${id}`).innerText),
            nodeId('ui-text', 'now'),
            { timeout: UI_TIMEOUT },
        );
        await page.getByRole('button', { name: 'motion in the living room' }).click();
        await page.waitForFunction(
            (id) => /\bon, 80 % \(motion\)/.test(document.querySelector(`#nrdb-ui-widget-${id}`).innerText),
            nodeId('ui-text', 'now'),
            { timeout: UI_TIMEOUT },
        );
        // Motion while the door is locked: the door alert shows too.
        await page.waitForFunction(
            (id) => /motion_while_locked at Front door/.test(document.querySelector(`#nrdb-ui-widget-${id}`).innerText),
            nodeId('ui-text', 'Last alert'),
            { timeout: UI_TIMEOUT },
        );
    });

    it('unlocks the door with the form and locks it with the button', async function () {
        const door = nodeId('ui-text', 'lock');
        const says = (pattern) =>
            page.waitForFunction(
                ([id, source]) => new RegExp(source).test(document.querySelector(`#nrdb-ui-widget-${id}`).innerText),
                [door, pattern.source],
                { timeout: UI_TIMEOUT },
            );
        // The lock says its state at start (Send at start in the demo): shown before anyone touches it.
        await says(/\blocked\b/);
        await page.getByLabel('Code').fill('1234');
        await page.getByRole('button', { name: 'unlock' }).click();
        await says(/\bunlocked\b/);
        await page.getByRole('button', { name: /^lock$/ }).click();
        await says(/\blocked\b/);

        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png') });
        assert.deepEqual(pageErrors, [], 'no error in the page');
        assert.doesNotMatch(red.log(), /\[(error|fatal)\]/, 'nothing logged an error');
    });
});
