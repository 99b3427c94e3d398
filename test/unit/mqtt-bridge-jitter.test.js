'use strict';
const assert = require('node:assert/strict');
const { withJitter } = require('../../src/core/hub/mqtt-bridge');

describe('core/hub reconnect delay with jitter', function () {
    it('is between half and all of the backoff, so clients cut off together do not return together', function () {
        assert.equal(withJitter(1000, 0), 500);
        assert.equal(withJitter(1000, 0.5), 750);
        assert.equal(withJitter(1000, 0.999999), 1000);
        assert.notEqual(withJitter(8000, 0.1), withJitter(8000, 0.9));
    });

    it('stays in that range for a random source out of range', function () {
        assert.equal(withJitter(1000, -1), 500);
        assert.equal(withJitter(1000, 2), 1000);
    });
});
