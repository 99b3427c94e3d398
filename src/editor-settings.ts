/**
 * What the runtime tells the editor. A node type's settings reach the browser as `RED.settings.<name>`, where
 * Node-RED requires the name to start with the type in camel case (`sensorhub-light` → `sensorhubLight…`): so the
 * dialogs check the very ranges the parsers in src/core use, instead of a copy of them.
 */
import { DOOR_LOCK_LIMITS } from './core/door-lock/config';
import { FLEET_LIMITS } from './core/fleet/config';
import { LIMITS as GATEWAY_LIMITS, PORT_RANGE } from './core/gateway/config';
import { HUB_LIMITS } from './core/hub/config';
import { INTERVAL_MAX_S as MONITOR_INTERVAL_MAX_S, MAX_TYPES_MAX } from './core/monitor/monitor';
import { LIGHT_LIMITS } from './core/light/config';
import { SENSOR_LIMITS } from './core/sensor/config';
import { SERIAL_LIMITS } from './core/serial/config';
import { THRESHOLD_LIMITS } from './core/threshold/config';

/** A number field's range, by property name (or by a name the dialog gives a group of fields). */
export type Limits = Readonly<Record<string, { readonly min: number; readonly max: number }>>;

/** The limits each dialog gets; the fleet reads its members' timeout, latency and command as a sensor does. */
export const EDITOR_LIMITS = {
    'sensorhub-light': LIGHT_LIMITS,
    'sensorhub-threshold': THRESHOLD_LIMITS,
    'sensorhub-door-lock': DOOR_LOCK_LIMITS,
    'sensorhub-sensor': SENSOR_LIMITS,
    'sensorhub-fleet': { ...SENSOR_LIMITS, ...FLEET_LIMITS },
    'sensorhub-gateway': { ...GATEWAY_LIMITS, port: PORT_RANGE },
    'sensorhub-hub': HUB_LIMITS,
    'sensorhub-serial-port': SERIAL_LIMITS,
    // parseMonitorConfig's ranges; an interval of 0 (on input only) is below its range.
    'sensorhub-monitor': {
        interval: { min: 1, max: MONITOR_INTERVAL_MAX_S },
        maxTypes: { min: 1, max: MAX_TYPES_MAX },
    },
} as const satisfies Readonly<Record<string, Limits>>;

export type EditorType = keyof typeof EDITOR_LIMITS;

/** How Node-RED names a type in settings: `sensorhub-door-lock` → `sensorhubDoorLock`. */
export function settingsPrefix(type: string): string {
    return type.replace(/[^a-zA-Z0-9]+(.)/g, (_m, c: string) => c.toUpperCase());
}

/** The name the limits of `type` have in `RED.settings`, as SH.limits in resources/editor.js reads them. */
export function limitsSettingName(type: string): string {
    return `${settingsPrefix(type)}Limits`;
}

/** The `registerType` options that hand the limits of `type` to its dialog. */
export function editorSettings(type: EditorType): { settings: Record<string, { value: Limits; exportable: true }> } {
    return { settings: { [limitsSettingName(type)]: { value: EDITOR_LIMITS[type], exportable: true } } };
}
