'use strict';
// examples/readings-in-sqlite.json in a real Node-RED (the packed module, node-red-node-sqlite and FlowFuse Dashboard 2
// from this checkout's node_modules), as written but for its database file and a quicker chart: readings published on
// its hub end up as rows in a real database file, read back here with the sqlite3 module.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { DEFAULT_NODE_RED, startNodeRed, examplesOnTabs, withTabEnv } = require('./launcher');
const { until } = require('../helpers/wait');

const sqlite3 = require(require.resolve('sqlite3', { paths: [require.resolve('node-red-node-sqlite/package.json')] }));

const EXAMPLE = 'readings-in-sqlite.json';
const HUB = '5a3e0d1c2b4f6064';

/** The example's node named `name`. */
function named(flows, name) {
    const node = flows.find((n) => n.name === name);
    assert.ok(node, `${EXAMPLE} has no node named "${name}"`);
    return node;
}

/**
 * A tab of the test's own beside the example: `POST /test/readings` publishes the readings in its body on the example's
 * hub, as sensors would, and `GET /test/chart` answers with what the example last sent its chart.
 */
function testTab(chartQueryId) {
    const z = 'a0000000000000ff';
    const node = (id, props, wires = []) => ({ id, z, x: 100, y: 100, wires: [wires], ...props });
    return {
        nodes: [
            { id: z, type: 'tab', label: 'test' },
            node('a000000000000001', { type: 'http in', method: 'post', url: '/test/readings' }, ['a000000000000002']),
            {
                ...node('a000000000000002', {
                    type: 'function',
                    outputs: 2,
                    func: 'return [msg.payload.map((r) => ({ ...r })), { res: msg.res, payload: "ok" }];',
                }),
                wires: [['a000000000000003'], ['a000000000000004']],
            },
            node('a000000000000003', { type: 'sensorhub-publish', hub: HUB, eventType: '' }),
            node('a000000000000004', { type: 'http response' }),
            node('a000000000000005', { type: 'function', func: 'global.set("chart", msg.payload); return null;' }),
            node('a000000000000006', { type: 'http in', method: 'get', url: '/test/chart' }, ['a000000000000007']),
            node(
                'a000000000000007',
                {
                    type: 'change',
                    rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'chart', tot: 'global' }],
                },
                ['a000000000000004'],
            ),
        ],
        // The example's chart query also feeds the test's observer.
        observe: (flows) =>
            flows.map((n) => (n.id === chartQueryId ? { ...n, wires: [[...n.wires[0], 'a000000000000005']] } : n)),
    };
}

/** All rows of `sql` from the database file, opened read-only. */
function query(file, sql, params = {}) {
    return new Promise((resolve, reject) => {
        const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => {
            if (err) return reject(err);
            db.all(sql, params, (err2, rows) => db.close(() => (err2 ? reject(err2) : resolve(rows))));
        });
    });
}

