'use strict';
const assert = require('node:assert/strict');
const { SensorRecord, sensorStatus, valueText } = require('../../src/core/sensor/status');

/** @typedef {import('../../src/core/shared/reading').SensorInfo} SensorInfo */
/** @type {SensorInfo} */
const TEMP = { id: 't', kind: 'temperature', location: '', unit: '°C' };
/** @type {SensorInfo} */
const GENERIC = { id: 'g', kind: 'generic', location: '', unit: '' };
const at = (seq) => ({ ts: 1000 + seq, latencyMs: 5, seq });
const running = { stopped: false, skipped: 0 };

describe('core/sensor/status', function () {
    it('shows a number to one decimal with its unit; a generic one to three, without a blank unit', function () {
        assert.equal(valueText(21.44, TEMP), '21.4 °C');
        assert.equal(valueText(0.12345, GENERIC), '0.123');
        assert.equal(valueText(-3, { ...GENERIC, unit: 'V' }), '-3 V');
    });

    it("says a boolean in the kind's words", function () {
        /** @type {SensorInfo} */
        const motion = { ...TEMP, kind: 'motion', unit: '' };
        /** @type {SensorInfo} */
        const contact = { ...TEMP, kind: 'contact', unit: '' };
        assert.deepEqual(
            [valueText(true, motion), valueText(false, motion)],
            [{ key: 'motion' }, { key: 'no-motion' }],
        );
        assert.deepEqual([valueText(true, contact), valueText(false, contact)], [{ key: 'closed' }, { key: 'open' }]);
    });

    it('nothing to show before the first read; green value, red failure, grey when stopped', function () {
        const r = new SensorRecord();
        assert.equal(sensorStatus(r.shown, TEMP, running), undefined);
        r.value(20, at(1));
        assert.deepEqual(sensorStatus(r.shown, TEMP, running), { fill: 'green', shape: 'dot', text: '20.0 °C' });
        r.failure('timeout', at(2), false);
        assert.deepEqual(sensorStatus(r.shown, TEMP, running), {
            fill: 'red',
            shape: 'ring',
            text: { key: 'timeout' },
        });
        assert.deepEqual(sensorStatus(r.shown, TEMP, { stopped: true, skipped: 0 }), {
            fill: 'grey',
            shape: 'ring',
            text: { key: 'stopped' },
        });
    });

    it('adds the skipped reads to the text it shows', function () {
        const r = new SensorRecord();
        r.value(20, at(1));
        assert.deepEqual(sensorStatus(r.shown, TEMP, { stopped: false, skipped: 3 })?.text, {
            key: 'with-skipped',
            params: { text: '20.0 °C', skipped: 3 },
        });
        assert.equal(sensorStatus(new SensorRecord().shown, TEMP, { stopped: false, skipped: 3 }), undefined);
    });

    it('reports an offline sensor once while polled, but every failure a message asked for', function () {
        const r = new SensorRecord();
        assert.equal(r.failure('offline', at(1), false), true);
        assert.equal(r.failure('offline', at(2), false), false);
        assert.equal(r.failure('offline', at(3), true), true);
        assert.equal(r.failure('error', at(4), false), true);
        assert.equal(r.failure('error', at(5), false), true);
        r.value(1, at(6));
        assert.equal(r.failure('offline', at(7), false), true);
    });

    it("gives the monitor the last read's outcome, nothing before the first", function () {
        const r = new SensorRecord();
        assert.deepEqual(r.metrics(), {});
        r.value(20, at(1));
        assert.deepEqual(r.metrics(), { status: 'ok', ts: 1001, latencyMs: 5, seq: 1, value: 20 });
        r.failure('error', at(2), true);
        assert.deepEqual(r.metrics(), { status: 'error', ts: 1002, latencyMs: 5, seq: 2 });
    });
});
