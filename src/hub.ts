import { hostname } from 'node:os';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { EventHub, HubError, type EventMessage, type HubOptions, type Subscriber } from './core/hub/hub';
import { restoreRetained, saveRetained, type RestoredRetained } from './core/hub/retained-store';
import {
    defaultClientId,
    parseHubConfig,
    wholeNumber,
    DEFAULT_QUEUE_LIMIT,
    QUEUE_LIMIT_MAX,
    type HubConfig,
} from './core/hub/config';
import { controlRoot, MqttBridge, type BridgeState } from './core/hub/mqtt-bridge';
import { HaAnnouncer } from './core/ha/announcer';
import { topicId } from './core/ha/discovery';
import { packageVersion } from './adapter/ha';
import { groupProblem, MAX_GROUP_LENGTH } from './core/hub/group';
import { CompletionTracker, completesMessages, type Hooks } from './core/hub/flow-control';
import { isOverflowPolicy, type OverflowPolicy } from './core/shared/queue';
import { Throttle } from './core/shared/throttle';
import { keptKey, refuse, refuseConfig } from './adapter';
import { eventTypeProblem, parsePatternList, patternProblem } from './core/shared/topic';
import { problemOf } from './core/shared/config-fields';
import { configText } from './config-text';
import { evaluateFixed, evaluateMessage, isProblem, problemText, typedField, type TypedField } from './typed-input';
import { editorSettings } from './editor-settings';

// Saved flows are user data: any field may be missing or of another type.
type HubDef = NodeDef & Record<string, unknown>;

interface PublishDef extends NodeDef {
    hub: string;
    eventType?: unknown;
    retain?: unknown;
}

interface SubscribeDef extends NodeDef {
    hub: string;
    patterns?: unknown;
    queueLimit?: unknown;
    overflow?: unknown;
    sendRetained?: unknown;
    group?: unknown;
    wires?: unknown;
}

interface HubCredentials {
    user?: string;
    password?: string;
}

/** A node using a hub: redrawn when the hub's connection changes. */
interface HubUser {
    redraw(): void;
}

/** The runtime face of a `sensorhub-hub` config node. */
interface HubNode extends Node<HubCredentials> {
    hub: EventHub;
    bridge: MqttBridge | undefined;
    /** Announces the entities of nodes that name this hub to Home Assistant, when the hub is set to. */
    ha: HaAnnouncer | undefined;
    /** Why the hub cannot work (bad configuration), if it cannot. */
    configError: string | undefined;
    /** Connection state for an MQTT hub; undefined for a local one. */
    connection: BridgeState | undefined;
    /** The MQTT protocol version of an MQTT hub's connection. */
    protocolVersion: 4 | 5 | undefined;
    register(user: HubUser): void;
    deregister(user: HubUser): void;
    /** Calls `fn` once the retained events kept from before are back (at once, unless the context store is slow). */
    whenRestored(fn: () => void): void;
}

/** A hub's retained events and last sequence number, kept from its close until it starts again. */
interface KeptRetained {
    events: EventMessage[];
    seq: number;
}

interface TlsConfigNode extends Node {
    addTLSOptions(opts: Record<string, unknown>): Record<string, unknown>;
}

/**
 * A message its node has not completed after one to two of these periods is taken as lost (the node
 * threw, or never calls done()), and its place in the subscriber's window is given back. Settings.js may
 * change it as `sensorhubSubscribeCompletionTimeout` (seconds).
 */
const DEFAULT_SWEEP_S = 15;

/** The hub config node's context key its retained events are kept under. */
const RETAINED_KEY = 'retained';
/** Retained events may change with every event: they are written to context at most this often, and on close. */
const RETAINED_SAVE_MS = 5000;

/**
 * Node types known neither to change a message they receive nor to hand its objects on to nodes that could. A
 * subscriber wired only to these shares the frozen event; any other node (function, change, template, split,
 * link out, a subflow, a contrib node) gets a writable copy. Monitor and sensor send the received message on.
 * `mqtt out` (Node-RED 4.1 and 5.0) has no output and writes only top-level keys (qos, retain, topic, payload as
 * JSON text), which are the subscriber's own: it reads nested values to serialize them.
 */
