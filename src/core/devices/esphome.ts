import { quote } from '../shared/texts';
import type { SensorKind } from '../shared/reading';
import { homeAssistant, type DiscoveryState } from './homeassistant';
import {
    availability,
    deviceProblem,
    expectAnswer,
    feedback,
    fromPercent,
    NONE,
    onOff,
    parseObject,
    isProblem,
    lightFeedback,
    text,
    textReading,
    type DeviceEvent,
    type DeviceProfile,
    type FeedbackMemory,
    type LockState,
} from './types';

/**
 * ESPHome's MQTT component with its default topic prefix (the node name):
 * bare values on `<node>/<component>/<name>/state`, `<node>/status`, commands
 * on `<node>/<component>/<name>/command`. A state carries no unit: that is only
 * in the node's Home Assistant discovery config, read here when it is
 * published, else taken from the configured hints, else from the name.
 */

export interface EsphomeHint {
    readonly kind: SensorKind;
    readonly unit?: string;
    /** A binary sensor whose ON means open (a door): true unless given. */
    readonly onMeansOpen?: boolean;
}

export interface EsphomeConfig {
    /** Node names to read; none: every node. */
    readonly nodes?: readonly string[];
    /** Home Assistant's discovery prefix, where ESPHome announces units; `false`: do not read it. */
    readonly discoveryPrefix?: string | false;
    /** By `<node>/<name>` or by `<name>`. */
    readonly hints?: Readonly<Record<string, EsphomeHint>>;
}

export interface EsphomeState {
    readonly config: EsphomeConfig;
    readonly discovery: DiscoveryState | undefined;
    readonly feedback: FeedbackMemory;
}

const LOCK_STATES: ReadonlyMap<string, LockState> = new Map([
    ['LOCKED', 'locked'],
    ['UNLOCKED', 'unlocked'],
    ['JAMMED', 'jammed'],
]);
const BRIGHTNESS_MAX = 255;

/** Words in an entity's name that say what it measures, tried in order when nothing better is known. */
const NAME_HINTS: ReadonlyArray<readonly [word: string, hint: EsphomeHint]> = [
    ['temp', { kind: 'temperature', unit: '°C' }],
    ['humid', { kind: 'humidity', unit: '%' }],
    ['illuminance', { kind: 'illuminance', unit: 'lx' }],
    ['lux', { kind: 'illuminance', unit: 'lx' }],
    ['battery', { kind: 'battery', unit: '%' }],
];
const BINARY_HINTS: ReadonlyArray<readonly [word: string, hint: EsphomeHint]> = [
    ['motion', { kind: 'motion' }],
    ['pir', { kind: 'motion' }],
    ['occupancy', { kind: 'motion' }],
    ['presence', { kind: 'motion' }],
    ['door', { kind: 'contact', onMeansOpen: true }],
    ['window', { kind: 'contact', onMeansOpen: true }],
    ['contact', { kind: 'contact', onMeansOpen: true }],
];
const GENERIC: EsphomeHint = { kind: 'generic', unit: '' };

export const esphome: DeviceProfile<EsphomeConfig, EsphomeState> = {
    name: 'esphome',
    canLock: true,
    createState: (config) => ({
        config,
        discovery:
            config.discoveryPrefix === false
                ? undefined
                : homeAssistant.createState({ prefix: config.discoveryPrefix || undefined }),
        feedback: new Map(),
    }),
    subscriptions(config) {
        const nodes = config.nodes !== undefined && config.nodes.length > 0 ? config.nodes : ['+'];
        const topics = nodes.flatMap((n) => [`${n}/status`, `${n}/+/+/state`]);
        if (config.discoveryPrefix !== false) topics.push(`${config.discoveryPrefix || 'homeassistant'}/+/+/+/config`);
        return topics;
    },
    decode(topic, payload, state) {
        const levels = topic.split('/');
        if (levels.length === 2 && levels[1] === 'status') {
            const out: DeviceEvent[] = [];
            availability(out, topic, levels[0], text(payload));
            return out;
        }
        if (levels.length === 4 && levels[3] === 'state') return decodeState(topic, levels, payload, state);
        if (state.discovery !== undefined && topic.endsWith('/config'))
            return homeAssistant.decode(topic, payload, state.discovery);
        return NONE;
    },
    encodeLight(device, command, state) {
        expectAnswer(state.feedback, device);
        const [node, name] = split(device);
        const body: Record<string, unknown> = { state: command.state === 'on' ? 'ON' : 'OFF' };
        if (command.state === 'on' && command.brightness !== undefined)
            body.brightness = fromPercent(command.brightness, BRIGHTNESS_MAX);
        return [{ topic: `${node}/light/${name}/command`, payload: JSON.stringify(body) }];
    },
    encodeLock(device, action, state) {
        expectAnswer(state.feedback, device);
        const [node, name] = split(device);
        return [{ topic: `${node}/lock/${name}/command`, payload: action === 'lock' ? 'LOCK' : 'UNLOCK' }];
    },
};

