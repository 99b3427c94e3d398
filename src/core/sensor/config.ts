import { eventTypeProblem } from '../shared/topic';
import {
    blank,
    choiceField,
    ConfigError,
    field,
    latencyFields,
    num,
    problemOf,
    seedField,
    settle,
    text,
    type Raw,
} from '../shared/config-fields';
import {
    defaultEventType,
    defaultUnit,
    SENSOR_KINDS,
    SENSOR_KINDS_TEXT,
    isBooleanKind,
    SIMULATED_MEAN,
    TEMPERATURE_UNITS,
    UNIT_MAX_LENGTH,
    type SensorInfo,
    type SensorKind,
} from '../shared/reading';
import type { SimulatorOptions } from './simulator';
import { compilePattern, READING_FORMATS, type ParseSpec, type ReadingFormat } from '../shared/parse';

export type SensorSource = 'simulated' | 'msg' | 'serial';
export const SENSOR_SOURCES: readonly SensorSource[] = ['simulated', 'msg', 'serial'];

export const INTERVAL_MAX_S = 86_400;
export const TIMEOUT_MIN_MS = 1;
export const TIMEOUT_MAX_MS = 600_000;
export const LATENCY_MAX_MS = 600_000;
export const SCHEDULE_MAX_S = 86_400;
export const COMMAND_MAX_LENGTH = 256;

/**
 * The ranges of the number fields, by property, and the longest request command: the parser reads them, and the
 * editor gets them as a setting. The fleet shares the interval, timeout, latency and command ones.
 */
export const SENSOR_LIMITS = {
    interval: { min: 0, max: INTERVAL_MAX_S },
    timeout: { min: TIMEOUT_MIN_MS, max: TIMEOUT_MAX_MS },
    latency: { min: 0, max: LATENCY_MAX_MS },
    offline: { min: 0, max: SCHEDULE_MAX_S },
    command: { min: 0, max: COMMAND_MAX_LENGTH },
} as const;

export interface SensorConfig {
    readonly sensor: SensorInfo;
    readonly eventType: string;
    readonly source: SensorSource;
    /** 0: reads only on input. */
    readonly intervalMs: number;
    readonly timeoutMs: number;
    readonly autoStart: boolean;
    /** The simulator's settings, seed left to the adapter when the user gave none. */
    readonly simulation: Omit<SimulatorOptions, 'seed' | 'now' | 'sleep'> & { readonly seed: number | undefined };
    /** Serial source: the port config node, the command written per read (request mode) and how to parse a line. */
    readonly serial: SerialSourceConfig;
}

export interface SerialSourceConfig {
    /** The id of the sensorhub-serial-port config node; empty when the source is not serial. */
    readonly port: string;
    /** Written per read in request mode, `{{id}}` replaced by the sensor id. */
    readonly command: string;
    readonly spec: ParseSpec;
}

/** The command to write for one read: the template with `{{id}}` replaced by the sensor id. */
export function expandCommand(template: string, sensorId: string): string {
    return template.split('{{id}}').join(sensorId);
}

/** compilePattern's refusal of a pattern, as a ConfigError: not a regular expression at all, or one without a group. */
function regexProblem(pattern: string, message: string): ConfigError {
    try {
        new RegExp(pattern);
    } catch (err) {
        return new ConfigError('regex-invalid', { field: 'pattern', detail: (err as Error).message }, message);
    }
    return new ConfigError('regex-group', { field: 'pattern' }, message);
}

/**
 * Reads a sensor node's saved properties. Saved flows are user data, so every
 * field is checked; the first problem is returned as a sentence that names the
 * field and says what would be right. `fallbackId` names the sensor when the
 * user gave no id (the node's id).
 */
export function parseSensorConfig(
    raw: Raw,
    fallbackId: string,
): { config: SensorConfig } | { error: string; problem: ConfigError } {
    return settle(() => parse(raw, fallbackId));
}

