import type { Subscriber } from './hub';

export interface CompleteEvent {
    msg: object;
    node: { id: string };
}
/** The part of Node-RED's hooks API (RED.hooks) this needs. */
export interface Hooks {
    add(id: string, fn: (ev: CompleteEvent) => void): void;
    remove(id: string): void;
}

export interface TrackerOptions {
    /**
     * How often outstanding messages are swept: one still outstanding at two sweeps in a row (so after
     * one to two periods) is taken as never to complete, and its place in the window is given back.
     */
    readonly sweepMs?: number;
    /** Told, per subscriber, how many places a sweep gave back. */
    readonly onReclaim?: (sub: Subscriber, count: number) => void;
}

/** The subscribers a message is outstanding for, and when it was (last) handed on, in tracker order. */
interface Outstanding {
    owner: Subscriber | Subscriber[];
    seq: number;
}
type Owners = Map<object, Outstanding>;

/**
 * Whether a Node-RED node will ever complete a message it receives. The runtime
 * counts the input handlers declared with `done` (three parameters) in
 * `_expectedDoneCount`; a node without one (an old-style `function (msg)`
 * handler, a subflow instance, a node with no input handler yet) never fires
 * the onComplete hook. Unknown internals are taken to complete.
 */
export function completesMessages(node: object): boolean {
    const count = (node as { _expectedDoneCount?: unknown })._expectedDoneCount;
    return typeof count !== 'number' || count > 0;
}

/**
 * Credit-based flow control between a subscriber and the flow it feeds.
 * Node-RED's send() queues without bound, so a subscriber counts a message as
 * outstanding until the node on its first wire completes it (the onComplete
 * hook; that node receives the very object sent). While the window is full,
 * events wait in the subscriber's bounded queue and drop by its policy.
 * One hook serves every subscriber and is removed when the last one closes.
 *
 * A message that is never completed (its node threw: Node-RED then logs the
 * error but fires no onComplete) would hold its place for ever; a periodic
 * sweep gives such places back, so a node that throws now and then costs a
 * little window for a while, not the whole subscriber. A message is taken as
 * lost only when a later one of its subscriber has completed, or when the
 * node completed nothing for a whole period: a slow node (a rate-limiting
 * delay behind a large window) holds messages for minutes and finishes them
 * all, and giving their places back would let the window overrun its bound.
 */
export class CompletionTracker {
    /**
     * Outstanding messages and the subscribers that sent them, in two generations: tracked since the last
     * sweep, and before it. Usually one subscriber; when a message is handed on without a copy through a
     * chain of publish/subscribe pairs, the same object is outstanding for several at once.
     * Maps, not WeakMaps: entries are deleted on completion, and ephemeron tables cost V8's GC far more.
     */
    private young: Owners = new Map();
    private old: Owners = new Map();
    private seq = 0;
    /** Per subscriber, the newest message (by `seq`) its node has completed. */
    private readonly newestDone = new Map<Subscriber, number>();
    /** Subscribers whose node completed something since the last sweep. */
    private readonly progressed = new Set<Subscriber>();
    /** The ids of the nodes on each controlled subscriber's first output. */
    private readonly targets = new Map<Subscriber, ReadonlySet<string>>();
    private users = 0;
    private sweeper: ReturnType<typeof setInterval> | undefined;

    constructor(
        private readonly hooks: Hooks | undefined,
        private readonly opts: TrackerOptions = {},
    ) {}

    get available(): boolean {
        return this.hooks !== undefined;
    }

    /** Messages outstanding, for tests and figures. */
    get outstanding(): number {
        return this.young.size + this.old.size;
    }

    acquire(sub: Subscriber, targets: ReadonlySet<string>): void {
        this.targets.set(sub, targets);
        if (this.hooks && this.users++ === 0) {
            this.hooks.add('onComplete.sensorhub-flow-control', (ev) => {
                this.completed(ev.msg, ev.node.id);
            });
            if (this.opts.sweepMs !== undefined) {
                this.sweeper = setInterval(() => this.sweep(), this.opts.sweepMs);
                this.sweeper.unref();
            }
        }
    }

    /** Narrows the nodes whose completion counts for `sub` (to those that can complete at all). */
    retarget(sub: Subscriber, targets: ReadonlySet<string>): void {
        if (this.targets.has(sub)) this.targets.set(sub, targets);
    }