const READ_ONLY_TYPES: ReadonlySet<string> = new Set([
    'debug',
    'mqtt out',
    'sensorhub-publish',
    'sensorhub-light',
    'sensorhub-door-lock',
    'sensorhub-threshold',
]);

/**
 * Keeps a hub's retained events across a redeploy (in memory) and across a restart of Node-RED (in
 * the node's context, when the context store is persistent), writing the context lazily.
 */
function keepRetained(RED: NodeAPI, node: HubNode, keptRetained: Map<string, KeptRetained>) {
    const context = node.context();
    const t = (key: string, subs: Record<string, string | number> = {}): string =>
        RED._(`sensorhub-hub.errors.${key}`, subs);
    let timer: NodeJS.Timeout | undefined;
    let saveFailed = false;
    /** Calls waiting for an asynchronous context store to answer; undefined once it has (or was not asked). */
    let waiting: (() => void)[] | undefined;
    const write = (): void => {
        clearTimeout(timer);
        timer = undefined;
        context.set(RETAINED_KEY, saveRetained(node.hub.retainedEvents(), node.hub.lastSeq), (err?: Error) => {
            // Said once, not per write: a store that cannot save now will not at the next event either.
            if (err && !saveFailed) node.warn(t('save-retained', { reason: err.message }));
            saveFailed = Boolean(err);
        });
    };
    const read = (raw: unknown): RestoredRetained | undefined => {
        const restored = restoreRetained(raw);
        if (raw !== undefined && restored === undefined) node.warn(t('restore-retained-invalid'));
        else if (restored !== undefined && restored.skipped > 0)
            node.warn(t('restore-retained', { count: restored.skipped }));
        return restored;
    };
    // The same key rule as every node's kept state: see keptKey.
    const key = keptKey(node);
    let start: Pick<RestoredRetained, 'events' | 'seq'> | undefined = keptRetained.get(key);
    keptRetained.delete(key);
    if (start === undefined) {
        try {
            start = read(context.get(RETAINED_KEY));
        } catch {
            // A context store without a cache answers only asynchronously.
            waiting = [];
            context.get(RETAINED_KEY, (err: Error | undefined, raw: unknown) => {
                if (err) node.warn(t('read-retained', { reason: err.message }));
                else node.hub.restoreRetained(read(raw)?.events ?? []);
                for (const fn of waiting ?? []) fn();
                waiting = undefined;
            });
        }
    }
    const options: Pick<HubOptions, 'retained' | 'seq' | 'onRetainedChange'> = {
        retained: start?.events,
        seq: start?.seq,
        onRetainedChange: () => {
            timer ??= setTimeout(write, RETAINED_SAVE_MS);
        },
    };
    return {
        options,
        whenRestored: (fn: () => void): void => {
            if (waiting) waiting.push(fn);
            else fn();
        },
        /** Before the hub closes: a removed hub's events go with it. */
        close: (removed: boolean): void => {
            const restoring = waiting !== undefined;
            waiting = undefined;
            if (removed || restoring) {
                // Still reading: the context keeps the older set, which the next hub with this id reads again.
                clearTimeout(timer);
                return;
            }
            keptRetained.set(key, { events: node.hub.retainedEvents(), seq: node.hub.lastSeq });
            if (timer !== undefined) write();
        },
    };
}

/** The status a hub imposes on its users (bad config, connection), or undefined when it has none. */
function hubStatus(RED: NodeAPI, hubNode: HubNode): NodeStatus | undefined {
    if (hubNode.configError !== undefined)
        return { fill: 'red', shape: 'ring', text: RED._('common.status.hub-error') };
    switch (hubNode.connection) {
        case 'connecting':
            return { fill: 'yellow', shape: 'ring', text: RED._('common.status.connecting') };
        case 'disconnected': {
            const buffered = hubNode.bridge?.stats().buffered ?? 0;
            return { fill: 'red', shape: 'ring', text: RED._('common.status.disconnected', { buffered }) };
        }
        default:
            return undefined;
    }
}

