/**
 * The device gateway's wire protocol: one JSON object per line, UTF-8, each
 * line ending with `\n` (a `\r` before it is ignored).
 *
 * Device → gateway: `hello` (device id and token, first and once), `reading`,
 * `ping` (keepalive), `ack` (of a command). Gateway → device: `ack`, `command`,
 * `error`. Any message may carry an `id` (a string of at most 64 characters, or
 * a whole number): the gateway acknowledges a reading or ping that has one and
 * names it in an error about that message.
 *
 * Everything here is checked as hostile input: a line is decoded into one of
 * the message shapes below, or refused with a code and a sentence saying why.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
    defaultUnit,
    isSensorKind,
    SENSOR_KINDS_TEXT,
    toReadingValue,
    TEMPERATURE_UNITS,
    UNIT_MAX_LENGTH,
} from '../shared/reading';
import type { ReadingValue, SensorKind } from '../shared/reading';
import { describeValue, quote } from '../shared/texts';

export const PROTOCOL_VERSION = 1;

/** Device and sensor ids: safe in logs, topics and file names, and short. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const ID_MAX_LENGTH = 64;
export const TOKEN_MAX_LENGTH = 1024;
export const LOCATION_MAX_LENGTH = 256;
export const MESSAGE_ID_MAX_LENGTH = 64;
/**
 * Brackets a line may nest. Messages need 1; the rest is room for later
 * fields. JSON.parse of 100,000 nested arrays holds the event loop for
 * 150 ms, so the framing drops a deeper line before it is decoded or parsed.
 */
export const MAX_DEPTH = 16;
/** Later than any plausible clock (year 275760): a larger `ts` is not a time. */
const TS_MAX = 8.64e15;

export type MessageId = string | number;

export interface HelloMessage {
    readonly type: 'hello';
    readonly device: string;
    readonly token: string;
    readonly id?: MessageId;
}

export interface ReadingMessageIn {
    readonly type: 'reading';
    readonly sensor: string;
    readonly kind: SensorKind;
    readonly value: ReadingValue;
    /** When the device took the value, ms since 1970 (fractions allowed). */
    readonly ts?: number;
    readonly unit?: string;
    readonly location?: string;
    /** Optional; when present it must be the id the connection said hello with. */
    readonly device?: string;
    readonly id?: MessageId;
}

export interface PingMessage {
    readonly type: 'ping';
    readonly id?: MessageId;
}

export interface AckMessage {
    readonly type: 'ack';
    readonly id: MessageId;
}

export type DeviceMessage = HelloMessage | ReadingMessageIn | PingMessage | AckMessage;

/**
 * Why a line or a connection was refused. The first group refuses one message
 * (the connection stays); the rest end the connection.
 */
export type RefusalReason =
    | 'bad-json'
    | 'bad-message'
    | 'unknown-type'
    | 'bad-value'
    | 'wrong-device'
    | 'already-authenticated'
    | 'rate-limited'
    | 'line-too-long'
    | 'too-deep'
    | 'hello-required'
    | 'auth-failed'
    | 'hello-timeout'
    | 'idle-timeout'
    | 'auth-throttled'
    | 'too-many-connections'
    | 'too-many-pending'
    | 'slow-consumer'
    | 'tls-error';

export const REFUSAL_REASONS: readonly RefusalReason[] = [
    'bad-json',
    'bad-message',
    'unknown-type',
    'bad-value',
    'wrong-device',
    'already-authenticated',
    'rate-limited',
    'line-too-long',
    'too-deep',
    'hello-required',
    'auth-failed',
    'hello-timeout',
    'idle-timeout',
    'auth-throttled',
    'too-many-connections',
    'too-many-pending',
    'slow-consumer',
    'tls-error',
];

/** Error codes the gateway sends: every refusal, plus the two ways a good connection ends. */
export type ErrorCode = RefusalReason | 'replaced' | 'shutdown';

export type DecodeResult =
    | { readonly ok: true; readonly message: DeviceMessage }
    | {
          readonly ok: false;
          readonly code: 'bad-json' | 'bad-message' | 'unknown-type' | 'bad-value';
          readonly error: string;
          /** The message's type, when it had a known one (a refused reading is still a reading). */
          readonly type?: DeviceMessage['type'];
          readonly id?: MessageId;
      };

