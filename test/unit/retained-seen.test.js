'use strict';
const assert = require('node:assert/strict');
const { RetainedSeen } = require('../../src/core/hub/retained-seen');

describe('RetainedSeen: a raw reader is not handed the same retained message twice', function () {
    const b = (s) => Buffer.from(s);

    it('admits a retained message once per reader, again when its bytes change', function () {
        const seen = new RetainedSeen();
        const a = {};
        const other = {};
        assert.equal(seen.admit(a, 't', b('1'), true), true);
        assert.equal(seen.admit(a, 't', b('1'), true), false, 'resent to a reader that has it');
        assert.equal(seen.admit(other, 't', b('1'), true), true, 'a new reader gets it');
        assert.equal(seen.admit(a, 't', b('2'), true), true, 'changed while we were away');
    });

    it('counts a live message as seen, and always admits live messages', function () {
        const seen = new RetainedSeen();
        const a = {};
        assert.equal(seen.admit(a, 't', b('x'), false), true);
        assert.equal(seen.admit(a, 't', b('x'), false), true, 'a device may repeat itself live');
        assert.equal(seen.admit(a, 't', b('x'), true), false, 'the retained copy of what it read live');
    });

    it('stops remembering beyond its bound, and then admits rather than drops', function () {
        const seen = new RetainedSeen();
        const a = {};
        for (let i = 0; i < 5000; i++) seen.admit(a, `t${i}`, b('v'), true);
        assert.equal(seen.admit(a, 'beyond', b('v'), true), true);
        assert.equal(seen.admit(a, 'beyond', b('v'), true), true, 'not remembered: a duplicate, never a loss');
        assert.equal(seen.admit(a, 't1', b('v'), true), false, 'what it remembers still counts');
    });
});
