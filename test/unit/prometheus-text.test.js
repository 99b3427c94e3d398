'use strict';
// The checker the monitor's exposition tests read Prometheus text with (test/helpers/prometheus-text.js): the pinned
// full exposition passes, and each way of breaking one of its lines fails.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const fc = require('fast-check');
const { readExposition, ExpositionError } = require('../helpers/prometheus-text');
const { formatPrometheus } = require('../../src/core/monitor/prometheus');

const PINNED = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'monitor-exposition.txt'), 'utf8');

/** The pinned text with `from` (which must be in it) replaced by `to`. */
function edit(from, to, text = PINNED) {
    assert.ok(text.includes(from), `the pinned text has ${JSON.stringify(from)}`);
    return text.replace(from, to);
}

const EVENTS = 'sensorhub_events_total{hub="home",type="home/temp"} 3\n';
const PUBLISHED_TYPE = '# TYPE sensorhub_hub_published_total counter\n';
const PUBLISHED = 'sensorhub_hub_published_total{hub="home"} 4\n';
const LIGHT_ON = 'sensorhub_light_on{light="l2",name=""} 0\n';
const LATENCY = 'sensorhub_fleet_read_latency_seconds{fleet="f1",name="north",quantile=';

/**
 * One broken line (or pair of lines) each, and what the error says.
 * @type {[string, () => string, RegExp][]}
 */
const BROKEN = [
    ['a metric name with a dash', () => edit(PUBLISHED, PUBLISHED.replace('hub_', 'hub-')), /metric name/],
    ['a metric name starting with a digit', () => edit(PUBLISHED, `4${PUBLISHED}`), /metric name/],
    ['a label name with a dash', () => edit(PUBLISHED, PUBLISHED.replace('hub=', 'hub-id=')), /label name/],
    ['a reserved label name', () => edit(PUBLISHED, PUBLISHED.replace('hub=', '__hub=')), /reserved/],
    ['a label given twice', () => edit(PUBLISHED, PUBLISHED.replace('}', ',hub="x"}')), /label hub twice/],
    ['an unquoted label value', () => edit(PUBLISHED, PUBLISHED.replace('"home"', 'home')), /not quoted/],
    ['an unescaped double quote', () => edit('say \\"hi\\"', 'say "hi"'), /after a value/],
    ['an escape the format has not', () => edit('"home/temp"', '"home\\temp"'), /escape other than/],
    [
        'a label value without its closing quote',
        () => edit(PUBLISHED, PUBLISHED.replace('home"', 'home')),
        /closing quote/,
    ],
    ['a label set without its brace', () => edit(PUBLISHED, PUBLISHED.replace('}', '')), /after a value/],
    ['a value that is no number', () => edit(PUBLISHED, PUBLISHED.replace(' 4', ' four')), /not a float/],
    ['a decimal comma', () => edit('0.25\n', '0,25\n'), /not a float/],
    ['no value', () => edit(PUBLISHED, PUBLISHED.replace(' 4', '')), /not a float/],
    ['a timestamp that is no integer', () => edit(PUBLISHED, PUBLISHED.replace(' 4', ' 4 1.5')), /int64/],
    ['a third token', () => edit(PUBLISHED, PUBLISHED.replace(' 4', ' 4 1 2')), /value \[timestamp\]/],
    ['a stray word', () => edit(PUBLISHED, `${PUBLISHED}oops\n`), /not a float/],
    ['an unknown type', () => edit(PUBLISHED_TYPE, PUBLISHED_TYPE.replace('counter', 'count')), /known type/],
    ['a TYPE with a fourth token', () => edit(PUBLISHED_TYPE, PUBLISHED_TYPE.replace('r\n', 'r total\n')), /TYPE/],
    ['a second TYPE', () => edit(PUBLISHED_TYPE, PUBLISHED_TYPE + PUBLISHED_TYPE), /second TYPE/],
    ['a second HELP', () => edit(PUBLISHED_TYPE, `${PUBLISHED_TYPE}# HELP sensorhub_hub_published_total x\n`), /HELP/],
    ['a TYPE after the samples', () => edit(PUBLISHED_TYPE + PUBLISHED, PUBLISHED + PUBLISHED_TYPE), /after its/],
    ['a HELP with a bad escape', () => edit('Events published on', 'Events\\tpublished on'), /HELP with an escape/],
    ['one series twice', () => edit(PUBLISHED, PUBLISHED + PUBLISHED), /same series twice/],
    [
        'one series twice, labels reordered',
        () => edit(EVENTS, `${EVENTS}sensorhub_events_total{type="home/temp",hub="home"} 2\n`),
        /same series/,
    ],
    [
        'a family split in two',
        () => edit(LIGHT_ON, '', edit('# HELP sensorhub_light_mode', `${LIGHT_ON}# HELP sensorhub_light_mode`)),
        /not one group/,
    ],
    ['a summary sample without quantile', () => edit(`${LATENCY}"0.5"`, `${LATENCY.slice(0, -10)}`), /quantile label/],
    ['a quantile above 1', () => edit(`${LATENCY}"0.95"`, `${LATENCY}"95"`), /quantile label from 0 to 1/],
    ['quantiles out of order', () => edit(`${LATENCY}"0.95"`, `${LATENCY}"0.25"`), /not increasing/],
    [
        'a summary _count with a quantile',
        () => edit('0.48\n', '0.48\nsensorhub_fleet_read_latency_seconds_count{quantile="1"} 3\n'),
        /has a quantile label/,
    ],
    [
        "a family taking a summary's _sum",
        () =>
            `${PINNED}# TYPE sensorhub_event_loop_delay_seconds_sum gauge\nsensorhub_event_loop_delay_seconds_sum 1\n`,
        /taken by summary/,
    ],
    [
        'a histogram, which nothing checks yet',
        () => edit(PUBLISHED_TYPE, PUBLISHED_TYPE.replace('counter', 'histogram')),
        /not checked/,
    ],
    ['no line feed at the end', () => PINNED.slice(0, -1), /line feed/],
];

