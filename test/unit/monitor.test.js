'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { EventHub } = require('../../src/core/hub/hub');
const {
    parseMonitorConfig,
    EventCounter,
    MonitorCollector,
    statusFigures,
    formatRate,
    prometheusFamilies,
} = require('../../src/core/monitor/monitor');
const { formatPrometheus } = require('../../src/core/monitor/prometheus');
const { LatestReadings } = require('../../src/core/monitor/readings');
const { MetricsRegistry } = require('../../src/core/shared/metrics-registry');
const { LightController } = require('../../src/core/light/light');
const { DoorLock } = require('../../src/core/door-lock/door-lock');
const { parseDoorLockConfig } = require('../../src/core/door-lock/config');
const { ThresholdMonitor } = require('../../src/core/threshold/threshold');
const { fieldsOf } = require('../helpers/types');
const { DeviceSource, parseDeviceNodeConfig } = require('../../src/core/devices');

const PROCESS = Object.freeze({
    eventLoopDelayMs: { p50: 10.5, p99: 20, max: 31 },
    heapUsedMiB: 12.5,
    rssMiB: 64,
    uptimeS: 100,
});

/** A collector on a real hub with a clock that moves only when told. */
function setup(extra = {}) {
    const hub = new EventHub({ idPrefix: 't' });
    const clock = { t: 1_700_000_000_000 };
    const collector = new MonitorCollector({
        hub,
        hubId: 'hub1',
        hubName: 'home',
        backend: 'local',
        maxTypes: 3,
        now: () => clock.t,
        process: () => PROCESS,
        ...extra,
    });
    return { hub, clock, collector };
}

function publishMany(hub, type, n) {
    for (let i = 0; i < n; i++) hub.publish(type, { payload: i });
}

