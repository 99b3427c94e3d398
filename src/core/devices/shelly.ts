import type { SensorKind } from '../shared/reading';
import {
    availability,
    deviceProblem,
    expectAnswer,
    feedback,
    finite,
    isProblem,
    NONE,
    parseObject,
    reading,
    text,
    show,
    type DeviceEvent,
    type DeviceProfile,
    type FeedbackMemory,
    type OutgoingMessage,
} from './types';

/**
 * Shelly Gen2+ over MQTT: status notifications on `<id>/events/rpc`
 * (`NotifyFullStatus`, and `NotifyStatus` with only what changed),
 * `<id>/online` true/false, RPC requests on `<id>/rpc` whose `src` names the
 * topic prefix the reply comes back on (`<src>/rpc`).
 */

export interface ShellyConfig {
    /** Device ids (their MQTT topic prefixes); none: every device. */
    readonly devices?: readonly string[];
    /** The `src` of our requests: replies come on `<src>/rpc`. */
    readonly src?: string;
}

/** Component key (`switch:0`) → its last known status; a Map, so a key `__proto__` is just a key. */
type Status = Map<string, Record<string, unknown>>;

export interface ShellyState {
    readonly src: string;
    readonly replyTopic: string;
    /** The last known status per device, each notification merged onto it. */
    readonly status: Map<string, Status>;
    readonly feedback: FeedbackMemory;
    nextId: number;
}

/** Component types that are readings: the field that holds the value, and its kind and unit. */
type ReadingSpec = readonly [field: string, sub: string | undefined, SensorKind, string];
// A Map, not an object literal: a component named "constructor:0" must not find Object's own keys.
const READINGS: ReadonlyMap<string, ReadingSpec> = new Map<string, ReadingSpec>([
    ['temperature', ['tC', undefined, 'temperature', '°C']],
    ['humidity', ['rh', undefined, 'humidity', '%']],
    ['illuminance', ['lux', undefined, 'illuminance', 'lx']],
    ['devicepower', ['battery', 'percent', 'battery', '%']],
]);

function src(config: ShellyConfig): string {
    return config.src || 'sensorhub';
}

export const shelly: DeviceProfile<ShellyConfig, ShellyState> = {
    name: 'shelly',
    canLock: false,
    createState: (config) => ({
        src: src(config),
        replyTopic: `${src(config)}/rpc`,
        status: new Map(),
        feedback: new Map(),
        nextId: 1,
    }),
    subscriptions(config) {
        const ids = config.devices !== undefined && config.devices.length > 0 ? config.devices : ['+'];
        return [...ids.flatMap((id) => [`${id}/events/rpc`, `${id}/online`]), `${src(config)}/rpc`];
    },
    decode(topic, payload, state) {
        if (topic === state.replyTopic) return decodeReply(topic, payload);
        if (topic.endsWith('/events/rpc')) return decodeNotification(topic, topic.slice(0, -11), payload, state);
        if (topic.endsWith('/online')) {
            const out: DeviceEvent[] = [];
            availability(out, topic, topic.slice(0, -7), text(payload));
            return out;
        }
        return NONE;
    },
    encodeLight(device, command, state) {
        const [id, component] = target(device);
        expectAnswer(state.feedback, `${id}/${component.type}:${component.index}`);
        const on = command.state === 'on';
        const params: Record<string, unknown> = { id: component.index, on };
        // Only a dimmer (light:N) has a brightness; a relay (switch:N) just switches.
        if (component.type === 'light' && on && command.brightness !== undefined)
            params.brightness = Math.min(100, Math.max(0, Math.round(command.brightness)));
        return [request(id, component.type === 'light' ? 'Light.Set' : 'Switch.Set', params, state)];
    },
    encodeLock: () => [],
};

/** A device is `<id>` (its switch:0) or `<id>/switch:N` / `<id>/light:N`. */
function target(device: string): [string, { type: string; index: number }] {
    const slash = device.lastIndexOf('/');
    const colon = device.lastIndexOf(':');
    if (slash < 0 || colon < slash) return [device, { type: 'switch', index: 0 }];
    const index = Number(device.slice(colon + 1));
    return [
        device.slice(0, slash),
        { type: device.slice(slash + 1, colon), index: Number.isInteger(index) && index >= 0 ? index : 0 },
    ];
}

function request(id: string, method: string, params: Record<string, unknown>, state: ShellyState): OutgoingMessage {
    const body = { id: state.nextId++, src: state.src, method, params };
    return { topic: `${id}/rpc`, payload: JSON.stringify(body) };
}

function decodeReply(topic: string, payload: Buffer): readonly DeviceEvent[] {
    const obj = parseObject(topic, payload);
    if (isProblem(obj)) return [obj];
    const error: unknown = obj.error;
    if (typeof error !== 'object' || error === null) return NONE;
    const { code, message } = error as { code?: unknown; message?: unknown };
    return [deviceProblem('device.rpc-error', topic, `${show(obj.src)}: ${show(code)} ${show(message)}`)];
}

function decodeNotification(topic: string, id: string, payload: Buffer, state: ShellyState): readonly DeviceEvent[] {
    const obj = parseObject(topic, payload);
    if (isProblem(obj)) return [obj];
    const full = obj.method === 'NotifyFullStatus';
    if (!full && obj.method !== 'NotifyStatus') return NONE;
    const params = obj.params;
    if (typeof params !== 'object' || params === null || Array.isArray(params))
        return [deviceProblem('device.value', topic, `params: ${show(params)}`)];
    let status = state.status.get(id);
    if (full || status === undefined) {
        status = new Map();
        state.status.set(id, status);
    }
    const out: DeviceEvent[] = [];
    for (const key in params) {
        const delta = (params as Record<string, unknown>)[key];
        if (typeof delta !== 'object' || delta === null || Array.isArray(delta)) continue;
        const merged = { ...status.get(key), ...(delta as Record<string, unknown>) };
        status.set(key, merged);
        component(out, topic, id, key, merged, state);
    }
    return out;
}

/** A component touched by this notification, read from its merged status. */
function component(
    out: DeviceEvent[],
    topic: string,
    id: string,
    key: string,
    c: Record<string, unknown>,
    state: ShellyState,
): void {
    const colon = key.indexOf(':');
    if (colon < 0) return;
    const type = key.slice(0, colon);
    const spec = READINGS.get(type);
    if (spec !== undefined) {
        const [field, sub, kind, unit] = spec;
        let v = c[field];
        if (sub !== undefined)
            v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[sub] : undefined;
        // A sensor that has not measured yet reports null, and a notification may not touch this field.
        if (v !== undefined && v !== null) reading(out, topic, id, key, kind, unit, v);
        return;
    }
    if ((type === 'switch' || type === 'light') && typeof c.output === 'boolean') {
        const b = type === 'light' ? finite(c.brightness) : undefined;
        feedback(out, state.feedback, {
            type: 'light',
            deviceId: `${id}/${key}`,
            state: c.output ? 'on' : 'off',
            ...(b === undefined ? {} : { brightness: b }),
        });
    }
}
