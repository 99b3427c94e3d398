'use strict';
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { EventHub } = require('../../src/core/hub/hub');
const { MetricsRegistry } = require('../../src/core/shared/metrics-registry');
const {
    SidebarFeed,
    summariseValue,
    summariseEvent,
    jsonPrefix,
    sensorRow,
    fleetRow,
    lightRow,
    doorLockRow,
    thresholdRow,
    deviceNodeRow,
    SIDEBAR_MAX_DEVICES,
    SIDEBAR_MAX_DEVICE_SENSORS,
    VALUE_MAX_CHARS,
    SIDEBAR_LEASE_MS,
    SIDEBAR_PERIOD_MS,
    SIDEBAR_MAX_WATCHERS,
} = require('../../src/core/sidebar/sidebar');
const { fieldsOf, textOf } = require('../helpers/types');
const { DeviceSource, parseDeviceNodeConfig } = require('../../src/core/devices');

/** Timers that fire only when the test moves time on. */
function fakeClock(start = 1_700_000_000_000) {
    let t = start;
    let seq = 0;
    const timers = new Map();
    return {
        now: () => t,
        setTimeout(fn, ms) {
            const id = ++seq;
            timers.set(id, { at: t + ms, fn });
            return id;
        },
        clearTimeout(id) {
            timers.delete(id);
        },
        get pending() {
            return timers.size;
        },
        advance(ms) {
            const end = t + ms;
            for (;;) {
                const due = [...timers].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
                if (!due) break;
                timers.delete(due[0]);
                t = due[1].at;
                due[1].fn();
            }
            t = end;
        },
    };
}

function setup(extra = {}) {
    const clock = fakeClock();
    const hub = new EventHub({ idPrefix: 't' });
    const registry = new MetricsRegistry();
    const published = [];
    /** @type {import('../../src/core/sidebar/sidebar').SidebarHubSource[]} */
    let hubs = [{ id: 'hub1', name: 'home', backend: 'local', hub }];
    const feed = new SidebarFeed({
        hubs: () => hubs,
        nodes: () => registry.collect(),
        nameOf: (id) => (id === 'sub1' ? 'kitchen' : undefined),
        publish: (s) => published.push(s),
        clock,
        ...extra,
    });
    return {
        clock,
        hub,
        registry,
        published,
        feed,
        setHubs: (h) => {
            hubs = h;
        },
    };
}

function publishMany(hub, type, n) {
    for (let i = 0; i < n; i++) hub.publish(type, { payload: i });
}

