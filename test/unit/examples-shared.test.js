'use strict';
// Examples share config nodes by id (one hub however many examples a user imports). Node-RED keeps the copy that
// came first, so every example must carry the same copy: a later example that differs would silently get another's.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', '..', 'examples');

describe('examples: config nodes shared by id are the same in every example', function () {
    it('has one definition per shared config node id', function () {
        /** @type {Map<string, {file: string, json: string}>} */
        const seen = new Map();
        const differ = [];
        for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
            for (const n of JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))) {
                if ('z' in n || 'wires' in n || n.type === 'tab' || n.type === 'comment') continue;
                const json = JSON.stringify(
                    Object.fromEntries(Object.entries(n).sort(([a], [b]) => a.localeCompare(b))),
                );
                const first = seen.get(n.id);
                if (first === undefined) seen.set(n.id, { file, json });
                else if (first.json !== json) differ.push(`${n.type} ${n.id}: ${first.file} and ${file} differ`);
            }
        }
        assert.deepEqual(differ, []);
    });
});
