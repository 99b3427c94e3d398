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

/**
 * Configuration problems: their texts are shared (common.config in hub.json,
 * read by every node through the hub's namespace), the property names are each
 * node's own (<type>.fields). Every problem a parser can raise must read in
 * every language, so each parser is driven through every property it reads
 * with values it must refuse.
 */
describe('configuration problems', function () {
    const core = path.join(__dirname, '..', '..', 'src', 'core');
    const { CONFIG_CODES, FIELD_PARAMS, describeProblem } = require(path.join(core, 'shared/config-fields'));
    const { parseSensorConfig } = require(path.join(core, 'sensor/config'));
    const { parseFleetConfig, parseMemberList } = require(path.join(core, 'fleet/config'));
    const { parseLightConfig } = require(path.join(core, 'light/config'));
    const { parseThresholdConfig } = require(path.join(core, 'threshold/config'));
    const { parseDoorLockConfig } = require(path.join(core, 'door-lock/config'));
    const { parseMonitorConfig } = require(path.join(core, 'monitor/monitor'));
    const { parseSerialConfig } = require(path.join(core, 'serial/config'));
    const { parseHubConfig } = require(path.join(core, 'hub/config'));
    const { parseGatewayConfig } = require(path.join(core, 'gateway/config'));
    const { patternProblem } = require(path.join(core, 'shared/topic'));
    const { problemOf } = require(path.join(core, 'shared/config-fields'));
    const { SHARED_SECTIONS } = require(path.join(core, 'shared/texts'));

    const LANGS = [SOURCE, ...TRANSLATIONS];
    const shared = (lang) => readCatalog(lang, 'hub.json').common.config;
    const BAD = [
        'x',
        '',
        '  ',
        -1,
        0,
        0.5,
        -1e15,
        1e15,
        2 ** 33,
        true,
        {},
        [],
        null,
        'a'.repeat(2000),
        'a+b',
        'a/#/b',
        'x+',
        '25:99',
        '(',
        'no group',
        'localhost:1883',
        'serial',
        '\u0000',
    ];

    /** The property names a parser reads from a config, found by watching it read one. */
    function keysRead(parse, base) {
        const keys = new Set();
        const watched = new Proxy(base, {
            get(target, key, receiver) {
                if (typeof key === 'string') keys.add(key);
                return Reflect.get(target, key, receiver);
            },
        });
        parse(watched);
        return [...keys];
    }

    /** Every problem found by setting each property the parser reads, one at a time, to each bad value. */
    function problemsOf(parse, bases) {
        const found = [];
        for (const base of bases) {
            assert.ok('config' in parse(base), `the base ${JSON.stringify(base)} is valid: ${parse(base).error}`);
            for (const key of keysRead(parse, base)) {
                for (const value of BAD) {
                    const result = parse({ ...base, [key]: value });
                    if ('problem' in result) found.push(result.problem);
                    for (const w of result.config?.warningProblems ?? []) found.push(w);
                }
            }
        }
        return found;
    }

    const PARSERS = [
        {
            file: 'sensor.json',
            type: 'sensorhub-sensor',
            parse: (raw) => parseSensorConfig(raw, 'n1'),
            bases: [
                {},
                { kind: 'generic', source: 'serial', serialPort: 'p1', format: 'regex', pattern: 'T=(\\d+)' },
                { source: 'serial', serialPort: 'p1', format: 'kv', field: 't', min: 0, max: 10 },
                { offlineEvery: 10, offlineFor: 1 },
            ],
        },
        {
            file: 'fleet.json',
            type: 'sensorhub-fleet',
            parse: parseFleetConfig,
            bases: [
                { sensors: [{ id: 'a' }] },
                { sensorSource: 'generated', count: 3 },
                { sensors: [{ id: 'a', source: 'serial' }], serialPort: 'p1', format: 'kv', field: 't' },
            ],
        },
        {
            file: 'fleet.json',
            type: 'sensorhub-fleet',
            // A row of the table, and an entry of a list sent at run time.
            parse: (row) => parseFleetConfig({ sensors: [{ id: 'a' }, row] }),
            bases: [{ id: 'b', kind: 'humidity', source: 'simulated', location: 'x', command: '', eventType: 'e' }],
        },
        {
            file: 'fleet.json',
            type: 'sensorhub-fleet',
            parse: (entry) => parseMemberList([entry, entry.id === 'a' ? 'b' : 'a'], false),
            bases: [{ id: 'b', kind: 'motion', location: 'x', eventType: 'e' }],
        },
        {
            file: 'fleet.json',
            type: 'sensorhub-fleet',
            parse: (raw) => parseMemberList(raw.list, false),
            bases: [{ list: ['a'] }],
        },
        {
            file: 'light.json',
            type: 'sensorhub-light',
            parse: parseLightConfig,
            bases: [{}, { darkGate: true, timeGate: true }],
        },
        { file: 'threshold.json', type: 'sensorhub-threshold', parse: parseThresholdConfig, bases: [{ high: 10 }] },
        { file: 'door-lock.json', type: 'sensorhub-door-lock', parse: parseDoorLockConfig, bases: [{}] },
        { file: 'monitor.json', type: 'sensorhub-monitor', parse: parseMonitorConfig, bases: [{}] },
        {
            file: 'serial-port.json',
            type: 'sensorhub-serial-port',
            parse: parseSerialConfig,
            bases: [
                { path: '/dev/x' },
                { path: '/dev/x', framing: 'length', length: 5 },
                { path: '/dev/x', framing: 'timeout', interByteTimeoutMs: 10 },
            ],
        },
        {
            file: 'hub.json',
            type: 'sensorhub-hub',
            parse: parseHubConfig,
            bases: [{}, { backend: 'mqtt', broker: 'mqtt://127.0.0.1:1883' }],
        },
        {
            file: 'gateway.json',
            type: 'sensorhub-gateway',
            parse: (raw) => parseGatewayConfig(raw, { tokens: JSON.stringify({ d1: 'a-token-long-enough' }) }),
            bases: [{ devices: [{ id: 'd1', location: 'x' }] }],
        },
        {
            file: 'gateway.json',
            type: 'sensorhub-gateway',
            parse: (creds) => parseGatewayConfig({ devices: [{ id: 'd1' }] }, creds),
            bases: [{ tokens: JSON.stringify({ d1: 'a-token-long-enough' }) }],
        },
        {
            file: 'hub.json',
            type: 'sensorhub-subscribe',
            // As src/hub.ts reads a subscribe node's patterns.
            parse: (raw) => {
                const bad = patternProblem(raw.pattern);
                return bad ? { error: bad.message, problem: problemOf(bad, 'patterns', bad.message) } : { config: {} };
            },
            bases: [{ pattern: 'home/+/t' }],
        },
    ];

    it('has a shared text for exactly the codes a parser may raise, using only their parameters', function () {
        for (const lang of LANGS) {
            const texts = shared(lang);
            assert.deepEqual(Object.keys(texts).sort(), Object.keys(CONFIG_CODES).sort(), lang);
            for (const [code, params] of Object.entries(CONFIG_CODES)) {
                const extra = placeholders(texts[code]).filter((p) => !params.includes(p));
                assert.deepEqual(extra, [], `${lang} common.config.${code} uses parameters it is not given`);
            }
        }
    });

    it('reads the shared texts through the namespace Node-RED gives the hub node set', function () {
        const { MODULE } = require('../../src/config-text');
        const pkg = require('../../package.json');
        assert.equal(MODULE, pkg.name);
        assert.equal(pkg['node-red'].nodes['sensorhub-hub'], 'nodes/hub.js');
    });

    for (const { file, type, parse, bases } of PARSERS) {
        it(`${type}: every problem its parser raises (${Object.keys(bases[0]).join(', ') || 'defaults'}) reads in ${LANGS.join(' and ')}`, function () {
            const problems = problemsOf(parse, bases);
            assert.ok(problems.length > 0);
            const codes = new Set();
            for (const lang of LANGS) {
                const own = readCatalog(lang, file)[type];
                const common = readCatalog(lang, 'hub.json').common;
                // As src/config-text.ts: shared sections (a described value's `value.`) in the hub catalog.
                const lookup = (key, params) => {
                    const [section, name] = key.split('.');
                    const text = SHARED_SECTIONS.includes(section) ? common[section]?.[name] : own[section]?.[name];
                    assert.equal(typeof text, 'string', `${lang}: ${type}.${key} is missing`);
                    return text.replace(/__(\w+)__/g, (m, p) => (params && p in params ? String(params[p]) : m));
                };
                const check = (problem) => {
                    codes.add(problem.code);
                    assert.ok(problem.code in CONFIG_CODES, `unknown code ${problem.code}`);
                    assert.deepEqual(
                        Object.keys(problem.params).sort(),
                        [...CONFIG_CODES[problem.code]].sort(),
                        `${problem.code}: its parameters (${problem.message})`,
                    );
                    for (const p of FIELD_PARAMS) if (p in problem.params) lookup(`fields.${problem.params[p]}`);
                    if (problem.inner) check(problem.inner);
                };
                for (const problem of problems) {
                    check(problem);
                    const text = describeProblem(problem, lookup);
                    assert.doesNotMatch(text, /__\w+__/, `${lang}: ${text}`);
                }
            }
            assert.ok(codes.size > 0);
        });
    }
});

