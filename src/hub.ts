import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { EventHub, HubError, type Subscriber } from './core/hub';
import { isOverflowPolicy, type OverflowPolicy } from './core/queue';
import { parsePatternList, patternError } from './core/topic';

// Saved flows are user data: any field may be missing or of another type.
interface HubDef extends NodeDef {
    backend?: unknown;
    queueLimit?: unknown;
    overflow?: unknown;
}

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
}

/** The runtime face of a `sensorhub-hub` config node. */
interface HubNode extends Node {
    hub: EventHub;
    /** Publish/subscribe nodes using this hub, so their status follows the hub's. */
    users: Set<Node>;
    register(node: Node): void;
    deregister(node: Node): void;
}

const STATUS_INTERVAL_MS = 1000;

export = function (RED: NodeAPI): void {
    // Plain data is copied by the core; this handles the rest (Buffers, Dates, class instances) as Node-RED would.
    const clone = (value: object): unknown => RED.util.cloneMessage(value as NodeMessage);

    function HubConfigNode(this: HubNode, config: HubDef): void {
        RED.nodes.createNode(this, config);
        const queueLimit = toPositiveInt(config.queueLimit, 1000);
        const overflow: OverflowPolicy = isOverflowPolicy(config.overflow) ? config.overflow : 'drop-oldest';
        this.hub = new EventHub({ idPrefix: this.id, queueLimit, overflow, clone });
        this.users = new Set();
        this.register = (node: Node): void => {
            this.users.add(node);
        };
        this.deregister = (node: Node): void => {
            this.users.delete(node);
        };
        this.on('close', (done: () => void) => {
            this.hub.close();
            this.users.clear();
            done();
        });
    }
    RED.nodes.registerType('sensorhub-hub', HubConfigNode);

    function PublishNode(this: Node, config: PublishDef): void {
        RED.nodes.createNode(this, config);
        const hubNode = RED.nodes.getNode(config.hub) as HubNode | null;
        const fixedType = typeof config.eventType === 'string' ? config.eventType.trim() : '';
        const retain = config.retain === true;
        if (!hubNode) {
            this.status({ fill: 'red', shape: 'ring', text: RED._('common.status.no-hub') });
            this.on('input', (_msg: NodeMessageInFlow, _send, done) => {
                done(new Error(RED._('common.errors.no-hub')));
            });
            return;
        }
        hubNode.register(this);
        const counter = new StatusCounter((n) => {
            this.status({
                fill: 'green',
                shape: 'dot',
                text: RED._('sensorhub-publish.status.published', { count: n }),
            });
        });

        this.on('input', (msg: NodeMessageInFlow, _send, done) => {
            const type = fixedType || msg.topic;
            try {
                hubNode.hub.publish(type, msg, this.id, retain);
            } catch (err) {
                if (err instanceof HubError) {
                    this.status({ fill: 'red', shape: 'ring', text: RED._('sensorhub-publish.status.refused') });
                    done(new Error(RED._('sensorhub-publish.errors.refused', { reason: err.message })));
                    return;
                }
                throw err;
            }
            counter.bump();
            done();
        });

        this.on('close', (done: () => void) => {
            counter.stop();
            hubNode.deregister(this);
            done();
        });
    }
    RED.nodes.registerType('sensorhub-publish', PublishNode);

    function SubscribeNode(this: Node, config: SubscribeDef): void {
        RED.nodes.createNode(this, config);
        const hubNode = RED.nodes.getNode(config.hub) as HubNode | null;
        if (!hubNode) {
            this.status({ fill: 'red', shape: 'ring', text: RED._('common.status.no-hub') });
            return;
        }
        const patterns = parsePatternList(typeof config.patterns === 'string' ? config.patterns : '');
        const bad = patterns.map(patternError).find((e) => e !== undefined);
        if (patterns.length === 0 || bad !== undefined) {
            const reason = bad ?? RED._('sensorhub-subscribe.errors.no-pattern');
            this.status({ fill: 'red', shape: 'ring', text: RED._('sensorhub-subscribe.status.bad-pattern') });
            this.error(RED._('sensorhub-subscribe.errors.bad-pattern', { reason }));
            return;
        }
        const queueLimit = toPositiveInt(config.queueLimit, undefined);
        const overflow = isOverflowPolicy(config.overflow) ? config.overflow : undefined;

        let lastDropped = 0;
        const counter = new StatusCounter((n) => {
            const dropped = sub.dropped;
            if (dropped > lastDropped) {
                lastDropped = dropped;
                this.status({
                    fill: 'yellow',
                    shape: 'dot',
                    text: RED._('sensorhub-subscribe.status.dropped', { count: n, dropped }),
                });
            } else {
                this.status({
                    fill: 'green',
                    shape: 'dot',
                    text: RED._('sensorhub-subscribe.status.received', { count: n }),
                });
            }
        });

        hubNode.register(this);
        const sub: Subscriber = hubNode.hub.subscribe(
            (msg) => {
                this.send(msg);
                counter.bump();
            },
            { patterns, queueLimit, overflow, name: this.id },
        );
        this.status({ fill: 'green', shape: 'ring', text: patterns.join(', ') });

        // Retained values go out once the flow has started, so downstream nodes exist to receive them.
        let replay: NodeJS.Immediate | undefined;
        if (config.sendRetained !== false) {
            replay = setImmediate(() => {
                replay = undefined;
                hubNode.hub.replayRetained(sub);
            });
        }

        this.on('close', (done: () => void) => {
            if (replay) clearImmediate(replay);
            counter.stop();
            hubNode.hub.unsubscribe(sub);
            hubNode.deregister(this);
            done();
        });
    }
    RED.nodes.registerType('sensorhub-subscribe', SubscribeNode);
};

/**
 * Counts events and redraws a node's status at most once a second: a status
 * update is a message to every open editor, too costly per event.
 */
class StatusCounter {
    private count = 0;
    private timer: NodeJS.Timeout | undefined;

    constructor(private readonly draw: (count: number) => void) {}

    bump(): void {
        this.count++;
        if (this.timer === undefined) {
            this.timer = setTimeout(() => {
                this.timer = undefined;
                this.draw(this.count);
            }, STATUS_INTERVAL_MS);
        }
    }

    stop(): void {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timer = undefined;
    }
}

function toPositiveInt<T extends number | undefined>(v: unknown, fallback: T): number | T {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    return Number.isInteger(n) && n > 0 ? n : fallback;
}
