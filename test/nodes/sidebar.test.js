'use strict';
const assert = require('node:assert/strict');
const { helper, version, TAB, HUB, shipped, lightDef } = require('../helpers/node-red');
const { until } = require('../helpers/wait');
const hubNodes = shipped('hub');
const lightNode = shipped('light');
const sidebarPlugin = shipped('sidebar');

const PUB = { id: 'p1', type: 'sensorhub-publish', z: 'f1', hub: 'hub1', eventType: 'temperature_update', wires: [] };
const SUB = { id: 's1', type: 'sensorhub-subscribe', z: 'f1', name: 'alarm', hub: 'hub1', patterns: '#', wires: [[]] };
const LIGHT = lightDef({ id: 'l1', name: 'porch' });

describe(`sidebar plugin on Node-RED ${version}`, function () {
    // The feed's period is a second: a snapshot takes that long to come.
    this.timeout(10000);
    let red;
    let published;
    const onComms = (m) => {
        if (m.topic === 'sensorhub/sidebar') published.push(m);
    };

    beforeEach(async function () {
        await new Promise((resolve) => helper.startServer(resolve));
        await helper.load([hubNodes, lightNode], [TAB, HUB, PUB, SUB, LIGHT]);
        // Plugins register no node type, so the helper does not load them: this gives it the API a plugin gets.
        red = helper._registryUtil.createNodeApi({});
        red.plugins = { registerPlugin: () => {} };
        sidebarPlugin(red);
        published = [];
        red.events.on('comms', onComms);
    });
    afterEach(async function () {
        // Ends the feed's lease, so no timer outlives the test.
        await helper.request().post('/sensorhub/sidebar/watch').send({ client: 'c1', watch: false });
        red.events.removeListener('comms', onComms);
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    it('publishes snapshots of the deployed hub over comms while watched', async function () {
        const res = await helper.request().post('/sensorhub/sidebar/watch').send({ client: 'c1' }).expect(200);
        assert.equal(res.body.topic, 'sensorhub/sidebar');
        helper.getNode('p1').receive({ payload: 20, sensor: { id: 't1', unit: '°C' } });
        await until(
            () => published.some((m) => m.data.hubs[0]?.types.some((t) => t.type === 'temperature_update')),
            'a snapshot with the published type',
        );
        const type = published.at(-1).data.hubs[0].types.find((t) => t.type === 'temperature_update');
        assert.equal(type.value, '20 °C');
        assert.equal(typeof type.ageMs, 'number');
        const m = published.at(-1);
        assert.equal(m.retain, false);
        const [hub] = m.data.hubs;
        assert.equal(hub.id, 'hub1');
        assert.equal(hub.name, 'home');
        const sub = hub.subscribers.find((s) => s.id === 's1');
        assert.equal(sub.name, 'alarm');
        assert.deepEqual(sub.patterns, ['#']);
    });

    it('shows the totals of events published before the sidebar opened', async function () {
        for (let i = 0; i < 5; i++) helper.getNode('p1').receive({ payload: 20 + i });
        await until(() => helper.getNode('hub1').hub.typeTotals().byType.get('temperature_update') === 5, 'published');
        await helper.request().post('/sensorhub/sidebar/watch').send({ client: 'c1' }).expect(200);
        await until(() => published.length > 0, 'a first snapshot');
        const type = published[0].data.hubs[0].types.find((t) => t.type === 'temperature_update');
        assert.ok(type, 'the type published before watching is listed');
        assert.equal(type.total, 5);
        assert.equal(type.rate, 0, 'rates count from when the sidebar opened');
        helper.getNode('p1').receive({ payload: 30 });
        await until(
            () => published.at(-1).data.hubs[0].types.find((t) => t.type === 'temperature_update').total === 6,
            'the total to go on',
        );
    });

    it('lists lights with their state and last change', async function () {
        await helper.request().post('/sensorhub/sidebar/watch').send({ client: 'c1' }).expect(200);
        helper.getNode('l1').receive({ topic: 'motion_detected', payload: true });
        await until(() => published.at(-1)?.data.lights[0]?.state === 'on', 'a snapshot with the light on');
        const [light] = published.at(-1).data.lights;
        assert.deepEqual(
            [light.id, light.name, light.health, light.brightness, light.mode, light.reason],
            ['l1', 'porch', 'ok', 100, 'auto', 'motion'],
        );
    });

    it('counts editors apart and stops when the last one leaves', async function () {
        const watch = (body) => helper.request().post('/sensorhub/sidebar/watch').send(body).expect(200);
        assert.equal((await watch({ client: 'c1' })).body.watchers, 1);
        assert.equal((await watch({ client: 'c2' })).body.watchers, 2);
        assert.equal((await watch({ client: 'c1' })).body.watchers, 2);
        assert.equal((await watch({ client: 'c2', watch: false })).body.watchers, 1);
        await until(() => published.length > 0, 'a snapshot for the remaining editor');
        assert.equal((await watch({ client: 'c1', watch: false })).body.watchers, 0);
    });

    it('refuses a request without a client id, naming the field', async function () {
        const res = await helper.request().post('/sensorhub/sidebar/watch').send({}).expect(400);
        assert.match(res.body.error, /client/);
        await helper
            .request()
            .post('/sensorhub/sidebar/watch')
            .send({ client: 'x'.repeat(65) })
            .expect(400);
    });
});
