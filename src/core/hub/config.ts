import { createHash } from 'node:crypto';
import { isOverflowPolicy, type OverflowPolicy } from '../shared/queue';
import { brokerUrlError, DEFAULT_KEEPALIVE, prefixError } from './mqtt-bridge';
import { ConfigError, settle, type Raw } from '../shared/config-fields';
import { DEFAULT_DISCOVERY_PREFIX, discoveryPrefixError } from '../ha/discovery';

export type Backend = 'local' | 'mqtt';

export interface MqttSettings {
    readonly url: string;
    /** Empty: the adapter derives a stable id for this instance. */
    readonly clientId: string;
    readonly prefix: string;
    readonly qos: 0 | 1;
    readonly protocolVersion: 4 | 5;
    readonly bufferLimit: number;
    /** Seconds between pings on a quiet connection (0: none): the broker takes the hub for gone after 1.5 times it. */
    readonly keepalive: number;
    readonly useTls: boolean;
    /** Home Assistant's discovery prefix when the hub announces its nodes' entities there; undefined: it does not. */
    readonly haPrefix?: string;
}

export interface HubConfig {
    readonly backend: Backend;
    readonly queueLimit: number;
    readonly overflow: OverflowPolicy;
    readonly mqtt?: MqttSettings;
}

export const QUEUE_LIMIT_MAX = 1_000_000;
export const BUFFER_LIMIT_MAX = 1_000_000;
/** MQTT's keep alive is a two-byte number of seconds. */
export const KEEPALIVE_MAX = 65_535;
/** The ranges of the number fields, by property, for the editor (the subscribe node's queue limit too). */
export const HUB_LIMITS = {
    queueLimit: { min: 1, max: QUEUE_LIMIT_MAX },
    bufferLimit: { min: 1, max: BUFFER_LIMIT_MAX },
    keepalive: { min: 0, max: KEEPALIVE_MAX },
} as const;
/**
 * Big enough that a burst published in one event-loop turn (a split array, a batch from an API) reaches a flow
 * that keeps up whole: 10,000 handed on and 10,000 more queued. A subscriber that is really behind holds up to
 * twice this many events: 16 MiB of heap for readings in the overload benchmark.
 */
export const DEFAULT_QUEUE_LIMIT = 10_000;
export const DEFAULT_BUFFER_LIMIT = 10_000;

