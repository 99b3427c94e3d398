import type { IPublishPacket } from 'mqtt';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import type { EventHub } from './core/hub/hub';
import type { BridgeState, RawHandler } from './core/hub/mqtt-bridge';
import {
    DeviceSource,
    MAX_REMEMBERED_SENSORS,
    parseDeviceNodeConfig,
    type DeviceEventMessage,
    type DeviceListener,
    type DeviceReadingMessage,
    type LightCommand,
    type LockAction,
    type OutgoingMessage,
    type ProblemReport,
} from './core/devices';
import { metricsRegistry } from './core/shared/metrics-registry';
import { Throttle } from './core/shared/throttle';
import { configText } from './config-text';

// Saved flows are user data: any field may be missing or of another type.
type DeviceDef = NodeDef & Record<string, unknown>;

/** What a device node needs of a `sensorhub-hub` config node (see src/hub.ts). */
interface HubNode extends Node {
    hub: EventHub;
    bridge?: {
        subscribeRaw(filter: string, handler: RawHandler): () => void;
        publishRaw(topic: string, payload: string, retain?: boolean): boolean;
    };
    configError: string | undefined;
    connection: BridgeState | undefined;
    register(user: { redraw(): void }): void;
    deregister(user: { redraw(): void }): void;
}

type CommandMsg = NodeMessageInFlow & { deviceId?: unknown; actuate?: unknown };

/** The running device nodes by id, for the editor's list of found devices. */
const running = new Map<string, DeviceSource>();

