import type { IPublishPacket } from 'mqtt';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import type { RawHandler } from './core/hub/mqtt-bridge';
import {
    DeviceSource,
    MAX_REMEMBERED_SENSORS,
    parseDeviceNodeConfig,
    type DeviceEventMessage,
    type DeviceListener,
    type DeviceNodeConfig,
    type DeviceReadingMessage,
    type LightCommand,
    type LockAction,
    type OutgoingMessage,
    type ProblemReport,
} from './core/devices';
import { LiveStatus, offerMetrics, refuse, refuseConfig, texts, type Texts } from './adapter';
import type { BrokerHubNode } from './adapter/hub-node';

// Saved flows are user data: any field may be missing or of another type.
type DeviceDef = NodeDef & Record<string, unknown>;

/** What a device node needs of a `sensorhub-hub` config node (see src/hub.ts). */
type HubNode = BrokerHubNode;

type CommandMsg = NodeMessageInFlow & { deviceId?: unknown; actuate?: unknown };

/** A running devices node: what it has found, for the dialog's list and the sidebar (src/sidebar.ts). */
interface RunningDeviceNode extends Node {
    deviceSource?: DeviceSource;
    deviceProfile?: string;
}

const TYPE = 'sensorhub-device';

/** The hub and the node's outputs, as the source's listener: readings and device events out, problems logged. */
function listenerOf(
    node: Node,
    t: Texts,
    publish: (type: string, msg: NodeMessage) => void,
    status: LiveStatus,
): DeviceListener {
    return {
        reading: (msg) => {
            // The hub gets its own copy: the message sent on may be changed by the next node.
            publish(msg.topic, { ...msg, sensor: { ...msg.sensor }, reading: { ...msg.reading } });
            node.send([msg, null]);
            status.bump();
        },
        failure: (msg: DeviceReadingMessage, why) => {
            const reason = t.problem(why);
            node.error(t('errors.read', { id: msg.sensor.id, status: msg.reading.status, reason }), msg);
            status.bump();
        },
        event: (msg: DeviceEventMessage) => {
            if (msg.topic === 'device_online' || msg.topic === 'device_offline')
                publish(msg.topic, { ...msg, payload: { ...msg.payload } });
            node.send([null, msg]);
            status.bump();
        },
        problem: (r: ProblemReport) => {
            const reason = t.problem(r.problem);
            node.warn(
                r.count === 1
                    ? t('log.problem', { reason })
                    : t('log.problem-more', { count: r.count, total: r.total, reason }),
            );
            status.bump();
        },
    };
}

/** The broker subscriptions of one node, following the profile's (Home Assistant's grow and shrink). */
class Subscriptions {
    /** Filter → its unsubscribe. */
    private readonly subscribed = new Map<string, () => void>();

    constructor(
        private readonly bridge: NonNullable<HubNode['bridge']>,
        private readonly source: DeviceSource,
        private readonly follow: boolean,
    ) {}

    private readonly onMessage: RawHandler = (topic: string, payload: Buffer, _packet: IPublishPacket) => {
        this.source.handle(topic, payload);
        if (this.follow && topic.endsWith('/config')) this.update();
    };

    update(): void {
        const wanted = new Set(this.source.subscriptions());
        for (const [filter, off] of this.subscribed)
            if (!wanted.has(filter)) {
                off();
                this.subscribed.delete(filter);
            }
        for (const filter of wanted)
            if (!this.subscribed.has(filter))
                this.subscribed.set(filter, this.bridge.subscribeRaw(filter, this.onMessage));
    }

    close(): void {
        for (const off of this.subscribed.values()) off();
        this.subscribed.clear();
    }
}

/** Drives a device from a light's or a door lock's message: undefined when done, else why not. */
function drive(
    t: Texts,
    source: DeviceSource,
    bridge: NonNullable<HubNode['bridge']>,
    profile: string,
    target: string,
    msg: CommandMsg,
): string | undefined {
    const device = typeof msg.deviceId === 'string' && msg.deviceId !== '' ? msg.deviceId : target;
    if (device === '') return t('errors.no-target');
    // The door lock says its state on the same output as its actuations: only `actuate` moves hardware.
    if (msg.topic === 'lock_state' && msg.actuate === undefined) return undefined;
    const command = commandOf(msg);
    if (command === undefined) return t('errors.not-command');
    const out: OutgoingMessage[] =
        'action' in command ? source.lock(device, command.action) : source.light(device, command.light);
    if (out.length === 0) return t('errors.cannot-drive', { device, profile });
    if (!out.every((m) => bridge.publishRaw(m.topic, m.payload))) return t('errors.not-sent', { device });
    source.commandSent();
    return undefined;
}

/** The hub with a broker that the node reads through, or why there is none (the node then refuses). */
function brokerHub(RED: NodeAPI, t: Texts, def: DeviceDef): { hubNode: HubNode } | { status: string; reason: string } {
    const hubNode = typeof def.hub === 'string' ? (RED.nodes.getNode(def.hub) as HubNode | null) : null;
    if (!hubNode) return { status: t('status.no-hub'), reason: RED._('common.errors.no-hub') };
    if (hubNode.bridge === undefined)
        return {
            status: t('status.no-broker'),
            reason: t(hubNode.configError === undefined ? 'errors.no-broker' : 'errors.hub-error'),
        };
    return { hubNode };
}