/** What the publish and subscribe nodes share: the message flow control across all subscribers. */
interface FlowControl {
    readonly tracker: CompletionTracker;
    /** Each subscriber node's way to hear that places were given back, by its subscriber. */
    readonly reclaimListeners: Map<Subscriber, (count: number) => void>;
    readonly sweepMs: number;
}

function flowControl(RED: NodeAPI): FlowControl {
    const reclaimListeners = new Map<Subscriber, (count: number) => void>();
    const setting = Number(
        (RED.settings as unknown as Record<string, unknown>).sensorhubSubscribeCompletionTimeout ?? DEFAULT_SWEEP_S,
    );
    const sweepMs = (Number.isFinite(setting) && setting > 0 ? setting : DEFAULT_SWEEP_S) * 1000;
    const tracker = new CompletionTracker((RED as unknown as { hooks?: Hooks }).hooks, {
        sweepMs,
        onReclaim: (sub, count) => reclaimListeners.get(sub)?.(count),
    });
    return { tracker, reclaimListeners, sweepMs };
}

/** Connects an MQTT hub to its broker; `refuse` when its TLS configuration node is missing. */
function startBridge(
    RED: NodeAPI,
    node: HubNode,
    def: HubDef,
    mqtt: NonNullable<HubConfig['mqtt']>,
    redrawAll: () => void,
    refuse: (reason: string) => void,
): void {
    // undefined: no TLS node asked for; null: asked for, but it is not there.
    const tlsNode =
        mqtt.useTls && typeof def.tls === 'string' && def.tls !== ''
            ? (RED.nodes.getNode(def.tls) as TlsConfigNode | null)
            : undefined;
    if (tlsNode === null) {
        refuse(RED._('sensorhub-hub.errors.no-tls'));
        return;
    }
    const tls = tlsNode?.addTLSOptions({});
    const userDir = (RED.settings as { userDir?: unknown }).userDir;
    const clientId =
        mqtt.clientId ||
        defaultClientId(
            node.id,
            hostname(),
            typeof userDir === 'string' ? userDir : String(process.pid),
            mqtt.url,
            mqtt.prefix,
        );
    const bridge = new MqttBridge(node.hub, {
        url: mqtt.url,
        clientId,
        prefix: mqtt.prefix,
        qos: mqtt.qos,
        protocolVersion: mqtt.protocolVersion,
        bufferLimit: mqtt.bufferLimit,
        keepalive: mqtt.keepalive,
        username: node.credentials.user,
        password: node.credentials.password,
        tls,
    });
    node.bridge = bridge;
    node.protocolVersion = mqtt.protocolVersion;
    bridge.on('state', (state: BridgeState) => {
        node.connection = state;
        if (state === 'connected') node.log(RED._('sensorhub-hub.log.connected', { url: mqtt.url }));
        redrawAll();
    });
    bridge.on('error', (err: Error) => {
        node.error(RED._('sensorhub-hub.errors.broker', { url: mqtt.url, reason: err.message }));
    });
    if (mqtt.haPrefix !== undefined) node.ha = announcer(node, bridge, clientId, mqtt.haPrefix);
    node.connection = 'connecting';
    bridge.start();
}

/** How long after a connect the configs this instance left on the broker are collected before the orphans go. */
const HA_SWEEP_MS = 3000;

/** The hub's Home Assistant announcer: over its one connection, available while it is (its last will). */
function announcer(node: HubNode, bridge: MqttBridge, clientId: string, discovery: string) {
    const ha = new HaAnnouncer(
        {
            discoveryPrefix: discovery,
            // Outside the hub's prefix: under it, the hub's own `<prefix>/#` subscription would deliver every
            // command a second time (mosquitto sends a copy per matching subscription). `$` topics match no `#`.
            root: `${controlRoot('')}/ha/${topicId(clientId)}`,
            availabilityTopic: bridge.statusTopic,
            instanceId: clientId,
            deviceName: `Sensor Hub ${node.name || hostname()}`,
            version: packageVersion(),
        },
        {
            publish: (topic, payload, retain) => bridge.publishRaw(topic, payload, retain),
            subscribe: (filter, handler) =>
                bridge.subscribeRaw(filter, (topic, payload, packet) => {
                    handler(topic, payload, packet.retain);
                }),
        },
        { sweepDelayMs: HA_SWEEP_MS },
    );
    bridge.on('state', (state: BridgeState) => {
        if (state === 'connected') ha.connected();
    });
    return ha;
}

