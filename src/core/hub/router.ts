import { isWildcard, levelsMatch } from '../shared/topic';

interface WildEntry<S> {
    readonly levels: readonly string[];
    readonly subs: Set<S>;
}

/**
 * Maps event types to the subscribers whose patterns match them.
 *
 * Sensor fleets publish a small, stable set of types at a high rate, so the
 * router resolves each type once and caches the resulting subscriber list:
 * after the first event of a type, an exact or a wildcard subscription costs
 * one Map lookup. Any subscribe or unsubscribe drops the cache. The cache is
 * bounded so a publisher inventing a new type per event cannot grow memory:
 * once full it keeps the types it has and resolves the others on each event
 * (evicting would make a cyclic sweep over more types than it holds miss
 * every time). A miss is cheap: wildcard patterns are split into levels once,
 * when added, and the type once per miss.
 */
export class TopicRouter<S> {
    private readonly exact = new Map<string, Set<S>>();
    private readonly wild = new Map<string, WildEntry<S>>();
    private readonly cache = new Map<string, readonly S[]>();
    private readonly cacheLimit: number;

    constructor(cacheLimit = 10_000) {
        this.cacheLimit = cacheLimit;
    }

    /** Adds `sub` under a pattern the caller has validated. Adding the same pair twice is a no-op. */
    add(pattern: string, sub: S): void {
        if (isWildcard(pattern)) {
            let entry = this.wild.get(pattern);
            if (!entry) {
                entry = { levels: pattern.split('/'), subs: new Set() };
                this.wild.set(pattern, entry);
            }
            entry.subs.add(sub);
        } else {
            let set = this.exact.get(pattern);
            if (!set) {
                set = new Set();
                this.exact.set(pattern, set);
            }
            set.add(sub);
        }
        this.cache.clear();
    }

    remove(pattern: string, sub: S): void {
        const set = isWildcard(pattern) ? this.wild.get(pattern)?.subs : this.exact.get(pattern);
        if (!set?.delete(sub)) return;
        if (set.size === 0) {
            this.wild.delete(pattern);
            this.exact.delete(pattern);
        }
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
        if (this.cache.size < this.cacheLimit) this.cache.set(type, out);
        return out;
    }

    /** The cached subscriber list of a type, without resolving it. */
    cached(type: string): readonly S[] | undefined {
        return this.cache.get(type);
    }

    get patternCount(): number {
        return this.exact.size + this.wild.size;
    }

    private resolve(type: string): readonly S[] {
        const exact = this.exact.get(type);
        if (this.wild.size === 0) return exact ? Object.freeze([...exact]) : EMPTY;
        const levels = type.split('/');
        // Sources are the exact set and each matching wildcard set; only several need de-duplication.
        let first: Set<S> | undefined = exact;
        let found: Set<S> | undefined;
        for (const entry of this.wild.values()) {
            if (!levelsMatch(entry.levels, levels)) continue;
            if (first === undefined) first = entry.subs;
            else {
                found ??= new Set(first);
                for (const s of entry.subs) found.add(s);
            }
        }
        const all = found ?? first;
        return all === undefined || all.size === 0 ? EMPTY : Object.freeze([...all]);
    }
}

const EMPTY: readonly never[] = Object.freeze([]);
