/**
 * Threshold alarms per sensor: a high and/or low limit with hysteresis, a
 * minimum time beyond the limit before raising, a stale-data alarm when a
 * sensor falls silent, and an optional repeat while raised. Only transitions
 * (and repeats) come out. Time comes from an injected clock.
 */
import { realClock, type Clock } from '../shared/clock';
import { describeValue, problem, quote, type Problem } from '../shared/texts';

export type AlarmLevel = 'high' | 'low' | 'stale';
export type AlarmState = 'raised' | 'cleared';

export interface Limits {
    readonly high: number | undefined;
    readonly low: number | undefined;
    /**
     * A raised high clears at or below high − hysteresis, or below the low limit; a raised low at or above
     * low + hysteresis, or above the high limit.
     */
    readonly hysteresis: number;
}

export interface ThresholdSettings extends Limits {
    /** How long a value must stay beyond a limit before the alarm is raised; 0: at once. */
    readonly minDurationMs: number;
    /** A sensor with no reading for this long raises a stale alarm; 0: never. */
    readonly staleMs: number;
    /** A raised alarm is sent again this often; 0: once. */
    readonly repeatMs: number;
    /** Readings of sensors beyond this many are refused, so memory stays bounded. */
    readonly maxSensors: number;
}

export interface AlarmEvent {
    /** The sensor: `msg.sensor.id`, else the topic. */
    readonly key: string;
    /** The event type of the sensor's readings, from which the alarm's topic is made. */
    readonly type: string;
    readonly state: AlarmState;
    readonly level: AlarmLevel;
    /** The reading that raised or cleared the alarm; for a stale alarm, the last one. */
    readonly value: number;
    /** The limit; for a stale alarm, the silence in seconds. */
    readonly threshold: number;
    readonly sensor: Readonly<Record<string, unknown>>;
    /** 0 for a transition; 1, 2, … for repeats of a raised alarm. */
    readonly repeat: number;
}

/** A threshold node's figures for monitors and the sidebar. */
export interface ThresholdMetrics {
    readonly sensors: number;
    /** Alarms raised now, each level of each sensor counted, stale ones included. */
    readonly alarmsActive: number;
    /** Stale alarms raised now. */
    readonly staleActive: number;
    /** Alarms raised since the node started, repeats not counted. */
    readonly alarmsRaised: number;
    /** Alarms cleared since the node started (a reset clears without a message, and is not counted). */
    readonly alarmsCleared: number;
    /** Readings refused since the last reset, for the sensor limit. */
    readonly refused: number;
}

export interface ThresholdOptions extends ThresholdSettings {
    readonly clock?: Clock;
    /** Alarms the clock raises (minimum duration, stale, repeat); readings and limit changes return theirs. */
    readonly onAlarm: (event: AlarmEvent) => void;
}

export type ReadingResult =
    | { readonly ok: true; readonly events: AlarmEvent[] }
    | { readonly ok: false; readonly error: string; readonly problem: Problem };

interface Level {
    raised: boolean;
    /** The limit the alarm was raised against, reported when it clears. */
    threshold: number;
    pending: unknown;
    repeat: unknown;
    repeats: number;
}

interface Track {
    readonly key: string;
    type: string;
    sensor: Readonly<Record<string, unknown>> | undefined;
    value: number;
    lastAt: number;
    staleTimer: unknown;
    readonly high: Level;
    readonly low: Level;
    readonly stale: Level;
}

const newLevel = (): Level => ({ raised: false, threshold: 0, pending: undefined, repeat: undefined, repeats: 0 });

/** The alarm's topic: `temperature_update` → `temperature_alarm`; a type without `_update` gets `_alarm` added. */
export function alarmTopic(type: string): string {
    return `${type.endsWith('_update') ? type.slice(0, -'_update'.length) : type}_alarm`;
}

/** Why a set of limits cannot be used, or undefined. */
export function limitsError(limits: Limits): string | undefined {
    return limitsProblem(limits)?.message;
}

export function limitsProblem(limits: Limits): Problem | undefined {
    const { high, low, hysteresis } = limits;
    if (high === undefined && low === undefined)
        return problem('sensorhub-threshold.limits.none', {}, 'give a high limit, a low limit or both');
    if (high !== undefined && low !== undefined && !(low < high))
        return problem(
            'sensorhub-threshold.limits.low-above-high',
            { low, high },
            `the low limit (${low}) must be below the high limit (${high})`,
        );
    if (!(hysteresis >= 0)) return problem('sensorhub-threshold.limits.hysteresis', {}, 'hysteresis must be 0 or more');
    return undefined;
}

