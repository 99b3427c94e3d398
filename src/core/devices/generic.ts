import { parseReading, type ParseSpec } from '../shared/parse';
import { defaultUnit, type SensorKind } from '../shared/reading';
import { levelsMatch, patternProblem, type TopicProblem } from '../shared/topic';
import { deviceProblem, NONE, reading, text, type DeviceEvent, type DeviceProfile } from './types';

/**
 * Everything else: a topic pattern whose `+` levels name the device and its
 * sensor (`sensors/+/+` on `sensors/kitchen/temp` → `kitchen/temp`), and a
 * property path into a JSON payload (none: the payload is the bare value).
 */

export interface GenericConfig {
    readonly pattern: string;
    /** A dotted path such as `data.t`; empty: the whole payload is the value. */
    readonly path?: string;
    readonly kind: SensorKind;
    readonly unit?: string;
}

export interface GenericState {
    readonly levels: readonly string[];
    readonly spec: ParseSpec;
    readonly kind: SensorKind;
    readonly unit: string;
}

/** What is wrong with the pattern (checked by the config parser before a state is made), if anything. */
export function genericConfigProblem(config: GenericConfig): TopicProblem | undefined {
    return patternProblem(config.pattern);
}

export const generic: DeviceProfile<GenericConfig, GenericState> = {
    name: 'generic',
    canLock: false,
    createState: (config) => ({
        levels: config.pattern.split('/'),
        spec: config.path ? { format: 'json', field: config.path } : { format: 'number' },
        kind: config.kind,
        unit: config.unit ?? defaultUnit(config.kind),
    }),
    subscriptions: (config) => [config.pattern],
    decode(topic, payload, state) {
        const levels = topic.split('/');
        if (!levelsMatch(state.levels, levels)) return NONE;
        const captures: string[] = [];
        for (let i = 0; i < state.levels.length && i < levels.length; i++)
            if (state.levels[i] === '+') captures.push(levels[i]);
        const device = captures.length > 0 ? captures[0] : levels[0];
        const quantity = captures.length > 1 ? captures.slice(1).join('/') : state.kind;
        const parsed = parseReading(text(payload), state.spec);
        if (!parsed.ok) return [deviceProblem('device.value', topic, parsed.error)];
        const out: DeviceEvent[] = [];
        reading(out, topic, device, quantity, state.kind, state.unit, parsed.value);
        return out;
    },
    encodeLight: () => [],
    encodeLock: () => [],
};