describe('core/sidebar', function () {
    describe('SidebarFeed', function () {
        it('does nothing, not even listening to hubs, until an editor watches', function () {
            const { clock, hub, published, feed } = setup();
            publishMany(hub, 'a', 3);
            clock.advance(SIDEBAR_LEASE_MS * 2);
            assert.equal(published.length, 0);
            assert.equal(clock.pending, 0);
            assert.equal(feed.active, false);
            assert.equal(hub['publishListeners'], undefined);
        });

        it('publishes one snapshot per period while watched, with rates and totals per type', function () {
            const { clock, hub, published, feed } = setup();
            feed.watch('e1');
            assert.equal(feed.active, true);
            publishMany(hub, 'temperature_update', 4);
            publishMany(hub, 'motion_detected', 1);
            clock.advance(SIDEBAR_PERIOD_MS);
            assert.equal(published.length, 1);
            const [h] = published[0].hubs;
            assert.equal(h.id, 'hub1');
            assert.equal(h.name, 'home');
            assert.equal(h.rate, 5);
            assert.deepEqual(
                h.types.map((t) => [t.type, t.count, t.rate, t.total]),
                [
                    ['motion_detected', 1, 1, 1],
                    ['temperature_update', 4, 4, 4],
                ],
            );
            publishMany(hub, 'temperature_update', 2);
            clock.advance(SIDEBAR_PERIOD_MS);
            assert.equal(published.length, 2);
            const types = published[1].hubs[0].types;
            assert.deepEqual(
                types.map((t) => [t.type, t.rate, t.total]),
                [
                    ['motion_detected', 0, 1],
                    ['temperature_update', 2, 6],
                ],
            );
        });

        it('shows the totals of events that came before anyone watched, and rates only from then on', function () {
            const { clock, hub, published, feed } = setup();
            publishMany(hub, 'temperature_update', 30);
            publishMany(hub, 'motion_detected', 2);
            clock.advance(60_000);
            feed.watch('e1');
            clock.advance(SIDEBAR_PERIOD_MS);
            assert.deepEqual(
                published[0].hubs[0].types.map((t) => [t.type, t.total, t.count, t.rate, t.value, t.ageMs]),
                [
                    ['motion_detected', 2, 0, 0, undefined, undefined],
                    ['temperature_update', 30, 0, 0, undefined, undefined],
                ],
            );
            publishMany(hub, 'temperature_update', 3);
            clock.advance(SIDEBAR_PERIOD_MS);
            const t = published[1].hubs[0].types.find((x) => x.type === 'temperature_update');
            assert.deepEqual([t.total, t.count, t.rate, t.value], [33, 3, 3, '2']);
        });

        it('lists the types with the most events by name, the rest as other with their total', function () {
            const { clock, hub, published, feed } = setup({ maxTypes: 2 });
            publishMany(hub, 'rare', 1);
            publishMany(hub, 'busy', 5);
            publishMany(hub, 'mid', 3);
            feed.watch('e1');
            publishMany(hub, 'rare', 2);
            clock.advance(SIDEBAR_PERIOD_MS);
            const h = published[0].hubs[0];
            assert.deepEqual(
                h.types.map((t) => [t.type, t.total]),
                [
                    ['busy', 5],
                    ['mid', 3],
                ],
            );
            assert.deepEqual(h.other, { count: 2, rate: 2, total: 3 });
        });

        it("gives each type's age since its last event", function () {
            const { clock, hub, published, feed } = setup();
            feed.watch('e1');
            hub.publish('a', {});
            clock.advance(400);
            hub.publish('b', {});
            clock.advance(SIDEBAR_PERIOD_MS - 400);
            const ages = Object.fromEntries(published[0].hubs[0].types.map((t) => [t.type, t.ageMs]));
            assert.deepEqual(ages, { a: 1000, b: 600 });
        });

        it("gives each type's last value, a reading with its unit", function () {
            const { clock, hub, published, feed } = setup();
            feed.watch('e1');
            const sensor = { id: 't1', kind: 'temperature', location: 'hall', unit: '°C' };
            hub.publish('temperature_update', { payload: 20.9, sensor });
            hub.publish('temperature_update', { payload: 21.4, sensor });
            hub.publish('motion_detected', { payload: true, sensor: { id: 'm1', unit: '' } });
            hub.publish('power', { payload: { value: 3.5, unit: 'kW', phase: 2 } });
            hub.publish('door_alert', { payload: { reason: 'motion_while_locked', location: 'front door', ts: 1 } });
            hub.publish('tick', { topic: 'no payload' });
            clock.advance(SIDEBAR_PERIOD_MS);
            const values = Object.fromEntries(published[0].hubs[0].types.map((t) => [t.type, t.value]));
            assert.deepEqual(values, {
                temperature_update: '21.4 °C',
                motion_detected: 'true',
                power: '3.5 kW',
                door_alert: '{"reason":"motion_while_locked","locati…',
                tick: undefined,
            });
            clock.advance(SIDEBAR_PERIOD_MS);
            const again = published[1].hubs[0].types.find((t) => t.type === 'temperature_update');
            assert.deepEqual([again.value, again.rate, again.ageMs], ['21.4 °C', 0, 2 * SIDEBAR_PERIOD_MS]);
        });

        it('formats a value only when a snapshot is built, once per type, however many events came', function () {
            const { clock, hub, published, feed } = setup();
            let formatted = 0;
            const payload = (n) => ({
                toJSON() {
                    formatted++;
                    return { n };
                },
            });
            feed.watch('e1');
            for (let i = 0; i < 1000; i++) hub.publish('a', { payload: payload(i) });
            assert.equal(formatted, 0);
            clock.advance(SIDEBAR_PERIOD_MS);
            assert.equal(formatted, 1);
            assert.equal(published[0].hubs[0].types[0].value, '{"n":999}');
        });

        it('keeps what the publisher sent, whatever a subscriber does to the message afterwards', function () {
            const { clock, hub, published, feed } = setup();
            // A lone subscriber of a message its publisher gave up gets that very object.
            hub.subscribe(
                (msg) => {
                    msg.payload = 'changed downstream';
                },
                { patterns: ['#'], name: 'sub1' },
            );
            feed.watch('e1');
            hub.publish('a', { payload: 7 }, '', false, true);
            clock.advance(SIDEBAR_PERIOD_MS);
            assert.equal(published[0].hubs[0].types[0].value, '7');
        });

        it('gives the last value of events from a broker too', function () {
            const { clock, hub, published, feed } = setup();
            feed.watch('e1');
            hub.inject(
                Object.freeze({
                    topic: 'x',
                    payload: 5,
                    sensor: { unit: 'lx' },
                    event: { type: 'x', id: '1', ts: 0, source: '' },
                }),
            );
            clock.advance(SIDEBAR_PERIOD_MS);
            assert.equal(published[0].hubs[0].types[0].value, '5 lx');
        });

        it('keeps the last event of at most maxTypes types, like the totals', function () {
            const { clock, hub, published, feed } = setup({ maxTypes: 2 });
            feed.watch('e1');
            for (const t of ['a', 'b', 'c']) hub.publish(t, { payload: t });
            hub.publish('a', { payload: 'a2' });
            clock.advance(SIDEBAR_PERIOD_MS);
            assert.deepEqual(
                published[0].hubs[0].types.map((t) => [t.type, t.value]),
                [
                    ['a', 'a2'],
                    ['b', 'b'],
                ],
            );
        });

        it('lists subscribers with patterns, queue depth, drops and names', function () {
            const { clock, hub, published, feed } = setup();
            hub.subscribe(() => {}, { patterns: ['sensor/#'], name: 'sub1' });
            feed.watch('e1');
            clock.advance(SIDEBAR_PERIOD_MS);
            const [s] = published[0].hubs[0].subscribers;
            assert.equal(s.id, 'sub1');
            assert.equal(s.name, 'kitchen');
            assert.deepEqual(s.patterns, ['sensor/#']);
            assert.equal(s.queued, 0);
            assert.equal(s.dropped, 0);
        });

        it('stops by itself when the watch is not renewed within the lease, and releases the hub', function () {
            const { clock, hub, published, feed } = setup();
            feed.watch('e1');
            clock.advance(SIDEBAR_LEASE_MS + SIDEBAR_PERIOD_MS);
            const n = published.length;
            assert.ok(n > 0);
            assert.equal(feed.active, false);
            assert.equal(clock.pending, 0);
            assert.equal(hub['publishListeners'], undefined);
            clock.advance(SIDEBAR_LEASE_MS);
            assert.equal(published.length, n);
        });

        it('keeps going while renewed, and starts no second timer on renewal', function () {
            const { clock, published, feed } = setup();
            feed.watch('e1');
            for (let i = 0; i < 5; i++) {
                clock.advance(SIDEBAR_LEASE_MS / 2);
                feed.watch('e1');
                assert.equal(clock.pending, 1);
            }
            assert.equal(feed.active, true);
            assert.equal(published.length, (5 * SIDEBAR_LEASE_MS) / 2 / SIDEBAR_PERIOD_MS);
        });

        it('follows redeploys: new hubs appear, removed ones are released', function () {
            const { clock, hub, published, feed, setHubs } = setup();
            feed.watch('e1');
            clock.advance(SIDEBAR_PERIOD_MS);
            const other = new EventHub({ idPrefix: 'u' });
            setHubs([{ id: 'hub2', name: '', backend: 'mqtt', hub: other }]);
            other.publish('x', {});
            clock.advance(SIDEBAR_PERIOD_MS);
            assert.equal(hub['publishListeners'], undefined);
            assert.deepEqual(
                published.at(-1).hubs.map((h) => [h.id, h.backend]),
                [['hub2', 'mqtt']],
            );
            // A new hub's totals count from its start; its rates from when the feed first saw it.
            other.publish('x', {});
            clock.advance(SIDEBAR_PERIOD_MS);
            assert.deepEqual(
                published.at(-1).hubs[0].types.map((t) => [t.type, t.total, t.count]),
                [['x', 2, 1]],
            );
        });

        it('bounds the types listed by name and sums the rest as other', function () {
            const { clock, hub, published, feed } = setup({ maxTypes: 2 });
            feed.watch('e1');
            for (const t of ['a', 'b', 'c', 'd']) hub.publish(t, {});
            clock.advance(SIDEBAR_PERIOD_MS);
            const h = published[0].hubs[0];
            assert.equal(h.types.length, 2);
            assert.equal(h.other.count, 2);
        });

        it('survives a failing publish: it reports the error and the next period still comes', function () {
            let calls = 0;
            const errors = [];
            const { clock, feed } = setup({
                publish: () => {
                    calls++;
                    throw new Error('comms down');
                },
                onError: (err) => errors.push(err.message),
            });
            feed.watch('e1');
            clock.advance(2 * SIDEBAR_PERIOD_MS);
            assert.equal(calls, 2);
            assert.deepEqual(errors, ['comms down', 'comms down']);
            assert.equal(feed.active, true);
            feed.close();
        });

        it('keeps editors apart: one leaving does not stop the feed for another', function () {
            const { clock, hub, published, feed } = setup();
            feed.watch('e1');
            feed.watch('e2');
            assert.equal(feed.watchers, 2);
            feed.unwatch('e1');
            clock.advance(SIDEBAR_PERIOD_MS);
            assert.equal(published.length, 1);
            assert.equal(feed.watchers, 1);
            feed.unwatch('e2');
            assert.equal(feed.active, false);
            assert.equal(clock.pending, 0);
            assert.equal(hub['publishListeners'], undefined);
        });

        it('runs while any lease is current, and counts only current ones', function () {
            const { clock, feed } = setup();
            feed.watch('e1');
            clock.advance(SIDEBAR_LEASE_MS / 2);
            feed.watch('e2');
            clock.advance(SIDEBAR_LEASE_MS / 2 + SIDEBAR_PERIOD_MS);
            assert.equal(feed.watchers, 1);
            assert.equal(feed.active, true);
            clock.advance(SIDEBAR_LEASE_MS);
            assert.equal(feed.active, false);
        });

        it('forgets the longest-silent editor beyond the watcher bound', function () {
            const { feed } = setup();
            for (let i = 0; i <= SIDEBAR_MAX_WATCHERS; i++) feed.watch(`e${i}`);
            assert.equal(feed.watchers, SIDEBAR_MAX_WATCHERS);
            feed.unwatch('e0');
            assert.equal(feed.watchers, SIDEBAR_MAX_WATCHERS);
            feed.close();
        });

        it('close() stops at once and releases every hub', function () {
            const { clock, hub, published, feed } = setup();
            feed.watch('e1');
            feed.close();
            clock.advance(SIDEBAR_LEASE_MS);
            assert.equal(published.length, 0);
            assert.equal(clock.pending, 0);
            assert.equal(hub['publishListeners'], undefined);
        });

        it('reports sensors and fleets from the registry as rows', function () {
            const { clock, registry, published, feed } = setup();
            const t0 = clock.now();
            registry.register({ id: 's1', type: 'sensorhub-sensor', name: 't1' }, () => ({
                status: 'ok',
                ts: t0,
                latencyMs: 12,
                seq: 1,
            }));
            registry.register({ id: 'f1', type: 'sensorhub-fleet', name: '' }, () => undefined);
            registry.register({ id: 'm1', type: 'sensorhub-monitor', name: '' }, () => ({}));
            feed.watch('e1');
            clock.advance(SIDEBAR_PERIOD_MS);
            const s = published[0];
            assert.deepEqual(
                s.sensors.map((n) => [n.id, n.name, n.health, n.latencyMs, n.ageMs]),
                [['s1', 't1', 'ok', 12, 1000]],
            );
            assert.deepEqual(
                s.fleets.map((n) => [n.id, n.health]),
                [['f1', undefined]],
            );
            assert.deepEqual([s.lights, s.doorLocks, s.thresholds], [[], [], []]);
        });

        it('reports lights, door locks and thresholds from the registry as rows', function () {
            const { clock, registry, published, feed } = setup();
            const t0 = clock.now();
            registry.register({ id: 'l1', type: 'sensorhub-light', name: 'porch' }, () => ({
                state: 'on',
                brightness: 80,
                mode: 'manual',
                eventsHandled: 4,
                commandsSent: 1,
                lastReason: 'manual',
                lastChangeTs: t0,
            }));
            registry.register({ id: 'd1', type: 'sensorhub-door-lock', name: '' }, () => ({
                state: 'locked',
                lockedOut: false,
                alertsRaised: 2,
                wrongCodes: 1,
                lockouts: 0,
                jams: 0,
            }));
            registry.register({ id: 'th1', type: 'sensorhub-threshold', name: 'temps' }, () => ({
                sensors: 3,
                alarmsActive: 1,
                staleActive: 0,
                alarmsRaised: 1,
                alarmsCleared: 0,
                refused: 0,
            }));
            feed.watch('e1');
            clock.advance(SIDEBAR_PERIOD_MS);
            const s = published[0];
            assert.deepEqual(s.lights, [
                {
                    id: 'l1',
                    name: 'porch',
                    health: 'ok',
                    state: 'on',
                    brightness: 80,
                    mode: 'manual',
                    reason: 'manual',
                    ageMs: SIDEBAR_PERIOD_MS,
                },
            ]);
            assert.deepEqual(s.doorLocks, [
                {
                    id: 'd1',
                    name: '',
                    health: 'ok',
                    state: 'locked',
                    alerts: 2,
                    wrongCodes: 1,
                    lockouts: 0,
                    jams: 0,
                },
            ]);
            assert.deepEqual(s.thresholds, [
                { id: 'th1', name: 'temps', health: 'alarm', sensors: 3, alarms: 1, stale: 0 },
            ]);
        });
    });

    describe('rows', function () {
        /** A real devices source (Home Assistant discovery) on a clock the test sets. */
        function devicesSource(profile = 'homeassistant', extra = {}) {
            let t = 1000;
            const clock = { now: () => t, setTimeout: () => 0, clearTimeout: () => {} };
            const config = fieldsOf(parseDeviceNodeConfig({ profile, ...extra })).config;
            const source = new DeviceSource(config, { reading() {}, failure() {}, event() {}, problem() {} }, clock);
            const feed = (topic, payload) => source.handle(topic, Buffer.from(JSON.stringify(payload)));
            return { source, feed, at: (ms) => (t = ms) };
        }

        it("deviceNodeRow: a devices node's found devices with topic, sensors, values with units, ages and problems", function () {
            const { source, feed, at } = devicesSource();
            feed('homeassistant/sensor/hallT/config', {
                stat_t: 'home/hall/temperature',
                dev_cla: 'temperature',
                unit_of_meas: '°C',
            });
            feed('home/hall/temperature', 21.5);
            at(4000);
            source.handle('home/hall/temperature', Buffer.from('unavailable'));
            source.handle('homeassistant/sensor/bad/config', Buffer.from('{'));
            const row = deviceNodeRow({ id: 'd1', name: 'ha', profile: 'homeassistant', source }, 6000);
            assert.deepEqual(
                [row.id, row.name, row.profile, row.health, row.devices, row.problems],
                ['d1', 'ha', 'homeassistant', 'failed', 1, 1],
            );
            assert.deepEqual(row.found, [
                {
                    id: 'hallT',
                    topic: 'home/hall/temperature',
                    online: null,
                    ageMs: 2000,
                    sensors: [
                        {
                            id: 'hallT/hallT',
                            kind: 'temperature',
                            unit: '°C',
                            status: 'error',
                            value: undefined,
                            ageMs: 2000,
                        },
                    ],
                },
            ]);
            assert.equal(row.entitiesTotal, 1);
            assert.equal(row.entities[0].stateTopic, 'home/hall/temperature');
            feed('home/hall/temperature', 22);
            const later = deviceNodeRow({ id: 'd1', name: 'ha', profile: 'homeassistant', source }, 6000);
            assert.equal(later.found[0].sensors[0].value, '22 °C');
            source.close();
        });

        it('deviceNodeRow: lists a bounded number of devices, entities and sensors, and counts them all', function () {
            const { source, feed } = devicesSource('generic', { pattern: 'things/+/+', kind: 'generic' });
            for (let i = 0; i < SIDEBAR_MAX_DEVICES + 5; i++) feed(`things/d${i}/v`, i);
            for (let i = 0; i < SIDEBAR_MAX_DEVICE_SENSORS + 5; i++) feed(`things/d0/s${i}`, i);
            const row = deviceNodeRow({ id: 'g', name: '', profile: 'generic', source }, 2000);
            assert.equal(row.found.length, SIDEBAR_MAX_DEVICES);
            assert.equal(row.devices, SIDEBAR_MAX_DEVICES + 5);
            assert.equal(row.found[0].sensors.length, SIDEBAR_MAX_DEVICE_SENSORS);
            assert.equal(row.health, 'ok');
            assert.equal(
                deviceNodeRow({ id: 'g', name: '', profile: 'generic', source: devicesSource().source }, 0).health,
                undefined,
            );
            source.close();
        });

        it('sensorRow: failed statuses, errors, no figures yet', function () {
            const now = 5000;
            assert.equal(sensorRow({ id: 'a', type: 't', name: '', metrics: null }, now).health, undefined);
            const r = sensorRow(
                {
                    id: 'a',
                    type: 't',
                    name: '',
                    metrics: { status: 'timeout', ts: 4000, latencyMs: 500, error: 'late' },
                },
                now,
            );
            assert.deepEqual(
                [r.health, r.latencyMs, r.ageMs, r.error, r.value],
                ['failed', 500, 1000, 'late', undefined],
            );
            const broken = sensorRow({ id: 'a', type: 't', name: '', metrics: null, error: 'boom' }, now);
            assert.equal(broken.error, 'boom');
            const withValue = sensorRow({ id: 'a', type: 't', name: '', metrics: { status: 'ok', value: 21.5 } }, now);
            assert.equal(withValue.value, '21.5');
        });

        it('fleetRow: failed when any read of the last cycle failed', function () {
            const base = { id: 'f', type: 'sensorhub-fleet', name: 'f' };
            const ok = fleetRow({ ...base, metrics: { ok: 3, failed: 0, durationMs: 40, startedAt: 900 } }, 1000);
            assert.deepEqual([ok.health, ok.ok, ok.failed, ok.latencyMs, ok.ageMs], ['ok', 3, 0, 40, 100]);
            assert.equal(fleetRow({ ...base, metrics: { ok: 2, failed: 1 } }, 1000).health, 'failed');
            assert.equal(fleetRow({ ...base, metrics: {} }, 1000).health, undefined);
        });

        it('lightRow: no state yet, and only known states, modes and reasons', function () {
            const base = { id: 'l', type: 'sensorhub-light', name: '' };
            assert.equal(lightRow({ ...base, metrics: null }, 0).health, undefined);
            const odd = lightRow({ ...base, metrics: { state: 'dim', mode: 'party', lastReason: 'whim' } }, 0);
            assert.deepEqual(
                [odd.health, odd.state, odd.mode, odd.reason, odd.ageMs],
                [undefined, undefined, undefined, undefined, undefined],
            );
            const off = lightRow(
                { ...base, metrics: { state: 'off', mode: 'auto', lastReason: 'timeout', lastChangeTs: 900 } },
                1000,
            );
            assert.deepEqual([off.health, off.state, off.reason, off.ageMs], ['ok', 'off', 'timeout', 100]);
            assert.equal(lightRow({ ...base, metrics: null, error: 'boom' }, 0).error, 'boom');
        });

        it('doorLockRow: failed while jammed, an alarm while locked out', function () {
            const base = { id: 'd', type: 'sensorhub-door-lock', name: '' };
            assert.equal(doorLockRow({ ...base, metrics: null }).health, undefined);
            assert.equal(doorLockRow({ ...base, metrics: { state: 'jammed', lockedOut: true } }).health, 'failed');
            assert.equal(doorLockRow({ ...base, metrics: { state: 'locked', lockedOut: true } }).health, 'alarm');
            assert.equal(doorLockRow({ ...base, metrics: { state: 'unlocking', lockedOut: false } }).health, 'ok');
            assert.equal(doorLockRow({ ...base, metrics: { state: 'ajar' } }).state, undefined);
        });

        it('thresholdRow: an alarm while any alarm is raised', function () {
            const base = { id: 't', type: 'sensorhub-threshold', name: '' };
            assert.equal(thresholdRow({ ...base, metrics: null }).health, undefined);
            const quiet = thresholdRow({ ...base, metrics: { sensors: 2, alarmsActive: 0, staleActive: 0 } });
            assert.deepEqual([quiet.health, quiet.sensors, quiet.alarms, quiet.stale], ['ok', 2, 0, 0]);
            assert.equal(thresholdRow({ ...base, metrics: { alarmsActive: 2, staleActive: 2 } }).health, 'alarm');
        });

        it('summariseEvent: a number with its unit, else the payload summarised', function () {
            assert.equal(summariseEvent(21.4, { unit: '°C' }), '21.4 °C');
            assert.equal(summariseEvent(21.4, { unit: '' }), '21.4');
            assert.equal(summariseEvent(21.4, undefined), '21.4');
            assert.equal(summariseEvent(21.4, { unit: 5 }), '21.4');
            assert.equal(summariseEvent({ value: 400, unit: 'ppm' }), '400 ppm');
            assert.equal(summariseEvent({ value: '400', unit: 'ppm' }), '{"value":"400","unit":"ppm"}');
            assert.equal(summariseEvent('on', { unit: '°C' }), 'on');
            assert.equal(summariseEvent(undefined, { unit: '°C' }), undefined);
            assert.equal(fieldsOf(summariseEvent(1, { unit: 'u'.repeat(100) })).length, VALUE_MAX_CHARS);
            const hostile = {
                get value() {
                    throw new Error('no');
                },
            };
            assert.equal(summariseEvent(hostile), undefined);
        });

        it('summariseValue reads no more of a large value than it shows', function () {
            let reads = 0;
            const big = new Proxy(
                Array.from({ length: 100_000 }, (_, i) => i),
                {
                    get(target, key, receiver) {
                        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
                        return Reflect.get(target, key, receiver);
                    },
                },
            );
            const text = summariseValue(big);
            assert.equal(
                text,
                `${JSON.stringify(Array.from({ length: 20 }, (_, i) => i)).slice(0, VALUE_MAX_CHARS - 1)}…`,
            );
            assert.ok(reads < 30, `${reads} elements read`);
            assert.equal(fieldsOf(summariseValue({ s: 'x'.repeat(1_000_000) })).length, VALUE_MAX_CHARS);
        });

        it('jsonPrefix is JSON.stringify, cut after max characters', function () {
            fc.assert(
                fc.property(
                    fc.anything({
                        withBoxedValues: true,
                        withSparseArray: true,
                        withNullPrototype: true,
                        withDate: true,
                        withMap: true,
                        withSet: true,
                        withTypedArray: true,
                    }),
                    fc.integer({ min: 0, max: 60 }),
                    (value, max) => {
                        const full = JSON.stringify(value);
                        const prefix = jsonPrefix(value, max);
                        if (full === undefined) return assert.equal(prefix, undefined);
                        assert.ok(prefix !== undefined);
                        if (full.length <= max) return assert.equal(prefix, full);
                        assert.ok(prefix.length > max, `${prefix} is longer than ${max}`);
                        assert.equal(prefix.slice(0, max + 1), full.slice(0, max + 1));
                    },
                ),
                { numRuns: 500 },
            );
        });

        it('never cuts a surrogate pair in half', function () {
            for (let n = 30; n < 45; n++) {
                const text = 'a'.repeat(n) + '😀'.repeat(5);
                assert.equal(textOf(jsonPrefix(text, 40)).slice(0, 41), JSON.stringify(text).slice(0, 41));
                const short = textOf(summariseValue(text));
                assert.ok(short.length <= VALUE_MAX_CHARS);
                assert.ok(short.isWellFormed(), JSON.stringify(short));
            }
        });

        it('jsonPrefix throws on cycles and BigInts, as JSON.stringify does', function () {
            const cyclic = { a: 1 };
            cyclic.self = cyclic;
            assert.throws(() => jsonPrefix(cyclic, 1000), TypeError);
            assert.throws(() => jsonPrefix({ n: 10n }, 1000), TypeError);
            assert.equal(
                jsonPrefix({ f() {}, s: Symbol('s'), u: undefined, a: [undefined, () => 1] }, 100),
                '{"a":[null,null]}',
            );
            assert.equal(jsonPrefix(new Date(0), 100), '"1970-01-01T00:00:00.000Z"');
        });

        it('summariseValue keeps values to one short line', function () {
            assert.equal(summariseValue(undefined), undefined);
            assert.equal(summariseValue(true), 'true');
            assert.equal(summariseValue(null), 'null');
            assert.equal(summariseValue({ a: 1 }), '{"a":1}');
            const long = textOf(summariseValue('x'.repeat(500)));
            assert.equal(long.length, VALUE_MAX_CHARS);
            assert.ok(long.endsWith('…'));
            const cyclic = {};
            cyclic.self = cyclic;
            assert.equal(summariseValue(cyclic), '[object Object]');
            assert.equal(summariseValue(10n), '[object BigInt]');
            assert.equal(
                summariseValue(() => 1),
                'function',
            );
        });
    });
});
