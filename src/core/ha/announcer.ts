import {
    commandTopic,
    discoveryConfig,
    discoveryFilter,
    discoveryTopic,
    stateTopic,
    stateTopicOfDiscovery,
    type EntitySpec,
    type HaInstance,
} from './discovery';

/** What the announcer needs of the hub's broker connection (the MQTT bridge's raw publish and subscribe). */
export interface HaLink {
    /** False when disconnected: nothing is queued, `connected()` publishes everything again. */
    publish(topic: string, payload: string, retain: boolean): boolean;
    subscribe(filter: string, handler: (topic: string, payload: Buffer, retained: boolean) => void): () => void;
}

export interface AnnouncerOptions {
    /**
     * After a connect, how long to collect the retained configs this instance left on the broker before
     * clearing those no node announces now (nodes removed while the hub was down or disconnected).
     */
    readonly sweepDelayMs: number;
}

/** One announced entity: its state, and its end (released on a redeploy, removed with its node). */
export interface HaEntity {
    state(payload: string): void;
    /** The node stops but stays in the flow (a redeploy): Home Assistant keeps the entity, unavailable meanwhile. */
    release(): void;
    /** The node was deleted: the empty retained config deletes the entity in Home Assistant. */
    remove(): void;
}

interface Entry {
    readonly spec: EntitySpec;
    readonly config: string;
    last: string | undefined;
}

/**
 * Announces a hub's entities to Home Assistant over the hub's connection: a
 * retained config per entity, its retained state, and its command topic.
 * Everything is published again on every connect (a broker restarted without
 * persistence forgot it), and configs of this instance that no node announces
 * any more are cleared then.
 */
export class HaAnnouncer {
    private readonly entries = new Map<string, Entry>();
    /** Non-empty retained discovery configs of this instance seen on the broker, by topic. */
    private readonly onBroker = new Set<string>();
    private readonly stopWatching: () => void;
    private sweepTimer: NodeJS.Timeout | undefined;
    private closed = false;

    constructor(
        readonly instance: HaInstance,
        private readonly link: HaLink,
        private readonly opts: AnnouncerOptions,
    ) {
        this.stopWatching = link.subscribe(discoveryFilter(instance), (topic, payload) => {
            if (payload.length > 0) this.onBroker.add(topic);
            else this.onBroker.delete(topic);
        });
    }

    get size(): number {
        return this.entries.size;
    }

    /** Announces `spec`; commands from Home Assistant (retained ones never: they would replay) go to `onCommand`. */
    announce(spec: EntitySpec, onCommand?: (payload: string) => void): HaEntity {
        const topic = discoveryTopic(this.instance, spec.component, spec.nodeId);
        const entry: Entry = { spec, config: JSON.stringify(discoveryConfig(this.instance, spec)), last: undefined };
        this.entries.set(topic, entry);
        this.link.publish(topic, entry.config, true);
        const unsubscribe =
            spec.commands && onCommand
                ? this.link.subscribe(commandTopic(this.instance, spec.nodeId), (_t, payload, retained) => {
                      if (!retained && this.entries.get(topic) === entry) onCommand(payload.toString('utf8'));
                  })
                : undefined;
        const release = (): boolean => {
            unsubscribe?.();
            if (this.entries.get(topic) !== entry) return false;
            this.entries.delete(topic);
            return true;
        };
        return {
            state: (payload) => {
                entry.last = payload;
                if (this.entries.get(topic) === entry)
                    this.link.publish(stateTopic(this.instance, spec.nodeId), payload, true);
            },
            release: () => {
                release();
            },
            remove: () => {
                if (release()) this.clear(topic);
            },
        };
    }

    /** The connection is (back) up: publish every config and last state again, then sweep what is left over. */
    connected(): void {
        if (this.closed) return;
        for (const [topic, entry] of this.entries) {
            this.link.publish(topic, entry.config, true);
            if (entry.last !== undefined)
                this.link.publish(stateTopic(this.instance, entry.spec.nodeId), entry.last, true);
        }
        clearTimeout(this.sweepTimer);
        this.sweepTimer = setTimeout(() => {
            this.sweepTimer = undefined;
            this.sweep();
        }, this.opts.sweepDelayMs);
    }

    close(): void {
        this.closed = true;
        clearTimeout(this.sweepTimer);
        this.stopWatching();
        this.entries.clear();
    }

    /** Clears the retained configs (and states) of entities no node announces. */
    private sweep(): void {
        for (const topic of [...this.onBroker]) if (!this.entries.has(topic)) this.clear(topic);
    }

    private clear(topic: string): void {
        if (!this.link.publish(topic, '', true)) return;
        this.onBroker.delete(topic);
        const state = stateTopicOfDiscovery(this.instance, topic);
        if (state !== undefined) this.link.publish(state, '', true);
    }
}

/** Warns once per burst: the first problem after a quiet spell is said, the ones right after it only counted. */
export class BurstWarning {
    total = 0;
    private lastAt = -Infinity;

    constructor(
        private readonly quietMs: number,
        private readonly now: () => number = Date.now,
    ) {}

    /** Counts one; true when this one should be said. */
    hit(): boolean {
        this.total++;
        const t = this.now();
        const say = t - this.lastAt >= this.quietMs;
        this.lastAt = t;
        return say;
    }
}
