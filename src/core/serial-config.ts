import { unescapeDelimiter, type DataBits, type Framing, type Parity, type StopBits } from './serial-connection';

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

const blank = (v: unknown): boolean => v === undefined || v === null || v === '';

/** A whole number in [min, max] from a number or numeric string, else undefined. */
function whole(v: unknown, min: number, max: number): number | undefined {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

/**
 * Reads a serial port config node's saved properties. Saved flows are user
 * data: every field is checked, and the first problem comes back as a
 * sentence naming the field and what would be right.
 */
export function parseSerialConfig(raw: Record<string, unknown>): { config: SerialConfig } | { error: string } {
    const path = typeof raw.path === 'string' ? raw.path.trim() : '';
    if (path === '') return { error: 'no serial port path is set' };
    const baudRate = blank(raw.baudRate) ? 9600 : whole(raw.baudRate, 1, 4_000_000);
    if (baudRate === undefined || !BAUD_RATES.includes(baudRate))
        return { error: `baud rate must be one of ${BAUD_RATES.join(', ')}` };
    const dataBits = blank(raw.dataBits) ? 8 : whole(raw.dataBits, 5, 8);
    if (dataBits === undefined) return { error: 'data bits must be 5, 6, 7 or 8' };
    const parity = blank(raw.parity) ? 'none' : raw.parity;
    if (!PARITIES.includes(parity as Parity)) return { error: `parity must be one of ${PARITIES.join(', ')}` };
    const stopBits = blank(raw.stopBits) ? 1 : Number(raw.stopBits);
    if (stopBits !== 1 && stopBits !== 1.5 && stopBits !== 2) return { error: 'stop bits must be 1, 1.5 or 2' };
    const maxLineLength = blank(raw.maxLineLength)
        ? DEFAULT_MAX_LINE_LENGTH
        : whole(raw.maxLineLength, 1, MAX_LINE_LENGTH_MAX);
    if (maxLineLength === undefined)
        return { error: `maximum line length must be a whole number from 1 to ${MAX_LINE_LENGTH_MAX}` };

    let framing: Framing;
    const kind = blank(raw.framing) ? 'delimiter' : raw.framing;
    if (kind === 'delimiter') {
        const delimiter = unescapeDelimiter(typeof raw.delimiter === 'string' ? raw.delimiter : '\\n');
        if (delimiter === '') return { error: 'the delimiter cannot be empty' };
        framing = { kind, delimiter };
    } else if (kind === 'length') {
        const length = whole(raw.length, 1, maxLineLength);
        if (length === undefined)
            return {
                error: `frame length must be a whole number from 1 to the maximum line length (${maxLineLength})`,
            };
        framing = { kind, length };
    } else if (kind === 'timeout') {
        const intervalMs = whole(raw.interByteTimeoutMs, 1, INTER_BYTE_TIMEOUT_MAX_MS);
        if (intervalMs === undefined)
            return { error: `inter-byte timeout must be a whole number of ms from 1 to ${INTER_BYTE_TIMEOUT_MAX_MS}` };
        framing = { kind, intervalMs };
    } else return { error: 'framing must be delimiter, length or timeout' };

    const mode = blank(raw.mode) ? 'push' : raw.mode;
    if (mode !== 'push' && mode !== 'request') return { error: 'mode must be push or request' };
    const requestTimeoutMs = blank(raw.requestTimeoutMs)
        ? DEFAULT_REQUEST_TIMEOUT_MS
        : whole(raw.requestTimeoutMs, 1, REQUEST_TIMEOUT_MAX_MS);
    if (requestTimeoutMs === undefined)
        return { error: `request timeout must be a whole number of ms from 1 to ${REQUEST_TIMEOUT_MAX_MS}` };

    return {
        config: {
            path,
            baudRate,
            dataBits: dataBits as DataBits,
            parity: parity as Parity,
            stopBits,
            framing,
            maxLineLength,
            mode,
            requestTimeoutMs,
        },
    };
}