/** Wires a hub config node: its users, the hub with its retained events, the broker, and close. */
function startHub(RED: NodeAPI, node: HubNode, def: HubDef, keptRetained: Map<string, KeptRetained>): void {
    const users = new Set<HubUser>();
    node.register = (user) => users.add(user);
    node.deregister = (user) => users.delete(user);
    const redrawAll = (): void => {
        for (const u of users) u.redraw();
    };

    const parsed = parseHubConfig(def);
    // A misconfigured hub still works locally with the defaults, so its users report rather than crash.
    const config: HubConfig =
        'config' in parsed
            ? parsed.config
            : { backend: 'local', queueLimit: DEFAULT_QUEUE_LIMIT, overflow: 'drop-oldest' };
    // Users' status says "see the log" for any configuration error, so each one is logged here.
    const refuse = (reason: string): void => {
        node.configError = reason;
        node.error(RED._('sensorhub-hub.errors.config', { reason }));
    };
    if ('error' in parsed) refuse(configText(RED, 'sensorhub-hub', parsed.problem));
    const retained = keepRetained(RED, node, keptRetained);
    node.whenRestored = retained.whenRestored;
    node.hub = new EventHub({
        idPrefix: node.id,
        queueLimit: config.queueLimit,
        overflow: config.overflow,
        // Plain data is copied by the core; this handles the rest (Buffers, Dates, class instances) as Node-RED would.
        clone: (value: object): unknown => RED.util.cloneMessage(value as NodeMessage),
        ...retained.options,
    });
    if (config.mqtt && node.configError === undefined) startBridge(RED, node, def, config.mqtt, redrawAll, refuse);

    node.on('close', (removed: boolean, done: () => void) => {
        const bridge = node.bridge;
        node.bridge = undefined;
        node.ha?.close();
        node.ha = undefined;
        retained.close(removed);
        node.hub.close();
        users.clear();
        if (bridge) {
            bridge.removeAllListeners('error');
            void bridge.close().then(done);
        } else {
            done();
        }
    });
}

/** A publish node's event type: typed in (blank: msg.topic), from an environment variable, or from a msg property. */
interface PublishSetup {
    readonly fixedType: string;
    readonly msgType: TypedField | undefined;
    readonly retain: boolean;
}

function readPublishSetup(RED: NodeAPI, node: Node, config: PublishDef): PublishSetup | { reason: string } {
    const typeField = typedField(
        config as unknown as Record<string, unknown>,
        'eventType',
        ['str', 'msg', 'env'],
        'str',
    );
    const fixed = isProblem(typeField) || typeField.type === 'msg' ? undefined : evaluateFixed(RED, node, typeField);
    const typeProblem = isProblem(typeField) ? typeField : fixed && isProblem(fixed) ? fixed : undefined;
    if (typeProblem)
        return {
            reason: problemText(RED, 'sensorhub-publish', RED._('sensorhub-publish.label.event-type'), typeProblem),
        };
    return {
        fixedType: fixed && !isProblem(fixed) && typeof fixed.value === 'string' ? fixed.value.trim() : '',
        msgType: !isProblem(typeField) && typeField.type === 'msg' ? typeField : undefined,
        retain: config.retain === true,
    };
}

/** A node that cannot work without its hub config node. */
function refuseNoHub(RED: NodeAPI, node: Node, withInput: boolean): void {
    refuse(node, {
        status: RED._('common.status.no-hub'),
        fail: withInput ? RED._('common.errors.no-hub') : undefined,
    });
}

