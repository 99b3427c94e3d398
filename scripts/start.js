#!/usr/bin/env node
'use strict';
// `npm start`: a real Node-RED 4 with this package installed from its npm pack tarball, the way users get it.
// The user directory persists, so flows edited in the editor survive restarts; the example is deployed only into
// a Node-RED that has no flows yet.
const fs = require('node:fs');
const path = require('node:path');
const { root, startNodeRed } = require('../test/e2e/launcher');

const DEFAULT_EXAMPLE = 'smart-home.json';
const HOST = '127.0.0.1';
const USER_DIR = path.join(root, '.node-red-home');

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

    const current = await red.request('GET', '/flows');
    if (current.status !== 200) throw new Error(`GET /flows answered ${current.status}`);
    if (Array.isArray(current.body) && current.body.length === 0) {
        const flows = JSON.parse(fs.readFileSync(path.join(root, 'examples', DEFAULT_EXAMPLE), 'utf8'));
        await red.deploy(flows);
        console.log(`Deployed examples/${DEFAULT_EXAMPLE} into a Node-RED without flows.`);
    }

    const banner = `Sensor Hub is running: ${red.url}`;
    const rule = '='.repeat(banner.length);
    console.log(`\n${rule}\n${banner}\n${rule}\nUser directory: ${USER_DIR}\nPress Ctrl+C to stop.\n`);
}

main().catch(async (err) => {
    console.error(err && err.stack ? err.stack : err);
    if (red) await red.stop();
    process.exit(1);
});
