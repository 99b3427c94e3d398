import { isIP } from 'node:net';
import { ID_PATTERN, LOCATION_MAX_LENGTH, TOKEN_MAX_LENGTH } from './protocol';
import type { GatewayLimits } from './limits';
import type { DeviceEntry } from './session';
import { blank, ConfigError, num, settle, type ConfigProblem } from '../shared/config-fields';

export interface GatewayConfig {
    readonly host: string;
    readonly port: number;
    /** The id of the `tls-config` node, or '' for plain TCP. */
    readonly tls: string;
    readonly devices: readonly DeviceEntry[];
    readonly limits: GatewayLimits;
    /** Things that work but are probably not what the user meant (a device without a token…), as English sentences. */
    readonly warnings: readonly string[];
    /** The same, to translate (codes in CONFIG_CODES). */
    readonly warningProblems: readonly ConfigProblem[];
}

export const DEFAULT_HOST = '127.0.0.1';
/** Node-RED's own editor is on 1880. */
export const DEFAULT_PORT = 1881;
/** Port 0 would let the system pick one that no device knows. */
export const PORT_RANGE = { min: 1, max: 65_535 } as const;
export const MAX_DEVICES = 10_000;
export const SHORT_TOKEN = 16;

/** Each limit: its default and range, in the unit the dialog shows (seconds for timeouts). */
export const LIMITS = {
    maxConnections: { fallback: 100, min: 1, max: 100_000 },
    maxLineBytes: { fallback: 4096, min: 64, max: 1_048_576 },
    rate: { fallback: 20, min: 0.01, max: 100_000 },
    burst: { fallback: 40, min: 1, max: 1_000_000 },
    helloTimeout: { fallback: 5, min: 0.01, max: 600 },
    idleTimeout: { fallback: 60, min: 0, max: 86_400 },
    /**
     * KiB that may wait unsent to one device (beyond it, it does not read). Its
     * own setting, not a multiple of the line length: 64 lines of 1 MiB were
     * 64 MiB per connection.
     */
    maxOutbound: { fallback: 256, min: 16, max: 65_536 },
} as const;

function limit(raw: Record<string, unknown>, key: keyof typeof LIMITS, what: string, whole: boolean): number {
    const { fallback, min, max } = LIMITS[key];
    if (blank(raw[key])) return fallback;
    const n = num(raw[key]);
    if (n === undefined || n < min || n > max || (whole && !Number.isInteger(n)))
        throw new ConfigError(
            whole ? 'whole' : 'range',
            { field: key, min, max },
            `${what} must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`,
        );
    return n;
}

const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/**
 * Reads a gateway node's saved properties and its `tokens` credential (a JSON
 * object of device id → token). Saved flows are user data: every field is
 * checked, and the first problem comes back as a sentence that names the
 * field and says what would be right.
 */
export function parseGatewayConfig(
    raw: Record<string, unknown>,
    credentials: { tokens?: unknown } | undefined,
): { config: GatewayConfig } | { error: string; problem: ConfigError } {
    return settle(() => parse(raw, credentials?.tokens));
}

function parse(raw: Record<string, unknown>, tokensText: unknown): GatewayConfig {
    const { host, port, tls } = endpoint(raw);
    const table = deviceTable(raw.devices, parseTokens(tokensText));
    const warningProblems = tableWarnings(table);
    const warnings = warningProblems.map((w) => w.message);
    return { host, port, tls, devices: table.devices, limits: limitsOf(raw), warnings, warningProblems };
}

/** Where the gateway listens: host, port and the TLS configuration node, if any. */
function endpoint(raw: Record<string, unknown>): { host: string; port: number; tls: string } {
    const host = blank(raw.host) ? DEFAULT_HOST : typeof raw.host === 'string' ? raw.host.trim() : '';
    if (isIP(host) === 0 && !HOSTNAME.test(host))
        throw new ConfigError(
            'host',
            { field: 'host' },
            'host must be an IP address (such as 127.0.0.1 or 0.0.0.0) or a host name',
        );
    const port = blank(raw.port) ? DEFAULT_PORT : num(raw.port);
    const { min, max } = PORT_RANGE;
    if (port === undefined || !Number.isInteger(port) || port < min || port > max)
        throw new ConfigError(
            'whole',
            { field: 'port', min, max },
            `port must be a whole number from ${min} to ${max}`,
        );
    const useTls = raw.usetls === true || raw.usetls === 'true';
    const tls = useTls && typeof raw.tls === 'string' ? raw.tls.trim() : '';
    if (useTls && tls === '') throw new ConfigError('tls-missing', {}, 'TLS is on but no TLS configuration is chosen');
    return { host, port, tls };
}

interface DeviceTable {
    readonly devices: readonly DeviceEntry[];
    /** Ids of devices without a token, and with one shorter than SHORT_TOKEN. */
    readonly noToken: readonly string[];
    readonly shortToken: readonly string[];
}

