import { BRIGHTNESS_MAX, type LightPatterns, type LightSettings, type TimeWindow } from './light';
import { blank, ConfigError, field, problemOf, settle, type Raw } from '../shared/config-fields';
import { eventTypeProblem, parsePatternList, patternProblem } from '../shared/topic';

export const WAIT_MIN_S = 0.01;
export const WAIT_MAX_S = 86_400;
export const OVERRIDE_MAX_S = 604_800;
export const LUX_MAX = 1_000_000;

/** The ranges of the number fields, by property: the parser reads them, and the editor gets them as a setting. */
export const LIGHT_LIMITS = {
    wait: { min: WAIT_MIN_S, max: WAIT_MAX_S },
    minOn: { min: 0, max: WAIT_MAX_S },
    override: { min: 0, max: OVERRIDE_MAX_S },
    brightness: { min: 1, max: BRIGHTNESS_MAX },
    darkBelow: { min: 0, max: LUX_MAX },
} as const;

export const DEFAULT_MOTION_PATTERNS = 'motion_detected';
export const DEFAULT_LUX_PATTERNS = 'illuminance_update';
export const DEFAULT_TOPIC = 'light_command';

export interface LightConfig {
    readonly patterns: LightPatterns;
    /** `msg.topic` of the commands sent. */
    readonly topic: string;
    readonly settings: LightSettings;
    /** Whether the light sends the state it starts in (reason `start`), once as the flow starts. */
    readonly sendStart: boolean;
}

const flag = (v: unknown): boolean => v === true || v === 'true';

function patterns(raw: Raw, key: string, what: string, fallback: string): string[] {
    const v = raw[key];
    if (!blank(v) && typeof v !== 'string') throw new ConfigError('text', { field: key }, `${what} must be text`);
    const list = parsePatternList(blank(v) ? fallback : (v as string));
    for (const p of list) {
        const bad = patternProblem(p);
        if (bad !== undefined) throw problemOf(bad, key, `${what}: ${bad.message}`);
    }
    return list;
}

const HH_MM = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** `HH:MM` (24-hour local time) as minutes since midnight, or undefined. */
export function parseTimeOfDay(v: unknown): number | undefined {
    if (typeof v !== 'string') return undefined;
    const m = HH_MM.exec(v.trim());
    return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/**
 * Reads a light node's saved properties. Saved flows are user data, so every
 * field is checked; the first problem comes back as a sentence naming the
 * field and what would be right.
 */
export function parseLightConfig(raw: Raw): { config: LightConfig } | { error: string; problem: ConfigError } {
    return settle(() => parse(raw));
}

function parse(raw: Raw): LightConfig {
    const motion = patterns(raw, 'motionPatterns', 'motion patterns', DEFAULT_MOTION_PATTERNS);
    const L = LIGHT_LIMITS;
    const waitMs = field(raw, 'wait', 'no-motion wait (s)', L.wait.min, L.wait.max, 120) * 1000;
    const minOnMs = field(raw, 'minOn', 'minimum on-time (s)', L.minOn.min, L.minOn.max, 0) * 1000;
    const overrideMs = field(raw, 'override', 'override timeout (s)', L.override.min, L.override.max, 0) * 1000;
    const brightness = field(raw, 'brightness', 'brightness', L.brightness.min, L.brightness.max, BRIGHTNESS_MAX);
    const topic = typeof raw.topic === 'string' && raw.topic.trim() !== '' ? raw.topic.trim() : DEFAULT_TOPIC;
    const badTopic = eventTypeProblem(topic);
    if (badTopic !== undefined) throw problemOf(badTopic, 'topic', `command topic: ${badTopic.message}`);

    let lux: string[] | undefined;
    let darkBelow: number | undefined;
    if (flag(raw.darkGate)) {
        lux = patterns(raw, 'luxPatterns', 'light level patterns', DEFAULT_LUX_PATTERNS);
        darkBelow = field(raw, 'darkBelow', 'dark below (lux)', L.darkBelow.min, L.darkBelow.max, 50);
        const overlap = lux.find((p) => motion.includes(p));
        if (overlap !== undefined)
            throw new ConfigError(
                'pattern-overlap',
                { pattern: overlap },
                `"${overlap}" cannot be both a motion pattern and a light level pattern`,
            );
    }
    let window: TimeWindow | undefined;
    if (flag(raw.timeGate)) {
        const from = blank(raw.from) ? parseTimeOfDay('20:00') : parseTimeOfDay(raw.from);
        const to = blank(raw.to) ? parseTimeOfDay('06:00') : parseTimeOfDay(raw.to);
        if (from === undefined)
            throw new ConfigError(
                'time-of-day',
                { field: 'from', example: '20:00' },
                'time window start must be a time of day as HH:MM, e.g. 20:00',
            );
        if (to === undefined)
            throw new ConfigError(
                'time-of-day',
                { field: 'to', example: '06:00' },
                'time window end must be a time of day as HH:MM, e.g. 06:00',
            );
        if (from === to) throw new ConfigError('window-equal', {}, 'time window start and end must differ');
        window = { from, to };
    }
    return {
        patterns: { motion, lux, own: topic },
        topic,
        settings: { waitMs, minOnMs, overrideMs, brightness, darkBelow, window, occupancy: flag(raw.occupancy) },
        sendStart: flag(raw.sendStart),
    };
}
