#!/usr/bin/env node
'use strict';
// `npm start`: a real Node-RED 4 with this package installed from its npm pack tarball, the way users get it.
// The user directory persists, so flows edited in the editor survive restarts; the examples are deployed only into
// a Node-RED that has no flows yet.
//
// FlowFuse Dashboard 2 is a devDependency, not a dependency of the package: Node-RED loads the copy in this
// checkout's node_modules, because besides the user directory it scans every node_modules folder above its own
// (node_modules/node-red sits beside node_modules/@flowfuse). Nothing is downloaded and the user directory holds only
// this package, as a user's would after installing it from the palette. node-red-node-sqlite (for the stored readings'
// page) is a devDependency too, loaded the same way: its sqlite3 is built once, by npm install in this checkout.
const path = require('node:path');
const { root, startNodeRed, examplesOnTabs, withTabEnv } = require('../test/e2e/launcher');

const DASHBOARD_MODULE = '@flowfuse/node-red-dashboard';
const SQLITE_MODULE = 'node-red-node-sqlite';
// Each on its own tab; the dashboard pages only where the node sets they use are there.
const DEMO = [
    { file: 'smart-home.json', label: 'Smart home' },
    { file: 'smart-home-dashboard.json', label: 'Smart home dashboard', needs: [DASHBOARD_MODULE] },
    { file: 'readings-in-sqlite.json', needs: [DASHBOARD_MODULE, SQLITE_MODULE] },
];
const HOST = '127.0.0.1';
const USER_DIR = path.join(root, '.node-red-home');
// The stored readings stay with the demo, in its user directory, rather than in ~/.node-red.
const READINGS_DB = path.join(USER_DIR, 'sensorhub-readings.db');

let red = null;

async function main() {
    const port = process.env.PORT ? Number(process.env.PORT) : 1880;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT is not a port: ${process.env.PORT}`);

    red = await startNodeRed({ port, host: HOST, userDir: USER_DIR, nodeRed: 'node-red', echo: true });

    let stopping = false;
    const shutdown = async (signal) => {
        if (stopping) return;
        stopping = true;
        console.log(`\n${signal}: stopping Node-RED`);
        await red.stop();
        process.exit(0);
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    // `npm start` runs this under `sh -c 'npm run build && node …'`: when npm is killed, it signals only that shell,
    // which dies without passing the signal on. Being re-parented is then the only sign that we should stop.
    const parent = process.ppid;
    setInterval(() => {
        if (process.ppid !== parent) shutdown('parent exited');
    }, 1000).unref();
    red.proc.on('exit', (code, signal) => {
        if (stopping) return;
        console.error(`Node-RED exited on its own (${signal || `code ${code}`})`);
        process.exit(code || 1);
    });

    const modules = await loadedModules();
    for (const m of [DASHBOARD_MODULE, SQLITE_MODULE].filter((m) => !modules.has(m))) {
        console.warn(`${m} is not loaded: run npm install in ${root} for the demo's dashboard pages.`);
    }
    let flows = await deployedFlows();
    if (flows.length === 0) {
        const demo = DEMO.filter((d) => (d.needs || []).every((m) => modules.has(m)));
        await red.deploy(withTabEnv(examplesOnTabs(demo), 'READINGS_DB', READINGS_DB));
        console.log(`Deployed ${demo.map((d) => `examples/${d.file}`).join(' and ')} into a Node-RED without flows.`);
        flows = await deployedFlows();
    }
    console.log(banner(red.url, dashboardUrl(flows, modules)));
}

async function loadedModules() {
    const res = await red.request('GET', '/nodes');
    if (res.status !== 200) throw new Error(`GET /nodes answered ${res.status}`);
    return new Set(res.body.map((set) => set.module));
}

async function deployedFlows() {
    const res = await red.request('GET', '/flows');
    if (res.status !== 200) throw new Error(`GET /flows answered ${res.status}`);
    return res.body;
}

/** The dashboard's address from the deployed ui-base node (its path is a setting), or null without one. */
function dashboardUrl(flows, modules) {
    const base = flows.find((n) => n.type === 'ui-base');
    if (!base || !modules.has(DASHBOARD_MODULE)) return null;
    return new URL(String(base.path || '/dashboard').replace(/^\/+/, ''), red.url).href;
}

/** One line with both addresses: what a user copies into the browser. */
function banner(editor, dashboard) {
    const line = `Sensor Hub is running. Editor: ${editor}  Dashboard: ${dashboard || 'none deployed'}`;
    const rule = '='.repeat(line.length);
    return `\n${rule}\n${line}\n${rule}\nUser directory: ${USER_DIR}\nPress Ctrl+C to stop.\n`;
}

main().catch(async (err) => {
    console.error(err && err.stack ? err.stack : err);
    if (red) await red.stop();
    process.exit(1);
});
