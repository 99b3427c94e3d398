import { BoundedQueue, type OverflowPolicy } from '../shared/queue';
import { TopicRouter } from './router';
import { clonePlain, deepFreeze, thawCopy } from '../shared/freeze';
import { eventTypeProblem, patternProblem, topicMatches } from '../shared/topic';
import { problemOf } from '../shared/config-fields';
import { problem, ProblemError, type Problem } from '../shared/texts';
import { TypeTotals, type TypeTotalsSnapshot } from './type-totals';
import { groupProblem, Share, shareKey, type GroupCarrier } from './group';

/** What a hub adds to every event: `msg.event`. */
export interface HubEventInfo {
    readonly type: string;
    readonly id: string;
    readonly ts: number;
    readonly source: string;
}

export type Message = Record<string, unknown>;

/** A published message as stored by the hub: frozen, shared by every delivery. */
export type EventMessage = Readonly<Message> & { readonly topic: string; readonly event: HubEventInfo };

export interface HubOptions {
    /** Prefix of event ids; keeps ids unique across hubs and instances. */
    readonly idPrefix?: string;
    /** Default per-subscriber queue bound. */
    readonly queueLimit?: number;
    readonly overflow?: OverflowPolicy;
    /**
     * Copies a value that is not plain data (a Buffer, a class instance) before
     * it is frozen, so the publisher's objects are never frozen in place.
     */
    readonly clone?: (value: object) => unknown;
    /** Upper bound of retained event types. */
    readonly retainLimit?: number;
    /** Retained events to start with, oldest first: those of an earlier hub with the same id (a redeploy). */
    readonly retained?: readonly EventMessage[];
    /** Called whenever the retained events change (to keep them somewhere); it must be cheap. */
    readonly onRetainedChange?: () => void;
    /** The last sequence number an earlier hub with the same prefix used: event ids go on after it. */
    readonly seq?: number;
    /** Upper bound of event types counted by name since the start (see typeTotals). */
    readonly typeLimit?: number;
    readonly now?: () => number;
}

export interface SubscriberOptions {
    readonly patterns: readonly string[];
    readonly queueLimit?: number;
    readonly overflow?: OverflowPolicy;
    /**
     * Deliveries that may be outstanding (handed to the handler and not yet
     * released) before further events wait in the bounded queue. Infinity
     * means the handler is always called at once and the queue stays empty.
     */
    readonly maxInFlight?: number;
    readonly name?: string;
    /**
     * Whether the handler's flow may change nested values of what it gets: then each delivery is a writable
     * copy, else frozen values are shared. A function is asked at each delivery until it answers (undefined:
     * not known yet, so a writable copy, to be safe). Default false.
     */
    readonly mayWrite?: boolean | (() => boolean | undefined);
    /** A consumer group (see group.ts): each matching event goes to one member of the group, not to each. */
    readonly group?: string;
}

/** What the router hands events to: a subscriber, or a share that picks one of its members. */
interface Receiver {
    offer(ev: EventMessage, owned: boolean): void;
}

/**
 * Told of each event as it is published: `msg` is the message as published
 * (from a broker, the event), not a copy, and may go on to a subscriber that
 * changes it: read it at once, or keep only references to what you read.
 */
export type PublishListener = (type: string, msg: Readonly<Message>) => void;

export type DeliveryHandler = (msg: Message, sub: Subscriber) => void;

const closedError = (): HubError => new HubError(problem('hub.closed', {}, 'hub is closed'), 'closed');

/** A refused publish or subscription: `code` says which kind, `problem` (see ProblemError) what to tell the user. */
export class HubError extends ProblemError {
    constructor(
        problem: Problem,
        readonly code: 'invalid_type' | 'invalid_pattern' | 'invalid_group' | 'closed',
    ) {
        super(problem);
        this.name = 'HubError';
    }
}

export interface HubStats {
    published: number;
    delivered: number;
    dropped: number;
    subscribers: number;
    retained: number;
}

/**
 * The in-process event hub: components publish events by type and subscribe
 * by pattern without knowing each other. Delivery is synchronous into each
 * subscriber, in publish order; a subscriber that cannot keep up buffers in
 * its own bounded queue and never holds back the publisher or its peers.
 */
