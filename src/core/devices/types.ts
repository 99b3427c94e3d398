import { toReadingValue, type ReadingValue, type SensorKind } from '../shared/reading';
import { problem, quote, type Problem, type TextCode } from '../shared/texts';

/**
 * What a device profile turns one MQTT message into, and back. Profiles are
 * pure: no broker, no clock, no Node-RED; what they must remember between
 * messages (a Shelly's last status, Home Assistant's entity table, the last
 * feedback sent) lives in the state object the caller keeps per connection.
 */

/** A measured quantity of a device; `failure` instead of a value when the device reported that it has none. */
export interface DeviceReading {
    readonly type: 'reading';
    readonly deviceId: string;
    /** `<device>/<quantity>`, the contract's namespacing of a device's sensors. */
    readonly sensorId: string;
    readonly kind: SensorKind;
    readonly unit: string;
    readonly value?: ReadingValue;
    readonly failure?: Problem;
}

export interface DeviceAvailability {
    readonly type: 'availability';
    readonly deviceId: string;
    readonly online: boolean;
}

export type LockState = 'locked' | 'unlocked' | 'jammed';

/** What a light reports it is doing: brightness always 0–100, whatever the device's own scale. */
export interface LightFeedback {
    readonly type: 'light';
    readonly deviceId: string;
    readonly state: 'on' | 'off';
    readonly brightness?: number;
}

export interface LockFeedback {
    readonly type: 'lock';
    readonly deviceId: string;
    readonly state: LockState;
}

/** A message that did not parse: a code, the topic, and the offending text or key (`detail`). */
export interface DeviceProblem extends Problem {
    readonly type: 'problem';
    readonly topic: string;
    readonly detail: string;
}

export type DeviceEvent = DeviceReading | DeviceAvailability | LightFeedback | LockFeedback | DeviceProblem;

export interface OutgoingMessage {
    readonly topic: string;
    readonly payload: string;
}

export interface LightCommand {
    readonly state: 'on' | 'off';
    /** 0–100; absent keeps the device's own level. */
    readonly brightness?: number;
}

export type LockAction = 'lock' | 'unlock';

/** The last feedback sent per device, so a state reported twice (Tasmota answers a command twice) is sent once. */
export type FeedbackMemory = Map<string, string>;

export interface DeviceProfile<Config, State> {
    readonly name: string;
    readonly canLock: boolean;
    createState(config: Config): State;
    subscriptions(config: Config): string[];
    /** Never throws: a payload that does not parse becomes a problem event. */
    decode(topic: string, payload: Buffer, state: State): readonly DeviceEvent[];
    encodeLight(device: string, command: LightCommand, state: State): OutgoingMessage[];
    /** Empty for a profile whose devices have no lock. */
    encodeLock(device: string, action: LockAction, state: State): OutgoingMessage[];
}

export const NONE: readonly DeviceEvent[] = Object.freeze([]);

export type DeviceCode = Extract<TextCode, `device.${string}`>;

const ENGLISH: Readonly<Record<DeviceCode, string>> = {
    'device.not-json': 'the payload is not JSON',
    'device.not-object': 'the payload is not a JSON object',
    'device.value': 'a value of the wrong type',
    'device.state': 'a state this profile does not know',
    'device.template': 'a value template this node set does not evaluate (only simple ones)',
    'device.config': 'a discovery config without what it needs',
    'device.rpc-error': 'the device refused a request',
    'device.no-value': 'the device reported no value',
};

/** The codes of payloads that did not parse (a device's own "no value" is a failed reading instead). */
export const PARSE_PROBLEM_CODES = Object.keys(ENGLISH).filter((c) => c !== 'device.no-value') as readonly DeviceCode[];

export function deviceProblem(code: DeviceCode, topic: string, detail: string): DeviceProblem {
    const p = problem(code, { topic, detail }, `${topic}: ${ENGLISH[code]}: ${detail}`);
    return { type: 'problem', topic, detail, ...p };
}

/** The payload as text (MQTT payloads are bytes; every profile here speaks UTF-8). */
export function text(payload: Buffer): string {
    return payload.toString('utf8');
}

