'use strict';
// One place that picks the Node-RED under test: 4.x by default, 5.x when
// scripts/node22.js runs the suite with SENSORHUB_NODE_RED=node-red-5.
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const fs = require('node:fs');

const runtimeName = process.env.SENSORHUB_NODE_RED || 'node-red';
const runtimePath = require.resolve(runtimeName);
helper.init(runtimePath);

/**
 * The test helper's setFlows waits 300 ms for `flows:started`, listening only after the deploy returned: beside two
 * CPU hogs a deploy of a few nodes can take longer, and the test fails with "timeout waiting event". Here the
 * listener is in place before the deploy and the deadline is generous.
 */
const STARTED_DEADLINE_MS = 30_000;
/** @type {typeof helper.setFlows} */
helper.setFlows = async function setFlows(flow, type, credentials, cb) {
    if (typeof credentials === 'string') credentials = undefined;
    const events = /** @type {any} */ (helper)._events;
    let onStarted = () => {};
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    const started = new Promise((resolve, reject) => {
        timer = setTimeout(
            () => reject(new Error(`flows not started ${STARTED_DEADLINE_MS} ms after a deploy`)),
            STARTED_DEADLINE_MS,
        );
        onStarted = () => resolve(undefined);
        events.once('flows:started', onStarted);
    });
    try {
        await /** @type {any} */ (helper)._redNodes.setFlows(
            flow,
            credentials ?? {},
            typeof type === 'string' ? type : 'full',
        );
        await started;
        if (typeof cb === 'function') cb();
    } catch (err) {
        events.off('flows:started', onStarted);
        if (typeof cb === 'function') cb(err);
        else throw err;
    } finally {
        clearTimeout(timer);
    }
};

/**
 * The test helper stubs RED._ to return the message key. Node tests here see
 * the real text instead, from our own catalogs, in the language of the
 * runtime's `lang` setting (`helper.settings({ lang: 'de' })`, as Node-RED's
 * settings.lang) with en-US behind it, and a key missing from them fails the
 * test rather than showing users a bare key. A key naming its namespace
 * (`@sensorhub/node-red-sensorhub/sensorhub-hub:key`) is read from that node
 * set's catalog only, as Node-RED does.
 */
const localesDir = path.join(__dirname, '..', '..', 'nodes', 'locales');
const pkg = require('../../package.json');
const catalogs = new Map();
/** One node file's catalog in one language, or every file's merged when `file` is undefined. */
function catalogOf(lang, file) {
    const id = `${lang}/${file ?? '*'}`;
    if (!catalogs.has(id)) {
        const dir = path.join(localesDir, lang);
        const files = file !== undefined ? [file] : fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
        const catalog = {};
        for (const f of files)
            if (fs.existsSync(path.join(dir, f)))
                Object.assign(catalog, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
        catalogs.set(id, catalog);
    }
    return catalogs.get(id);
}
function lookup(catalog, key) {
    const text = key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), catalog);
    return typeof text === 'string' ? text : undefined;
}
function translate(key, subs) {
    let file;
    let name = key;
    const colon = key.indexOf(':');
    if (colon !== -1) {
        const ns = key.slice(0, colon);
        const set = ns.startsWith(`${pkg.name}/`) ? ns.slice(pkg.name.length + 1) : undefined;
        const js = set !== undefined ? pkg['node-red'].nodes[set] : undefined;
        if (js === undefined) throw new Error(`unknown message namespace "${ns}" in "${key}"`);
        file = path.basename(js).replace(/\.js$/, '.json');
        name = key.slice(colon + 1);
    }
    const lang = helper.settings().lang ?? 'en-US';
    // A translation must be complete: in German a key only en-US has is as much a failure as a missing one.
    const text = lookup(catalogOf(lang, file), name);
    if (text === undefined) throw new Error(`missing message key "${key}" in nodes/locales/${lang}`);
    return text.replace(/__(\w+)__/g, (m, sub) => (subs && sub in subs ? String(subs[sub]) : m));
}
// The helper's mock runtime has no hooks; nodes get the runtime's own, the ones Node.prototype._complete calls.
const hooks = require(require.resolve('@node-red/util', { paths: [path.dirname(runtimePath)] })).hooks;
const createNodeApi = helper._registryUtil.createNodeApi;
helper._registryUtil.createNodeApi = function (...args) {
    const api = createNodeApi.apply(this, args);
    return new Proxy(api, {
        get: (target, prop, receiver) => {
            if (prop === '_') return translate;
            if (prop === 'hooks') return target.hooks || hooks;
            return Reflect.get(target, prop, receiver);
        },
        set: (target, prop, value, receiver) => (prop === '_' ? true : Reflect.set(target, prop, value, receiver)),
    });
};

const shippedDir = path.join(__dirname, '..', '..', 'nodes');
/**
 * One of our compiled files in nodes/ (`npm run build`), as Node-RED loads it: node tests run what ships. By a path
 * tsc does not follow, so the type check reads the sources and not the build; callers give the type they need.
 * @param {string} file e.g. 'hub' or 'core/shared/metrics-registry'
 * @returns {any}
 */
function shipped(file) {
    return require(path.join(shippedDir, `${file}.js`));
}

/** Resolves one of Node-RED's own core node files in the runtime under test. */
function coreNode(file) {
    return require(require.resolve(`@node-red/nodes/core/${file}`, { paths: [path.dirname(runtimePath)] }));
}

const version = require(require.resolve(`${runtimeName}/package.json`)).version;

/** The tab every test flow lives on. */
const TAB = { id: 'f1', type: 'tab', label: 'test' };

/** A catch node `c1` on tab f1 for every error there, wired to `wires` (by default a sink `caught`). */
function catcher(wires = ['caught']) {
    return { id: 'c1', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [wires] };
}

