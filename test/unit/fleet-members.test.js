'use strict';
const assert = require('node:assert/strict');
const { fleetMember, memberSeed } = require('../../src/core/fleet/members');
const { BatchItems, cycleMessages, resultMessage, sentAlone } = require('../../src/core/fleet/output');
const { fleetStatus } = require('../../src/core/fleet/status');
const { ReadError } = require('../../src/core/shared/reading');
const { stub } = require('../helpers/types');

/** @typedef {import('../../src/core/shared/reading').SensorInfo} SensorInfo */
/** @typedef {import('../../src/core/fleet/fleet').FleetResult<import('../../src/core/shared/reading').ReadingValue>} Result */

/** @type {SensorInfo} */
const TEMP = { id: 's1', kind: 'temperature', location: 'hall', unit: '°C' };
/** @type {SensorInfo} */
const MOTION = { id: 'm1', kind: 'motion', location: '', unit: '' };
/**
 * @param {SensorInfo} sensor
 * @param {import('../../src/core/fleet/config').MemberSource} [source]
 * @returns {import('../../src/core/fleet/config').MemberSpec}
 */
const spec = (sensor, source = 'simulated', command = '') => ({
    sensor,
    eventType: sensor.kind === 'motion' ? 'motion_detected' : 'temperature_update',
    source,
    command,
});

/**
 * @param {string} answer
 * @param {Partial<import('../../src/core/fleet/members').MemberSources>} [overrides]
 * @returns {import('../../src/core/fleet/members').MemberSources & { asked: { command: string, timeoutMs?: number }[] }}
 */
function sources(answer, overrides = {}) {
    const asked = [];
    return {
        asked,
        port: {
            request(command, timeoutMs) {
                asked.push({ command, timeoutMs });
                return Promise.resolve(answer);
            },
        },
        serial: { port: 'p', command: 'R {{id}}', spec: { format: 'number' } },
        timeoutMs: 300,
        simulation: { seed: 7, latencyMinMs: 0, latencyMaxMs: 0, failureProbability: 0 },
        seedBase: 7,
        sleep: () => Promise.resolve(),
        ...overrides,
    };
}