export class EventHub {
    private readonly router = new TopicRouter<Receiver>();
    /** Consumer group shares by key; in the router only while no carrier (broker) serves them. */
    private readonly shares = new Map<string, Share<EventMessage, Subscriber>>();
    private carrier: GroupCarrier | undefined;
    private ungrouped = 0;
    /** What the carrier was last told (see GroupCarrier.wantAll). */
    private wantsAll = true;
    private readonly subscribers = new Set<Subscriber>();
    private readonly retained = new Map<string, EventMessage>();
    /** `<idPrefix>-`, made once: per id, one string less to build. */
    private readonly idHead: string;
    private readonly clone: (value: object) => unknown;
    private readonly now: () => number;
    private seq = 0;
    private closed = false;
    readonly queueLimit: number;
    readonly overflow: OverflowPolicy;
    readonly retainLimit: number;
    published = 0;
    delivered = 0;
    /** Drops of subscribers that have since unsubscribed, so totals never go backwards. */
    private droppedByGone = 0;
    private outbound: ((ev: EventMessage, retain: boolean) => void) | undefined;
    /** Copied on change, so a listener may stop listening while it is being called. */
    private publishListeners: readonly PublishListener[] | undefined;
    private readonly totals: TypeTotals;
    private readonly onRetainedChange: (() => void) | undefined;

    constructor(opts: HubOptions = {}) {
        this.idHead = `${opts.idPrefix ?? Math.random().toString(36).slice(2, 8)}-`;
        this.queueLimit = opts.queueLimit ?? 10_000;
        this.overflow = opts.overflow ?? 'drop-oldest';
        this.clone = opts.clone ?? defaultClone;
        this.retainLimit = opts.retainLimit ?? 10_000;
        this.totals = new TypeTotals(opts.typeLimit);
        this.now = opts.now ?? Date.now;
        this.seq = opts.seq ?? 0;
        for (const ev of opts.retained ?? []) this.retain(ev);
        this.onRetainedChange = opts.onRetainedChange;
    }

    /**
     * Publishes `msg` as an event of `type`. Returns the event message.
     * Throws a HubError for an invalid type; nothing is delivered then.
     * `owned`: the caller gives `msg` up (as a Node-RED node owns the message
     * it received), so a lone subscriber may get its very values, uncopied.
     */
    publish(type: unknown, msg: Message, source = '', retain = false, owned = false): EventMessage {
        if (this.closed) throw closedError();
        // A type the router has cached was validated when it was first published.
        let subs = typeof type === 'string' ? this.router.cached(type) : undefined;
        if (subs === undefined) {
            const bad = eventTypeProblem(type);
            if (bad !== undefined) throw new HubError(problemOf(bad, 'eventType', bad.message), 'invalid_type');
            subs = this.router.match(type as string);
        }
        this.totals.add(type as string);
        if (this.publishListeners !== undefined) this.notifyPublish(type as string, msg);
        if (subs.length === 0 && !retain && this.outbound !== undefined) {
            // Only the broker will see this event, and the outbound side serializes it before returning:
            // there is nobody to protect from the publisher's objects, so no copy and no freeze.
            const wire = this.prepare(type as string, msg, source, false);
            this.published++;
            this.outbound(wire as EventMessage, false);
            return wire as EventMessage;
        }
        if (subs.length === 1 && !retain && this.outbound === undefined) {
            // Nobody else will see this event. A message the caller owns keeps its own values, the way a Node-RED
            // node passes on the message it received; otherwise the lone subscriber owns the copy.
            const ev = owned ? this.adopt(type as string, msg, source) : this.prepare(type as string, msg, source);
            this.published++;
            subs[0].offer(ev as EventMessage, true);
            return ev as EventMessage;
        }
        if (
            owned &&
            !retain &&
            this.outbound === undefined &&
            this.publishListeners === undefined &&
            allCopyNow(subs)
        ) {
            // Every subscriber copies the event at once for a flow that may write: a frozen copy to copy from
            // would be work for nobody. Each gets a copy of the caller's message, the last its own values.
            const ev = this.adopt(type as string, msg, source) as EventMessage;
            this.published++;
            this.deliverCopies(ev, subs);
            return ev;
        }
        const ev = this.prepare(type as string, msg, source) as EventMessage;
        this.published++;
        this.deliverShared(ev, subs, retain);
        // After local delivery: a broker that refuses the event must not cost local subscribers theirs.
        if (this.outbound) this.outbound(ev, retain);
        return ev;
    }

