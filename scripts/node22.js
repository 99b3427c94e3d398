#!/usr/bin/env node
'use strict';
// Runs a command under Node 22 with Node-RED 5 selected for the test helper.
// Node 22 lives in an ignored tools folder, not in devDependencies: there it would
// put its own `node` on PATH for every npm script and run the whole suite on 22.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const prefix = path.join(root, '.tools', 'node22');
const bin = path.join(prefix, 'node_modules', 'node', 'bin', 'node');

function ensureNode22() {
    if (fs.existsSync(bin)) return bin;
    console.log('[node22] installing node@22 into .tools/node22 (once)');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['install', '--no-save', '--no-package-lock', '--prefix', prefix, 'node@22'], {
        stdio: 'inherit',
    });
    if (r.status !== 0 || !fs.existsSync(bin)) throw new Error('[node22] could not install node@22 into .tools/node22');
    return bin;
}

if (require.main === module) {
    const node = ensureNode22();
    const r = spawnSync(node, process.argv.slice(2), {
        stdio: 'inherit',
        cwd: root,
        env: { ...process.env, SENSORHUB_NODE_RED: 'node-red-5' },
    });
    process.exit(r.status === null ? 1 : r.status);
}

module.exports = { ensureNode22 };