/**
 * Run-time problems (core/texts): a code is its catalog key, shared sections
 * in the hub catalog's common section, node codes in the catalog holding that
 * node type. Every code must read in every language with only its parameters.
 */
/** One problem of every device.* code, each raised by a profile fed what it refuses. */
function deviceProblems({ zigbee2mqtt, shelly, homeAssistant, esphome }) {
    const out = [];
    const feed = (profile, state, topic, text) => {
        for (const e of profile.decode(topic, Buffer.from(text), state)) out.push(e.failure ?? e);
    };
    const z = zigbee2mqtt.createState({});
    feed(zigbee2mqtt, z, 'zigbee2mqtt/a', '{');
    feed(zigbee2mqtt, z, 'zigbee2mqtt/a', '[]');
    feed(zigbee2mqtt, z, 'zigbee2mqtt/a', '{"battery":200,"state":"MAYBE"}');
    const s = shelly.createState({});
    feed(shelly, s, 'sensorhub/rpc', '{"error":{"code":-105,"message":"not found"}}');
    const h = homeAssistant.createState({});
    feed(homeAssistant, h, 'homeassistant/sensor/a/b/config', '{"stat_t":"a/b","val_tpl":"{{ now() }}"}');
    feed(homeAssistant, h, 'homeassistant/sensor/a/c/config', '{"name":"c"}');
    feed(esphome, esphome.createState({}), 'n/sensor/temperature/state', 'nan');
    return out.filter((e) => e.code !== undefined);
}

