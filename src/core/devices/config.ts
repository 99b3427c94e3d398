import { blank, choiceField, ConfigError, problemOf, settle, text, type Raw } from '../shared/config-fields';
import { defaultUnit, isSensorKind, SENSOR_KINDS, UNIT_MAX_LENGTH, type SensorKind } from '../shared/reading';
import { genericConfigProblem } from './generic';

/** What a `sensorhub-device` node is set to read: one profile, its options, and where its readings go. */

export const PROFILES = ['zigbee2mqtt', 'tasmota', 'esphome', 'shelly', 'homeassistant', 'generic'] as const;
export type ProfileName = (typeof PROFILES)[number];

export interface DeviceNodeConfig {
    readonly profile: ProfileName;
    /** Zigbee2MQTT's base topic, Home Assistant's (and ESPHome's) discovery prefix; empty: the project's default. */
    readonly baseTopic: string;
    /** Devices to read (names, ids, ESPHome nodes); none: every device the profile finds. */
    readonly devices: readonly string[];
    readonly location: string;
    /** Readings and availability are published on the hub too, not only sent on. */
    readonly publish: boolean;
    /** generic only. */
    readonly pattern: string;
    readonly path: string;
    readonly kind: SensorKind;
    readonly unit: string;
}

export const MAX_DEVICE_FILTER = 1000;
const LOCATION_MAX = 128;

export function parseDeviceNodeConfig(
    raw: Raw,
): { config: DeviceNodeConfig } | { error: string; problem: ConfigError } {
    return settle(() => parse(raw));
}

function parse(raw: Raw): DeviceNodeConfig {
    const profile = choiceField(
        raw,
        'profile',
        PROFILES,
        `profile must be one of ${PROFILES.join(', ')}`,
        'zigbee2mqtt',
    );
    const baseTopic = text(raw.baseTopic);
    if (/[+#]/.test(baseTopic) || baseTopic.endsWith('/') || baseTopic.startsWith('/'))
        throw new ConfigError('prefix', { field: 'baseTopic' }, 'base topic cannot contain + or # or end with /');
    const devices = deviceList(raw.devices);
    const location = text(raw.location);
    if (location.length > LOCATION_MAX)
        throw new ConfigError('too-long', { field: 'location', max: LOCATION_MAX }, 'location is too long');
    if (raw.publish !== undefined && typeof raw.publish !== 'boolean')
        throw new ConfigError(
            'checkbox',
            { field: 'publish', got: typeof raw.publish },
            'publish must be true or false',
        );
    const kind = blank(raw.kind) ? 'generic' : raw.kind;
    if (!isSensorKind(kind))
        throw new ConfigError('choice', { field: 'kind', choices: SENSOR_KINDS.join(', ') }, 'unknown kind');
    const unit = blank(raw.unit) ? defaultUnit(kind) : text(raw.unit);
    if (unit.length > UNIT_MAX_LENGTH)
        throw new ConfigError('too-long', { field: 'unit', max: UNIT_MAX_LENGTH }, 'unit is too long');
    const pattern = text(raw.pattern);
    const path = text(raw.path);
    if (profile === 'generic') {
        const bad = genericConfigProblem({ pattern, kind });
        if (bad !== undefined) throw problemOf(bad, 'pattern', `topic pattern: ${bad.message}`);
    }
    return { profile, baseTopic, devices, location, publish: raw.publish === true, pattern, path, kind, unit };
}

/** Comma- or newline-separated, as typed in the dialog or picked from the found devices. */
function deviceList(v: unknown): string[] {
    if (blank(v)) return [];
    if (typeof v !== 'string') throw new ConfigError('text', { field: 'devices' }, 'devices must be text');
    const list = [
        ...new Set(
            v
                .split(/[,\n]/)
                .map((d) => d.trim())
                .filter((d) => d !== ''),
        ),
    ];
    if (list.length > MAX_DEVICE_FILTER)
        throw new ConfigError('too-many-devices', { max: MAX_DEVICE_FILTER }, 'too many devices');
    return list;
}