/** Parses a payload once; a problem event instead of an exception. */
export function parseObject(topic: string, payload: Buffer): Record<string, unknown> | DeviceProblem {
    let v: unknown;
    const s = text(payload);
    try {
        v = JSON.parse(s);
    } catch {
        return deviceProblem('device.not-json', topic, quote(s));
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
        return deviceProblem('device.not-object', topic, quote(s));
    return v as Record<string, unknown>;
}

export function isProblem(v: unknown): v is DeviceProblem {
    return (v as DeviceProblem | null)?.type === 'problem';
}

/** A reading checked against its kind (a battery above 100 % or a string temperature is a problem, not a reading). */
export function reading(
    out: DeviceEvent[],
    topic: string,
    deviceId: string,
    quantity: string,
    kind: SensorKind,
    unit: string,
    raw: unknown,
): void {
    const checked = toReadingValue(kind, '', raw);
    if ('error' in checked) {
        out.push(deviceProblem('device.value', topic, `${quantity}: ${checked.problem.message}`));
        return;
    }
    out.push({ type: 'reading', deviceId, sensorId: `${deviceId}/${quantity}`, kind, unit, value: checked.value });
}

/** States that say a device has no value now (ESPHome `nan`, Home Assistant `unknown`/`unavailable`). */
const NO_VALUE = new Set(['nan', 'NaN', '-nan', 'unknown', 'unavailable', 'None', '']);

/**
 * A reading from text or a template's result: a number for numeric kinds, a
 * failed reading (never NaN) for a device's "no value", a problem for the rest.
 */
export function textReading(
    out: DeviceEvent[],
    topic: string,
    deviceId: string,
    quantity: string,
    kind: SensorKind,
    unit: string,
    raw: unknown,
): void {
    if (typeof raw === 'number' && Number.isNaN(raw)) raw = 'nan';
    if (typeof raw !== 'string') {
        reading(out, topic, deviceId, quantity, kind, unit, raw);
        return;
    }
    const s = raw.trim();
    if (NO_VALUE.has(s)) {
        const failure = deviceProblem('device.no-value', topic, quote(s));
        out.push({ type: 'reading', deviceId, sensorId: `${deviceId}/${quantity}`, kind, unit, failure });
        return;
    }
    const n = Number(s);
    reading(out, topic, deviceId, quantity, kind, unit, Number.isFinite(n) ? n : s);
}

/** Pushes feedback unless it says what the device last said. */
export function feedback(out: DeviceEvent[], memory: FeedbackMemory, event: LightFeedback | LockFeedback): void {
    const key = event.type === 'light' ? `light ${event.state} ${event.brightness ?? ''}` : `lock ${event.state}`;
    if (memory.get(event.deviceId) === key) return;
    memory.set(event.deviceId, key);
    out.push(event);
}

/**
 * A command was sent: its answer is sent on even when it repeats the last
 * state (a lock told to lock that was locked must still answer, or the lock
 * node would call it jammed).
 */
export function expectAnswer(memory: FeedbackMemory, device: string): void {
    memory.delete(device);
}

/** A device's scale (0–254, 0–255) to 0–100, and back. */
/**
 * A light's report (`state` ON/OFF, `brightness` 0–`brightnessMax`) as feedback in the contract's 0–100, or a
 * problem naming the state it could not read.
 */
export function lightFeedback(
    out: DeviceEvent[],
    memory: FeedbackMemory,
    topic: string,
    deviceId: string,
    obj: Record<string, unknown>,
    brightnessMax: number,
): void {
    const on = onOff(obj.state);
    if (on === undefined) {
        out.push(deviceProblem('device.state', topic, `state ${show(obj.state)}`));
        return;
    }
    const b = finite(obj.brightness);
    feedback(out, memory, {
        type: 'light',
        deviceId,
        state: on ? 'on' : 'off',
        ...(b === undefined ? {} : { brightness: toPercent(b, brightnessMax) }),
    });
}

export function toPercent(v: number, max: number): number {
    return Math.round((Math.min(Math.max(v, 0), max) * 100) / max);
}

export function fromPercent(v: number, max: number): number {
    return Math.round((Math.min(Math.max(v, 0), 100) * max) / 100);
}

/** `online`/`offline` in any case, or `true`/`false` (Shelly); undefined for anything else. */
export function onlineText(s: string): boolean | undefined {
    const t = s.trim().toLowerCase();
    if (t === 'online' || t === 'true') return true;
    if (t === 'offline' || t === 'false') return false;
    return undefined;
}

export function availability(out: DeviceEvent[], topic: string, deviceId: string, s: string): void {
    const online = onlineText(s);
    if (online === undefined) out.push(deviceProblem('device.state', topic, quote(s)));
    else out.push({ type: 'availability', deviceId, online });
}

/** ON/OFF (any case) as a boolean. */
export function onOff(v: unknown): boolean | undefined {
    if (typeof v === 'boolean') return v;
    if (typeof v !== 'string') return undefined;
    const t = v.toUpperCase();
    return t === 'ON' ? true : t === 'OFF' ? false : undefined;
}

/** Any JSON value as short text for a problem's detail. */
export function show(v: unknown): string {
    if (typeof v === 'string') return quote(v);
    // undefined (and functions) have no JSON.
    return quote(v === undefined || typeof v === 'function' ? typeof v : JSON.stringify(v));
}

export function finite(v: unknown): number | undefined {
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
