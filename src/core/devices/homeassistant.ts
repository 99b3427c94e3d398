import { ORIGIN_NAME } from '../ha/discovery';
import { round2, type SensorKind } from '../shared/reading';
import { quote } from '../shared/texts';
import { applyTemplate, compileTemplate, PLAIN_VALUE, type ValueTemplate } from './template';
import {
    availability,
    deviceProblem,
    expectAnswer,
    feedback,
    finite,
    fromPercent,
    NONE,
    text,
    textReading,
    toPercent,
    show,
    type DeviceEvent,
    type DeviceProblem,
    type DeviceProfile,
    type FeedbackMemory,
    type LockState,
    type OutgoingMessage,
} from './types';

/**
 * Home Assistant MQTT discovery: retained configs on
 * `<prefix>/<component>/[<node_id>/]<object_id>/config`, or one per device on
 * `<prefix>/device/<id>/config` (HA 2024.11+, its entities under `cmps`),
 * describe each entity's topics. The state keeps the entity table and maps
 * state topics to readings; the adapter subscribes to `stateTopics(state)`.
 */

export interface DiscoveryConfig {
    /** `homeassistant` unless Home Assistant's discovery prefix is changed. */
    readonly prefix?: string;
}

type Component = 'sensor' | 'binary_sensor' | 'light' | 'switch' | 'lock';

export interface Entity {
    readonly component: Component;
    readonly deviceId: string;
    readonly quantity: string;
    readonly kind: SensorKind;
    readonly unit: string;
    readonly stateTopic?: string;
    readonly commandTopic?: string;
    readonly template: ValueTemplate;
    /** binary_sensor, light, switch: the payloads for on and off (a door's "on" is open). */
    readonly on: string;
    readonly off: string;
    readonly inverted: boolean;
    readonly fahrenheit: boolean;
    readonly jsonSchema: boolean;
    readonly brightnessScale: number;
    readonly brightnessTopic?: string;
    readonly lockStates: ReadonlyMap<string, LockState>;
    readonly lockPayloads: Readonly<Record<'lock' | 'unlock', string>>;
    readonly availability: readonly string[];
    readonly available: string;
    readonly notAvailable: string;
}

export interface DiscoveryState {
    readonly prefix: string;
    /** Discovery topic → its entities (one, or a device's components). */
    readonly configs: Map<string, readonly Entity[]>;
    /** Derived from `configs` on every config change (rare), so a state message costs one lookup. */
    byState: Map<string, readonly Entity[]>;
    byAvailability: Map<string, readonly Entity[]>;
    byDevice: Map<string, readonly Entity[]>;
    readonly feedback: FeedbackMemory;
}

/** Home Assistant's documented abbreviations (the ones these components use). */
// Maps, not object literals: a config's key "constructor" must not find Object's own keys.
const ABBREVIATIONS: ReadonlyMap<string, string> = new Map([
    ['avty', 'availability'],
    ['avty_mode', 'availability_mode'],
    ['avty_t', 'availability_topic'],
    ['avty_tpl', 'availability_template'],
    ['bri_cmd_t', 'brightness_command_topic'],
    ['bri_scl', 'brightness_scale'],
    ['bri_stat_t', 'brightness_state_topic'],
    ['bri_val_tpl', 'brightness_value_template'],
    ['cmd_t', 'command_topic'],
    ['cmd_tpl', 'command_template'],
    ['cmps', 'components'],
    ['dev', 'device'],
    ['dev_cla', 'device_class'],
    ['ids', 'identifiers'],
    ['json_attr_t', 'json_attributes_topic'],
    ['mf', 'manufacturer'],
    ['mdl', 'model'],
    ['obj_id', 'object_id'],
    ['o', 'origin'],
    ['p', 'platform'],
    ['pl_avail', 'payload_available'],
    ['pl_not_avail', 'payload_not_available'],
    ['pl_lock', 'payload_lock'],
    ['pl_unlk', 'payload_unlock'],
    ['pl_on', 'payload_on'],
    ['pl_off', 'payload_off'],
    ['stat_cla', 'state_class'],
    ['stat_jam', 'state_jammed'],
    ['stat_locked', 'state_locked'],
    ['stat_locking', 'state_locking'],
    ['stat_t', 'state_topic'],
    ['stat_unlocked', 'state_unlocked'],
    ['stat_unlocking', 'state_unlocking'],
    ['stat_val_tpl', 'state_value_template'],
    ['sw', 'sw_version'],
    ['t', 'topic'],
    ['uniq_id', 'unique_id'],
    ['unit_of_meas', 'unit_of_measurement'],
    ['val_tpl', 'value_template'],
]);

