'use strict';
const assert = require('node:assert/strict');
const {
    JOIN_MARGIN_MS,
    Membership,
    cycleStart,
    encodePresence,
    joinAt,
    ownerOf,
    parsePresence,
    presenceFilter,
    presenceTopic,
    shareOf,
} = require('../../src/core/fleet/partition');
const { FleetCollector } = require('../../src/core/fleet/fleet');
const { FakeClock } = require('../helpers/fake-clock');

const ids = (n) => Array.from({ length: n }, (_, i) => `sensor-${i + 1}`);
const SENSORS = ids(10_000);
const MEMBERS = ['hub-a', 'hub-b', 'hub-c'];

/** Owner of each sensor, by position. */
const owners = (sensors, members) => sensors.map((s) => ownerOf(s, members));

describe('fleet partition: rendezvous hashing', function () {
    it('gives every sensor exactly one owner: the shares of all members cover the fleet without overlap', function () {
        const shares = MEMBERS.map((m) => shareOf(SENSORS, MEMBERS, m));
        for (let i = 0; i < SENSORS.length; i++)
            assert.equal(shares[0].mine[i] + shares[1].mine[i] + shares[2].mine[i], 1, SENSORS[i]);
        assert.equal(
            shares.reduce((a, s) => a + s.owned, 0),
            SENSORS.length,
        );
    });

    it('balances: each of 3 members gets a third of 10,000 sensors within 3 %', function () {
        for (const m of MEMBERS) {
            const { owned } = shareOf(SENSORS, MEMBERS, m);
            assert.ok(Math.abs(owned - SENSORS.length / 3) < 0.03 * SENSORS.length, `${m}: ${owned}`);
        }
    });

    it('is deterministic: the same owners whatever the order members are listed in, on any instance', function () {
        const a = owners(SENSORS.slice(0, 2000), MEMBERS);
        const b = owners(SENSORS.slice(0, 2000), [...MEMBERS].reverse());
        assert.deepEqual(a, b);
        for (const m of MEMBERS) {
            const { mine } = shareOf(SENSORS.slice(0, 2000), [...MEMBERS].reverse(), m);
            a.forEach((owner, i) => assert.equal(mine[i], owner === m ? 1 : 0));
        }
    });

    it('moves only the leaving member’s sensors when one leaves, and spreads them over the others', function () {
        const before = owners(SENSORS, MEMBERS);
        const after = owners(SENSORS, ['hub-a', 'hub-c']);
        let moved = { 'hub-a': 0, 'hub-c': 0 };
        for (let i = 0; i < SENSORS.length; i++) {
            if (before[i] !== 'hub-b') assert.equal(after[i], before[i], SENSORS[i]);
            else moved[after[i]]++;
        }
        const left = before.filter((o) => o === 'hub-b').length;
        assert.equal(moved['hub-a'] + moved['hub-c'], left);
        assert.ok(Math.abs(moved['hub-a'] - left / 2) < 0.06 * left, JSON.stringify(moved));
    });

    it('moves to a joining member only sensors it takes, about 1/4 of them for the 4th', function () {
        const before = owners(SENSORS, MEMBERS);
        const after = owners(SENSORS, [...MEMBERS, 'hub-d']);
        let taken = 0;
        for (let i = 0; i < SENSORS.length; i++) {
            if (after[i] === 'hub-d') taken++;
            else assert.equal(after[i], before[i], SENSORS[i]);
        }
        assert.ok(Math.abs(taken - SENSORS.length / 4) < 0.03 * SENSORS.length, String(taken));
    });

    it('balances similar ids and client ids too (numbered, zero-padded)', function () {
        const padded = Array.from({ length: 9000 }, (_, i) => `hall-${String(i).padStart(5, '0')}`);
        const members = ['node-red-1', 'node-red-2', 'node-red-3'];
        for (const m of members) {
            const { owned } = shareOf(padded, members, m);
            assert.ok(Math.abs(owned - 3000) < 0.04 * 3000, `${m}: ${owned}`);
        }
    });

    it('gives nothing to a member not in the list, and nothing to anyone without members', function () {
        assert.equal(shareOf(SENSORS.slice(0, 10), MEMBERS, 'stranger').owned, 0);
        assert.equal(ownerOf('sensor-1', []), undefined);
    });
});

