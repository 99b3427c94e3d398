/**
 * Reading saved node properties. Saved flows are user data: any field may be
 * missing, a string where a number belongs, or out of range. Parsers throw a
 * ConfigError: a message code with parameters, which the adapter looks up in
 * the user's language, and an English message for logs and tests without a
 * catalog. `settle` turns it into the `{error, problem}` a node reports.
 */

import { ProblemError, type Problem, type ProblemParam } from './texts';

export type Raw = Record<string, unknown>;

/**
 * Every message code a parser can raise, with the parameters its text may use.
 * The texts are in the shared catalog (`common.config.<code>` in hub.json);
 * parameters named in FIELD_PARAMS hold a property name, shown through the
 * node's own `<type>.fields.<property>`.
 */
export const CONFIG_CODES = {
    range: ['field', 'min', 'max'],
    whole: ['field', 'min', 'max'],
    'blank-or-whole': ['field', 'min', 'max'],
    'blank-or-range': ['field', 'min', 'max'],
    'blank-or-number': ['field'],
    'zero-or-range': ['field', 'min', 'max'],
    'zero-or-at-least': ['field', 'min'],
    'seconds-range': ['field', 'min', 'max'],
    'seconds-above': ['field', 'min', 'max'],
    'not-below': ['field', 'other'],
    shorter: ['field', 'other'],
    choice: ['field', 'choices'],
    checkbox: ['field', 'got'],
    text: ['field'],
    'too-long': ['field', 'max'],
    required: ['field'],
    'type-not-string': ['field', 'got'],
    'type-empty': ['field'],
    'type-too-long': ['field', 'max'],
    'type-wildcard': ['field', 'type'],
    'type-nul': ['field'],
    'pattern-not-string': ['field', 'got'],
    'pattern-empty': ['field'],
    'pattern-too-long': ['field', 'pattern', 'max'],
    'pattern-nul': ['field'],
    'pattern-hash': ['field', 'pattern'],
    'pattern-plus': ['field', 'pattern'],
    'pattern-overlap': ['pattern'],
    'regex-invalid': ['field', 'detail'],
    'regex-group': ['field'],
    'format-field': ['format'],
    'serial-port': [],
    'time-of-day': ['field', 'example'],
    'window-equal': [],
    'no-limit': [],
    'low-above-high': ['low', 'high'],
    'table-empty': [],
    'table-list': [],
    'list-array': ['got'],
    'too-many-sensors': ['max', 'count'],
    'duplicate-id': ['id'],
    'sensor-shape': ['got'],
    'no-id': [],
    'serial-member': [],
    row: ['row', 'reason'],
    'row-id': ['row', 'id', 'reason'],
    entry: ['row', 'reason'],
    'entry-id': ['row', 'id', 'reason'],
    'id-pattern': ['field'],
    'no-share': [],
    'partition-hub': [],
    'partition-interval': [],
    'broker-url': ['field', 'url'],
    prefix: ['field'],
    'ha-prefix': ['field'],
    host: ['field'],
    'tls-missing': [],
    'device-list': [],
    'too-many-devices': ['max'],
    'device-id': ['id'],
    'device-twice': ['id'],
    'device-location': ['id', 'max'],
    'tokens-text': [],
    'tokens-json': [],
    'tokens-object': [],
    'token-too-long': ['id', 'max'],
    'no-devices': [],
    'no-token': ['ids'],
    'short-token': ['ids', 'min'],
} as const;

export type ConfigCode = keyof typeof CONFIG_CODES;
export type ConfigParams<C extends ConfigCode> = { readonly [P in (typeof CONFIG_CODES)[C][number]]: ProblemParam };

/** Parameters that hold a property name rather than a value. */
export const FIELD_PARAMS: readonly string[] = ['field', 'other'];
/** A parameter that holds a nested problem (a fleet row's own problem). */
const REASON = 'reason';

/** A configuration problem: a Problem whose code is a configuration code (a bare key of `config.`). */
export interface ConfigProblem extends Problem {
    readonly code: ConfigCode;
    readonly inner?: ConfigProblem;
}

/** A thrown configuration problem: a ProblemError that is also the problem itself, for `settle` to hand on. */
export class ConfigError<C extends ConfigCode = ConfigCode> extends ProblemError implements ConfigProblem {
    declare readonly problem: ConfigProblem;
    readonly params: Readonly<Record<string, ProblemParam>>;
    constructor(
        readonly code: C,
        params: ConfigParams<C>,
        message: string,
        readonly inner?: ConfigProblem,
    ) {
        super(inner === undefined ? { code, params, message } : { code, params, message, inner });
        this.params = params;
    }
}

/** A problem found by a core check that does not know the property, as a ConfigError naming it. */
export function problemOf(
    found: { code: ConfigCode; params: Readonly<Record<string, ProblemParam>> },
    field: string,
    message: string,
): ConfigError {
    return new ConfigError(found.code, { ...found.params, field } as never, message);
}