describe('core/monitor', function () {
    describe('parseMonitorConfig', function () {
        it('fills in the defaults', function () {
            assert.deepEqual(parseMonitorConfig({}), {
                config: { intervalMs: 10000, format: 'object', maxTypes: 100 },
            });
            assert.deepEqual(fieldsOf(parseMonitorConfig({ interval: '', format: '', maxTypes: '' })).config, {
                intervalMs: 10000,
                format: 'object',
                maxTypes: 100,
            });
        });

        it('takes an interval of 0 (on input only) or 1 to 3600 s, numbers or numeric strings', function () {
            assert.equal(fieldsOf(parseMonitorConfig({ interval: 0 })).config.intervalMs, 0);
            assert.equal(fieldsOf(parseMonitorConfig({ interval: '1' })).config.intervalMs, 1000);
            assert.equal(fieldsOf(parseMonitorConfig({ interval: 2.5 })).config.intervalMs, 2500);
            assert.equal(fieldsOf(parseMonitorConfig({ interval: 3600 })).config.intervalMs, 3_600_000);
            for (const bad of [0.5, -1, 3601, 'soon', NaN, {}]) {
                assert.match(
                    fieldsOf(parseMonitorConfig({ interval: bad })).error,
                    /interval must be 0 .* from 1 to 3600/,
                );
            }
        });

        it('takes the object or prometheus format only', function () {
            assert.equal(fieldsOf(parseMonitorConfig({ format: 'prometheus' })).config.format, 'prometheus');
            assert.match(
                fieldsOf(parseMonitorConfig({ format: 'xml' })).error,
                /output format must be object or prometheus/,
            );
        });

        it('takes a whole number of event types from 1 to 1000', function () {
            assert.equal(fieldsOf(parseMonitorConfig({ maxTypes: '7' })).config.maxTypes, 7);
            for (const bad of [0, 1001, 2.5, 'many']) {
                assert.match(
                    fieldsOf(parseMonitorConfig({ maxTypes: bad })).error,
                    /event types by name must be a .*1 to 1000/,
                );
            }
        });
    });

    describe('EventCounter', function () {
        it('counts per type per interval, the most frequent first, and starts afresh after take()', function () {
            const c = new EventCounter(2);
            for (const t of ['a', 'b', 'b', 'c', 'c', 'c', 'd']) c.count(t);
            assert.deepEqual(c.take(), {
                top: [
                    { type: 'c', count: 3 },
                    { type: 'b', count: 2 },
                ],
                other: 2,
                types: 4,
                typesCapped: false,
                total: 7,
            });
            assert.deepEqual(c.take(), { top: [], other: 0, types: 0, typesCapped: false, total: 0 });
        });

        it('breaks ties by type name so the report is stable', function () {
            const c = new EventCounter(2);
            for (const t of ['z', 'y', 'x']) c.count(t);
            assert.deepEqual(
                c.take().top.map((t) => t.type),
                ['x', 'y'],
            );
        });

        it('tracks at most ten times maxTypes distinct types per interval, the rest as other', function () {
            const c = new EventCounter(2);
            for (let i = 0; i < 25; i++) c.count(`t${i}`);
            const r = c.take();
            assert.equal(r.types, 20);
            assert.equal(r.typesCapped, true);
            assert.equal(r.total, 25);
            assert.equal(r.other, 23);
        });

        it('keeps totals by name for the first maxTypes types seen and the rest as other, over intervals', function () {
            const c = new EventCounter(2);
            for (const t of ['a', 'b', 'c', 'a']) c.count(t);
            c.take();
            for (const t of ['c', 'b', 'd']) c.count(t);
            assert.deepEqual(c.totalsSoFar(), {
                byType: [
                    { type: 'a', count: 2 },
                    { type: 'b', count: 2 },
                ],
                other: 3,
            });
        });
    });

    describe('MonitorCollector', function () {
        it('reports rates per type and for the hub over the time since the last snapshot', function () {
            const { hub, clock, collector } = setup();
            hub.subscribe(() => {}, { patterns: ['#'], name: 'sub1' });
            publishMany(hub, 'temperature_update', 30);
            publishMany(hub, 'motion_detected', 10);
            clock.t += 2000;
            const s = collector.snapshot();
            assert.equal(s.ts, clock.t);
            assert.equal(s.intervalS, 2);
            assert.equal(s.hub.published, 40);
            assert.equal(s.hub.delivered, 40);
            assert.deepEqual(s.hub.rates, { published: 20, delivered: 20, dropped: 0 });
            assert.equal(s.hub.events.rate, 20);
            assert.equal(s.hub.events.types, 2);
            assert.deepEqual(s.hub.events.byType, [
                { type: 'temperature_update', count: 30, rate: 15 },
                { type: 'motion_detected', count: 10, rate: 5 },
            ]);

            publishMany(hub, 'motion_detected', 4);
            clock.t += 4000;
            const s2 = collector.snapshot();
            assert.equal(s2.intervalS, 4);
            assert.deepEqual(s2.hub.events.byType, [{ type: 'motion_detected', count: 4, rate: 1 }]);
            assert.deepEqual(s2.hub.rates, { published: 1, delivered: 1, dropped: 0 });
            assert.deepEqual(s2.hub.events.totals.byType, [
                { type: 'temperature_update', count: 30 },
                { type: 'motion_detected', count: 14 },
            ]);
        });

        it('counts only events from its start, while hub totals are the hub lifetime', function () {
            const hub = new EventHub();
            publishMany(hub, 'early', 5);
            let t = 0;
            const collector = new MonitorCollector({
                hub,
                hubId: 'h',
                hubName: '',
                backend: 'local',
                maxTypes: 10,
                now: () => t,
                process: () => PROCESS,
            });
            publishMany(hub, 'late', 2);
            t = 1000;
            const s = collector.snapshot();
            assert.equal(s.hub.published, 7);
            assert.equal(s.hub.rates.published, 2);
            assert.equal(s.hub.events.count, 2);
        });

        it('reports zero rates, not infinities, for a snapshot at the very same time', function () {
            const { hub, collector } = setup();
            publishMany(hub, 'a', 3);
            const s = collector.snapshot();
            assert.equal(s.intervalS, 0);
            assert.equal(s.hub.events.rate, 0);
            assert.equal(s.hub.rates.published, 0);
            assert.equal(s.hub.events.count, 3);
        });

        it('reports each subscriber with its patterns, queue depth, in-flight deliveries and drops', function () {
            const { hub, clock, collector } = setup({ nameOf: (id) => (id === 'n1' ? 'kitchen' : undefined) });
            const slow = hub.subscribe(() => {}, {
                patterns: ['home/+/temperature', 'alarm/#'],
                name: 'n1',
                maxInFlight: 1,
                queueLimit: 2,
            });
            hub.subscribe(() => {}, { patterns: ['#'], name: 'n2' });
            publishMany(hub, 'home/hall/temperature', 5);
            clock.t += 1000;
            const s = collector.snapshot();
            assert.deepEqual(s.hub.subscribers, [
                {
                    id: 'n1',
                    name: 'kitchen',
                    patterns: ['home/+/temperature', 'alarm/#'],
                    queued: 2,
                    pending: 1,
                    dropped: 2,
                    delivered: 1,
                },
                { id: 'n2', name: '', patterns: ['#'], queued: 0, pending: 0, dropped: 0, delivered: 5 },
            ]);
            assert.equal(s.hub.dropped, 2);
            assert.equal(s.hub.rates.dropped, 2);
            assert.equal(s.hub.subscriberCount, 2);
            assert.ok(slow.active);
        });

        it('sorts registered nodes into fleets, sensors and others, and includes serial ports, mqtt and process', function () {
            const registry = new MetricsRegistry();
            registry.register({ id: 'f1', type: 'sensorhub-fleet', name: 'north' }, () => ({ cycle: 4 }));
            registry.register({ id: 's1', type: 'sensorhub-sensor', name: '' }, () => ({
                status: 'ok',
                latencyMs: 120,
            }));
            registry.register({ id: 'x1', type: 'other-node', name: '' }, () => undefined);
            const port = {
                id: 'p1',
                name: '',
                path: '/dev/ttyUSB0',
                state: 'open',
                lines: 3,
                oversized: 0,
                requests: 2,
                requestsTimedOut: 1,
                lateAnswers: 0,
                reconnects: 0,
                queued: 0,
            };
            const mqtt = {
                sent: 1,
                received: 2,
                buffered: 0,
                bufferDropped: 0,
                echoesDropped: 0,
                duplicatesDropped: 0,
                decodeErrors: 0,
                reconnects: 1,
            };
            const { collector } = setup({
                nodes: () => registry.collect(),
                serialPorts: () => [port],
                bridge: () => mqtt,
                backend: 'mqtt',
            });
            const s = collector.snapshot();
            assert.deepEqual(s.fleets, [{ id: 'f1', type: 'sensorhub-fleet', name: 'north', metrics: { cycle: 4 } }]);
            assert.deepEqual(
                s.sensors.map((n) => n.id),
                ['s1'],
            );
            assert.deepEqual(
                s.nodes.map((n) => [n.id, n.metrics]),
                [['x1', null]],
            );
            assert.deepEqual(s.serialPorts, [port]);
            assert.deepEqual(s.hub.mqtt, mqtt);
            assert.equal(s.hub.backend, 'mqtt');
            assert.deepEqual(s.process, PROCESS);
        });

        it('lists lights, door locks and thresholds apart, each in registration order', function () {
            const registry = new MetricsRegistry();
            registry.register({ id: 'l1', type: 'sensorhub-light', name: 'hall' }, () => ({ state: 'on' }));
            registry.register({ id: 'd1', type: 'sensorhub-door-lock', name: '' }, () => undefined);
            registry.register({ id: 't1', type: 'sensorhub-threshold', name: '' }, () => ({ sensors: 2 }));
            registry.register({ id: 'l2', type: 'sensorhub-light', name: '' }, () => ({ state: 'off' }));
            const s = setup({ nodes: () => registry.collect() }).collector.snapshot();
            assert.deepEqual(
                s.lights.map((n) => [n.id, /** @type {{ state?: string }} */ (n.metrics).state]),
                [
                    ['l1', 'on'],
                    ['l2', 'off'],
                ],
            );
            assert.deepEqual(s.doorLocks, [{ id: 'd1', type: 'sensorhub-door-lock', name: '', metrics: null }]);
            assert.deepEqual(
                s.thresholds.map((n) => n.id),
                ['t1'],
            );
            assert.deepEqual([s.fleets, s.sensors, s.nodes], [[], [], []]);
        });

        it('leaves out mqtt for a local hub and gives empty lists without sources', function () {
            const { collector } = setup();
            const s = collector.snapshot();
            assert.ok(!('mqtt' in s.hub));
            assert.deepEqual(
                [s.fleets, s.sensors, s.lights, s.doorLocks, s.thresholds, s.nodes, s.serialPorts],
                [[], [], [], [], [], [], []],
            );
        });

        it('stops counting at close, leaving the hub without a listener', function () {
            const { hub, clock, collector } = setup();
            collector.close();
            publishMany(hub, 'a', 3);
            clock.t += 1000;
            assert.equal(collector.snapshot().hub.events.count, 0);
        });

        it('is plain data that survives JSON', function () {
            const { hub, clock, collector } = setup();
            hub.subscribe(() => {}, { patterns: ['#'], name: 's' });
            publishMany(hub, 'a', 1);
            clock.t += 1000;
            const s = collector.snapshot();
            assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
        });
    });

    describe('status', function () {
        it('formats rates: one decimal below 10, whole from 10', function () {
            assert.equal(formatRate(0), '0');
            assert.equal(formatRate(0.04), '0');
            assert.equal(formatRate(2.46), '2.5');
            assert.equal(formatRate(9.94), '9.9');
            assert.equal(formatRate(340.4), '340');
        });

        it('gives types, rate and drops, with + when more types came than were tracked', function () {
            const { hub, clock, collector } = setup();
            publishMany(hub, 'a', 500);
            for (let i = 0; i < 40; i++) hub.publish(`t${i}`, {});
            clock.t += 1000;
            assert.deepEqual(statusFigures(collector.snapshot()), { types: '30+', rate: '540', dropped: 0 });
        });
    });

    describe('LatestReadings', function () {
        const reading = (id, payload, extra = {}) => ({
            topic: 'temperature_update',
            payload,
            sensor: { id, kind: 'temperature', location: 'hall', unit: '°C' },
            reading: { status: 'ok', ts: 1_700_000_000_250, latencyMs: 3, seq: 1 },
            ...extra,
        });

        it('keeps the latest ok reading per sensor id, in order of first reading, booleans as 1 and 0', function () {
            const r = new LatestReadings(10, () => 5);
            r.record(reading('a', 20.5));
            r.record({ topic: 'motion_detected', payload: true, sensor: { id: 'm' } });
            r.record(reading('a', 21));
            assert.deepEqual(r.snapshot(), {
                latest: [
                    { id: 'a', kind: 'temperature', unit: '°C', location: 'hall', value: 21, ts: 1_700_000_000_250 },
                    { id: 'm', kind: '', unit: '', location: '', value: 1, ts: 5 },
                ],
                dropped: 0,
                max: 10,
            });
        });

        it('passes over failed reads, events without a sensor id and values that are not numbers', function () {
            const r = new LatestReadings(10, () => 5);
            r.record(reading('a', 20, { reading: { status: 'timeout', ts: 1 } }));
            r.record({ topic: 'x', payload: 1 });
            r.record({ topic: 'x', payload: 1, sensor: { id: 7 } });
            r.record({ topic: 'x', payload: 1, sensor: 'a' });
            r.record(reading('', 1));
            r.record(reading('b', 'warm'));
            r.record(reading('c', NaN));
            r.record(reading('d', { state: 'on' }));
            assert.deepEqual(r.snapshot().latest, []);
        });

        it('keeps at most max sensors and counts the readings of the others', function () {
            const r = new LatestReadings(2, () => 5);
            for (const id of ['a', 'b', 'c', 'a', 'd', 'c']) r.record(reading(id, 1));
            const s = r.snapshot();
            assert.deepEqual(
                s.latest.map((x) => x.id),
                ['a', 'b'],
            );
            assert.equal(s.dropped, 3);
        });

        it('is fed by the collector from the hub when asked to keep readings, and not otherwise', function () {
            const { hub, collector } = setup({ readings: 5 });
            hub.publish('temperature_update', reading('a', 19));
            assert.deepEqual(
                collector.snapshot().readings?.latest.map((x) => [x.id, x.value]),
                [['a', 19]],
            );
            const plain = setup();
            plain.hub.publish('temperature_update', reading('a', 19));
            assert.equal(plain.collector.snapshot().readings, undefined);
        });
    });

    describe('prometheusFamilies', function () {
        function exposition(extra, more) {
            const registry = new MetricsRegistry();
            registry.register({ id: 'f1', type: 'sensorhub-fleet', name: 'north' }, () => ({
                cycle: 7,
                durationMs: 250,
                sensors: 10,
                ok: 9,
                failed: 1,
                quarantined: 0,
                latencyMs: { p50: 120, p95: 480, max: 500 },
            }));
            registry.register({ id: 'f2', type: 'sensorhub-fleet', name: '' }, () => undefined);
            registry.register({ id: 's1', type: 'sensorhub-sensor', name: 'hall' }, () => ({
                status: 'timeout',
                latencyMs: 2000,
            }));
            registry.register({ id: 'l1', type: 'sensorhub-light', name: 'porch' }, () => ({
                state: 'on',
                brightness: 80,
                mode: 'override',
                eventsHandled: 12,
                commandsSent: 3,
                lastReason: 'manual',
                lastChangeTs: 1_700_000_000_500,
            }));
            registry.register({ id: 'l2', type: 'sensorhub-light', name: '' }, () => ({
                state: 'off',
                brightness: 0,
                mode: 'auto',
                eventsHandled: 0,
                commandsSent: 0,
                lastReason: null,
                lastChangeTs: null,
            }));
            registry.register({ id: 'd1', type: 'sensorhub-door-lock', name: 'front' }, () => ({
                state: 'jammed',
                lockedOut: true,
                alertsRaised: 6,
                wrongCodes: 5,
                lockouts: 1,
                jams: 2,
                refusedMessages: 3,
            }));
            registry.register({ id: 'd2', type: 'sensorhub-door-lock', name: '' }, () => undefined);
            registry.register({ id: 't1', type: 'sensorhub-threshold', name: 'temps' }, () => ({
                sensors: 4,
                alarmsActive: 2,
                staleActive: 1,
                alarmsRaised: 9,
                alarmsCleared: 7,
                refused: 0,
            }));
            const nodes = () => [...registry.collect(), ...(more?.collect() ?? [])];
            const { hub, clock, collector } = setup({ nodes, ...extra });
            hub.subscribe(() => {}, { patterns: ['home/#'], name: 'sub"1' });
            publishMany(hub, 'home/temp', 3);
            hub.publish('say "hi"', {});
            clock.t += 1000;
            return formatPrometheus(prometheusFamilies(collector.snapshot()));
        }

        it('writes event counters by type and hub counters and gauges, labels escaped', function () {
            const text = exposition();
            assert.match(text, /^# TYPE sensorhub_events_total counter$/m);
            assert.match(text, /^sensorhub_events_total\{hub="home",type="home\/temp"\} 3$/m);
            assert.match(text, /^sensorhub_events_total\{hub="home",type="say \\"hi\\""\} 1$/m);
            assert.match(text, /^sensorhub_events_other_total\{hub="home"\} 0$/m);
            assert.match(text, /^sensorhub_hub_published_total\{hub="home"\} 4$/m);
            assert.match(text, /^sensorhub_hub_dropped_total\{hub="home"\} 0$/m);
            assert.match(
                text,
                /^sensorhub_subscriber_queued\{hub="home",subscriber="sub\\"1",name="",patterns="home\/#"\} 0$/m,
            );
        });

        it('writes fleet, sensor and process figures in seconds and bytes', function () {
            const text = exposition();
            assert.match(text, /^sensorhub_fleet_cycle_duration_seconds\{fleet="f1",name="north"\} 0.25$/m);
            assert.match(
                text,
                /^sensorhub_fleet_read_latency_seconds\{fleet="f1",name="north",quantile="0.95"\} 0.48$/m,
            );
            assert.match(text, /^sensorhub_fleet_cycles_total\{fleet="f1",name="north"\} 7$/m);
            assert.doesNotMatch(text, /fleet="f2"/, 'a fleet without a cycle yet has no samples');
            assert.match(text, /^sensorhub_sensor_ok\{sensor="s1",name="hall"\} 0$/m);
            assert.match(text, /^sensorhub_sensor_read_latency_seconds\{sensor="s1",name="hall"\} 2$/m);
            assert.match(text, /^sensorhub_event_loop_delay_seconds\{quantile="0.99"\} 0.02$/m);
            assert.match(text, /^sensorhub_event_loop_delay_max_seconds 0.031$/m);
            assert.match(text, /^sensorhub_process_heap_used_bytes 13107200$/m);
            assert.match(text, /^sensorhub_process_resident_memory_bytes 67108864$/m);
            assert.match(text, /^sensorhub_process_uptime_seconds 100$/m);
        });

        it("writes a light's state, brightness, mode, counters and last change", function () {
            const text = exposition();
            const labels = 'light="l1",name="porch"';
            assert.match(text, /^# TYPE sensorhub_light_on gauge$/m);
            assert.match(text, new RegExp(`^sensorhub_light_on\\{${labels}\\} 1$`, 'm'));
            assert.match(text, /^sensorhub_light_on\{light="l2",name=""\} 0$/m);
            assert.match(text, new RegExp(`^sensorhub_light_brightness\\{${labels}\\} 80$`, 'm'));
            assert.deepEqual(
                [...text.matchAll(/^sensorhub_light_mode\{light="l1",name="porch",mode="(\w+)"\} (\d)$/gm)].map((m) => [
                    m[1],
                    m[2],
                ]),
                [
                    ['auto', '0'],
                    ['manual', '0'],
                    ['override', '1'],
                ],
            );
            assert.match(text, /^# TYPE sensorhub_light_events_handled_total counter$/m);
            assert.match(text, new RegExp(`^sensorhub_light_events_handled_total\\{${labels}\\} 12$`, 'm'));
            assert.match(text, new RegExp(`^sensorhub_light_commands_sent_total\\{${labels}\\} 3$`, 'm'));
            assert.match(
                text,
                new RegExp(
                    `^sensorhub_light_last_change_timestamp_seconds\\{${labels},reason="manual"\\} 1700000000.5$`,
                    'm',
                ),
            );
            assert.doesNotMatch(
                text,
                /^sensorhub_light_last_change_timestamp_seconds\{light="l2"/m,
                'no change yet: no sample',
            );
        });

        it("writes a door lock's state as one series per state, and its counters", function () {
            const text = exposition();
            const states = [
                ...text.matchAll(/^sensorhub_door_lock_state\{lock="d1",name="front",state="(\w+)"\} (\d)$/gm),
            ];
            assert.deepEqual(
                states.map((m) => [m[1], m[2]]),
                [
                    ['locked', '0'],
                    ['unlocked', '0'],
                    ['locking', '0'],
                    ['unlocking', '0'],
                    ['jammed', '1'],
                ],
            );
            assert.match(text, /^sensorhub_door_lock_locked_out\{lock="d1",name="front"\} 1$/m);
            assert.match(text, /^sensorhub_door_lock_alerts_total\{lock="d1",name="front"\} 6$/m);
            assert.match(text, /^sensorhub_door_lock_wrong_codes_total\{lock="d1",name="front"\} 5$/m);
            assert.match(text, /^sensorhub_door_lock_lockouts_total\{lock="d1",name="front"\} 1$/m);
            assert.match(text, /^sensorhub_door_lock_jams_total\{lock="d1",name="front"\} 2$/m);
            assert.match(text, /^sensorhub_door_lock_refused_messages_total\{lock="d1",name="front"\} 3$/m);
            assert.doesNotMatch(text, /lock="d2"/, 'a lock without figures yet has no samples');
        });

        it("writes a threshold node's sensors, alarms and counters", function () {
            const text = exposition();
            const labels = '\\{threshold="t1",name="temps"\\}';
            for (const [name, value] of [
                ['sensorhub_threshold_sensors', 4],
                ['sensorhub_threshold_alarms_active', 2],
                ['sensorhub_threshold_stale_alarms_active', 1],
                ['sensorhub_threshold_alarms_raised_total', 9],
                ['sensorhub_threshold_alarms_cleared_total', 7],
            ])
                assert.match(text, new RegExp(`^${name}${labels} ${value}$`, 'm'));
            assert.match(text, /^# TYPE sensorhub_threshold_alarms_raised_total counter$/m);
            assert.match(text, /^# TYPE sensorhub_threshold_alarms_active gauge$/m);
        });

        it('writes the figures of real light, door lock and threshold cores', function () {
            const registry = new MetricsRegistry();
            const clock = { now: () => 5000, setTimeout: () => 0, clearTimeout: () => {} };
            const light = new LightController({
                waitMs: 1000,
                minOnMs: 0,
                overrideMs: 0,
                brightness: 60,
                darkBelow: undefined,
                window: undefined,
                clock,
                onOutput: () => {},
            });
            light.motion();
            const lock = new DoorLock({
                ...fieldsOf(parseDoorLockConfig({ location: 'door' })).config,
                clock,
                onState: () => {},
                onAlert: () => {},
            });
            lock.motion(true);
            const threshold = new ThresholdMonitor({
                high: 30,
                low: undefined,
                hysteresis: 0,
                minDurationMs: 0,
                staleMs: 0,
                repeatMs: 0,
                maxSensors: 10,
                clock,
                onAlarm: () => {},
            });
            threshold.reading('t1', 31, 'temperature_update');
            registry.register({ id: 'l', type: 'sensorhub-light', name: '' }, () => light.metrics());
            registry.register({ id: 'd', type: 'sensorhub-door-lock', name: '' }, () => lock.metrics());
            registry.register({ id: 't', type: 'sensorhub-threshold', name: '' }, () => threshold.metrics());
            const { collector } = setup({ nodes: () => registry.collect() });
            const text = formatPrometheus(prometheusFamilies(collector.snapshot()));
            assert.match(text, /^sensorhub_light_brightness\{light="l",name=""\} 60$/m);
            assert.match(
                text,
                /^sensorhub_light_last_change_timestamp_seconds\{light="l",name="",reason="motion"\} 5$/m,
            );
            assert.match(text, /^sensorhub_door_lock_state\{lock="d",name="",state="locked"\} 1$/m);
            assert.match(text, /^sensorhub_door_lock_alerts_total\{lock="d",name=""\} 1$/m);
            assert.match(text, /^sensorhub_threshold_alarms_active\{threshold="t",name=""\} 1$/m);
        });

        /** A devices node's figures as src/device.ts offers them: its profile and its source's stats. */
        const DEVICE_FIGURES = {
            profile: 'zigbee2mqtt',
            messages: 12,
            commands: 2,
            devices: 3,
            sensors: 5,
            readings: 9,
            failures: 1,
            problems: 3,
            problemsByCode: { 'device.not-json': 2, 'device.state': 1 },
            overLimit: 0,
            online: 2,
            offline: 1,
        };

        it("writes a devices node's messages, readings, parse errors by code, devices and commands", function () {
            const extra = new MetricsRegistry();
            extra.register({ id: 'z1', type: 'sensorhub-device', name: 'zigbee' }, () => DEVICE_FIGURES);
            extra.register({ id: 'z2', type: 'sensorhub-device', name: '' }, () => undefined);
            const text = exposition({}, extra);
            const labels = 'device_node="z1",name="zigbee",profile="zigbee2mqtt"';
            for (const [name, value] of [
                ['sensorhub_device_messages_total', 12],
                ['sensorhub_device_readings_total', 9],
                ['sensorhub_device_failed_readings_total', 1],
                ['sensorhub_device_devices', 3],
                ['sensorhub_device_devices_online', 2],
                ['sensorhub_device_devices_offline', 1],
                ['sensorhub_device_sensors', 5],
                ['sensorhub_device_commands_total', 2],
            ])
                assert.ok(text.includes(`\n${name}{${labels}} ${value}\n`), `${name} in\n${text}`);
            const parse = [...text.matchAll(/^sensorhub_device_parse_errors_total\{([^}]*)\} (\d+)$/gm)];
            assert.deepEqual(
                parse.map((m) => [m[1], m[2]]),
                ['not-json', 'not-object', 'value', 'state', 'template', 'config', 'rpc-error'].map((code) => [
                    `${labels},code="${code}"`,
                    code === 'not-json' ? '2' : code === 'state' ? '1' : '0',
                ]),
                'every code, 0 when none came, so rate() works from the first error',
            );
            assert.match(text, /^# TYPE sensorhub_device_parse_errors_total counter$/m);
            assert.match(text, /^# TYPE sensorhub_device_devices_online gauge$/m);
            assert.doesNotMatch(text, /device_node="z2"/, 'a devices node without figures has no samples');
        });

        it('writes the figures of a real devices source', function () {
            const config = fieldsOf(parseDeviceNodeConfig({ profile: 'zigbee2mqtt' })).config;
            const source = new DeviceSource(config, { reading() {}, failure() {}, event() {}, problem() {} });
            source.handle('zigbee2mqtt/hall', Buffer.from('{"temperature":21.5,"humidity":40}'));
            source.handle('zigbee2mqtt/hall/availability', Buffer.from('online'));
            source.handle('zigbee2mqtt/door/availability', Buffer.from('{"state":"offline"}'));
            source.handle('zigbee2mqtt/hall', Buffer.from('not json'));
            source.commandSent();
            const registry = new MetricsRegistry();
            registry.register({ id: 'z', type: 'sensorhub-device', name: '' }, () => ({
                profile: config.profile,
                ...source.stats(),
            }));
            const { collector } = setup({ nodes: () => registry.collect() });
            const text = formatPrometheus(prometheusFamilies(collector.snapshot()));
            source.close();
            const labels = 'device_node="z",name="",profile="zigbee2mqtt"';
            assert.ok(text.includes(`\nsensorhub_device_messages_total{${labels}} 4\n`), text);
            assert.ok(text.includes(`\nsensorhub_device_readings_total{${labels}} 2\n`), text);
            assert.ok(text.includes(`\nsensorhub_device_devices_online{${labels}} 1\n`), text);
            assert.ok(text.includes(`\nsensorhub_device_devices_offline{${labels}} 1\n`), text);
            assert.ok(text.includes(`\nsensorhub_device_commands_total{${labels}} 1\n`), text);
            assert.ok(text.includes(`\nsensorhub_device_parse_errors_total{${labels},code="not-json"} 1\n`), text);
        });

        it('writes mqtt and serial port figures when there are some', function () {
            const port = {
                id: 'p1',
                name: 'bench',
                path: '/dev/ttyUSB0',
                state: 'open',
                lines: 3,
                oversized: 0,
                requests: 2,
                requestsTimedOut: 1,
                lateAnswers: 0,
                reconnects: 0,
                queued: 1,
            };
            const mqtt = {
                sent: 5,
                received: 2,
                buffered: 1,
                bufferDropped: 0,
                echoesDropped: 0,
                duplicatesDropped: 0,
                decodeErrors: 0,
                reconnects: 1,
            };
            const text = exposition({ serialPorts: () => [port], bridge: () => mqtt });
            assert.match(text, /^sensorhub_mqtt_sent_total\{hub="home"\} 5$/m);
            assert.match(text, /^sensorhub_mqtt_buffered\{hub="home"\} 1$/m);
            assert.match(text, /^sensorhub_serial_open\{port="\/dev\/ttyUSB0",name="bench"\} 1$/m);
            assert.match(text, /^sensorhub_serial_requests_timed_out_total\{port="\/dev\/ttyUSB0",name="bench"\} 1$/m);
        });

        it('writes exactly the pinned exposition text for a full snapshot', function () {
            const gateway = {
                connections: 3,
                pending: 1,
                devicesOnline: 2,
                readings: 40,
                commands: 4,
                authChecks: 5,
                throttledAddresses: 0,
                throttledDevices: 1,
                refused: { 'bad-json': 2, 'rate-limited': 1 },
            };
            const port = {
                id: 'p1',
                name: 'bench',
                path: '/dev/ttyUSB0',
                state: 'open',
                lines: 3,
                oversized: 0,
                requests: 2,
                requestsTimedOut: 1,
                lateAnswers: 0,
                reconnects: 0,
                queued: 1,
            };
            const mqtt = {
                sent: 5,
                received: 2,
                buffered: 1,
                bufferDropped: 0,
                echoesDropped: 0,
                duplicatesDropped: 0,
                decodeErrors: 0,
                reconnects: 1,
            };
            const extra = new MetricsRegistry();
            extra.register({ id: 'g1', type: 'sensorhub-gateway', name: 'devices' }, () => gateway);
            extra.register({ id: 'z1', type: 'sensorhub-device', name: 'zigbee' }, () => DEVICE_FIGURES);
            const text = exposition({ serialPorts: () => [port], bridge: () => mqtt }, extra);
            const pinned = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'monitor-exposition.txt'), 'utf8');
            assert.equal(text, pinned);
        });

        it('writes the latest reading of each sensor with stable label names, and the bound', function () {
            const registry = new MetricsRegistry();
            const { hub, collector } = setup({ nodes: () => registry.collect(), readings: 1 });
            const at = { status: 'ok', ts: 1_700_000_000_500, latencyMs: 1, seq: 1 };
            const sensor = { id: 'kitchen/t"1', kind: 'temperature', location: 'kitchen\nnorth', unit: '°C' };
            hub.publish('temperature_update', { payload: 21.5, sensor, reading: at });
            hub.publish('humidity_update', { payload: 40, sensor: { id: 'h1' }, reading: at });
            const text = formatPrometheus(prometheusFamilies(collector.snapshot()));
            const labels =
                'hub="home",sensor_id="kitchen/t\\"1",kind="temperature",unit="°C",location="kitchen\\nnorth"';
            assert.ok(text.includes(`\nsensorhub_reading{${labels}} 21.5\n`), text);
            assert.ok(text.includes(`\nsensorhub_reading_timestamp_seconds{${labels}} 1700000000.5\n`), text);
            assert.match(text, /^# TYPE sensorhub_reading gauge$/m);
            assert.match(text, /^sensorhub_readings_sensors\{hub="home"\} 1$/m);
            assert.match(text, /^sensorhub_readings_dropped_total\{hub="home"\} 1$/m);
            assert.doesNotMatch(text, /sensor_id="h1"/);
        });

        it('types quantiles as a summary', function () {
            const text = exposition();
            assert.match(text, /^# TYPE sensorhub_fleet_read_latency_seconds summary$/m);
            assert.match(text, /^# TYPE sensorhub_event_loop_delay_seconds summary$/m);
            assert.match(text, /^# TYPE sensorhub_event_loop_delay_max_seconds gauge$/m);
        });

        it('gives every family one HELP and one TYPE line, counters named _total', function () {
            const text = exposition();
            const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
            const names = types.map(([n]) => n);
            assert.equal(new Set(names).size, names.length);
            assert.equal([...text.matchAll(/^# HELP /gm)].length, names.length);
            for (const [name, type] of types) assert.equal(name.endsWith('_total'), type === 'counter', name);
        });
    });
});
