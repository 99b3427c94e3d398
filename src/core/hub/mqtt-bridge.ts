import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import mqtt, { type IClientOptions, type IClientSubscribeOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { BoundedQueue } from '../shared/queue';
import { deepFreeze } from '../shared/freeze';
import type { EventHub, EventMessage, HubEventInfo } from './hub';
import { shareKey, type GroupCarrier } from './group';
import { eventTypeError, levelsMatch } from '../shared/topic';
import { RetainedSeen } from './retained-seen';

export type BridgeState = 'connecting' | 'connected' | 'disconnected' | 'closed';

/** Payloads of an instance's status topic: retained, `offline` also as the connection's last will. */
export const STATUS_ONLINE = 'online';
export const STATUS_OFFLINE = 'offline';

/**
 * Root of the node set's own control topics (instance status, fleet membership…): never hub events. It starts with
 * `$` so that no wildcard subscription reaches it (MQTT wildcards skip `$` topics at the first level): not the
 * hub's own `<prefix>/#` or `#` (a raw reader of a control topic would otherwise get each message twice), nor a
 * user's `#`.
 */
export function controlRoot(prefix: string): string {
    return prefix ? `$sensorhub/${prefix}` : '$sensorhub';
}

/** The retained `online`/`offline` topic of one connection; the client id is stable across restarts. */
export function statusTopicOf(prefix: string, clientId: string): string {
    return `${controlRoot(prefix)}/instances/${clientId.replace(/[/+#]/g, '_')}`;
}

export interface BridgeOptions {
    readonly url: string;
    readonly clientId: string;
    /** Broker topic under which the hub's event types live: `<prefix>/<event type>`. Empty: no prefix. */
    readonly prefix: string;
    readonly qos: 0 | 1;
    /** 5 lets the broker drop our own events (No Local); 4 (3.1.1) relies on the origin check alone. */
    readonly protocolVersion: 4 | 5;
    readonly username?: string;
    readonly password?: string;
    /** TLS options (ca, cert, key, rejectUnauthorized…), as Node-RED's tls-config node produces them. */
    readonly tls?: Record<string, unknown>;
    /** Events kept while the broker is unreachable; the oldest are dropped beyond it, and counted. */
    readonly bufferLimit: number;
    /** Seconds between pings on a quiet connection (0: none); DEFAULT_KEEPALIVE unless given. */
    readonly keepalive?: number;
    readonly minBackoffMs?: number;
    readonly maxBackoffMs?: number;
    /** Identifies this process's events so they are never delivered twice here. */
    readonly instanceId?: string;
}

export interface BridgeStats {
    sent: number;
    received: number;
    buffered: number;
    bufferDropped: number;
    echoesDropped: number;
    duplicatesDropped: number;
    decodeErrors: number;
    reconnects: number;
    /** Events the broker handed this instance as a consumer group member. */
    groupReceived: number;
    /** Of those, events for a group with no member here any more (a session kept from before): lost to the group. */
    groupOrphans: number;
}

/** A reader of broker topics outside the hub's events (a device node): topic, raw payload, packet. */
export type RawHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

interface RawFilter {
    readonly levels: readonly string[];
    readonly handlers: Set<RawHandler>;
}

interface Outgoing {
    readonly topic: string;
    readonly body: string;
    readonly retain: boolean;
    /** Events in the body: one, or a batch's. */
    readonly events: number;
}

/**
 * Envelope on the wire: the origin instance, its sequence number (QoS 1 may
 * deliver twice; the receiver drops what it has seen) and the event message
 * without its Node-RED message id (`m`), or a batch of them in order (`b`).
 */
interface Envelope {
    o: string;
    s: number;
    m?: Record<string, unknown>;
    b?: unknown[];
}

/** Events of one type published one after another in one event-loop turn, sent together. */
interface Batch {
    readonly topic: string;
    readonly bodies: string[];
    chars: number;
}

const MAX_TRACKED_ORIGINS = 1000;
const MAX_CACHED_TOPICS = 10_000;
/**
 * A batch leaves once this full even mid-turn: bounded packets, and a burst's first events do not wait for its
 * last. 100 events of a contract-shaped reading are ~20 KB, far below any broker's packet limit.
 */
const MAX_BATCH_EVENTS = 100;
const MAX_BATCH_CHARS = 64 * 1024;

/** Group deliveries remembered to recognise a redelivery (DUP) of one this instance has already had. */
const RECENT_GROUP_DELIVERIES = 4096;
/** The subscription identifier of the hub's own (ungrouped) subscription; groups have theirs (see shareId). */
const PLAIN_ID = 1;

/** A consumer group's shared subscription on the broker. */
interface BrokerShare {
    readonly group: string;
    readonly pattern: string;
    readonly filter: string;
}

/** Seconds between pings unless a hub says otherwise: what mqtt.js and Node-RED's own broker node use. */
export const DEFAULT_KEEPALIVE = 60;

const SCHEMES = new Set(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:']);

/** Returns an error text for a broker URL that cannot work, or `undefined`. */
export function brokerUrlError(url: unknown): string | undefined {
    if (typeof url !== 'string' || url.trim() === '') return 'broker URL is empty';
    let u: URL;
    try {
        u = new URL(url.trim());
    } catch {
        return `broker URL "${url}" is not a URL (e.g. mqtt://127.0.0.1:1883)`;
    }
    if (!SCHEMES.has(u.protocol)) return `broker URL "${url}": scheme must be mqtt, mqtts, ws or wss`;
    if (u.hostname === '') return `broker URL "${url}" has no host`;
    return undefined;
}

/**
 * A reconnect delay between half and all of `backoff` (`random` in [0, 1)): the instances and device nodes a broker
 * restart disconnected together do not all come back in the same instant.
 */
export function withJitter(backoff: number, random: number): number {
    return Math.round(backoff * (0.5 + 0.5 * Math.min(Math.max(random, 0), 1)));
}

/** Returns an error text for a topic prefix that would not make valid broker topics, or `undefined`. */
export function prefixError(prefix: unknown): string | undefined {
    if (typeof prefix !== 'string') return 'topic prefix must be a string';
    if (prefix.includes('+') || prefix.includes('#')) return 'topic prefix cannot contain + or #';
    if (prefix.endsWith('/')) return 'topic prefix must not end with /';
    return undefined;
}

/**
 * Connects an EventHub to an MQTT broker so several Node-RED instances share
 * events. Local subscribers still get local events directly, with no network
 * hop; the broker carries them to the other instances only.
 */
export class MqttBridge extends EventEmitter implements GroupCarrier {
    readonly instanceId: string;
    /** Retained `online` while connected; the broker publishes `offline` there when the connection dies. */
    readonly statusTopic: string;
    private readonly buffer: BoundedQueue<Outgoing>;
    private readonly minBackoff: number;
    private readonly maxBackoff: number;
    private client: MqttClient | undefined;
    private backoff: number;
    private lastErrorText = '';
    private _state: BridgeState = 'disconnected';
    private readonly counters = {
        sent: 0,
        received: 0,
        echoesDropped: 0,
        duplicatesDropped: 0,
        decodeErrors: 0,
        reconnects: 0,
        groupReceived: 0,
        groupOrphans: 0,
    };
    /** Consumer group shares by subscription identifier; see join(). */
    private readonly shares = new Map<number, BrokerShare>();
    private readonly recentGroup = new Set<string>();
    /** Whether the hub needs every event (see GroupCarrier.wantAll); until told otherwise, as before groups. */
    private plainWanted = true;
    private seq = 0;
    private readonly lastSeqByOrigin = new Map<string, number>();
    /** `{"o":"<instance id>","s":` — the envelope's constant head, escaped once. */
    private readonly envelopeHead: string;
    /** The same head as bytes: our own events, back from a 3.1.1 broker (no No Local), are known by it unparsed. */
    private readonly envelopeHeadBytes: Buffer;
    /** Event type → broker topic, and broker topic → event type (undefined: not one of ours); bounded. */
    private readonly topicOfType = new Map<string, string>();
    private readonly typeOfTopic = new Map<string, string | undefined>();
    /** The socket corked for this event-loop turn, if any. */
    private corked: Writable | undefined;
    /** This turn's latest events, not yet sent, and whether the end of the turn is scheduled. */
    private batch: Batch | undefined;
    private turnEnding = false;
    /** Filters other nodes read over this connection, each subscribed once however many nodes read it. */
    private readonly raw = new Map<string, RawFilter>();
    private readonly rawSeen = new RetainedSeen<RawHandler>();
    private readonly controlPrefix: string;

    constructor(
        private readonly hub: EventHub,
        private readonly opts: BridgeOptions,
    ) {
        super();
        const err = brokerUrlError(opts.url) ?? prefixError(opts.prefix);
        if (err !== undefined) throw new Error(err);
        this.instanceId = opts.instanceId ?? `${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
        this.buffer = new BoundedQueue(Math.max(1, opts.bufferLimit), 'drop-oldest');
        this.minBackoff = opts.minBackoffMs ?? 1000;
        this.maxBackoff = opts.maxBackoffMs ?? 30_000;
        this.backoff = this.minBackoff;
        this.envelopeHead = `{"o":${JSON.stringify(this.instanceId)},"s":`;
        this.envelopeHeadBytes = Buffer.from(this.envelopeHead);
        this.statusTopic = statusTopicOf(opts.prefix, opts.clientId);
        this.controlPrefix = `${controlRoot(opts.prefix)}/`;
    }

    get state(): BridgeState {
        return this._state;
    }

    stats(): BridgeStats {
        return { ...this.counters, buffered: this.buffer.length, bufferDropped: this.buffer.dropped };
    }

    start(): void {
        if (this.client) return;
        const o = this.opts;
        const options: IClientOptions = {
            ...(o.tls ?? {}),
            clientId: o.clientId,
            protocolVersion: o.protocolVersion,
            // A persistent session lets the broker keep QoS 1 events for us while we reconnect.
            clean: o.qos === 0,
            reconnectPeriod: this.minBackoff,
            connectTimeout: 10_000,
            // Also how soon the broker sends our will after the network goes silent: 1.5 times this.
            keepalive: o.keepalive ?? DEFAULT_KEEPALIVE,
            // Offline buffering is ours: bounded and counted. mqtt.js's own queue has no bound.
            queueQoSZero: false,
            // We subscribe on every connect ourselves (see below); mqtt.js doing it too would send it twice.
            resubscribe: false,
            will: { topic: this.statusTopic, payload: Buffer.from(STATUS_OFFLINE), qos: 1, retain: true },
        };
        if (o.protocolVersion === 5 && o.qos > 0) options.properties = { sessionExpiryInterval: 3600 };
        if (o.username) options.username = o.username;
        if (o.password) options.password = o.password;
        this.setState('connecting');
        const client = mqtt.connect(o.url.trim(), options);
        this.client = client;
        this.hub.setOutbound((ev, retain) => {
            this.forward(ev, retain);
        });
        this.hub.setGroupCarrier(this);
        client.on('connect', () => {
            const socket = client.stream as unknown as Partial<Socket>;
            if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
            this.backoff = this.minBackoff;
            client.options.reconnectPeriod = this.minBackoff;
            this.lastErrorText = '';
            this.subscribeEvents(client);
            for (const filter of this.raw.keys()) this.subscribeFilter(filter);
            client.publish(this.statusTopic, STATUS_ONLINE, { qos: 1, retain: true });
            this.flush();
        });
        client.on('message', (topic, payload, packet) => {
            const ids = packet.properties?.subscriptionIdentifier;
            if (ids !== undefined && this.shares.size > 0 && this.receiveGroups(topic, payload, packet, ids)) return;
            const read = this.raw.size > 0 && this.dispatchRaw(topic, payload, packet);
            // With a prefix, the hub subscribes only under it: anything else is a device's topic, read now or until
            // a moment ago (a message already on its way when the last reader unsubscribed), never an event.
            const p = this.opts.prefix;
            if (topic.startsWith(this.controlPrefix)) return;
            if (p === '' ? !read : topic.startsWith(`${p}/`)) this.receive(topic, payload, packet);
        });
        client.on('error', (err) => {
            this.reportError(err);
        });
        client.on('close', () => {
            if (this._state === 'closed') return;
            this.setState('disconnected');
            // Exponential backoff: an unreachable broker or refused credentials must not cause a retry storm.
            this.backoff = Math.min(this.maxBackoff, this.backoff * 2);
            client.options.reconnectPeriod = withJitter(this.backoff, Math.random());
        });
        client.on('reconnect', () => {
            this.counters.reconnects++;
            this.setState('connecting');
        });
    }

    /** Sends a locally published event to the broker, or buffers it while disconnected. */
    forward(ev: EventMessage, retain: boolean): void {
        // HTTP request/response objects belong to this instance and cannot travel; the event type travels as
        // the broker topic, so msg.topic is not sent twice.
        const { _msgid, req, res, topic, ...m } = ev;
        let json: string;
        try {
            json = JSON.stringify(m);
        } catch (err) {
            throw new Error(`event cannot be sent to the broker as JSON: ${(err as Error).message}`);
        }
        const brokerTopic = this.brokerTopic(ev.topic);
        const live = this.client !== undefined && this.client.connected && this.buffer.length === 0;
        // A retained event is the topic's last value: never part of a batch, and after what this turn sent before.
        if (live && !retain) {
            this.addToBatch(brokerTopic, json);
            return;
        }
        this.sendBatch();
        const out: Outgoing = { topic: brokerTopic, body: this.envelope(json), retain, events: 1 };
        if (live) this.send(out);
        else this.buffer.push(out);
    }

    /**
     * Reads `filter` (an MQTT topic filter outside the hub's events) over this
     * connection until the returned function is called. Subscribed again for
     * each new reader, so the broker sends it the retained messages too.
     */
    subscribeRaw(filter: string, handler: RawHandler): () => void {
        let entry = this.raw.get(filter);
        if (entry === undefined) {
            entry = { levels: filter.split('/'), handlers: new Set() };
            this.raw.set(filter, entry);
        }
        entry.handlers.add(handler);
        if (this.client?.connected) this.subscribeFilter(filter);
        const own = entry;
        return () => {
            if (!own.handlers.delete(handler) || own.handlers.size > 0 || this.raw.get(filter) !== own) return;
            this.raw.delete(filter);
            if (this.client?.connected) this.client.unsubscribe(filter);
        };
    }

    /** Publishes a device command; false when disconnected (a stale command must not reach a device later). */
    publishRaw(topic: string, payload: string, retain = false): boolean {
        const client = this.client;
        if (!client?.connected) return false;
        client.publish(topic, payload, { qos: 0, retain });
        return true;
    }

    /**
     * Subscribes a consumer group's share at the broker: `$share/<group>/<prefix>/<pattern>`. The broker hands each
     * matching event to one member among all instances, this one included for events published here (No Local does
     * not apply to shared subscriptions). MQTT 5 only: its subscription identifier tells a group's delivery from the
     * ordinary one of the same event.
     */
    join(group: string, pattern: string): void {
        if (this.opts.protocolVersion !== 5) {
            this.reportError(new Error(`consumer group ${group} needs MQTT 5: it gets no events`));
            return;
        }
        const id = shareId(group, pattern);
        const share: BrokerShare = { group, pattern, filter: `$share/${group}/${this.brokerTopic(pattern)}` };
        this.shares.set(id, share);
        if (this.client?.connected) this.subscribeShare(id, share);
    }

    leave(group: string, pattern: string): void {
        const id = shareId(group, pattern);
        const share = this.shares.get(id);
        if (share === undefined) return;
        this.shares.delete(id);
        if (this.client?.connected) this.client.unsubscribe(share.filter);
    }

    async close(): Promise<void> {
        // Events published before the close go out with it, as they would have unbatched.
        if (this.client?.connected) this.sendBatch();
        this.setState('closed');
        this.hub.setOutbound(undefined);
        this.hub.setGroupCarrier(undefined);
        const client = this.client;
        this.client = undefined;
        this.buffer.clear();
        this.removeAllListeners('state');
        if (!client) return;
        // A clean stop sends no last will: say offline ourselves, before the connection ends.
        if (client.connected) client.publish(this.statusTopic, STATUS_OFFLINE, { qos: 1, retain: true });
        await new Promise<void>((resolve) => {
            // Give in-flight QoS 1 messages a moment, but never hang a redeploy on a dead broker.
            const timer = setTimeout(() => {
                client.end(true, {}, () => {
                    resolve();
                });
            }, 2000);
            client.end(false, {}, () => {
                clearTimeout(timer);
                resolve();
            });
        });
    }

    private envelope(json: string): string {
        return `${this.envelopeHead}${++this.seq},"m":${json}}`;
    }

    /** `corked`: held with what else this turn sends, to leave in one write at its end; else written at once. */
    private send(out: Outgoing, corked = true): void {
        const client = this.client as MqttClient;
        this.counters.sent += out.events;
        if (corked) this.corkForThisTurn(client);
        client.publish(out.topic, out.body, { qos: this.opts.qos, retain: out.retain });
    }

    /**
     * Events of one type published one after another in one turn (a fleet cycle, a burst) travel as one broker
     * message: the broker and both clients handle each message at a fixed cost that dwarfs an event's JSON. An
     * event of another type ends the batch, so events leave in the order they were published. The first event of
     * a turn goes at once, so a lone event (a reading now and then) never waits for the turn to end behind whatever
     * I/O the process has to handle first; what follows it in the same turn (a burst) is batched to the turn's end.
     */
    private addToBatch(topic: string, json: string): void {
        if (!this.turnEnding) {
            this.endTurnLater();
            this.send({ topic, body: this.envelope(json), retain: false, events: 1 }, false);
            return;
        }
        if (this.batch !== undefined && this.batch.topic !== topic) this.sendBatch();
        const batch = (this.batch ??= { topic, bodies: [], chars: 0 });
        batch.bodies.push(json);
        batch.chars += json.length;
        if (batch.bodies.length >= MAX_BATCH_EVENTS || batch.chars >= MAX_BATCH_CHARS) this.sendBatch();
        else this.endTurnLater();
    }

    private sendBatch(): void {
        const batch = this.batch;
        if (batch === undefined) return;
        this.batch = undefined;
        const { topic, bodies } = batch;
        const body =
            bodies.length === 1
                ? this.envelope(bodies[0])
                : `${this.envelopeHead}${++this.seq},"b":[${bodies.join(',')}]}`;
        const out: Outgoing = { topic, body, retain: false, events: bodies.length };
        if (this.client?.connected) this.send(out);
        else this.buffer.push(out);
    }

    /** At the end of this turn: the batches go out, then the socket is uncorked, in one write. */
    private endTurnLater(): void {
        if (this.turnEnding) return;
        this.turnEnding = true;
        setImmediate(() => {
            if (this._state !== 'closed') this.sendBatch();
            this.turnEnding = false;
            const corked = this.corked;
            this.corked = undefined;
            corked?.uncork();
        });
    }

    /**
     * Broker messages sent in one event-loop turn leave in one write rather than
     * one system call each; the socket is uncorked at the end of the turn, so nothing
     * waits longer than the rest of this one.
     */
    private corkForThisTurn(client: MqttClient): void {
        if (this.corked !== undefined) return;
        const stream = client.stream as Partial<Writable> | undefined;
        if (!stream || typeof stream.cork !== 'function' || typeof stream.uncork !== 'function') return;
        const writable = stream as Writable;
        writable.cork();
        this.corked = writable;
        this.endTurnLater();
    }

    /**
     * Subscribes on every connect: a resumed session may predate a change of prefix. Retain handling 1 stops the
     * broker from resending retained events to a subscription it already had. "Connected" is reported once the
     * broker has confirmed every subscription: events from others before that would be missed.
     */
    private subscribeEvents(client: MqttClient): void {
        const subs: [string, IClientSubscribeOptions][] = [];
        if (this.plainWanted) subs.push([this.topicFilter(), this.plainSubscribeOptions()]);
        // A session kept from a run with ungrouped subscribers would otherwise still bring every event.
        else client.unsubscribe(this.topicFilter());
        // One SUBSCRIBE each: a subscription identifier belongs to the packet, not to a filter.
        for (const [id, share] of this.shares) subs.push([share.filter, shareOptions(this.opts.qos, id)]);
        let pending = subs.length;
        const confirmed = (): void => {
            if (--pending <= 0 && this.client === client && client.connected) this.setState('connected');
        };
        if (pending === 0) this.setState('connected');
        for (const [filter, options] of subs) {
            client.subscribe(filter, options, (err) => {
                if (err) this.reportError(new Error(`subscribe to ${filter} failed: ${err.message}`));
                else confirmed();
            });
        }
    }

    /** See GroupCarrier.wantAll: the ordinary subscription exists only while the hub needs every event. */
    wantAll(all: boolean): void {
        if (all === this.plainWanted) return;
        this.plainWanted = all;
        const client = this.client;
        if (!client?.connected) return;
        if (!all) client.unsubscribe(this.topicFilter());
        else
            client.subscribe(this.topicFilter(), this.plainSubscribeOptions(), (err) => {
                if (err) this.reportError(new Error(`subscribe to ${this.topicFilter()} failed: ${err.message}`));
            });
    }

    private plainSubscribeOptions(): IClientSubscribeOptions {
        const v5 = this.opts.protocolVersion === 5;
        const options: IClientSubscribeOptions = { qos: this.opts.qos, nl: v5, rh: 1 };
        if (v5) options.properties = { subscriptionIdentifier: PLAIN_ID };
        return options;
    }

    private subscribeShare(id: number, share: BrokerShare): void {
        const client = this.client as MqttClient;
        client.subscribe(share.filter, shareOptions(this.opts.qos, id), (err) => {
            if (err) this.reportError(new Error(`subscribe to ${share.filter} failed: ${err.message}`));
        });
    }

    /**
     * Hands a delivery that came by consumer group subscriptions to their members here; false when it came (also)
     * by the ordinary subscription, which then takes its usual path. Our own events count here: the broker chose
     * this instance for them.
     */
    private receiveGroups(topic: string, payload: Buffer, packet: IPublishPacket, ids: number | number[]): boolean {
        const list = typeof ids === 'number' ? [ids] : ids;
        const shares = list.map((id) => this.shares.get(id)).filter((s): s is BrokerShare => s !== undefined);
        if (shares.length === 0) return false;
        const decoded = this.decode(topic, payload);
        if (decoded !== undefined && !this.redelivered(decoded.env, packet)) {
            const { env, type } = decoded;
            for (const m of this.eventsIn(env, topic))
                for (const share of shares) this.deliverGroup(m, env.o, type, share, shares.length > 1);
        }
        return !list.includes(PLAIN_ID);
    }

    /** Whether a redelivery (DUP) brought an event this instance has already had as a group member. */
    private redelivered(env: Envelope, packet: IPublishPacket): boolean {
        const key = `${env.o}\u0000${env.s}`;
        if (packet.dup && this.recentGroup.has(key)) {
            this.counters.duplicatesDropped++;
            return true;
        }
        this.recentGroup.add(key);
        if (this.recentGroup.size > RECENT_GROUP_DELIVERIES)
            this.recentGroup.delete(this.recentGroup.values().next().value as string);
        return false;
    }

    private deliverGroup(
        m: Record<string, unknown>,
        origin: string,
        type: string,
        share: BrokerShare,
        shared: boolean,
    ): void {
        this.counters.groupReceived++;
        // Several shares of this instance got the same event: each member needs its own copy of what it may change.
        const ev = this.toEvent(shared ? (JSON.parse(JSON.stringify(m)) as Record<string, unknown>) : m, type);
        // Counted already if published here, or if this instance receives every event anyway.
        const seen = origin === this.instanceId || this.plainWanted;
        if (!this.hub.deliverToShare(ev, share.group, share.pattern, seen)) {
            this.counters.groupOrphans++;
            this.reportError(new Error(`an event for consumer group ${share.group} found no member here: lost`));
        }
    }

    private subscribeFilter(filter: string): void {
        const client = this.client as MqttClient;
        client.subscribe(filter, { qos: 0 }, (err) => {
            if (err) this.reportError(new Error(`subscribe to ${filter} failed: ${err.message}`));
        });
    }

    /** Hands a message to the readers whose filters match; whether there were any. */
    private dispatchRaw(topic: string, payload: Buffer, packet: IPublishPacket): boolean {
        const levels = topic.split('/');
        // A reader whose filters overlap (a/# and a/b) still gets each message once.
        const readers = new Set<RawHandler>();
        for (const entry of this.raw.values())
            if (levelsMatch(entry.levels, levels)) for (const handler of entry.handlers) readers.add(handler);
        for (const handler of readers) {
            if (!this.rawSeen.admit(handler, topic, payload, packet.retain)) continue;
            try {
                handler(topic, payload, packet);
            } catch (err) {
                // One reader's bug must not cost the others (or the hub) this connection's messages.
                this.reportError(err as Error);
            }
        }
        return readers.size > 0;
    }

    private flush(): void {
        while (this.client?.connected && this.buffer.length > 0) this.send(this.buffer.shift() as Outgoing);
    }

    /** The envelope and event type of a broker message, or undefined (counted) when it is not one of ours. */
    private decode(topic: string, payload: Buffer): { env: Envelope; type: string } | undefined {
        let parsed: unknown;
        try {
            parsed = JSON.parse(payload.toString('utf8'));
        } catch {
            this.decodeError(topic, 'not JSON');
            return undefined;
        }
        if (!isEnvelope(parsed)) {
            this.decodeError(topic, 'not a sensor hub event');
            return undefined;
        }
        const type = this.eventType(topic);
        if (type === undefined) {
            this.decodeError(topic, 'topic outside the prefix or not a valid event type');
            return undefined;
        }
        return { env: parsed, type };
    }

    /** An event decoded for one reader: nested values unfrozen, the event info checked. */
    private toEvent(m: Record<string, unknown>, type: string): EventMessage {
        if (isBufferJson(m.payload)) m.payload = Buffer.from(m.payload.data);
        const info = remoteEventInfo(m.event, type);
        m.topic = type;
        m.event = Object.freeze(info);
        return m as EventMessage;
    }

    private receive(topic: string, payload: Buffer, packet: IPublishPacket): void {
        if (this.isOwnEcho(payload)) {
            this.counters.echoesDropped++;
            return;
        }
        const decoded = this.decode(topic, payload);
        if (decoded === undefined) return;
        const { env, type } = decoded;
        if (env.o === this.instanceId) {
            this.counters.echoesDropped++;
            return;
        }
        // QoS 0 is never redelivered; retained replays are recognised too (their sequence number is old).
        if ((packet.qos > 0 || packet.retain) && this.seenBefore(env)) {
            this.counters.duplicatesDropped++;
            return;
        }
        for (const m of this.eventsIn(env, topic)) this.deliver(m, type, packet.retain);
    }

    /** The events an envelope carries: one (`m`), or a turn's events of one type (`b`); anything else counted. */
    private eventsIn(env: Envelope, topic: string): Record<string, unknown>[] {
        if (env.m !== undefined) return [env.m];
        const events: Record<string, unknown>[] = [];
        for (const m of env.b as unknown[]) {
            if (isPlainObject(m)) events.push(m);
            else this.decodeError(topic, 'a batch holds something other than an event');
        }
        return events;
    }

    private deliver(m: Record<string, unknown>, type: string, retain: boolean): void {
        this.counters.received++;
        // m comes straight from JSON.parse and nobody else holds it: freeze it in place, no copy. With a lone
        // local reader and no retained copy, not even that: the reader owns the whole event, as a Node-RED node
        // owns the message it receives.
        const ev = this.toEvent(m, type);
        if (retain || !this.hub.soleReader(type)) for (const key in ev) deepFreeze(ev[key]);
        this.hub.inject(ev, retain);
    }

    /** Starts with our envelope head: only this instance writes it, and the origin is all a decode would check. */
    private isOwnEcho(payload: Buffer): boolean {
        const head = this.envelopeHeadBytes;
        return payload.length > head.length && payload.compare(head, 0, head.length, 0, head.length) === 0;
    }

    /** Whether a QoS 1 redelivery brought this envelope again. Retained values are replays by design. */
    private seenBefore(env: Envelope): boolean {
        if (typeof env.s !== 'number') return false;
        const last = this.lastSeqByOrigin.get(env.o);
        if (last !== undefined && env.s <= last) return true;
        if (last === undefined && this.lastSeqByOrigin.size >= MAX_TRACKED_ORIGINS) {
            const oldest = this.lastSeqByOrigin.keys().next();
            if (!oldest.done) this.lastSeqByOrigin.delete(oldest.value);
        }
        this.lastSeqByOrigin.delete(env.o);
        this.lastSeqByOrigin.set(env.o, env.s);
        return false;
    }

    private decodeError(topic: string, why: string): void {
        this.counters.decodeErrors++;
        this.reportError(new Error(`ignored a message on ${topic}: ${why}`));
    }

    private reportError(err: Error): void {
        // The same failure repeats on every retry; say it once until something changes.
        if (err.message === this.lastErrorText) return;
        this.lastErrorText = err.message;
        if (this.listenerCount('error') > 0) this.emit('error', err);
    }

    private setState(state: BridgeState): void {
        if (this._state === state) return;
        this._state = state;
        this.emit('state', state);
    }

    private topicFilter(): string {
        return this.opts.prefix ? `${this.opts.prefix}/#` : '#';
    }

    private brokerTopic(type: string): string {
        if (!this.opts.prefix) return type;
        let topic = this.topicOfType.get(type);
        if (topic === undefined) {
            topic = `${this.opts.prefix}/${type}`;
            if (this.topicOfType.size < MAX_CACHED_TOPICS) this.topicOfType.set(type, topic);
        }
        return topic;
    }

    private eventType(topic: string): string | undefined {
        if (this.typeOfTopic.has(topic)) return this.typeOfTopic.get(topic);
        const p = this.opts.prefix;
        const cut = p ? (topic.startsWith(`${p}/`) ? topic.slice(p.length + 1) : undefined) : topic;
        const type = cut !== undefined && eventTypeError(cut) === undefined ? cut : undefined;
        if (this.typeOfTopic.size < MAX_CACHED_TOPICS) this.typeOfTopic.set(topic, type);
        return type;
    }
}

/**
 * A share's subscription identifier: derived from group and pattern, not handed out in order, so that events a
 * persistent session kept for a killed instance still find their group when it comes back (MQTT 5 allows 1 to
 * 268,435,455; 1 is the ordinary subscription's).
 */
export function shareId(group: string, pattern: string): number {
    // FNV-1a: a collision between two shares of one instance would only mix their deliveries.
    let h = 0x811c9dc5;
    const key = shareKey(group, pattern);
    for (let i = 0; i < key.length; i++) {
        h ^= key.charCodeAt(i);
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return 2 + (h % 268_435_454);
}

function shareOptions(qos: 0 | 1, id: number): IClientSubscribeOptions {
    return { qos, properties: { subscriptionIdentifier: id } };
}

function remoteEventInfo(ev: unknown, type: string): HubEventInfo {
    const e = (ev !== null && typeof ev === 'object' ? ev : {}) as Record<string, unknown>;
    return {
        type,
        id: typeof e.id === 'string' ? e.id : '',
        ts: typeof e.ts === 'number' ? e.ts : Date.now(),
        source: typeof e.source === 'string' ? e.source : '',
    };
}

/** An envelope holds one event (`m`) or a batch of them (`b`), not both. */
function isEnvelope(v: unknown): v is Envelope {
    if (v === null || typeof v !== 'object') return false;
    const { m, b, o } = v as { m?: unknown; b?: unknown; o?: unknown };
    if (typeof o !== 'string') return false;
    return m === undefined ? Array.isArray(b) : b === undefined && isPlainObject(m);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A Buffer as JSON.stringify writes it: `{type: 'Buffer', data: [bytes]}`. */
export function isBufferJson(v: unknown): v is { type: 'Buffer'; data: number[] } {
    return (
        v !== null &&
        typeof v === 'object' &&
        (v as { type?: unknown }).type === 'Buffer' &&
        Array.isArray((v as { data?: unknown }).data)
    );
}
