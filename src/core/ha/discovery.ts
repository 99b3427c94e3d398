/**
 * Home Assistant MQTT discovery for the node set's own entities: the retained
 * config each node announces, the topics its state and commands use, and the
 * payloads on them. Full key names throughout (Home Assistant accepts both;
 * full ones read better in a broker browser); every key is checked against
 * Home Assistant's field lists in test/unit/ha.test.js.
 */

export const DEFAULT_DISCOVERY_PREFIX = 'homeassistant';
export const STATE_ONLINE = 'online';
export const STATE_OFFLINE = 'offline';

export type HaComponent = 'sensor' | 'binary_sensor' | 'light' | 'lock';

/** The origin name in every config this package announces; a devices node reading discovery skips its own. */
export const ORIGIN_NAME = '@sensorhub/node-red-sensorhub';

/** This Node-RED instance as Home Assistant sees it: one device per hub connection. */
export interface HaInstance {
    /** Home Assistant's discovery prefix (`homeassistant`). */
    readonly discoveryPrefix: string;
    /** Where entity state and command topics live: `<hub control root>/ha`. */
    readonly root: string;
    /** The connection's retained `online`/`offline` topic; `offline` is its last will. */
    readonly availabilityTopic: string;
    /** Identifies the instance (the hub's client id): the discovery node id level and the device identifier. */
    readonly instanceId: string;
    readonly deviceName: string;
    readonly version: string;
}

/** One entity: which node, what Home Assistant calls it, and the component-specific keys. */
export interface EntitySpec {
    readonly nodeId: string;
    readonly name: string;
    readonly component: HaComponent;
    readonly fields: Readonly<Record<string, unknown>>;
    /** Whether Home Assistant sends commands (light, lock). */
    readonly commands: boolean;
}

/** Home Assistant allows only `[a-zA-Z0-9_-]` in the node id and object id levels of a discovery topic. */
export function topicId(text: string): string {
    return text.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/** Returns an error text for a discovery prefix that cannot be one, or `undefined`. */
export function discoveryPrefixError(prefix: unknown): string | undefined {
    if (typeof prefix !== 'string' || prefix.trim() === '') return 'discovery prefix is empty';
    if (/[+#]/.test(prefix)) return 'discovery prefix cannot contain + or #';
    if (prefix.startsWith('/') || prefix.endsWith('/')) return 'discovery prefix must not start or end with /';
    return undefined;
}

export const uniqueIdOf = (nodeId: string): string => `sensorhub_${topicId(nodeId)}`;

export function discoveryTopic(inst: HaInstance, component: HaComponent, nodeId: string): string {
    return `${inst.discoveryPrefix}/${component}/${topicId(inst.instanceId)}/${topicId(nodeId)}/config`;
}

/** Every discovery config this instance may have left on the broker, whatever the component. */
export function discoveryFilter(inst: HaInstance): string {
    return `${inst.discoveryPrefix}/+/${topicId(inst.instanceId)}/+/config`;
}

export const stateTopic = (inst: HaInstance, nodeId: string): string => `${inst.root}/${topicId(nodeId)}/state`;
export const commandTopic = (inst: HaInstance, nodeId: string): string => `${inst.root}/${topicId(nodeId)}/set`;

/** The state topic of the entity a discovery topic of ours announced; undefined for someone else's topic. */
export function stateTopicOfDiscovery(inst: HaInstance, topic: string): string | undefined {
    const levels = topic.split('/');
    const base = inst.discoveryPrefix.split('/').length;
    if (levels.length !== base + 4 || levels[base + 1] !== topicId(inst.instanceId)) return undefined;
    return `${inst.root}/${levels[base + 2]}/state`;
}

/** The config Home Assistant reads: identity, device, origin, availability, topics, then the component's keys. */
export function discoveryConfig(inst: HaInstance, spec: EntitySpec): Record<string, unknown> {
    const config: Record<string, unknown> = {
        name: spec.name,
        unique_id: uniqueIdOf(spec.nodeId),
        device: {
            identifiers: [`sensorhub_${topicId(inst.instanceId)}`],
            name: inst.deviceName,
            manufacturer: 'Sensor Hub',
            model: 'Node-RED node set',
            sw_version: inst.version,
        },
        // Origin: who announced the entity, shown in Home Assistant's MQTT info.
        origin: { name: ORIGIN_NAME, sw_version: inst.version },
        availability_topic: inst.availabilityTopic,
        payload_available: STATE_ONLINE,
        payload_not_available: STATE_OFFLINE,
        state_topic: stateTopic(inst, spec.nodeId),
        ...spec.fields,
    };
    if (spec.commands) config.command_topic = commandTopic(inst, spec.nodeId);
    return config;
}
