import type { BridgeStats } from '../hub/mqtt-bridge';
import type { EventHub } from '../hub/hub';
import type { ConnectionStats } from '../serial/connection';
import type { NodeMetrics } from '../shared/metrics-registry';
import type { ProcessSample } from '../fleet/fleet';
import { LatestReadings, type ReadingsSnapshot } from './readings';
import { ConfigError, blank, choiceField, num, settle, wholeField, type Raw } from '../shared/config-fields';

export type MonitorFormat = 'object' | 'prometheus';

export const INTERVAL_MAX_S = 3600;
export const MAX_TYPES_MAX = 1000;
export const DEFAULT_INTERVAL_S = 10;
export const DEFAULT_MAX_TYPES = 100;

export interface MonitorConfig {
    /** 0: only when a message comes in. */
    readonly intervalMs: number;
    readonly format: MonitorFormat;
    /** Event types reported by name; the rest are summed up as "other". */
    readonly maxTypes: number;
}

/**
 * Reads a monitor node's saved properties (the hub reference is the adapter's
 * to resolve). Saved flows are user data, so every field is checked; the first
 * problem is returned as a sentence that names the field and says what would be right.
 */
export function parseMonitorConfig(raw: Raw): { config: MonitorConfig } | { error: string; problem: ConfigError } {
    return settle(() => {
        let intervalS = DEFAULT_INTERVAL_S;
        if (!blank(raw.interval)) {
            const n = num(raw.interval);
            if (n === undefined || (n !== 0 && (n < 1 || n > INTERVAL_MAX_S)))
                throw new ConfigError(
                    'zero-or-range',
                    { field: 'interval', min: 1, max: INTERVAL_MAX_S },
                    `interval must be 0 (on input only) or a number of seconds from 1 to ${INTERVAL_MAX_S}`,
                );
            intervalS = n;
        }
        const format = choiceField(
            raw,
            'format',
            ['object', 'prometheus'] as const,
            'output format must be object or prometheus',
            'object',
        );
        const maxTypes = wholeField(raw, 'maxTypes', 'event types by name', 1, MAX_TYPES_MAX, DEFAULT_MAX_TYPES);
        return { intervalMs: Math.round(intervalS * 1000), format, maxTypes };
    });
}

export interface TypeCount {
    readonly type: string;
    readonly count: number;
}

export interface IntervalCounts {
    /** The most frequent types, most frequent first (ties by name), at most `maxTypes`. */
    readonly top: readonly TypeCount[];
    /** Events of every other type. */
    readonly other: number;
    /** Distinct types seen, up to the tracking bound. */
    readonly types: number;
    /** More distinct types came than were tracked: `types` is a lower bound. */
    readonly typesCapped: boolean;
    readonly total: number;
}

/**
 * Counts events per type, bounded: per interval up to `maxTypes × 10` distinct
 * types (the rest are counted as other), and since the start for the first
 * `maxTypes` types seen (the rest as other), so a flood of distinct types costs
 * bounded memory and a bounded number of Prometheus series.
 */
export class EventCounter {
    private interval = new Map<string, number>();
    private untracked = 0;
    private all = 0;
    private readonly totals = new Map<string, number>();
    private totalOther = 0;
    private readonly trackLimit: number;

    constructor(readonly maxTypes: number) {
        this.trackLimit = maxTypes * 10;
    }

    /** One event of `type`; the hub calls this on every publish, so it stays two map updates. */
    readonly count = (type: string): void => {
        this.all++;
        const n = this.interval.get(type);
        if (n !== undefined) this.interval.set(type, n + 1);
        else if (this.interval.size < this.trackLimit) this.interval.set(type, 1);
        else this.untracked++;
        const t = this.totals.get(type);
        if (t !== undefined) this.totals.set(type, t + 1);
        else if (this.totals.size < this.maxTypes) this.totals.set(type, 1);
        else this.totalOther++;
    };

    /** The counts since the last call, and a fresh interval. */
    take(): IntervalCounts {
        const entries = [...this.interval].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        let other = this.untracked;
        for (let i = this.maxTypes; i < entries.length; i++) other += entries[i][1];
        const result: IntervalCounts = {
            top: entries.slice(0, this.maxTypes).map(([type, count]) => ({ type, count })),
            other,
            types: entries.length,
            typesCapped: this.untracked > 0,
            total: this.all,
        };
        this.interval = new Map();
        this.untracked = 0;
        this.all = 0;
        return result;
    }

