/**
 * The monitor's snapshot as Prometheus metric families: one table per feature
 * (which items it has, their labels, and one row per metric), written by one
 * short loop. Counters for totals, gauges for levels, summaries for
 * quantiles, in base units (seconds, bytes). Per-interval rates are left out:
 * Prometheus derives them from the counters with rate().
 */

import type { NodeMetrics } from '../shared/metrics-registry';
import type { MetricFamily, MetricType, Sample } from './prometheus';
import type { MonitorSnapshot, SerialPortMetrics, SubscriberMetrics } from './monitor';
import type { BridgeStats } from '../hub/mqtt-bridge';
import type { LatestReading, ReadingsSnapshot } from './readings';
import { LIGHT_MODES } from '../light/light';
import { LOCK_STATES } from '../door-lock/door-lock';
import { REFUSAL_REASONS } from '../gateway/protocol';
import { PARSE_PROBLEM_CODES } from '../devices/types';

type Labels = Readonly<Record<string, string>>;
type Value = number | undefined;
/** Several samples of one item, each with the labels it adds to the item's. */
type Series = readonly (readonly [Labels, Value])[];

/** One metric of a feature: name, type, help, and an item's value (or series). */
export type Figure<T> = readonly [string, MetricType, string, (item: T) => Value | Series];

/** A feature's metrics: its items in a snapshot, the labels of each, and its figures. */
export interface FamilyTable<T> {
    readonly items: (s: MonitorSnapshot) => readonly T[];
    readonly labels: (item: T, s: MonitorSnapshot) => Labels;
    readonly figures: readonly Figure<T>[];
}

const MIB = 1024 * 1024;