/** A whole number in [min, max], from a number or a numeric string; `undefined` otherwise. */
export function wholeNumber(v: unknown, max: number, min = 1): number | undefined {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/**
 * Reads a hub config node's saved properties. Saved flows are user data, so
 * every field is checked; the first problem is returned as a sentence that
 * names the field and says what would be right.
 */
export function parseHubConfig(raw: Raw): { config: HubConfig } | { error: string; problem: ConfigError } {
    return settle(() => parse(raw));
}

function parse(raw: Raw): HubConfig {
    const backend = raw.backend ?? 'local';
    if (backend !== 'local' && backend !== 'mqtt')
        throw new ConfigError(
            'choice',
            { field: 'backend', choices: 'local, mqtt' },
            `backend must be local or mqtt, not ${JSON.stringify(backend)}`,
        );
    const queueLimit =
        raw.queueLimit === undefined || raw.queueLimit === ''
            ? DEFAULT_QUEUE_LIMIT
            : wholeNumber(raw.queueLimit, QUEUE_LIMIT_MAX);
    if (queueLimit === undefined)
        throw new ConfigError(
            'whole',
            { field: 'queueLimit', min: 1, max: QUEUE_LIMIT_MAX },
            `queue limit must be a whole number from 1 to ${QUEUE_LIMIT_MAX}`,
        );
    const overflow = raw.overflow ?? 'drop-oldest';
    if (!isOverflowPolicy(overflow))
        throw new ConfigError(
            'choice',
            { field: 'overflow', choices: 'drop-oldest, drop-newest' },
            'when full must be drop-oldest or drop-newest',
        );
    if (backend === 'local') return { backend, queueLimit, overflow };

    const url = typeof raw.broker === 'string' ? raw.broker.trim() : raw.broker;
    const urlErr = brokerUrlError(url);
    if (urlErr !== undefined)
        throw new ConfigError('broker-url', { field: 'broker', url: typeof url === 'string' ? url : '' }, urlErr);
    const prefix = typeof raw.prefix === 'string' ? raw.prefix.trim() : (raw.prefix ?? 'sensorhub');
    const prefixErr = prefixError(prefix);
    if (prefixErr !== undefined) throw new ConfigError('prefix', { field: 'prefix' }, prefixErr);
    const qos = Number(raw.qos ?? 1);
    if (qos !== 0 && qos !== 1)
        throw new ConfigError('choice', { field: 'qos', choices: '0, 1' }, 'QoS must be 0 or 1');
    const protocolVersion = Number(raw.protocol ?? 5);
    if (protocolVersion !== 4 && protocolVersion !== 5)
        throw new ConfigError('choice', { field: 'protocol', choices: '4, 5' }, 'MQTT protocol must be 4 (3.1.1) or 5');
    const bufferLimit =
        raw.bufferLimit === undefined || raw.bufferLimit === ''
            ? DEFAULT_BUFFER_LIMIT
            : wholeNumber(raw.bufferLimit, BUFFER_LIMIT_MAX);
    if (bufferLimit === undefined)
        throw new ConfigError(
            'whole',
            { field: 'bufferLimit', min: 1, max: BUFFER_LIMIT_MAX },
            `offline buffer must be a whole number from 1 to ${BUFFER_LIMIT_MAX}`,
        );
    const keepalive = keepaliveOf(raw);
    const haPrefix = haDiscoveryPrefix(raw);
    const clientId = typeof raw.clientId === 'string' ? raw.clientId.trim() : '';
    if (clientId.length > 256)
        throw new ConfigError('too-long', { field: 'clientId', max: 256 }, 'client id is longer than 256 characters');
    return {
        backend,
        queueLimit,
        overflow,
        mqtt: {
            url: url as string,
            clientId,
            prefix: prefix as string,
            qos,
            protocolVersion,
            bufferLimit,
            keepalive,
            useTls: raw.usetls === true || raw.usetls === 'true',
            ...(haPrefix === undefined ? {} : { haPrefix }),
        },
    };
}

/** Keep alive in whole seconds, 0 to 65535; blank (and flows saved before the field) the default. */
function keepaliveOf(raw: Raw): number {
    if (raw.keepalive === undefined || raw.keepalive === '') return DEFAULT_KEEPALIVE;
    const n = wholeNumber(raw.keepalive, KEEPALIVE_MAX, 0);
    if (n !== undefined) return n;
    throw new ConfigError(
        'whole',
        { field: 'keepalive', min: 0, max: KEEPALIVE_MAX },
        `keep alive must be a whole number of seconds from 0 to ${KEEPALIVE_MAX}`,
    );
}

/** The discovery prefix when "Announce to Home Assistant" is on (older flows lack both fields: off). */
function haDiscoveryPrefix(raw: Raw): string | undefined {
    if (raw.haAnnounce !== true && raw.haAnnounce !== 'true') return undefined;
    const prefix =
        raw.haPrefix === undefined || raw.haPrefix === ''
            ? DEFAULT_DISCOVERY_PREFIX
            : typeof raw.haPrefix === 'string'
              ? raw.haPrefix.trim()
              : raw.haPrefix;
    const err = discoveryPrefixError(prefix);
    if (err !== undefined) throw new ConfigError('ha-prefix', { field: 'haPrefix' }, err);
    return prefix as string;
}

/**
 * A client id that is stable across restarts of this Node-RED (so the broker
 * resumes its QoS 1 session), distinct for every instance on a host (the instance,
 * its user dir, differs; the requested port may be 0 or a string) and new when the broker
 * or prefix changes (a resumed session would keep the old subscription).
 */
export function defaultClientId(hubId: string, host: string, instance: string, url: string, prefix: string): string {
    const digest = createHash('sha256').update(`${instance}\n${url}\n${prefix}`).digest('hex').slice(0, 10);
    return `sensorhub-${host.slice(0, 20)}-${digest}-${hubId}`;
}