describe('test helper: Prometheus text checker', function () {
    it('reads the pinned full exposition: every family typed, with its HELP, labels and numbers', function () {
        const families = readExposition(PINNED);
        const typeLines = [...PINNED.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
        assert.deepEqual(
            families.map((f) => [f.name, f.type]),
            typeLines,
        );
        for (const f of families) {
            assert.ok(f.help && f.samples.length > 0, f.name);
            for (const s of f.samples) assert.equal(typeof s.value, 'number');
        }
        const events = families.find((f) => f.name === 'sensorhub_events_total');
        assert.deepEqual(events?.samples[1].labels, { hub: 'home', type: 'say "hi"' });
        const latency = families.find((f) => f.name === 'sensorhub_fleet_read_latency_seconds');
        assert.deepEqual(
            latency?.samples.map((s) => [s.labels.quantile, s.value]),
            [
                ['0.5', 0.12],
                ['0.95', 0.48],
            ],
        );
    });

    it("reads the spec's own forms: blanks, a trailing comma, escapes, special values, timestamps, _sum and _count", function () {
        const text = [
            '# A comment that is neither HELP nor TYPE',
            '# HELP x_seconds Line one\\nback\\\\slash "quoted"',
            '# TYPE x_seconds summary',
            'x_seconds{quantile="0.5",} 1',
            '  x_seconds {quantile = "0.9"}\t2  ',
            'x_seconds_sum NaN',
            'x_seconds_count +Inf',
            '',
            'y{path="C:\\\\DIR",error="a\\n\\"b\\""} -Inf 1395066363000',
            '',
        ].join('\n');
        const [x, y] = readExposition(text);
        assert.equal(x.help, 'Line one\nback\\slash "quoted"');
        assert.deepEqual(
            x.samples.map((s) => [s.name, s.labels.quantile, s.value]),
            [
                ['x_seconds', '0.5', 1],
                ['x_seconds', '0.9', 2],
                ['x_seconds_sum', undefined, NaN],
                ['x_seconds_count', undefined, Infinity],
            ],
        );
        assert.equal(y.type, 'untyped');
        assert.deepEqual(y.samples[0].labels, { path: 'C:\\DIR', error: 'a\n"b"' });
        assert.equal(y.samples[0].value, -Infinity);
    });

    it('reads what the monitor writes for any label values, HELP texts and values back unchanged', function () {
        // Any text, and text of the characters escaping and the syntax are about.
        const text = fc.oneof(
            fc.string({ unit: 'binary' }),
            fc.string({ unit: fc.constantFrom('\\', '"', '\n', 'n', '{', '}', ',', '=', ' ', '#') }),
        );
        const family = fc.record({
            name: fc.constantFrom('a_total', 'b', 'c:d'),
            // Not empty: parse-prometheus-text-format refuses a HELP line without text (the monitor writes none).
            help: text.map((h) => h.trim()).filter((h) => h !== ''),
            values: fc.array(fc.tuple(text, fc.double()), { maxLength: 4 }),
        });
        fc.assert(
            fc.property(fc.array(family, { maxLength: 6 }), (fams) => {
                const input = fams.map((f, n) => ({
                    name: f.name,
                    help: f.help,
                    type: /** @type {'counter' | 'gauge'} */ (f.name.endsWith('_total') ? 'counter' : 'gauge'),
                    // The family's index and the sample's keep every series apart.
                    samples: f.values.map(([label, value], i) => ({ labels: { s: `${n}.${i}`, v: label }, value })),
                }));
                const read = readExposition(formatPrometheus(input) || '\n');
                const written = input.filter((f) => f.samples.length > 0);
                assert.deepEqual(
                    read.map((f) => f.name),
                    // In the order each name first comes, with or without samples there.
                    [...new Set(input.map((f) => f.name))].filter((name) => written.some((w) => w.name === name)),
                );
                for (const f of read) {
                    const mine = written.filter((w) => w.name === f.name);
                    // Families of one name share the HELP of the first given.
                    assert.equal(f.help, input.find((w) => w.name === f.name)?.help);
                    assert.deepEqual(
                        f.samples.map((s) => [s.labels, String(s.value)]),
                        mine.flatMap((w) => w.samples.map((x) => [x.labels, String(x.value)])),
                    );
                }
            }),
            { numRuns: 300 },
        );
    });

    for (const [what, broken, says] of BROKEN)
        it(`fails on ${what}`, function () {
            assert.throws(
                () => readExposition(broken()),
                (err) => err instanceof ExpositionError && says.test(err.message),
            );
        });
});
