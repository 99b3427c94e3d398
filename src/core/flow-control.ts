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

/**
 * Credit-based flow control between a subscriber and the flow it feeds.
 * Node-RED's send() queues without bound, so a subscriber counts a message as
 * outstanding until the node on its first wire completes it (the onComplete
 * hook; that node receives the very object sent). While the window is full,
 * events wait in the subscriber's bounded queue and drop by its policy.
 * One hook serves every subscriber and is removed when the last one closes.
 */
export class CompletionTracker {
    /**
     * Outstanding messages and the subscribers that sent them. Usually one; when a message is handed on without a
     * copy through a chain of publish/subscribe pairs, the same object is outstanding for several at once.
     * A Map, not a WeakMap: entries are deleted on completion, and ephemeron tables cost V8's GC far more.
     */
    private readonly owners = new Map<object, Subscriber | Subscriber[]>();
    /** The ids of the nodes on each controlled subscriber's first output. */
    private readonly targets = new Map<Subscriber, ReadonlySet<string>>();
    private users = 0;

    constructor(private readonly hooks: Hooks | undefined) {}

    get available(): boolean {
        return this.hooks !== undefined;
    }

    acquire(sub: Subscriber, targets: ReadonlySet<string>): void {
        this.targets.set(sub, targets);
        if (this.hooks && this.users++ === 0) {
            this.hooks.add('onComplete.sensorhub-flow-control', (ev) => {
                this.completed(ev.msg, ev.node.id);
            });
        }
    }

    release(sub: Subscriber): void {
        this.forget(sub);
        this.targets.delete(sub);
        if (this.hooks && --this.users === 0) this.hooks.remove('onComplete.sensorhub-flow-control');
    }

    track(msg: object, sub: Subscriber): void {
        const prev = this.owners.get(msg);
        if (prev === undefined) this.owners.set(msg, sub);
        else if (Array.isArray(prev)) prev.push(sub);
        else this.owners.set(msg, [prev, sub]);
    }

    /** Forgets a subscriber's outstanding messages (they will never complete: stalled, or the node closed). */
    forget(sub: Subscriber): void {
        for (const [msg, owner] of this.owners) {
            if (owner === sub) this.owners.delete(msg);
            else if (Array.isArray(owner)) {
                const rest = owner.filter((s) => s !== sub);
                if (rest.length === 0) this.owners.delete(msg);
                else this.owners.set(msg, rest.length === 1 ? rest[0] : rest);
            }
        }
    }

    /**
     * A node finished a message: if it sits on the wire of a subscriber that sent that message, that
     * subscriber has room again. Only the node on the wire counts: the publisher completes the very same
     * object when it was handed on without a copy.
     */
    private completed(msg: object, nodeId: string): void {
        const owner = this.owners.get(msg);
        if (owner === undefined) return;
        if (!Array.isArray(owner)) {
            if (this.targets.get(owner)?.has(nodeId) === true) {
                this.owners.delete(msg);
                owner.release();
            }
            return;
        }
        const i = owner.findIndex((s) => this.targets.get(s)?.has(nodeId) === true);
        if (i === -1) return;
        const [sub] = owner.splice(i, 1);
        if (owner.length === 0) this.owners.delete(msg);
        else if (owner.length === 1) this.owners.set(msg, owner[0]);
        sub.release();
    }
}
