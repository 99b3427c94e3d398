'use strict';
const assert = require('node:assert/strict');
const { metricsMessage, MonitorStatus, waitingStatus } = require('../../src/core/monitor/output');
const { stub } = require('../helpers/types');

/** Just what the status and the message read of a snapshot. */
const snapshot = (dropped, types = 3) =>
    stub({
        hub: { dropped, events: { types, typesCapped: false, rate: 2 } },
    });

describe('core/monitor/output', function () {
    it('before the first snapshot: how often one will be sent', function () {
        assert.deepEqual(waitingStatus(10000), {
            fill: 'grey',
            shape: 'ring',
            text: { key: 'every', params: { seconds: 10 } },
        });
        assert.deepEqual(waitingStatus(0), { fill: 'grey', shape: 'ring', text: { key: 'on-input' } });
    });

    it('after each snapshot: its figures, yellow only while the hub drops events since the one before', function () {
        const status = new MonitorStatus();
        assert.equal(status.view(), undefined);
        status.seen(snapshot(0));
        const view = status.view();
        assert.ok(view && typeof view.text === 'object');
        assert.equal(view.fill, 'green');
        assert.equal(view.text.key, 'metrics');
        assert.equal(view.text.params?.dropped, 0);
        status.seen(snapshot(4));
        assert.equal(status.view()?.fill, 'yellow');
        status.seen(snapshot(4));
        assert.equal(status.view()?.fill, 'green', 'no new drops');
    });

    it('an object snapshot as the payload; without headers', function () {
        const s = snapshot(0);
        assert.deepEqual(metricsMessage(s, 'object'), { topic: 'sensorhub_metrics', payload: s });
    });
});