function publishStatus(RED: NodeAPI, hubNode: HubNode, count: number, refused: boolean): NodeStatus {
    const imposed = hubStatus(RED, hubNode);
    if (imposed) return imposed;
    if (refused) return { fill: 'red', shape: 'ring', text: RED._('sensorhub-publish.status.refused') };
    if (count > 0) return { fill: 'green', shape: 'dot', text: RED._('sensorhub-publish.status.published', { count }) };
    return {};
}

/** Publishes a message on the hub; why it was refused, as the error to complete it with. */
function publish(
    RED: NodeAPI,
    node: Node,
    hubNode: HubNode,
    setup: PublishSetup,
    msg: NodeMessageInFlow,
): Error | undefined {
    let type: unknown = setup.fixedType || msg.topic;
    if (setup.msgType) {
        const got = evaluateMessage(RED, setup.msgType, msg);
        if (isProblem(got)) {
            const reason = problemText(RED, 'sensorhub-publish', RED._('sensorhub-publish.label.event-type'), got);
            return new Error(RED._('sensorhub-publish.errors.not-published', { reason }));
        }
        type = got.value;
    }
    try {
        // This node owns the message it received (Node-RED clones for a sender's extra wires).
        hubNode.hub.publish(type, msg, node.id, setup.retain, true);
        return undefined;
    } catch (err) {
        // Only a refusal is worth the look-up: the success path stays as it was.
        const bad = err instanceof HubError && err.code === 'invalid_type' ? eventTypeProblem(type) : undefined;
        const reason =
            bad !== undefined
                ? configText(RED, 'sensorhub-publish', problemOf(bad, 'eventType', bad.message))
                : (err as Error).message;
        return new Error(RED._('sensorhub-publish.errors.refused', { reason }));
    }
}

function startPublish(RED: NodeAPI, node: Node, hubNode: HubNode, setup: PublishSetup): void {
    let count = 0;
    let refused = false;
    const user: HubUser = {
        redraw: () => {
            node.status(publishStatus(RED, hubNode, count, refused));
        },
    };
    const throttle = new Throttle(() => {
        user.redraw();
    });
    hubNode.register(user);
    user.redraw();

    node.on('input', (msg: NodeMessageInFlow, _send, done) => {
        const err = publish(RED, node, hubNode, setup, msg);
        refused = err !== undefined;
        if (!refused) count++;
        throttle.bump();
        done(err);
    });

    node.on('close', (done: () => void) => {
        throttle.stop();
        hubNode.deregister(user);
        done();
    });
}

/** A subscribe node's patterns, queue limit, overflow policy and consumer group. */
interface SubscribeSetup {
    readonly patterns: string[];
    readonly queueLimit: number | undefined;
    readonly overflow: OverflowPolicy | undefined;
    readonly group: string | undefined;
}

/** A subscribe node's consumer group (undefined: none), or why it cannot be one on this hub. */
function readGroup(RED: NodeAPI, config: SubscribeDef, hubNode: HubNode): string | undefined | { reason: string } {
    if (config.group !== undefined && typeof config.group !== 'string')
        return { reason: RED._('sensorhub-subscribe.errors.group-invalid', { group: typeof config.group }) };
    const group = (config.group ?? '').trim();
    if (group === '') return undefined;
    const bad = groupProblem(group);
    if (bad !== undefined)
        return { reason: RED._(`sensorhub-subscribe.errors.${bad.code}`, { group, max: MAX_GROUP_LENGTH }) };
    // Only MQTT 5's subscription identifiers tell a group's delivery from the ordinary one of the same event.
    if (hubNode.bridge !== undefined && hubNode.protocolVersion !== 5)
        return { reason: RED._('sensorhub-subscribe.errors.group-mqtt5', { group }) };
    return group;
}

