import { isWildcard, topicMatches } from './topic';

/**
 * Maps event types to the subscribers whose patterns match them.
 *
 * Sensor fleets publish a small, stable set of types at a high rate, so the
 * router resolves each type once and caches the resulting subscriber list:
 * after the first event of a type, an exact or a wildcard subscription costs
 * one Map lookup. Any subscribe or unsubscribe drops the cache. The cache is
 * bounded so a publisher inventing a new type per event cannot grow memory.
 */
export class TopicRouter<S> {
    private readonly exact = new Map<string, Set<S>>();
    private readonly wild = new Map<string, Set<S>>();
    private readonly cache = new Map<string, readonly S[]>();
    private readonly cacheLimit: number;

    constructor(cacheLimit = 10_000) {
        this.cacheLimit = cacheLimit;
    }

    /** Adds `sub` under a pattern the caller has validated. Adding the same pair twice is a no-op. */
    add(pattern: string, sub: S): void {
        const table = isWildcard(pattern) ? this.wild : this.exact;
        let set = table.get(pattern);
        if (!set) {
            set = new Set();
            table.set(pattern, set);
        }
        set.add(sub);
        this.cache.clear();
    }

    remove(pattern: string, sub: S): void {
        const table = isWildcard(pattern) ? this.wild : this.exact;
        const set = table.get(pattern);
        if (!set || !set.delete(sub)) return;
        if (set.size === 0) table.delete(pattern);
        this.cache.clear();
    }

    /**
     * Subscribers for a type, each once, in the order they subscribed
     * per pattern. The returned array is shared and must not be modified.
     */
    match(type: string): readonly S[] {
        const hit = this.cache.get(type);
        if (hit !== undefined) return hit;
        const out = this.resolve(type);
        if (this.cache.size >= this.cacheLimit) this.cache.clear();
        this.cache.set(type, out);
        return out;
    }

    get patternCount(): number {
        return this.exact.size + this.wild.size;
    }

    private resolve(type: string): readonly S[] {
        const exact = this.exact.get(type);
        if (this.wild.size === 0) return exact ? Object.freeze([...exact]) : EMPTY;
        const found = new Set<S>(exact);
        for (const [pattern, subs] of this.wild) {
            if (topicMatches(pattern, type)) for (const s of subs) found.add(s);
        }
        return found.size === 0 ? EMPTY : Object.freeze([...found]);
    }
}

const EMPTY: readonly never[] = Object.freeze([]);
