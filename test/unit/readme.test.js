'use strict';
// The README is also the package's page on npm and in the flow library. There a relative link points nowhere (the
// flow library), or at a file GitHub serves with the wrong type (npm, for an SVG), so links and pictures are absolute
// links into the repository. A user reads it first: what it is, how to install it, a first flow, the nodes; the
// developers' part and the benchmark tables (docs/benchmarks.md) come after. CHANGELOG.md keeps Keep a Changelog's form.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const REPO = 'sensorhub/node-red-sensorhub';
const RAW = `https://raw.githubusercontent.com/${REPO}/HEAD/`;
const BLOB = `https://github.com/${REPO}/blob/HEAD/`;
const TREE = `https://github.com/${REPO}/tree/HEAD/`;

const read = (file) => fs.readFileSync(path.join(ROOT, file), 'utf8');
/** Markdown links and pictures outside code: [text](target), with `picture` true for ![text](target). */
function links(text) {
    const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
    return [...prose.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => ({ picture: m[1] === '!', target: m[2] }));
}
const headings = (text) => [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1].trim());

describe('README', function () {
    const readme = read('README.md');

    it('starts with what a user needs: what it is with a picture, install, a first flow, the nodes; then developing', function () {
        const h = headings(readme);
        const at = (name) => {
            const i = h.findIndex((x) => x.startsWith(name));
            assert.ok(i >= 0, `a "## ${name}" section; the sections are ${h.join(', ')}`);
            return i;
        };
        assert.equal(h[0], 'Install');
        assert.ok(at('Install') < at('Your first flow'));
        assert.ok(at('Your first flow') < at('Nodes'));
        assert.ok(at('Nodes') < at('Benchmarks'));
        assert.ok(at('Benchmarks') < at('Developing'));
        const intro = readme.slice(0, readme.indexOf('\n## Install'));
        assert.equal(links(intro).filter((l) => l.picture).length, 1, 'one picture says what it is');
        const install = readme.slice(readme.indexOf('\n## Install'), readme.indexOf('\n## Your first flow'));
        assert.match(install, /Manage palette/);
        assert.match(install, /cd ~\/\.node-red\s+npm install @sensorhub\/node-red-sensorhub/);
        const developing = readme.slice(readme.indexOf('\n## Developing'));
        assert.match(developing, /npm install && npm start/);
    });

    it('links and pictures are absolute links to files in the repository; an SVG is asked for sanitized', function () {
        const found = links(readme).filter((l) => !l.target.startsWith('#'));
        assert.ok(found.length > 5);
        for (const { picture, target } of found) {
            if (!target.includes(REPO)) {
                assert.match(target, /^https:\/\//, `${target} is absolute`);
                continue;
            }
            const base = picture ? RAW : target.startsWith(TREE) ? TREE : BLOB;
            assert.ok(target.startsWith(base), `${target} starts with ${base}`);
            const file = target.slice(base.length).replace(/[?#].*$/, '');
            assert.ok(fs.existsSync(path.join(ROOT, file)), `${file} (from ${target}) is in the repository`);
            if (picture && file.endsWith('.svg')) assert.match(target, /\?sanitize=true$/, target);
        }
    });

    it('shows the benchmark chart and a summary; the tables are in docs/benchmarks.md', function () {
        const section = readme.slice(
            readme.indexOf('\n## Benchmarks'),
            readme.indexOf('\n## ', readme.indexOf('\n## Benchmarks') + 1),
        );
        assert.ok(links(section).some((l) => l.picture && l.target.includes('docs/bench.svg')));
        assert.ok(links(section).some((l) => l.target === `${BLOB}docs/benchmarks.md`));
        assert.doesNotMatch(readme, /^\| benchmark \|/m, 'no benchmark table in the README');
        const docs = read('docs/benchmarks.md');
        assert.ok((docs.match(/^\| benchmark \|/gm) || []).length >= 8, 'the tables');
        for (const { target } of links(docs).filter((l) => !/^(https?:|#)/.test(l.target))) {
            const file = path.join(ROOT, 'docs', target.replace(/[?#].*$/, ''));
            assert.ok(fs.existsSync(file), `${target} in docs/benchmarks.md points at a file`);
        }
    });
});

describe('CHANGELOG', function () {
    const text = read('CHANGELOG.md');
    const versions = [...text.matchAll(/^## \[([^\]]+)\](.*)$/gm)].map((m) => ({ name: m[1], rest: m[2] }));

    it('follows Keep a Changelog: Unreleased, then dated versions down to 0.1.0, with their links', function () {
        assert.match(text, /^# Changelog\n/);
        assert.match(text, /keepachangelog\.com/);
        assert.equal(versions[0].name, 'Unreleased');
        assert.equal(versions[versions.length - 1].name, '0.1.0');
        for (const v of versions.slice(1)) assert.match(`${v.name}${v.rest}`, /^\d+\.\d+\.\d+ - \d{4}-\d{2}-\d{2}$/);
        assert.ok(versions.some((v) => v.name === require('../../package.json').version));
        for (const h of text.matchAll(/^### (.+)$/gm))
            assert.ok(['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security'].includes(h[1]), h[1]);
        for (const v of versions)
            assert.match(
                text,
                new RegExp(`^\\[${v.name.replace(/\./g, '\\.')}\\]: https://github\\.com/${REPO}/`, 'm'),
            );
    });
});