/** The status a hub imposes on its device nodes (connection), or undefined when it has none. */
function statusOf(RED: NodeAPI, t: Texts, hubNode: HubNode): NodeStatus | undefined {
    switch (hubNode.connection) {
        case 'connecting':
            return { fill: 'yellow', shape: 'ring', text: RED._('common.status.connecting') };
        case 'disconnected':
            return { fill: 'red', shape: 'ring', text: t('status.disconnected') };
        default:
            return undefined;
    }
}

export = function (RED: NodeAPI): void {
    const t = texts(RED, TYPE);

    function DeviceNode(this: Node, def: DeviceDef): void {
        RED.nodes.createNode(this, def);
        const parsed = parseDeviceNodeConfig(def);
        if ('error' in parsed) {
            refuseConfig(RED, this, TYPE, t.problem(parsed.problem));
            return;
        }
        const found = brokerHub(RED, t, def);
        if (!('hubNode' in found)) {
            const text = t('errors.config', { reason: found.reason });
            refuse(this, { status: found.status, log: text, fail: text });
            return;
        }
        start(this, def, parsed.config, found.hubNode);
    }

    /** Wires a node whose configuration and hub are good. */
    function start(node: Node, def: DeviceDef, config: DeviceNodeConfig, hubNode: HubNode): void {
        const bridge = hubNode.bridge as NonNullable<HubNode['bridge']>;
        const target = typeof def.target === 'string' ? def.target.trim() : '';
        const publish = (type: string, msg: NodeMessage): void => {
            if (!config.publish) return;
            try {
                hubNode.hub.publish(type, msg, node.id, false, true);
            } catch (err) {
                // Only a closing hub refuses a valid type: the node is being stopped too.
                node.debug((err as Error).message);
            }
        };
        let warnedOverLimit = false;
        const status: LiveStatus = new LiveStatus(node, (): NodeStatus => {
            if (!warnedOverLimit && source.stats().overLimit > 0) {
                warnedOverLimit = true;
                node.warn(t('log.over-limit', { max: MAX_REMEMBERED_SENSORS }));
            }
            return statusOf(RED, t, hubNode) ?? countsStatus(t, source);
        });
        const source: DeviceSource = new DeviceSource(config, listenerOf(node, t, publish, status));
        Object.assign(node, { deviceSource: source, deviceProfile: config.profile });
        const subscriptions = new Subscriptions(bridge, source, config.profile === 'homeassistant');
        subscriptions.update();
        const user = {
            redraw: () => {
                status.bump();
            },
        };
        hubNode.register(user);

        node.on('input', (msg: CommandMsg, _send, done) => {
            const problem = drive(t, source, bridge, config.profile, target, msg);
            if (problem === undefined) done();
            else done(new Error(problem));
        });
        offerMetrics(node, TYPE, def.name, () => ({ profile: config.profile, ...source.stats() }));
        node.on('close', (_removed: boolean, done: () => void) => {
            subscriptions.close();
            source.close();
            status.stop();
            hubNode.deregister(user);
            done();
        });
        status.now();
    }
    RED.nodes.registerType(TYPE, DeviceNode);

    RED.httpAdmin.get('/sensorhub/devices/:id', RED.auth.needsPermission('sensorhub-device.read'), (req, res) => {
        const found = RED.nodes.getNode(String(req.params.id)) as RunningDeviceNode | null;
        const source = found?.type === TYPE ? found.deviceSource : undefined;
        if (source === undefined) {
            // Not deployed yet (or not running): the dialog says so instead of an empty list.
            res.status(404).json({ running: false });
            return;
        }
        res.json({ running: true, devices: source.listing(), discovered: source.discovered() });
    });
};

/** Devices, sensors and problems found so far. */
function countsStatus(t: Texts, source: DeviceSource): NodeStatus {
    const s = source.stats();
    const counts = { devices: s.devices, sensors: s.sensors, problems: s.problems };
    if (s.problems > 0) return { fill: 'yellow', shape: 'dot', text: t('status.found-problems', counts) };
    return { fill: 'green', shape: s.devices > 0 ? 'dot' : 'ring', text: t('status.found', counts) };
}

/**
 * A light command (the light node's `payload` {state, brightness}) or a lock's
 * (`actuate` lock/unlock, as the door lock node sends it); undefined for anything else.
 */
function commandOf(msg: CommandMsg): { light: LightCommand } | { action: LockAction } | undefined {
    if (msg.actuate === 'lock' || msg.actuate === 'unlock') return { action: msg.actuate };
    const p = msg.payload as { state?: unknown; brightness?: unknown } | null | undefined;
    if (p === null || typeof p !== 'object') return undefined;
    if (p.state !== 'on' && p.state !== 'off') return undefined;
    const b = p.brightness;
    if (b !== undefined && (typeof b !== 'number' || !Number.isFinite(b) || b < 0 || b > 100)) return undefined;
    return { light: { state: p.state, ...(b === undefined ? {} : { brightness: b }) } };
}