    /**
     * Calls `listener` with the type and message of every event published here
     * or injected from a broker, from now on; returns the way to stop. For
     * monitoring: while nobody listens, publishing costs one field test more.
     */
    onPublish(listener: PublishListener): () => void {
        this.publishListeners = [...(this.publishListeners ?? []), listener];
        this.tellWantAll();
        let stopped = false;
        return () => {
            if (stopped) return;
            stopped = true;
            const rest = [...(this.publishListeners ?? [])];
            const i = rest.indexOf(listener);
            if (i < 0) return;
            rest.splice(i, 1);
            this.publishListeners = rest.length > 0 ? rest : undefined;
            this.tellWantAll();
        };
    }

    private notifyPublish(type: string, msg: Readonly<Message>): void {
        const listeners = this.publishListeners as readonly PublishListener[];
        for (let i = 0; i < listeners.length; i++) listeners[i](type, msg);
    }

    /** Where locally published events go beyond this process (a broker backend), if anywhere. */
    setOutbound(fn: ((ev: EventMessage, retain: boolean) => void) | undefined): void {
        this.outbound = fn;
    }

    /**
     * Delivers an event that was prepared elsewhere (another instance, through
     * a broker backend) to the local subscribers, without re-publishing it.
     * Nested values must be frozen already; an unfrozen top level is the
     * hub's to freeze, or to hand over to a lone subscriber.
     */
    inject(ev: EventMessage, retain = false): void {
        if (this.closed) return;
        this.published++;
        this.totals.add(ev.topic);
        if (this.publishListeners !== undefined) this.notifyPublish(ev.topic, ev);
        const subs = this.router.match(ev.topic);
        if (subs.length === 1 && !retain && !Object.isFrozen(ev)) {
            // A freshly decoded event with one reader: it may own the top level, as in publish().
            subs[0].offer(ev, true);
            return;
        }
        this.deliverShared(ev, subs, retain);
    }

    /**
     * Whether an event of `type` injected now, not retained, would have exactly
     * one reader: then nobody else can see its nested values, and a decoder
     * need not freeze them (inject() hands the lone subscriber the event itself).
     */
    soleReader(type: string): boolean {
        return !this.closed && this.router.match(type).length === 1;
    }

    /**
     * Offers an event the caller gave up to subscribers that each copy it: the last gets the event itself. Should
     * a delivery change what a later subscriber can take (its window filled), the rest share a frozen copy made
     * before anybody owns the event.
     */
    private deliverCopies(ev: EventMessage, subs: readonly Receiver[]): void {
        const last = subs.length - 1;
        for (let i = 0; i < last; i++) {
            if (!copiesNow(subs[i])) {
                const shared: Message = Object.assign({}, ev);
                this.isolateNested(shared);
                shared.event = Object.freeze({ ...ev.event });
                this.deliverShared(shared as EventMessage, subs.slice(i), false);
                return;
            }
            subs[i].offer(ev, false);
        }
        subs[last].offer(ev, true);
    }

    /** Freezes an event that several may see, retains it if asked, and offers it to every subscriber. */
    private deliverShared(ev: EventMessage, subs: readonly Receiver[], retain: boolean): void {
        Object.freeze(ev);
        if (retain) this.retain(ev);
        for (let i = 0; i < subs.length; i++) subs[i].offer(ev, false);
    }