describe('run-time problems', function () {
    const core = path.join(__dirname, '..', '..', 'src', 'core');
    const { TEXT_CODES, SHARED_SECTIONS, describeValue } = require(path.join(core, 'shared/texts'));
    const { describeProblem } = require(path.join(core, 'shared/config-fields'));
    const { parseReading } = require(path.join(core, 'shared/parse'));
    const { readLightInput } = require(path.join(core, 'light/light'));
    const { readThresholdInput, applyPatch } = require(path.join(core, 'threshold/threshold'));
    const { toReadingValue } = require(path.join(core, 'shared/reading'));
    const { listFailedProblem, listTimeoutProblem } = require(path.join(core, 'serial/ports'));
    const { parseLockInput } = require(path.join(core, 'door-lock/door-lock'));
    const { ReadError } = require(path.join(core, 'shared/reading'));
    const { EventHub } = require(path.join(core, 'hub/hub'));
    const devices = require(path.join(core, 'devices'));
    const LANGS = [SOURCE, ...TRANSLATIONS];

    /** The text of a code in a language, or undefined. */
    function textOf(lang, code) {
        const [section] = code.split('.');
        let node;
        let rest;
        if (SHARED_SECTIONS.includes(section)) {
            node = readCatalog(lang, 'hub.json').common;
            rest = code;
        } else {
            const file = filesOf(lang, '.json').find((f) => section in readCatalog(lang, f));
            if (!file) return undefined;
            node = readCatalog(lang, file);
            rest = code;
        }
        return rest.split('.').reduce((at, k) => (isObject(at) ? at[k] : undefined), node);
    }

    it('has a text for every code in every language, with exactly its parameters', function () {
        for (const [code, params] of Object.entries(TEXT_CODES)) {
            const want = placeholders(textOf(SOURCE, code) ?? '');
            for (const lang of LANGS) {
                const text = textOf(lang, code);
                assert.equal(typeof text, 'string', `${lang}: ${code} is missing`);
                assert.deepEqual(placeholders(text), [...params].sort(), `${lang}: ${code} placeholders`);
                assert.deepEqual(placeholders(text), want, `${lang}: ${code} differs from ${SOURCE}`);
            }
        }
    });

    it('says a wrong value in German without English words, for every node that describes one', function () {
        const { parseMemberList } = require(path.join(core, 'fleet/config'));
        const { patternProblem, eventTypeProblem } = require(path.join(core, 'shared/topic'));
        const { problemOf } = require(path.join(core, 'shared/config-fields'));
        const ENGLISH =
            /\b(the string|the number|the boolean|an array|an object|nothing|a number|a string|a function)\b/;
        const said = [];
        for (const v of ['x', 7, true, [], {}, undefined, () => 1]) {
            const problems = [
                parseLockInput({ command: v }, ['motion']).text,
                parseLockInput({ feedback: v }, ['motion']).text,
                parseLockInput({ topic: 'motion', payload: v }, ['motion']).text,
                parseLockInput({ command: 'unlock', code: v }, ['motion']).text,
                readLightInput({ topic: 'lux', payload: v }, { motion: [], lux: ['lux'] }).problem,
                readThresholdInput({ topic: 't', payload: v }).problem,
                readThresholdInput({ command: 'set', payload: { high: v } }).problem,
                toReadingValue('temperature', '°C', v).problem,
                parseMemberList(v, false).problem,
            ];
            const bad = patternProblem(v) ?? eventTypeProblem(v);
            if (bad) problems.push(problemOf(bad, 'patterns', bad.message));
            for (const p of problems.filter((x) => x !== undefined)) {
                const lookup = (key, params) => {
                    if (key.startsWith('fields.')) return key.slice('fields.'.length);
                    const text = textOf('de', key);
                    assert.equal(typeof text, 'string', `de: ${key} is missing`);
                    return text.replace(/__(\w+)__/g, (m, n) => (params && n in params ? String(params[n]) : m));
                };
                const text = describeProblem(p, lookup);
                assert.notEqual(text, p.message, `${p.code} is said in German`);
                assert.doesNotMatch(text, ENGLISH, `${p.code}: ${text}`);
                said.push(text);
            }
        }
        assert.ok(
            said.some((t) =>
                /msg\.command muss ein String sein .*erhalten: die Zeichenkette|erhalten: ein Array/.test(t),
            ),
        );
        assert.ok(
            said.includes(
                'msg.code muss ein String sein, erhalten: ein Wert vom Typ number; es wurde nichts entriegelt',
            ),
        );
    });

    it('every problem core raises reads in every language, with no placeholder left', function () {
        const problems = [];
        const lines = [
            '',
            'x',
            'a=1 a=2',
            'a b',
            '{',
            '[1]',
            '{"t":null}',
            '{"t":"x"}',
            'é\u0000',
            '9'.repeat(400),
            '1e999',
        ];
        const specs = [
            { format: 'number' },
            { format: 'number', min: 0, max: 1 },
            { format: 'number', min: 20 },
            { format: 'kv' },
            { format: 'kv', field: 't' },
            { format: 'json' },
            { format: 'json', field: 't' },
            { format: 'regex' },
            { format: 'regex', pattern: 'T=(\\d*)' },
            { format: 'regex', pattern: 'T(x)?' },
            { format: 'regex', pattern: 'no group' },
            { format: 'regex', pattern: '(' },
            { format: 'nope' },
            { format: 'number', maxLength: 4 },
        ];
        for (const spec of specs)
            for (const line of [...lines, '5', '-5', 'T', 'T=', 'a=1,b=2', 'a=', '{"t":[1]}', '{"t":"1e999"}']) {
                const r = parseReading(line, spec);
                if (!r.ok) problems.push(r.problem);
            }
        for (const v of [null, undefined, [], {}, 'x', 2, () => 1]) {
            problems.push(describeValue(v));
            for (const kind of ['motion', 'contact', 'temperature']) {
                const r = toReadingValue(kind, '°C', v);
                if ('problem' in r) problems.push(r.problem);
            }
            for (const msg of [
                { command: v },
                { topic: 'lux', payload: v },
                { payload: v },
                { payload: { state: 'on', brightness: v } },
                { payload: { state: v } },
            ]) {
                const r = readLightInput(msg, { motion: ['motion'], lux: ['lux'] });
                if (r.kind === 'error') problems.push(r.problem);
            }
            for (const msg of [
                { command: v },
                { feedback: v },
                { command: 'unlock', code: v },
                { topic: 'motion', payload: v },
                { topic: v, payload: 1 },
                { payload: v },
                { command: 'lock', feedback: v },
            ]) {
                const r = parseLockInput(msg, ['motion']);
                if ('problem' in r) problems.push(r.text);
            }
            for (const msg of [
                { command: v },
                { command: 'set', payload: v },
                { command: 'set', payload: { high: v } },
                { command: 'set', payload: { hysteresis: v } },
                { topic: 't', payload: v },
                { payload: 1 },
                { topic: 'x'.repeat(2000), payload: 1 },
            ]) {
                const r = readThresholdInput(msg);
                if (r.kind === 'error') problems.push(r.problem);
            }
        }
        problems.push(toReadingValue('battery', '%', 101).problem);
        problems.push(...deviceProblems(devices));
        for (const patch of [{ high: null }, { low: 9 }, { hysteresis: -1 }]) {
            const r = applyPatch({ high: 5, low: undefined, hysteresis: 0 }, patch);
            if ('problem' in r) problems.push(r.problem);
        }
        problems.push(listFailedProblem(listTimeoutProblem(5000), 'EACCES'), listFailedProblem('ENOENT', 'EACCES'));
        problems.push(new ReadError('error', 'EIO: i/o error').problem);
        const hub = new EventHub({ idPrefix: 't' });
        const refusal = (f) => {
            try {
                f();
            } catch (err) {
                return /** @type {{ problem?: unknown }} */ (err).problem;
            }
            assert.fail('no refusal');
        };
        problems.push(refusal(() => hub.subscribe(() => {}, { patterns: [] })));
        problems.push(refusal(() => hub.subscribe(() => {}, { patterns: ['x'], group: 'a/b' })));
        hub.close();
        problems.push(refusal(() => hub.publish('t', {})));
        const codes = new Set();
        const check = (p) => {
            codes.add(p.code);
            assert.ok(p.code in TEXT_CODES, `unknown code ${p.code}`);
            assert.deepEqual(Object.keys(p.params).sort(), [...TEXT_CODES[p.code]].sort(), p.code);
            for (const v of Object.values(p.params)) if (typeof v === 'object') check(v);
        };
        for (const p of problems) check(p);
        for (const lang of LANGS) {
            const lookup = (key, params) => {
                const text = textOf(lang, key);
                assert.equal(typeof text, 'string', `${lang}: ${key} is missing`);
                return text.replace(/__(\w+)__/g, (m, p) => (params && p in params ? String(params[p]) : m));
            };
            for (const p of problems) {
                const text = describeProblem(p, lookup);
                assert.doesNotMatch(text, /__\w+__/, `${lang}: ${text}`);
                if (lang === SOURCE) assert.equal(text, p.message, 'the English catalog says what core says');
            }
        }
        const unreached = Object.keys(TEXT_CODES).filter(
            (c) =>
                !codes.has(c) &&
                !['read.timeout', 'read.offline', 'read.simulated', 'sensorhub-threshold.input.too-many'].includes(c),
        );
        assert.deepEqual(unreached, [], 'codes no problem above reached');
    });
});
