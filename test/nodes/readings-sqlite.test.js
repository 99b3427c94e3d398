'use strict';
// The SQLite example's "readings as rows" function node, as saved in examples/readings-in-sqlite.json, run by
// Node-RED's own function node: what becomes an insert's parameters, what is refused, and the readings that wait
// for the schema. The example against a real database file is test/e2e/readings-sqlite.test.js.
const assert = require('node:assert/strict');
const { helper, coreNode, version, sink, collect, lastStatus, TAB, catcher } = require('../helpers/node-red');
const { until } = require('../helpers/wait');
const example = require('../../examples/readings-in-sqlite.json');

const functionNode = coreNode('function/10-function.js');
const catchNode = coreNode('common/25-catch.js');

const rows = example.find((n) => n.name === 'readings as rows');

/** The example's node as `r1` on a tab naming the database file `db`, wired to the sink `out`. */
const flow = (db = '/data/readings.db') => [
    { ...TAB, env: [{ name: 'READINGS_DB', value: db, type: 'str' }] },
    { ...rows, id: 'r1', z: 'f1', wires: [['out']] },
    sink('out'),
    catcher(),
    sink('caught'),
];

const reading = (id, payload, extra = {}) => ({
    topic: 'temperature_update',
    payload,
    sensor: { id, kind: 'temperature', unit: '°C', location: 'Hall' },
    reading: { status: 'ok', ts: 1700000000000, latencyMs: 100, seq: 1 },
    ...extra,
});
const schemaReady = () => ({ schema: true, topic: 'CREATE TABLE …', payload: [] });

describe(`the SQLite example's readings as rows on Node-RED ${version}`, function () {
    let out;
    let caught;
    let node;

    beforeEach(async function () {
        await new Promise((resolve) => helper.startServer(resolve));
        await helper.load([functionNode, catchNode], flow());
        node = helper.getNode('r1');
        out = collect(helper.getNode('out'));
        caught = collect(helper.getNode('caught'));
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    it('holds readings that come before the schema, sends them in order once it exists, then each as it comes', async function () {
        node.receive(reading('t1', 20.5));
        node.receive(reading('t2', 21));
        await until(() => node.context().get('held')?.length === 2, 'two held readings');
        assert.equal(out.length, 0);

        node.receive(schemaReady());
        await until(() => out.length === 2, 'the held readings');
        node.receive(reading('t1', 22));
        await until(() => out.length === 3, 'the reading after the schema');
        assert.deepEqual(
            out.map((m) => [m.params.$sensor_id, m.params.$value]),
            [
                ['t1', 20.5],
                ['t2', 21],
                ['t1', 22],
            ],
        );
        assert.deepEqual(
            { ...out[0].params },
            {
                $sensor_id: 't1',
                $kind: 'temperature',
                $unit: '°C',
                $location: 'Hall',
                $value: 20.5,
                $status: 'ok',
                $ts: 1700000000000,
            },
        );
    });

    it('stores true/false as 1/0, and a reading without its own time at the time it arrives', async function () {
        node.receive(schemaReady());
        const before = Date.now();
        node.receive(reading('m1', true, { sensor: { id: 'm1', kind: 'motion' } }));
        node.receive(reading('m1', false, { reading: undefined }));
        await until(() => out.length === 2, 'two rows');
        assert.deepEqual(
            out.map((m) => m.params.$value),
            [1, 0],
        );
        assert.deepEqual([out[0].params.$unit, out[0].params.$location], ['', '']);
        assert.ok(out[1].params.$ts >= before && out[1].params.$ts <= Date.now());
    });

    it('refuses a payload that is not a number or true/false, and a reading without a sensor id, with an error each', async function () {
        node.receive(schemaReady());
        const bad = [
            reading('t1', 'hot'),
            reading('t1', '21.5'),
            reading('t1', NaN),
            reading('t1', Infinity),
            reading('t1', null),
            reading('t1', { value: 21 }),
            reading('t1', undefined),
            reading('', 21),
            reading('t1', 21, { sensor: { id: 7 } }),
            reading('t1', 21, { sensor: null }),
        ];
        for (const msg of bad) node.receive(msg);
        await until(() => caught.length === bad.length, `${bad.length} errors for the Catch node`);
        assert.equal(out.length, 0, 'nothing reaches the insert');
        const texts = caught.map((m) => m.error.message);
        const codes = texts.map((text) => (/^reading refused \(([a-z-]+):/.exec(text) || [])[1]);
        assert.deepEqual(codes, [...Array(7).fill('payload-type'), ...Array(3).fill('sensor-id')]);
        assert.match(texts[0], /t1 sent "hot", not a number or true\/false/);
        assert.deepEqual({ ...lastStatus(node) }, { fill: 'red', shape: 'ring', text: `${bad.length} refused` });
    });

    it('lets events that are not readings pass by without an error', async function () {
        node.receive(schemaReady());
        node.receive({ topic: 'light_command', payload: { state: 'on', brightness: 80 }, reason: 'motion' });
        node.receive({ topic: 'door_alert', payload: { reason: 'motion while locked' } });
        node.receive(reading('t1', 20));
        await until(() => out.length === 1, 'the reading');
        assert.equal(out[0].params.$sensor_id, 't1');
        assert.deepEqual(caught, []);
    });

    it('stores readings at once after a redeploy of this node alone, which creates no schema again', async function () {
        node.receive(schemaReady());
        await until(() => node.context().flow.get('schemaIn') === '/data/readings.db', 'the schema noted');
        // A "modified nodes" deploy restarts only the changed function node: no schema message comes again.
        const changed = flow().map((n) => (n.id === 'r1' ? { ...n, name: 'rows, renamed' } : n));
        await helper.setFlows(changed, 'nodes');
        const restarted = helper.getNode('r1');
        assert.notEqual(restarted, node, 'the node was restarted');
        const after = collect(helper.getNode('out'));
        restarted.receive(reading('t1', 20));
        await until(() => after.length === 1, 'the reading stored at once');
    });

    it('holds readings again when the tab names another database file, until its schema exists', async function () {
        node.receive(schemaReady());
        await until(() => node.context().flow.get('schemaIn') === '/data/readings.db', 'the schema noted');
        await helper.setFlows(flow('/data/other.db'), 'full');
        const restarted = helper.getNode('r1');
        const after = collect(helper.getNode('out'));
        restarted.receive(reading('t1', 20));
        await until(() => restarted.context().get('held')?.length === 1, 'the reading held');
        assert.equal(after.length, 0);
        restarted.receive(schemaReady());
        await until(() => after.length === 1, 'the held reading once the schema exists');
    });

    it('holds at most 1,000 readings, the newest', async function () {
        for (let i = 0; i < 1005; i++) node.receive(reading('t1', i));
        await until(() => helper.getNode('r1').context().get('held')?.at(-1)?.params.$value === 1004, 'all in');
        node.receive(schemaReady());
        await until(() => out.length === 1000, '1,000 held readings');
        assert.deepEqual([out[0].params.$value, out[999].params.$value], [5, 1004]);
    });
});
