/** Who offers metrics: a node's id, type and name. */
export interface MetricsSource {
    readonly id: string;
    readonly type: string;
    readonly name: string;
}

/** Returns a node's current figures, or undefined while it has none (a fleet before its first cycle). */
export type MetricsProvider = () => object | undefined;

/** One node's figures at collection time: `metrics` is null while it has none. */
export interface NodeMetrics extends MetricsSource {
    readonly metrics: object | null;
    /** Set when the provider threw: one broken node must not cost the others their figures. */
    readonly error?: string;
}

interface Entry extends MetricsSource {
    readonly provider: MetricsProvider;
}

/**
 * Nodes offering figures to monitors, by node id. Providers are called only
 * when a monitor collects, so a node that registers pays nothing per event.
 */
export class MetricsRegistry {
    private readonly entries = new Map<string, Entry>();

    /**
     * Offers `provider`'s figures under `source.id`, replacing an earlier
     * registration of that id. Returns the way to withdraw: it removes this
     * registration only, so a redeployed node's late close cannot remove its
     * successor.
     */
    register(source: MetricsSource, provider: MetricsProvider): () => void {
        const entry: Entry = { id: source.id, type: source.type, name: source.name, provider };
        this.entries.set(source.id, entry);
        return () => {
            if (this.entries.get(source.id) === entry) this.entries.delete(source.id);
        };
    }

    get size(): number {
        return this.entries.size;
    }

    /** Every registered node's figures (of one type, when given), in registration order. */
    collect(type?: string): NodeMetrics[] {
        const out: NodeMetrics[] = [];
        for (const e of this.entries.values()) {
            if (type !== undefined && e.type !== type) continue;
            const source = { id: e.id, type: e.type, name: e.name };
            try {
                out.push({ ...source, metrics: e.provider() ?? null });
            } catch (err) {
                out.push({ ...source, metrics: null, error: err instanceof Error ? err.message : String(err) });
            }
        }
        return out;
    }
}

/** The registry the nodes of this package share: one per Node-RED process, as the module is loaded once. */
export const metricsRegistry = new MetricsRegistry();