describe('fleet partition: cycles and presence', function () {
    it('numbers cycles by the wall clock, the same on every instance; a timer a moment early still counts', function () {
        assert.equal(cycleStart(10_000, 1000), 10_000);
        assert.equal(cycleStart(10_970, 1000), 10_000);
        assert.equal(cycleStart(10_995, 1000), 11_000, 'a tick firing 5 ms early belongs to the next cycle');
    });

    it('joins at a cycle boundary at least the margin ahead', function () {
        const at = joinAt(10_500, 1000);
        assert.equal(at % 1000, 0);
        assert.ok(at >= 10_500 + JOIN_MARGIN_MS && at < 10_500 + JOIN_MARGIN_MS + 1000, String(at));
    });

    it('writes and reads a presence; refuses what it cannot read', function () {
        const p = { member: 'a', statusTopic: '$sensorhub/instances/a', fromMs: 5000, intervalMs: 1000, sensors: 9 };
        assert.deepEqual(parsePresence(encodePresence(p)), p);
        for (const bad of ['', 'x', 'null', '[]', '{"member":"a"}', '{"member":"a","status":"s","from":"1"}'])
            assert.equal(parsePresence(bad), undefined, bad);
    });

    it('keeps presence per group under the control root, with topic characters made safe', function () {
        assert.equal(presenceTopic('$sensorhub', 'hall/1', 'c+d'), '$sensorhub/fleets/hall_1/members/c_d');
        assert.equal(presenceFilter('p/$sensorhub', 'g'), 'p/$sensorhub/fleets/g/members/+');
    });
});

/** A membership that has seen `others` announce themselves (first cycle `from`) and come online. */
function membership(self, others, from = 0) {
    const m = new Membership(self);
    for (const o of others) {
        m.presence(
            o,
            encodePresence({ member: o, statusTopic: `st/${o}`, fromMs: from, intervalMs: 1000, sensors: 1 }),
        );
        m.status(`st/${o}`, 'online');
    }
    return m;
}

