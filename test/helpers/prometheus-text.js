'use strict';
// Reads a Prometheus text exposition (format 0.0.4,
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details) twice: with the independent
// parser parse-prometheus-text-format, and line by line against the spec's rules that parser lets pass (it takes any
// name, any value and a sample before its TYPE, merges repeated series and loses a summary's other labels). Both
// readings must agree. Any break throws an error naming the line.
const parsePrometheusTextFormat = require('parse-prometheus-text-format');

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
// Go's strconv.ParseFloat in decimal, with its special values in any case; a timestamp is an int64.
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;
const INT64 = /^[+-]?\d+$/;
const ESCAPES = { '\\': '\\', '"': '"', n: '\n' };

/** @typedef {{ name: string, labels: Record<string, string>, value: number, line: number }} TextSample */
/** @typedef {{ name: string, type: string, typed?: boolean, help?: string, samples: TextSample[], ended: boolean }} TextFamily */

class ExpositionError extends Error {}

/** @returns {never} */
function fail(lineNo, why, line) {
    throw new ExpositionError(`line ${lineNo}: ${why}: ${JSON.stringify(line)}`);
}

/** `text` unescaped where only `allowed` may follow a backslash; undefined when another does. */
function unescape(text, allowed) {
    let out = '';
    for (let i = 0; i < text.length; i++) {
        if (text[i] !== '\\') out += text[i];
        else if (allowed.includes(text[++i])) out += ESCAPES[text[i]];
        else return undefined;
    }
    return out;
}

/** The label set of a sample line from its `{` on: [labels, the rest of the line], or the reason it is broken. */
function readLabels(line, from) {
    /** @type {Record<string, string>} */
    const labels = {};
    let i = from + 1;
    const blanks = () => {
        while (line[i] === ' ' || line[i] === '\t') i++;
    };
    for (;;) {
        blanks();
        if (line[i] === '}') return [labels, line.slice(i + 1)];
        const eq = line.indexOf('=', i);
        if (eq === -1) return 'a label without "="';
        const name = line.slice(i, eq).trim();
        if (!LABEL_NAME.test(name)) return `label name ${JSON.stringify(name)} is not [a-zA-Z_][a-zA-Z0-9_]*`;
        if (name.startsWith('__')) return `label name ${name} starts with __ (reserved)`;
        if (name in labels) return `label ${name} twice`;
        i = eq + 1;
        blanks();
        if (line[i] !== '"') return `the value of label ${name} is not quoted`;
        const close = /(?:^|[^\\])(?:\\\\)*"/.exec(line.slice(i + 1));
        if (close === null) return `the value of label ${name} has no closing quote`;
        const end = i + 1 + close.index + close[0].length - 1;
        const value = unescape(line.slice(i + 1, end), '\\"n');
        if (value === undefined) return `the value of label ${name} has an escape other than \\\\, \\" or \\n`;
        labels[name] = value;
        i = end + 1;
        blanks();
        if (line[i] === ',') i++;
        else if (line[i] !== '}') return `a label set with ${JSON.stringify(line[i] ?? 'its end')} after a value`;
    }
}

/** A value token as a number: Go's spellings of infinity are not JavaScript's. */
const toNumber = (token) => Number(String(token).replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));

/**
 * One sample line as { name, labels, value }, or the reason it is broken.
 * @returns {string | { name: string, labels: Record<string, string>, value: number }}
 */
function readSample(line) {
    const nameEnd = line.search(/[{ \t]/);
    const name = nameEnd === -1 ? line : line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) return `metric name ${JSON.stringify(name)} is not [a-zA-Z_:][a-zA-Z0-9_:]*`;
    /** @type {Record<string, string>} */
    let labels = {};
    let rest = line.slice(name.length);
    const brace = rest.search(/\S/);
    if (rest[brace] === '{') {
        const read = readLabels(line, name.length + brace);
        if (typeof read === 'string') return read;
        [labels, rest] = read;
    }
    const tokens = rest.trim().split(/[ \t]+/);
    if (tokens.length > 2) return 'not "value [timestamp]" after the name and labels';
    if (!FLOAT.test(tokens[0])) return `value ${JSON.stringify(tokens[0])} is not a float`;
    if (tokens.length === 2 && !INT64.test(tokens[1])) return `timestamp ${JSON.stringify(tokens[1])} is not an int64`;
    return { name, labels, value: toNumber(tokens[0]) };
}

/** The family a sample named `name` belongs to: `x` for a summary's `x_sum` and `x_count`. */
function familyName(families, name) {
    if (families.has(name)) return name;
    const m = /^(.*)_(sum|count)$/.exec(name);
    return m && families.get(m[1])?.type === 'summary' ? m[1] : name;
}

/** Reads every line into families, enforcing the rules that hold line by line. */
class Reader {
    constructor() {
        /** @type {Map<string, TextFamily>} */
        this.families = new Map();
        /** @type {TextFamily | undefined} */
        this.current = undefined;
    }

    /**
     * Family `name`, which must not have ended: all lines of a family are one uninterrupted group.
     * @returns {TextFamily}
     */
    enter(name, lineNo, line) {
        const current = this.current;
        if (current !== undefined && current.name === name) return current;
        if (current) current.ended = true;
        const seen = this.families.get(name);
        if (seen?.ended) fail(lineNo, `the lines of ${name} are not one group`, line);
        const f = seen ?? { name, type: 'untyped', samples: [], ended: false };
        this.families.set(name, f);
        this.current = f;
        return f;
    }

