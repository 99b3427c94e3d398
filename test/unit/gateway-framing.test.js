'use strict';
// Property tests: fast-check prints the seed and path of a failure. To replay it, add them to that fc.assert's
// options, `fc.assert(property, { seed, path, endOnFailure: true })`, and run this file alone.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { LineSplitter, nestsDeeperThan } = require('../../src/core/gateway/framing');

/**
 * A splitter with a recording sink: `out` lists lines as strings, oversized lines as OVERSIZED, too deep TOO_DEEP.
 * @param {number} maxBytes
 * @param {{ stopAfter?: number, maxDepth?: number }} [options]
 */
function splitter(maxBytes, { stopAfter = Infinity, maxDepth } = {}) {
    const out = [];
    const sink = {
        line: (text) => {
            out.push(text);
            return out.length < stopAfter;
        },
        oversized: () => {
            out.push(OVERSIZED);
            return out.length < stopAfter;
        },
        tooDeep: () => {
            out.push(TOO_DEEP);
            return out.length < stopAfter;
        },
    };
    const s = new LineSplitter(maxBytes, maxDepth);
    return { s, out, push: (chunk) => s.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk), sink) };
}
const OVERSIZED = Symbol('oversized');
const TOO_DEEP = Symbol('too deep');

/** Cuts `buf` at the given positions. */
function cut(buf, positions) {
    const at = [...new Set(positions.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
    const parts = [];
    let prev = 0;
    for (const p of at) {
        parts.push(buf.subarray(prev, p));
        prev = p;
    }
    parts.push(buf.subarray(prev));
    return parts;
}

describe('core/gateway-framing', function () {
    it('splits lines on \\n, removes a \\r before it and ignores empty lines', function () {
        const { out, push } = splitter(100);
        push('a\nbb\r\n\n\r\nccc\n');
        assert.deepEqual(out, ['a', 'bb', 'ccc']);
    });

    it('joins a line that arrives in pieces, and holds what has no newline yet', function () {
        const { s, out, push } = splitter(100);
        push('{"type":');
        push('"ping"');
        assert.deepEqual(out, []);
        assert.equal(s.buffered, 14);
        push('}\r');
        push('\nnext');
        assert.deepEqual(out, ['{"type":"ping"}']);
        assert.equal(s.buffered, 4);
    });

    it('decodes a UTF-8 character cut between two chunks', function () {
        const { out, push } = splitter(100);
        const bytes = Buffer.from('21.5 °C\n');
        const at = bytes.indexOf(0xb0); // the second byte of °
        push(bytes.subarray(0, at));
        push(bytes.subarray(at));
        assert.deepEqual(out, ['21.5 °C']);
    });

    it('drops a line over the limit, reports it once, and goes on with the next line', function () {
        const { s, out, push } = splitter(10);
        push('0123456789\n'); // exactly the limit
        push('0123456789A\nok\n');
        assert.deepEqual(out, ['0123456789', OVERSIZED, 'ok']);
        assert.equal(s.buffered, 0);
    });

    it('holds no more than the limit of a line that never ends, whatever is sent', function () {
        const { s, out, push } = splitter(64);
        for (let i = 0; i < 1000; i++) {
            push(Buffer.alloc(4096, 0x41));
            assert.equal(s.buffered, 0, 'nothing of an oversized line is kept');
        }
        assert.deepEqual(out, [OVERSIZED], 'reported once, not per chunk');
        push('tail of it\n{"type":"ping"}\n');
        assert.deepEqual(out, [OVERSIZED, '{"type":"ping"}']);
    });

    it('reports a line over the limit before its newline arrives, when the held part grows too long', function () {
        const { out, push } = splitter(8);
        push('12345');
        push('6789');
        assert.deepEqual(out, [OVERSIZED]);
    });

    it('keeps a copy of an unfinished line, not a view of the socket chunk', function () {
        const { out, push } = splitter(100);
        const chunk = Buffer.from('done\npartial');
        push(chunk);
        // The socket's buffer may be reused once its 'data' handlers return.
        chunk.fill(0x58);
        push('\n');
        assert.deepEqual(out, ['done', 'partial']);
    });

    it('stops in the middle of a chunk when the sink says so', function () {
        const { out, push } = splitter(100, { stopAfter: 2 });
        push('a\nb\nc\nd\n');
        assert.deepEqual(out, ['a', 'b']);
    });

    it('gives the same lines however the stream is cut (property)', function () {
        const line = fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '{', '"', ' ', '\r'), maxLength: 12 });
        fc.assert(
            fc.property(
                fc.array(line, { maxLength: 20 }),
                fc.array(fc.nat(), { maxLength: 10 }),
                (lines, positions) => {
                    const whole = Buffer.from(lines.map((l) => `${l}\n`).join(''));
                    const expected = [];
                    for (const l of lines) {
                        const bytes = Buffer.byteLength(l);
                        if (bytes > 24) expected.push(OVERSIZED);
                        else {
                            const text = l.endsWith('\r') ? l.slice(0, -1) : l;
                            if (text !== '') expected.push(text);
                        }
                    }
                    const { out, push } = splitter(24);
                    for (const part of cut(whole, positions)) push(part);
                    assert.deepEqual(out, expected);
                },
            ),
            { numRuns: 3000 },
        );
    });

    it('cuts any bytes as a reference does, dropping and counting oversized lines, however they arrive (property)', function () {
        // Bytes of every kind, with newlines, carriage returns and cut UTF-8 sequences common enough to matter.
        const byte = fc.oneof(
            { weight: 2, arbitrary: fc.constantFrom(0x0a, 0x0d, 0x41, 0xc3, 0xa9, 0xf0, 0x9f, 0xff, 0x00) },
            { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) },
        );
        fc.assert(
            fc.property(
                fc.uint8Array({ maxLength: 200 }),
                fc.array(byte, { maxLength: 120 }),
                fc.array(fc.nat(), { maxLength: 12 }),
                fc.integer({ min: 1, max: 40 }),
                (prefix, mixed, positions, max) => {
                    const whole = Buffer.concat([Buffer.from(prefix), Buffer.from(mixed)]);
                    // The reference: split the whole stream at once, with nothing held between chunks.
                    const expected = [];
                    const segments = [];
                    let from = 0;
                    for (let i = 0; i < whole.length; i++) {
                        if (whole[i] === 0x0a) {
                            segments.push(whole.subarray(from, i));
                            from = i + 1;
                        }
                    }
                    for (const seg of segments) {
                        if (seg.length > max) expected.push(OVERSIZED);
                        else {
                            const body = seg.length > 0 && seg[seg.length - 1] === 0x0d ? seg.subarray(0, -1) : seg;
                            if (body.length > 0) expected.push(body.toString('utf8'));
                        }
                    }
                    const tail = whole.length - from;
                    if (tail > max) expected.push(OVERSIZED);
                    const { s, out, push } = splitter(max);
                    for (const part of cut(whole, positions)) push(part);
                    assert.deepEqual(out, expected);
                    assert.equal(
                        s.buffered,
                        tail > max ? 0 : tail,
                        'holds the unfinished line, and never more than the limit',
                    );
                },
            ),
            { numRuns: 3000 },
        );
    });

    describe('nesting', function () {
        /** How deep a parsed value nests arrays and objects (a number: 0). */
        const depthOf = (v) =>
            v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;
        const nested = (n) => `${'['.repeat(n)}${']'.repeat(n)}`;

        it('drops a line nesting deeper than the limit, keeps one at the limit, and goes on', function () {
            const { out, push } = splitter(1000, { maxDepth: 3 });
            push(`${nested(4)}\n${nested(3)}\n{"a":[{"b":1}]}\n{"a":[{"b":[1]}]}\nafter\n`);
            assert.deepEqual(out, [TOO_DEEP, nested(3), '{"a":[{"b":1}]}', TOO_DEEP, 'after']);
        });

        it('holds nothing of a deep line from the bracket too many on, however long it goes on', function () {
            const { s, out, push } = splitter(2_000_000, { maxDepth: 16 });
            push('['.repeat(10));
            assert.equal(s.buffered, 10);
            push('['.repeat(100_000));
            assert.deepEqual(out, [TOO_DEEP]);
            assert.equal(s.buffered, 0);
            push(`${']'.repeat(100_010)}${' '.repeat(800_000)}`);
            assert.equal(s.buffered, 0);
            push('\n{"type":"ping"}\n');
            assert.deepEqual(out, [TOO_DEEP, '{"type":"ping"}']);
        });

        it('does not count brackets inside strings, escaped quotes and backslashes included', function () {
            const text = JSON.stringify({ type: 'ping', id: `"\\${'['.repeat(40)}\\"{{{` });
            assert.equal(nestsDeeperThan(text, 1), false);
            assert.equal(nestsDeeperThan('["\\\\",[[]]]', 2), true);
            assert.equal(nestsDeeperThan('["é[[[",[]]', 2), false);
        });

        it('agrees with the depth of the parsed value for any JSON line, however it arrives (property)', function () {
            fc.assert(
                fc.property(
                    fc.array(fc.jsonValue({ maxDepth: 10 }), { minLength: 1, maxLength: 5 }),
                    fc.array(fc.nat(), { maxLength: 12 }),
                    fc.integer({ min: 0, max: 10 }),
                    (values, positions, max) => {
                        const texts = values.map((v) => JSON.stringify(v));
                        for (const t of texts) assert.equal(nestsDeeperThan(t, max), depthOf(JSON.parse(t)) > max, t);
                        const { out, push } = splitter(1_000_000, { maxDepth: max });
                        for (const part of cut(Buffer.from(texts.map((t) => `${t}\n`).join('')), positions)) push(part);
                        const expected = texts.map((t) => (depthOf(JSON.parse(t)) > max ? TOO_DEEP : t));
                        assert.deepEqual(out, expected);
                    },
                ),
                { numRuns: 2000 },
            );
        });
    });
});