function readSubscribeSetup(RED: NodeAPI, config: SubscribeDef, hubNode: HubNode): SubscribeSetup | { reason: string } {
    const patterns = parsePatternList(typeof config.patterns === 'string' ? config.patterns : '');
    const bad = patterns.map(patternProblem).find((e) => e !== undefined);
    const blank = (v: unknown): boolean => v === undefined || v === '';
    const queueLimit = blank(config.queueLimit) ? undefined : wholeNumber(config.queueLimit, QUEUE_LIMIT_MAX);
    const overflow = isOverflowPolicy(config.overflow) ? config.overflow : undefined;
    if (patterns.length === 0) return { reason: RED._('sensorhub-subscribe.errors.no-pattern') };
    if (bad !== undefined)
        return { reason: configText(RED, 'sensorhub-subscribe', problemOf(bad, 'patterns', bad.message)) };
    if (!blank(config.queueLimit) && queueLimit === undefined) return { reason: RED._('common.errors.queue-limit') };
    if (!blank(config.overflow) && overflow === undefined) return { reason: RED._('common.errors.overflow') };
    const group = readGroup(RED, config, hubNode);
    if (typeof group === 'object') return group;
    return { patterns, queueLimit, overflow, group };
}

function subscribeStatus(
    RED: NodeAPI,
    hubNode: HubNode,
    setup: SubscribeSetup,
    count: number,
    dropped: number,
): NodeStatus {
    const imposed = hubStatus(RED, hubNode);
    if (imposed) return imposed;
    if (dropped > 0)
        return { fill: 'yellow', shape: 'dot', text: RED._('sensorhub-subscribe.status.dropped', { count, dropped }) };
    if (count > 0)
        return { fill: 'green', shape: 'dot', text: RED._('sensorhub-subscribe.status.received', { count }) };
    const patterns = setup.patterns.join(', ');
    const text =
        setup.group === undefined
            ? patterns
            : RED._('sensorhub-subscribe.status.group', { patterns, group: setup.group });
    return { fill: 'green', shape: 'ring', text };
}

/** The ids of the nodes on a subscribe node's (only) output. */
function firstWireTargets(config: SubscribeDef): Set<string> {
    const firstWire: unknown = Array.isArray(config.wires) ? config.wires[0] : undefined;
    return new Set(Array.isArray(firstWire) ? firstWire.filter((id): id is string => typeof id === 'string') : []);
}

/**
 * Subscribes a node to the hub, with a window of messages outstanding
 * downstream when the wired nodes can complete them. What the wired nodes are
 * is known only once they exist: at the first delivery. Whether they may
 * change the message decides between a writable copy and the shared frozen
 * event; whether they can complete at all decides whether there is a window.
 */
function subscribe(
    RED: NodeAPI,
    node: Node,
    hubNode: HubNode,
    flow: FlowControl,
    setup: SubscribeSetup,
    targets: Set<string>,
    delivered: () => void,
): { sub: Subscriber; close: () => void } {
    const { tracker, reclaimListeners } = flow;
    const wired = targets.size > 0;
    // Without the hook (or with nothing wired) nothing could ever complete: no window then.
    let controlled = tracker.available && wired;
    /** Undefined while a wired node has not started yet. */
    const resolveTargets = (): boolean | undefined => {
        const nodes: Node[] = [];
        for (const id of targets) {
            const target = RED.nodes.getNode(id) as Node | null;
            if (!target) return undefined; // not started yet: ask again at the next delivery
            nodes.push(target);
        }
        if (controlled) settleWindow(nodes);
        return nodes.some((n) => !READ_ONLY_TYPES.has(n.type));
    };
    const settleWindow = (nodes: readonly Node[]): void => {
        const completing = new Set(nodes.filter((n) => completesMessages(n)).map((n) => n.id));
        if (completing.size > 0) {
            tracker.retarget(sub, completing);
            return;
        }
        // Old-style nodes and subflow instances never complete: a window would only stall them.
        controlled = false;
        tracker.release(sub);
        reclaimListeners.delete(sub);
        sub.unlimit();
    };
    const sub: Subscriber = hubNode.hub.subscribe(
        (msg, self) => {
            if (controlled) tracker.track(msg, self);
            node.send(msg);
            delivered();
        },
        {
            ...setup,
            name: node.id,
            maxInFlight: controlled ? (setup.queueLimit ?? hubNode.hub.queueLimit) : Infinity,
            mayWrite: wired ? resolveTargets : false,
        },
    );
    if (controlled) {
        tracker.acquire(sub, targets);
        let warned = false;
        reclaimListeners.set(sub, (count) => {
            // Once per deploy: a node that throws on every message would otherwise warn every sweep.
            if (!warned)
                node.warn(RED._('sensorhub-subscribe.errors.stalled', { count, seconds: flow.sweepMs / 1000 }));
            warned = true;
        });
    }
    return {
        sub,
        close: () => {
            reclaimListeners.delete(sub);
            if (controlled) tracker.release(sub);
        },
    };
}

