'use strict';
const assert = require('node:assert/strict');
const { pushedLineResult, serialSourceReader } = require('../../src/core/sensor/source');
const { ReadError } = require('../../src/core/shared/reading');
const { fieldsOf } = require('../helpers/types');

/** @type {import('../../src/core/shared/parse').ParseSpec} */
const KV_T = { format: 'kv', field: 't' };

describe('core/sensor/source', function () {
    describe('serialSourceReader', function () {
        /** A port that answers every request with `answer` (or fails with `fail`) and records what it was asked. */
        function port(answer, fail) {
            const asked = [];
            return {
                asked,
                request(command, timeoutMs) {
                    asked.push({ command, timeoutMs });
                    return fail ? Promise.reject(fail) : Promise.resolve(answer);
                },
            };
        }
        /** @type {import('../../src/core/sensor/config').SerialSourceConfig} */
        const source = { port: 'p1', command: 'READ {{id}}', spec: KV_T };

        it("writes the source's request with {{id}} replaced and parses the answer", async function () {
            const p = port('t=21.5');
            const value = await serialSourceReader(p, source, 'kitchen', 750)();
            assert.equal(value, 21.5);
            assert.deepEqual(p.asked, [{ command: 'READ kitchen', timeoutMs: 750 }]);
        });

        it("a fleet member's own request replaces the source's", async function () {
            const p = port('t=1');
            await serialSourceReader(p, source, 's-7', 100, 'GET {{id}}/{{id}}')();
            assert.deepEqual(p.asked, [{ command: 'GET s-7/s-7', timeoutMs: 100 }]);
        });

        it('an answer that does not parse is an error with the reason', async function () {
            await assert.rejects(serialSourceReader(port('h=40'), source, 'k', 100)(), (err) => {
                assert.ok(err instanceof ReadError);
                assert.equal(err.status, 'error');
                return true;
            });
        });

        it('a timed-out or offline request keeps its status', async function () {
            for (const code of ['timeout', 'offline']) {
                const fail = Object.assign(new Error(`port ${code}`), { code });
                await assert.rejects(serialSourceReader(port('', fail), source, 'k', 100)(), (err) => {
                    assert.ok(err instanceof ReadError);
                    assert.equal(err.status, code);
                    assert.equal(err.message, `port ${code}`);
                    return true;
                });
            }
        });
    });

    describe('pushedLineResult', function () {
        /** @type {{ seq: number }} */
        let counter = { seq: 0 };
        const now = () => 1000 + counter.seq;
        beforeEach(function () {
            counter = { seq: 0 };
        });

        it("a line with this sensor's field is an ok result, stamped", function () {
            assert.deepEqual(pushedLineResult('t=19.25', KV_T, counter, now), {
                status: 'ok',
                value: 19.25,
                seq: 1,
                ts: 1001,
                latencyMs: 0,
            });
        });

        it("a well-formed line without this sensor's field is another sensor's: no result, no number used", function () {
            assert.equal(pushedLineResult('h=40', KV_T, counter, now), undefined);
            assert.equal(counter.seq, 0);
        });

        it('a malformed line is an error result with the reason', function () {
            const r = fieldsOf(pushedLineResult('t=warm', KV_T, counter, now));
            assert.equal(r.status, 'error');
            assert.ok(r.error instanceof ReadError);
            assert.match(r.error.message, /warm/);
            assert.equal(r.seq, 1);
        });
    });
});