type Fields = Record<string, unknown>;

/** A field of the decoded object: own properties only, so `__proto__` or `constructor` in a line mean nothing. */
function field(obj: Fields, key: string): unknown {
    return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** A value for an English error text sent to a device (devices get no translation). */
const describe = (v: unknown): string => describeValue(v).message;

export function isValidId(v: unknown): v is string {
    return typeof v === 'string' && ID_PATTERN.test(v);
}

function isMessageId(v: unknown): v is MessageId {
    if (typeof v === 'string') return v.length > 0 && v.length <= MESSAGE_ID_MAX_LENGTH;
    return typeof v === 'number' && Number.isSafeInteger(v);
}

const ID_RULE = 'letters, digits and . _ : - (not first), at most 64 characters';

/** Decodes one line (without its line ending) from a device. Never throws. */
export function decodeLine(line: string): DecodeResult {
    let data: unknown;
    try {
        data = JSON.parse(line);
    } catch {
        return { ok: false, code: 'bad-json', error: 'the line is not valid JSON' };
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data))
        return { ok: false, code: 'bad-message', error: `a message must be a JSON object, got ${describe(data)}` };
    const obj = data as Fields;
    const rawId = field(obj, 'id');
    if (rawId !== undefined && !isMessageId(rawId))
        return {
            ok: false,
            code: 'bad-message',
            error: `id must be a string of 1 to ${MESSAGE_ID_MAX_LENGTH} characters or a whole number, got ${describe(rawId)}`,
        };
    const id = rawId;
    const type = field(obj, 'type');
    switch (type) {
        case 'hello':
            return decodeHello(obj, id);
        case 'reading':
            return decodeReading(obj, id);
        case 'ping':
            return { ok: true, message: id === undefined ? { type } : { type, id } };
        case 'ack':
            if (id === undefined)
                return { ok: false, code: 'bad-message', error: 'an ack needs the id of the command it acknowledges' };
            return { ok: true, message: { type, id } };
        default:
            return {
                ok: false,
                code: typeof type === 'string' ? 'unknown-type' : 'bad-message',
                error:
                    typeof type === 'string'
                        ? `unknown message type ${quote(type)}: use hello, reading, ping or ack`
                        : `type must be a string, got ${describe(type)}`,
                id,
            };
    }
}

function decodeHello(obj: Fields, id: MessageId | undefined): DecodeResult {
    const device = field(obj, 'device');
    const token = field(obj, 'token');
    const refuse = (error: string): DecodeResult => ({ ok: false, code: 'bad-message', error, type: 'hello', id });
    if (!isValidId(device)) return refuse(`hello: device must be an id (${ID_RULE}), got ${describe(device)}`);
    if (typeof token !== 'string' || token.length === 0 || token.length > TOKEN_MAX_LENGTH)
        return refuse(`hello: token must be a string of 1 to ${TOKEN_MAX_LENGTH} characters`);
    const hello: HelloMessage =
        id === undefined ? { type: 'hello', device, token } : { type: 'hello', device, token, id };
    return { ok: true, message: hello };
}

