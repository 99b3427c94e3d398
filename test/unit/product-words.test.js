'use strict';
// The project grew from articles a Node-RED user never read: their words must not show in what ships.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const WORDS = /(?<![\w.-])(seeds?|seed's|seeds'|articles?|asyncio|DataCollector|SmartSensor)(?![\w-])/gi;

/**
 * What a user reads of a file, without code names: JSON keys, element tags and attributes, and the dotted or dashed
 * names code uses (`label.seed`, `node-input-seed`, `seed:`, `'seed',`) are not shown. "Random seed" is the setting's name.
 */
function visibleText(text) {
    return (
        text
            .replace(/"[\w.-]+"\s*:/g, ' ')
            .replace(/<[^>]*>/g, ' ')
            .replace(/\b\w+\s*:\s*\{/g, ' ')
            .replace(/\(\s*'[\w.-]+'\s*\)/g, ' ')
            // A one-word string in code is a message key or a property name (`msg, 'seed', …`), not a text.
            .replace(/'[\w.-]+'(?=\s*[,)\]])/g, ' ')
            .replace(/random[\s-]+seed/gi, ' ')
    );
}

function hits(file, text) {
    return visibleText(text)
        .split('\n')
        .flatMap((line) =>
            [...line.matchAll(WORDS)].map(
                (m) => `${path.relative(ROOT, file)}: "${m[0]}" in ${line.trim().slice(0, 120)}`,
            ),
        );
}

function filesUnder(dir) {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? filesUnder(p) : [p];
    });
}

function shippedFiles() {
    const html = fs
        .readdirSync(path.join(ROOT, 'nodes'))
        .filter((f) => f.endsWith('.html'))
        .map((f) => path.join(ROOT, 'nodes', f));
    return [
        ...filesUnder(path.join(ROOT, 'examples')),
        ...html,
        ...filesUnder(path.join(ROOT, 'nodes', 'locales')),
        ...filesUnder(path.join(ROOT, 'resources')),
    ];
}

function readmeUserPart() {
    const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const end = text.indexOf('\n## Benchmarks');
    assert.ok(end > 0, 'README has a "## Benchmarks" section');
    return text.slice(0, end);
}

describe('product words', () => {
    it('finds the words it looks for, and lets the names of code and the random seed pass', () => {
        assert.equal(hits('x', "The seed's collector").length, 1);
        assert.equal(hits('x', '"name": "Seed 001: asyncio.gather"').length, 2);
        assert.equal(hits('x', 'like the SmartSensor of the source articles').length, 2);
        assert.equal(
            hits(
                'x',
                '"seed": "2024", <input id="node-input-seed"> label.seed msg(\'seed\') seed: { number(r, msg, \'seed\', {})',
            ).length,
            0,
        );
        assert.equal(hits('x', '"seed": "Random seed"').length, 0);
    });

    it('no file that ships names the source articles or their code', () => {
        const found = shippedFiles().flatMap((f) => hits(f, fs.readFileSync(f, 'utf8')));
        assert.deepEqual(found, []);
    });

    it('the user part of the README does not name them either', () => {
        assert.deepEqual(hits(path.join(ROOT, 'README.md'), readmeUserPart()), []);
    });

    it('nor does the rest of the README, or the docs and benchmark tables it links to', () => {
        const docs = filesUnder(path.join(ROOT, 'docs')).filter((f) => /\.(md|svg)$/.test(f));
        const results = filesUnder(path.join(ROOT, 'bench', 'results'));
        const found = [path.join(ROOT, 'README.md'), ...docs, ...results].flatMap((f) =>
            hits(f, fs.readFileSync(f, 'utf8')),
        );
        assert.deepEqual(found, []);
    });
});
