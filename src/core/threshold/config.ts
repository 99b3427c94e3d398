import { limitsError, type ThresholdSettings } from './threshold';
import { blank, ConfigError, field, num, settle, wholeField, type Raw } from '../shared/config-fields';

export const DURATION_MAX_S = 86_400;
export const STALE_MAX_S = 604_800;
export const REPEAT_MIN_S = 0.01;
export const DEFAULT_MAX_SENSORS = 10_000;
export const MAX_SENSORS_LIMIT = 100_000;
export const LIMIT_MAX = 1e12;

/** The ranges of the number fields, by property: the parser reads them, and the editor gets them as a setting. */
export const THRESHOLD_LIMITS = {
    high: { min: -LIMIT_MAX, max: LIMIT_MAX },
    low: { min: -LIMIT_MAX, max: LIMIT_MAX },
    hysteresis: { min: 0, max: LIMIT_MAX },
    minDuration: { min: 0, max: DURATION_MAX_S },
    staleAfter: { min: 0, max: STALE_MAX_S },
    /** 0 (no repeat) or from min to max. */
    repeat: { min: REPEAT_MIN_S, max: DURATION_MAX_S },
    maxSensors: { min: 1, max: MAX_SENSORS_LIMIT },
} as const;

function limit(raw: Raw, key: 'high' | 'low'): number | undefined {
    const v = raw[key];
    if (blank(v)) return undefined;
    const n = num(v);
    if (n === undefined || Math.abs(n) > LIMIT_MAX)
        throw new ConfigError(
            'blank-or-range',
            { field: key, min: -LIMIT_MAX, max: LIMIT_MAX },
            `${key} limit must be blank or a number from ${-LIMIT_MAX} to ${LIMIT_MAX}`,
        );
    return n;
}

/**
 * Reads a threshold node's saved properties. Saved flows are user data, so
 * every field is checked; the first problem comes back as a sentence naming
 * the field and what would be right.
 */
export function parseThresholdConfig(
    raw: Raw,
): { config: ThresholdSettings } | { error: string; problem: ConfigError } {
    return settle(() => parse(raw));
}

function parse(raw: Raw): ThresholdSettings {
    const L = THRESHOLD_LIMITS;
    const high = limit(raw, 'high');
    const low = limit(raw, 'low');
    const hysteresis = field(raw, 'hysteresis', 'hysteresis', L.hysteresis.min, L.hysteresis.max, 0);
    const bad = limitsError({ high, low, hysteresis });
    // The hysteresis is 0 or more by its range above, so only the limits themselves can be wrong here.
    if (bad !== undefined)
        throw high === undefined || low === undefined
            ? new ConfigError('no-limit', {}, bad)
            : new ConfigError('low-above-high', { low, high }, bad);
    const minDurationMs =
        field(raw, 'minDuration', 'minimum duration (s)', L.minDuration.min, L.minDuration.max, 0) * 1000;
    const staleMs = field(raw, 'staleAfter', 'stale after (s)', L.staleAfter.min, L.staleAfter.max, 0) * 1000;
    const repeatS = field(raw, 'repeat', 'repeat every (s)', 0, L.repeat.max, 0);
    if (repeatS > 0 && repeatS < L.repeat.min)
        throw new ConfigError(
            'zero-or-at-least',
            { field: 'repeat', min: L.repeat.min },
            `repeat every (s) must be 0 (no repeat) or at least ${L.repeat.min}`,
        );
    const maxSensors = wholeField(
        raw,
        'maxSensors',
        'sensors at most',
        L.maxSensors.min,
        L.maxSensors.max,
        DEFAULT_MAX_SENSORS,
    );
    return { high, low, hysteresis, minDurationMs, staleMs, repeatMs: repeatS * 1000, maxSensors };
}
