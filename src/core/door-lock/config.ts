import { parsePatternList, patternProblem } from '../shared/topic';
import { describeValue } from '../shared/texts';
import { blank, choiceField, ConfigError, num, problemOf, settle, wholeField, type Raw } from '../shared/config-fields';

export type SettledState = 'locked' | 'unlocked';

export const DEFAULT_MOTION_PATTERN = 'motion_detected';
/** Longest actuation or feedback wait: a motor that needs longer than this is broken. */
export const TRANSITION_MAX_S = 600;
/** Longest relock delay, alert cooldown, repeat and lockout: one day. */
export const DURATION_MAX_S = 86_400;
export const ATTEMPTS_MAX = 100;
export const LOCATION_MAX_LENGTH = 256;

/**
 * The ranges of the number fields, by property: the parser reads them, and the editor gets them as a setting.
 * The lockout and the feedback timeout must be above their minimum.
 */
export const DOOR_LOCK_LIMITS = {
    maxAttempts: { min: 1, max: ATTEMPTS_MAX },
    lockout: { min: 0, max: DURATION_MAX_S },
    actuation: { min: 0, max: TRANSITION_MAX_S },
    transitionTimeout: { min: 0, max: TRANSITION_MAX_S },
    autoRelock: { min: 0, max: DURATION_MAX_S },
    cooldown: { min: 0, max: DURATION_MAX_S },
    repeat: { min: 0, max: DURATION_MAX_S },
} as const;

export interface DoorLockConfig {
    readonly location: string;
    /** The state assumed on the first start, when no state was saved. */
    readonly initialState: SettledState;
    /** Whether the hardware reports its state by message; without it transitions complete by themselves. */
    readonly feedback: boolean;
    /** Without feedback: how long locking/unlocking takes; 0 completes at once. */
    readonly actuationMs: number;
    /** With feedback: how long to wait for the hardware before the lock counts as jammed. */
    readonly transitionTimeoutMs: number;
    /** 0: no auto-relock. */
    readonly autoRelockMs: number;
    readonly motionPatterns: readonly string[];
    /** After a motion alert, further motion raises none for this long. */
    readonly cooldownMs: number;
    /** 0: an alert is sent once; else again every repeatMs until acknowledged. */
    readonly repeatMs: number;
    /** Wrong codes in a row that lock unlocking out. */
    readonly maxAttempts: number;
    readonly lockoutMs: number;
    /** Whether the lock sends the state it starts in (reason `start`); a restored transition says its own. */
    readonly sendStart: boolean;
}

/** Seconds in [min, max] (above min when `open`), as ms; `fallback` seconds when blank. */
function seconds(
    raw: Raw,
    key: string,
    what: string,
    { min, max }: { readonly min: number; readonly max: number },
    fallback: number,
    open = false,
): number {
    const v = raw[key];
    if (blank(v)) return Math.round(fallback * 1000);
    const n = num(v);
    if (n === undefined || n < min || n > max || (open && n === min))
        throw new ConfigError(
            open ? 'seconds-above' : 'seconds-range',
            { field: key, min, max },
            `${what} must be a number of seconds ${open ? 'above' : 'from'} ${min} ${open ? 'and at most' : 'to'} ${max}`,
        );
    // A positive duration never rounds down to 0, which means "off" or "at once".
    return n > 0 ? Math.max(1, Math.round(n * 1000)) : 0;
}

function flag(raw: Raw, key: string, fallback: boolean): boolean {
    const v = raw[key];
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    if (blank(v)) return fallback;
    const got = describeValue(v);
    throw new ConfigError(
        'checkbox',
        { field: key, got },
        `a checkbox value must be true or false, got ${got.message}`,
    );
}

/**
 * Reads a door lock node's saved properties. Saved flows are user data, so
 * every field is checked; the first problem is returned as a sentence that
 * names the field and says what would be right.
 */
export function parseDoorLockConfig(raw: Raw): { config: DoorLockConfig } | { error: string; problem: ConfigError } {
    return settle(() => parse(raw));
}

function parse(raw: Raw): DoorLockConfig {
    const location = typeof raw.location === 'string' ? raw.location.trim() : '';
    if (!blank(raw.location) && typeof raw.location !== 'string')
        throw new ConfigError('text', { field: 'location' }, 'location must be text');
    if (location.length > LOCATION_MAX_LENGTH)
        throw new ConfigError(
            'too-long',
            { field: 'location', max: LOCATION_MAX_LENGTH },
            `location is longer than ${LOCATION_MAX_LENGTH} characters`,
        );
    const initial = choiceField<SettledState>(
        raw,
        'initialState',
        ['locked', 'unlocked'],
        'initial state must be locked or unlocked',
        'locked',
    );
    const patternText = typeof raw.motionPatterns === 'string' ? raw.motionPatterns : '';
    if (!blank(raw.motionPatterns) && typeof raw.motionPatterns !== 'string')
        throw new ConfigError('text', { field: 'motionPatterns' }, 'motion event pattern must be text');
    const listed = parsePatternList(patternText);
    const motionPatterns = listed.length > 0 ? listed : [DEFAULT_MOTION_PATTERN];
    for (const p of motionPatterns) {
        const bad = patternProblem(p);
        if (bad !== undefined) throw problemOf(bad, 'motionPatterns', `motion event ${bad.message}`);
    }
    const L = DOOR_LOCK_LIMITS;
    const attempts = L.maxAttempts;
    const maxAttempts = wholeField(raw, 'maxAttempts', 'wrong codes before lockout', attempts.min, attempts.max, 5);
    return {
        location,
        initialState: initial,
        feedback: flag(raw, 'feedback', false),
        actuationMs: seconds(raw, 'actuation', 'actuation time', L.actuation, 0),
        transitionTimeoutMs: seconds(raw, 'transitionTimeout', 'feedback timeout', L.transitionTimeout, 10, true),
        autoRelockMs: seconds(raw, 'autoRelock', 'auto-relock', L.autoRelock, 0),
        motionPatterns,
        cooldownMs: seconds(raw, 'cooldown', 'alert cooldown', L.cooldown, 60),
        repeatMs: seconds(raw, 'repeat', 'alert repeat', L.repeat, 0),
        maxAttempts,
        lockoutMs: seconds(raw, 'lockout', 'lockout', L.lockout, 300, true),
        sendStart: flag(raw, 'sendStart', false),
    };
}
