import { blank, choiceField, ConfigError, settle, type Raw } from '../shared/config-fields';
import { unescapeDelimiter, type DataBits, type Framing, type Parity, type StopBits } from './connection';

export type SerialMode = 'push' | 'request';

export interface SerialConfig {
    readonly path: string;
    readonly baudRate: number;
    readonly dataBits: DataBits;
    readonly parity: Parity;
    readonly stopBits: StopBits;
    readonly framing: Framing;
    readonly maxLineLength: number;
    readonly mode: SerialMode;
    readonly requestTimeoutMs: number;
}

export const BAUD_RATES: readonly number[] = [
    110, 300, 600, 1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200, 230400, 460800, 921600,
];
export const PARITIES: readonly Parity[] = ['none', 'even', 'odd', 'mark', 'space'];
export const DEFAULT_MAX_LINE_LENGTH = 1024;
export const MAX_LINE_LENGTH_MAX = 65536;
export const DEFAULT_REQUEST_TIMEOUT_MS = 1000;
export const REQUEST_TIMEOUT_MAX_MS = 600_000;
export const INTER_BYTE_TIMEOUT_MAX_MS = 60_000;

/**
 * The ranges of the whole-number fields, by property, for the editor. A frame's length is at most the port's
 * maximum line length, which is `fallback` when left blank.
 */
export const SERIAL_LIMITS = {
    maxLineLength: { fallback: DEFAULT_MAX_LINE_LENGTH, min: 1, max: MAX_LINE_LENGTH_MAX },
    length: { min: 1, max: MAX_LINE_LENGTH_MAX },
    interByteTimeoutMs: { min: 1, max: INTER_BYTE_TIMEOUT_MAX_MS },
    requestTimeoutMs: { min: 1, max: REQUEST_TIMEOUT_MAX_MS },
} as const;

/** A whole number in [min, max] from a number or numeric string, else undefined. */
function whole(v: unknown, min: number, max: number): number | undefined {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/** A whole number property in [min, max], `fallback` when blank. */
function wholeOf(raw: Raw, key: string, min: number, max: number, fallback: number, message: string): number {
    if (blank(raw[key])) return fallback;
    const n = whole(raw[key], min, max);
    if (n === undefined) throw new ConfigError('whole', { field: key, min, max }, message);
    return n;
}

/**
 * Reads a serial port config node's saved properties. Saved flows are user
 * data: every field is checked, and the first problem comes back as a
 * sentence naming the field and what would be right.
 */
export function parseSerialConfig(raw: Raw): { config: SerialConfig } | { error: string; problem: ConfigError } {
    return settle(() => parse(raw));
}

function parse(raw: Raw): SerialConfig {
    const path = typeof raw.path === 'string' ? raw.path.trim() : '';
    if (path === '') throw new ConfigError('required', { field: 'path' }, 'no serial port path is set');
    const baudRate = blank(raw.baudRate) ? 9600 : whole(raw.baudRate, 1, 4_000_000);
    if (baudRate === undefined || !BAUD_RATES.includes(baudRate))
        throw new ConfigError(
            'choice',
            { field: 'baudRate', choices: BAUD_RATES.join(', ') },
            `baud rate must be one of ${BAUD_RATES.join(', ')}`,
        );
    const dataBits = blank(raw.dataBits) ? 8 : whole(raw.dataBits, 5, 8);
    if (dataBits === undefined)
        throw new ConfigError('choice', { field: 'dataBits', choices: '5, 6, 7, 8' }, 'data bits must be 5, 6, 7 or 8');
    const parity = choiceField(raw, 'parity', PARITIES, `parity must be one of ${PARITIES.join(', ')}`, 'none');
    const stopBits = blank(raw.stopBits) ? 1 : Number(raw.stopBits);
    if (stopBits !== 1 && stopBits !== 1.5 && stopBits !== 2)
        throw new ConfigError('choice', { field: 'stopBits', choices: '1, 1.5, 2' }, 'stop bits must be 1, 1.5 or 2');
    const maxLineLength = wholeOf(
        raw,
        'maxLineLength',
        1,
        MAX_LINE_LENGTH_MAX,
        DEFAULT_MAX_LINE_LENGTH,
        `maximum line length must be a whole number from 1 to ${MAX_LINE_LENGTH_MAX}`,
    );

    let framing: Framing;
    const kind = choiceField(
        raw,
        'framing',
        ['delimiter', 'length', 'timeout'] as const,
        'framing must be delimiter, length or timeout',
        'delimiter',
    );
    if (kind === 'delimiter') {
        const delimiter = unescapeDelimiter(typeof raw.delimiter === 'string' ? raw.delimiter : '\\n');
        if (delimiter === '')
            throw new ConfigError('required', { field: 'delimiter' }, 'the delimiter cannot be empty');
        framing = { kind, delimiter };
    } else if (kind === 'length') {
        const length = whole(raw.length, 1, maxLineLength);
        if (length === undefined)
            throw new ConfigError(
                'whole',
                { field: 'length', min: 1, max: maxLineLength },
                `frame length must be a whole number from 1 to the maximum line length (${maxLineLength})`,
            );
        framing = { kind, length };
    } else {
        const intervalMs = whole(raw.interByteTimeoutMs, 1, INTER_BYTE_TIMEOUT_MAX_MS);
        if (intervalMs === undefined)
            throw new ConfigError(
                'whole',
                { field: 'interByteTimeoutMs', min: 1, max: INTER_BYTE_TIMEOUT_MAX_MS },
                `inter-byte timeout must be a whole number of ms from 1 to ${INTER_BYTE_TIMEOUT_MAX_MS}`,
            );
        framing = { kind, intervalMs };
    }

    const mode = choiceField<SerialMode>(raw, 'mode', ['push', 'request'], 'mode must be push or request', 'push');
    const requestTimeoutMs = wholeOf(
        raw,
        'requestTimeoutMs',
        1,
        REQUEST_TIMEOUT_MAX_MS,
        DEFAULT_REQUEST_TIMEOUT_MS,
        `request timeout must be a whole number of ms from 1 to ${REQUEST_TIMEOUT_MAX_MS}`,
    );

    return {
        path,
        baudRate,
        dataBits: dataBits as DataBits,
        parity,
        stopBits,
        framing,
        maxLineLength,
        mode,
        requestTimeoutMs,
    };
}