    /**
     * Builds an event message: a new top-level object whose nested values are
     * deeply frozen copies (values frozen by an earlier hub are shared as they
     * are). The top level is left unfrozen for the caller to freeze or hand over.
     * Without `isolate`, nested values are the publisher's own: only for an
     * event that is serialized at once and seen by nobody in this process.
     */
    prepare(type: string, msg: Message, source: string, isolate = true): Message {
        // Object.assign, not spread: V8 keeps the fast path when properties are added afterwards.
        const base: Message = Object.assign({}, msg);
        if (isolate) this.isolateNested(base);
        base.topic = type;
        base.event = this.eventInfo(type, source);
        return base;
    }

    /**
     * Makes the event of a message the caller gave up: its own values, nothing copied below the top level, nothing
     * frozen. Its one reader owns it, event info included, so a reader that may write needs no copy of it either.
     * A message that already carries an event (handed on from a subscriber: the top level a hub made) is the event
     * itself. Any other gets a new top level: it comes from the caller's own code, whose objects the garbage
     * collector may allocate straight into the old generation (V8 pretenures an allocation site whose objects it saw
     * survive), and a fresh event stored in an old object stays alive until the next full collection: in the hop
     * benchmark, a process that fell into that promoted hundreds of KB per scavenge and paid half as much CPU again
     * per hop.
     */
    private adopt(type: string, msg: Message, source: string): Message {
        const ev: Message = msg.event === undefined ? Object.assign({}, msg) : msg;
        ev.topic = type;
        ev.event = { type, id: this.nextId(), ts: this.now(), source };
        return ev;
    }

    private eventInfo(type: string, source: string): HubEventInfo {
        return Object.freeze({ type, id: this.nextId(), ts: this.now(), source });
    }

    /** Replaces each nested value by a deeply frozen copy (values frozen before are shared as they are). */
    private isolateNested(base: Message): void {
        for (const key in base) {
            const v = base[key];
            if (v !== null && typeof v === 'object' && !Object.isFrozen(v) && !BY_REFERENCE.has(key)) {
                base[key] = deepFreeze(clonePlain(v, this.clone));
            }
        }
    }

    subscribe(handler: DeliveryHandler, opts: SubscriberOptions): Subscriber {
        if (this.closed) throw closedError();
        if (opts.patterns.length === 0)
            throw new HubError(problem('hub.no-pattern', {}, 'no pattern to subscribe to'), 'invalid_pattern');
        for (const p of opts.patterns) {
            const bad = patternProblem(p);
            if (bad !== undefined) throw new HubError(problemOf(bad, 'patterns', bad.message), 'invalid_pattern');
        }
        const group = opts.group?.trim() || undefined;
        const badGroup = group === undefined ? undefined : groupProblem(group);
        if (badGroup !== undefined)
            throw new HubError(
                problem('hub.bad-group', { detail: badGroup.message }, `consumer group: ${badGroup.message}`),
                'invalid_group',
            );
        const sub = new Subscriber(this, handler, {
            ...opts,
            group,
            clone: this.clone,
            queueLimit: opts.queueLimit ?? this.queueLimit,
            overflow: opts.overflow ?? this.overflow,
        });
        this.subscribers.add(sub);
        if (group !== undefined) for (const p of sub.patterns) this.join(group, p, sub);
        else {
            this.ungrouped++;
            for (const p of sub.patterns) this.router.add(p, sub);
        }
        this.tellWantAll();
        return sub;
    }

    unsubscribe(sub: Subscriber): void {
        if (!this.subscribers.delete(sub)) return;
        if (sub.group !== undefined) for (const p of sub.patterns) this.leave(sub.group, p, sub);
        else {
            this.ungrouped--;
            for (const p of sub.patterns) this.router.remove(p, sub);
        }
        this.tellWantAll();
        this.droppedByGone += sub.dropped;
        sub.detach();
    }

    /**
     * Lets a broker serve the consumer groups (see group.ts): from now on their shares are the carrier's to
     * subscribe, and events published here reach their members only through it. Undefined: the hub serves them.
     */
    setGroupCarrier(carrier: GroupCarrier | undefined): void {
        if (carrier === this.carrier) return;
        for (const s of this.shares.values()) {
            if (this.carrier) this.carrier.leave(s.group, s.pattern);
            else this.router.remove(s.pattern, s);
            if (carrier) carrier.join(s.group, s.pattern);
            else this.router.add(s.pattern, s);
        }
        this.carrier = carrier;
        this.wantsAll = this.needsAll();
        carrier?.wantAll(this.wantsAll);
    }

