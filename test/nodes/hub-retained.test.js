'use strict';
// Retained events outlive the hub config node that holds them (issue 14): a full deploy, the editor's default,
// restarts it; a restart of Node-RED with a persistent context store too. Removing the hub drops them.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, version, sink, collect, TAB, HUB, shipped } = require('../helpers/node-red');
const { until } = require('../helpers/wait');
const hubNodes = shipped('hub');

const TYPE = 'home/kitchen/temperature';

function pub(id, eventType, extra = {}) {
    return { id, type: 'sensorhub-publish', z: 'f1', hub: 'hub1', eventType, wires: [], ...extra };
}
function sub(id, patterns, wires) {
    return { id, type: 'sensorhub-subscribe', z: 'f1', hub: 'hub1', patterns, wires: [wires] };
}
/** A flow publishing retained kitchen temperatures, and a plain (not retained) humidity. */
const publishers = [pub('p1', TYPE, { retain: true }), pub('p2', 'home/kitchen/humidity')];
/** What a late subscriber on home/# gets: the retained value(s), by type. */
const late = [sub('late', 'home/#', ['out']), sink('out')];

async function publishRetained() {
    helper.getNode('p1').receive({ payload: 20 });
    helper.getNode('p1').receive({ payload: 21.5, sensor: { id: 't1', unit: '°C' } });
    helper.getNode('p2').receive({ payload: 40 });
    await until(() => helper.getNode('hub1').hub.stats().published === 3, 'three events published');
}

describe(`hub retained events across redeploys and restarts on Node-RED ${version}`, function () {
    this.timeout(20000);
    beforeEach(function (done) {
        helper.startServer(done);
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    it('keeps them across a full deploy: a subscriber deployed with it gets the last value', async function () {
        await helper.load(hubNodes, [TAB, HUB, ...publishers]);
        await publishRetained();
        const before = helper.getNode('hub1').hub;
        const kept = before.getRetained(TYPE);
        await helper.setFlows([TAB, HUB, ...publishers, ...late], 'full');
        assert.notEqual(helper.getNode('hub1').hub, before, 'the hub was restarted');
        const got = collect(helper.getNode('out'));
        await until(() => got.length === 1, 'the retained value');
        assert.deepEqual(
            [got[0].topic, got[0].payload, got[0].sensor, got[0].event.id, got[0].event.source],
            [TYPE, 21.5, { id: 't1', unit: '°C' }, kept.event.id, 'p1'],
        );
        // Event ids go on where the old hub stopped: a new event never takes a kept one's id.
        helper.getNode('p1').receive({ payload: 22 });
        await until(() => got.length === 2, 'a new event');
        assert.notEqual(got[1].event.id, kept.event.id);
        assert.equal(helper.getNode('hub1').hub.stats().retained, 1, 'the humidity was never retained');
    });

    it('keeps them when the hub itself changes, and across repeated deploys', async function () {
        await helper.load(hubNodes, [TAB, HUB, ...publishers]);
        await publishRetained();
        await helper.setFlows([TAB, { ...HUB, name: 'renamed', queueLimit: 50 }, ...publishers], 'nodes');
        await helper.setFlows([TAB, { ...HUB, name: 'renamed', queueLimit: 50 }, ...publishers], 'full');
        await helper.setFlows([TAB, { ...HUB, name: 'again' }, ...publishers, ...late], 'nodes');
        const got = collect(helper.getNode('out'));
        await until(() => got.length === 1, 'the retained value after three restarts of the hub');
        assert.equal(got[0].payload, 21.5);
    });

    it('drops them when the hub is removed: a hub added again with the same id starts empty', async function () {
        await helper.load(hubNodes, [TAB, HUB, ...publishers]);
        await publishRetained();
        await helper.setFlows([TAB], 'full');
        await helper.setFlows([TAB, HUB, ...publishers, ...late], 'full');
        const hub = helper.getNode('hub1').hub;
        assert.equal(hub.stats().retained, 0);
        assert.equal(hub.getRetained(TYPE), undefined);
        // The subscriber's replay has run once a new event reaches it first.
        const got = collect(helper.getNode('out'));
        helper.getNode('p2').receive({ payload: 41 });
        await until(() => got.length === 1, 'the new event');
        assert.equal(got[0].topic, 'home/kitchen/humidity');
    });

    for (const cache of [true, false]) {
        const how = cache ? 'cached' : 'uncached: it answers only asynchronously';
        it(`keeps them across a restart of Node-RED with a persistent context store (localfilesystem, ${how})`, async function () {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-context-'));
            const redNodes = helper._redNodes;
            const context = helper._context;
            const realLoadFlows = redNodes.loadFlows;
            const realClean = context.clean;
            // Node-RED's own file store, writing at once rather than every 30 s, so no timer outlives the test.
            helper.settings({
                contextStorage: { default: { module: 'localfilesystem', config: { dir, cache, flushInterval: 0 } } },
            });
            // The helper never opens the configured stores, as Node-RED's start does before it loads the flows.
            redNodes.loadFlows = async function (...args) {
                await context.load();
                return realLoadFlows.apply(this, args);
            };
            try {
                await helper.load(hubNodes, [TAB, HUB, ...publishers]);
                // An uncached store answers later: the hub keeps what it retains only once it has (see keepRetained).
                await new Promise((resolve) => helper.getNode('hub1').whenRestored(resolve));
                await publishRetained();
                // Node-RED stopping: the flows stop (the hub writes what it has not written yet), then the stores
                // close. The helper's unload first deletes every node's context, which no restart does.
                context.clean = () => Promise.resolve();
                await helper.unload();
                context.clean = realClean;
                await context.close();
                const files = fs.readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.json'));
                const onDisk = files.map((f) => fs.readFileSync(path.join(dir, String(f)), 'utf8')).join('\n');
                assert.match(onDisk, /home\/kitchen\/temperature/, 'the retained event is in the store on disk');
                assert.doesNotMatch(onDisk, /home\/kitchen\/humidity/, 'only retained events are kept');

                // A new process: the stores are read from disk, and nothing is left in memory from before.
                await helper.load(hubNodes, [TAB, HUB, ...publishers, ...late]);
                const got = collect(helper.getNode('out'));
                await until(() => got.length === 1, 'the retained value after the restart');
                assert.deepEqual(
                    [got[0].topic, got[0].payload, got[0].sensor, got[0].event.source],
                    [TYPE, 21.5, { id: 't1', unit: '°C' }, 'p1'],
                );
                // The sink may write, so it gets a writable copy; the hub keeps the restored event frozen, like any other.
                assert.ok(!Object.isFrozen(got[0].sensor), 'a subscriber that may write gets a writable copy');
                const kept = helper.getNode('hub1').hub.retainedEvents();
                assert.ok(kept.length === 1 && Object.isFrozen(kept[0].sensor), 'the restored event is frozen');
            } finally {
                redNodes.loadFlows = realLoadFlows;
                context.clean = realClean;
                helper.settings({ contextStorage: undefined });
                await context.close();
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    }
});
