'use strict';
// Property tests: fast-check prints the seed and path of a failure. To replay it, add them to that fc.assert's
// options, `fc.assert(property, { seed, path, endOnFailure: true })`, and run this file alone.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { DelimiterParser } = require('serialport');
const { LineSplitter } = require('../../src/core/serial/line-splitter');

/** Every frame LineSplitter makes of `chunks`, as strings, and what it keeps for the next chunk. */
function split(delimiter, chunks) {
    /** @type {string[]} */
    const frames = [];
    const splitter = new LineSplitter(delimiter, (bytes, start, end) => {
        frames.push(bytes.toString('latin1', start, end));
    });
    for (const c of chunks) splitter.write(Buffer.from(c, 'latin1'));
    return { frames, rest: splitter.buffer.toString('latin1') };
}

/** The same with serialport's DelimiterParser (ReadlineParser's base), frames taken as it pushes them. */
function reference(delimiter, chunks) {
    /** @type {string[]} */
    const frames = [];
    const parser = new DelimiterParser({ delimiter: Buffer.from(delimiter, 'latin1') });
    parser.push = (chunk) => {
        frames.push(Buffer.from(chunk).toString('latin1'));
        return true;
    };
    for (const c of chunks) parser.write(Buffer.from(c, 'latin1'));
    return { frames, rest: parser.buffer.toString('latin1') };
}

describe('core/serial/line-splitter', function () {
    it('cuts at the delimiter, keeps a delimiter split across chunks, and gives empty frames too', function () {
        assert.deepEqual(split('\n', ['t=1\r\nt=2', '\r\n\n', 't=3']), { frames: ['t=1\r', 't=2\r', ''], rest: 't=3' });
        assert.deepEqual(split('\r\n', ['a\r', '\nb\r\r\n', '\r']), { frames: ['a', 'b\r'], rest: '\r' });
        assert.deepEqual(split('END', ['xEN', 'DyE', 'NDEND']), { frames: ['x', 'y', ''], rest: '' });
    });

    it('keeps its own copy of an unfinished frame: the chunk may be reused once written', function () {
        /** @type {string[]} */
        const frames = [];
        const splitter = new LineSplitter('\n', (b, s, e) => frames.push(b.toString('utf8', s, e)));
        const chunk = Buffer.from('t=1\nt=2');
        splitter.write(chunk);
        chunk.fill(0x78);
        splitter.write(Buffer.from('5\n'));
        assert.deepEqual(frames, ['t=1', 't=25']);
    });

    it('refuses an empty delimiter, which would make empty frames without end', function () {
        assert.throws(() => new LineSplitter('', () => undefined), /delimiter cannot be empty/);
    });

    it('forgets the unfinished frame when destroyed', function () {
        const splitter = new LineSplitter('\n', () => undefined);
        splitter.write(Buffer.from('half a li'));
        splitter.destroy();
        assert.equal(splitter.buffer.length, 0);
    });

    it("makes the same frames as serialport's DelimiterParser, however the bytes are chunked", function () {
        const alphabet = fc.constantFrom('a', '1', '=', ',', '\r', '\n', 'E', 'N', 'D', '\u00e9');
        fc.assert(
            fc.property(
                fc.constantFrom('\n', '\r\n', 'END', '\r'),
                fc.array(fc.string({ unit: alphabet, maxLength: 12 }), { maxLength: 12 }),
                (delimiter, chunks) => {
                    assert.deepEqual(split(delimiter, chunks), reference(delimiter, chunks));
                },
            ),
            { numRuns: 2000 },
        );
    });
});
