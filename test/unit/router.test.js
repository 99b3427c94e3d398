'use strict';
const assert = require('node:assert/strict');
const { TopicRouter } = require('../../nodes/core/router');

describe('core/router', function () {
    it('routes exact and wildcard patterns, each subscriber once', function () {
        const r = new TopicRouter();
        r.add('home/kitchen/temperature', 'exact');
        r.add('home/+/temperature', 'plus');
        r.add('home/#', 'hash');
        r.add('home/#', 'plus');
        assert.deepEqual([...r.match('home/kitchen/temperature')].sort(), ['exact', 'hash', 'plus']);
        assert.deepEqual([...r.match('home/hall/temperature')].sort(), ['hash', 'plus']);
        assert.deepEqual([...r.match('garden/temperature')], []);
    });

    it('sees subscriptions added and removed after a type was cached', function () {
        const r = new TopicRouter();
        r.add('a', 1);
        assert.deepEqual([...r.match('a')], [1]);
        r.add('+', 2);
        assert.deepEqual([...r.match('a')].sort(), [1, 2]);
        r.remove('a', 1);
        assert.deepEqual([...r.match('a')], [2]);
        r.remove('+', 2);
        assert.deepEqual([...r.match('a')], []);
        assert.equal(r.patternCount, 0);
    });

    it('ignores removing what was never added', function () {
        const r = new TopicRouter();
        r.add('a', 1);
        r.remove('a', 2);
        r.remove('b', 1);
        assert.deepEqual([...r.match('a')], [1]);
    });

    it('stays correct when more types are seen than the cache holds', function () {
        const r = new TopicRouter(8);
        r.add('t/+', 'w');
        for (let i = 0; i < 100; i++) assert.deepEqual([...r.match(`t/${i}`)], ['w']);
        assert.deepEqual([...r.match('u/1')], []);
    });

    it('returns a frozen list, so a caller cannot corrupt the cache', function () {
        const r = new TopicRouter();
        r.add('a', 1);
        assert.ok(Object.isFrozen(r.match('a')));
    });
});