    /** Events per type since the counter started (the first `maxTypes` types), and the rest as other. */
    totalsSoFar(): { readonly byType: readonly TypeCount[]; readonly other: number } {
        return { byType: [...this.totals].map(([type, count]) => ({ type, count })), other: this.totalOther };
    }
}

/** What the monitor needs of a hub. */
export type MonitoredHub = Pick<EventHub, 'stats' | 'listSubscribers' | 'onPublish'>;

export interface ProcessMetrics extends ProcessSample {
    readonly uptimeS: number;
}

export interface SerialPortMetrics extends ConnectionStats {
    readonly id: string;
    readonly name: string;
    readonly path: string;
    readonly state: string;
}

export interface MonitorSources {
    readonly hub: MonitoredHub;
    readonly hubId: string;
    readonly hubName: string;
    readonly backend: 'local' | 'mqtt';
    readonly maxTypes: number;
    readonly now: () => number;
    /** Process figures; sampling resets the event-loop histogram, so each snapshot has its own. */
    readonly process: () => ProcessMetrics;
    readonly bridge?: () => BridgeStats | undefined;
    /** Figures the set's nodes registered (see metrics-registry). */
    readonly nodes?: () => readonly NodeMetrics[];
    readonly serialPorts?: () => readonly SerialPortMetrics[];
    /** A subscriber's node name from its id, when it has one. */
    readonly nameOf?: (id: string) => string | undefined;
    /** Keep the latest reading of up to this many sensors seen on the hub (none when not given). */
    readonly readings?: number;
}

export interface TypeRate extends TypeCount {
    /** Events per second over the interval. */
    readonly rate: number;
}

export interface SubscriberMetrics {
    readonly id: string;
    readonly name: string;
    readonly patterns: readonly string[];
    readonly queued: number;
    readonly pending: number;
    readonly dropped: number;
    readonly delivered: number;
}

export interface HubMetrics {
    readonly id: string;
    readonly name: string;
    readonly backend: 'local' | 'mqtt';
    readonly published: number;
    readonly delivered: number;
    readonly dropped: number;
    readonly retained: number;
    readonly subscriberCount: number;
    /** Per second over the interval. */
    readonly rates: { readonly published: number; readonly delivered: number; readonly dropped: number };
    readonly events: {
        /** Events seen per second over the interval, all types. */
        readonly rate: number;
        readonly count: number;
        readonly types: number;
        readonly typesCapped: boolean;
        readonly byType: readonly TypeRate[];
        readonly other: { readonly count: number; readonly rate: number };
        /** Since the monitor started: the first types seen by name, the rest as other. */
        readonly totals: { readonly byType: readonly TypeCount[]; readonly other: number };
    };
    readonly subscribers: readonly SubscriberMetrics[];
    readonly mqtt?: BridgeStats;
}

export interface MonitorSnapshot {
    /** ms since 1970. */
    readonly ts: number;
    /** Seconds since the previous snapshot (or the monitor's start): what the rates are over. */
    readonly intervalS: number;
    readonly hub: HubMetrics;
    readonly fleets: readonly NodeMetrics[];
    readonly sensors: readonly NodeMetrics[];
    /** Figures of light, door lock and threshold nodes: see LightMetrics, LockMetrics and ThresholdMetrics. */
    readonly lights: readonly NodeMetrics[];
    readonly doorLocks: readonly NodeMetrics[];
    readonly thresholds: readonly NodeMetrics[];
    /** Figures of device gateways: see GatewayStats. */
    readonly gateways: readonly NodeMetrics[];
    /** Figures of devices nodes: their profile and DeviceSourceStats. */
    readonly devices: readonly NodeMetrics[];
    /** Registered nodes of other types. */
    readonly nodes: readonly NodeMetrics[];
    readonly serialPorts: readonly SerialPortMetrics[];
    readonly process: ProcessMetrics;
    /** The latest reading of each sensor seen on the hub, when the collector keeps them. */
    readonly readings?: ReadingsSnapshot;
}

/** The snapshot list each node type's figures go to; other types go to `nodes`. */
const LISTS = {
    'sensorhub-fleet': 'fleets',
    'sensorhub-sensor': 'sensors',
    'sensorhub-light': 'lights',
    'sensorhub-door-lock': 'doorLocks',
    'sensorhub-threshold': 'thresholds',
    'sensorhub-gateway': 'gateways',
    'sensorhub-device': 'devices',
} as const;
type NodeLists = Pick<MonitorSnapshot, (typeof LISTS)[keyof typeof LISTS] | 'nodes'>;