describe('fleet partition: membership', function () {
    it('counts a member from the first cycle it named, and itself only once joined', function () {
        const m = membership('a', ['b'], 20_000);
        assert.deepEqual(m.liveAt(19_000), []);
        m.join(10_000);
        assert.deepEqual(m.liveAt(19_000), ['a']);
        assert.deepEqual(m.liveAt(20_000), ['a', 'b']);
        assert.equal(m.announced, 2);
    });

    it('needs both: a presence without an online connection is not live, nor a connection without presence', function () {
        const m = new Membership('a');
        m.presence('b', encodePresence({ member: 'b', statusTopic: 'st/b', fromMs: 0, intervalMs: 1000, sensors: 1 }));
        m.status('st/c', 'online');
        assert.deepEqual(m.liveAt(1000), []);
        m.status('st/b', 'online');
        assert.deepEqual(m.liveAt(1000), ['b']);
    });

    it('drops a member whose connection went offline (its last will), and one that cleared its presence', function () {
        const m = membership('a', ['b', 'c']);
        m.status('st/b', 'offline');
        m.presence('c', '');
        assert.deepEqual(m.liveAt(1000), []);
    });

    it('after an offline, a member counts again only from the first cycle of its new announcement', function () {
        const m = membership('a', ['b']);
        m.status('st/b', 'offline');
        m.status('st/b', 'online');
        assert.deepEqual(m.liveAt(1000), [], 'its old presence, from before it went away, is forgotten');
        m.presence(
            'b',
            encodePresence({ member: 'b', statusTopic: 'st/b', fromMs: 9000, intervalMs: 1000, sensors: 1 }),
        );
        assert.deepEqual(m.liveAt(8000), []);
        assert.deepEqual(m.liveAt(9000), ['b']);
    });

    it('ignores a presence whose member is not its topic’s, and its own echo', function () {
        const m = new Membership('a');
        m.presence('b', encodePresence({ member: 'x', statusTopic: 'st/x', fromMs: 0, intervalMs: 1, sensors: 1 }));
        m.presence('a', encodePresence({ member: 'a', statusTopic: 'st/a', fromMs: 0, intervalMs: 1, sensors: 1 }));
        m.status('st/x', 'online');
        m.status('st/a', 'online');
        assert.deepEqual(m.liveAt(1000), []);
    });

    it('forgets everything on reset (a reconnect brings the retained messages again)', function () {
        const m = membership('a', ['b']);
        m.reset();
        assert.deepEqual(m.liveAt(1000), []);
    });

    it('hands a sensor over at the joiner’s first cycle: read once per cycle, by old owner then by new', function () {
        const sensors = ids(300);
        const a = membership('a', ['b']);
        a.join(0);
        const b = membership('b', ['a']);
        b.join(0);
        const cFrom = 5000;
        const c = membership('c', ['a', 'b']);
        c.join(cFrom);
        for (const m of [a, b])
            m.presence(
                'c',
                encodePresence({ member: 'c', statusTopic: 'st/c', fromMs: cFrom, intervalMs: 1000, sensors: 1 }),
            );
        for (const m of [a, b]) m.status('st/c', 'online');
        for (let t = 3000; t <= 7000; t += 1000) {
            const reads = [a, b, c].map((m) => m.shareAt(sensors, t).mine);
            for (let i = 0; i < sensors.length; i++)
                assert.equal(reads[0][i] + reads[1][i] + reads[2][i], 1, `${sensors[i]} at ${t}`);
            assert.equal(c.shareAt(sensors, t).owned > 0, t >= cFrom);
        }
    });

    it('computes a share again only when the live members change', function () {
        const m = membership('a', ['b']);
        m.join(0);
        const first = m.shareAt(SENSORS, 1000);
        assert.equal(m.shareAt(SENSORS, 2000), first);
        m.status('st/b', 'offline');
        const alone = m.shareAt(SENSORS, 3000);
        assert.notEqual(alone, first);
        assert.deepEqual([alone.owned, alone.instances], [SENSORS.length, 1]);
    });
});

describe('FleetCollector with a share', function () {
    function collector(share) {
        const clock = new FakeClock();
        const reads = [];
        const members = ids(6).map((id) => ({
            info: { id, kind: /** @type {const} */ ('temperature'), location: '', unit: '°C' },
            eventType: 'temperature_update',
            read: () => {
                reads.push(id);
                return id === 'sensor-2' ? Promise.reject(new Error('broken')) : Promise.resolve(20);
            },
        }));
        const c = new FleetCollector({
            timeoutMs: 1000,
            concurrency: 0,
            breaker: { failures: 1, baseMs: 100, maxMs: 100 },
            collect: false,
            clock,
            share: () => share.now,
        });
        c.setMembers(members);
        return { c, clock, reads };
    }

    it('reads only its share and says so in the statistics', async function () {
        const share = { now: { mine: Uint8Array.from([1, 0, 1, 0, 0, 1]), owned: 3, instances: 2 } };
        const { c, reads } = collector(share);
        const { stats } = await c.runCycle();
        assert.deepEqual(reads, ['sensor-1', 'sensor-3', 'sensor-6']);
        assert.deepEqual([stats.sensors, stats.reads, stats.quarantined], [3, 3, 0]);
        assert.deepEqual(stats.share, { of: 6, instances: 2 });
    });

    it('has no share in the statistics of a fleet that is not split', async function () {
        const { c } = collector({ now: undefined });
        const { stats } = await c.runCycle();
        assert.equal(stats.sensors, 6);
        assert.equal('share' in stats, false);
    });

    it('does not retry a quarantined sensor that another instance reads now', async function () {
        const share = { now: { mine: Uint8Array.from([1, 1, 0, 0, 0, 0]), owned: 2, instances: 3 } };
        const { c, clock, reads } = collector(share);
        await c.runCycle();
        assert.equal(c.quarantined, 1);
        share.now = { mine: Uint8Array.from([1, 0, 0, 0, 0, 0]), owned: 1, instances: 3 };
        await c.runCycle();
        reads.length = 0;
        await clock.advance(200);
        assert.deepEqual(reads, [], 'sensor-2 belongs to another instance now');
        assert.equal(c.quarantined, 0);
    });
});