function startSubscribe(
    RED: NodeAPI,
    node: Node,
    hubNode: HubNode,
    flow: FlowControl,
    config: SubscribeDef,
    setup: SubscribeSetup,
): void {
    let count = 0;
    const user: HubUser = {
        redraw: () => {
            node.status(subscribeStatus(RED, hubNode, setup, count, subscription.sub.dropped));
        },
    };
    const throttle = new Throttle(() => {
        user.redraw();
    });
    const subscription = subscribe(RED, node, hubNode, flow, setup, firstWireTargets(config), () => {
        count++;
        throttle.bump();
    });
    const { sub } = subscription;
    hubNode.register(user);
    user.redraw();

    // Retained values go out once the flow has started, so downstream nodes exist to receive them.
    let replay: NodeJS.Immediate | undefined;
    if (config.sendRetained !== false) {
        replay = setImmediate(() => {
            replay = undefined;
            hubNode.whenRestored(() => hubNode.hub.replayRetained(sub));
        });
    }

    node.on('close', (done: () => void) => {
        if (replay) clearImmediate(replay);
        subscription.close();
        throttle.stop();
        hubNode.hub.unsubscribe(sub);
        hubNode.deregister(user);
        done();
    });
}

export = function (RED: NodeAPI): void {
    const flow = flowControl(RED);
    /**
     * Each hub's retained events, by hub id, from its close until a hub with that id starts again: a full
     * deploy (the editor's default) restarts the hub config node, and Node-RED's default context store
     * forgets a node's context when it stops. Dropped when the hub is removed.
     */
    const keptRetained = new Map<string, KeptRetained>();

    function HubConfigNode(this: HubNode, def: HubDef): void {
        RED.nodes.createNode(this, def);
        startHub(RED, this, def, keptRetained);
    }
    RED.nodes.registerType<HubNode, HubDef, unknown, HubCredentials>('sensorhub-hub', HubConfigNode, {
        ...editorSettings('sensorhub-hub'),
        credentials: { user: { type: 'text' }, password: { type: 'password' } },
    });

    function PublishNode(this: Node, config: PublishDef): void {
        RED.nodes.createNode(this, config);
        const hubNode = RED.nodes.getNode(config.hub) as HubNode | null;
        const setup = readPublishSetup(RED, this, config);
        if ('reason' in setup) refuseConfig(RED, this, 'sensorhub-publish', setup.reason);
        else if (!hubNode) refuseNoHub(RED, this, true);
        else startPublish(RED, this, hubNode, setup);
    }
    RED.nodes.registerType('sensorhub-publish', PublishNode);

    function SubscribeNode(this: Node, config: SubscribeDef): void {
        RED.nodes.createNode(this, config);
        const hubNode = RED.nodes.getNode(config.hub) as HubNode | null;
        if (!hubNode) {
            refuseNoHub(RED, this, false);
            return;
        }
        const setup = readSubscribeSetup(RED, config, hubNode);
        if ('reason' in setup)
            refuse(this, {
                status: RED._('sensorhub-subscribe.status.bad-config'),
                log: RED._('sensorhub-subscribe.errors.not-subscribed', { reason: setup.reason }),
            });
        else startSubscribe(RED, this, hubNode, flow, config, setup);
    }
    RED.nodes.registerType('sensorhub-subscribe', SubscribeNode);
};
