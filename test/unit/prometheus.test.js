'use strict';
// Property tests: fast-check prints the seed and path of a failure. To replay it, add them to that fc.assert's
// options, `fc.assert(property, { seed, path, endOnFailure: true })`, and run this file alone.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const {
    formatPrometheus,
    escapeLabelValue,
    escapeHelp,
    formatValue,
    metricNameError,
    labelNameError,
    CONTENT_TYPE,
} = require('../../src/core/monitor/prometheus');
const { textOf } = require('../helpers/types');

/** Reads one label value back as Prometheus's parser would. */
function unescapeLabelValue(s) {
    return s.replace(/\\(.)/g, (_m, c) => (c === 'n' ? '\n' : c));
}

describe('core/prometheus', function () {
    it('writes HELP, TYPE and one line per sample', function () {
        const text = formatPrometheus([
            {
                name: 'sensorhub_events_total',
                help: 'Events by type.',
                type: 'counter',
                samples: [
                    { labels: { hub: 'home', type: 'temperature_update' }, value: 12 },
                    { labels: { hub: 'home', type: 'motion_detected' }, value: 3 },
                ],
            },
            { name: 'sensorhub_process_uptime_seconds', help: 'Uptime.', type: 'gauge', samples: [{ value: 42.5 }] },
        ]);
        assert.equal(
            text,
            [
                '# HELP sensorhub_events_total Events by type.',
                '# TYPE sensorhub_events_total counter',
                'sensorhub_events_total{hub="home",type="temperature_update"} 12',
                'sensorhub_events_total{hub="home",type="motion_detected"} 3',
                '# HELP sensorhub_process_uptime_seconds Uptime.',
                '# TYPE sensorhub_process_uptime_seconds gauge',
                'sensorhub_process_uptime_seconds 42.5',
                '',
            ].join('\n'),
        );
    });

    it('says the exposition format version in its content type', function () {
        assert.equal(CONTENT_TYPE, 'text/plain; version=0.0.4');
    });

    it('escapes backslash, double quote and line feed in label values', function () {
        assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
        const text = formatPrometheus([
            { name: 'm', help: 'h', type: 'gauge', samples: [{ labels: { type: 'say "hi"\\\n' }, value: 1 }] },
        ]);
        assert.match(text, /^m\{type="say \\"hi\\"\\\\\\n"\} 1$/m);
    });

    it('reads any label value back unchanged, on one line', function () {
        fc.assert(
            fc.property(fc.string({ unit: 'binary' }), (v) => {
                const e = escapeLabelValue(v);
                assert.ok(!e.includes('\n'));
                assert.ok(!/(^|[^\\])(\\\\)*"/.test(e), 'no unescaped double quote');
                assert.equal(unescapeLabelValue(e), v);
            }),
            { numRuns: 1000 },
        );
    });

    it('escapes backslash and line feed in HELP, and leaves double quotes', function () {
        assert.equal(escapeHelp('a\\b\n"c"'), 'a\\\\b\\n"c"');
    });

    it('writes special values as Prometheus does', function () {
        assert.equal(formatValue(NaN), 'NaN');
        assert.equal(formatValue(Infinity), '+Inf');
        assert.equal(formatValue(-Infinity), '-Inf');
        assert.equal(formatValue(0.25), '0.25');
        assert.equal(formatValue(-3), '-3');
    });

    it('accepts metric names of the format and refuses others', function () {
        for (const ok of ['a', '_x', 'sensorhub_events_total', 'ns:sub_name', 'A9'])
            assert.equal(metricNameError(ok), undefined);
        for (const bad of ['', '9a', 'a-b', 'a b', 'a.b', 'é'])
            assert.match(textOf(metricNameError(bad)), /must match/);
        assert.throws(
            () => formatPrometheus([{ name: 'bad-name', help: '', type: 'gauge', samples: [{ value: 1 }] }]),
            /must match/,
        );
    });

    it('accepts label names of the format, refuses others and the reserved __ prefix', function () {
        for (const ok of ['hub', '_x', 'le', 'a9']) assert.equal(labelNameError(ok), undefined);
        for (const bad of ['', '9a', 'a:b', 'a-b']) assert.match(textOf(labelNameError(bad)), /must match/);
        assert.match(textOf(labelNameError('__name__')), /reserved/);
        assert.throws(
            () =>
                formatPrometheus([
                    { name: 'm', help: '', type: 'gauge', samples: [{ labels: { 'a-b': 'x' }, value: 1 }] },
                ]),
            /must match/,
        );
    });

    it('gives each metric family one HELP and one TYPE line, its samples together', function () {
        const text = formatPrometheus([
            { name: 'a', help: 'A.', type: 'gauge', samples: [{ labels: { n: '1' }, value: 1 }] },
            { name: 'b', help: 'B.', type: 'counter', samples: [{ value: 5 }] },
            { name: 'a', help: 'A again.', type: 'gauge', samples: [{ labels: { n: '2' }, value: 2 }] },
        ]);
        assert.equal(text, '# HELP a A.\n# TYPE a gauge\na{n="1"} 1\na{n="2"} 2\n# HELP b B.\n# TYPE b counter\nb 5\n');
    });

    it('refuses one name given two types', function () {
        assert.throws(
            () =>
                formatPrometheus([
                    { name: 'a', help: '', type: 'gauge', samples: [{ value: 1 }] },
                    { name: 'a', help: '', type: 'counter', samples: [{ value: 1 }] },
                ]),
            /both a gauge and a counter/,
        );
    });

    it('leaves out families without samples, and writes nothing for nothing', function () {
        assert.equal(formatPrometheus([{ name: 'a', help: '', type: 'gauge', samples: [] }]), '');
        assert.equal(formatPrometheus([]), '');
    });

    it('writes a sample without labels, or with an empty label set, bare', function () {
        assert.equal(
            formatPrometheus([{ name: 'a', help: 'h', type: 'gauge', samples: [{ labels: {}, value: 1 }] }]).split(
                '\n',
            )[2],
            'a 1',
        );
    });

    it('keeps every HELP and TYPE unique over any mix of families', function () {
        const family = fc.record({
            name: fc.constantFrom('a', 'b', 'c'),
            samples: fc.array(fc.record({ v: fc.double({ noNaN: false }), l: fc.string() }), { maxLength: 3 }),
        });
        fc.assert(
            fc.property(fc.array(family, { maxLength: 8 }), (fams) => {
                const text = formatPrometheus(
                    fams.map((f) => ({
                        name: f.name,
                        help: `help of ${f.name}`,
                        type: 'gauge',
                        samples: f.samples.map((s) => ({ labels: { l: s.l }, value: s.v })),
                    })),
                );
                const lines = text.split('\n').filter((l) => l !== '');
                const sampleCount = fams.reduce((n, f) => n + f.samples.length, 0);
                const families = new Set(fams.filter((f) => f.samples.length > 0).map((f) => f.name));
                assert.equal(lines.filter((l) => l.startsWith('# HELP ')).length, families.size);
                assert.equal(lines.filter((l) => l.startsWith('# TYPE ')).length, families.size);
                assert.equal(lines.filter((l) => !l.startsWith('#')).length, sampleCount);
                // A family's samples follow its TYPE line before any other family starts.
                let current;
                const closed = new Set();
                for (const l of lines) {
                    if (l.startsWith('# TYPE ')) {
                        if (current) closed.add(current);
                        current = l.split(' ')[2];
                        assert.ok(!closed.has(current));
                    } else if (!l.startsWith('#')) {
                        assert.equal(l.split('{')[0], current);
                    }
                }
            }),
            { numRuns: 1000 },
        );
    });
});