describe('fleet partition: configuration, status and cycle alignment', function () {
    const { parseFleetConfig } = require('../../src/core/fleet/config');
    const { fleetStatus, groupDigits } = require('../../src/core/fleet/status');
    const { SensorPoller } = require('../../src/core/sensor/poller');
    const raw = (extra) => ({ sensorSource: 'generated', count: 5, name: 'hall', ...extra });

    it('reads the share settings; the group defaults to the fleet’s name', function () {
        const r = parseFleetConfig(raw({ partition: true, hub: 'h1' }));
        assert.ok('config' in r);
        assert.deepEqual(r.config.partition, { hub: 'h1', group: 'hall' });
        const off = parseFleetConfig(raw({ hub: 'h1' }));
        assert.ok('config' in off);
        assert.equal(off.config.partition, undefined);
    });

    it('refuses sharing without a hub, without an interval, or with a group too long, each with its code', function () {
        const code = (extra) => {
            const r = parseFleetConfig(raw(extra));
            assert.ok('error' in r);
            return r.problem.code;
        };
        assert.equal(code({ partition: true }), 'partition-hub');
        assert.equal(code({ partition: true, hub: 'h1', interval: 0 }), 'partition-interval');
        assert.equal(code({ partition: true, hub: 'h1', group: 'g'.repeat(129) }), 'too-long');
    });

    it('groups digits as the language writes them', function () {
        assert.equal(groupDigits(3412, ','), '3,412');
        assert.equal(groupDigits(100000, '.'), '100.000');
        assert.equal(groupDigits(999, ','), '999');
    });

    const stats = (extra) => ({
        ok: 3412,
        sensors: 3412,
        failed: 0,
        quarantined: 0,
        durationMs: 180.4,
        share: { of: 10000, instances: 3 },
        ...extra,
    });
    const view = (last, sharing = { joining: false, instances: 3 }) => ({
        stopped: false,
        last,
        size: 10000,
        skipped: 0,
        sharing,
        group: (n) => groupDigits(n, ','),
    });

    it('shows the share: "3,412 of 10,000 sensors · 3 instances · 180 ms"', function () {
        const s = fleetStatus(view(stats()));
        assert.equal(s.fill, 'green');
        assert.deepEqual(s.text, {
            key: 'share',
            params: { count: '3,412', total: '10,000', instances: { key: 'instances', params: { count: 3 } }, ms: 180 },
        });
    });

    it('shows how much of the share answered when some failed, and one instance in the singular', function () {
        const s = fleetStatus(view(stats({ ok: 3400, failed: 12, share: { of: 10000, instances: 1 } })));
        assert.equal(s.fill, 'yellow');
        assert.equal(typeof s.text === 'object' && s.text.key, 'share-failed');
        assert.deepEqual(typeof s.text === 'object' && s.text.params?.instances, { key: 'one-instance' });
    });

    it('shows joining while it waits for the broker or its first cycle', function () {
        const s = fleetStatus(view(undefined, { joining: true, instances: 2 }));
        assert.deepEqual([s.fill, s.shape, typeof s.text === 'object' && s.text.key], ['yellow', 'ring', 'joining']);
    });

    it('puts an aligned poller’s ticks on multiples of the interval since 1970', async function () {
        const clock = new FakeClock();
        clock.t = 1_000_300;
        const starts = [];
        const poller = new SensorPoller({
            intervalMs: 1000,
            timeoutMs: 0,
            align: true,
            clock,
            read: async () => {
                starts.push(clock.now());
            },
        });
        poller.start();
        await clock.advance(2500);
        poller.close();
        assert.deepEqual(starts, [1_000_300, 1_001_000, 1_002_000]);
    });
});
