import type { SensorKind } from '../shared/reading';
import {
    availability,
    deviceProblem,
    expectAnswer,
    feedback,
    finite,
    fromPercent,
    isProblem,
    lightFeedback,
    NONE,
    parseObject,
    reading,
    text,
    show,
    type DeviceEvent,
    type DeviceProfile,
    type FeedbackMemory,
    type LockState,
} from './types';

/**
 * Zigbee2MQTT: one JSON object per device on `<base>/<friendly name>` (names
 * may contain `/`), availability on `<base>/<name>/availability`, commands on
 * `<base>/<name>/set`.
 */

export interface Zigbee2MqttConfig {
    /** `zigbee2mqtt` unless the bridge's `base_topic` is changed. */
    readonly baseTopic?: string;
}

export interface Zigbee2MqttState {
    readonly prefix: string;
    readonly feedback: FeedbackMemory;
}

/** Payload keys that are readings, with their kind and unit. */
const QUANTITIES: ReadonlyArray<readonly [key: string, kind: SensorKind, unit: string]> = [
    ['temperature', 'temperature', '°C'],
    ['humidity', 'humidity', '%'],
    ['occupancy', 'motion', ''],
    ['contact', 'contact', ''],
    ['battery', 'battery', '%'],
    ['pressure', 'generic', 'hPa'],
    ['co2', 'generic', 'ppm'],
];

/** Zigbee2MQTT's own lock states; `not_fully_locked` is a bolt that did not reach its end. */
// Maps, not object literals: a device sending "constructor" must not find Object's own keys.
const LOCK_STATES: ReadonlyMap<string, LockState> = new Map([
    ['locked', 'locked'],
    ['unlocked', 'unlocked'],
    ['not_fully_locked', 'jammed'],
]);

const BRIGHTNESS_MAX = 254;

function base(config: Zigbee2MqttConfig): string {
    return config.baseTopic || 'zigbee2mqtt';
}

export const zigbee2mqtt: DeviceProfile<Zigbee2MqttConfig, Zigbee2MqttState> = {
    name: 'zigbee2mqtt',
    canLock: true,
    createState: (config) => ({ prefix: `${base(config)}/`, feedback: new Map() }),
    subscriptions: (config) => [`${base(config)}/#`],
    decode(topic, payload, state) {
        if (!topic.startsWith(state.prefix)) return NONE;
        const rest = topic.slice(state.prefix.length);
        // The bridge's own topics, and commands (ours or another client's) seen on the wildcard.
        if (rest.startsWith('bridge/') || rest.endsWith('/set') || rest.endsWith('/get') || rest.includes('/set/'))
            return NONE;
        if (rest.endsWith('/availability')) return decodeAvailability(topic, rest.slice(0, -13), payload);
        return decodeDevice(topic, rest, payload, state);
    },
    encodeLight(device, command, state) {
        expectAnswer(state.feedback, device);
        const body: Record<string, unknown> = { state: command.state === 'on' ? 'ON' : 'OFF' };
        if (command.state === 'on' && command.brightness !== undefined)
            body.brightness = fromPercent(command.brightness, BRIGHTNESS_MAX);
        return [{ topic: `${state.prefix}${device}/set`, payload: JSON.stringify(body) }];
    },
    encodeLock(device, action, state) {
        expectAnswer(state.feedback, device);
        return [
            {
                topic: `${state.prefix}${device}/set`,
                payload: JSON.stringify({ state: action === 'lock' ? 'LOCK' : 'UNLOCK' }),
            },
        ];
    },
};

/** 1.x sends plain `online`/`offline`, 2.0 `{"state":"online"}`. */
function decodeAvailability(topic: string, device: string, payload: Buffer): DeviceEvent[] {
    const out: DeviceEvent[] = [];
    const s = text(payload);
    if (s.charCodeAt(0) === 123 /* { */) {
        const obj = parseObject(topic, payload);
        if (isProblem(obj)) return [obj];
        availability(out, topic, device, typeof obj.state === 'string' ? obj.state : '');
    } else availability(out, topic, device, s);
    return out;
}

function decodeDevice(topic: string, device: string, payload: Buffer, state: Zigbee2MqttState): DeviceEvent[] {
    const obj = parseObject(topic, payload);
    if (isProblem(obj)) return [obj];
    const out: DeviceEvent[] = [];
    for (const [key, kind, unit] of QUANTITIES) {
        const v = obj[key];
        if (v !== undefined && v !== null) reading(out, topic, device, key, kind, unit, v);
    }
    // 1.x: `illuminance` is a raw value and `illuminance_lux` the lux; 2.0 dropped `illuminance_lux` and reports lux
    // in `illuminance`. Either way one reading, in lux.
    const lux = obj.illuminance_lux ?? obj.illuminance;
    if (lux !== undefined && lux !== null) reading(out, topic, device, 'illuminance', 'illuminance', 'lx', lux);
    voltage(out, topic, device, obj);
    lightOrLock(out, topic, device, obj, state);
    return out;
}

/** Battery devices report millivolts, mains devices (plugs) volts: carried in volts either way. */
function voltage(out: DeviceEvent[], topic: string, device: string, obj: Record<string, unknown>): void {
    const v = obj.voltage;
    if (v === undefined || v === null) return;
    const battery = obj.battery !== undefined || obj.battery_low !== undefined;
    const n = finite(v);
    reading(out, topic, device, 'voltage', 'generic', 'V', n !== undefined && battery ? n / 1000 : v);
}

function lightOrLock(
    out: DeviceEvent[],
    topic: string,
    device: string,
    obj: Record<string, unknown>,
    state: Zigbee2MqttState,
): void {
    // A lock's `state` is the last command (LOCK/UNLOCK); what the bolt did is `lock_state`.
    if (obj.lock_state !== undefined) {
        const lock = typeof obj.lock_state === 'string' ? LOCK_STATES.get(obj.lock_state) : undefined;
        if (lock === undefined) out.push(deviceProblem('device.state', topic, `lock_state ${show(obj.lock_state)}`));
        else feedback(out, state.feedback, { type: 'lock', deviceId: device, state: lock });
        return;
    }
    if (obj.state === undefined) return;
    lightFeedback(out, state.feedback, topic, device, obj, BRIGHTNESS_MAX);
}