    /**
     * A hub with only grouped subscribers needs only its shares; one with no subscribers at all needs nothing
     * (over MQTT 3.1.1 a publishing-only instance would otherwise get each of its events back), unless someone
     * watches every event (a monitor, the sidebar).
     */
    private needsAll(): boolean {
        return this.ungrouped > 0 || (this.shares.size === 0 && this.publishListeners !== undefined);
    }

    private tellWantAll(): void {
        // A closing hub's subscribers all leave: that says nothing about what the next hub will need.
        if (this.closed) return;
        const all = this.needsAll();
        if (all === this.wantsAll) return;
        this.wantsAll = all;
        this.carrier?.wantAll(all);
    }

    /**
     * Hands an event the carrier received for a share to one of its members; false when the share has none
     * here (any more). `seen`: this instance counted the event already (published here, or received whole), so
     * it is not counted as published again.
     */
    deliverToShare(ev: EventMessage, group: string, pattern: string, seen: boolean): boolean {
        const share = this.shares.get(shareKey(group, pattern));
        if (this.closed || share === undefined || share.members.length === 0) return false;
        if (!seen) {
            this.published++;
            this.totals.add(ev.topic);
            if (this.publishListeners !== undefined) this.notifyPublish(ev.topic, ev);
        }
        // A freshly decoded event goes to one member alone: it may own it, as in inject().
        share.offer(ev, !Object.isFrozen(ev));
        return true;
    }

    /** The consumer group shares with members here: group, pattern, members and events handed out. */
    listShares(): { group: string; pattern: string; members: number; delivered: number }[] {
        return [...this.shares.values()].map((s) => ({
            group: s.group,
            pattern: s.pattern,
            members: s.members.length,
            delivered: s.delivered,
        }));
    }

    private join(group: string, pattern: string, sub: Subscriber): void {
        const key = shareKey(group, pattern);
        let share = this.shares.get(key);
        if (share === undefined) {
            share = new Share(group, pattern);
            this.shares.set(key, share);
            if (this.carrier) this.carrier.join(group, pattern);
            else this.router.add(pattern, share);
        }
        share.members.push(sub);
    }

    private leave(group: string, pattern: string, sub: Subscriber): void {
        const key = shareKey(group, pattern);
        const share = this.shares.get(key);
        if (share === undefined) return;
        share.remove(sub);
        if (share.members.length > 0) return;
        this.shares.delete(key);
        if (this.carrier) this.carrier.leave(group, pattern);
        else this.router.remove(pattern, share);
    }

    /** Retained events whose type matches any of the subscriber's patterns, oldest first. */
    retainedFor(sub: Subscriber): EventMessage[] {
        const out: EventMessage[] = [];
        for (const [type, ev] of this.retained) if (sub.matches(type)) out.push(ev);
        return out;
    }

    /** Replays matching retained events into a subscriber (e.g. one deployed after they were published). */
    replayRetained(sub: Subscriber): number {
        // A retained value is state, not work to share out: group members get live events only, as with MQTT 5.
        if (sub.group !== undefined) return 0;
        const events = this.retainedFor(sub);
        for (const ev of events) sub.offer(ev, false);
        return events.length;
    }

    getRetained(type: string): EventMessage | undefined {
        return this.retained.get(type);
    }

    clearRetained(type?: string): void {
        if (type === undefined) this.retained.clear();
        else this.retained.delete(type);
        this.onRetainedChange?.();
    }

    /** Every retained event, oldest first: what a later hub with the same id starts with. */
    retainedEvents(): EventMessage[] {
        return [...this.retained.values()];
    }

    /**
     * Adds retained events read back later (from an asynchronous context store), oldest first; a type
     * retained since this hub started keeps its newer event. Returns how many were added.
     */
    restoreRetained(events: readonly EventMessage[]): number {
        let added = 0;
        for (const ev of events) {
            if (this.closed || this.retained.has(ev.topic)) continue;
            this.retain(ev);
            added++;
        }
        return added;
    }

