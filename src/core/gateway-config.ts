import { isIP } from 'node:net';
import { ID_PATTERN, LOCATION_MAX_LENGTH, TOKEN_MAX_LENGTH } from './gateway-protocol';
import type { GatewayLimits } from './gateway-limits';
import type { DeviceEntry } from './gateway-session';

export interface GatewayConfig {
    readonly host: string;
    readonly port: number;
    /** The id of the `tls-config` node, or '' for plain TCP. */
    readonly tls: string;
    readonly devices: readonly DeviceEntry[];
    readonly limits: GatewayLimits;
    /** Things that work but are probably not what the user meant (a device without a token…), as sentences. */
    readonly warnings: readonly string[];
}

export const DEFAULT_HOST = '127.0.0.1';
/** Node-RED's own editor is on 1880. */
export const DEFAULT_PORT = 1881;
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
} as const;

/** Bytes that may wait to be sent to one device, as a number of full lines: beyond it the device does not read. */
const OUTBOUND_LINES = 64;
const OUTBOUND_MIN_BYTES = 256 * 1024;

class ConfigError extends Error {}

const blank = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

function num(v: unknown): number | undefined {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    return Number.isFinite(n) ? n : undefined;
}

function limit(raw: Record<string, unknown>, key: keyof typeof LIMITS, what: string, whole: boolean): number {
    const { fallback, min, max } = LIMITS[key];
    if (blank(raw[key])) return fallback;
    const n = num(raw[key]);
    if (n === undefined || n < min || n > max || (whole && !Number.isInteger(n)))
        throw new ConfigError(`${what} must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`);
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
): { config: GatewayConfig } | { error: string } {
    try {
        return { config: parse(raw, credentials?.tokens) };
    } catch (err) {
        if (err instanceof ConfigError) return { error: err.message };
        throw err;
    }
}

function parse(raw: Record<string, unknown>, tokensText: unknown): GatewayConfig {
    const host = blank(raw.host) ? DEFAULT_HOST : typeof raw.host === 'string' ? raw.host.trim() : '';
    if (isIP(host) === 0 && !HOSTNAME.test(host))
        throw new ConfigError('host must be an IP address (such as 127.0.0.1 or 0.0.0.0) or a host name');
    const port = blank(raw.port) ? DEFAULT_PORT : num(raw.port);
    if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535)
        throw new ConfigError('port must be a whole number from 1 to 65535');
    const useTls = raw.usetls === true || raw.usetls === 'true';
    const tls = useTls && typeof raw.tls === 'string' ? raw.tls.trim() : '';
    if (useTls && tls === '') throw new ConfigError('TLS is on but no TLS configuration is chosen');

    const tokens = parseTokens(tokensText);
    const rows = raw.devices === undefined || raw.devices === null ? [] : raw.devices;
    if (!Array.isArray(rows)) throw new ConfigError('devices must be a list');
    if (rows.length > MAX_DEVICES) throw new ConfigError(`at most ${MAX_DEVICES} devices`);
    const devices: DeviceEntry[] = [];
    const seen = new Set<string>();
    const noToken: string[] = [];
    const shortToken: string[] = [];
    for (const row of rows as unknown[]) {
        const r = row !== null && typeof row === 'object' ? (row as Record<string, unknown>) : {};
        const id = typeof r.id === 'string' ? r.id.trim() : '';
        if (!ID_PATTERN.test(id))
            throw new ConfigError(
                `device id ${JSON.stringify(id)} is not valid: use letters, digits and . _ : - (not first), at most 64 characters`,
            );
        if (seen.has(id)) throw new ConfigError(`device ${id} is listed twice`);
        seen.add(id);
        const location = typeof r.location === 'string' ? r.location.trim() : '';
        if (location.length > LOCATION_MAX_LENGTH)
            throw new ConfigError(`the location of device ${id} is longer than ${LOCATION_MAX_LENGTH} characters`);
        const token = tokens.get(id);
        if (token === undefined) noToken.push(id);
        else if (token.length < SHORT_TOKEN) shortToken.push(id);
        devices.push({ id, token, location });
    }
    // One warning per kind, however many devices: a table of thousands must not flood the log.
    const warnings: string[] = [];
    if (devices.length === 0) warnings.push('the device table is empty, so no device can connect');
    if (noToken.length > 0)
        warnings.push(`${devicesText(noToken)} ${noToken.length === 1 ? 'has' : 'have'} no token, so cannot connect`);
    if (shortToken.length > 0)
        warnings.push(
            `the token of ${devicesText(shortToken)} is shorter than ${SHORT_TOKEN} characters: easy to guess`,
        );

    const maxLineBytes = limit(raw, 'maxLineBytes', 'maximum line length (bytes)', true);
    const limits: GatewayLimits = {
        maxConnections: limit(raw, 'maxConnections', 'maximum connections', true),
        maxLineBytes,
        messagesPerSecond: limit(raw, 'rate', 'messages per second per device', false),
        burst: limit(raw, 'burst', 'burst', true),
        helloTimeoutMs: Math.round(limit(raw, 'helloTimeout', 'hello timeout (s)', false) * 1000),
        idleTimeoutMs: Math.round(limit(raw, 'idleTimeout', 'idle timeout (s)', false) * 1000),
        maxOutboundBytes: Math.max(OUTBOUND_MIN_BYTES, OUTBOUND_LINES * maxLineBytes),
    };
    return { host, port, tls, devices, limits, warnings };
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
    if (typeof text !== 'string') throw new ConfigError('device tokens must be saved as JSON text');
    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch {
        throw new ConfigError('device tokens are not valid JSON: enter them again in the edit dialog');
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data))
        throw new ConfigError('device tokens must be a JSON object of device id → token');
    for (const [id, token] of Object.entries(data as Record<string, unknown>)) {
        if (typeof token !== 'string' || token.length > TOKEN_MAX_LENGTH)
            throw new ConfigError(
                `the token of device ${id} must be a string of at most ${TOKEN_MAX_LENGTH} characters`,
            );
        if (token !== '') tokens.set(id, token);
    }
    return tokens;
}