    comment(tokens, lineNo, line) {
        const [keyword, name] = tokens;
        if (keyword !== 'HELP' && keyword !== 'TYPE') return;
        if (!METRIC_NAME.test(name ?? '')) fail(lineNo, `${keyword} without a valid metric name`, line);
        const f = this.enter(name, lineNo, line);
        if (keyword === 'HELP') {
            if (f.help !== undefined) fail(lineNo, `a second HELP for ${name}`, line);
            const doc = line.replace(/^#[ \t]*HELP[ \t]+\S+[ \t]?/, '');
            f.help = unescape(doc, '\\n');
            if (f.help === undefined) fail(lineNo, 'HELP with an escape other than \\\\ or \\n', line);
            return;
        }
        if (tokens.length !== 3 || !TYPES.has(tokens[2])) fail(lineNo, 'TYPE needs a name and one known type', line);
        if (f.typed) fail(lineNo, `a second TYPE for ${name}`, line);
        if (f.samples.length > 0) fail(lineNo, `TYPE for ${name} after its samples`, line);
        f.typed = true;
        f.type = tokens[2];
    }

    line(line, lineNo) {
        const trimmed = line.trim();
        if (trimmed === '') return;
        if (trimmed.startsWith('#')) {
            const tokens = trimmed
                .slice(1)
                .trim()
                .split(/[ \t]+/);
            return this.comment(tokens, lineNo, trimmed);
        }
        const sample = readSample(trimmed);
        if (typeof sample === 'string') fail(lineNo, sample, line);
        const f = this.enter(familyName(this.families, sample.name), lineNo, line);
        f.samples.push({ ...sample, line: lineNo });
    }
}

/** The series key of a sample: its name and label set, whatever the order of the labels. */
const seriesKey = (s, without) =>
    JSON.stringify([
        s.name,
        Object.entries(s.labels)
            .filter(([k]) => k !== without)
            .sort(),
    ]);

/** A summary's rules: quantile samples with a quantile in [0, 1] in increasing order per series, _sum/_count bare. */
function checkSummary(f) {
    const last = new Map();
    for (const s of f.samples) {
        const q = s.labels.quantile;
        if (s.name !== f.name) {
            if (q !== undefined) fail(s.line, `${s.name} of summary ${f.name} has a quantile label`, s.name);
            continue;
        }
        if (q === undefined || !FLOAT.test(q) || !(Number(q) >= 0 && Number(q) <= 1))
            fail(s.line, `a sample of summary ${f.name} without a quantile label from 0 to 1`, s.name);
        const key = seriesKey(s, 'quantile');
        if (last.has(key) && last.get(key) >= Number(q)) fail(s.line, `quantiles of ${f.name} not increasing`, q);
        last.set(key, Number(q));
    }
}

/** Rules across a family's lines: one sample per series, a summary's own rules, no names taken by a summary. */
function checkFamily(f, families) {
    const seen = new Set();
    for (const s of f.samples) {
        const key = seriesKey(s);
        if (seen.has(key)) fail(s.line, 'the same series twice', s.name);
        seen.add(key);
    }
    // The monitor writes no histogram; its rules (le, +Inf bucket, _count) belong here before one is written.
    if (f.type === 'histogram') fail(f.samples[0]?.line ?? 0, `histogram ${f.name} is not checked`, f.name);
    if (f.type !== 'summary') return;
    for (const suffix of ['_sum', '_count'])
        if (families.has(f.name + suffix)) fail(0, `${f.name + suffix} is taken by summary ${f.name}`, f.name);
    checkSummary(f);
}

/** The independent parser's reading must match ours: the same families, types, label sets and values. */
function compareWithParser(text, families) {
    let parsed;
    try {
        parsed = parsePrometheusTextFormat(text);
    } catch (err) {
        throw new ExpositionError(`parse-prometheus-text-format: ${String(err)}`);
    }
    const ours = families.map((f) => [f.name, f.type]);
    const theirs = parsed.map((f) => [f.name, f.type.toLowerCase()]);
    if (JSON.stringify(ours) !== JSON.stringify(theirs))
        throw new ExpositionError(`the parser read other families: ${JSON.stringify(theirs)}`);
    families.forEach((f, i) => {
        const got = parsed[i].metrics;
        const want =
            f.type === 'summary'
                ? [{ quantiles: Object.fromEntries(f.samples.map((s) => [s.labels.quantile, s.value])) }]
                : f.samples.map((s) => ({ labels: s.labels, value: s.value }));
        // JSON writes NaN and both infinities as null: compare values as strings.
        const norm = (ms) => ms.map((m) => ({ labels: m.labels ?? {}, value: String(toNumber(m.value)) }));
        const same =
            f.type === 'summary'
                ? Object.keys(got[0]?.quantiles ?? {}).every((q) => q in want[0].quantiles)
                : JSON.stringify(norm(got)) === JSON.stringify(norm(want));
        if (!same) throw new ExpositionError(`the parser read ${f.name} otherwise: ${JSON.stringify(got)}`);
    });
}

/**
 * Checks `text` as a Prometheus text exposition and returns its families, each with its type, HELP and samples
 * (labels unescaped, values as numbers). Throws an ExpositionError naming the first broken line.
 */
function readExposition(text) {
    if (!text.endsWith('\n')) throw new ExpositionError('the last line does not end with a line feed');
    const reader = new Reader();
    text.slice(0, -1)
        .split('\n')
        .forEach((line, i) => reader.line(line, i + 1));
    const families = [...reader.families.values()];
    for (const f of families) checkFamily(f, reader.families);
    compareWithParser(text, families);
    return families.map(({ name, type, help, samples }) => ({ name, type, help, samples }));
}

module.exports = { readExposition, ExpositionError };