    /** The sequence number of the last event id given out. */
    get lastSeq(): number {
        return this.seq;
    }

    stats(): HubStats {
        let dropped = this.droppedByGone;
        for (const s of this.subscribers) dropped += s.dropped;
        return {
            published: this.published,
            delivered: this.delivered,
            dropped,
            subscribers: this.subscribers.size,
            retained: this.retained.size,
        };
    }

    /** Events per type since this hub started, published here or injected from a broker. */
    typeTotals(): TypeTotalsSnapshot {
        return this.totals.snapshot();
    }

    /** The current subscribers, for monitoring (queue depths, drops). */
    listSubscribers(): Subscriber[] {
        return [...this.subscribers];
    }

    get subscriberCount(): number {
        return this.subscribers.size;
    }

    close(): void {
        this.closed = true;
        for (const s of [...this.subscribers]) this.unsubscribe(s);
        this.retained.clear();
        this.publishListeners = undefined;
    }

    private retain(ev: EventMessage): void {
        // Re-inserting moves the type to the end, so the oldest type is evicted first.
        this.retained.delete(ev.topic);
        if (this.retained.size >= this.retainLimit) {
            const oldest = this.retained.keys().next();
            if (!oldest.done) this.retained.delete(oldest.value);
        }
        this.retained.set(ev.topic, ev);
        this.onRetainedChange?.();
    }

    private nextId(): string {
        return this.idHead + (++this.seq).toString(36);
    }

    /** @internal counts a delivery made by a subscriber */
    countDelivery(): void {
        this.delivered++;
    }
}

/** Whether every one of several subscribers would make its own writable copy of an event offered now. */
function allCopyNow(subs: readonly Receiver[]): boolean {
    for (let i = 0; i < subs.length; i++) if (!copiesNow(subs[i])) return false;
    return subs.length > 1;
}

/** A subscriber that copies an event for its flow at once; a consumer group (which picks a member later) never. */
function copiesNow(r: Receiver): boolean {
    return r instanceof Subscriber && r.copiesNow;
}

/**
 * Keys never copied or frozen: the event info is replaced anyway, and HTTP
 * request/response objects travel by reference, as in Node-RED's cloneMessage.
 */
const BY_REFERENCE = new Set(['event', 'req', 'res']);

interface Delivery {
    readonly ev: EventMessage;
    readonly owned: boolean;
}

/** One subscription: its patterns, its bounded queue and its counters. */
export class Subscriber {
    readonly patterns: readonly string[];
    readonly name: string;
    readonly group: string | undefined;
    readonly queue: BoundedQueue<Delivery>;
    private hub: EventHub | undefined;
    private limit: number;
    private inFlight = 0;
    private draining = false;
    /** Settled once known; until then asked of `askWrite` at each delivery. */
    private writes: boolean | undefined;
    private readonly askWrite: (() => boolean | undefined) | undefined;
    private readonly clone: (value: object) => unknown;
    delivered = 0;

    constructor(
        hub: EventHub,
        private readonly handler: DeliveryHandler,
        opts: SubscriberOptions & {
            queueLimit: number;
            overflow: OverflowPolicy;
            clone: (value: object) => unknown;
        },
    ) {
        this.hub = hub;
        this.patterns = Object.freeze([...new Set(opts.patterns)]);
        this.name = opts.name ?? '';
        this.group = opts.group;
        this.queue = new BoundedQueue(opts.queueLimit, opts.overflow);
        this.limit = opts.maxInFlight ?? Infinity;
        this.clone = opts.clone;
        if (typeof opts.mayWrite === 'function') this.askWrite = opts.mayWrite;
        else this.writes = opts.mayWrite ?? false;
    }

    /** Whether an event offered now would be copied for a flow that may write at once (not queued). */
    get copiesNow(): boolean {
        return this.writes === true && this.hub !== undefined && this.inFlight < this.limit && this.queue.length === 0;
    }

    /** Whether deliveries are writable copies (undefined: not known yet; they are, to be safe). */
    get writable(): boolean | undefined {
        return this.writes;
    }

    get dropped(): number {
        return this.queue.dropped;
    }