describe('core/fleet members and output', function () {
    it("a serial member asks with its own request, else the source's", async function () {
        const from = sources('21.5');
        await fleetMember(spec(TEMP, 'serial', 'GET {{id}}'), 0, from).read();
        await fleetMember(spec({ ...TEMP, id: 's2' }, 'serial'), 1, from).read();
        assert.deepEqual(from.asked, [
            { command: 'GET s1', timeoutMs: 300 },
            { command: 'R s2', timeoutMs: 300 },
        ]);
    });

    it('a serial answer of the wrong type for the kind is a failed read (error)', async function () {
        const member = fleetMember(spec(MOTION, 'serial'), 0, sources('7'));
        await assert.rejects(member.read(), (err) => err instanceof ReadError && err.status === 'error');
    });

    it("without a port a serial member is simulated; simulated values have the kind's type", async function () {
        const from = sources('1', { port: undefined });
        const temp = await fleetMember(spec(TEMP, 'serial'), 0, from).read();
        const motion = await fleetMember(spec(MOTION), 1, from).read();
        assert.equal(typeof temp, 'number');
        assert.equal(typeof motion, 'boolean');
        assert.deepEqual(from.asked, []);
    });

    it("a fleet's seed fixes each member's values; positions differ", async function () {
        const reads = async (seedBase) => {
            const from = sources('', { port: undefined, seedBase });
            const members = [0, 1].map((i) => fleetMember(spec({ ...TEMP, id: `s${i}` }), i, from));
            return Promise.all(members.map((m) => m.read()));
        };
        const [a, b] = [await reads(42), await reads(42)];
        assert.deepEqual(a, b);
        assert.notEqual(a[0], a[1]);
        assert.notEqual(memberSeed(42, 0), memberSeed(42, 1));
    });

    /** @type {import('../../src/core/fleet/fleet').FleetMember<import('../../src/core/shared/reading').ReadingValue>} */
    const member = {
        info: TEMP,
        eventType: 'temperature_update',
        read: () => Promise.reject(new Error('not read here')),
    };
    /** @type {Result} */
    const ok = { member, status: 'ok', value: 20.5, ts: 1000, latencyMs: 12, seq: 3, probe: false };
    /** @type {Result} */
    const failed = {
        member,
        status: 'timeout',
        error: new Error('slow'),
        ts: 1001,
        latencyMs: 300,
        seq: 4,
        probe: false,
    };

    it('shapes a reading as the reading contract, a failure with its status and reason', function () {
        const say = (err) => `said: ${err.message}`;
        assert.deepEqual(resultMessage(ok, say), {
            ok: true,
            msg: {
                topic: 'temperature_update',
                payload: 20.5,
                sensor: TEMP,
                reading: { status: 'ok', ts: 1000, latencyMs: 12, seq: 3 },
            },
        });
        const bad = resultMessage(failed, say);
        assert.equal(bad.ok, false);
        assert.deepEqual(bad.msg.payload, { status: 'timeout', message: 'said: slow' });
        assert.equal(/** @type {{ status?: string }} */ (bad.msg.reading).status, 'timeout');
        assert.notEqual(bad.msg.sensor, TEMP, 'each message has its own copy of the sensor');
    });

    it('readings go out alone in stream output only; failures always', function () {
        assert.deepEqual(
            [sentAlone(ok, 'stream'), sentAlone(ok, 'batch'), sentAlone(failed, 'stream'), sentAlone(failed, 'batch')],
            [true, false, true, true],
        );
    });

    it("a cycle's messages: its statistics, and the batch of its results in batch output", function () {
        const stats = { ok: 1, failed: 1 };
        // cycleMessages passes the statistics on as they are: two of their fields stand for all of them
        const outcome = { stats: stub(stats), results: [ok, failed] };
        const say = (err) => err.message;
        assert.deepEqual(cycleMessages(outcome, 'stream', say), {
            batch: undefined,
            stats: { topic: 'fleet_stats', payload: stats },
        });
        const { batch } = cycleMessages(outcome, 'batch', say);
        assert.ok(batch);
        assert.equal(batch.topic, 'fleet_cycle');
        assert.equal(batch.stats, stats);
        assert.deepEqual(batch.payload, [resultMessage(ok, say).msg, resultMessage(failed, say).msg]);
    });

    it('a batch made as results arrive: the same messages, and each take starts the next batch', function () {
        const stats = { ok: 1, failed: 1 };
        const say = (err) => err.message;
        const items = new BatchItems(say);
        items.add(ok);
        items.add(failed);
        const first = items.take();
        assert.deepEqual(first, [resultMessage(ok, say).msg, resultMessage(failed, say).msg]);
        items.add(ok);
        assert.deepEqual(items.take(), [resultMessage(ok, say).msg]);
        assert.deepEqual(items.take(), []);
        const outcome = { stats: stub(stats), results: [] };
        const { batch } = cycleMessages(outcome, 'batch', say, first);
        assert.equal(batch?.payload, first);
        assert.equal(cycleMessages(outcome, 'stream', say, first).batch, undefined);
    });

    describe('fleetStatus', function () {
        const last = (o) => ({ ok: 12, sensors: 12, durationMs: 180.4, failed: 0, quarantined: 0, ...o });
        const view = (o) => ({ stopped: false, last: undefined, size: 12, skipped: 0, ...o });

        it('grey before the first cycle and when stopped', function () {
            assert.deepEqual(fleetStatus(view()), {
                fill: 'grey',
                shape: 'dot',
                text: { key: 'sensors', params: { count: 12 } },
            });
            assert.deepEqual(fleetStatus(view({ stopped: true, last: last() })), {
                fill: 'grey',
                shape: 'ring',
                text: { key: 'stopped' },
            });
        });

        it('green when every sensor answered, yellow when some failed, red when none did', function () {
            const cycle = { key: 'cycle', params: { ok: 12, total: 12, ms: 180 } };
            assert.deepEqual(fleetStatus(view({ last: last() })), { fill: 'green', shape: 'dot', text: cycle });
            assert.equal(fleetStatus(view({ last: last({ ok: 10, failed: 2 }) })).fill, 'yellow');
            assert.equal(fleetStatus(view({ last: last({ ok: 0, failed: 12 }) })).fill, 'red');
            assert.equal(fleetStatus(view({ last: last({ ok: 11, quarantined: 1 }) })).fill, 'yellow');
        });

        it('adds the quarantined sensors, then the skipped cycles', function () {
            const s = fleetStatus(view({ last: last({ ok: 11, quarantined: 1 }), skipped: 2 }));
            assert.deepEqual(s.text, {
                key: 'with-skipped',
                params: {
                    text: {
                        key: 'with-quarantined',
                        params: { text: { key: 'cycle', params: { ok: 11, total: 12, ms: 180 } }, count: 1 },
                    },
                    count: 2,
                },
            });
        });
    });
});