function decodeReading(obj: Fields, id: MessageId | undefined): DecodeResult {
    const refuse = (code: 'bad-message' | 'bad-value', error: string): DecodeResult => ({
        ok: false,
        code,
        error: `reading: ${error}`,
        type: 'reading',
        id,
    });
    const sensor = field(obj, 'sensor');
    if (!isValidId(sensor)) return refuse('bad-message', `sensor must be an id (${ID_RULE}), got ${describe(sensor)}`);
    const kind = field(obj, 'kind');
    if (!isSensorKind(kind)) return refuse('bad-message', `kind must be ${SENSOR_KINDS_TEXT}, got ${describe(kind)}`);
    const device = field(obj, 'device');
    if (device !== undefined && !isValidId(device))
        return refuse('bad-message', `device must be an id (${ID_RULE}), got ${describe(device)}`);
    const unit = field(obj, 'unit');
    const unitError = checkUnit(kind, unit);
    if (unitError !== undefined) return refuse('bad-value', unitError);
    // Values arrive in the unit the device names (or the kind's default): no conversion.
    const converted = toReadingValue(kind, defaultUnit(kind), field(obj, 'value'));
    if ('error' in converted) return refuse('bad-value', converted.error);
    const ts = field(obj, 'ts');
    if (ts !== undefined && (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0 || ts > TS_MAX))
        return refuse('bad-value', `ts must be a time in ms since 1970, got ${describe(ts)}`);
    const location = field(obj, 'location');
    if (location !== undefined && (typeof location !== 'string' || location.length > LOCATION_MAX_LENGTH))
        return refuse('bad-message', `location must be a string of at most ${LOCATION_MAX_LENGTH} characters`);
    const reading: ReadingMessageIn = {
        type: 'reading',
        sensor,
        kind,
        value: converted.value,
        ...(ts === undefined ? {} : { ts }),
        ...(unit === undefined ? {} : { unit: unit as string }),
        ...(location === undefined ? {} : { location }),
        ...(device === undefined ? {} : { device }),
        ...(id === undefined ? {} : { id }),
    };
    return { ok: true, message: reading };
}

function checkUnit(kind: SensorKind, unit: unknown): string | undefined {
    if (unit === undefined) return undefined;
    if (typeof unit !== 'string') return `unit must be a string, got ${describe(unit)}`;
    switch (kind) {
        case 'temperature':
            return TEMPERATURE_UNITS.includes(unit)
                ? undefined
                : `a temperature unit must be °C or °F, got ${quote(unit)}`;
        case 'humidity':
        case 'battery':
            return unit === '%' ? undefined : `a ${kind} unit must be %, got ${quote(unit)}`;
        case 'illuminance':
            return unit === 'lx' ? undefined : `an illuminance unit must be lx, got ${quote(unit)}`;
        case 'motion':
        case 'contact':
            return unit === '' ? undefined : `a ${kind} sensor has no unit`;
        case 'generic':
            return unit.length <= UNIT_MAX_LENGTH ? undefined : `unit is longer than ${UNIT_MAX_LENGTH} characters`;
    }
}

/** One line to a device. */
function line(obj: Record<string, unknown>): string {
    return `${JSON.stringify(obj)}\n`;
}

export interface AdvertisedLimits {
    readonly maxLineBytes: number;
    readonly messagesPerSecond: number;
    readonly burst: number;
    readonly idleTimeoutMs: number;
}

/** The answer to a good hello: the device's id and the limits it must keep to. */
export function encodeWelcome(device: string, limits: AdvertisedLimits, id: MessageId | undefined): string {
    return line({
        type: 'ack',
        for: 'hello',
        ...(id === undefined ? {} : { id }),
        device,
        v: PROTOCOL_VERSION,
        limits,
    });
}

export function encodeAck(forType: 'reading' | 'ping', id: MessageId | undefined): string {
    return line(id === undefined ? { type: 'ack', for: forType } : { type: 'ack', for: forType, id });
}

export function encodeError(code: ErrorCode, message: string, id?: MessageId): string {
    return line(id === undefined ? { type: 'error', code, message } : { type: 'error', code, message, id });
}

/**
 * A command from the flow. Throws (with a sentence) when the payload has no
 * JSON form, e.g. a BigInt or a circular object.
 */
export function encodeCommand(id: MessageId, payload: unknown, topic: string | undefined): string {
    const cmd: Record<string, unknown> = { type: 'command', id };
    if (topic !== undefined && topic !== '') cmd.topic = topic;
    cmd.payload = payload;
    let text: string | undefined;
    try {
        text = JSON.stringify(cmd);
    } catch (err) {
        throw new Error(`the payload cannot be sent as JSON (${(err as Error).message})`);
    }
    return `${text}\n`;
}

/** Accepted as `msg.commandId`: what a device can echo back in its ack. */
export function isCommandId(v: unknown): v is MessageId {
    return isMessageId(v);
}

/**
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`: the time taken
 * does not depend on where a guess first differs, nor on the token's length.
 */
export function tokenDigest(token: string): Buffer {
    return createHash('sha256').update(token, 'utf8').digest();
}

export function digestsEqual(a: Buffer, b: Buffer): boolean {
    return a.length === b.length && timingSafeEqual(a, b);
}
