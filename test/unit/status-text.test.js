'use strict';
const assert = require('node:assert/strict');
const { nodeStatus, statusText } = require('../../src/adapter/status-text');
const { stub } = require('../helpers/types');

/** A runtime whose catalogue writes each key with its parameters, so a test sees what was asked for (only `_` is read). */
const RED = stub({
    _(key, params) {
        const args = Object.entries(params ?? {}).map(([k, v]) => `${k}=${v}`);
        return args.length === 0 ? `<${key}>` : `<${key} ${args.join(' ')}>`;
    },
});

describe('adapter/status-text', function () {
    it("says a literal as it is and a key in the node's status texts", function () {
        assert.equal(statusText(RED, 'sensorhub-sensor', '21.4 °C'), '21.4 °C');
        assert.equal(statusText(RED, 'sensorhub-sensor', { key: 'stopped' }), '<sensorhub-sensor.status.stopped>');
    });

    it('says a parameter that is itself a text before the text around it', function () {
        const text = {
            key: 'with-skipped',
            params: { text: { key: 'cycle', params: { ok: 2, total: 3 } }, count: 1 },
        };
        assert.equal(
            statusText(RED, 'sensorhub-fleet', text),
            '<sensorhub-fleet.status.with-skipped text=<sensorhub-fleet.status.cycle ok=2 total=3> count=1>',
        );
    });

    it('a status chosen by core as node.status() takes it; none clears the status', function () {
        assert.deepEqual(nodeStatus(RED, 't', { fill: 'green', shape: 'dot', text: 'on' }), {
            fill: 'green',
            shape: 'dot',
            text: 'on',
        });
        assert.deepEqual(nodeStatus(RED, 't', undefined), {});
    });
});
