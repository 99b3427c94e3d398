import type { Clock } from '../shared/clock';
import type { NodeMetrics } from '../shared/metrics-registry';
import { LIGHT_MODES, type LightReason } from '../light/light';
import { LOCK_STATES } from '../door-lock/door-lock';
import { MonitorCollector, type HubMetrics, type MonitoredHub, type ProcessMetrics } from '../monitor/monitor';
import type { EventHub } from '../hub/hub';
import type { TypeTotalsSnapshot } from '../hub/type-totals';
import type { DeviceListing, DeviceSourceStats, DiscoveredEntity } from '../devices/source';

export const SIDEBAR_PERIOD_MS = 1000;
/** An editor that stops renewing its watch (closed tab, lost connection) stops costing anything after this. */
export const SIDEBAR_LEASE_MS = 10_000;
/** Event types a sidebar lists by name per hub; the rest are summed as other. */
export const SIDEBAR_MAX_TYPES = 50;
/** Found devices, and discovered entities, a sidebar lists per devices node; the rest are only counted. */
export const SIDEBAR_MAX_DEVICES = 50;
/** Sensors a sidebar lists per found device (a generic pattern may give one device very many). */
export const SIDEBAR_MAX_DEVICE_SENSORS = 20;
/** Editors watching at once that the feed keeps apart; beyond this the longest-silent one is forgotten. */
export const SIDEBAR_MAX_WATCHERS = 100;

/** A hub the sidebar shows. */
export interface SidebarHubSource {
    readonly id: string;
    readonly name: string;
    readonly backend: 'local' | 'mqtt';
    readonly hub: MonitoredHub & Pick<EventHub, 'typeTotals'>;
}

export interface SidebarType {
    readonly type: string;
    /** Events over the last period (the first one starts when watching starts). */
    readonly count: number;
    /** Events per second over the last period. */
    readonly rate: number;
    /** Events since the hub started, whether or not anyone watched. */
    readonly total: number;
    /** ms since this type's last event, undefined when not seen since watching started. */
    readonly ageMs: number | undefined;
    /** The last event's payload, shortened (see summariseEvent); undefined when it had none or was not seen. */
    readonly value: string | undefined;
}

export interface SidebarHub {
    readonly id: string;
    readonly name: string;
    readonly backend: 'local' | 'mqtt';
    readonly rate: number;
    readonly dropped: number;
    readonly types: readonly SidebarType[];
    readonly other: { readonly count: number; readonly rate: number; readonly total: number };
    readonly subscribers: HubMetrics['subscribers'];
}

/** A node as the sidebar lists it: small, whatever the node's figures hold. */
export interface SidebarNode {
    readonly id: string;
    readonly name: string;
    /** undefined: no figures yet (no read or cycle). `alarm`: a threshold's alarm, a lock's lockout. */
    readonly health: 'ok' | 'failed' | 'alarm' | undefined;
    /** A sensor's last read, a fleet's last cycle. */
    readonly latencyMs?: number;
    /** A sensor's last value, shortened. */
    readonly value?: string;
    /** A fleet's last cycle: reads ok and failed. */
    readonly ok?: number;
    readonly failed?: number;
    /** ms since the last read or cycle started, since a light's last change. */
    readonly ageMs?: number;
    readonly error?: string;
    /** A light's `on`/`off`, a lock's state. */
    readonly state?: string;
    /** A light's. */
    readonly brightness?: number;
    readonly mode?: string;
    /** Why a light last changed. */
    readonly reason?: LightReason;
    /** A lock's counts. */
    readonly alerts?: number;
    readonly wrongCodes?: number;
    readonly lockouts?: number;
    readonly jams?: number;
    /** A threshold's sensors tracked, alarms raised now (stale ones included) and stale alarms. */
    readonly sensors?: number;
    readonly alarms?: number;
    readonly stale?: number;
}

/** A running devices node, as the sidebar reads it: what it has found so far. */
export interface SidebarDeviceSource {
    readonly id: string;
    readonly name: string;
    readonly profile: string;
    readonly source: {
        listing(max: number): readonly DeviceListing[];
        discovered(max: number): readonly DiscoveredEntity[];
        readonly discoveredCount: number;
        stats(): DeviceSourceStats;
    };
}

export interface SidebarFoundSensor {
    readonly id: string;
    readonly kind: string;
    readonly unit: string;
    readonly status: string;
    /** The last value with its unit (`21.5 °C`); undefined while it has none (failed, offline). */
    readonly value?: string;
    readonly ageMs: number;
}

export interface SidebarFoundDevice {
    readonly id: string;
    /** The topic its readings come on: what a user copies. */
    readonly topic: string;
    /** null: no availability seen. */
    readonly online: boolean | null;
    readonly ageMs: number;
    readonly sensors: readonly SidebarFoundSensor[];
}

