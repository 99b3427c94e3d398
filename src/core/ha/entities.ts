import type { EntitySpec } from './discovery';

/**
 * What each node announces, the states it publishes and the commands Home
 * Assistant sends it. Sensor kinds are the reading contract's (see
 * shared/reading.ts), named here by string so this feature stays on its own.
 */

type Fields = Record<string, unknown>;

/** Home Assistant's sensor device classes of the kinds that have one (a generic sensor has none). */
const MEASUREMENT: ReadonlySet<string> = new Set(['temperature', 'humidity', 'illuminance', 'battery']);

/** A sensor node of `kind` reading in `unit`: a sensor, or for motion and contact a binary sensor. */
export function sensorSpec(nodeId: string, name: string, kind: string, unit: string): EntitySpec {
    if (kind === 'motion' || kind === 'contact')
        return {
            nodeId,
            name,
            component: 'binary_sensor',
            // Home Assistant's door is "on" when open; a contact reading is true when closed (see binaryState).
            fields: { device_class: kind === 'motion' ? 'motion' : 'door' },
            commands: false,
        };
    const fields: Fields = { state_class: 'measurement' };
    if (MEASUREMENT.has(kind)) fields.device_class = kind;
    if (unit !== '') fields.unit_of_measurement = unit;
    return { nodeId, name, component: 'sensor', fields, commands: false };
}

/** A reading's value as the state of its entity: a number as text, a binary sensor's ON/OFF. */
export function readingState(kind: string, value: number | boolean): string {
    if (typeof value === 'boolean') return (kind === 'contact' ? !value : value) ? 'ON' : 'OFF';
    return String(value);
}

/** A motion light: JSON schema, brightness on the light's own 0–100 scale. */
export function lightSpec(nodeId: string, name: string): EntitySpec {
    return {
        nodeId,
        name,
        component: 'light',
        fields: { schema: 'json', brightness: true, brightness_scale: 100, supported_color_modes: ['brightness'] },
        commands: true,
    };
}

export function lightState(state: 'on' | 'off', brightness: number): string {
    return state === 'on' ? JSON.stringify({ state: 'ON', brightness: Math.round(brightness) }) : '{"state":"OFF"}';
}

/**
 * A door lock. With a code, Home Assistant asks for it (`code_format`) and the
 * command template sends it with the action, as JSON; without one, the plain
 * LOCK/UNLOCK payloads are enough.
 */
export function lockSpec(nodeId: string, name: string, hasCode: boolean): EntitySpec {
    const fields: Fields = {
        payload_lock: 'LOCK',
        payload_unlock: 'UNLOCK',
        state_locked: 'LOCKED',
        state_unlocked: 'UNLOCKED',
        state_locking: 'LOCKING',
        state_unlocking: 'UNLOCKING',
        state_jammed: 'JAMMED',
    };
    if (hasCode) {
        fields.code_format = '^.+$';
        fields.command_template = '{"action":"{{ value }}","code":{{ code | tojson }}}';
    }
    return { nodeId, name, component: 'lock', fields, commands: true };
}

export const lockState = (state: string): string => state.toUpperCase();

/** A threshold node: on while any of its sensors has an alarm raised. */
export function thresholdSpec(nodeId: string, name: string): EntitySpec {
    return { nodeId, name, component: 'binary_sensor', fields: { device_class: 'problem' }, commands: false };
}

export type CommandRefusal = 'not-json' | 'light-state' | 'light-brightness' | 'lock-action' | 'lock-code';

export interface Refused {
    readonly refused: CommandRefusal;
    /** English, for logs; the adapter says it in the user's language by the code. */
    readonly message: string;
}

export interface LightCommandIn {
    readonly action: 'on' | 'off';
    readonly brightness?: number;
}

export interface LockCommandIn {
    readonly action: 'lock' | 'unlock';
    readonly code?: string;
}

const MAX_SHOWN = 40;
const shown = (payload: string): string =>
    JSON.stringify(payload.length > MAX_SHOWN ? `${payload.slice(0, MAX_SHOWN)}…` : payload);

function jsonObject(payload: string): Record<string, unknown> | undefined {
    try {
        const v: unknown = JSON.parse(payload);
        return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

/** Home Assistant's JSON light command: `{"state":"ON"|"OFF", "brightness": 0–100}`; other keys are ignored. */
export function parseLightCommand(payload: string): LightCommandIn | Refused {
    const cmd = jsonObject(payload);
    if (cmd === undefined)
        return { refused: 'not-json', message: `light command ${shown(payload)} is not a JSON object` };
    if (cmd.state !== 'ON' && cmd.state !== 'OFF')
        return { refused: 'light-state', message: 'light command needs "state" ON or OFF' };
    if (cmd.state === 'OFF') return { action: 'off' };
    const b = cmd.brightness;
    if (b === undefined) return { action: 'on' };
    if (typeof b !== 'number' || !Number.isFinite(b) || b < 0 || b > 100)
        return { refused: 'light-brightness', message: 'light command brightness must be a number from 0 to 100' };
    return { action: 'on', brightness: b };
}

/** LOCK or UNLOCK, plain or as the template's `{"action", "code"}` (a null code: none given). */
export function parseLockCommand(payload: string): LockCommandIn | Refused {
    const trimmed = payload.trim();
    const json = trimmed.startsWith('{') ? jsonObject(trimmed) : undefined;
    const action = json ? json.action : trimmed;
    const code = json ? json.code : undefined;
    if (action !== 'LOCK' && action !== 'UNLOCK')
        // Never echo the payload: it may hold a code.
        return { refused: 'lock-action', message: 'lock command must be LOCK or UNLOCK' };
    if (code !== undefined && code !== null && typeof code !== 'string')
        return { refused: 'lock-code', message: 'lock command code must be text' };
    const out: LockCommandIn = { action: action === 'LOCK' ? 'lock' : 'unlock' };
    return typeof code === 'string' && code !== '' ? { ...out, code } : out;
}