function sortNodes(all: readonly NodeMetrics[]): NodeLists {
    const lists = {
        fleets: [] as NodeMetrics[],
        sensors: [] as NodeMetrics[],
        lights: [] as NodeMetrics[],
        doorLocks: [] as NodeMetrics[],
        thresholds: [] as NodeMetrics[],
        gateways: [] as NodeMetrics[],
        devices: [] as NodeMetrics[],
        nodes: [] as NodeMetrics[],
    };
    for (const n of all) lists[Object.hasOwn(LISTS, n.type) ? LISTS[n.type as keyof typeof LISTS] : 'nodes'].push(n);
    return lists;
}

const round = (v: number, digits: number): number => {
    const f = 10 ** digits;
    return Math.round(v * f) / f;
};

/**
 * Collects monitor snapshots of one hub, the set's registered nodes and the
 * process. Counting per event type starts at construction (a hub listener) and
 * stops at close(); each snapshot reports the interval since the one before.
 */
export class MonitorCollector {
    private readonly counter: EventCounter;
    private readonly stopCounting: () => void;
    private readonly readings: LatestReadings | undefined;
    private lastAt: number;
    private last: { published: number; delivered: number; dropped: number };

    constructor(private readonly src: MonitorSources) {
        this.counter = new EventCounter(src.maxTypes);
        this.readings = src.readings === undefined ? undefined : new LatestReadings(src.readings, src.now);
        const record = this.readings?.record;
        const count = this.counter.count;
        this.stopCounting = src.hub.onPublish(
            record === undefined
                ? count
                : (type, msg) => {
                      count(type);
                      record(msg);
                  },
        );
        this.lastAt = src.now();
        const s = src.hub.stats();
        this.last = { published: s.published, delivered: s.delivered, dropped: s.dropped };
    }

    snapshot(): MonitorSnapshot {
        const src = this.src;
        const now = src.now();
        const seconds = Math.max(0, now - this.lastAt) / 1000;
        const perSecond = (n: number): number => (seconds > 0 ? round(n / seconds, 2) : 0);
        const stats = src.hub.stats();
        const counts = this.counter.take();
        const rates = {
            published: perSecond(stats.published - this.last.published),
            delivered: perSecond(stats.delivered - this.last.delivered),
            dropped: perSecond(Math.max(0, stats.dropped - this.last.dropped)),
        };
        this.lastAt = now;
        this.last = { published: stats.published, delivered: stats.delivered, dropped: stats.dropped };

        const subscribers = src.hub.listSubscribers().map((s): SubscriberMetrics => ({
            id: s.name,
            name: src.nameOf?.(s.name) ?? '',
            patterns: s.patterns,
            queued: s.queued,
            pending: s.pending,
            dropped: s.dropped,
            delivered: s.delivered,
        }));
        const mqtt = src.bridge?.();
        const hub: HubMetrics = {
            id: src.hubId,
            name: src.hubName,
            backend: src.backend,
            published: stats.published,
            delivered: stats.delivered,
            dropped: stats.dropped,
            retained: stats.retained,
            subscriberCount: stats.subscribers,
            rates,
            events: {
                rate: perSecond(counts.total),
                count: counts.total,
                types: counts.types,
                typesCapped: counts.typesCapped,
                byType: counts.top.map((t) => ({ ...t, rate: perSecond(t.count) })),
                other: { count: counts.other, rate: perSecond(counts.other) },
                totals: this.counter.totalsSoFar(),
            },
            subscribers,
            ...(mqtt ? { mqtt } : {}),
        };

        const byKind = sortNodes(src.nodes?.() ?? []);
        return {
            ts: now,
            intervalS: round(seconds, 3),
            hub,
            ...byKind,
            serialPorts: src.serialPorts?.() ?? [],
            process: src.process(),
            ...(this.readings ? { readings: this.readings.snapshot() } : {}),
        };
    }

    close(): void {
        this.stopCounting();
    }
}

/** An events-per-second figure for a status: one decimal below 10, whole above. */
export function formatRate(rate: number): string {
    return rate < 10 ? String(Math.round(rate * 10) / 10) : String(Math.round(rate));
}

/** The figures a monitor's status shows: `12 types · 340 ev/s · 0 dropped`. */
export function statusFigures(s: MonitorSnapshot): { types: string; rate: string; dropped: number } {
    return {
        types: s.hub.events.typesCapped ? `${s.hub.events.types}+` : String(s.hub.events.types),
        rate: formatRate(s.hub.events.rate),
        dropped: s.hub.dropped,
    };
}

export { prometheusFamilies, FAMILY_TABLES, type FamilyTable, type Figure } from './families';
