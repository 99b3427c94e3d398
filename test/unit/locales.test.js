'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const LOCALES = path.join(__dirname, '..', '..', 'nodes', 'locales');
const SOURCE = 'en-US';
const TRANSLATIONS = ['de'];

function filesOf(locale, ext) {
    return fs
        .readdirSync(path.join(LOCALES, locale))
        .filter((f) => f.endsWith(ext))
        .sort();
}

function readCatalog(locale, file) {
    return JSON.parse(fs.readFileSync(path.join(LOCALES, locale, file), 'utf8'));
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every leaf of a catalog as [dotted key, value]; objects are branches, anything else a leaf. */
function leaves(catalog, prefix = '') {
    return Object.entries(catalog).flatMap(([k, v]) =>
        isObject(v) ? leaves(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]],
    );
}

/** The __name__ substitutions a message expects, as i18next finds them. */
function placeholders(text) {
    return [...new Set([...text.matchAll(/__(.+?)__/g)].map((m) => m[1]))].sort();
}

/**
 * What differs between two catalogs, as sentences: keys missing on either
 * side (a branch on one side and a leaf on the other counts as missing),
 * placeholders that differ, and values that are not non-empty strings.
 */
function catalogProblems(source, translated, name) {
    const a = new Map(leaves(source));
    const b = new Map(leaves(translated));
    const problems = [];
    for (const key of a.keys()) if (!b.has(key)) problems.push(`${key} is missing in ${name}`);
    for (const key of b.keys()) if (!a.has(key)) problems.push(`${key} is in ${name} but not in ${SOURCE}`);
    for (const [key, value] of b) {
        if (typeof value !== 'string' || value.trim() === '') {
            problems.push(`${key} in ${name} is not a non-empty string`);
        } else if (a.has(key) && typeof a.get(key) === 'string') {
            const want = placeholders(a.get(key));
            const got = placeholders(value);
            if (want.join() !== got.join())
                problems.push(`${key} in ${name} has placeholders [${got}] instead of [${want}]`);
        }
    }
    return problems;
}

function readHelp(locale, file) {
    return fs.readFileSync(path.join(LOCALES, locale, file), 'utf8');
}

function helpNames(html) {
    return [...html.matchAll(/<script\s+type="text\/html"\s+data-help-name="([^"]+)"\s*>/g)].map((m) => m[1]).sort();
}

/** The help text of each node type, by name. */
function helpSections(html) {
    const sections = new Map();
    for (const m of html.matchAll(/<script\s+type="text\/html"\s+data-help-name="([^"]+)"\s*>([\s\S]*?)<\/script>/g)) {
        sections.set(m[1], m[2]);
    }
    return sections;
}

const count = (text, re) => (text.match(re) || []).length;

describe('locales', function () {
    describe('the catalog comparison', function () {
        const en = { n: { label: { a: 'A __x__', b: 'B' }, status: { c: 'C' } } };
        it('finds nothing wrong with a complete translation', function () {
            const de = { n: { label: { a: 'Ä __x__', b: 'Bé' }, status: { c: 'Cé' } } };
            assert.deepEqual(catalogProblems(en, de, 'de'), []);
        });
        it('reports a key missing in the translation', function () {
            const de = { n: { label: { a: 'Ä __x__' }, status: { c: 'Cé' } } };
            assert.deepEqual(catalogProblems(en, de, 'de'), ['n.label.b is missing in de']);
        });
        it('reports a key missing in en-US', function () {
            const de = { n: { label: { a: 'Ä __x__', b: 'Bé', extra: 'E' }, status: { c: 'Cé' } } };
            assert.deepEqual(catalogProblems(en, de, 'de'), ['n.label.extra is in de but not in en-US']);
        });
        it('reports a branch where a leaf belongs, and a leaf where a branch belongs', function () {
            const de = { n: { label: { a: 'Ä __x__', b: { deeper: 'B' } }, status: 'C' } };
            const problems = catalogProblems(en, de, 'de');
            assert.ok(problems.includes('n.label.b is missing in de'), problems.join('\n'));
            assert.ok(problems.includes('n.status.c is missing in de'), problems.join('\n'));
            assert.ok(problems.includes('n.label.b.deeper is in de but not in en-US'), problems.join('\n'));
        });
        it('reports changed placeholders and empty values', function () {
            const de = { n: { label: { a: 'Ä __y__', b: ' ' }, status: { c: 'Cé' } } };
            assert.deepEqual(catalogProblems(en, de, 'de'), [
                'n.label.a in de has placeholders [y] instead of [x]',
                'n.label.b in de is not a non-empty string',
            ]);
        });
    });

    for (const locale of TRANSLATIONS) {
        describe(locale, function () {
            it(`has exactly the catalogs and help files of ${SOURCE}`, function () {
                assert.deepEqual(filesOf(locale, '.json'), filesOf(SOURCE, '.json'));
                assert.deepEqual(filesOf(locale, '.html'), filesOf(SOURCE, '.html'));
            });

            for (const file of filesOf(SOURCE, '.json')) {
                it(`${file}: the same keys and placeholders, no empty text`, function () {
                    assert.ok(fs.existsSync(path.join(LOCALES, locale, file)), `${locale}/${file} is missing`);
                    const problems = catalogProblems(readCatalog(SOURCE, file), readCatalog(locale, file), locale);
                    assert.deepEqual(problems, []);
                });
            }

            for (const file of filesOf(SOURCE, '.html')) {
                it(`${file}: help for the same node types, in the same layout`, function () {
                    assert.ok(fs.existsSync(path.join(LOCALES, locale, file)), `${locale}/${file} is missing`);
                    const source = readHelp(SOURCE, file);
                    const translated = readHelp(locale, file);
                    assert.ok(helpNames(source).length > 0, `${SOURCE}/${file} has no data-help-name`);
                    assert.deepEqual(helpNames(translated), helpNames(source));
                    const want = helpSections(source);
                    const got = helpSections(translated);
                    for (const [name, text] of want) {
                        const other = got.get(name);
                        for (const re of [/<h3>/g, /<dt[\s>]/g, /<li>/g]) {
                            assert.equal(count(other, re), count(text, re), `${name}: number of ${re.source}`);
                        }
                        const links = (t) => [...t.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
                        assert.deepEqual(links(other), links(text), `${name}: links`);
                    }
                });
            }
        });
    }
});
