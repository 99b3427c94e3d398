#!/usr/bin/env node
'use strict';
// Compiles src/ into nodes/ and copies icons/ beside the node files, where
// Node-RED looks for them.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'nodes');

fs.rmSync(path.join(out, 'core'), { recursive: true, force: true });
for (const f of fs.readdirSync(out)) if (f.endsWith('.js')) fs.rmSync(path.join(out, f));
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
    stdio: 'inherit',
    cwd: root,
});
fs.rmSync(path.join(out, 'icons'), { recursive: true, force: true });
fs.cpSync(path.join(root, 'icons'), path.join(out, 'icons'), { recursive: true });
