import type { NodeMetrics } from './metrics-registry';
import { MonitorCollector, type HubMetrics, type MonitoredHub, type ProcessMetrics } from './monitor';

export const SIDEBAR_PERIOD_MS = 1000;
/** An editor that stops renewing its watch (closed tab, lost connection) stops costing anything after this. */
export const SIDEBAR_LEASE_MS = 10_000;
/** Event types a sidebar lists by name per hub; the rest are summed as other. */
export const SIDEBAR_MAX_TYPES = 50;
/** Editors watching at once that the feed keeps apart; beyond this the longest-silent one is forgotten. */
export const SIDEBAR_MAX_WATCHERS = 100;

export interface Clock {
    now(): number;
    setTimeout(fn: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
}

/** A hub the sidebar shows. */
export interface SidebarHubSource {
    readonly id: string;
    readonly name: string;
    readonly backend: 'local' | 'mqtt';
    readonly hub: MonitoredHub;
}

export interface SidebarType {
    readonly type: string;
    readonly count: number;
    /** Events per second over the last period. */
    readonly rate: number;
    /** Events since watching started. */
    readonly total: number;
    /** ms since this type's last event, undefined when not seen since watching started. */
    readonly ageMs: number | undefined;
}

export interface SidebarHub {
    readonly id: string;
    readonly name: string;
    readonly backend: 'local' | 'mqtt';
    readonly rate: number;
    readonly dropped: number;
    readonly types: readonly SidebarType[];
    readonly other: { readonly count: number; readonly rate: number };
    readonly subscribers: HubMetrics['subscribers'];
}

/** A sensor or fleet as the sidebar lists it: small, whatever the node's figures hold. */
export interface SidebarNode {
    readonly id: string;
    readonly name: string;
    /** undefined: no read or cycle yet. */
    readonly health: 'ok' | 'failed' | undefined;
    /** A sensor's last read, a fleet's last cycle. */
    readonly latencyMs?: number;
    /** A sensor's last value, shortened. */
    readonly value?: string;
    /** A fleet's last cycle: reads ok and failed. */
    readonly ok?: number;
    readonly failed?: number;
    /** ms since the last read or cycle started. */
    readonly ageMs?: number;
    readonly error?: string;
}

export interface SidebarSnapshot {
    readonly ts: number;
    readonly hubs: readonly SidebarHub[];
    readonly sensors: readonly SidebarNode[];
    readonly fleets: readonly SidebarNode[];
}

/** Longest value text a sidebar row gets: a sensor's value may be any object. */
export const VALUE_MAX_CHARS = 40;

// Typed as it behaves: functions and symbols give undefined.
const stringify: (value: unknown) => string | undefined = JSON.stringify;

/** A value as one short line. */
export function summariseValue(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) text = String(value);
    else {
        try {
            // Functions and symbols have no JSON.
            const json = stringify(value);
            text = json ?? typeof value;
        } catch {
            // Cycles, BigInts: a name is better than nothing.
            text = Object.prototype.toString.call(value);
        }
    }
    return text.length > VALUE_MAX_CHARS ? `${text.slice(0, VALUE_MAX_CHARS - 1)}…` : text;
}

