'use strict';
const assert = require('node:assert/strict');
const { MetricsRegistry, metricsRegistry } = require('../../src/core/shared/metrics-registry');

describe('core/metrics-registry', function () {
    it('collects every provider with its id, type and name, calling it at collection time', function () {
        const r = new MetricsRegistry();
        let cycles = 0;
        r.register({ id: 'f1', type: 'sensorhub-fleet', name: 'north' }, () => ({ cycle: cycles }));
        r.register({ id: 's1', type: 'sensorhub-sensor', name: '' }, () => ({ status: 'ok', latencyMs: 12 }));
        cycles = 3;
        assert.deepEqual(r.collect(), [
            { id: 'f1', type: 'sensorhub-fleet', name: 'north', metrics: { cycle: 3 } },
            { id: 's1', type: 'sensorhub-sensor', name: '', metrics: { status: 'ok', latencyMs: 12 } },
        ]);
        assert.equal(r.size, 2);
    });

    it('collects one type when asked', function () {
        const r = new MetricsRegistry();
        r.register({ id: 'f1', type: 'sensorhub-fleet', name: '' }, () => ({}));
        r.register({ id: 's1', type: 'sensorhub-sensor', name: '' }, () => ({}));
        assert.deepEqual(
            r.collect('sensorhub-sensor').map((e) => e.id),
            ['s1'],
        );
    });

    it('reports null for a node without figures yet', function () {
        const r = new MetricsRegistry();
        r.register({ id: 'f1', type: 'sensorhub-fleet', name: '' }, () => undefined);
        assert.equal(r.collect()[0].metrics, null);
    });

    it('keeps collecting the others when a provider throws, and says why for that one', function () {
        const r = new MetricsRegistry();
        r.register({ id: 'bad', type: 't', name: '' }, () => {
            throw new Error('broken');
        });
        r.register({ id: 'good', type: 't', name: '' }, () => ({ n: 1 }));
        const [bad, good] = r.collect();
        assert.deepEqual(bad, { id: 'bad', type: 't', name: '', metrics: null, error: 'broken' });
        assert.deepEqual(good.metrics, { n: 1 });
    });

    it('withdraws a registration, and only its own: a redeployed node closing late keeps its successor', function () {
        const r = new MetricsRegistry();
        const withdrawOld = r.register({ id: 'f1', type: 't', name: 'old' }, () => ({ v: 'old' }));
        const withdrawNew = r.register({ id: 'f1', type: 't', name: 'new' }, () => ({ v: 'new' }));
        assert.equal(r.size, 1);
        withdrawOld();
        assert.deepEqual(r.collect()[0].metrics, { v: 'new' });
        withdrawNew();
        withdrawNew();
        assert.equal(r.size, 0);
        assert.deepEqual(r.collect(), []);
    });

    it('shares one registry between the modules that load it', function () {
        assert.ok(metricsRegistry instanceof MetricsRegistry);
        assert.equal(require('../../src/core/shared/metrics-registry').metricsRegistry, metricsRegistry);
    });
});
