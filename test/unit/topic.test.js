'use strict';
// Property tests: fast-check prints the seed and path of a failure. To replay it, add them to that fc.assert's
// options, `fc.assert(property, { seed, path, endOnFailure: true })`, and run this file alone.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { eventTypeError, patternError, topicMatches, parsePatternList } = require('../../src/core/shared/topic');
const { textOf } = require('../helpers/types');

/** Reference matcher, written from the MQTT spec text, level by level with recursion. */
function reference(pattern, type) {
    const match = (p, t) => {
        if (p.length === 0) return t.length === 0;
        if (p[0] === '#') return true;
        if (t.length === 0) return false;
        if (p[0] === '+' || p[0] === t[0]) return match(p.slice(1), t.slice(1));
        return false;
    };
    return match(pattern.split('/'), type.split('/'));
}

/**
 * A second reference, independent of levels and recursion: the pattern as a regular expression over the whole
 * type. `+` is any run without `/`; a last `#` is "this level and everything below", so `a/#` also matches `a`.
 */
function regexReference(pattern, type) {
    const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    let source;
    if (pattern === '#') source = '.*';
    else {
        const hash = pattern.endsWith('/#');
        const body = hash ? pattern.slice(0, -2) : pattern;
        source = body
            .split('/')
            .map((level) => (level === '+' ? '[^/]*' : escape(level)))
            .join('/');
        if (hash) source += '(?:/.*)?';
    }
    return new RegExp(`^${source}$`, 's').test(type);
}