export = function (RED: NodeAPI): void {
    const t = (key: string, subs?: Record<string, string | number>): string => RED._(`sensorhub-device.${key}`, subs);

    function DeviceNode(this: Node, def: DeviceDef): void {
        RED.nodes.createNode(this, def);
        const refuse = (reason: string, status = 'status.bad-config'): void => {
            this.status({ fill: 'red', shape: 'ring', text: t(status) });
            this.error(t('errors.config', { reason }));
            this.on('input', (_msg: NodeMessageInFlow, _send, done) => {
                done(new Error(t('errors.config', { reason })));
            });
        };
        const parsed = parseDeviceNodeConfig(def);
        if ('error' in parsed) {
            refuse(configText(RED, 'sensorhub-device', parsed.problem));
            return;
        }
        const config = parsed.config;
        const hubNode = typeof def.hub === 'string' ? (RED.nodes.getNode(def.hub) as HubNode | null) : null;
        if (!hubNode) {
            refuse(RED._('common.errors.no-hub'), 'status.no-hub');
            return;
        }
        const bridge = hubNode.bridge;
        if (bridge === undefined) {
            refuse(t(hubNode.configError === undefined ? 'errors.no-broker' : 'errors.hub-error'), 'status.no-broker');
            return;
        }
        const target = typeof def.target === 'string' ? def.target.trim() : '';

        const publish = (type: string, msg: NodeMessage): void => {
            if (!config.publish) return;
            try {
                hubNode.hub.publish(type, msg, this.id, false, true);
            } catch (err) {
                // Only a closing hub refuses a valid type: the node is being stopped too.
                this.debug((err as Error).message);
            }
        };
        const listener: DeviceListener = {
            reading: (msg) => {
                // The hub gets its own copy: the message sent on may be changed by the next node.
                publish(msg.topic, { ...msg, sensor: { ...msg.sensor }, reading: { ...msg.reading } });
                this.send([msg, null]);
                throttle.bump();
            },
            failure: (msg: DeviceReadingMessage, why) => {
                const reason = configText(RED, 'sensorhub-device', why);
                this.error(t('errors.read', { id: msg.sensor.id, status: msg.reading.status, reason }), msg);
                throttle.bump();
            },
            event: (msg: DeviceEventMessage) => {
                if (msg.topic === 'device_online' || msg.topic === 'device_offline')
                    publish(msg.topic, { ...msg, payload: { ...msg.payload } });
                this.send([null, msg]);
                throttle.bump();
            },
            problem: (r: ProblemReport) => {
                const reason = configText(RED, 'sensorhub-device', r.problem);
                this.warn(
                    r.count === 1
                        ? t('log.problem', { reason })
                        : t('log.problem-more', { count: r.count, total: r.total, reason }),
                );
                throttle.bump();
            },
        };
        const source = new DeviceSource(config, listener);
        running.set(this.id, source);

        let warnedOverLimit = false;
        const redraw = (): void => {
            this.status(statusOf(hubNode) ?? countsStatus());
            if (warnedOverLimit || source.stats().overLimit === 0) return;
            warnedOverLimit = true;
            this.warn(t('log.over-limit', { max: MAX_REMEMBERED_SENSORS }));
        };
        const countsStatus = (): NodeStatus => {
            const s = source.stats();
            const counts = { devices: s.devices, sensors: s.sensors, problems: s.problems };
            if (s.problems > 0) return { fill: 'yellow', shape: 'dot', text: t('status.found-problems', counts) };
            return { fill: 'green', shape: s.devices > 0 ? 'dot' : 'ring', text: t('status.found', counts) };
        };
        const throttle = new Throttle(redraw);
        const user = { redraw };

        /** Filter → its unsubscribe, so the subscriptions follow the profile's (Home Assistant's grow). */
        const subscribed = new Map<string, () => void>();
        const onMessage: RawHandler = (topic: string, payload: Buffer, _packet: IPublishPacket) => {
            source.handle(topic, payload);
            if (config.profile === 'homeassistant' && topic.endsWith('/config')) resubscribe();
        };
        const resubscribe = (): void => {
            const wanted = new Set(source.subscriptions());
            for (const [filter, off] of subscribed)
                if (!wanted.has(filter)) {
                    off();
                    subscribed.delete(filter);
                }
            for (const filter of wanted)
                if (!subscribed.has(filter)) subscribed.set(filter, bridge.subscribeRaw(filter, onMessage));
        };
        resubscribe();
        hubNode.register(user);

        const send = (out: OutgoingMessage[]): boolean => out.every((m) => bridge.publishRaw(m.topic, m.payload));
        this.on('input', (msg: CommandMsg, _send, done) => {
            const device = typeof msg.deviceId === 'string' && msg.deviceId !== '' ? msg.deviceId : target;
            if (device === '') {
                done(new Error(t('errors.no-target')));
                return;
            }
            // The door lock says its state on the same output as its actuations: only `actuate` moves hardware.
            if (msg.topic === 'lock_state' && msg.actuate === undefined) {
                done();
                return;
            }
            const command = commandOf(msg);
            if (command === undefined) {
                done(new Error(t('errors.not-command')));
                return;
            }
            const out = 'action' in command ? source.lock(device, command.action) : source.light(device, command.light);
            if (out.length === 0) {
                done(new Error(t('errors.cannot-drive', { device, profile: config.profile })));
                return;
            }
            if (!send(out)) {
                done(new Error(t('errors.not-sent', { device })));
                return;
            }
            done();
        });

        const withdrawMetrics = metricsRegistry.register(
            { id: this.id, type: 'sensorhub-device', name: typeof def.name === 'string' ? def.name : '' },
            () => source.stats(),
        );

        this.on('close', (_removed: boolean, done: () => void) => {
            withdrawMetrics();
            for (const off of subscribed.values()) off();
            subscribed.clear();
            if (running.get(this.id) === source) running.delete(this.id);
            source.close();
            throttle.stop();
            hubNode.deregister(user);
            done();
        });
        redraw();
    }
    RED.nodes.registerType('sensorhub-device', DeviceNode);

    /** The status a hub imposes on its device nodes (connection), or undefined when it has none. */
    function statusOf(hubNode: HubNode): NodeStatus | undefined {
        switch (hubNode.connection) {
            case 'connecting':
                return { fill: 'yellow', shape: 'ring', text: RED._('common.status.connecting') };
            case 'disconnected':
                return { fill: 'red', shape: 'ring', text: t('status.disconnected') };
            default:
                return undefined;
        }
    }

    RED.httpAdmin.get('/sensorhub/devices/:id', RED.auth.needsPermission('sensorhub-device.read'), (req, res) => {
        const source = running.get(String(req.params.id));
        if (source === undefined) {
            // Not deployed yet (or not running): the dialog says so instead of an empty list.
            res.status(404).json({ running: false });
            return;
        }
        res.json({ running: true, devices: source.listing(), discovered: source.discovered() });
    });
};

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