const numAt = (o: Record<string, unknown>, key: string): number | undefined => {
    const v = o[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

/** A sensor's registered figures (its last read) as a sidebar row. */
export function sensorRow(n: NodeMetrics, now: number): SidebarNode {
    const m = (n.metrics ?? {}) as Record<string, unknown>;
    const status = m.status;
    const ts = numAt(m, 'ts');
    return {
        id: n.id,
        name: n.name,
        health: typeof status === 'string' ? (status === 'ok' ? 'ok' : 'failed') : undefined,
        latencyMs: numAt(m, 'latencyMs'),
        value: status === 'ok' ? summariseValue(m.value) : undefined,
        ageMs: ts === undefined ? undefined : Math.max(0, now - ts),
        error: n.error ?? (typeof m.error === 'string' ? summariseValue(m.error) : undefined),
    };
}

/** A fleet's registered figures (its last cycle) as a sidebar row: failed when any read of it failed. */
export function fleetRow(n: NodeMetrics, now: number): SidebarNode {
    const m = (n.metrics ?? {}) as Record<string, unknown>;
    const ok = numAt(m, 'ok');
    const failed = numAt(m, 'failed');
    const startedAt = numAt(m, 'startedAt');
    return {
        id: n.id,
        name: n.name,
        health: ok === undefined && failed === undefined ? undefined : (failed ?? 0) > 0 ? 'failed' : 'ok',
        latencyMs: numAt(m, 'durationMs'),
        ok,
        failed,
        ageMs: startedAt === undefined ? undefined : Math.max(0, now - startedAt),
        ...(n.error !== undefined ? { error: n.error } : {}),
    };
}

export interface SidebarFeedOptions {
    /** The hubs deployed now; asked every period, so redeploys show up without restarting the feed. */
    readonly hubs: () => readonly SidebarHubSource[];
    readonly nodes: () => readonly NodeMetrics[];
    readonly nameOf?: (id: string) => string | undefined;
    readonly publish: (snapshot: SidebarSnapshot) => void;
    /** A period's collection or publishing failed; the feed goes on. */
    readonly onError?: (err: unknown) => void;
    readonly clock: Clock;
    readonly periodMs?: number;
    readonly leaseMs?: number;
    readonly maxTypes?: number;
}

// The sidebar shows no process figures; the monitor's collector asks for them, so it gets these.
const NO_PROCESS: ProcessMetrics = Object.freeze({
    eventLoopDelayMs: { p50: 0, p99: 0, max: 0 },
    heapUsedMiB: 0,
    rssMiB: 0,
    uptimeS: 0,
});

interface Watched {
    readonly hub: MonitoredHub;
    readonly collector: MonitorCollector;
    /** Last event time per type, bounded like the counter's totals. */
    readonly lastSeen: Map<string, number>;
    readonly stopSeen: () => void;
    source: SidebarHubSource;
}

/**
 * Feeds editors' sidebars: while at least one has renewed its watch within
 * the lease, collects one snapshot of every hub per period and publishes it.
 * Nobody watching means no timer and no hub listener, so a closed sidebar costs nothing.
 */
export class SidebarFeed {
    private timer: unknown;
    /** Each watching editor's lease end, the least recently renewed first. */
    private readonly leases = new Map<string, number>();
    private readonly watched = new Map<string, Watched>();
    private readonly periodMs: number;
    private readonly leaseMs: number;
    private readonly maxTypes: number;

    constructor(private readonly opts: SidebarFeedOptions) {
        this.periodMs = opts.periodMs ?? SIDEBAR_PERIOD_MS;
        this.leaseMs = opts.leaseMs ?? SIDEBAR_LEASE_MS;
        this.maxTypes = opts.maxTypes ?? SIDEBAR_MAX_TYPES;
    }

    get active(): boolean {
        return this.timer !== undefined;
    }

    /** Editors watching now (leases not yet run out). */
    get watchers(): number {
        this.expire();
        return this.leases.size;
    }

    /** Editor `client` wants figures: (re)starts its lease; the first snapshot follows within a period. */
    watch(client: string): void {
        this.leases.delete(client);
        this.leases.set(client, this.opts.clock.now() + this.leaseMs);
        if (this.leases.size > SIDEBAR_MAX_WATCHERS) this.leases.delete(this.leases.keys().next().value as string);
        if (this.timer === undefined) {
            this.sync();
            this.schedule();
        }
    }

    /** Editor `client` no longer looks (its tab was hidden): the feed stops at once when nobody else does. */
    unwatch(client: string): void {
        this.leases.delete(client);
        if (this.leases.size === 0) this.close();
    }

    /** Stops at once, whoever still watches (the runtime is stopping). */
    close(): void {
        if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
        this.timer = undefined;
        this.leases.clear();
        for (const w of this.watched.values()) this.release(w);
        this.watched.clear();
    }

    private expire(): void {
        const now = this.opts.clock.now();
        for (const [client, until] of this.leases) if (until < now) this.leases.delete(client);
    }

    private schedule(): void {
        this.timer = this.opts.clock.setTimeout(() => {
            this.tick();
        }, this.periodMs);
    }

    private tick(): void {
        this.timer = undefined;
        if (this.watchers === 0) {
            this.close();
            return;
        }
        this.schedule();
        // Runs from a timer: a throw would take the whole runtime down, and one bad period must not end the feed.
        try {
            this.opts.publish(this.snapshot());
        } catch (err) {
            this.opts.onError?.(err);
        }
    }

    /** Starts collectors for new hubs, ends those of hubs no longer deployed (or replaced by a redeploy). */
    private sync(): readonly Watched[] {
        const now = new Map<string, SidebarHubSource>();
        for (const s of this.opts.hubs()) now.set(s.id, s);
        for (const [id, w] of this.watched) {
            const s = now.get(id);
            if (s === undefined || s.hub !== w.hub) {
                this.release(w);
                this.watched.delete(id);
            }
        }
        for (const [id, source] of now) {
            const w = this.watched.get(id);
            if (w !== undefined) {
                w.source = source;
                continue;
            }
            const lastSeen = new Map<string, number>();
            const clock = this.opts.clock;
            const max = this.maxTypes;
            const stopSeen = source.hub.onPublish((type) => {
                if (lastSeen.size < max || lastSeen.has(type)) lastSeen.set(type, clock.now());
            });
            const collector = new MonitorCollector({
                hub: source.hub,
                hubId: source.id,
                hubName: source.name,
                backend: source.backend,
                maxTypes: max,
                now: () => clock.now(),
                process: () => NO_PROCESS,
                nameOf: this.opts.nameOf,
            });
            this.watched.set(id, { hub: source.hub, collector, lastSeen, stopSeen, source });
        }
        return [...this.watched.values()];
    }

    private release(w: Watched): void {
        w.collector.close();
        w.stopSeen();
    }

    private snapshot(): SidebarSnapshot {
        const now = this.opts.clock.now();
        const hubs = this.sync().map((w): SidebarHub => {
            const s = w.collector.snapshot().hub;
            const rates = new Map(s.events.byType.map((t) => [t.type, t]));
            const types = s.events.totals.byType
                .map((t): SidebarType => {
                    const recent = rates.get(t.type);
                    const seen = w.lastSeen.get(t.type);
                    return {
                        type: t.type,
                        count: recent?.count ?? 0,
                        rate: recent?.rate ?? 0,
                        total: t.count,
                        ageMs: seen === undefined ? undefined : Math.max(0, now - seen),
                    };
                })
                .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
            return {
                id: w.source.id,
                name: w.source.name,
                backend: w.source.backend,
                rate: s.events.rate,
                dropped: s.dropped,
                types,
                other: s.events.other,
                subscribers: s.subscribers,
            };
        });
        const nodes = this.opts.nodes();
        return {
            ts: now,
            hubs,
            sensors: nodes.filter((n) => n.type === 'sensorhub-sensor').map((n) => sensorRow(n, now)),
            fleets: nodes.filter((n) => n.type === 'sensorhub-fleet').map((n) => fleetRow(n, now)),
        };
    }
}