const COMPONENTS: readonly string[] = ['sensor', 'binary_sensor', 'light', 'switch', 'lock'];

const SENSOR_CLASSES: ReadonlyMap<string, SensorKind> = new Map([
    ['temperature', 'temperature'],
    ['humidity', 'humidity'],
    ['illuminance', 'illuminance'],
    ['battery', 'battery'],
]);

/** Binary classes that are contacts: Home Assistant's "on" is open, the contract's `true` is closed. */
const CONTACT_CLASSES = new Set(['door', 'window', 'opening', 'garage_door']);
const MOTION_CLASSES = new Set(['motion', 'occupancy', 'presence']);

type Fields = Record<string, unknown>;

export const homeAssistant: DeviceProfile<DiscoveryConfig, DiscoveryState> & {
    stateTopics(state: DiscoveryState): string[];
} = {
    name: 'homeassistant',
    canLock: true,
    createState: (config) => ({
        prefix: `${config.prefix || 'homeassistant'}/`,
        configs: new Map(),
        byState: new Map(),
        byAvailability: new Map(),
        byDevice: new Map(),
        feedback: new Map(),
    }),
    subscriptions: (config) => [`${config.prefix || 'homeassistant'}/#`],
    stateTopics: (state) => [...new Set([...state.byState.keys(), ...state.byAvailability.keys()])],
    decode(topic, payload, state) {
        const entities = state.byState.get(topic);
        const watchers = state.byAvailability.get(topic);
        if (entities === undefined && watchers === undefined) {
            if (!topic.startsWith(state.prefix) || !topic.endsWith('/config')) return NONE;
            const problem = learn(state, topic, payload);
            return problem === undefined ? NONE : [problem];
        }
        const out: DeviceEvent[] = [];
        const s = text(payload);
        if (entities !== undefined) decodeState(out, topic, s, entities, state);
        if (watchers !== undefined) decodeAvailability(out, topic, s, watchers);
        return out;
    },
    encodeLight(device, command, state) {
        expectAnswer(state.feedback, device);
        const e = (state.byDevice.get(device) ?? []).find((x) => x.component === 'light' || x.component === 'switch');
        return e === undefined || e.commandTopic === undefined ? [] : lightCommand(e, e.commandTopic, command);
    },
    encodeLock(device, action, state) {
        expectAnswer(state.feedback, device);
        const e = (state.byDevice.get(device) ?? []).find((x) => x.component === 'lock');
        if (e === undefined || e.commandTopic === undefined) return [];
        return [{ topic: e.commandTopic, payload: e.lockPayloads[action] }];
    },
};

function lightCommand(
    e: Entity,
    topic: string,
    command: { state: 'on' | 'off'; brightness?: number },
): OutgoingMessage[] {
    const on = command.state === 'on';
    if (e.jsonSchema) {
        const body: Fields = { state: on ? 'ON' : 'OFF' };
        if (on && command.brightness !== undefined)
            body.brightness = fromPercent(command.brightness, e.brightnessScale);
        return [{ topic, payload: JSON.stringify(body) }];
    }
    return [{ topic, payload: on ? e.on : e.off }];
}

// ---- discovery -------------------------------------------------------------------------------------------------