export class ThresholdMonitor {
    private readonly clock: Clock;
    private readonly tracks = new Map<string, Track>();
    private limits: Limits;
    private raisedCount = 0;
    private staleCount = 0;
    private raisedTotal = 0;
    private clearedTotal = 0;
    private closed = false;
    /** Readings refused because the sensor limit was reached. */
    refused = 0;

    constructor(private readonly options: ThresholdOptions) {
        this.clock = options.clock ?? realClock;
        this.limits = { high: options.high, low: options.low, hysteresis: options.hysteresis };
    }

    get sensors(): number {
        return this.tracks.size;
    }

    /** Alarms raised now, counting each level of each sensor. */
    get raised(): number {
        return this.raisedCount;
    }

    /** Counted as things happen, so asking costs nothing per reading. */
    metrics(): ThresholdMetrics {
        return {
            sensors: this.tracks.size,
            alarmsActive: this.raisedCount,
            staleActive: this.staleCount,
            alarmsRaised: this.raisedTotal,
            alarmsCleared: this.clearedTotal,
            refused: this.refused,
        };
    }

    get currentLimits(): Limits {
        return this.limits;
    }

    reading(key: string, value: number, type: string, sensor?: Readonly<Record<string, unknown>>): ReadingResult {
        if (this.closed) return { ok: true, events: [] };
        let t = this.tracks.get(key);
        if (t === undefined) {
            if (this.tracks.size >= this.options.maxSensors) {
                this.refused++;
                const max = this.options.maxSensors;
                const p = problem(
                    'sensorhub-threshold.input.too-many',
                    { key: JSON.stringify(key), max },
                    `sensor ${JSON.stringify(key)} not tracked: already tracking the limit of ${max} sensors`,
                );
                return { ok: false, error: p.message, problem: p };
            }
            t = {
                key,
                type,
                sensor,
                value,
                lastAt: 0,
                staleTimer: undefined,
                high: newLevel(),
                low: newLevel(),
                stale: newLevel(),
            };
            this.tracks.set(key, t);
        }
        t.type = type;
        t.sensor = sensor;
        t.value = value;
        t.lastAt = this.clock.now();
        const events: AlarmEvent[] = [];
        if (t.stale.raised) this.clear(t, 'stale', events);
        this.armStale(t);
        this.checkLimits(t, events);
        return { ok: true, events };
    }

    /** New limits, checked by the caller with limitsError; every sensor is checked against them at once. */
    setLimits(limits: Limits): AlarmEvent[] {
        this.limits = limits;
        const events: AlarmEvent[] = [];
        if (this.closed) return events;
        for (const t of this.tracks.values()) this.checkLimits(t, events);
        return events;
    }

    /** Forgets every sensor, raised alarms included, sending nothing. */
    reset(): void {
        for (const t of this.tracks.values()) this.drop(t);
        this.tracks.clear();
        this.raisedCount = 0;
        this.staleCount = 0;
        this.refused = 0;
    }

    close(): void {
        this.closed = true;
        this.reset();
    }

    /** A raised level is checked first: its clear goes out before the other level's raise, never after it. */
    private checkLimits(t: Track, events: AlarmEvent[]): void {
        const first = t.low.raised ? 'low' : 'high';
        this.check(t, first, events);
        this.check(t, first === 'low' ? 'high' : 'low', events);
    }

    private check(t: Track, level: 'high' | 'low', events: AlarmEvent[]): void {
        const lv = t[level];
        const limit = this.limits[level];
        if (limit === undefined) {
            this.cancelPending(lv);
            if (lv.raised) this.clear(t, level, events);
            return;
        }
        const h = this.limits.hysteresis;
        if (lv.raised) {
            lv.threshold = limit;
            // A hysteresis wider than the gap between the limits would keep a high alarm raised while the
            // low one raises too: a value beyond the other limit is back from this one, whatever the band.
            const other = this.limits[level === 'high' ? 'low' : 'high'];
            const back =
                level === 'high'
                    ? t.value <= limit - h || (other !== undefined && t.value < other)
                    : t.value >= limit + h || (other !== undefined && t.value > other);
            if (back) this.clear(t, level, events);
            return;
        }
        const beyond = level === 'high' ? t.value > limit : t.value < limit;
        if (!beyond) {
            this.cancelPending(lv);
            return;
        }
        if (this.options.minDurationMs <= 0) {
            events.push(this.raise(t, level, limit));
            return;
        }
        // Beyond the limit since the first such reading: later ones leave the timer running.
        if (lv.pending !== undefined) return;
        lv.pending = this.clock.setTimeout(() => {
            lv.pending = undefined;
            const current = this.limits[level];
            if (this.closed || lv.raised || current === undefined) return;
            if (level === 'high' ? t.value > current : t.value < current)
                this.options.onAlarm(this.raise(t, level, current));
        }, this.options.minDurationMs);
    }

