'use strict';
const assert = require('node:assert/strict');
const { BoundedQueue, isOverflowPolicy } = require('../../src/core/shared/queue');

function drain(q) {
    const out = [];
    while (q.length > 0) out.push(q.shift());
    return out;
}

describe('core/queue', function () {
    it('is FIFO across growth and wrap-around', function () {
        const q = new BoundedQueue(100, 'drop-oldest');
        const expected = [];
        for (let i = 0; i < 40; i++) q.push(i);
        for (let i = 0; i < 30; i++) expected.push(q.shift());
        for (let i = 40; i < 90; i++) q.push(i);
        expected.push(...drain(q));
        assert.deepEqual(
            expected,
            Array.from({ length: 90 }, (_, i) => i),
        );
    });

    it('drop-oldest evicts the head and counts it', function () {
        const q = new BoundedQueue(3, 'drop-oldest');
        for (const i of [1, 2, 3]) assert.equal(q.push(i), undefined);
        assert.equal(q.push(4), 1);
        assert.equal(q.push(5), 2);
        assert.equal(q.dropped, 2);
        assert.deepEqual(drain(q), [3, 4, 5]);
    });

    it('drop-newest refuses the new item and counts it', function () {
        const q = new BoundedQueue(2, 'drop-newest');
        q.push(1);
        q.push(2);
        assert.equal(q.push(3), 3);
        assert.equal(q.dropped, 1);
        assert.deepEqual(drain(q), [1, 2]);
    });

    it('refuses a capacity that is not a whole number from 1', function () {
        for (const c of [0, -1, 1.5, NaN]) assert.throws(() => new BoundedQueue(c, 'drop-oldest'), RangeError);
    });

    it('knows its policies', function () {
        assert.ok(isOverflowPolicy('drop-oldest'));
        assert.ok(isOverflowPolicy('drop-newest'));
        assert.ok(!isOverflowPolicy('block'));
    });
});
