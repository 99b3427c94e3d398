import type { Node } from 'node-red';

/**
 * The key a node's state is kept under in this process: its id. In Node-RED
 * 4 and 5 a node inside a subflow instance is deployed with the id
 * `<instance id>-<its id in the subflow>` (Subflow.js, createNodeInSubflow):
 * the same on every deploy, and different in each instance. Its `_alias` is
 * its id in the subflow definition, shared by every instance of the subflow,
 * so it must not be the key on its own; `z` is the instance's id, so
 * `_alias` + `z` would work too, but loses the state when a node moves to
 * another tab.
 */
export const keptKey = (node: Node): string => node.id;

type Callback = (err?: Error | null) => void;

/** The part of a node's context used here: the callback forms, which every context store answers. */
interface Context {
    get(key: string, callback: (err: Error | null | undefined, value: unknown) => void): void;
    set(key: string, value: unknown, callback: Callback): void;
}

/**
 * The last state of every node of one type, by `keptKey`. Node-RED deletes a
 * node's context when the node closes unless a context store is configured,
 * so without one the context alone would not survive a redeploy; this copy
 * does, and is dropped when the node is removed from the flow. The context
 * (when persistent) carries the state across restarts.
 */
export class KeptStates<T> {
    private readonly byKey = new Map<string, T>();

    /** `contextKey`: the node context key the state is saved under. */
    constructor(private readonly contextKey: string) {}

    /** One node's state; `onSaveError` hears of a context store that cannot save, once until it can again. */
    of(node: Node, onSaveError: (err: Error) => void): KeptState<T> {
        return new KeptState<T>(this.byKey, keptKey(node), node.context(), {
            contextKey: this.contextKey,
            onSaveError,
        });
    }
}

/**
 * One node's kept state. The copy in memory is made at once (a redeploy may
 * come any time); the context store gets the latest state once per turn of
 * the event loop, however many changes a burst of messages made in it.
 */
export class KeptState<T> {
    private unsaved: T | undefined;
    private timer: NodeJS.Immediate | undefined;
    private failing = false;

    constructor(
        private readonly byKey: Map<string, T>,
        private readonly key: string,
        private readonly context: Context,
        private readonly options: { readonly contextKey: string; readonly onSaveError: (err: Error) => void },
    ) {}

    /**
     * The saved state: the copy from before a redeploy in this process, else
     * the node context's. `then` runs at once where the store can answer at
     * once, else when it answers; with `err` when it could not read.
     */
    read(then: (saved: unknown, err?: Error) => void): void {
        const kept = this.byKey.get(this.key);
        if (kept !== undefined) {
            then(kept);
            return;
        }
        this.context.get(this.options.contextKey, (err, value) => {
            if (err) then(undefined, err);
            else then(value);
        });
    }

    save(state: T): void {
        this.byKey.set(this.key, state);
        this.unsaved = state;
        this.timer ??= setImmediate(() => {
            this.flush();
        });
    }

    /** Writes a pending state to the context now. */
    flush(): void {
        if (this.timer !== undefined) clearImmediate(this.timer);
        this.timer = undefined;
        const state = this.unsaved;
        this.unsaved = undefined;
        if (state === undefined) return;
        this.context.set(this.options.contextKey, state, (err) => {
            // Said once, not per event: a store that cannot save now will not on the next one either.
            if (err && !this.failing) this.options.onSaveError(err);
            this.failing = Boolean(err);
        });
    }

    /** The node closes: the pending state is written, and forgotten here when the node was removed. */
    close(removed: boolean): void {
        this.flush();
        if (removed) this.byKey.delete(this.key);
    }
}
