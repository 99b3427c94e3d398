import { describeValue, problem, ProblemError, type Problem } from './texts';

/**
 * The reading contract (../shared/DESIGN.md): what every sensor source sends,
 * so that swapping a simulated sensor for a real one needs no rewiring.
 */

export type SensorKind = 'temperature' | 'humidity' | 'motion' | 'illuminance' | 'contact' | 'battery' | 'generic';
export type FailureStatus = 'error' | 'timeout' | 'offline';
export type ReadingStatus = 'ok' | FailureStatus;
export type ReadingValue = number | boolean;

export const SENSOR_KINDS: readonly SensorKind[] = [
    'temperature',
    'humidity',
    'motion',
    'illuminance',
    'contact',
    'battery',
    'generic',
];
/** The kinds as an English list, for configuration errors. */
export const SENSOR_KINDS_TEXT = 'temperature, humidity, motion, illuminance, contact, battery or generic';
export const TEMPERATURE_UNITS: readonly string[] = ['°C', '°F'];
export const UNIT_MAX_LENGTH = 32;

export interface SensorInfo {
    readonly id: string;
    readonly kind: SensorKind;
    readonly location: string;
    readonly unit: string;
}

export interface ReadingInfo {
    readonly status: ReadingStatus;
    /** When the value was obtained (or the read failed), ms since 1970. */
    readonly ts: number;
    readonly latencyMs: number;
    /** Counts read attempts of one node, failures included: a gap in the ok readings is a failed read. */
    readonly seq: number;
}

export interface ReadingMessage {
    [key: string]: unknown;
    topic: string;
    payload?: ReadingValue;
    sensor: SensorInfo;
    reading: ReadingInfo;
}

/**
 * A failed read, with the status it reports and the problem to say it in the
 * user's language; without one from core (an operating system's or a
 * library's error) the problem only carries that message.
 */
export class ReadError extends ProblemError {
    constructor(
        readonly status: FailureStatus,
        message: string,
        problem_: Problem = problem('read.failed', { detail: message }, message),
    ) {
        super(problem_, message);
        this.name = 'ReadError';
    }
}

/** The kinds whose value is a boolean (contact: true = closed). */
export function isBooleanKind(kind: SensorKind): boolean {
    return kind === 'motion' || kind === 'contact';
}

export function isSensorKind(v: unknown): v is SensorKind {
    return typeof v === 'string' && (SENSOR_KINDS as readonly string[]).includes(v);
}

export function defaultEventType(kind: SensorKind): string {
    switch (kind) {
        case 'temperature':
            return 'temperature_update';
        case 'humidity':
            return 'humidity_update';
        case 'motion':
            return 'motion_detected';
        case 'illuminance':
            return 'illuminance_update';
        case 'contact':
            return 'contact_update';
        case 'battery':
            return 'battery_update';
        case 'generic':
            return 'sensor_update';
    }
}

/** The unit a kind reports in when the user chose none (generic: none at all). */
export function defaultUnit(kind: SensorKind): string {
    switch (kind) {
        case 'temperature':
            return '°C';
        case 'humidity':
        case 'battery':
            return '%';
        case 'illuminance':
            return 'lx';
        case 'motion':
        case 'contact':
        case 'generic':
            return '';
    }
}

/** Where a simulated sensor of each kind reads around (boolean kinds ignore it). */
export const SIMULATED_MEAN: Readonly<Record<SensorKind, number>> = {
    temperature: 21,
    humidity: 45,
    motion: 0,
    illuminance: 300,
    contact: 0,
    battery: 90,
    generic: 21,
};

/** Two decimals: enough for any sensor here, and no 70.52000000000001 after a conversion. */
export function round2(v: number): number {
    return Math.round(v * 100) / 100;
}

/**
 * A value from a source as this sensor reports it. Sources deliver numbers in
 * the kind's base unit (°C for temperature); a °F sensor converts. Returns a
 * sentence (and its problem) naming what is wrong for a value of the wrong type.
 */
export function toReadingValue(
    kind: SensorKind,
    unit: string,
    raw: unknown,
): { value: ReadingValue } | { error: string; problem: Problem } {
    if (kind === 'motion') {
        if (typeof raw === 'boolean') return { value: raw };
        if (raw === 0 || raw === 1) return { value: raw === 1 };
        const got = describeValue(raw);
        return wrongValue(
            problem('read.motion-value', { got }, `a motion sensor needs true or false (or 1/0), got ${got.message}`),
        );
    }
    if (kind === 'contact') {
        if (typeof raw === 'boolean') return { value: raw };
        if (raw === 0 || raw === 1) return { value: raw === 1 };
        const got = describeValue(raw);
        return wrongValue(
            problem(
                'read.contact-value',
                { got },
                `a contact sensor needs true (closed) or false (open), or 1/0, got ${got.message}`,
            ),
        );
    }
    if (typeof raw !== 'number' || !Number.isFinite(raw)) {
        const got = describeValue(raw);
        return wrongValue(
            problem('read.number-value', { kind, got }, `a ${kind} sensor needs a finite number, got ${got.message}`),
        );
    }
    if (kind === 'battery' && (raw < 0 || raw > 100))
        return wrongValue(
            problem('read.battery-value', { value: String(raw) }, `a battery level runs from 0 to 100 %, got ${raw}`),
        );
    if (kind === 'temperature' && unit === '°F') return { value: round2((raw * 9) / 5 + 32) };
    return { value: raw };
}

function wrongValue(p: Problem): { error: string; problem: Problem } {
    return { error: p.message, problem: p };
}

/** A message's own copy of a sensor's description (its receivers may change it), in one literal of a stable shape. */
export function sensorCopy(sensor: SensorInfo): SensorInfo {
    return { id: sensor.id, kind: sensor.kind, location: sensor.location, unit: sensor.unit };
}

/** A successful reading message. */
export function buildReading(
    sensor: SensorInfo,
    topic: string,
    value: ReadingValue,
    at: { ts: number; latencyMs: number; seq: number },
): ReadingMessage {
    return {
        topic,
        payload: value,
        sensor,
        reading: { status: 'ok', ts: at.ts, latencyMs: at.latencyMs, seq: at.seq },
    };
}

/** The reading part of a failed read, attached to the message a Catch node sees. */
export function failedReading(status: FailureStatus, at: { ts: number; latencyMs: number; seq: number }): ReadingInfo {
    return { status, ts: at.ts, latencyMs: at.latencyMs, seq: at.seq };
}

/** A read that gave no answer within its time limit. */
export function timeoutError(ms: number): ReadError {
    const message = `no reading within ${ms} ms`;
    return new ReadError('timeout', message, problem('read.timeout', { ms }, message));
}