/** A number field of a provider's object, if it is one. */
export function numberAt(o: unknown, ...path: string[]): number | undefined {
    let v: unknown = o;
    for (const k of path) {
        if (v === null || typeof v !== 'object') return undefined;
        v = (v as Record<string, unknown>)[k];
    }
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A string field of a provider's object, if it is one. */
export function stringAt(o: unknown, key: string): string | undefined {
    if (o === null || typeof o !== 'object') return undefined;
    const v = (o as Record<string, unknown>)[key];
    return typeof v === 'string' ? v : undefined;
}

const seconds = (ms: Value): Value => (ms === undefined ? undefined : ms / 1000);
const hubLabels = (s: MonitorSnapshot): Labels => ({ hub: s.hub.name || s.hub.id });

/** An enumeration the way Prometheus wants it: a series per value, 1 for the current one (none when unknown). */
function oneOf(label: string, values: readonly string[], current: string | undefined): Series {
    return current === undefined ? [] : values.map((each) => [{ [label]: each }, Number(current === each)] as const);
}

/** Quantiles of a provider's `{p50, p95, ...}` object in ms, as seconds. */
function quantiles(o: unknown, key: string, which: readonly (readonly [string, string])[]): Series {
    return which.map(([q, p]) => [{ quantile: q }, seconds(numberAt(o, key, p))] as const);
}

/** A feature made of registered nodes: the node id under `label`, and its name. */
function nodes(
    label: string,
    list: (s: MonitorSnapshot) => readonly NodeMetrics[],
    figures: readonly Figure<unknown>[],
): FamilyTable<NodeMetrics> {
    const of = (f: Figure<unknown>): Figure<NodeMetrics> => [f[0], f[1], f[2], (n) => f[3](n.metrics)];
    return { items: list, labels: (n) => ({ [label]: n.id, name: n.name }), figures: figures.map(of) };
}

const HUB: FamilyTable<MonitorSnapshot> = {
    items: (s) => [s],
    labels: (_, s) => hubLabels(s),
    figures: [
        [
            'sensorhub_events_total',
            'counter',
            'Events published on the hub since the monitor started, by type.',
            (s) => s.hub.events.totals.byType.map((t) => [{ type: t.type }, t.count] as const),
        ],
        [
            'sensorhub_events_other_total',
            'counter',
            'Events of types beyond the monitor\'s "event types by name" bound since it started.',
            (s) => s.hub.events.totals.other,
        ],
        ['sensorhub_hub_published_total', 'counter', 'Events published on the hub.', (s) => s.hub.published],
        ['sensorhub_hub_delivered_total', 'counter', 'Deliveries of events to subscribers.', (s) => s.hub.delivered],
        ['sensorhub_hub_dropped_total', 'counter', 'Events dropped by full subscriber queues.', (s) => s.hub.dropped],
        ['sensorhub_hub_retained', 'gauge', 'Event types with a retained event.', (s) => s.hub.retained],
        ['sensorhub_hub_subscribers', 'gauge', 'Subscribers of the hub.', (s) => s.hub.subscriberCount],
    ],
};

const SUBSCRIBERS: FamilyTable<SubscriberMetrics> = {
    items: (s) => s.hub.subscribers,
    labels: (sub, s) => ({ ...hubLabels(s), subscriber: sub.id, name: sub.name, patterns: sub.patterns.join(',') }),
    figures: [
        ['sensorhub_subscriber_queued', 'gauge', "Events waiting in a subscriber's queue.", (sub) => sub.queued],
        [
            'sensorhub_subscriber_pending',
            'gauge',
            'Deliveries to a subscriber not yet finished downstream.',
            (sub) => sub.pending,
        ],
        [
            'sensorhub_subscriber_dropped_total',
            'counter',
            "Events a subscriber's full queue dropped.",
            (sub) => sub.dropped,
        ],
        [
            'sensorhub_subscriber_delivered_total',
            'counter',
            'Events delivered to a subscriber.',
            (sub) => sub.delivered,
        ],
    ],
};

const MQTT: FamilyTable<BridgeStats> = {
    items: (s) => (s.hub.mqtt ? [s.hub.mqtt] : []),
    labels: (_, s) => hubLabels(s),
    figures: [
        ['sensorhub_mqtt_sent_total', 'counter', 'Events sent to the MQTT broker.', (m) => m.sent],
        ['sensorhub_mqtt_received_total', 'counter', 'Events received from the MQTT broker.', (m) => m.received],
        ['sensorhub_mqtt_buffered', 'gauge', 'Events buffered while the broker is unreachable.', (m) => m.buffered],
        [
            'sensorhub_mqtt_buffer_dropped_total',
            'counter',
            'Events dropped by the full offline buffer.',
            (m) => m.bufferDropped,
        ],
        ['sensorhub_mqtt_reconnects_total', 'counter', 'Reconnections to the MQTT broker.', (m) => m.reconnects],
    ],
};

/** The label names of a reading's series, documented in the README: keep them stable. */
const READING: FamilyTable<LatestReading> = {
    items: (s) => s.readings?.latest ?? [],
    labels: (r, s) => ({ ...hubLabels(s), sensor_id: r.id, kind: r.kind, unit: r.unit, location: r.location }),
    figures: [
        [
            'sensorhub_reading',
            'gauge',
            "A sensor's latest reading on the hub (motion and contact: 1 for true, 0 for false).",
            (r) => r.value,
        ],
        [
            'sensorhub_reading_timestamp_seconds',
            'gauge',
            "When a sensor's latest reading was taken.",
            (r) => r.ts / 1000,
        ],
    ],
};

const READINGS_KEPT: FamilyTable<ReadingsSnapshot> = {
    items: (s) => (s.readings ? [s.readings] : []),
    labels: (_, s) => hubLabels(s),
    figures: [
        [
            'sensorhub_readings_sensors',
            'gauge',
            'Sensors whose latest reading the monitor keeps.',
            (r) => r.latest.length,
        ],
        [
            'sensorhub_readings_dropped_total',
            'counter',
            "Readings of sensors beyond the monitor's bound, not kept.",
            (r) => r.dropped,
        ],
    ],
};

const FLEETS = nodes('fleet', (s) => s.fleets, [
    ['sensorhub_fleet_cycles_total', 'counter', 'Read cycles a fleet finished.', (m) => numberAt(m, 'cycle')],
    [
        'sensorhub_fleet_cycle_duration_seconds',
        'gauge',
        "Duration of a fleet's last read cycle.",
        (m) => seconds(numberAt(m, 'durationMs')),
    ],
    ['sensorhub_fleet_sensors', 'gauge', 'Sensors of a fleet in its last cycle.', (m) => numberAt(m, 'sensors')],
    ['sensorhub_fleet_reads_ok', 'gauge', "Reads that succeeded in a fleet's last cycle.", (m) => numberAt(m, 'ok')],
    [
        'sensorhub_fleet_reads_failed',
        'gauge',
        "Reads that failed (error, offline, timeout) in a fleet's last cycle.",
        (m) => numberAt(m, 'failed'),
    ],
    [
        'sensorhub_fleet_quarantined',
        'gauge',
        'Sensors a fleet left out of its last cycle (circuit breaker open).',
        (m) => numberAt(m, 'quarantined'),
    ],
    [
        'sensorhub_fleet_read_latency_seconds',
        'summary',
        "Read latency percentiles of a fleet's last cycle.",
        (m) =>
            quantiles(m, 'latencyMs', [
                ['0.5', 'p50'],
                ['0.95', 'p95'],
            ]),
    ],
]);

const SENSORS = nodes('sensor', (s) => s.sensors, [
    [
        'sensorhub_sensor_read_latency_seconds',
        'gauge',
        "Latency of a sensor's last read.",
        (m) => seconds(numberAt(m, 'latencyMs')),
    ],
    [
        'sensorhub_sensor_ok',
        'gauge',
        "Whether a sensor's last read succeeded (1) or failed (0).",
        (m) => {
            const status = stringAt(m, 'status');
            return status === undefined ? undefined : Number(status === 'ok');
        },
    ],
]);

const LIGHTS = nodes('light', (s) => s.lights, [
    [
        'sensorhub_light_on',
        'gauge',
        'Whether a light is on (1) or off (0).',
        (m) => {
            const state = stringAt(m, 'state');
            return state === undefined ? undefined : Number(state === 'on');
        },
    ],
    ['sensorhub_light_brightness', 'gauge', "A light's brightness, 0 to 100.", (m) => numberAt(m, 'brightness')],
    [
        'sensorhub_light_mode',
        'gauge',
        "A light's mode (auto, manual, override): 1 for the current one.",
        (m) => oneOf('mode', LIGHT_MODES, stringAt(m, 'mode')),
    ],
    [
        'sensorhub_light_events_handled_total',
        'counter',
        'Motion, light-level and command inputs a light handled.',
        (m) => numberAt(m, 'eventsHandled'),
    ],
    [
        'sensorhub_light_commands_sent_total',
        'counter',
        'Commands a light sent (changes of its state or brightness).',
        (m) => numberAt(m, 'commandsSent'),
    ],
    [
        'sensorhub_light_last_change_timestamp_seconds',
        'gauge',
        "When a light's last command went out, with its reason (motion, timeout, manual).",
        (m) => [[{ reason: stringAt(m, 'lastReason') ?? '' }, seconds(numberAt(m, 'lastChangeTs'))]],
    ],
    [
        'sensorhub_light_ha_commands_refused_total',
        'counter',
        'Commands from Home Assistant a light refused (absent when it is not announced).',
        (m) => numberAt(m, 'haRefused'),
    ],
]);

const DOOR_LOCKS = nodes('lock', (s) => s.doorLocks, [
    [
        'sensorhub_door_lock_state',
        'gauge',
        "A door lock's state (locked, unlocked, locking, unlocking, jammed): 1 for the current one.",
        (m) => oneOf('state', LOCK_STATES, stringAt(m, 'state')),
    ],
    [
        'sensorhub_door_lock_locked_out',
        'gauge',
        'Whether a door lock refuses unlocking after too many wrong codes (1) or not (0).',
        (m) => {
            const lockedOut = (m as Record<string, unknown> | null)?.lockedOut;
            return typeof lockedOut === 'boolean' ? Number(lockedOut) : undefined;
        },
    ],
    [
        'sensorhub_door_lock_alerts_total',
        'counter',
        'Alerts a door lock raised, repeats not counted.',
        (m) => numberAt(m, 'alertsRaised'),
    ],
    [
        'sensorhub_door_lock_wrong_codes_total',
        'counter',
        'Unlock attempts with a wrong code.',
        (m) => numberAt(m, 'wrongCodes'),
    ],
    [
        'sensorhub_door_lock_lockouts_total',
        'counter',
        'Lockouts after too many wrong codes.',
        (m) => numberAt(m, 'lockouts'),
    ],
    ['sensorhub_door_lock_jams_total', 'counter', 'Times a door lock became jammed.', (m) => numberAt(m, 'jams')],
    [
        'sensorhub_door_lock_refused_messages_total',
        'counter',
        'Messages a door lock could not read; each locks an open lock.',
        (m) => numberAt(m, 'refusedMessages'),
    ],
    [
        'sensorhub_door_lock_ha_commands_refused_total',
        'counter',
        'Commands from Home Assistant a door lock refused, wrong codes included (absent when it is not announced).',
        (m) => numberAt(m, 'haRefused'),
    ],
]);

const THRESHOLDS = nodes('threshold', (s) => s.thresholds, [
    ['sensorhub_threshold_sensors', 'gauge', 'Sensors a threshold node tracks.', (m) => numberAt(m, 'sensors')],
    [
        'sensorhub_threshold_alarms_active',
        'gauge',
        'Alarms raised now (high, low and stale, per sensor).',
        (m) => numberAt(m, 'alarmsActive'),
    ],
    [
        'sensorhub_threshold_stale_alarms_active',
        'gauge',
        'Stale-data alarms raised now.',
        (m) => numberAt(m, 'staleActive'),
    ],
    [
        'sensorhub_threshold_alarms_raised_total',
        'counter',
        'Alarms a threshold node raised, repeats not counted.',
        (m) => numberAt(m, 'alarmsRaised'),
    ],
    [
        'sensorhub_threshold_alarms_cleared_total',
        'counter',
        'Alarms a threshold node cleared.',
        (m) => numberAt(m, 'alarmsCleared'),
    ],
]);

const GATEWAYS = nodes('gateway', (s) => s.gateways, [
    [
        'sensorhub_gateway_connections',
        'gauge',
        'Open connections of a gateway, authenticated or not.',
        (m) => numberAt(m, 'connections'),
    ],
    [
        'sensorhub_gateway_pending',
        'gauge',
        'Connections of a gateway still waiting for their hello.',
        (m) => numberAt(m, 'pending'),
    ],
    [
        'sensorhub_gateway_devices_online',
        'gauge',
        'Devices connected to a gateway.',
        (m) => numberAt(m, 'devicesOnline'),
    ],
    ['sensorhub_gateway_readings_total', 'counter', 'Readings a gateway received.', (m) => numberAt(m, 'readings')],
    [
        'sensorhub_gateway_commands_total',
        'counter',
        'Commands a gateway sent to devices.',
        (m) => numberAt(m, 'commands'),
    ],
    [
        'sensorhub_gateway_auth_checks_total',
        'counter',
        'Hellos whose token a gateway compared (throttled and malformed ones are refused before).',
        (m) => numberAt(m, 'authChecks'),
    ],
    [
        'sensorhub_gateway_throttled_addresses',
        'gauge',
        'Addresses whose hellos a gateway refuses for now after failed ones.',
        (m) => numberAt(m, 'throttledAddresses'),
    ],
    [
        'sensorhub_gateway_throttled_devices',
        'gauge',
        'Device ids whose hellos a gateway refuses for now after failed ones.',
        (m) => numberAt(m, 'throttledDevices'),
    ],
    [
        'sensorhub_gateway_refusals_total',
        'counter',
        'Refusals of a gateway by reason (a message, a hello or a connection).',
        (m) => (m === null ? [] : REFUSAL_REASONS.map((reason) => [{ reason }, numberAt(m, 'refused', reason) ?? 0])),
    ],
]);

/** A devices node's profile on every series, so dashboards can sum by ecosystem. */
const withProfile = (m: unknown): Labels => ({ profile: stringAt(m, 'profile') ?? '' });
const profiled =
    (get: (m: unknown) => Value): ((m: unknown) => Series) =>
    (m) =>
        m === null ? [] : [[withProfile(m), get(m)]];

/** The label names (`device_node`, `name`, `profile`, `code`) are documented in the README: keep them stable. */
const DEVICES = nodes('device_node', (s) => s.devices, [
    [
        'sensorhub_device_messages_total',
        'counter',
        'Broker messages a devices node read, parsed or not.',
        profiled((m) => numberAt(m, 'messages')),
    ],
    [
        'sensorhub_device_readings_total',
        'counter',
        'Readings a devices node produced.',
        profiled((m) => numberAt(m, 'readings')),
    ],
    [
        'sensorhub_device_failed_readings_total',
        'counter',
        'Failed readings of a devices node (a device without a value, or offline).',
        profiled((m) => numberAt(m, 'failures')),
    ],
    [
        'sensorhub_device_parse_errors_total',
        'counter',
        'Payloads a devices node could not read, by profile and code.',
        (m) =>
            m === null
                ? []
                : PARSE_PROBLEM_CODES.map((code) => [
                      { ...withProfile(m), code: code.slice('device.'.length) },
                      numberAt(m, 'problemsByCode', code) ?? 0,
                  ]),
    ],
    ['sensorhub_device_devices', 'gauge', 'Devices a devices node has seen.', profiled((m) => numberAt(m, 'devices'))],
    [
        'sensorhub_device_devices_online',
        'gauge',
        'Devices whose last availability said online.',
        profiled((m) => numberAt(m, 'online')),
    ],
    [
        'sensorhub_device_devices_offline',
        'gauge',
        'Devices whose last availability said offline.',
        profiled((m) => numberAt(m, 'offline')),
    ],
    ['sensorhub_device_sensors', 'gauge', 'Sensors a devices node has seen.', profiled((m) => numberAt(m, 'sensors'))],
    [
        'sensorhub_device_commands_total',
        'counter',
        'Light and lock commands a devices node sent to devices.',
        profiled((m) => numberAt(m, 'commands')),
    ],
]);

const SERIAL_PORTS: FamilyTable<SerialPortMetrics> = {
    items: (s) => s.serialPorts,
    labels: (p) => ({ port: p.path, name: p.name }),
    figures: [
        [
            'sensorhub_serial_open',
            'gauge',
            'Whether a serial port is open (1) or not (0).',
            (p) => Number(p.state === 'open'),
        ],
        ['sensorhub_serial_lines_total', 'counter', 'Lines received on a serial port.', (p) => p.lines],
        ['sensorhub_serial_requests_total', 'counter', 'Requests written to a serial port.', (p) => p.requests],
        [
            'sensorhub_serial_requests_timed_out_total',
            'counter',
            'Serial requests not answered in time.',
            (p) => p.requestsTimedOut,
        ],
        ['sensorhub_serial_reconnects_total', 'counter', 'Reopenings of a serial port.', (p) => p.reconnects],
        ['sensorhub_serial_queued', 'gauge', 'Serial requests waiting or in progress.', (p) => p.queued],
    ],
};

const PROCESS: FamilyTable<MonitorSnapshot['process']> = {
    items: (s) => [s.process],
    labels: () => ({}),
    figures: [
        [
            'sensorhub_event_loop_delay_seconds',
            'summary',
            'Event-loop delay percentiles since the last scrape.',
            (p) =>
                quantiles(p, 'eventLoopDelayMs', [
                    ['0.5', 'p50'],
                    ['0.99', 'p99'],
                ]),
        ],
        [
            'sensorhub_event_loop_delay_max_seconds',
            'gauge',
            'Largest event-loop delay since the last scrape.',
            (p) => p.eventLoopDelayMs.max / 1000,
        ],
        ['sensorhub_process_heap_used_bytes', 'gauge', 'V8 heap in use.', (p) => Math.round(p.heapUsedMiB * MIB)],
        [
            'sensorhub_process_resident_memory_bytes',
            'gauge',
            'Resident set size of the process.',
            (p) => Math.round(p.rssMiB * MIB),
        ],
        ['sensorhub_process_uptime_seconds', 'gauge', 'Seconds since the process started.', (p) => p.uptimeS],
    ],
};

/** Every feature's table, in the order its families are written. */
// Each table's item type is its own: the loop only hands a table the items it listed.
export const FAMILY_TABLES = [
    HUB,
    SUBSCRIBERS,
    MQTT,
    READING,
    READINGS_KEPT,
    FLEETS,
    SENSORS,
    LIGHTS,
    DOOR_LOCKS,
    THRESHOLDS,
    GATEWAYS,
    DEVICES,
    SERIAL_PORTS,
    PROCESS,
] as readonly unknown[] as readonly FamilyTable<unknown>[];

/** Builds families in order of first sample, dropping samples whose value a provider did not give. */
class Families {
    readonly list: MetricFamily[] = [];
    private readonly byName = new Map<string, Sample[]>();

    add(name: string, type: MetricType, help: string, labels: Labels, value: Value): void {
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

/** A snapshot as Prometheus metric families, table by table, item by item, figure by figure. */
export function prometheusFamilies(s: MonitorSnapshot, tables = FAMILY_TABLES): MetricFamily[] {
    const f = new Families();
    for (const table of tables)
        for (const item of table.items(s)) {
            const labels = table.labels(item, s);
            for (const [name, type, help, value] of table.figures) {
                const v = value(item);
                if (typeof v !== 'object') f.add(name, type, help, labels, v);
                else for (const [extra, each] of v) f.add(name, type, help, { ...labels, ...extra }, each);
            }
        }
    return f.list;
}
