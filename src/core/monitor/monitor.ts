import type { BridgeStats } from '../hub/mqtt-bridge';
import type { EventHub } from '../hub/hub';
import type { ConnectionStats } from '../serial/connection';
import type { NodeMetrics } from '../shared/metrics-registry';
import type { ProcessSample } from '../fleet/fleet';
import { ConfigError, blank, choiceField, num, settle, wholeField, type Raw } from '../shared/config-fields';
import type { MetricFamily, Sample } from './prometheus';
import { LIGHT_MODES } from '../light/light';
import { LOCK_STATES } from '../door-lock/door-lock';
import { REFUSAL_REASONS } from '../gateway/protocol';

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
    /** Registered nodes of other types. */
    readonly nodes: readonly NodeMetrics[];
    readonly serialPorts: readonly SerialPortMetrics[];
    readonly process: ProcessMetrics;
}

/** The snapshot list each node type's figures go to; other types go to `nodes`. */
const LISTS = {
    'sensorhub-fleet': 'fleets',
    'sensorhub-sensor': 'sensors',
    'sensorhub-light': 'lights',
    'sensorhub-door-lock': 'doorLocks',
    'sensorhub-threshold': 'thresholds',
    'sensorhub-gateway': 'gateways',
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
    private lastAt: number;
    private last: { published: number; delivered: number; dropped: number };

    constructor(private readonly src: MonitorSources) {
        this.counter = new EventCounter(src.maxTypes);
        this.stopCounting = src.hub.onPublish(this.counter.count);
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

const MIB = 1024 * 1024;

/** A number field of a provider's object, if it is one. */
function numberAt(o: unknown, ...path: string[]): number | undefined {
    let v: unknown = o;
    for (const k of path) {
        if (v === null || typeof v !== 'object') return undefined;
        v = (v as Record<string, unknown>)[k];
    }
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A string field of a provider's object, if it is one. */
function stringAt(o: unknown, key: string): string | undefined {
    if (o === null || typeof o !== 'object') return undefined;
    const v = (o as Record<string, unknown>)[key];
    return typeof v === 'string' ? v : undefined;
}

type Labels = Record<string, string>;

/** A gateway's figures as metric families: name, type, help, and its field of GatewayStats. */
const GATEWAY_FIGURES = [
    ['sensorhub_gateway_connections', 'gauge', 'Open connections of a gateway, authenticated or not.', 'connections'],
    ['sensorhub_gateway_pending', 'gauge', 'Connections of a gateway still waiting for their hello.', 'pending'],
    ['sensorhub_gateway_devices_online', 'gauge', 'Devices connected to a gateway.', 'devicesOnline'],
    ['sensorhub_gateway_readings_total', 'counter', 'Readings a gateway received.', 'readings'],
    ['sensorhub_gateway_commands_total', 'counter', 'Commands a gateway sent to devices.', 'commands'],
    [
        'sensorhub_gateway_auth_checks_total',
        'counter',
        'Hellos whose token a gateway compared (throttled and malformed ones are refused before).',
        'authChecks',
    ],
    [
        'sensorhub_gateway_throttled_addresses',
        'gauge',
        'Addresses whose hellos a gateway refuses for now after failed ones.',
        'throttledAddresses',
    ],
    [
        'sensorhub_gateway_throttled_devices',
        'gauge',
        'Device ids whose hellos a gateway refuses for now after failed ones.',
        'throttledDevices',
    ],
] as const;

function gatewayFamilies(f: Families, gateways: readonly NodeMetrics[]): void {
    for (const g of gateways) {
        const labels = { gateway: g.id, name: g.name };
        const m = g.metrics;
        for (const [name, type, help, key] of GATEWAY_FIGURES) f.add(name, type, help, labels, numberAt(m, key));
        if (m === null) continue;
        for (const reason of REFUSAL_REASONS)
            f.add(
                'sensorhub_gateway_refusals_total',
                'counter',
                'Refusals of a gateway by reason (a message, a hello or a connection).',
                { ...labels, reason },
                numberAt(m, 'refused', reason) ?? 0,
            );
    }
}

/** Builds families, dropping samples whose value a provider did not give. */
class Families {
    readonly list: MetricFamily[] = [];
    private readonly byName = new Map<string, Sample[]>();

    add(name: string, type: 'counter' | 'gauge', help: string, labels: Labels, value: number | undefined): void {
        if (value === undefined) return;
        let samples = this.byName.get(name);
        if (samples === undefined) {
            samples = [];
            this.byName.set(name, samples);
            this.list.push({ name, type, help, samples });
        }
        samples.push({ labels, value });
    }
}

/**
 * A snapshot as Prometheus metric families: counters for totals, gauges for
 * levels, in base units (seconds, bytes). Per-interval rates are left out:
 * Prometheus derives them from the counters with rate().
 */
export function prometheusFamilies(s: MonitorSnapshot): MetricFamily[] {
    const f = new Families();
    const hub = { hub: s.hub.name || s.hub.id };
    const h = s.hub;
    for (const t of h.events.totals.byType)
        f.add(
            'sensorhub_events_total',
            'counter',
            'Events published on the hub since the monitor started, by type.',
            { ...hub, type: t.type },
            t.count,
        );
    f.add(
        'sensorhub_events_other_total',
        'counter',
        'Events of types beyond the monitor\'s "event types by name" bound since it started.',
        hub,
        h.events.totals.other,
    );
    f.add('sensorhub_hub_published_total', 'counter', 'Events published on the hub.', hub, h.published);
    f.add('sensorhub_hub_delivered_total', 'counter', 'Deliveries of events to subscribers.', hub, h.delivered);
    f.add('sensorhub_hub_dropped_total', 'counter', 'Events dropped by full subscriber queues.', hub, h.dropped);
    f.add('sensorhub_hub_retained', 'gauge', 'Event types with a retained event.', hub, h.retained);
    f.add('sensorhub_hub_subscribers', 'gauge', 'Subscribers of the hub.', hub, h.subscriberCount);
    for (const sub of h.subscribers) {
        const labels = { ...hub, subscriber: sub.id, name: sub.name, patterns: sub.patterns.join(',') };
        f.add('sensorhub_subscriber_queued', 'gauge', "Events waiting in a subscriber's queue.", labels, sub.queued);
        f.add(
            'sensorhub_subscriber_pending',
            'gauge',
            'Deliveries to a subscriber not yet finished downstream.',
            labels,
            sub.pending,
        );
        f.add(
            'sensorhub_subscriber_dropped_total',
            'counter',
            "Events a subscriber's full queue dropped.",
            labels,
            sub.dropped,
        );
        f.add(
            'sensorhub_subscriber_delivered_total',
            'counter',
            'Events delivered to a subscriber.',
            labels,
            sub.delivered,
        );
    }
    if (h.mqtt) {
        const m = h.mqtt;
        f.add('sensorhub_mqtt_sent_total', 'counter', 'Events sent to the MQTT broker.', hub, m.sent);
        f.add('sensorhub_mqtt_received_total', 'counter', 'Events received from the MQTT broker.', hub, m.received);
        f.add('sensorhub_mqtt_buffered', 'gauge', 'Events buffered while the broker is unreachable.', hub, m.buffered);
        f.add(
            'sensorhub_mqtt_buffer_dropped_total',
            'counter',
            'Events dropped by the full offline buffer.',
            hub,
            m.bufferDropped,
        );
        f.add('sensorhub_mqtt_reconnects_total', 'counter', 'Reconnections to the MQTT broker.', hub, m.reconnects);
    }
    for (const fleet of s.fleets) {
        const labels = { fleet: fleet.id, name: fleet.name };
        const m = fleet.metrics;
        const ms = (v: number | undefined): number | undefined => (v === undefined ? undefined : v / 1000);
        f.add('sensorhub_fleet_cycles_total', 'counter', 'Read cycles a fleet finished.', labels, numberAt(m, 'cycle'));
        f.add(
            'sensorhub_fleet_cycle_duration_seconds',
            'gauge',
            "Duration of a fleet's last read cycle.",
            labels,
            ms(numberAt(m, 'durationMs')),
        );
        f.add(
            'sensorhub_fleet_sensors',
            'gauge',
            'Sensors of a fleet in its last cycle.',
            labels,
            numberAt(m, 'sensors'),
        );
        f.add(
            'sensorhub_fleet_reads_ok',
            'gauge',
            "Reads that succeeded in a fleet's last cycle.",
            labels,
            numberAt(m, 'ok'),
        );
        f.add(
            'sensorhub_fleet_reads_failed',
            'gauge',
            "Reads that failed (error, offline, timeout) in a fleet's last cycle.",
            labels,
            numberAt(m, 'failed'),
        );
        f.add(
            'sensorhub_fleet_quarantined',
            'gauge',
            'Sensors a fleet left out of its last cycle (circuit breaker open).',
            labels,
            numberAt(m, 'quarantined'),
        );
        for (const [q, key] of [
            ['0.5', 'p50'],
            ['0.95', 'p95'],
        ] as const)
            f.add(
                'sensorhub_fleet_read_latency_seconds',
                'gauge',
                "Read latency percentiles of a fleet's last cycle.",
                { ...labels, quantile: q },
                ms(numberAt(m, 'latencyMs', key)),
            );
    }
    for (const sensor of s.sensors) {
        const labels = { sensor: sensor.id, name: sensor.name };
        const m = sensor.metrics as Record<string, unknown> | null;
        const latency = numberAt(m, 'latencyMs');
        f.add(
            'sensorhub_sensor_read_latency_seconds',
            'gauge',
            "Latency of a sensor's last read.",
            labels,
            latency === undefined ? undefined : latency / 1000,
        );
        const status = m?.status;
        f.add(
            'sensorhub_sensor_ok',
            'gauge',
            "Whether a sensor's last read succeeded (1) or failed (0).",
            labels,
            typeof status === 'string' ? Number(status === 'ok') : undefined,
        );
    }
    for (const light of s.lights) {
        const labels = { light: light.id, name: light.name };
        const m = light.metrics;
        const state = stringAt(m, 'state');
        f.add(
            'sensorhub_light_on',
            'gauge',
            'Whether a light is on (1) or off (0).',
            labels,
            state === undefined ? undefined : Number(state === 'on'),
        );
        f.add(
            'sensorhub_light_brightness',
            'gauge',
            "A light's brightness, 0 to 100.",
            labels,
            numberAt(m, 'brightness'),
        );
        const mode = stringAt(m, 'mode');
        // An enumeration the way Prometheus wants it: a series per value, 1 for the current one.
        if (mode !== undefined)
            for (const each of LIGHT_MODES)
                f.add(
                    'sensorhub_light_mode',
                    'gauge',
                    "A light's mode (auto, manual, override): 1 for the current one.",
                    { ...labels, mode: each },
                    Number(mode === each),
                );
        f.add(
            'sensorhub_light_events_handled_total',
            'counter',
            'Motion, light-level and command inputs a light handled.',
            labels,
            numberAt(m, 'eventsHandled'),
        );
        f.add(
            'sensorhub_light_commands_sent_total',
            'counter',
            'Commands a light sent (changes of its state or brightness).',
            labels,
            numberAt(m, 'commandsSent'),
        );
        const changedAt = numberAt(m, 'lastChangeTs');
        f.add(
            'sensorhub_light_last_change_timestamp_seconds',
            'gauge',
            "When a light's last command went out, with its reason (motion, timeout, manual).",
            { ...labels, reason: stringAt(m, 'lastReason') ?? '' },
            changedAt === undefined ? undefined : changedAt / 1000,
        );
    }
    for (const lock of s.doorLocks) {
        const labels = { lock: lock.id, name: lock.name };
        const m = lock.metrics;
        const state = stringAt(m, 'state');
        if (state !== undefined)
            for (const each of LOCK_STATES)
                f.add(
                    'sensorhub_door_lock_state',
                    'gauge',
                    "A door lock's state (locked, unlocked, locking, unlocking, jammed): 1 for the current one.",
                    { ...labels, state: each },
                    Number(state === each),
                );
        const lockedOut = (m as Record<string, unknown> | null)?.lockedOut;
        f.add(
            'sensorhub_door_lock_locked_out',
            'gauge',
            'Whether a door lock refuses unlocking after too many wrong codes (1) or not (0).',
            labels,
            typeof lockedOut === 'boolean' ? Number(lockedOut) : undefined,
        );
        f.add(
            'sensorhub_door_lock_alerts_total',
            'counter',
            'Alerts a door lock raised, repeats not counted.',
            labels,
            numberAt(m, 'alertsRaised'),
        );
        f.add(
            'sensorhub_door_lock_wrong_codes_total',
            'counter',
            'Unlock attempts with a wrong code.',
            labels,
            numberAt(m, 'wrongCodes'),
        );
        f.add(
            'sensorhub_door_lock_lockouts_total',
            'counter',
            'Lockouts after too many wrong codes.',
            labels,
            numberAt(m, 'lockouts'),
        );
        f.add(
            'sensorhub_door_lock_jams_total',
            'counter',
            'Times a door lock became jammed.',
            labels,
            numberAt(m, 'jams'),
        );
        f.add(
            'sensorhub_door_lock_refused_messages_total',
            'counter',
            'Messages a door lock could not read; each locks an open lock.',
            labels,
            numberAt(m, 'refusedMessages'),
        );
    }
    for (const threshold of s.thresholds) {
        const labels = { threshold: threshold.id, name: threshold.name };
        const m = threshold.metrics;
        f.add(
            'sensorhub_threshold_sensors',
            'gauge',
            'Sensors a threshold node tracks.',
            labels,
            numberAt(m, 'sensors'),
        );
        f.add(
            'sensorhub_threshold_alarms_active',
            'gauge',
            'Alarms raised now (high, low and stale, per sensor).',
            labels,
            numberAt(m, 'alarmsActive'),
        );
        f.add(
            'sensorhub_threshold_stale_alarms_active',
            'gauge',
            'Stale-data alarms raised now.',
            labels,
            numberAt(m, 'staleActive'),
        );
        f.add(
            'sensorhub_threshold_alarms_raised_total',
            'counter',
            'Alarms a threshold node raised, repeats not counted.',
            labels,
            numberAt(m, 'alarmsRaised'),
        );
        f.add(
            'sensorhub_threshold_alarms_cleared_total',
            'counter',
            'Alarms a threshold node cleared.',
            labels,
            numberAt(m, 'alarmsCleared'),
        );
    }
    gatewayFamilies(f, s.gateways);
    for (const p of s.serialPorts) {
        const labels = { port: p.path, name: p.name };
        f.add(
            'sensorhub_serial_open',
            'gauge',
            'Whether a serial port is open (1) or not (0).',
            labels,
            Number(p.state === 'open'),
        );
        f.add('sensorhub_serial_lines_total', 'counter', 'Lines received on a serial port.', labels, p.lines);
        f.add('sensorhub_serial_requests_total', 'counter', 'Requests written to a serial port.', labels, p.requests);
        f.add(
            'sensorhub_serial_requests_timed_out_total',
            'counter',
            'Serial requests not answered in time.',
            labels,
            p.requestsTimedOut,
        );
        f.add('sensorhub_serial_reconnects_total', 'counter', 'Reopenings of a serial port.', labels, p.reconnects);
        f.add('sensorhub_serial_queued', 'gauge', 'Serial requests waiting or in progress.', labels, p.queued);
    }
    const pr = s.process;
    for (const [q, v] of [
        ['0.5', pr.eventLoopDelayMs.p50],
        ['0.99', pr.eventLoopDelayMs.p99],
    ] as const)
        f.add(
            'sensorhub_event_loop_delay_seconds',
            'gauge',
            'Event-loop delay percentiles since the last scrape.',
            { quantile: q },
            v / 1000,
        );
    f.add(
        'sensorhub_event_loop_delay_max_seconds',
        'gauge',
        'Largest event-loop delay since the last scrape.',
        {},
        pr.eventLoopDelayMs.max / 1000,
    );
    f.add('sensorhub_process_heap_used_bytes', 'gauge', 'V8 heap in use.', {}, Math.round(pr.heapUsedMiB * MIB));
    f.add(
        'sensorhub_process_resident_memory_bytes',
        'gauge',
        'Resident set size of the process.',
        {},
        Math.round(pr.rssMiB * MIB),
    );
    f.add('sensorhub_process_uptime_seconds', 'gauge', 'Seconds since the process started.', {}, pr.uptimeS);
    return f.list;
}