    private raise(t: Track, level: AlarmLevel, threshold: number): AlarmEvent {
        const lv = t[level];
        lv.raised = true;
        lv.threshold = threshold;
        lv.repeats = 0;
        this.raisedCount++;
        this.raisedTotal++;
        if (level === 'stale') this.staleCount++;
        this.armRepeat(t, level);
        return this.event(t, level, 'raised', 0);
    }

    private clear(t: Track, level: AlarmLevel, events: AlarmEvent[]): void {
        const lv = t[level];
        lv.raised = false;
        this.raisedCount--;
        this.clearedTotal++;
        if (level === 'stale') this.staleCount--;
        if (lv.repeat !== undefined) this.clock.clearTimeout(lv.repeat);
        lv.repeat = undefined;
        events.push(this.event(t, level, 'cleared', 0));
    }

    private armRepeat(t: Track, level: AlarmLevel): void {
        if (this.options.repeatMs <= 0) return;
        const lv = t[level];
        lv.repeat = this.clock.setTimeout(() => {
            lv.repeat = undefined;
            if (this.closed || !lv.raised) return;
            lv.repeats++;
            this.armRepeat(t, level);
            this.options.onAlarm(this.event(t, level, 'raised', lv.repeats));
        }, this.options.repeatMs);
    }

    /**
     * One timer per sensor, due when it would go stale. A reading does not
     * reset it (that would be a timer per reading): when it fires early it is
     * set again for the time left.
     */
    private armStale(t: Track): void {
        if (this.options.staleMs <= 0 || t.staleTimer !== undefined) return;
        t.staleTimer = this.clock.setTimeout(
            () => {
                t.staleTimer = undefined;
                if (this.closed || this.tracks.get(t.key) !== t) return;
                if (t.lastAt + this.options.staleMs > this.clock.now()) {
                    this.armStale(t);
                    return;
                }
                if (!t.stale.raised) this.options.onAlarm(this.raise(t, 'stale', this.options.staleMs / 1000));
            },
            Math.max(0, t.lastAt + this.options.staleMs - this.clock.now()),
        );
    }

    private cancelPending(lv: Level): void {
        if (lv.pending !== undefined) this.clock.clearTimeout(lv.pending);
        lv.pending = undefined;
    }

    private drop(t: Track): void {
        if (t.staleTimer !== undefined) this.clock.clearTimeout(t.staleTimer);
        t.staleTimer = undefined;
        for (const lv of [t.high, t.low, t.stale]) {
            this.cancelPending(lv);
            if (lv.repeat !== undefined) this.clock.clearTimeout(lv.repeat);
            lv.repeat = undefined;
            lv.raised = false;
        }
    }

    private event(t: Track, level: AlarmLevel, state: AlarmState, repeat: number): AlarmEvent {
        return {
            key: t.key,
            type: t.type,
            state,
            level,
            value: t.value,
            threshold: t[level].threshold,
            // The sensor's own object belongs to its message; the alarm gets a copy.
            sensor: t.sensor ? { ...t.sensor } : { id: t.key },
            repeat,
        };
    }
}

/** What an input message is to the threshold node. */
export type ThresholdInput =
    | {
          readonly kind: 'reading';
          readonly key: string;
          readonly value: number;
          readonly type: string;
          readonly sensor: Readonly<Record<string, unknown>> | undefined;
      }
    | { readonly kind: 'set'; readonly patch: LimitsPatch }
    | { readonly kind: 'reset' }
    | { readonly kind: 'error'; readonly error: string; readonly problem: Problem };

/** A change of limits: a number sets, null removes (high, low), absent keeps. */
export interface LimitsPatch {
    readonly high?: number | null;
    readonly low?: number | null;
    readonly hysteresis?: number;
}

