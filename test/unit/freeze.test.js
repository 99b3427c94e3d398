'use strict';
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const freeze = require('../../src/core/shared/freeze');

/** @typedef {(value: unknown, other: (v: object) => unknown) => any} Copy */
/** @type {Copy} */
const thawCopy = freeze.thawCopy;
/** @type {Copy} */
const clonePlain = freeze.clonePlain;
const { deepFreeze } = freeze;
/** @type {any} */
const objectPrototype = Object.prototype;

const keep = (v) => v;

/** Every object reachable from `value` (own enumerable keys), `value` included. */
function objectsIn(value, seen = new Set()) {
    if (value === null || typeof value !== 'object' || seen.has(value)) return seen;
    seen.add(value);
    for (const key of Object.keys(value)) objectsIn(value[key], seen);
    return seen;
}

/** @type {(o: object, key: string) => unknown} */
const ownValue = (o, key) => Object.getOwnPropertyDescriptor(o, key)?.value;

/** Copies twice: the first copy may compile a shape, the second goes through the cached one. */
function copyBoth(copy, value, other = keep) {
    const first = copy(value, other);
    const second = copy(value, other);
    assert.deepStrictEqual(second, first);
    return second;
}

describe('core/freeze: writable copies of plain data', function () {
    it('keeps a null-prototype object null-prototype, at the top and nested', function () {
        const inner = Object.assign(Object.create(null), { a: 1, b: { c: 2 } });
        const value = { x: inner, list: [inner] };
        for (const copy of [thawCopy, clonePlain]) {
            const out = copyBoth(copy, value);
            assert.equal(Object.getPrototypeOf(out.x), null);
            assert.equal(Object.getPrototypeOf(out.list[0]), null);
            assert.notEqual(out.x, inner);
            assert.deepStrictEqual(out.x, inner);
            assert.equal(Object.getPrototypeOf(copy(inner, keep)), null);
        }
    });

    it('copies a `__proto__` key as a key, never as the prototype', function () {
        for (let i = 0; i < 3; i++) {
            const value = JSON.parse('{"a": 1, "__proto__": {"polluted": true}, "b": {"__proto__": [1]}}');
            const out = thawCopy(value, keep);
            assert.equal(Object.getPrototypeOf(out), Object.prototype);
            assert.equal(Object.getPrototypeOf(out.b), Object.prototype);
            assert.deepEqual(Object.keys(out), ['a', '__proto__', 'b']);
            assert.deepEqual(ownValue(out, '__proto__'), { polluted: true });
            assert.equal(out.polluted, undefined);
            assert.deepEqual(ownValue(out.b, '__proto__'), [1]);
            assert.notEqual(ownValue(out, '__proto__'), value['__proto__']);
        }
    });

    it('copies keys that are no identifiers, integer-like keys, in the order the input lists them', function () {
        const value = { 'a-b': 1, 10: 'ten', 2: 'two', '': 'empty', 'q"uote\\': 3, '\u2028': 4, 'x y': { 0: [] } };
        value['\ud800'] = 'lone surrogate';
        for (const copy of [thawCopy, clonePlain]) {
            const out = copyBoth(copy, value);
            assert.deepEqual(Object.keys(out), Object.keys(value));
            assert.deepStrictEqual(out, value);
        }
    });

    it('copies an object whose shape differs from the one last seen at the same place', function () {
        const shapes = [{ a: 1 }, { a: 1, b: 2 }, { b: 2, a: 1 }, { a: { x: 1 } }, { a: [1] }, [{ a: 1 }], { a: 1 }];
        const value = { list: shapes, at: shapes.map((s) => ({ v: s })) };
        for (const copy of [thawCopy, clonePlain]) {
            for (let i = 0; i < 3; i++) assert.deepStrictEqual(copy(value, keep), value);
            for (const s of shapes) assert.deepStrictEqual(copy({ v: s }, keep), { v: s });
        }
    });

    it('copies by the generic path where Node refuses to compile code from strings', function () {
        const root = path.join(__dirname, '..', '..');
        const script = `require('./test/helpers/ts-register.js');
            const { thawCopy } = require('./src/core/shared/freeze');
            const value = { a: 1, b: [{ c: 2 }, { c: 3 }], d: { e: { f: 'g' } } };
            const out = [thawCopy(value, (v) => v), thawCopy(value, (v) => v)];
            process.stdout.write(JSON.stringify(out) + (out[1].b[0] !== value.b[0] ? ' copied' : ' shared'));`;
        const printed = execFileSync(process.execPath, ['--disallow-code-generation-from-strings', '-e', script], {
            cwd: root,
            encoding: 'utf8',
        });
        const value = { a: 1, b: [{ c: 2 }, { c: 3 }], d: { e: { f: 'g' } } };
        assert.equal(printed, `${JSON.stringify([value, value])} copied`);
    });

    it('leaves the values of objects of a newly compiled shape as they were, and copies of their numbers independent', function () {
        const made = [];
        for (let k = 0; k < 3; k++) made.push({ fresh1: 1_700_000_000_000 + k, fresh2: 0.5 + k, fresh3: 'x' });
        const parsed = JSON.parse('{"fresh1": 2.5, "fresh2": 3.5, "fresh3": "y"}');
        const out = copyBoth(thawCopy, { made, parsed });
        assert.deepStrictEqual(made[2], { fresh1: 1_700_000_000_002, fresh2: 2.5, fresh3: 'x' });
        assert.deepStrictEqual(parsed, { fresh1: 2.5, fresh2: 3.5, fresh3: 'y' });
        out.made[0].fresh2 += 1;
        out.parsed.fresh1 = 7.25;
        assert.equal(made[0].fresh2, 0.5);
        assert.equal(parsed.fresh1, 2.5);
        assert.deepStrictEqual(out.made[1], made[1]);
    });

    // Allocation, not time: with a young generation of fixed size, the number of scavenges counts the bytes allocated.
    it('allocates no more to copy objects holding doubles than objects holding small integers', function () {
        this.timeout(60_000);
        const root = path.join(__dirname, '..', '..');
        const scavenges = (kind) => {
            const script = `require('./test/helpers/ts-register.js');
                const { thawCopy } = require('./src/core/shared/freeze');
                const samples = [];
                for (let k = 0; k < 40; k++)
                    samples.push(${kind === 'double'} ? { t: 1.7e12 + k * 1000, v: 20 + k / 10, q: 'ok' } : { t: k, v: k + 1, q: 'ok' });
                const fromJson = JSON.parse(JSON.stringify({ samples }));
                let copy;
                for (let i = 0; i < 100000; i++) copy = thawCopy(i % 2 ? fromJson : { samples }, (v) => v);`;
            const out = execFileSync(
                process.execPath,
                ['--min-semi-space-size=16', '--max-semi-space-size=16', '--trace-gc', '-e', script],
                { cwd: root, encoding: 'utf8' },
            );
            return out.split('\n').filter((line) => line.includes('Scavenge')).length;
        };
        const doubles = scavenges('double');
        const integers = scavenges('integer');
        // Boxing every double anew allocated half as much again (22 scavenges against 14); shared numbers, the same.
        assert.ok(doubles <= integers * 1.15 + 1, `${doubles} scavenges copying doubles, ${integers} copying integers`);
    });

    it('copies what follows a plain object of the same keys by its own kind: array, Date, instance, null prototype', function () {
        class Thing {
            constructor() {
                this.a = 1;
            }
        }
        const handed = [];
        const other = (v) => {
            handed.push(v);
            return v;
        };
        const bare = Object.assign(Object.create(null), { a: 1 });
        const date = new Date(0);
        const thing = new Thing();
        for (const value of [
            [{}, [], date, {}],
            [{ a: 1 }, thing, bare],
            { x: {} },
            { x: [] },
            { x: { a: 1 } },
            { x: thing },
            { x: bare },
        ]) {
            const out = thawCopy(value, other);
            assert.deepStrictEqual(out, value);
        }
        assert.deepEqual(handed, [date, thing, thing]);
    });

    it('copies only own keys, not enumerable ones inherited from Object.prototype', function () {
        const value = { a: 1, b: { c: 2 } };
        // Shapes whose keys an inherited key would complete: {c} followed by `injected` looks like {c, injected}.
        const lookalike = { a: 1, b: { c: 2, injected: 3 } };
        thawCopy(value, keep);
        thawCopy(lookalike, keep);
        thawCopy(lookalike, keep);
        try {
            objectPrototype.injected = 'x';
            for (const copy of [thawCopy, clonePlain]) {
                const out = copy(value, keep);
                assert.deepEqual(Object.keys(out), ['a', 'b']);
                assert.deepEqual(Object.keys(out.b), ['c']);
                assert.deepEqual(Object.keys(copy([{ c: 2, injected: 3 }, { c: 2 }], keep)[1]), ['c']);
            }
        } finally {
            delete objectPrototype.injected;
        }
    });

    it('shares frozen values in clonePlain and copies them thawed in thawCopy', function () {
        const frozen = deepFreeze({ a: { b: [1, { c: 2 }] } });
        const value = { frozen, open: { x: 1 } };
        const shared = clonePlain(value, keep);
        assert.equal(shared.frozen, frozen);
        assert.notEqual(shared.open, value.open);
        const thawed = copyBoth(thawCopy, value);
        assert.deepStrictEqual(thawed, value);
        for (const o of objectsIn(thawed)) assert.ok(!Object.isFrozen(o), 'every level of a thawed copy is writable');
        assert.equal(thawCopy(frozen, keep) === frozen, false);
    });

    it('hands Buffers, Dates and class instances to `other`', function () {
        class Thing {
            constructor() {
                this.a = 1;
            }
        }
        const buf = Buffer.from('ab');
        const date = new Date(0);
        const thing = new Thing();
        const value = { buf, date, list: [thing, { date }] };
        const handed = [];
        const out = copyBoth(thawCopy, value, (v) => {
            handed.push(v);
            return { handed: v };
        });
        assert.deepEqual(out, {
            buf: { handed: buf },
            date: { handed: date },
            list: [{ handed: thing }, { date: { handed: date } }],
        });
        assert.equal(out.buf.handed, buf);
        assert.equal(handed.length, 8);
    });

    it('copies arrays with holes as arrays of the same length, holes read as undefined, nested arrays copied', function () {
        /** @type {any} */
        // eslint-disable-next-line no-sparse-arrays -- holes are the point
        const value = { list: [1, , [2, [3, { a: 4 }]], , { a: 5 }] };
        const out = copyBoth(thawCopy, value);
        assert.equal(out.list.length, 5);
        assert.deepEqual(out.list, [1, undefined, [2, [3, { a: 4 }]], undefined, { a: 5 }]);
        assert.notEqual(out.list[2], value.list[2]);
        assert.notEqual(out.list[2][1][1], value.list[2][1][1]);
    });

    it('copies any plain data to an equal value that shares no object with it (property)', function () {
        const key = fc.oneof(fc.string(), fc.constantFrom('__proto__', '0', '1', 'a-b', 'constructor', 'seq', 'v'));
        fc.assert(
            fc.property(fc.anything({ key, withNullPrototype: true, maxDepth: 4 }), (value) => {
                const out = copyBoth(thawCopy, value);
                assert.deepStrictEqual(out, value);
                const before = objectsIn(value);
                for (const o of objectsIn(out)) assert.ok(!before.has(o), 'the copy shares no object with its input');
            }),
            { numRuns: 500 },
        );
    });
    // Last: it fills the shape cache, after which new shapes take the generic copy.
    it('copies objects of many different shapes correctly past the bound of the shape cache', function () {
        const values = [];
        for (let i = 0; i < 600; i++) values.push({ [`k${i}`]: i, shared: { [`n${i % 7}`]: [i] }, [`z${i}`]: null });
        const wide = {};
        for (let i = 0; i < 100; i++) wide[`key${i}`] = { i };
        values.push(wide);
        for (const value of values) assert.deepStrictEqual(copyBoth(thawCopy, value), value);
    });
});
