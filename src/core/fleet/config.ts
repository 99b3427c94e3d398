import { eventTypeProblem } from '../shared/topic';
import { GROUP_MAX_LENGTH } from './partition';
import { describeValue } from '../shared/texts';
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
    wholeField,
    type Raw,
} from '../shared/config-fields';
import {
    defaultEventType,
    defaultUnit,
    SENSOR_KINDS,
    SENSOR_KINDS_TEXT,
    type SensorInfo,
    type SensorKind,
} from '../shared/reading';
import {
    COMMAND_MAX_LENGTH,
    LATENCY_MAX_MS,
    INTERVAL_MAX_S,
    TIMEOUT_MAX_MS,
    TIMEOUT_MIN_MS,
    parseSerialSource,
    type SerialSourceConfig,
} from '../sensor/config';

/** The most sensors one fleet node reads; more belong in several nodes (or several Node-REDs). */
export const FLEET_MAX_SENSORS = 100_000;
export const CONCURRENCY_MAX = FLEET_MAX_SENSORS;
export const ID_MAX_LENGTH = 256;
export const BREAKER_MAX_S = 86_400;

/**
 * The ranges of the number fields, by property: the parser reads them, and the editor gets them as a setting.
 * `sensors` bounds the generated count and the table's rows; the sensor's limits give the timeout and latency.
 */
export const FLEET_LIMITS = {
    sensors: { min: 1, max: FLEET_MAX_SENSORS },
    concurrency: { min: 0, max: CONCURRENCY_MAX },
    breakerFailures: { min: 0, max: 1000 },
    breaker: { min: 0.001, max: BREAKER_MAX_S },
    mix: { min: 0, max: 1000 },
} as const;

export type FleetSource = 'table' | 'generated';
export type FleetOutput = 'stream' | 'batch';
export type MemberSource = 'simulated' | 'serial';

/** One sensor of the fleet, from the table, the generator or `msg.payload`. */
export interface MemberSpec {
    readonly sensor: SensorInfo;
    readonly eventType: string;
    readonly source: MemberSource;
    /** The serial request for this sensor, `{{id}}` not yet replaced; empty for simulated ones. */
    readonly command: string;
}

export interface FleetSimulation {
    readonly seed: number | undefined;
    readonly latencyMinMs: number;
    readonly latencyMaxMs: number;
    readonly failureProbability: number;
}

/** A fleet shared with other Node-REDs: the sensors split among the live members of `group` on the hub's broker. */
export interface FleetPartition {
    /** The hub config node whose broker carries the group's presence. */
    readonly hub: string;
    readonly group: string;
}

export interface FleetConfig {
    readonly members: readonly MemberSpec[];
    /** 0: a cycle per input message only. */
    readonly intervalMs: number;
    readonly timeoutMs: number;
    /** 0: every sensor at once. */
    readonly concurrency: number;
    readonly output: FleetOutput;
    /** Each failed read also goes to node.error, for catch nodes (off: a big fleet would flood the log). */
    readonly catchFailures: boolean;
    readonly breaker: { readonly failures: number; readonly baseMs: number; readonly maxMs: number };
    readonly autoStart: boolean;
    readonly simulation: FleetSimulation;
    /** The serial port every serial member asks through, with the reply format. */
    readonly serial: SerialSourceConfig;
    /** Undefined: this instance reads every sensor. */
    readonly partition: FleetPartition | undefined;
}

/** Ids may be given as numbers in a run-time list. */
function idText(v: unknown): string {
    return typeof v === 'number' && Number.isFinite(v) ? String(v) : text(v);
}

/**
 * Reads a fleet node's saved properties, every field checked: the first
 * problem comes back as a sentence naming the field, and nothing is built
 * from a configuration that has one.
 */
export function parseFleetConfig(raw: Raw): { config: FleetConfig } | { error: string; problem: ConfigError } {
    return settle(() => parse(raw));
}