/**
 * Looks a text up by catalog key (`config.<code>`, `fields.<property>`),
 * undefined when the catalog lacks it.
 */
export type Lookup = (key: string, params?: Record<string, string | number>) => string | undefined;

/**
 * The problem in the catalog's language: `config.<code>` with property names
 * through `fields.<property>`, a nested problem for `reason`. Anything missing
 * from the catalog gives the whole English message instead, never a bare key
 * or a sentence in two languages.
 */
export function describeProblem(problem: Problem, lookup: Lookup): string {
    return localize(problem, lookup) ?? problem.message;
}

/**
 * Configuration codes are bare (`range`, in `config.`); run-time codes (see
 * TEXT_CODES) are their own catalog key. A parameter that is itself a problem
 * (a described value) is said in the same language.
 */
function localize(problem: Problem, lookup: Lookup): string | undefined {
    const params: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(problem.params)) {
        if (typeof value !== 'object') params[name] = value;
        else {
            const said = localize(value, lookup);
            if (said === undefined) return undefined;
            params[name] = said;
        }
    }
    for (const name of FIELD_PARAMS) {
        if (!(name in params)) continue;
        const label = lookup(`fields.${params[name]}`);
        if (label === undefined) return undefined;
        params[name] = label;
    }
    if (problem.inner !== undefined) {
        const reason = localize(problem.inner, lookup);
        if (reason === undefined) return undefined;
        params[REASON] = reason;
    }
    return lookup(problem.code.includes('.') ? problem.code : `config.${problem.code}`, params);
}

export const blank = (v: unknown): boolean =>
    v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** A finite number from a number or a numeric string, or undefined. */
export function num(v: unknown): number | undefined {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    return Number.isFinite(n) ? n : undefined;
}

export function text(v: unknown): string {
    return typeof v === 'string' ? v.trim() : '';
}

/** A number in [min, max], `fallback` when blank; throws a ConfigError naming the field otherwise. */
export function field(raw: Raw, key: string, what: string, min: number, max: number, fallback: number): number {
    const v = raw[key];
    if (blank(v)) return fallback;
    const n = num(v);
    if (n === undefined || n < min || n > max)
        throw new ConfigError('range', { field: key, min, max }, `${what} must be a number from ${min} to ${max}`);
    return n;
}

/** As `field`, a whole number. */
export function wholeField(raw: Raw, key: string, what: string, min: number, max: number, fallback: number): number {
    const v = raw[key];
    if (blank(v)) return fallback;
    const n = num(v);
    if (n === undefined || !Number.isInteger(n) || n < min || n > max)
        throw new ConfigError(
            'whole',
            { field: key, min, max },
            `${what} must be a whole number from ${min} to ${max}`,
        );
    return n;
}

/** One of `choices` (saved values, shown as they are), `fallback` when blank. */
export function choiceField<T extends string>(
    raw: Raw,
    key: string,
    choices: readonly T[],
    message: string,
    fallback: T,
): T {
    const v: unknown = blank(raw[key]) ? fallback : raw[key];
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v))
        throw new ConfigError('choice', { field: key, choices: choices.join(', ') }, message);
    return v as T;
}

/** The simulator seed: blank for a new run every deploy, else a 32-bit whole number. */
export function seedField(raw: Raw): number | undefined {
    if (blank(raw.seed)) return undefined;
    const s = num(raw.seed);
    if (s === undefined || !Number.isInteger(s) || s < 0 || s > 0xffffffff)
        throw new ConfigError(
            'blank-or-whole',
            { field: 'seed', min: 0, max: 0xffffffff },
            'seed must be blank or a whole number from 0 to 4294967295',
        );
    return s;
}

/** A simulated read's latency range in ms, `latencyMin`/`latencyMax`, the maximum not below the minimum. */
export function latencyFields(raw: Raw, maxMs: number): { latencyMinMs: number; latencyMaxMs: number } {
    const latencyMinMs = field(raw, 'latencyMin', 'minimum latency (ms)', 0, maxMs, 100);
    const latencyMaxMs = field(raw, 'latencyMax', 'maximum latency (ms)', 0, maxMs, 500);
    if (latencyMaxMs < latencyMinMs)
        throw new ConfigError(
            'not-below',
            { field: 'latencyMax', other: 'latencyMin' },
            'maximum latency must not be below the minimum latency',
        );
    return { latencyMinMs, latencyMaxMs };
}

/**
 * Runs a parser: its value as `{config}`, or its ConfigError as `{error}` (the
 * English message) and `{problem}` (to translate); any other throw is a bug and escapes.
 */
export function settle<T>(parse: () => T): { config: T } | { error: string; problem: ConfigError } {
    try {
        return { config: parse() };
    } catch (err) {
        if (err instanceof ConfigError) return { error: err.message, problem: err as ConfigError };
        throw err;
    }
}