/** A test-helper node on tab f1 that collects what reaches it (see collect()). */
function sink(id) {
    return { id, type: 'helper', z: 'f1' };
}

/** Every message a node receives from now on, in an array that fills as they come. */
function collect(node) {
    const got = [];
    node.on('input', (msg) => got.push(msg));
    return got;
}

/** The texts logged at error level since the flow was loaded. */
function errorsLogged() {
    return helper
        .log()
        .args.filter((a) => a[0].level === helper.log().ERROR)
        .map((a) => String(a[0].msg));
}

/** The status a node last set (the test helper spies on Node.prototype.status, shared by every node). */
function lastStatus(node) {
    const calls = node.status.getCalls().filter((c) => c.thisValue === node);
    return calls.at(-1)?.args[0];
}

/** A local hub config node `hub1` named home, and a monitor node `m1` on it that sends to `out` when asked. */
const HUB = {
    id: 'hub1',
    type: 'sensorhub-hub',
    name: 'home',
    backend: 'local',
    queueLimit: 1000,
    overflow: 'drop-oldest',
};
function monitorDef(extra = {}) {
    return {
        id: 'm1',
        type: 'sensorhub-monitor',
        z: 'f1',
        name: '',
        hub: 'hub1',
        interval: 0,
        format: 'object',
        maxTypes: 100,
        wires: [['out']],
        ...extra,
    };
}

/** A motion light `light1` on tab f1: on at `motion_detected`, off a minute after; `extra` sets any field. */
function lightDef(extra = {}) {
    return {
        id: 'light1',
        type: 'sensorhub-light',
        z: 'f1',
        name: '',
        motionPatterns: 'motion_detected',
        wait: 60,
        minOn: 0,
        brightness: 100,
        override: 0,
        darkGate: false,
        timeGate: false,
        topic: '',
        wires: [[]],
        ...extra,
    };
}

/** A door lock `lock1` on tab f1: locked, no feedback, alerting on `motion_detected`; `extra` sets any field. */
function doorLockDef(extra = {}) {
    return {
        id: 'lock1',
        type: 'sensorhub-door-lock',
        z: 'f1',
        name: '',
        location: 'front door',
        initialState: 'locked',
        feedback: false,
        actuation: 0,
        transitionTimeout: 10,
        autoRelock: 0,
        motionPatterns: 'motion_detected',
        cooldown: 60,
        repeat: 0,
        maxAttempts: 5,
        lockout: 300,
        wires: [[], []],
        ...extra,
    };
}

/** A threshold node `th1` on tab f1 alarming above 30, at once; `extra` sets any field. */
function thresholdDef(extra = {}) {
    return {
        id: 'th1',
        type: 'sensorhub-threshold',
        z: 'f1',
        name: '',
        high: 30,
        low: '',
        hysteresis: 0,
        minDuration: 0,
        staleAfter: 0,
        repeat: 0,
        maxSensors: 10000,
        wires: [[]],
        ...extra,
    };
}

/**
 * The hooks of a suite of node tests against a real broker: one broker for the suite (`startBroker(opts)`, handed
 * to `started`), and the helper's server around each test. `beforeUnload`/`afterUnload` run in each test's
 * clean-up, before and after its flows are unloaded.
 * @param {object} [opts] startBroker's options
 * @param {{started?: (broker: any) => void, beforeUnload?: () => Promise<void> | void, afterUnload?: () => Promise<void> | void}} [hooks]
 */
function brokerSuite(opts = {}, hooks = {}) {
    const { startBroker } = require('../fixtures/broker');
    /** @type {any} */
    let broker;
    before(async function () {
        broker = await startBroker(opts);
        hooks.started?.(broker);
    });
    after(async function () {
        if (broker) await broker.close();
    });
    beforeEach(function (done) {
        helper.startServer(done);
    });
    afterEach(async function () {
        await hooks.beforeUnload?.();
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
        await hooks.afterUnload?.();
    });
}

/**
 * A node type that records what its nodes receive, by node name (one of `names`). Loaded with the flows, it exists
 * before they start: nothing a node sends at start can pass before anyone listens.
 * @param {string[]} names
 */
function recorder(names) {
    /** @type {Record<string, any[]>} */
    const got = Object.fromEntries(names.map((n) => [n, []]));
    /** @param {any} RED */
    const register = (RED) =>
        RED.nodes.registerType('recorder', function (n) {
            RED.nodes.createNode(this, n);
            this.on('input', (msg, _send, done) => {
                got[n.name].push(msg);
                done();
            });
        });
    return { got, register };
}

/** A local hub with a publish node `pub` on tab f1 and, on a later tab, a subscriber to `pattern` wired to recorder `dash`. */
function hubToLaterTab(pattern) {
    return [
        { id: 'hub1', type: 'sensorhub-hub', backend: 'local' },
        { id: 'pub', type: 'sensorhub-publish', z: 'f1', hub: 'hub1', eventType: '', wires: [] },
        { id: 'f2', type: 'tab', label: 'dashboard' },
        { id: 'sub', type: 'sensorhub-subscribe', z: 'f2', hub: 'hub1', patterns: pattern, wires: [['dash']] },
        { id: 'dash', type: 'recorder', z: 'f2', name: 'dash', x: 1, y: 1, wires: [] },
    ];
}

module.exports = {
    recorder,
    hubToLaterTab,
    helper,
    brokerSuite,
    coreNode,
    shipped,
    runtimeName,
    version,
    hooks,
    TAB,
    catcher,
    sink,
    collect,
    errorsLogged,
    lastStatus,
    HUB,
    monitorDef,
    lightDef,
    doorLockDef,
    thresholdDef,
};