/** A devices node's row: its counts, the devices it found and (Home Assistant, ESPHome) the entities discovered. */
export interface SidebarDeviceNode {
    readonly id: string;
    readonly name: string;
    readonly profile: string;
    /** failed: some payloads did not parse. */
    readonly health: 'ok' | 'failed' | undefined;
    readonly devices: number;
    readonly online: number;
    readonly offline: number;
    /** Payloads that did not parse, by code (`device.not-json`…). */
    readonly problems: number;
    readonly problemsByCode: Readonly<Record<string, number>>;
    readonly found: readonly SidebarFoundDevice[];
    readonly entities: readonly DiscoveredEntity[];
    readonly entitiesTotal: number;
}

/** What a devices node has found, bounded, as the sidebar shows it. */
export function deviceNodeRow(d: SidebarDeviceSource, now: number): SidebarDeviceNode {
    const stats = d.source.stats();
    const found = d.source.listing(SIDEBAR_MAX_DEVICES).map((dev): SidebarFoundDevice => ({
        id: dev.id,
        topic: dev.topic,
        online: dev.online,
        ageMs: Math.max(0, now - dev.lastSeen),
        sensors: dev.sensors.slice(0, SIDEBAR_MAX_DEVICE_SENSORS).map((s) => ({
            id: s.id,
            kind: s.kind,
            unit: s.unit,
            status: s.status,
            value: s.value === null ? undefined : summariseEvent(s.value, s),
            ageMs: Math.max(0, now - s.ts),
        })),
    }));
    return {
        id: d.id,
        name: d.name,
        profile: d.profile,
        health: stats.messages === 0 ? undefined : stats.problems > 0 ? 'failed' : 'ok',
        devices: stats.devices,
        online: stats.online,
        offline: stats.offline,
        problems: stats.problems,
        problemsByCode: stats.problemsByCode,
        found,
        entities: d.source.discovered(SIDEBAR_MAX_DEVICES),
        entitiesTotal: d.source.discoveredCount,
    };
}

export interface SidebarSnapshot {
    readonly ts: number;
    readonly hubs: readonly SidebarHub[];
    readonly sensors: readonly SidebarNode[];
    readonly fleets: readonly SidebarNode[];
    readonly lights: readonly SidebarNode[];
    readonly doorLocks: readonly SidebarNode[];
    readonly thresholds: readonly SidebarNode[];
    readonly devices: readonly SidebarDeviceNode[];
}

/** Longest value text a sidebar row gets: a sensor's value may be any object. */
export const VALUE_MAX_CHARS = 40;

/**
 * JSON.stringify's text of `value`, but only up to a little beyond `max`
 * characters: building stops there, so a payload of ten thousand readings
 * costs no more than one. Like JSON.stringify it gives undefined for a
 * function or symbol and throws on a cycle or a BigInt met before the end.
 */
export function jsonPrefix(value: unknown, max: number): string | undefined {
    let text = '';
    /** Long enough: every loop below ends as soon as this is set. */
    let enough = false;
    const open: object[] = [];
    const emit = (s: string): void => {
        text += s;
        enough = text.length > max;
    };
    const resolve = (v: unknown, key: string): unknown => {
        if (v !== null && typeof v === 'object') {
            const toJSON = (v as { toJSON?: unknown }).toJSON;
            if (typeof toJSON === 'function') v = (toJSON as (key: string) => unknown).call(v, key);
        }
        if (v instanceof Number) return Number(v);
        if (v instanceof String) return String(v);
        if (v instanceof Boolean) return v.valueOf();
        return v;
    };
    const absent = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol';
    const write = (v: unknown): void => {
        if (v === null) emit('null');
        // The text needs max characters at most, and escaping only lengthens it; the one more keeps a surrogate
        // pair cut at the end beyond them.
        else if (typeof v === 'string') emit(JSON.stringify(v.length > max ? v.slice(0, max + 1) : v));
        else if (typeof v === 'number') emit(Number.isFinite(v) ? String(v) : 'null');
        else if (typeof v === 'boolean') emit(String(v));
        else if (typeof v === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
        else if (typeof v === 'object') {
            if (open.includes(v)) throw new TypeError('Converting circular structure to JSON');
            open.push(v);
            if (Array.isArray(v)) {
                emit('[');
                for (let i = 0; i < v.length && !enough; i++) {
                    if (i > 0) emit(',');
                    const item = resolve(v[i], String(i));
                    if (absent(item)) emit('null');
                    else write(item);
                }
                emit(']');
            } else {
                emit('{');
                let first = true;
                for (const key of Object.keys(v)) {
                    if (enough) break;
                    const item = resolve((v as Record<string, unknown>)[key], key);
                    if (absent(item)) continue;
                    emit(`${first ? '' : ','}${JSON.stringify(key)}:`);
                    first = false;
                    write(item);
                }
                emit('}');
            }
            open.pop();
        }
    };
    const top = resolve(value, '');
    if (absent(top)) return undefined;
    write(top);
    return text;
}

/** At most VALUE_MAX_CHARS characters, an ellipsis ending a shortened text, never half a surrogate pair. */
function clip(text: string): string {
    if (text.length <= VALUE_MAX_CHARS) return text;
    let end = VALUE_MAX_CHARS - 1;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
    return `${text.slice(0, end)}…`;
}

/** A value as one short line: a string as it is, anything else as (the start of) its JSON. */
export function summariseValue(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) text = String(value);
    else {
        try {
            // Functions and symbols have no JSON.
            text = jsonPrefix(value, VALUE_MAX_CHARS) ?? typeof value;
        } catch {
            // Cycles, BigInts: a name is better than nothing.
            text = Object.prototype.toString.call(value);
        }
    }
    return clip(text);
}