/** A device is `<node>/<name>`. */
function split(device: string): [string, string] {
    const slash = device.indexOf('/');
    return slash < 0 ? [device, device] : [device.slice(0, slash), device.slice(slash + 1)];
}

function decodeState(topic: string, levels: string[], payload: Buffer, state: EsphomeState): readonly DeviceEvent[] {
    const [node, component, name] = levels;
    if (!wanted(state.config, node)) return NONE;
    const device = `${node}/${name}`;
    const s = text(payload);
    const out: DeviceEvent[] = [];
    switch (component) {
        case 'sensor': {
            const hint = hintFor(state, topic, node, name, NAME_HINTS);
            textReading(out, topic, node, name, hint.kind, hint.unit ?? '', s);
            break;
        }
        case 'binary_sensor':
            binary(out, topic, node, name, s, hintFor(state, topic, node, name, BINARY_HINTS));
            break;
        case 'light':
            light(out, topic, device, payload, state);
            break;
        case 'switch': {
            const on = onOff(s);
            if (on === undefined) out.push(deviceProblem('device.state', topic, quote(s)));
            else feedback(out, state.feedback, { type: 'light', deviceId: device, state: on ? 'on' : 'off' });
            break;
        }
        case 'lock': {
            const lock = LOCK_STATES.get(s);
            if (lock === undefined) out.push(deviceProblem('device.state', topic, quote(s)));
            else feedback(out, state.feedback, { type: 'lock', deviceId: device, state: lock });
            break;
        }
    }
    return out;
}

function wanted(config: EsphomeConfig, node: string): boolean {
    return config.nodes === undefined || config.nodes.length === 0 || config.nodes.includes(node);
}

function binary(out: DeviceEvent[], topic: string, node: string, name: string, s: string, hint: EsphomeHint): void {
    const on = onOff(s);
    if (on === undefined) {
        textReading(out, topic, node, name, hint.kind, '', s);
        return;
    }
    const value =
        hint.kind === 'generic' ? Number(on) : hint.kind === 'contact' && hint.onMeansOpen !== false ? !on : on;
    textReading(out, topic, node, name, hint.kind, '', value);
}

function light(out: DeviceEvent[], topic: string, device: string, payload: Buffer, state: EsphomeState): void {
    const obj = parseObject(topic, payload);
    if (isProblem(obj)) {
        out.push(obj);
        return;
    }
    lightFeedback(out, state.feedback, topic, device, obj, BRIGHTNESS_MAX);
}

/** What a state is: its discovery config first, then the configured hint, then the name. */
function hintFor(
    state: EsphomeState,
    topic: string,
    node: string,
    name: string,
    byName: ReadonlyArray<readonly [string, EsphomeHint]>,
): EsphomeHint {
    const entity = state.discovery?.byState.get(topic)?.[0];
    if (entity !== undefined)
        return {
            kind: entity.kind,
            unit: entity.unit,
            onMeansOpen: entity.kind === 'contact' ? entity.inverted : false,
        };
    const hints = state.config.hints;
    const given = hints?.[`${node}/${name}`] ?? hints?.[name];
    if (given !== undefined) return given;
    const lower = name.toLowerCase();
    for (const [word, hint] of byName) if (lower.includes(word)) return hint;
    return GENERIC;
}