/**
 * A sensor list given at run time (`msg.payload`): an array of sensor ids or
 * of objects `{id, kind, location, source, command, eventType}`. All or
 * nothing: one bad entry refuses the whole list.
 */
export function parseMemberList(
    list: unknown,
    serialAvailable: boolean,
): { config: readonly MemberSpec[] } | { error: string; problem: ConfigError } {
    return settle(() => {
        if (!Array.isArray(list))
            throw new ConfigError(
                'list-array',
                { got: describeValue(list) },
                `the sensor list must be an array, got ${describeValue(list).message}`,
            );
        return checkMembers(list.map((entry, i) => memberFrom(entry, { list: true, n: i + 1 }, serialAvailable)));
    });
}

function parse(raw: Raw): FleetConfig {
    const L = FLEET_LIMITS;
    const intervalS = field(raw, 'interval', 'interval (s)', 0, INTERVAL_MAX_S, 5);
    const timeoutMs = Math.round(field(raw, 'timeout', 'timeout (ms)', TIMEOUT_MIN_MS, TIMEOUT_MAX_MS, 1000));
    const concurrency = wholeField(raw, 'concurrency', 'concurrency limit', L.concurrency.min, L.concurrency.max, 0);
    const output = choiceField<FleetOutput>(
        raw,
        'output',
        ['stream', 'batch'],
        'output must be stream or batch',
        'stream',
    );
    const failures = wholeField(
        raw,
        'breakerFailures',
        'failures before quarantine',
        L.breakerFailures.min,
        L.breakerFailures.max,
        3,
    );
    const baseS = field(raw, 'breakerBase', 'first quarantine (s)', L.breaker.min, L.breaker.max, 10);
    const maxS = field(raw, 'breakerMax', 'longest quarantine (s)', L.breaker.min, L.breaker.max, 300);
    if (maxS < baseS)
        throw new ConfigError(
            'not-below',
            { field: 'breakerMax', other: 'breakerBase' },
            'longest quarantine must not be shorter than the first quarantine',
        );

    const seed = seedField(raw);
    const { latencyMinMs, latencyMaxMs } = latencyFields(raw, LATENCY_MAX_MS);
    const failureProbability = field(raw, 'failureRate', 'failure rate', 0, 1, 0);

    const source = choiceField<FleetSource>(
        raw,
        'sensorSource',
        ['table', 'generated'],
        'sensors must come from table or generated',
        'table',
    );
    const members = source === 'table' ? tableMembers(raw.sensors) : generatedMembers(raw);
    const partition = partitionField(raw, intervalS);
    const usesSerial = members.some((m) => m.source === 'serial');
    const serial = parseSerialSource(raw, usesSerial);
    if ('error' in serial) throw serial.problem;
    return {
        members,
        intervalMs: Math.round(intervalS * 1000),
        timeoutMs,
        concurrency,
        output,
        catchFailures: raw.catchFailures === true || raw.catchFailures === 'true',
        breaker: { failures, baseMs: Math.round(baseS * 1000), maxMs: Math.round(maxS * 1000) },
        autoStart: raw.autoStart !== false && raw.autoStart !== 'false',
        simulation: { seed, latencyMinMs, latencyMaxMs, failureProbability },
        serial: serial.config,
        partition,
    };
}

/** Sharing needs a hub (its broker) and an interval: instances agree on cycles of the wall clock. */
function partitionField(raw: Raw, intervalS: number): FleetPartition | undefined {
    if (raw.partition !== true && raw.partition !== 'true') return undefined;
    const hub = text(raw.hub);
    if (hub === '')
        throw new ConfigError(
            'partition-hub',
            {},
            'sharing the sensors with other Node-REDs needs a hub with a broker',
        );
    if (intervalS <= 0)
        throw new ConfigError(
            'partition-interval',
            {},
            'sharing the sensors with other Node-REDs needs an interval: instances agree on cycles of the clock',
        );
    const group = text(raw.group) || text(raw.name) || 'fleet';
    if (group.length > GROUP_MAX_LENGTH)
        throw new ConfigError(
            'too-long',
            { field: 'group', max: GROUP_MAX_LENGTH },
            `group is longer than ${GROUP_MAX_LENGTH} characters`,
        );
    return { hub, group };
}

