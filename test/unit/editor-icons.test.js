'use strict';
// The editor's icons: each sensor kind its own, and every icon a node names is a file the build ships.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const ROOT = path.join(__dirname, '..', '..');
const ICONS = path.join(ROOT, 'icons');

/** resources/editor.js as the browser runs it, with a bare window to hang its helpers on. */
function editorHelpers() {
    const window = {};
    vm.runInNewContext(fs.readFileSync(path.join(ROOT, 'resources', 'editor.js'), 'utf8'), { window });
    return window.SensorHubEditor;
}

function sensorKinds() {
    const html = fs.readFileSync(path.join(ROOT, 'nodes', 'sensor.html'), 'utf8');
    const list = /var KINDS = \[([^\]]*)\]/.exec(html);
    assert.ok(list, 'sensor.html lists its kinds in KINDS');
    return [...list[1].matchAll(/'([\w-]+)'/g)].map((m) => m[1]);
}

describe('editor icons', () => {
    const { sensorIcon } = editorHelpers();

    it('gives each sensor kind an icon of its own, and an existing file', () => {
        const kinds = sensorKinds();
        assert.ok(kinds.includes('temperature') && kinds.includes('humidity') && kinds.includes('motion'));
        const icons = kinds.map((k) => sensorIcon(k));
        assert.equal(new Set(icons).size, kinds.length, `one icon per kind: ${icons.join(', ')}`);
        for (const icon of icons) assert.ok(fs.existsSync(path.join(ICONS, icon)), `icons/${icon} exists`);
    });

    it('names the thermometer for temperature, a drop for humidity and waves for motion', () => {
        assert.equal(sensorIcon('temperature'), 'sensor.svg');
        assert.equal(sensorIcon('humidity'), 'sensor-humidity.svg');
        assert.equal(sensorIcon('motion'), 'sensor-motion.svg');
    });

    it('falls back to the thermometer without a kind (the palette) and for an unknown one', () => {
        for (const kind of [undefined, '', 'pressure', 'constructor', '__proto__']) {
            assert.equal(sensorIcon(kind), 'sensor.svg', String(kind));
        }
    });

    it('the sensor node takes its icon from its kind', () => {
        const html = fs.readFileSync(path.join(ROOT, 'nodes', 'sensor.html'), 'utf8');
        assert.match(html, /icon: function \(\) \{[^}]*SH\.sensorIcon\(this && this\.kind\)/);
    });

    it('every icon a node file names exists in icons/', () => {
        const named = fs
            .readdirSync(path.join(ROOT, 'nodes'))
            .filter((f) => f.endsWith('.html'))
            .flatMap((f) => [...fs.readFileSync(path.join(ROOT, 'nodes', f), 'utf8').matchAll(/icon: '([^']+)'/g)])
            .map((m) => m[1]);
        assert.ok(named.length >= 8, `found the icons the nodes name (${named.length})`);
        for (const icon of named) assert.ok(fs.existsSync(path.join(ICONS, icon)), `icons/${icon} exists`);
    });
});
