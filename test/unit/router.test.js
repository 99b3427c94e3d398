'use strict';
// Property tests: fast-check prints the seed and path of a failure. To replay it, add them to that fc.assert's
// options, `fc.assert(property, { seed, path, endOnFailure: true })`, and run this file alone.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { TopicRouter } = require('../../src/core/hub/router');
const { fieldsOf } = require('../helpers/types');

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

    it('gives the subscribers whose patterns match, each once, whatever was added, removed and cached (property)', function () {
        // The reference keeps every (pattern, subscriber) pair and tests each one with a regular expression.
        const matches = (pattern, type) => {
            const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            if (pattern === '#') return true;
            const hash = pattern.endsWith('/#');
            const body = (hash ? pattern.slice(0, -2) : pattern)
                .split('/')
                .map((l) => (l === '+' ? '[^/]*' : escape(l)))
                .join('/');
            return new RegExp(`^${body}${hash ? '(?:/.*)?' : ''}$`, 's').test(type);
        };
        const level = fc.constantFrom('a', 'b', '', '.');
        const type = fc.array(level, { minLength: 1, maxLength: 3 }).map((l) => l.join('/'));
        const pattern = fc.oneof(
            type,
            fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 3 }).map((l) => l.join('/')),
            fc.array(fc.oneof(level, fc.constant('+')), { maxLength: 2 }).map((l) => [...l, '#'].join('/')),
        );
        const op = fc.oneof(
            fc.record({ op: fc.constantFrom('add', 'remove'), pattern, sub: fc.constantFrom(1, 2, 3) }),
            fc.record({ op: fc.constant('match'), type }),
        );
        fc.assert(
            fc.property(fc.array(op, { maxLength: 40, size: 'max' }), fc.integer({ min: 1, max: 4 }), (ops, cache) => {
                const r = new TopicRouter(cache);
                const pairs = new Set();
                for (const o of ops) {
                    if (o.op === 'add') {
                        r.add(o.pattern, o.sub);
                        pairs.add(`${o.sub}\u0000${o.pattern}`);
                    } else if (o.op === 'remove') {
                        r.remove(o.pattern, o.sub);
                        pairs.delete(`${o.sub}\u0000${o.pattern}`);
                    } else {
                        const want = new Set();
                        for (const pair of pairs) {
                            const [sub, p] = pair.split('\u0000');
                            if (matches(p, fieldsOf(o).type)) want.add(Number(sub));
                        }
                        const got = r.match(fieldsOf(o).type);
                        assert.equal(new Set(got).size, got.length, 'each subscriber once');
                        assert.deepEqual([...got].sort(), [...want].sort(), `${fieldsOf(o).type}`);
                    }
                }
                assert.equal(r.patternCount, new Set([...pairs].map((p) => p.split('\u0000')[1])).size);
            }),
            { numRuns: 2000 },
        );
    });
});