function tableMembers(rows: unknown): MemberSpec[] {
    const empty = 'the sensor table is empty: add at least one sensor';
    if (blank(rows)) throw new ConfigError('table-empty', {}, empty);
    if (!Array.isArray(rows)) throw new ConfigError('table-list', {}, 'the sensor table must be a list');
    if (rows.length === 0) throw new ConfigError('table-empty', {}, empty);
    return checkMembers(rows.map((row, i) => memberFrom(row, { list: false, n: i + 1 }, true)));
}

function checkMembers(members: MemberSpec[]): MemberSpec[] {
    if (members.length > FLEET_MAX_SENSORS)
        throw new ConfigError(
            'too-many-sensors',
            { max: FLEET_MAX_SENSORS, count: members.length },
            `a fleet reads at most ${FLEET_MAX_SENSORS} sensors, got ${members.length}`,
        );
    const seen = new Set<string>();
    for (const m of members) {
        if (seen.has(m.sensor.id))
            throw new ConfigError(
                'duplicate-id',
                { id: m.sensor.id },
                `sensor id "${m.sensor.id}" appears twice: ids must be unique`,
            );
        seen.add(m.sensor.id);
    }
    return members;
}

/** A row of the table (`row 3`) or an entry of a run-time list (`sensor 3`). */
interface Where {
    readonly list: boolean;
    readonly n: number;
}

/** A row's problem, naming the row and, once known, its id. */
function inRow(at: Where, id: string | undefined, inner: ConfigError): ConfigError {
    const where = `${at.list ? 'sensor' : 'row'} ${at.n}`;
    if (id === undefined) {
        const message = `${where}${inner.code === 'too-long' ? ':' : ''} ${inner.message}`;
        return new ConfigError(at.list ? 'entry' : 'row', { row: at.n, reason: inner.message }, message, inner);
    }
    const message = `${where} (${id}): ${inner.message}`;
    return new ConfigError(at.list ? 'entry-id' : 'row-id', { row: at.n, id, reason: inner.message }, message, inner);
}

function memberFrom(entry: unknown, at: Where, serialAvailable: boolean): MemberSpec {
    let id: string | undefined;
    try {
        return member(entry, serialAvailable, (known) => (id = known));
    } catch (err) {
        if (err instanceof ConfigError) throw inRow(at, id, err as ConfigError);
        throw err;
    }
}

function member(entry: unknown, serialAvailable: boolean, named: (id: string) => void): MemberSpec {
    let row: Raw;
    if (typeof entry === 'string' || typeof entry === 'number') row = { id: entry };
    else if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) row = entry as Raw;
    else
        throw new ConfigError(
            'sensor-shape',
            { got: describeValue(entry) },
            `must be a sensor id or an object with an id, got ${describeValue(entry).message}`,
        );
    const id = idText(row.id);
    if (id === '') throw new ConfigError('no-id', {}, 'has no id');
    if (id.length > ID_MAX_LENGTH)
        throw new ConfigError(
            'too-long',
            { field: 'id', max: ID_MAX_LENGTH },
            `id is longer than ${ID_MAX_LENGTH} characters`,
        );
    named(id);
    const kind = choiceField(row, 'kind', SENSOR_KINDS, `kind must be ${SENSOR_KINDS_TEXT}`, 'temperature');
    const location = text(row.location);
    if (location.length > ID_MAX_LENGTH)
        throw new ConfigError(
            'too-long',
            { field: 'location', max: ID_MAX_LENGTH },
            `location is longer than ${ID_MAX_LENGTH} characters`,
        );
    const source = choiceField<MemberSource>(
        row,
        'source',
        ['simulated', 'serial'],
        'source must be simulated or serial',
        'simulated',
    );
    if (source === 'serial' && !serialAvailable)
        throw new ConfigError('serial-member', {}, "a serial sensor needs the fleet's serial port to be set");
    const command = typeof row.command === 'string' ? row.command : '';
    if (command.length > COMMAND_MAX_LENGTH)
        throw new ConfigError(
            'too-long',
            { field: 'command', max: COMMAND_MAX_LENGTH },
            `request is longer than ${COMMAND_MAX_LENGTH} characters`,
        );
    const eventType = text(row.eventType) || defaultEventType(kind);
    const bad = eventTypeProblem(eventType);
    if (bad !== undefined) throw problemOf(bad, 'eventType', bad.message);
    return { sensor: { id, kind, location, unit: defaultUnit(kind) }, eventType, source, command };
}