export const KEY_MAX_LENGTH = 1024;

export function readThresholdInput(msg: Readonly<Record<string, unknown>>): ThresholdInput {
    if (msg.command !== undefined) {
        const command = typeof msg.command === 'string' ? msg.command.trim().toLowerCase() : msg.command;
        if (command === 'set') return readPatch(msg.payload);
        if (command === 'reset') return { kind: 'reset' };
        const shown = typeof msg.command === 'string' ? quote(msg.command) : describeValue(command);
        const said = typeof shown === 'string' ? shown : shown.message;
        return refusal(
            problem(
                'sensorhub-threshold.input.command',
                { command: shown },
                `unknown command ${said}: use "set" (with msg.payload {high, low, hysteresis}) or "reset"`,
            ),
        );
    }
    const sensor = isObject(msg.sensor) ? msg.sensor : undefined;
    const id = sensor?.id;
    const topic = typeof msg.topic === 'string' ? msg.topic : '';
    const key =
        typeof id === 'string' && id !== '' ? id : typeof id === 'number' && Number.isFinite(id) ? String(id) : topic;
    if (key === '')
        return refusal(
            problem(
                'sensorhub-threshold.input.no-key',
                {},
                'a reading needs msg.sensor.id or msg.topic to tell sensors apart',
            ),
        );
    if (key.length > KEY_MAX_LENGTH)
        return refusal(
            problem(
                'sensorhub-threshold.input.key-too-long',
                { max: KEY_MAX_LENGTH },
                `a sensor id or topic is longer than ${KEY_MAX_LENGTH} characters`,
            ),
        );
    const value = msg.payload;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
        const shown = quote(key);
        return refusal(
            problem(
                'sensorhub-threshold.input.value',
                { key: shown, got: describeValue(value) },
                `sensor ${shown}: a reading must be a finite number, got ${describeValue(value).message}`,
            ),
        );
    }
    return { kind: 'reading', key, value, type: topic === '' ? 'sensor' : topic, sensor };
}

function readPatch(payload: unknown): ThresholdInput {
    const usage = 'msg.payload must be an object such as {high: 30, low: 5, hysteresis: 0.5}';
    if (!isObject(payload))
        return refusal(
            problem(
                'sensorhub-threshold.input.patch-shape',
                { got: describeValue(payload) },
                `${usage}, got ${describeValue(payload).message}`,
            ),
        );
    const known = ['high', 'low', 'hysteresis'].filter((k) => payload[k] !== undefined);
    if (known.length === 0)
        return refusal(
            problem('sensorhub-threshold.input.patch-empty', {}, `${usage}: it has none of high, low, hysteresis`),
        );
    const patch: { high?: number | null; low?: number | null; hysteresis?: number } = {};
    for (const k of ['high', 'low'] as const) {
        const v = payload[k];
        if (v === undefined) continue;
        if (v !== null && (typeof v !== 'number' || !Number.isFinite(v)))
            return refusal(
                problem(
                    'sensorhub-threshold.input.limit',
                    { limit: k, got: describeValue(v) },
                    `${k} must be a number, or null to remove it, got ${describeValue(v).message}`,
                ),
            );
        patch[k] = v;
    }
    const h = payload.hysteresis;
    if (h !== undefined) {
        if (typeof h !== 'number' || !Number.isFinite(h) || h < 0)
            return refusal(
                problem(
                    'sensorhub-threshold.input.hysteresis',
                    { got: describeValue(h) },
                    `hysteresis must be a number, 0 or more, got ${describeValue(h).message}`,
                ),
            );
        patch.hysteresis = h;
    }
    return { kind: 'set', patch };
}

/** The limits after a patch, or why they cannot be used (the old ones then stay). */
export function applyPatch(
    current: Limits,
    patch: LimitsPatch,
): { limits: Limits } | { error: string; problem: Problem } {
    const pick = (v: number | null | undefined, old: number | undefined): number | undefined =>
        v === undefined ? old : v === null ? undefined : v;
    const limits: Limits = {
        high: pick(patch.high, current.high),
        low: pick(patch.low, current.low),
        hysteresis: patch.hysteresis ?? current.hysteresis,
    };
    const bad = limitsProblem(limits);
    return bad === undefined ? { limits } : { error: bad.message, problem: bad };
}

function refusal(p: Problem): ThresholdInput {
    return { kind: 'error', error: p.message, problem: p };
}

function isObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}
