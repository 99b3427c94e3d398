/**
 * Reading saved node properties. Saved flows are user data: any field may be
 * missing, a string where a number belongs, or out of range. Parsers throw a
 * ConfigError whose message names the field and says what would be right;
 * `settle` turns it into the `{error}` a node reports.
 */

export type Raw = Record<string, unknown>;

export class ConfigError extends Error {}

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

/** A number in [min, max], `fallback` when blank; throws a sentence naming the field otherwise. */
export function field(raw: Raw, key: string, what: string, min: number, max: number, fallback: number): number {
    const v = raw[key];
    if (blank(v)) return fallback;
    const n = num(v);
    if (n === undefined || n < min || n > max) throw new ConfigError(`${what} must be a number from ${min} to ${max}`);
    return n;
}

/** The simulator seed: blank for a new run every deploy, else a 32-bit whole number. */
export function seedField(raw: Raw): number | undefined {
    if (blank(raw.seed)) return undefined;
    const s = num(raw.seed);
    if (s === undefined || !Number.isInteger(s) || s < 0 || s > 0xffffffff)
        throw new ConfigError('seed must be blank or a whole number from 0 to 4294967295');
    return s;
}

/** A simulated read's latency range in ms, `latencyMin`/`latencyMax`, the maximum not below the minimum. */
export function latencyFields(raw: Raw, maxMs: number): { latencyMinMs: number; latencyMaxMs: number } {
    const latencyMinMs = field(raw, 'latencyMin', 'minimum latency (ms)', 0, maxMs, 100);
    const latencyMaxMs = field(raw, 'latencyMax', 'maximum latency (ms)', 0, maxMs, 500);
    if (latencyMaxMs < latencyMinMs) throw new ConfigError('maximum latency must not be below the minimum latency');
    return { latencyMinMs, latencyMaxMs };
}

/** Runs a parser: its value as `{config}`, or its ConfigError as `{error}`; any other throw is a bug and escapes. */
export function settle<T>(parse: () => T): { config: T } | { error: string } {
    try {
        return { config: parse() };
    } catch (err) {
        if (err instanceof ConfigError) return { error: err.message };
        throw err;
    }
}
