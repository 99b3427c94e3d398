import { limitsError, type ThresholdSettings } from './threshold';
import { blank, ConfigError, field, num, settle, wholeField, type Raw } from '../shared/config-fields';

export const DURATION_MAX_S = 86_400;
export const STALE_MAX_S = 604_800;
export const REPEAT_MIN_S = 0.01;
export const DEFAULT_MAX_SENSORS = 10_000;
export const MAX_SENSORS_LIMIT = 100_000;
export const LIMIT_MAX = 1e12;

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
    const high = limit(raw, 'high');
    const low = limit(raw, 'low');
    const hysteresis = field(raw, 'hysteresis', 'hysteresis', 0, LIMIT_MAX, 0);
    const bad = limitsError({ high, low, hysteresis });
    // The hysteresis is 0 or more by its range above, so only the limits themselves can be wrong here.
    if (bad !== undefined)
        throw high === undefined || low === undefined
            ? new ConfigError('no-limit', {}, bad)
            : new ConfigError('low-above-high', { low, high }, bad);
    const minDurationMs = field(raw, 'minDuration', 'minimum duration (s)', 0, DURATION_MAX_S, 0) * 1000;
    const staleMs = field(raw, 'staleAfter', 'stale after (s)', 0, STALE_MAX_S, 0) * 1000;
    const repeatS = field(raw, 'repeat', 'repeat every (s)', 0, DURATION_MAX_S, 0);
    if (repeatS > 0 && repeatS < REPEAT_MIN_S)
        throw new ConfigError(
            'zero-or-at-least',
            { field: 'repeat', min: REPEAT_MIN_S },
            `repeat every (s) must be 0 (no repeat) or at least ${REPEAT_MIN_S}`,
        );
    const maxSensors = wholeField(raw, 'maxSensors', 'sensors at most', 1, MAX_SENSORS_LIMIT, DEFAULT_MAX_SENSORS);
    return { high, low, hysteresis, minDurationMs, staleMs, repeatMs: repeatS * 1000, maxSensors };
}