    release(sub: Subscriber): void {
        if (!this.targets.has(sub)) return;
        this.forget(sub);
        this.targets.delete(sub);
        this.newestDone.delete(sub);
        this.progressed.delete(sub);
        if (this.hooks && --this.users === 0) {
            this.hooks.remove('onComplete.sensorhub-flow-control');
            if (this.sweeper !== undefined) clearInterval(this.sweeper);
            this.sweeper = undefined;
        }
    }

    track(msg: object, sub: Subscriber): void {
        const seq = ++this.seq;
        let prev = this.young.get(msg);
        if (prev === undefined) {
            // Handed on again while outstanding since before the last sweep: it starts a new generation.
            prev = this.old.get(msg);
            if (prev !== undefined) this.old.delete(msg);
        }
        if (prev === undefined) this.young.set(msg, { owner: sub, seq });
        else {
            const owner = Array.isArray(prev.owner) ? [...prev.owner, sub] : [prev.owner, sub];
            this.young.set(msg, { owner, seq });
        }
    }

    /** Forgets a subscriber's outstanding messages (they will never complete: stalled, or the node closed). */
    forget(sub: Subscriber): void {
        forgetIn(this.young, sub);
        forgetIn(this.old, sub);
    }

    /**
     * Gives back the places of messages outstanding since before the previous sweep whose node threw (a later
     * message completed) or stopped (completed nothing since the previous sweep); messages of a node that is
     * only slow wait for the next sweep. Returns how many places each subscriber got back.
     */
    sweep(): Map<Subscriber, number> {
        const counts = new Map<Subscriber, number>();
        const waiting: Owners = this.young;
        for (const [msg, entry] of this.old) {
            const kept: Subscriber[] = [];
            for (const sub of Array.isArray(entry.owner) ? entry.owner : [entry.owner]) {
                if (this.lost(sub, entry.seq)) counts.set(sub, (counts.get(sub) ?? 0) + 1);
                else kept.push(sub);
            }
            if (kept.length > 0) waiting.set(msg, { owner: kept.length === 1 ? kept[0] : kept, seq: entry.seq });
        }
        this.old = waiting;
        this.young = new Map();
        this.progressed.clear();
        for (const [sub, n] of counts) {
            sub.release(n);
            this.opts.onReclaim?.(sub, n);
        }
        return counts;
    }

    private lost(sub: Subscriber, seq: number): boolean {
        return !this.progressed.has(sub) || (this.newestDone.get(sub) ?? 0) > seq;
    }

    /**
     * A node finished a message: if it sits on the wire of a subscriber that sent that message, that
     * subscriber has room again. Only the node on the wire counts: the publisher completes the very same
     * object when it was handed on without a copy.
     */
    private completed(msg: object, nodeId: string): void {
        if (!this.completedIn(this.young, msg, nodeId)) this.completedIn(this.old, msg, nodeId);
    }

    private completedIn(owners: Owners, msg: object, nodeId: string): boolean {
        const entry = owners.get(msg);
        if (entry === undefined) return false;
        const owner = entry.owner;
        if (!Array.isArray(owner)) {
            if (this.targets.get(owner)?.has(nodeId) === true) {
                owners.delete(msg);
                this.done(owner, entry.seq);
            }
            return true;
        }
        const i = owner.findIndex((s) => this.targets.get(s)?.has(nodeId) === true);
        if (i === -1) return true;
        const [sub] = owner.splice(i, 1);
        if (owner.length === 0) owners.delete(msg);
        else if (owner.length === 1) entry.owner = owner[0];
        this.done(sub, entry.seq);
        return true;
    }

    private done(sub: Subscriber, seq: number): void {
        this.progressed.add(sub);
        if (seq > (this.newestDone.get(sub) ?? 0)) this.newestDone.set(sub, seq);
        sub.release();
    }
}

function forgetIn(owners: Owners, sub: Subscriber): void {
    for (const [msg, entry] of owners) {
        const owner = entry.owner;
        if (owner === sub) owners.delete(msg);
        else if (Array.isArray(owner)) {
            const rest = owner.filter((s) => s !== sub);
            if (rest.length === 0) owners.delete(msg);
            else entry.owner = rest.length === 1 ? rest[0] : rest;
        }
    }
}