/** Takes in (or, for an empty retained payload, deletes) one discovery config. */
function learn(state: DiscoveryState, topic: string, payload: Buffer): DeviceProblem | undefined {
    const levels = topic.slice(state.prefix.length).split('/');
    if (levels.length < 3 || levels.length > 4) return undefined;
    if (payload.length === 0) {
        if (state.configs.delete(topic)) reindex(state);
        return undefined;
    }
    let raw: unknown;
    try {
        raw = JSON.parse(text(payload));
    } catch {
        return deviceProblem('device.not-json', topic, quote(text(payload)));
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        return deviceProblem('device.not-object', topic, quote(text(payload)));
    const config = expand(raw as Fields);
    if (announcedBySensorHub(config)) {
        // This package's own entities (this or another Node-RED): their readings are on a hub already, and reading
        // them back would make each sensor a second time. Between Node-REDs, an MQTT hub carries them.
        if (state.configs.delete(topic)) reindex(state);
        return undefined;
    }
    const nodeId = levels.length === 4 ? levels[1] : undefined;
    const found =
        levels[0] === 'device'
            ? deviceEntities(topic, config, levels[1])
            : entity(topic, levels[0], config, nodeId, levels[levels.length - 2], undefined);
    if (!Array.isArray(found)) return found;
    if (found.length === 0) {
        if (state.configs.delete(topic)) reindex(state);
        return undefined;
    }
    state.configs.set(topic, found);
    reindex(state);
    return undefined;
}

function announcedBySensorHub(config: Fields): boolean {
    return isFields(config.origin) && config.origin.name === ORIGIN_NAME;
}

/** One message per device: shared keys (device, availability, `~`…) apply to every component. */
function deviceEntities(topic: string, config: Fields, id: string): Entity[] | DeviceProblem {
    const cmps = config.components;
    if (typeof cmps !== 'object' || cmps === null || Array.isArray(cmps))
        return deviceProblem('device.config', topic, 'components');
    const out: Entity[] = [];
    for (const [key, c] of Object.entries(cmps as Fields)) {
        if (typeof c !== 'object' || c === null) return deviceProblem('device.config', topic, `components.${key}`);
        const own = c as Fields;
        const merged = { ...config, ...own };
        delete merged.components;
        const e = entity(topic, typeof own.platform === 'string' ? own.platform : '', merged, undefined, key, id);
        if (!Array.isArray(e)) return e;
        out.push(...e);
    }
    return out;
}

/** Long names for abbreviated keys (nested in device, availability and components too), then `~` expanded. */
function expand(config: Fields): Fields {
    const out = expandKeys(config);
    const base = typeof out['~'] === 'string' ? out['~'] : undefined;
    return base === undefined ? out : (expandBase(out, base) as Fields);
}

function expandKeys(v: Fields): Fields {
    const out: Fields = {};
    for (const [k, x] of Object.entries(v)) {
        const key = ABBREVIATIONS.get(k) ?? k;
        // JSON.parse makes `__proto__` an own key; assigning it here would set the prototype.
        if (key === '__proto__') continue;
        out[key] = Array.isArray(x)
            ? (x as unknown[]).map((i) => (isFields(i) ? expandKeys(i) : i))
            : isFields(x)
              ? expandKeys(x)
              : x;
    }
    return out;
}

function expandBase(v: unknown, base: string, key = ''): unknown {
    if (typeof v === 'string') {
        if (key !== 'topic' && !key.endsWith('_topic')) return v;
        if (v.startsWith('~')) return base + v.slice(1);
        if (v.endsWith('~')) return v.slice(0, -1) + base;
        return v;
    }
    if (Array.isArray(v)) return v.map((x) => expandBase(x, base, key));
    if (!isFields(v)) return v;
    const out: Fields = {};
    for (const [k, x] of Object.entries(v)) out[k] = expandBase(x, base, k);
    return out;
}

function isFields(v: unknown): v is Fields {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(c: Fields, key: string): string | undefined {
    const v = c[key];
    return typeof v === 'string' && v !== '' ? v : undefined;
}

/** An entity from its (expanded) config; none for a component this node set does not read or drive. */
function entity(
    topic: string,
    component: string,
    c: Fields,
    nodeId: string | undefined,
    objectId: string,
    deviceKey: string | undefined,
): Entity[] | DeviceProblem {
    if (!COMPONENTS.includes(component)) return [];
    const stateTopic = str(c, 'state_topic');
    const commandTopic = str(c, 'command_topic');
    if (stateTopic === undefined && commandTopic === undefined)
        return deviceProblem('device.config', topic, 'state_topic');
    const tplText = str(c, 'value_template') ?? str(c, 'state_value_template');
    const template = tplText === undefined ? PLAIN_VALUE : compileTemplate(tplText);
    if (template === undefined) return deviceProblem('device.template', topic, quote(tplText ?? ''));
    const cls = str(c, 'device_class') ?? '';
    const unitText = (str(c, 'unit_of_measurement') ?? '').slice(0, 32);
    const { kind, unit } = kindOf(component as Component, cls, unitText);
    const avail = availabilityTopics(c);
    return [
        {
            component: component as Component,
            deviceId: deviceIdOf(c, deviceKey ?? nodeId ?? str(c, 'unique_id') ?? objectId),
            quantity: str(c, 'object_id') ?? objectId,
            kind,
            unit,
            stateTopic,
            commandTopic,
            template,
            on: str(c, 'payload_on') ?? 'ON',
            off: str(c, 'payload_off') ?? 'OFF',
            inverted: CONTACT_CLASSES.has(cls),
            fahrenheit: kind === 'temperature' && unitText === '°F',
            jsonSchema: str(c, 'schema') === 'json',
            brightnessScale: finite(c.brightness_scale) ?? 255,
            brightnessTopic: str(c, 'brightness_state_topic'),
            lockStates: new Map<string, LockState>([
                [str(c, 'state_locked') ?? 'LOCKED', 'locked'],
                [str(c, 'state_unlocked') ?? 'UNLOCKED', 'unlocked'],
                [str(c, 'state_jammed') ?? 'JAMMED', 'jammed'],
            ]),
            lockPayloads: { lock: str(c, 'payload_lock') ?? 'LOCK', unlock: str(c, 'payload_unlock') ?? 'UNLOCK' },
            availability: avail,
            available: str(c, 'payload_available') ?? 'online',
            notAvailable: str(c, 'payload_not_available') ?? 'offline',
        },
    ];
}

function kindOf(component: Component, cls: string, unit: string): { kind: SensorKind; unit: string } {
    if (component === 'sensor') {
        const kind = SENSOR_CLASSES.get(cls) ?? 'generic';
        if (kind === 'temperature') return { kind, unit: '°C' };
        return { kind, unit: kind === 'generic' ? unit : kind === 'illuminance' ? 'lx' : '%' };
    }
    if (component === 'binary_sensor') {
        if (MOTION_CLASSES.has(cls)) return { kind: 'motion', unit: '' };
        if (CONTACT_CLASSES.has(cls)) return { kind: 'contact', unit: '' };
    }
    return { kind: 'generic', unit: '' };
}

/** The device's first identifier, so all entities of one device share an id. */
function deviceIdOf(c: Fields, fallback: string): string {
    const dev = c.device;
    if (!isFields(dev)) return fallback;
    const ids = dev.identifiers;
    if (typeof ids === 'string' && ids !== '') return ids;
    if (Array.isArray(ids) && typeof ids[0] === 'string' && ids[0] !== '') return ids[0];
    return fallback;
}

function availabilityTopics(c: Fields): string[] {
    const topics: string[] = [];
    const one = str(c, 'availability_topic');
    if (one !== undefined) topics.push(one);
    if (Array.isArray(c.availability))
        for (const a of c.availability) if (isFields(a) && typeof a.topic === 'string') topics.push(a.topic);
    return topics;
}

function reindex(state: DiscoveryState): void {
    const byState = new Map<string, Entity[]>();
    const byAvailability = new Map<string, Entity[]>();
    const byDevice = new Map<string, Entity[]>();
    const add = (m: Map<string, Entity[]>, k: string | undefined, e: Entity): void => {
        if (k === undefined) return;
        const list = m.get(k);
        if (list === undefined) m.set(k, [e]);
        else list.push(e);
    };
    for (const entities of state.configs.values())
        for (const e of entities) {
            add(byState, e.stateTopic, e);
            add(byState, e.brightnessTopic, e);
            for (const t of e.availability) add(byAvailability, t, e);
            add(byDevice, e.deviceId, e);
        }
    state.byState = byState;
    state.byAvailability = byAvailability;
    state.byDevice = byDevice;
}

// ---- state messages --------------------------------------------------------------------------------------------

function decodeState(
    out: DeviceEvent[],
    topic: string,
    s: string,
    entities: readonly Entity[],
    state: DiscoveryState,
): void {
    // Parsed once for every entity that reads this topic, and only when a template (or a JSON light) asks for JSON.
    let json: unknown;
    let parsed = false;
    for (const e of entities) {
        if ((e.template.path !== undefined || e.jsonSchema) && !parsed) {
            parsed = true;
            try {
                json = JSON.parse(s);
            } catch {
                json = undefined;
            }
        }
        if (topic === e.brightnessTopic && topic !== e.stateTopic) {
            brightness(out, topic, s, e, state);
            continue;
        }
        const v = e.jsonSchema ? json : applyTemplate(e.template, s, json);
        if (v === undefined) {
            out.push(deviceProblem('device.value', topic, `${e.quantity}: ${quote(s)}`));
            continue;
        }
        entityValue(out, topic, e, v, state);
    }
}

function entityValue(out: DeviceEvent[], topic: string, e: Entity, v: unknown, state: DiscoveryState): void {
    switch (e.component) {
        case 'sensor': {
            const value = e.fahrenheit && typeof v !== 'object' ? toCelsius(v) : v;
            textReading(out, topic, e.deviceId, e.quantity, e.kind, e.unit, value);
            return;
        }
        case 'binary_sensor': {
            const t = String(v);
            if (t !== e.on && t !== e.off) {
                textReading(out, topic, e.deviceId, e.quantity, e.kind, e.unit, t);
                return;
            }
            const on = t === e.on;
            const value = e.kind === 'generic' ? Number(on) : e.inverted ? !on : on;
            textReading(out, topic, e.deviceId, e.quantity, e.kind, e.unit, value);
            return;
        }
        case 'lock': {
            const lock = e.lockStates.get(String(v));
            if (lock === undefined) out.push(deviceProblem('device.state', topic, show(v)));
            else feedback(out, state.feedback, { type: 'lock', deviceId: e.deviceId, state: lock });
            return;
        }
        default:
            light(out, topic, e, v, state);
    }
}

function light(out: DeviceEvent[], topic: string, e: Entity, v: unknown, state: DiscoveryState): void {
    const obj = isFields(v) ? v : undefined;
    const t = obj !== undefined ? obj.state : String(v);
    if (t !== e.on && t !== e.off) {
        out.push(deviceProblem('device.state', topic, show(t)));
        return;
    }
    const b = finite(obj?.brightness);
    feedback(out, state.feedback, {
        type: 'light',
        deviceId: e.deviceId,
        state: t === e.on ? 'on' : 'off',
        ...(b === undefined ? {} : { brightness: toPercent(b, e.brightnessScale) }),
    });
}

/** A default-schema light reports brightness on its own topic; its on/off comes from the state topic. */
function brightness(out: DeviceEvent[], topic: string, s: string, e: Entity, state: DiscoveryState): void {
    const b = Number(s);
    if (s.trim() === '' || !Number.isFinite(b)) {
        out.push(deviceProblem('device.value', topic, `brightness: ${quote(s)}`));
        return;
    }
    feedback(out, state.feedback, {
        type: 'light',
        deviceId: e.deviceId,
        state: b > 0 ? 'on' : 'off',
        brightness: toPercent(b, e.brightnessScale),
    });
}

function toCelsius(v: unknown): unknown {
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
    return Number.isFinite(n) && !(typeof v === 'string' && v.trim() === '') ? round2(((n - 32) * 5) / 9) : v;
}

function decodeAvailability(out: DeviceEvent[], topic: string, s: string, entities: readonly Entity[]): void {
    const seen = new Set<string>();
    for (const e of entities) {
        if (seen.has(e.deviceId)) continue;
        seen.add(e.deviceId);
        const word = s === e.available ? 'online' : s === e.notAvailable ? 'offline' : s;
        availability(out, topic, e.deviceId, word);
    }
}
