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

/**
 * One controlled subscriber's outstanding messages, oldest first, with when each was handed on (in tracker order).
 * Nodes mostly finish messages in the order they got them, so a completion is nearly always the oldest entry:
 * a look at the head instead of a hash look-up per message (a Map keyed by message costs several times more per
 * message). One finished out of order leaves a hole; holes are squeezed out once they outnumber the messages still
 * outstanding, so a look-up never passes more than about twice the window (or a message that will never finish,
 * whose place a sweep gives back).
 */
class Lane {
    msgs: (object | undefined)[] = [];
    seqs: number[] = [];
    head = 0;
    live = 0;
    /** Entries after the head that were taken out of order. */
    holes = 0;
    /** The newest message (by seq) its node has completed. */
    newestDone = 0;
    /** Whether its node completed something since the last sweep. */
    progressed = false;

    constructor(
        readonly sub: Subscriber,
        public targets: ReadonlySet<string>,
    ) {}

    push(msg: object, seq: number): void {
        this.msgs.push(msg);
        this.seqs.push(seq);
        this.live++;
    }

    /** Takes `msg` out; its seq, or -1 when it is not outstanding here. */
    take(msg: object): number {
        const msgs = this.msgs;
        for (let i = this.head; i < msgs.length; i++) {
            if (msgs[i] !== msg) continue;
            const seq = this.seqs[i];
            msgs[i] = undefined;
            this.live--;
            this.holes++;
            if (i === this.head) this.skipHoles();
            else if (this.holes > 32 && this.holes > this.live) this.squeeze();
            return seq;
        }
        return -1;
    }

    /** Gives back the places of entries handed on up to `mark` that are lost; how many. */
    reclaim(mark: number): number {
        let n = 0;
        for (let i = this.head; i < this.msgs.length && this.seqs[i] <= mark; i++) {
            if (this.msgs[i] === undefined || !this.lost(this.seqs[i])) continue;
            this.msgs[i] = undefined;
            this.live--;
            this.holes++;
            n++;
        }
        this.skipHoles();
        return n;
    }

    clear(): void {
        // Emptied in place: an idle lane empties after nearly every message.
        this.msgs.length = 0;
        this.seqs.length = 0;
        this.head = 0;
        this.live = 0;
        this.holes = 0;
    }

    /** Lost: outstanding while a later one completed, or its node completed nothing for a whole period. */
    private lost(seq: number): boolean {
        return !this.progressed || this.newestDone > seq;
    }

    /** Moves the head past taken entries; the array starts over when empty or mostly spent. */
    private skipHoles(): void {
        const msgs = this.msgs;
        while (this.head < msgs.length && msgs[this.head] === undefined) {
            this.head++;
            this.holes--;
        }
        if (this.head === msgs.length) this.clear();
        else if (this.head >= 1024 && this.head * 2 >= msgs.length) this.squeeze();
    }

    /** Keeps only the outstanding entries, in order. */
    private squeeze(): void {
        const msgs: object[] = [];
        const seqs: number[] = [];
        for (let i = this.head; i < this.msgs.length; i++) {
            const m = this.msgs[i];
            if (m === undefined) continue;
            msgs.push(m);
            seqs.push(this.seqs[i]);
        }
        this.msgs = msgs;
        this.seqs = seqs;
        this.head = 0;
        this.holes = 0;
    }
}

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
     * Per controlled subscriber, what it handed on and is still outstanding. When a message is handed on
     * without a copy through a chain of publish/subscribe pairs, the same object is outstanding in several.
     */
    private readonly lanes = new Map<Subscriber, Lane>();
    /** The lanes whose subscriber's wire leads to a node, by node id: most completions are of no subscriber's. */
    private byNode = new Map<string, Lane[]>();
    private seq = 0;
    /** The last seq handed out before the previous sweep: what is older and still outstanding is due. */
    private mark = 0;
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
        let n = 0;
        for (const lane of this.lanes.values()) n += lane.live;
        return n;
    }

    acquire(sub: Subscriber, targets: ReadonlySet<string>): void {
        const lane = this.lanes.get(sub);
        if (lane !== undefined) lane.targets = targets;
        else this.lanes.set(sub, new Lane(sub, targets));
        this.index();
        if (this.hooks && lane === undefined && this.users++ === 0) {
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
        const lane = this.lanes.get(sub);
        if (lane === undefined) return;
        lane.targets = targets;
        this.index();
    }

    release(sub: Subscriber): void {
        if (!this.lanes.delete(sub)) return;
        this.index();
        if (this.hooks && --this.users === 0) {
            this.hooks.remove('onComplete.sensorhub-flow-control');
            if (this.sweeper !== undefined) clearInterval(this.sweeper);
            this.sweeper = undefined;
        }
    }

    track(msg: object, sub: Subscriber): void {
        this.lanes.get(sub)?.push(msg, ++this.seq);
    }

    /** Forgets a subscriber's outstanding messages (they will never complete: stalled, or the node closed). */
    forget(sub: Subscriber): void {
        this.lanes.get(sub)?.clear();
    }

    /**
     * Gives back the places of messages outstanding since before the previous sweep whose node threw (a later
     * message completed) or stopped (completed nothing since the previous sweep); messages of a node that is
     * only slow wait for the next sweep. Returns how many places each subscriber got back.
     */
    sweep(): Map<Subscriber, number> {
        const counts = new Map<Subscriber, number>();
        for (const [sub, lane] of this.lanes) {
            const n = lane.reclaim(this.mark);
            lane.progressed = false;
            if (n > 0) counts.set(sub, n);
        }
        this.mark = this.seq;
        for (const [sub, n] of counts) {
            sub.release(n);
            this.opts.onReclaim?.(sub, n);
        }
        return counts;
    }

    private index(): void {
        const byNode = new Map<string, Lane[]>();
        for (const lane of this.lanes.values()) {
            for (const id of lane.targets) byNode.set(id, [...(byNode.get(id) ?? []), lane]);
        }
        this.byNode = byNode;
    }

    /**
     * A node finished a message: if it sits on the wire of a subscriber that sent that message, that
     * subscriber has room again (one subscriber per completion). Only the node on the wire counts: the
     * publisher completes the very same object when it was handed on without a copy.
     */
    private completed(msg: object, nodeId: string): void {
        const lanes = this.byNode.get(nodeId);
        if (lanes === undefined) return;
        for (let i = 0; i < lanes.length; i++) {
            const lane = lanes[i];
            const seq = lane.take(msg);
            if (seq < 0) continue;
            lane.progressed = true;
            if (seq > lane.newestDone) lane.newestDone = seq;
            lane.sub.release();
            return;
        }
    }
}
