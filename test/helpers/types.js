'use strict';
// JSDoc helpers for the tests tsc checks (test/tsconfig.json).
const assert = require('node:assert/strict');

/**
 * @template T
 * @typedef {T extends unknown ? keyof T : never} KeyOfAnyMember
 */
/**
 * Every field any member of union T has, typed as in the members that have it.
 * @template T
 * @typedef {{ [K in KeyOfAnyMember<T>]: T extends Record<K, infer V> ? V : K extends keyof T ? T[K] : never }} AnyMember
 */

/**
 * `result` seen as the member of its union the test expects: the test reads that member's fields and asserts on them,
 * which fails at run time when it is another member. The call that made `result` stays fully checked.
 * @template T
 * @param {T} result
 * @returns {AnyMember<T>}
 */
function fieldsOf(result) {
    return /** @type {any} */ (result);
}

/**
 * `value` as a stand-in of any type: for an argument the code under test reads only in part (a message it only counts,
 * a node it only names). Says so where a test hands over less than the declared type.
 * @param {unknown} value
 * @returns {any}
 */
function stub(value) {
    return value;
}

/**
 * `value`, failing the test unless it is a string: for assert.match on a result that may be undefined (no error).
 * @param {unknown} value
 * @returns {string}
 */
function textOf(value) {
    if (typeof value !== 'string')
        throw new assert.AssertionError({
            message: `expected a text, got ${String(value)}`,
            actual: value,
            expected: 'a string',
            operator: 'textOf',
        });
    return value;
}

module.exports = { fieldsOf, stub, textOf };
