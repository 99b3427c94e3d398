/**
 * Turns one line from a device into a reading value. A line that does not
 * plainly carry a finite number (or an explicit boolean word) for the wanted
 * field is refused with a sentence naming what was wrong (and its message
 * code, for the user's language): a sensor hub must never pass on a value the
 * device did not send.
 */

import { describeValue, problem, quote, type Problem } from './texts';

export type ReadingFormat = 'number' | 'kv' | 'json' | 'regex';

export interface ParseSpec {
    readonly format: ReadingFormat;
    /** kv: the key; json: a dotted path such as `data.t`. */
    readonly field?: string;
    /** regex: the value is the first capture group. */
    readonly pattern?: string;
    readonly min?: number;
    readonly max?: number;
    /** Lines longer than this (in characters, after the trailing `\r` is removed) are refused. */
    readonly maxLength?: number;
}

/**
 * `missing`: the line is well formed but does not carry the wanted field. On a
 * port several sensors share in push mode, that line is another sensor's.
 */
export type ParseResult =
    { ok: true; value: number | boolean } | { ok: false; error: string; problem: Problem; missing?: true };

/** What a token is, named only when it is refused: `key` and `path` take the name. */
export type TokenSource = 'line' | 'key' | 'path' | 'json' | 'group';

export const DEFAULT_MAX_LENGTH = 1024;
export const READING_FORMATS: readonly ReadingFormat[] = ['number', 'kv', 'json', 'regex'];

// Decimal numbers only: Number() would also accept '', ' ', '0x1f', 'Infinity' and '1_0'-like surprises.
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
// A Map, not an object literal: a device sending "__proto__" or "constructor" must not find Object's own keys.
const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
    ['true', true],
    ['false', false],
    ['on', true],
    ['off', false],
]);
const WHITE_SPACE = /\s/;

function fail(p: Problem): ParseResult {
    return { ok: false, error: p.message, problem: p };
}

/** A well-formed line that lacks the wanted field. */
function missing(p: Problem): ParseResult {
    return { ok: false, error: p.message, problem: p, missing: true };
}

/** The refused token's source as a problem part, with its English name. */
function sourceOf(source: TokenSource, name: string): Problem {
    switch (source) {
        case 'key':
            return problem('read.what.key', { key: name }, `value of "${name}"`);
        case 'path':
            return problem('read.what.path', { path: name }, `field "${name}"`);
        case 'json':
            return problem('read.what.json', {}, 'the JSON value');
        case 'group':
            return problem('read.what.group', {}, 'captured text');
        default:
            return problem('read.what.line', {}, 'the line');
    }
}

