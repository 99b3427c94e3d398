'use strict';
const assert = require('node:assert/strict');
const { OversizedLines, serialStatus, OVERSIZED_WARN_MS } = require('../../src/core/serial/status');
const { StepClock } = require('../helpers/fake-clock');

describe('core/serial/status', function () {
    it("shows each connection state with the port's path", function () {
        const text = (key) => ({ key, params: { path: '/dev/ttyX' } });
        assert.deepEqual(serialStatus('opening', '/dev/ttyX', false), {
            fill: 'yellow',
            shape: 'ring',
            text: text('opening'),
        });
        assert.deepEqual(serialStatus('open', '/dev/ttyX', false), { fill: 'green', shape: 'dot', text: text('open') });
        assert.deepEqual(serialStatus('disconnected', '/dev/ttyX', false), {
            fill: 'red',
            shape: 'ring',
            text: text('disconnected'),
        });
        assert.deepEqual(serialStatus('closed', '/dev/ttyX', false), {
            fill: 'grey',
            shape: 'ring',
            text: text('closed'),
        });
    });

    it('a port with a bad configuration says so whatever the state', function () {
        assert.deepEqual(serialStatus('open', '/dev/ttyX', true), {
            fill: 'red',
            shape: 'ring',
            text: { key: 'bad-config' },
        });
    });

    describe('OversizedLines', function () {
        it('says the first oversized line at once and sums up the rest once per interval', function () {
            const clock = new StepClock();
            const said = [];
            const lines = new OversizedLines((n) => said.push(n), clock);
            lines.count();
            clock.advance(0);
            assert.deepEqual(said, [1]);
            lines.count();
            lines.count();
            clock.advance(OVERSIZED_WARN_MS - 1);
            assert.deepEqual(said, [1]);
            clock.advance(1);
            assert.deepEqual(said, [1, 2]);
            clock.advance(OVERSIZED_WARN_MS);
            assert.deepEqual(said, [1, 2], 'a quiet interval says nothing');
            lines.count();
            clock.advance(0);
            assert.deepEqual(said, [1, 2, 1], 'after a quiet interval the next one is said at once');
        });

        it('stop forgets what was not said yet and clears its timer', function () {
            const clock = new StepClock();
            const said = [];
            const lines = new OversizedLines((n) => said.push(n), clock);
            lines.count();
            lines.stop();
            clock.advance(OVERSIZED_WARN_MS * 2);
            assert.deepEqual(said, []);
            assert.equal(clock.timers.size, 0);
        });
    });
});