    get queued(): number {
        return this.queue.length;
    }

    get pending(): number {
        return this.inFlight;
    }

    /** Deliveries outstanding and queued: how busy this subscriber is, for a consumer group picking a member. */
    get load(): number {
        return this.inFlight + this.queue.length;
    }

    /** Deliveries allowed outstanding at once (Infinity: no window). */
    get maxInFlight(): number {
        return this.limit;
    }

    /**
     * Lifts the window for good: the flow it feeds turned out unable to say when it has finished a
     * message. What waits in the queue goes out at once.
     */
    unlimit(): void {
        this.limit = Infinity;
        this.inFlight = 0;
        this.release(0);
    }

    get active(): boolean {
        return this.hub !== undefined;
    }

    matches(type: string): boolean {
        for (const p of this.patterns) if (topicMatches(p, type)) return true;
        return false;
    }

    /**
     * Hands an event to this subscriber: at once if it has room, else into its
     * queue. `owned` events are this subscriber's alone and need no copy.
     */
    offer(ev: EventMessage, owned: boolean): void {
        if (this.hub === undefined) return;
        if (this.inFlight < this.limit && this.queue.length === 0) {
            this.deliver(ev, owned);
        } else {
            this.queue.push({ ev, owned });
        }
    }

    /** Marks `n` outstanding deliveries as finished and delivers queued events into the room made. */
    release(n = 1): void {
        this.inFlight = Math.max(0, this.inFlight - n);
        if (this.draining) return;
        this.draining = true;
        try {
            while (this.hub !== undefined && this.inFlight < this.limit && this.queue.length > 0) {
                const d = this.queue.shift() as Delivery;
                this.deliver(d.ev, d.owned);
            }
        } finally {
            this.draining = false;
        }
    }

    /** @internal called by the hub on unsubscribe */
    detach(): void {
        this.hub = undefined;
        this.queue.clear();
        this.inFlight = 0;
    }

    private deliver(ev: EventMessage, owned: boolean): void {
        if (this.limit !== Infinity) this.inFlight++;
        this.delivered++;
        (this.hub as EventHub).countDelivery();
        let msg: Message;
        if (this.writes === false || (this.writes === undefined && this.settleWrites() === false)) {
            msg = owned ? ev : copyForDelivery(ev);
        } else msg = writableCopy(ev, owned, this.clone);
        this.handler(msg, this);
    }

    private settleWrites(): boolean | undefined {
        this.writes = (this.askWrite as () => boolean | undefined)();
        return this.writes;
    }
}

/**
 * A delivery its flow may change at every level, as after a `link in`. An event shared with other subscribers
 * is copied all the way down (frozen values included). An event this subscriber owns keeps its own objects;
 * only the frozen values a hub shares with others (those it passed on unchanged from an earlier hub) are copied.
 */
export function writableCopy(ev: EventMessage, owned: boolean, clone: (value: object) => unknown): Message {
    const msg: Message = owned ? ev : Object.assign({}, ev);
    for (const key in msg) {
        const v = msg[key];
        if (v === null || typeof v !== 'object' || key === 'req' || key === 'res') continue;
        if (!owned || Object.isFrozen(v)) msg[key] = thawCopy(v, clone);
    }
    return msg;
}

/**
 * Copy on write at the top level: each subscriber gets its own message object,
 * so `msg.payload = …` in one flow never shows in another, while nested values
 * stay frozen and shared (no deep clone per delivery). Buffers cannot be
 * frozen, so a top-level Buffer payload is copied.
 */
export function copyForDelivery(ev: EventMessage): Message {
    const msg: Message = Object.assign({}, ev);
    const p = ev.payload;
    if (p !== null && typeof p === 'object' && ArrayBuffer.isView(p)) {
        msg.payload = Buffer.isBuffer(p) ? Buffer.from(p) : (p as unknown as { slice(): unknown }).slice();
    }
    return msg;
}

/** The default copy of a value that is not plain data: Buffers are copied, anything else is kept by reference. */
function defaultClone(value: object): unknown {
    return Buffer.isBuffer(value) ? Buffer.from(value) : value;
}