function parse(raw: Raw, fallbackId: string): SensorConfig {
    const L = SENSOR_LIMITS;
    const kind = choiceField(raw, 'kind', SENSOR_KINDS, `kind must be ${SENSOR_KINDS_TEXT}`, 'temperature');
    const source = choiceField(raw, 'source', SENSOR_SOURCES, 'source must be simulated, msg or serial', 'simulated');
    const id = text(raw.sensorId) || fallbackId;
    if (id.length > 256)
        throw new ConfigError('too-long', { field: 'sensorId', max: 256 }, 'sensor id is longer than 256 characters');
    const location = text(raw.location);
    if (location.length > 256)
        throw new ConfigError('too-long', { field: 'location', max: 256 }, 'location is longer than 256 characters');
    const unit = unitFor(kind, raw.unit);
    const eventType = text(raw.eventType) || defaultEventType(kind);
    const bad = eventTypeProblem(eventType);
    if (bad !== undefined) throw problemOf(bad, 'eventType', bad.message);

    const intervalS = source === 'msg' ? 0 : field(raw, 'interval', 'interval (s)', L.interval.min, L.interval.max, 5);
    const timeoutMs = Math.round(field(raw, 'timeout', 'timeout (ms)', L.timeout.min, L.timeout.max, 2000));
    const autoStart = raw.autoStart !== false && raw.autoStart !== 'false';

    const seed = seedField(raw);
    const { latencyMinMs, latencyMaxMs } = latencyFields(raw, L.latency.max);
    const offlineEvery = field(raw, 'offlineEvery', 'offline every (s)', L.offline.min, L.offline.max, 0);
    const offlineFor = field(raw, 'offlineFor', 'offline for (s)', L.offline.min, L.offline.max, 0);
    if (offlineEvery > 0 && offlineFor >= offlineEvery)
        throw new ConfigError(
            'shorter',
            { field: 'offlineFor', other: 'offlineEvery' },
            'offline for (s) must be shorter than offline every (s)',
        );
    const simulation = {
        mode: isBooleanKind(kind) ? ('motion' as const) : ('numeric' as const),
        seed,
        mean: field(raw, 'mean', 'mean', -1e9, 1e9, SIMULATED_MEAN[kind]),
        noise: field(raw, 'noise', 'noise', 0, 1e9, 0.2),
        drift: field(raw, 'drift', 'drift per read', -1e9, 1e9, 0),
        latencyMinMs,
        latencyMaxMs,
        failureProbability: field(raw, 'failureProbability', 'failure probability', 0, 1, 0),
        motionProbability: field(raw, 'motionProbability', 'motion probability', 0, 1, 0.3),
        offlineEveryMs: offlineEvery * 1000,
        offlineForMs: offlineFor * 1000,
    };
    return {
        sensor: { id, kind, location, unit },
        serial: parseSerial(raw, source === 'serial'),
        eventType,
        source,
        intervalMs: Math.round(intervalS * 1000),
        timeoutMs,
        autoStart,
        simulation,
    };
}

function unitFor(kind: SensorKind, v: unknown): string {
    if (kind === 'temperature') {
        if (blank(v)) return defaultUnit(kind);
        if (typeof v !== 'string' || !TEMPERATURE_UNITS.includes(v.trim()))
            throw new ConfigError(
                'choice',
                { field: 'unit', choices: TEMPERATURE_UNITS.join(', ') },
                'a temperature unit must be °C or °F',
            );
        return v.trim();
    }
    if (kind === 'generic') {
        const unit = text(v);
        if (unit.length > UNIT_MAX_LENGTH)
            throw new ConfigError(
                'too-long',
                { field: 'unit', max: UNIT_MAX_LENGTH },
                `unit is longer than ${UNIT_MAX_LENGTH} characters`,
            );
        return unit;
    }
    return defaultUnit(kind);
}

function isFormat(v: unknown): v is ReadingFormat {
    return typeof v === 'string' && (READING_FORMATS as readonly string[]).includes(v);
}

/** The serial part of a node's properties (port, command, format…), checked when `used`; shared with the fleet. */
export function parseSerialSource(
    raw: Raw,
    used: boolean,
): { config: SerialSourceConfig } | { error: string; problem: ConfigError } {
    return settle(() => parseSerial(raw, used));
}

function parseSerial(raw: Raw, used: boolean): SerialSourceConfig {
    const port = text(raw.serialPort);
    const command = typeof raw.command === 'string' ? raw.command : '';
    const format: unknown = blank(raw.format) ? 'number' : raw.format;
    const field = text(raw.field);
    const pattern = typeof raw.pattern === 'string' ? raw.pattern : '';
    const bound = (key: string, what: string): number | undefined => {
        if (blank(raw[key])) return undefined;
        const n = num(raw[key]);
        if (n === undefined)
            throw new ConfigError('blank-or-number', { field: key }, `${what} must be blank or a number`);
        return n;
    };
    const min = used ? bound('min', 'minimum') : undefined;
    const max = used ? bound('max', 'maximum') : undefined;
    if (used) {
        if (port === '') throw new ConfigError('serial-port', {}, 'choose a serial port for the serial source');
        if (command.length > COMMAND_MAX_LENGTH)
            throw new ConfigError(
                'too-long',
                { field: 'command', max: COMMAND_MAX_LENGTH },
                `command is longer than ${COMMAND_MAX_LENGTH} characters`,
            );
        if (!isFormat(format))
            throw new ConfigError(
                'choice',
                { field: 'format', choices: READING_FORMATS.join(', ') },
                'format must be number, kv, json or regex',
            );
        if ((format === 'kv' || format === 'json') && field === '')
            throw new ConfigError(
                'format-field',
                { format },
                `the ${format} format needs a field: the key of this sensor's value`,
            );
        if (format === 'regex') {
            const re = compilePattern(pattern);
            if (typeof re === 'string') throw regexProblem(pattern, re);
        }
        if (min !== undefined && max !== undefined && max < min)
            throw new ConfigError('not-below', { field: 'max', other: 'min' }, 'maximum must not be below the minimum');
    }
    const spec: ParseSpec = {
        format: isFormat(format) ? format : 'number',
        field: field === '' ? undefined : field,
        pattern: pattern === '' ? undefined : pattern,
        min,
        max,
    };
    return { port, command, spec };
}