const KIND_WEIGHTS: readonly [SensorKind, string][] = [
    ['temperature', 'mixTemperature'],
    ['humidity', 'mixHumidity'],
    ['motion', 'mixMotion'],
];

/** Expands `{n}` (1, 2, …) and `{n:4}` (0001, 0002, …) in a pattern. */
export function expandPattern(pattern: string, n: number): string {
    return pattern.replace(/\{n(?::(\d{1,2}))?\}/g, (_m, width?: string) =>
        width === undefined ? String(n) : String(n).padStart(Number(width), '0'),
    );
}

function generatedMembers(raw: Raw): MemberSpec[] {
    const count = num(raw.count);
    if (count === undefined || !Number.isInteger(count) || count < 1 || count > FLEET_MAX_SENSORS)
        throw new ConfigError(
            'whole',
            { field: 'count', min: 1, max: FLEET_MAX_SENSORS },
            `count must be a whole number from 1 to ${FLEET_MAX_SENSORS}`,
        );
    const idPattern = blank(raw.idPattern) ? 'sensor-{n}' : text(raw.idPattern);
    if (!/\{n(?::\d{1,2})?\}/.test(idPattern))
        throw new ConfigError(
            'id-pattern',
            { field: 'idPattern' },
            'the id pattern must contain {n} (or {n:4} for zero-padded numbers)',
        );
    const patternMax = ID_MAX_LENGTH - 10;
    if (idPattern.length > patternMax)
        throw new ConfigError('too-long', { field: 'idPattern', max: patternMax }, 'the id pattern is too long');
    const locationPattern = text(raw.locationPattern);
    if (locationPattern.length > patternMax)
        throw new ConfigError(
            'too-long',
            { field: 'locationPattern', max: patternMax },
            'the location pattern is too long',
        );
    const weights = KIND_WEIGHTS.map(([kind, key]) => ({
        kind,
        weight: field(
            raw,
            key,
            `share of ${kind} sensors`,
            FLEET_LIMITS.mix.min,
            FLEET_LIMITS.mix.max,
            kind === 'temperature' ? 1 : 0,
        ),
    }));
    const total = weights.reduce((a, w) => a + w.weight, 0);
    if (total <= 0) throw new ConfigError('no-share', {}, 'give at least one kind of sensor a share above 0');
    // Kinds are dealt in proportion, interleaved (a smooth weighted round-robin), so any prefix of the fleet has the mix.
    const credit = weights.map(() => 0);
    const members: MemberSpec[] = [];
    for (let n = 1; n <= count; n++) {
        let best = 0;
        for (let k = 0; k < weights.length; k++) {
            credit[k] += weights[k].weight;
            if (credit[k] > credit[best]) best = k;
        }
        credit[best] -= total;
        const kind = weights[best].kind;
        members.push({
            sensor: {
                id: expandPattern(idPattern, n),
                kind,
                location: expandPattern(locationPattern, n),
                unit: defaultUnit(kind),
            },
            eventType: defaultEventType(kind),
            source: 'simulated',
            command: '',
        });
    }
    return checkMembers(members);
}