const unitOf = (o: unknown): string | undefined => {
    if (o === null || typeof o !== 'object') return undefined;
    const unit = (o as Record<string, unknown>).unit;
    return typeof unit === 'string' && unit !== '' ? unit : undefined;
};

/**
 * An event's payload as one short line: a number with its unit (`21.4 °C`)
 * for a reading (the unit from `msg.sensor`) or a payload `{value, unit}`,
 * else as summariseValue gives it.
 */
export function summariseEvent(payload: unknown, sensor?: unknown): string | undefined {
    try {
        if (typeof payload === 'number') {
            const unit = unitOf(sensor);
            if (unit !== undefined) return clip(`${payload} ${unit}`);
        } else if (payload !== null && typeof payload === 'object') {
            const value = (payload as Record<string, unknown>).value;
            const unit = unitOf(payload);
            if (typeof value === 'number' && unit !== undefined) return clip(`${value} ${unit}`);
        }
        return summariseValue(payload);
    } catch {
        // A getter that throws: the payload is someone else's object, and the sidebar only shows it.
        return undefined;
    }
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

/** A text field that must be one of `values`: the editor turns it into a message key. */
const oneOf = <T extends string>(o: Record<string, unknown>, key: string, values: readonly T[]): T | undefined => {
    const v = o[key];
    return typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : undefined;
};

const LIGHT_STATES = ['on', 'off'] as const;
const LIGHT_REASONS: readonly LightReason[] = ['motion', 'timeout', 'manual'];

/** A light's figures as a sidebar row: its state, brightness and mode, and its last change. */
export function lightRow(n: NodeMetrics, now: number): SidebarNode {
    const m = (n.metrics ?? {}) as Record<string, unknown>;
    const state = oneOf(m, 'state', LIGHT_STATES);
    const changedAt = numAt(m, 'lastChangeTs');
    return {
        id: n.id,
        name: n.name,
        health: state === undefined ? undefined : 'ok',
        state,
        brightness: numAt(m, 'brightness'),
        mode: oneOf(m, 'mode', LIGHT_MODES),
        reason: oneOf(m, 'lastReason', LIGHT_REASONS),
        ageMs: changedAt === undefined ? undefined : Math.max(0, now - changedAt),
        ...(n.error !== undefined ? { error: n.error } : {}),
    };
}

/** A door lock's figures as a sidebar row: failed while jammed, an alarm while locked out. */
export function doorLockRow(n: NodeMetrics): SidebarNode {
    const m = (n.metrics ?? {}) as Record<string, unknown>;
    const state = oneOf(m, 'state', LOCK_STATES);
    return {
        id: n.id,
        name: n.name,
        health: state === undefined ? undefined : state === 'jammed' ? 'failed' : m.lockedOut === true ? 'alarm' : 'ok',
        state,
        alerts: numAt(m, 'alertsRaised'),
        wrongCodes: numAt(m, 'wrongCodes'),
        lockouts: numAt(m, 'lockouts'),
        jams: numAt(m, 'jams'),
        ...(n.error !== undefined ? { error: n.error } : {}),
    };
}

/** A threshold node's figures as a sidebar row: an alarm while any of its alarms is raised. */
export function thresholdRow(n: NodeMetrics): SidebarNode {
    const m = (n.metrics ?? {}) as Record<string, unknown>;
    const sensors = numAt(m, 'sensors');
    const alarms = numAt(m, 'alarmsActive');
    return {
        id: n.id,
        name: n.name,
        health: alarms === undefined ? undefined : alarms > 0 ? 'alarm' : 'ok',
        sensors,
        alarms,
        stale: numAt(m, 'staleActive'),
        ...(n.error !== undefined ? { error: n.error } : {}),
    };
}

export interface SidebarFeedOptions {
    /** The hubs deployed now; asked every period, so redeploys show up without restarting the feed. */
    readonly hubs: () => readonly SidebarHubSource[];
    readonly nodes: () => readonly NodeMetrics[];
    /** The devices nodes running now, asked every period like the hubs. */
    readonly devices?: () => readonly SidebarDeviceSource[];
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

/** What the feed keeps of a type's last event: references only, read when a snapshot is built. */
interface LastEvent {
    at: number;
    payload: unknown;
    sensor: unknown;
}

interface Watched {
    readonly hub: MonitoredHub;
    readonly collector: MonitorCollector;
    /** Each type's last event, bounded like the counter's totals; one slot per type, reused. */
    readonly lastSeen: Map<string, LastEvent>;
    readonly stopSeen: () => void;
    source: SidebarHubSource;
    /** The hub's totals at the last snapshot (at first, when watching started): the rates are the difference. */
    totalsBefore: TypeTotalsSnapshot;
    totalsAt: number;
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
            const lastSeen = new Map<string, LastEvent>();
            const clock = this.opts.clock;
            const max = this.maxTypes;
            // Per event: a lookup and three references stored. Nothing is formatted here, and nothing copied.
            const stopSeen = source.hub.onPublish((type, msg) => {
                const last = lastSeen.get(type);
                if (last !== undefined) {
                    last.at = clock.now();
                    last.payload = msg.payload;
                    last.sensor = msg.sensor;
                } else if (lastSeen.size < max) {
                    lastSeen.set(type, { at: clock.now(), payload: msg.payload, sensor: msg.sensor });
                }
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
            this.watched.set(id, {
                hub: source.hub,
                collector,
                lastSeen,
                stopSeen,
                source,
                totalsBefore: source.hub.typeTotals(),
                totalsAt: clock.now(),
            });
        }
        return [...this.watched.values()];
    }

    private release(w: Watched): void {
        w.collector.close();
        w.stopSeen();
    }

    /**
     * The types with the most events since the hub started, by name, and the rest as other: totals from the
     * hub (kept whether or not anyone watches), rates from the change in them since the last snapshot.
     */
    private typeRows(w: Watched, now: number): Pick<SidebarHub, 'types' | 'other'> {
        const totals = w.source.hub.typeTotals();
        const before = w.totalsBefore;
        const seconds = Math.max(0, now - w.totalsAt) / 1000;
        const perSecond = (n: number): number => (seconds > 0 ? Math.round((n / seconds) * 100) / 100 : 0);
        const since = (type: string, total: number): number => Math.max(0, total - (before.byType.get(type) ?? 0));
        const ranked = [...totals.byType].sort((a, b) => b[1] - a[1] || byName(a[0], b[0]));
        let otherCount = Math.max(0, totals.other - before.other);
        let otherTotal = totals.other;
        for (const [type, total] of ranked.slice(this.maxTypes)) {
            otherCount += since(type, total);
            otherTotal += total;
        }
        const types = ranked
            .slice(0, this.maxTypes)
            .map(([type, total]): SidebarType => {
                const count = since(type, total);
                const seen = w.lastSeen.get(type);
                return {
                    type,
                    count,
                    rate: perSecond(count),
                    total,
                    ageMs: seen === undefined ? undefined : Math.max(0, now - seen.at),
                    value: seen === undefined ? undefined : summariseEvent(seen.payload, seen.sensor),
                };
            })
            .sort((a, b) => byName(a.type, b.type));
        w.totalsBefore = totals;
        w.totalsAt = now;
        return { types, other: { count: otherCount, rate: perSecond(otherCount), total: otherTotal } };
    }

    private snapshot(): SidebarSnapshot {
        const now = this.opts.clock.now();
        const hubs = this.sync().map((w): SidebarHub => {
            const s = w.collector.snapshot().hub;
            const { types, other } = this.typeRows(w, now);
            return {
                id: w.source.id,
                name: w.source.name,
                backend: w.source.backend,
                rate: s.events.rate,
                dropped: s.dropped,
                types,
                other,
                subscribers: s.subscribers,
            };
        });
        const nodes = this.opts.nodes();
        return {
            ts: now,
            hubs,
            sensors: nodes.filter((n) => n.type === 'sensorhub-sensor').map((n) => sensorRow(n, now)),
            fleets: nodes.filter((n) => n.type === 'sensorhub-fleet').map((n) => fleetRow(n, now)),
            lights: nodes.filter((n) => n.type === 'sensorhub-light').map((n) => lightRow(n, now)),
            doorLocks: nodes.filter((n) => n.type === 'sensorhub-door-lock').map(doorLockRow),
            thresholds: nodes.filter((n) => n.type === 'sensorhub-threshold').map(thresholdRow),
            devices: (this.opts.devices?.() ?? []).map((d) => deviceNodeRow(d, now)),
        };
    }
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
