'use strict';
/* global RED, $, document -- functions passed to page.evaluate/waitForFunction run in the browser */
// The editor side of the packed module in a real Chromium: palette, deployed nodes, edit dialog.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const {
    root,
    DEFAULT_NODE_RED,
    startNodeRed,
    installedPackageDir,
    registeredTypes,
    examplesOnTabs,
    withTabEnv,
} = require('./launcher');
const { needTool } = require('../helpers/tools');
const { CHROMIUM_ARGS } = require('./chromium');

const EXAMPLE = 'smart-home.json';
const CATEGORY = 'sensor hub';
const ARTIFACTS = path.join(__dirname, 'artifacts');

describe(`e2e: ${DEFAULT_NODE_RED} editor in Chromium`, function () {
    // Packing, installing and starting take seconds; a shorter mocha default would abandon a starting Node-RED.
    this.timeout(120000);
    let red;
    let browser;
    let page;
    let types;
    let ourNodesInExamples;
    const pageErrors = [];

    before(async function () {
        const executablePath = needTool(this, 'chromium');
        // Every example, each on its own tab, the default one first (it is the tab on screen): each must stay valid
        // in the editor exactly as saved. Their devices and brokers are absent here; that is the runtime's concern.
        const others = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json') && f !== EXAMPLE);
        // The examples share one hub config node (one id): it is deployed once, as importing them one by one keeps it.
        // The SQLite example's database in memory, not in the user's ~/.node-red.
        const flows = withTabEnv(examplesOnTabs([EXAMPLE, ...others.sort()]), 'READINGS_DB', ':memory:');
        ourNodesInExamples = flows.filter((n) => n.type.startsWith('sensorhub-')).length;
        red = await startNodeRed({ flows });
        types = registeredTypes(installedPackageDir(red.userDir));
        browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
        // English whatever the machine's language: a German browser would get the German catalogs (see below).
        page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
        page.on('pageerror', (err) => pageErrors.push(err.stack || String(err)));
        await page.goto(red.url);
        // Loaded means: our node definitions are registered and the deployed flows are drawn on the canvas.
        await page.waitForFunction(
            (expected) =>
                globalThis.RED &&
                RED.nodes &&
                expected.every((t) => RED.nodes.getType(t)) &&
                RED.nodes.filterNodes({ type: 'sensorhub-subscribe' }).length > 0 &&
                document.querySelector('.red-ui-flow-node-group'),
            types,
            { timeout: 30000 },
        );
    });

    /**
     * Double-clicks the first deployed node of `type` whose properties include `where`, as a user opens its edit
     * dialog; returns the tray.
     */
    async function openEditor(type, where = {}) {
        const id = await page.evaluate(
            ([t, w]) => {
                const node = RED.nodes
                    .filterNodes({ type: t })
                    .find((n) => Object.entries(w).every(([key, value]) => n[key] === value));
                RED.view.reveal(node.id);
                return node.id;
            },
            [type, where],
        );
        await page.locator(`g[id="${id}"] .red-ui-flow-node`).first().dblclick();
        return page.locator('.red-ui-tray');
    }

    /**
     * Waits until the topmost tray has slid in. Node-RED's editor resizes a tray's panes from timers started as it
     * opens; cancelling before they ran makes its description pane resize a destroyed editor (a page error).
     */
    async function trayOpened() {
        await page.waitForFunction(() => {
            const trays = document.querySelectorAll('.red-ui-tray');
            const top = trays[trays.length - 1];
            return top !== undefined && globalThis.getComputedStyle(top).right === '0px';
        });
    }

    /** Cancels the open edit dialog, if any, and waits for its tray to go. */
    async function closeTray() {
        if ((await page.locator('.red-ui-tray').count()) === 0) return;
        await trayOpened();
        // A config node's dialog (stacked on a node's, or alone) has its own cancel button.
        await page.locator('#node-config-dialog-cancel:visible, #node-dialog-cancel:visible').first().click();
        await page.waitForFunction(() => !document.querySelector('.red-ui-tray'));
    }

    after(async function () {
        if (browser) await browser.close();
        if (red) await red.stop();
    });

    it(`shows every non-config node type in the "${CATEGORY}" palette category`, async function () {
        const defs = await page.evaluate(
            (list) => list.map((t) => ({ type: t, category: RED.nodes.getType(t).category })),
            types,
        );
        const paletteTypes = defs.filter((d) => d.category !== 'config');
        assert.ok(paletteTypes.length > 0, 'the package has no palette node');
        for (const d of paletteTypes) assert.equal(d.category, CATEGORY, `${d.type} is in category ${d.category}`);

        const category = page.locator('.red-ui-palette-category').filter({
            has: page.locator('.red-ui-palette-header', { hasText: new RegExp(`^${CATEGORY}$`) }),
        });
        await category.waitFor();
        // Brought into view so the screenshot taken later shows our category next to the deployed nodes.
        await category.scrollIntoViewIfNeeded();
        const shown = await category
            .locator('.red-ui-palette-node')
            .evaluateAll((els) => els.map((el) => el.getAttribute('data-palette-type')));
        assert.deepEqual([...shown].sort(), paletteTypes.map((d) => d.type).sort());

        // Config nodes are edited from the nodes that use them and never appear in the palette.
        for (const d of defs.filter((d) => d.category === 'config')) {
            assert.equal(await page.locator(`.red-ui-palette-node[data-palette-type="${d.type}"]`).count(), 0);
        }
    });

    it('names the config nodes by what they are where a user picks or edits one', async function () {
        const labels = await page.evaluate(() =>
            ['sensorhub-hub', 'sensorhub-serial-port'].map((t) => RED.utils.getPaletteLabel(t, RED.nodes.getType(t))),
        );
        assert.deepEqual(labels, ['sensor hub', 'serial port']);
        await openEditor('sensorhub-subscribe');
        try {
            // The pencil beside the hub list opens the hub's own dialog, titled by the type's label.
            await page.locator('#node-input-btn-hub-edit').click();
            await page.locator('#node-config-dialog-cancel').waitFor({ state: 'visible' });
            const titles = await page.locator('.red-ui-tray-titlebar').allInnerTexts();
            assert.ok(
                titles.some((t) => t.includes('Edit sensor hub node')),
                `the dialog titles: ${titles.join(' | ')}`,
            );
            await trayOpened();
            await page.locator('#node-config-dialog-cancel').click();
            await page.locator('#node-config-dialog-cancel').waitFor({ state: 'detached' });
        } finally {
            await closeTray();
        }
    });

    it('draws each deployed sensor with the icon of its kind', async function () {
        const drawn = await page.evaluate(() =>
            RED.nodes.filterNodes({ type: 'sensorhub-sensor' }).map((n) => {
                const image = document.querySelector(`g[id="${n.id}"] .red-ui-flow-node-icon`);
                return {
                    kind: n.kind,
                    icon: image ? image.getAttribute('href') || image.getAttribute('xlink:href') : null,
                };
            }),
        );
        const byKind = new Map(drawn.filter((d) => d.icon).map((d) => [d.kind, d.icon]));
        assert.match(byKind.get('motion') || '', /\/sensor-motion\.svg$/, JSON.stringify(drawn));
        assert.match(byKind.get('temperature') || '', /\/sensor\.svg$/, JSON.stringify(drawn));
    });

    it('validates every node and config node of every example, as saved', async function () {
        const invalid = await page.evaluate(() => {
            const bad = [];
            RED.nodes.eachNode((n) => {
                if (!n.valid) bad.push(`${n.type} ${n.id}: ${JSON.stringify(n.validationErrors || [])}`);
            });
            RED.nodes.eachConfig((n) => {
                if (n.valid === false) bad.push(`${n.type} ${n.id}: ${JSON.stringify(n.validationErrors || [])}`);
            });
            return bad;
        });
        assert.deepEqual(invalid, [], 'a flow saved by an earlier version must stay valid');
        const loaded = await page.evaluate(() => {
            let count = 0;
            const ours = (n) => {
                if (n.type.startsWith('sensorhub-')) count++;
            };
            RED.nodes.eachNode(ours);
            RED.nodes.eachConfig(ours);
            return count;
        });
        assert.equal(loaded, ourNodesInExamples, 'every example node reached the editor');
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'flow.png') });
    });

    it('flags an invalid value of every node type with its reason, and accepts a valid one', async function () {
        // Node-RED counts a validator's returned reason as an error only when the validator takes two arguments;
        // a one-argument validator returning a sentence is truthy, and the node would pass as valid.
        const cases = [
            ['sensorhub-sensor', { timeout: -5 }, 'timeout'],
            ['sensorhub-sensor', { source: 'simulated', latencyMin: 500, latencyMax: 100 }, 'latencyMin'],
            ['sensorhub-hub', { queueLimit: 0 }, 'queueLimit'],
            ['sensorhub-hub', { backend: 'mqtt', broker: 'ftp://example' }, 'broker'],
            ['sensorhub-hub', { backend: 'mqtt', haAnnounce: true, haPrefix: 'home/#' }, 'haPrefix'],
            ['sensorhub-hub', { backend: 'mqtt', haAnnounce: true, haPrefix: '/ha' }, 'haPrefix'],
            ['sensorhub-hub', { backend: 'mqtt', keepalive: 70000 }, 'keepalive'],
            ['sensorhub-hub', { backend: 'mqtt', keepalive: 1.5 }, 'keepalive'],
            ['sensorhub-light', { sendStart: 'yes' }, 'sendStart'],
            // A Home Assistant hub that is not there, or does not announce.
            ['sensorhub-light', { haHub: 'no-such-hub' }, 'haHub'],
            ['sensorhub-door-lock', { haHub: 'no-such-hub' }, 'haHub'],
            ['sensorhub-subscribe', { patterns: 'home/#/x' }, 'patterns'],
            ['sensorhub-subscribe', { group: 'a/b' }, 'group'],
            ['sensorhub-subscribe', { group: '$share' }, 'group'],
            ['sensorhub-publish', { eventType: 'home/+' }, 'eventType'],
            ['sensorhub-serial-port', { path: '/dev/ttyUSB0', baudRate: -1 }, 'baudRate', { path: '/dev/ttyUSB0' }],
            ['sensorhub-fleet', { sensors: [{ id: 'a' }, { id: 'a' }] }, 'sensors'],
            ['sensorhub-fleet', { sensorSource: 'generated', count: 0 }, 'count'],
            ['sensorhub-fleet', { timeout: -1 }, 'timeout'],
            // Sharing needs an MQTT hub: the examples' local hub is refused, with its reason.
            ['sensorhub-fleet', { partition: true, hub: '5a3e0d1c2b4f6064' }, 'hub'],
            ['sensorhub-door-lock', { lockout: -1 }, 'lockout'],
            ['sensorhub-door-lock', { motionPatterns: 'a/#/b' }, 'motionPatterns'],
            ['sensorhub-light', { wait: 0 }, 'wait'],
            ['sensorhub-light', { timeGate: true, from: '25:00' }, 'from'],
            ['sensorhub-threshold', { high: 10, low: 20 }, 'high', { high: 30 }],
            ['sensorhub-threshold', { high: 30, hysteresis: -1 }, 'hysteresis', { high: 30 }],
            ['sensorhub-gateway', { port: 70000 }, 'port'],
            ['sensorhub-gateway', { host: 'not a host!' }, 'host'],
            ['sensorhub-monitor', { interval: -1 }, 'interval'],
            // Typed inputs: a source without a name, a msg property that is no property expression.
            ['sensorhub-light', { wait: '', waitType: 'flow' }, 'wait', { wait: 'lightWait', waitType: 'flow' }],
            ['sensorhub-threshold', { high: '', highType: 'global' }, 'high', { high: 'maxT', highType: 'global' }],
            ['sensorhub-threshold', { high: 30, property: 'data..value' }, 'property', { high: 30, property: 'a.b' }],
            ['sensorhub-publish', { eventType: 'meta..kind', eventTypeType: 'msg' }, 'eventType'],
            ['sensorhub-sensor', { source: 'msg', property: 'data[' }, 'property', { source: 'msg', property: 'd.v' }],
            ['sensorhub-gateway', { port: '', portType: 'env' }, 'port', { port: 'GW_PORT', portType: 'env' }],
        ];
        const results = await page.evaluate((list) => {
            const check = (type, props) => {
                const def = RED.nodes.getType(type);
                const node = { id: `probe-${Math.random()}`, type, _def: def, z: RED.workspaces.active() };
                for (const [key, d] of Object.entries(def.defaults))
                    node[key] = d.value === undefined ? undefined : JSON.parse(JSON.stringify(d.value));
                Object.assign(node, props);
                RED.editor.validateNode(node);
                return { valid: node.valid, errors: node.validationErrors || [] };
            };
            return list.map(([type, props, key, good]) => ({
                type,
                key,
                bad: check(type, props),
                fine: check(type, good || {}),
            }));
        }, cases);
        for (const r of results) {
            assert.equal(r.bad.valid, false, `${r.type} with a bad ${r.key} passes as valid`);
            assert.ok(
                r.bad.errors.some((e) => String(e).includes(r.key) || String(e).length > r.key.length),
                `${r.type}: ${JSON.stringify(r.bad.errors)}`,
            );
        }
        const fine = results.filter((r) =>
            [
                'sensorhub-sensor',
                'sensorhub-fleet',
                'sensorhub-serial-port',
                'sensorhub-door-lock',
                'sensorhub-light',
                'sensorhub-threshold',
                'sensorhub-gateway',
            ].includes(r.type),
        );
        for (const r of fine)
            assert.equal(r.fine.valid, true, `${r.type} with its defaults: ${JSON.stringify(r.fine.errors)}`);
    });

    it('opens the edit dialog of a deployed sensorhub-subscribe node on double-click', async function () {
        const tray = await openEditor('sensorhub-subscribe');
        await tray.locator('#node-input-hub').waitFor({ state: 'visible' });
        assert.equal(await tray.locator('#node-input-patterns').count(), 1);

        // The tray slides in through a CSS transition of `right`; a screenshot taken during it shows half a dialog.
        await page.waitForFunction(
            () => globalThis.getComputedStyle(document.querySelector('.red-ui-tray')).right === '0px',
        );
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'editor.png') });
    });

    it('edits a fleet: generated fields, then a sensor table that marks a duplicate id', async function () {
        await closeTray();
        // The fleet collector's: another example's fleet may come first, with a sensor table instead.
        const tray = await openEditor('sensorhub-fleet', { sensorSource: 'generated' });
        await tray.locator('#node-input-count').waitFor({ state: 'visible' });
        assert.equal(await tray.locator('#node-input-count').inputValue(), '20');

        await tray.locator('#node-input-sensorSource').selectOption('table');
        const rows = tray.locator('#node-input-sensor-container > li');
        await tray.locator('#node-input-sensor-container').waitFor({ state: 'visible' });
        const before = await rows.count();
        await tray.locator('.red-ui-editableList-addButton').click();
        await page.waitForFunction(
            (n) => document.querySelectorAll('#node-input-sensor-container > li').length === n,
            before + 1,
        );
        const lastId = rows.last().locator('.sensorhub-fleet-row-id');
        await lastId.fill(await rows.first().locator('.sensorhub-fleet-row-id').inputValue());
        await lastId.dispatchEvent('change');
        await page.waitForFunction(() => {
            const inputs = document.querySelectorAll('#node-input-sensor-container .sensorhub-fleet-row-id');
            return inputs.length > 1 && inputs[inputs.length - 1].classList.contains('input-error');
        });
        assert.match(await tray.locator('#sensorhub-fleet-row-count').innerText(), new RegExp(`${before + 1}`));
        await page.waitForFunction(
            () => globalThis.getComputedStyle(document.querySelector('.red-ui-tray')).right === '0px',
        );
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'fleet-editor.png') });
        await closeTray();
    });

    it('shares a fleet only through an MQTT hub: Share shows its hub and group, and a local hub is marked invalid', async function () {
        await closeTray();
        const tray = await openEditor('sensorhub-fleet', { sensorSource: 'generated' });
        await tray.locator('#node-input-count').waitFor({ state: 'visible' });
        const share = tray.locator('.sensorhub-fleet-share');
        assert.ok((await share.count()) >= 2, 'a hub row and a group row');
        assert.equal(await share.first().isVisible(), false, 'hidden while the fleet is not shared');
        await tray.locator('#node-input-partition').check();
        await share.first().waitFor({ state: 'visible' });
        assert.equal(await share.last().isVisible(), true);
        // The examples bring a local hub and an MQTT one.
        const hubs = await page.evaluate(() => {
            const found = {};
            RED.nodes.eachConfig((n) => {
                if (n.type === 'sensorhub-hub') found[n.backend || 'local'] ??= n.id;
            });
            return found;
        });
        assert.ok(hubs.local && hubs.mqtt, JSON.stringify(hubs));
        assert.equal(await markedInvalid('hub', hubs.local), true, 'a local hub cannot share a fleet');
        assert.equal(await markedInvalid('hub', hubs.mqtt), false, 'an MQTT hub can');
        assert.equal(await markedInvalid('group', 'g'.repeat(129)), true, 'a group name past 128 characters');
        assert.equal(await markedInvalid('group', 'kitchen-fleet'), false);
        await closeTray();
    });

    /** Sets `prop` in the open dialog as a user would and says whether Node-RED marks it invalid. */
    async function markedInvalid(prop, value) {
        return page.evaluate(
            ([p, v]) =>
                new Promise((resolve) => {
                    const input = $(`#node-input-${p}`);
                    if (input.data('noderedTypedInput')) input.typedInput('value', v);
                    else input.val(v);
                    input.trigger('change');
                    // Node-RED validates on the input's change event; the typed input's box carries the mark.
                    const box = input.next('.red-ui-typedInput-container');
                    resolve(input.hasClass('input-error') || box.hasClass('input-error'));
                }),
            [prop, String(value)],
        );
    }

    it('checks the light dialog against the limits the runtime exposes: just past one is refused, the limit taken', async function () {
        await closeTray();
        const exposed = await page.evaluate(() => RED.settings.sensorhubLightLimits);
        const core = require(path.join(installedPackageDir(red.userDir), 'nodes', 'core', 'light', 'config.js'));
        assert.deepEqual(exposed, JSON.parse(JSON.stringify(core.LIGHT_LIMITS)), 'the setting is the core table');
        const tray = await openEditor('sensorhub-light');
        await tray.locator('#node-input-brightness').waitFor({ state: 'visible' });
        try {
            const { wait, brightness, override } = exposed;
            assert.equal(await markedInvalid('wait', wait.max + 0.01), true, 'a wait just above the maximum');
            assert.equal(await markedInvalid('wait', wait.max), false, 'the longest wait');
            assert.equal(await markedInvalid('wait', wait.min / 2), true, 'a wait below the minimum');
            assert.equal(await markedInvalid('wait', wait.min), false, 'the shortest wait');
            assert.equal(await markedInvalid('brightness', brightness.max + 1), true, 'brightness above the maximum');
            assert.equal(await markedInvalid('brightness', brightness.max), false, 'full brightness');
            assert.equal(await markedInvalid('override', override.max + 1), true, 'an override past the maximum');
            // The number inputs' own range is the exposed one, so the browser's arrows stop there too.
            assert.equal(await tray.locator('#node-input-brightness').getAttribute('max'), String(brightness.max));
            assert.equal(await tray.locator('#node-input-override').getAttribute('max'), String(override.max));
            // The reason names the exposed range.
            const reason = await page.evaluate(() =>
                RED.nodes.getType('sensorhub-light').defaults.wait.validate.call({ waitType: 'num' }, 0, {}),
            );
            assert.equal(reason, `A number of seconds from ${wait.min} to ${wait.max}`);
        } finally {
            await closeTray();
        }
    });

    it('shows the serial source form in the sensor dialog, its rows following the source and the format', async function () {
        await closeTray();
        const tray = await openEditor('sensorhub-sensor');
        await tray.locator('#node-input-source').waitFor({ state: 'visible' });
        try {
            const visible = () =>
                page.evaluate(() =>
                    Object.fromEntries(
                        ['serialPort', 'command', 'format', 'field', 'pattern', 'min'].map((p) => [
                            p,
                            $(`#node-input-${p}`).closest('.form-row').is(':visible'),
                        ]),
                    ),
                );
            for (const p of ['serialPort', 'command', 'format', 'field', 'pattern', 'min', 'max'])
                assert.equal(await tray.locator(`#node-input-${p}`).count(), 1, `one #node-input-${p}`);
            await tray.locator('#node-input-kind').selectOption('temperature');
            await tray.locator('#node-input-source').selectOption('simulated');
            assert.deepEqual(Object.values(await visible()), [false, false, false, false, false, false]);
            await tray.locator('#node-input-source').selectOption('serial');
            await tray.locator('#node-input-format').selectOption('kv');
            assert.deepEqual(await visible(), {
                serialPort: true,
                command: true,
                format: true,
                field: true,
                pattern: false,
                min: true,
            });
            await tray.locator('#node-input-format').selectOption('regex');
            const shown = await visible();
            assert.equal(shown.field, false);
            assert.equal(shown.pattern, true);
            // Texts come from the sensor's catalog.
            assert.equal((await tray.locator('label[for="node-input-format"]').innerText()).trim(), 'Format');
            // A regular expression without a capture group is refused, one with a group taken.
            assert.equal(await markedInvalid('pattern', 'T=[0-9]+'), true);
            assert.equal(await markedInvalid('pattern', 'T=([0-9]+)'), false);
        } finally {
            await closeTray();
        }
    });

    /**
     * Opens the serial port config dialog on `pg` (the way the pencil beside a picker opens it: config nodes have no
     * place on the canvas), presses its search button and returns what the dialog shows: the note beside the list
     * ('' when hidden) and the list's groups, each with its label and port paths.
     */
    async function searchPorts(pg) {
        await pg.waitForFunction(() => {
            let deployed = false;
            RED.nodes.eachConfig((n) => {
                deployed ||= n.type === 'sensorhub-serial-port';
            });
            return deployed;
        });
        const id = await pg.evaluate(() => {
            let found;
            RED.nodes.eachConfig((n) => {
                if (!found && n.type === 'sensorhub-serial-port') found = n.id;
            });
            if (found) RED.editor.editConfig('', 'sensorhub-serial-port', found);
            return found;
        });
        assert.ok(id, 'an example has a serial port config node');
        const tray = pg.locator('.red-ui-tray');
        await tray.locator('#sensorhub-serial-port-search').waitFor({ state: 'visible' });
        await tray.locator('#sensorhub-serial-port-search').click();
        await pg.waitForFunction(() => {
            const note = document.querySelector('#sensorhub-serial-port-note');
            const list = document.querySelector('#sensorhub-serial-port-list');
            const noteText = note && note.offsetParent !== null ? note.textContent : '';
            return (noteText && !noteText.includes('…')) || (list && list.offsetParent !== null);
        });
        return pg.evaluate(() => {
            const note = document.querySelector('#sensorhub-serial-port-note');
            const list = document.querySelector('#sensorhub-serial-port-list');
            return {
                note: note.offsetParent !== null ? note.textContent : '',
                groups: [...list.querySelectorAll('optgroup')].map((g) => ({
                    label: g.label,
                    paths: [...g.querySelectorAll('option')].map((o) => o.value),
                })),
            };
        });
    }

    const SOURCE_LABELS = { serialport: "serialport's listing", dev: 'found in /dev', configured: 'configured ports' };
    /** The dialog's groups for the endpoint's ports, in its order. */
    function groupsOf(ports) {
        return Object.entries(SOURCE_LABELS)
            .map(([source, label]) => ({ label, paths: ports.filter((p) => p.source === source).map((p) => p.path) }))
            .filter((g) => g.paths.length > 0);
    }

    it('lists the serial ports in the port dialog with its search button, as the admin endpoint does, by source', async function () {
        await closeTray();
        const shown = await searchPorts(page);
        const expected = await page.evaluate(async () => (await fetch('sensorhub/serial-ports')).json());
        assert.deepEqual(shown.groups, groupsOf(expected.ports));
        if (expected.serialportFailure) {
            const why = `serialport's listing failed (${expected.serialportFailure}): these were found in /dev`;
            assert.equal(shown.note, expected.ports.length ? why : 'no serial ports found');
        } else if (expected.ports.length === 0) {
            assert.equal(shown.note, 'no serial ports found');
        }
        await closeTray();
    });

    /** What the endpoint answers when serialport's listing and /dev both failed, as src/serial-port.ts sends it. */
    const BOTH_FAILED = {
        ports: [{ path: '/tmp/sensorhub-link', source: 'configured', target: '/dev/pts/7' }],
        serialportFailure: 'spawn udevadm ENOENT',
        error: {
            code: 'sensorhub-serial-port.list.failed',
            params: { serialport: 'spawn udevadm ENOENT', dev: 'EACCES' },
            message: "serialport's listing failed (spawn udevadm ENOENT) and /dev could not be read (EACCES)",
        },
    };

    /** Runs `fn` with the port endpoint answering `body` on `pg`, as a server whose listings failed would. */
    async function withPortAnswer(pg, body, fn) {
        const handler = (route) => route.fulfill({ json: body });
        await pg.route('**/sensorhub/serial-ports', handler);
        try {
            return await fn();
        } finally {
            await pg.unroute('**/sensorhub/serial-ports', handler);
        }
    }

    /** The dialog on `pg` given BOTH_FAILED shows `note` and the configured link under `label`. */
    async function expectBothFailed(pg, note, label) {
        const shown = await withPortAnswer(pg, BOTH_FAILED, () => searchPorts(pg));
        assert.equal(shown.note, note);
        assert.deepEqual(shown.groups, [{ label, paths: ['/tmp/sensorhub-link'] }]);
    }

    it('says in the serial port dialog why no listing worked, and still offers the configured links', async function () {
        await closeTray();
        await expectBothFailed(
            page,
            "could not list serial ports: serialport's listing failed (spawn udevadm ENOENT) and /dev could not be " +
                'read (EACCES)',
            'configured ports',
        );
        await closeTray();
    });

    it('speaks German in a German browser: palette labels, validation messages and the serial port dialog', async function () {
        const de = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'de-DE' });
        const errors = [];
        de.on('pageerror', (err) => errors.push(err.stack || String(err)));
        try {
            await de.goto(red.url);
            await de.waitForFunction(
                (expected) => globalThis.RED && RED.nodes && expected.every((t) => RED.nodes.getType(t)),
                types,
                { timeout: 30000 },
            );
            const labels = await de
                .locator('.red-ui-palette-node[data-palette-type="sensorhub-fleet"] .red-ui-palette-label')
                .innerText();
            assert.equal(labels.trim(), 'Sensorflotte');
            const reason = await de.evaluate(() => {
                const def = RED.nodes.getType('sensorhub-fleet');
                return def.defaults.timeout.validate.call({}, -1, {});
            });
            assert.equal(typeof reason, 'string');
            assert.doesNotMatch(reason, /must be|whole number|seconds from/i, `an English message: ${reason}`);
            await expectBothFailed(
                de,
                'serielle Ports konnten nicht aufgelistet werden: serialports Auflistung schlug fehl (spawn udevadm ' +
                    'ENOENT), und /dev konnte nicht gelesen werden (EACCES)',
                'konfigurierte Ports',
            );
            assert.deepEqual(errors, []);
        } finally {
            await de.close();
        }
    });

    it('raises no error in the page', function () {
        assert.deepEqual(pageErrors, []);
    });
});