/** A token as a value: a finite decimal number, or true/false/on/off. */
export function parseToken(raw: string, source: TokenSource = 'line', name = ''): ParseResult {
    const token = raw.trim();
    const c0 = token.charCodeAt(0);
    // Numbers first: they are what devices send, and no boolean word starts with a digit, a sign or a dot.
    if ((c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 43 || c0 === 46) return numberToken(token, source, name);
    const word = BOOLEAN_WORDS.get(token.toLowerCase());
    if (word !== undefined) return { ok: true, value: word };
    if (token === '') {
        const what = sourceOf(source, name);
        return fail(problem('read.empty', { what }, `${what.message} is empty`));
    }
    return numberToken(token, source, name);
}

function numberToken(token: string, source: TokenSource, name: string): ParseResult {
    const valid = NUMBER_RE.test(token);
    const value = valid ? Number(token) : NaN;
    if (Number.isFinite(value)) return { ok: true, value };
    const what = sourceOf(source, name);
    const text = quote(token);
    if (!valid) return fail(problem('read.not-number', { what, text }, `${what.message} ${text} is not a number`));
    return fail(problem('read.out-of-range', { what, text }, `${what.message} ${text} is out of the range of numbers`));
}

/** Whether a character separates key=value pairs: a comma, a semicolon or white space (as `/[,;\s]/`). */
function isKvSeparator(c: number): boolean {
    if (c === 44 || c === 59 || c === 32 || (c >= 9 && c <= 13)) return true;
    return c > 127 && WHITE_SPACE.test(String.fromCharCode(c));
}

/**
 * One pass over the line, without splitting it or building a map: this runs
 * for every line a pushing device sends, so it is on the hot path.
 */
function kvValue(line: string, field: string | undefined): ParseResult {
    const anyField = field === undefined || field === '';
    const keys: string[] = [];
    let value: string | undefined;
    const n = line.length;
    let i = 0;
    while (i < n) {
        while (i < n && isKvSeparator(line.charCodeAt(i))) i++;
        if (i >= n) break;
        const start = i;
        let eq = -1;
        while (i < n && !isKvSeparator(line.charCodeAt(i))) {
            if (eq < 0 && line.charCodeAt(i) === 61) eq = i;
            i++;
        }
        if (eq <= start) {
            const text = quote(line.slice(start, i));
            return fail(problem('read.not-pair', { text }, `${text} is not a key=value pair`));
        }
        const key = line.slice(start, eq);
        if (keys.includes(key))
            return fail(problem('read.key-twice', { key }, `key "${key}" appears twice in the line`));
        keys.push(key);
        if (anyField ? keys.length === 1 : key === field) value = line.slice(eq + 1, i);
    }
    if (keys.length === 0) return fail(problem('read.no-pairs', {}, 'the line has no key=value pairs'));
    if (anyField) {
        if (keys.length !== 1)
            return fail(problem('read.several-keys', {}, 'the line has several keys: set the field to read'));
        return parseToken(value as string, 'key', keys[0]);
    }
    if (value === undefined) {
        const names = keys.join(', ');
        return missing(
            problem(
                'read.key-missing',
                { key: field, keys: names },
                `key "${field}" is not in the line (keys: ${names})`,
            ),
        );
    }
    return parseToken(value, 'key', field);
}

function jsonValue(line: string, field: string | undefined): ParseResult {
    let data: unknown;
    try {
        data = JSON.parse(line);
    } catch {
        return fail(problem('read.not-json', {}, 'the line is not valid JSON'));
    }
    const path = field === undefined || field === '' ? [] : field.split('.');
    let at: unknown = data;
    for (const step of path) {
        if (at === null || typeof at !== 'object' || !Object.prototype.hasOwnProperty.call(at, step))
            return missing(
                problem('read.path-missing', { path: field ?? '' }, `field "${field ?? ''}" is not in the JSON`),
            );
        at = (at as Record<string, unknown>)[step];
    }
    const source: TokenSource = path.length > 0 ? 'path' : 'json';
    if (typeof at === 'boolean') return { ok: true, value: at };
    if (typeof at === 'number') return { ok: true, value: at }; // JSON cannot hold NaN or Infinity
    if (typeof at === 'string') return parseToken(at, source, field ?? '');
    const what = sourceOf(source, field ?? '');
    const got = describeValue(at);
    return fail(problem('read.json-type', { what, got }, `${what.message} is ${got.message}, not a number`));
}

// Compiling a pattern per line would cost more than the parse: keep the few a flow uses.
const compiled = new Map<string, RegExp | string>();
const COMPILED_MAX = 64;

/** The compiled pattern, or why it cannot be used. */
export function compilePattern(pattern: string): RegExp | string {
    let re = compiled.get(pattern);
    if (re === undefined) {
        try {
            re = new RegExp(pattern);
            // An alternative that matches '' reveals the group count without knowing the pattern's syntax.
            const groups = (new RegExp(`(?:${pattern})|`).exec('') ?? []).length - 1;
            if (groups < 1) re = 'the pattern has no capture group';
        } catch (err) {
            re = `the pattern is not a valid regular expression (${(err as Error).message})`;
        }
        if (compiled.size >= COMPILED_MAX) compiled.clear();
        compiled.set(pattern, re);
    }
    return re;
}

function regexValue(line: string, pattern: string | undefined): ParseResult {
    if (pattern === undefined || pattern === '') return fail(problem('read.no-pattern', {}, 'no pattern is set'));
    const re = compilePattern(pattern);
    if (typeof re === 'string') return fail(patternRefusal(pattern, re));
    const match = re.exec(line);
    if (match === null) return fail(problem('read.no-match', {}, 'the line does not match the pattern'));
    const group = match[1] as string | undefined;
    if (group === undefined) return fail(problem('read.group-empty', {}, 'the first capture group matched nothing'));
    return parseToken(group, 'group');
}

/** compilePattern's refusal as a problem: not a regular expression at all, or one without a group. */
function patternRefusal(pattern: string, message: string): Problem {
    try {
        new RegExp(pattern);
    } catch (err) {
        return problem('read.pattern-invalid', { detail: (err as Error).message }, message);
    }
    return problem('read.pattern-no-group', {}, message);
}

/** Parses one line; see the module comment. */
export function parseReading(line: string, spec: ParseSpec): ParseResult {
    // Devices end lines with \r\n; a parser splitting on \n leaves the \r.
    let text = line;
    while (text.endsWith('\r')) text = text.slice(0, -1);
    const maxLength = spec.maxLength ?? DEFAULT_MAX_LENGTH;
    if (text.length > maxLength)
        return fail(
            problem(
                'read.too-long',
                { length: text.length, max: maxLength },
                `the line is ${text.length} characters long, more than the limit of ${maxLength}`,
            ),
        );
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x08\x0e-\x1f\x7f\ufffd]/.test(text))
        return fail(problem('read.control', {}, 'the line contains control or invalid bytes'));
    let result: ParseResult;
    switch (spec.format) {
        case 'number':
            result = parseToken(text, 'line');
            break;
        case 'kv':
            result = kvValue(text.trim(), spec.field);
            break;
        case 'json':
            result = jsonValue(text, spec.field);
            break;
        case 'regex':
            result = regexValue(text, spec.pattern);
            break;
        default:
            return fail(
                problem(
                    'read.format',
                    { format: JSON.stringify(spec.format) },
                    `unknown format ${JSON.stringify(spec.format)}`,
                ),
            );
    }
    if (!result.ok || typeof result.value !== 'number') return result;
    const value = result.value;
    if (spec.min !== undefined && value < spec.min)
        return fail(problem('read.below', { value, min: spec.min }, `value ${value} is below the minimum ${spec.min}`));
    if (spec.max !== undefined && value > spec.max)
        return fail(problem('read.above', { value, max: spec.max }, `value ${value} is above the maximum ${spec.max}`));
    return result;
}