describe(`e2e: ${DEFAULT_NODE_RED} runs the SQLite example: readings stored in a database file and charted`, function () {
    this.timeout(180000);
    let red;
    let dir;
    let dbFile;
    let example;
    const now = Date.now();
    const reading = (id, kind, unit, payload, minutesAgo) => ({
        topic: kind === 'motion' ? 'motion_detected' : `${kind}_update`,
        payload,
        sensor: { id, kind, unit, location: 'Living Room' },
        reading: { status: 'ok', ts: now - minutesAgo * 60000, latencyMs: 120, seq: 1 },
    });
    const good = [
        reading('temp-a', 'temperature', '°C', 21.5, 30),
        reading('temp-a', 'temperature', '°C', 22.25, 20),
        reading('temp-b', 'temperature', '°C', 19, 25),
        reading('hum-a', 'humidity', '%', 41.5, 25),
        reading('motion-a', 'motion', '', true, 24),
        reading('motion-a', 'motion', '', false, 23),
    ];
    // A wrong-typed payload, and a "reading" without a usable sensor id.
    const bad = [
        reading('temp-a', 'temperature', '°C', 'hot', 15),
        { ...reading('temp-a', 'temperature', '°C', 23, 14), sensor: { kind: 'temperature' } },
    ];

    before(async function () {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-sqlite-'));
        dbFile = path.join(dir, 'readings.db');
        example = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', EXAMPLE), 'utf8'));
        const tab = testTab(named(example, 'last hour per sensor').id);
        // The chart every second instead of every 10 s; nothing else of the example changes.
        const flows = tab
            .observe(withTabEnv(examplesOnTabs([EXAMPLE]), 'READINGS_DB', dbFile))
            .map((n) => (n.name === 'every 10 s' ? { ...n, repeat: '1' } : n));
        red = await startNodeRed({ flows: [...flows, ...tab.nodes] });
    });

    after(async function () {
        if (red) await red.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('creates the schema with its index on (sensor_id, ts) in the file the tab names', async function () {
        await until(() => fs.existsSync(dbFile), `the database file ${dbFile}`, 30000);
        const index = () =>
            query(dbFile, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'readings'");
        await until(async () => (await index()).length > 0, 'the index on readings', 30000);
        const [{ name }] = await index();
        const columns = await query(dbFile, `PRAGMA index_info(${JSON.stringify(name)})`);
        assert.deepEqual(
            columns.map((c) => c.name),
            ['sensor_id', 'ts'],
        );
        const table = await query(dbFile, 'PRAGMA table_info(readings)');
        assert.deepEqual(
            table.map((c) => c.name),
            ['sensor_id', 'kind', 'unit', 'location', 'value', 'status', 'ts'],
        );
    });

    it('stores every reading published on the hub as a row, and refuses a wrong-typed payload with an error', async function () {
        const from = red.mark();
        const res = await red.request('POST', '/test/readings', [...good, ...bad]);
        assert.equal(res.status, 200, JSON.stringify(res.body));

        const all = () => query(dbFile, 'SELECT * FROM readings ORDER BY sensor_id, ts');
        await until(async () => (await all()).length >= good.length, `${good.length} rows`, 30000);
        const rows = await all();
        const expected = good
            .map((r) => ({
                sensor_id: r.sensor.id,
                kind: r.sensor.kind,
                unit: r.sensor.unit,
                location: 'Living Room',
                value: typeof r.payload === 'boolean' ? Number(r.payload) : r.payload,
                status: 'ok',
                ts: r.reading.ts,
            }))
            .sort((a, b) => a.sensor_id.localeCompare(b.sensor_id) || a.ts - b.ts);
        assert.deepEqual(rows, expected);
        const types = await query(dbFile, 'SELECT DISTINCT typeof(value) AS t FROM readings');
        assert.deepEqual(types, [{ t: 'real' }]);

        const refusals = () => red.log(from).match(/\[error\] \[function:readings as rows\] reading refused .*/g) || [];
        await until(() => refusals().length === 2, 'two refusals in the log', 30000);
        assert.match(refusals()[0], /reading refused \(payload-type: temp-a sent "hot"/);
        assert.match(refusals()[1], /reading refused \(sensor-id: /);
        const errors = red
            .log(from)
            .split('\n')
            .filter((l) => /\[error\]/.test(l) && !/reading refused/.test(l));
        assert.deepEqual(errors, [], red.log(from));
    });

    it('charts the last hour: the flow query sends one series per temperature sensor, with the stored values', async function () {
        const series = (rows) => {
            const by = {};
            for (const r of rows) (by[r.sensor_id] ||= []).push(r.value);
            return by;
        };
        const expected = { 'temp-a': [21.5, 22.25], 'temp-b': [19] };
        const chart = async () => (await red.request('GET', '/test/chart')).body;
        await until(
            async () => {
                const body = await chart();
                return Array.isArray(body) && body.length === 3;
            },
            'three points on the chart',
            30000,
        );
        const points = await chart();
        assert.deepEqual(series(points), expected);
        for (const p of points) assert.equal(p.time % 10000, 0, `${p.time} is the start of a 10 s bucket`);

        // The same query on the file, as the example's node runs it.
        const node = named(example, 'last hour per sensor');
        const params = { $since: now - 3600000, $kind: 'temperature', $bucket: 10000 };
        assert.deepEqual(series(await query(dbFile, node.sql, params)), expected);
    });
});