/** The device table, each row with its token; a bad row refuses the whole table. */
function deviceTable(saved: unknown, tokens: ReadonlyMap<string, string>): DeviceTable {
    const rows = saved === undefined || saved === null ? [] : saved;
    if (!Array.isArray(rows)) throw new ConfigError('device-list', {}, 'devices must be a list');
    if (rows.length > MAX_DEVICES)
        throw new ConfigError('too-many-devices', { max: MAX_DEVICES }, `at most ${MAX_DEVICES} devices`);
    const devices: DeviceEntry[] = [];
    const seen = new Set<string>();
    const noToken: string[] = [];
    const shortToken: string[] = [];
    for (const row of rows as unknown[]) {
        const device = deviceRow(row, seen);
        const token = tokens.get(device.id);
        if (token === undefined) noToken.push(device.id);
        else if (token.length < SHORT_TOKEN) shortToken.push(device.id);
        devices.push({ id: device.id, token, location: device.location });
    }
    return { devices, noToken, shortToken };
}

function deviceRow(row: unknown, seen: Set<string>): { id: string; location: string } {
    const r = row !== null && typeof row === 'object' ? (row as Record<string, unknown>) : {};
    const id = typeof r.id === 'string' ? r.id.trim() : '';
    if (!ID_PATTERN.test(id))
        throw new ConfigError(
            'device-id',
            { id },
            `device id ${JSON.stringify(id)} is not valid: use letters, digits and . _ : - (not first), at most 64 characters`,
        );
    if (seen.has(id)) throw new ConfigError('device-twice', { id }, `device ${id} is listed twice`);
    seen.add(id);
    const location = typeof r.location === 'string' ? r.location.trim() : '';
    if (location.length > LOCATION_MAX_LENGTH)
        throw new ConfigError(
            'device-location',
            { id, max: LOCATION_MAX_LENGTH },
            `the location of device ${id} is longer than ${LOCATION_MAX_LENGTH} characters`,
        );
    return { id, location };
}

/** One warning per kind, however many devices: a table of thousands must not flood the log. */
function tableWarnings({ devices, noToken, shortToken }: DeviceTable): ConfigProblem[] {
    const warningProblems: ConfigProblem[] = [];
    if (devices.length === 0)
        warningProblems.push(new ConfigError('no-devices', {}, 'the device table is empty, so no device can connect'));
    if (noToken.length > 0)
        warningProblems.push(
            new ConfigError(
                'no-token',
                { ids: idList(noToken) },
                `${devicesText(noToken)} ${noToken.length === 1 ? 'has' : 'have'} no token, so cannot connect`,
            ),
        );
    if (shortToken.length > 0)
        warningProblems.push(
            new ConfigError(
                'short-token',
                { ids: idList(shortToken), min: SHORT_TOKEN },
                `the token of ${devicesText(shortToken)} is shorter than ${SHORT_TOKEN} characters: easy to guess`,
            ),
        );
    return warningProblems;
}

function limitsOf(raw: Record<string, unknown>): GatewayLimits {
    // Checked first: of several bad limits, the line length is the one reported.
    const maxLineBytes = limit(raw, 'maxLineBytes', 'maximum line length (bytes)', true);
    return {
        maxConnections: limit(raw, 'maxConnections', 'maximum connections', true),
        maxLineBytes,
        messagesPerSecond: limit(raw, 'rate', 'messages per second per device', false),
        burst: limit(raw, 'burst', 'burst', true),
        helloTimeoutMs: Math.round(limit(raw, 'helloTimeout', 'hello timeout (s)', false) * 1000),
        idleTimeoutMs: Math.round(limit(raw, 'idleTimeout', 'idle timeout (s)', false) * 1000),
        maxOutboundBytes: limit(raw, 'maxOutbound', 'unsent data per device (KiB)', true) * 1024,
    };
}

/** `a`, `a, b, c`, `a, b, c, d, e (+7)`: ids for a translated sentence. */
function idList(ids: readonly string[]): string {
    const shown = ids.slice(0, 5).join(', ');
    return ids.length > 5 ? `${shown} (+${ids.length - 5})` : shown;
}

/** `device a`, `devices a, b and c`, `devices a, b, c, d, e and 7 more`. */
function devicesText(ids: readonly string[]): string {
    if (ids.length === 1) return `device ${ids[0]}`;
    const shown = ids.slice(0, 5);
    const rest = ids.length - shown.length;
    if (rest > 0) return `devices ${shown.join(', ')} and ${rest} more`;
    return `devices ${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

/** The tokens credential: blank, or a JSON object of device id → token. */
function parseTokens(text: unknown): Map<string, string> {
    const tokens = new Map<string, string>();
    if (blank(text)) return tokens;
    if (typeof text !== 'string') throw new ConfigError('tokens-text', {}, 'device tokens must be saved as JSON text');
    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch {
        throw new ConfigError(
            'tokens-json',
            {},
            'device tokens are not valid JSON: enter them again in the edit dialog',
        );
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data))
        throw new ConfigError('tokens-object', {}, 'device tokens must be a JSON object of device id → token');
    for (const [id, token] of Object.entries(data as Record<string, unknown>)) {
        if (typeof token !== 'string' || token.length > TOKEN_MAX_LENGTH)
            throw new ConfigError(
                'token-too-long',
                { id, max: TOKEN_MAX_LENGTH },
                `the token of device ${id} must be a string of at most ${TOKEN_MAX_LENGTH} characters`,
            );
        if (token !== '') tokens.set(id, token);
    }
    return tokens;
}