describe('core/topic', function () {
    describe('eventTypeError', function () {
        it('accepts plain and levelled types', function () {
            for (const t of ['motion_detected', 'home/kitchen/temperature', 'a', 'a//b', '/leading', 'x/']) {
                assert.equal(eventTypeError(t), undefined, t);
            }
        });
        it('refuses empty, wildcard, non-string and oversized types with a reason', function () {
            assert.match(textOf(eventTypeError('')), /empty/);
            assert.match(textOf(eventTypeError('home/+/x')), /wildcard/);
            assert.match(textOf(eventTypeError('home/#')), /wildcard/);
            assert.match(textOf(eventTypeError(42)), /must be a string, got 42/);
            assert.match(textOf(eventTypeError(undefined)), /got nothing/);
            assert.match(textOf(eventTypeError(null)), /got null/);
            assert.match(textOf(eventTypeError(['a'])), /got an array/);
            assert.match(textOf(eventTypeError('x'.repeat(1025))), /longer than 1024/);
            assert.match(textOf(eventTypeError('a\u0000b')), /NUL/);
        });
    });

    describe('patternError', function () {
        it('accepts exact types and well-placed wildcards', function () {
            for (const p of ['#', '+', 'home/#', 'home/+/temperature', '+/+', 'motion_detected', '+/#']) {
                assert.equal(patternError(p), undefined, p);
            }
        });
        it('refuses # that is not last or not a whole level, and + inside a level', function () {
            assert.match(textOf(patternError('home/#/x')), /# must be a whole level and the last one/);
            assert.match(textOf(patternError('home#')), /# must be/);
            assert.match(textOf(patternError('home/kit+chen')), /\+ must be a whole level/);
            assert.match(textOf(patternError('')), /empty/);
            assert.match(textOf(patternError(7)), /must be a string/);
        });
    });

    describe('topicMatches', function () {
        /** @type {Array<[string, string, boolean]>} */
        const cases = [
            ['motion_detected', 'motion_detected', true],
            ['motion_detected', 'motion', false],
            ['home/+/temperature', 'home/kitchen/temperature', true],
            ['home/+/temperature', 'home/kitchen/fridge/temperature', false],
            ['home/+/temperature', 'home/temperature', false],
            ['home/#', 'home', true],
            ['home/#', 'home/kitchen/temperature', true],
            ['home/#', 'homes/kitchen', false],
            ['#', 'anything/at/all', true],
            ['+', 'one', true],
            ['+', 'one/two', false],
            ['+/+', 'a/', true],
            ['a//b', 'a//b', true],
            ['a/+/b', 'a//b', true],
        ];
        for (const [pattern, type, expected] of cases) {
            it(`${pattern} ${expected ? 'matches' : 'does not match'} ${type}`, function () {
                assert.equal(topicMatches(pattern, type), expected);
            });
        }

        it('agrees with the reference matcher on generated patterns and types', function () {
            const level = fc.constantFrom('a', 'b', 'home', '');
            const type = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/'));
            const pattern = fc
                .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 0, maxLength: 5 }), fc.boolean())
                .map(([levels, hash]) => (hash ? [...levels, '#'] : levels))
                .filter((l) => l.length > 0)
                .map((l) => l.join('/'))
                .filter((p) => p.length > 0);
            fc.assert(
                fc.property(pattern, type, (p, t) => {
                    fc.pre(eventTypeError(t) === undefined && patternError(p) === undefined);
                    return topicMatches(p, t) === reference(p, t) && topicMatches(p, t) === regexReference(p, t);
                }),
                { numRuns: 5000 },
            );
        });

        it('agrees with the regular-expression reference on levels of any characters, regex ones too', function () {
            // Characters a hand-written matcher gets wrong: regex syntax, dots, empty levels, line breaks, astral.
            const unit = fc.constantFrom('a', 'b', '.', '*', '$', '^', '(', ')', '[', '\\', '|', '?', '\n', 'é', '😀');
            const level = fc.oneof(fc.string({ unit, maxLength: 3 }), fc.constantFrom('a', 'b'));
            const levels = fc.array(level, { minLength: 1, maxLength: 6 });
            const type = levels.map((l) => l.join('/'));
            // Patterns made from a type, so that they match often: some levels made +, the rest cut off for #.
            const derived = fc
                .tuple(levels, fc.array(fc.boolean(), { maxLength: 6 }), fc.nat(6), fc.boolean())
                .map(([ls, plus, cut, hash]) => {
                    const kept = ls.map((l, i) => (plus[i] ? '+' : l));
                    return hash ? [...kept.slice(0, cut), '#'].join('/') : kept.join('/');
                });
            fc.assert(
                fc.property(
                    fc.oneof(derived, type),
                    fc.oneof(
                        type,
                        levels.map((l) => l.join('/')),
                    ),
                    (p, t) => {
                        fc.pre(eventTypeError(t) === undefined && patternError(p) === undefined);
                        assert.equal(
                            topicMatches(p, t),
                            regexReference(p, t),
                            `${JSON.stringify(p)} / ${JSON.stringify(t)}`,
                        );
                    },
                ),
                { numRuns: 5000 },
            );
        });

        it('matches a type with itself, with #, and with any of its levels made +', function () {
            const level = fc.string({ unit: fc.constantFrom('a', 'b', '.', '-', ' '), maxLength: 3 });
            fc.assert(
                fc.property(fc.array(level, { minLength: 1, maxLength: 6 }), fc.nat(), (ls, i) => {
                    const t = ls.join('/');
                    fc.pre(eventTypeError(t) === undefined);
                    assert.ok(topicMatches(t, t));
                    assert.ok(topicMatches('#', t));
                    const plus = ls.map((l, k) => (k === i % ls.length ? '+' : l)).join('/');
                    assert.ok(topicMatches(plus, t), `${plus} / ${t}`);
                    assert.ok(topicMatches(`${t}/#`, t), 'a # also matches its parent level');
                    assert.ok(!topicMatches(`${t}/+`, t), 'a + needs a level');
                }),
                { numRuns: 2000 },
            );
        });
    });

    describe('parsePatternList', function () {
        it('splits on commas and newlines, trims, drops blanks and duplicates', function () {
            assert.deepEqual(parsePatternList(' a, b\n\nc ,a,'), ['a', 'b', 'c']);
            assert.deepEqual(parsePatternList(''), []);
        });
    });
});
