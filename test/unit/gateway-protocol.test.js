'use strict';
const assert = require('node:assert/strict');
const fc = require('fast-check');
const {
    decodeLine,
    encodeAck,
    encodeCommand,
    encodeError,
    encodeWelcome,
    tokenDigest,
    digestsEqual,
    isValidId,
    REFUSAL_REASONS,
} = require('../../nodes/core/gateway-protocol');

const reading = (extra = {}) =>
    JSON.stringify({ type: 'reading', sensor: 't1', kind: 'temperature', value: 21.5, ...extra });

describe('core/gateway-protocol', function () {
    describe('decodeLine', function () {
        it('decodes a hello, keeping its id', function () {
            assert.deepEqual(decodeLine('{"type":"hello","device":"dev-1","token":"s3cret","id":"h1"}'), {
                ok: true,
                message: { type: 'hello', device: 'dev-1', token: 's3cret', id: 'h1' },
            });
        });

        it('decodes a reading with its optional fields, and without them', function () {
            assert.deepEqual(decodeLine(reading()), {
                ok: true,
                message: { type: 'reading', sensor: 't1', kind: 'temperature', value: 21.5 },
            });
            const full = decodeLine(
                reading({ ts: 1700000000000.5, unit: '°F', location: 'attic', device: 'dev1', id: 7 }),
            );
            assert.deepEqual(full.message, {
                type: 'reading',
                sensor: 't1',
                kind: 'temperature',
                value: 21.5,
                ts: 1700000000000.5,
                unit: '°F',
                location: 'attic',
                device: 'dev1',
                id: 7,
            });
        });

        it('takes motion as true/false or 1/0, and nothing else', function () {
            const motion = (value) =>
                decodeLine(JSON.stringify({ type: 'reading', sensor: 'm', kind: 'motion', value }));
            assert.equal(motion(true).message.value, true);
            assert.equal(motion(0).message.value, false);
            assert.equal(motion(1).message.value, true);
            assert.equal(motion('yes').code, 'bad-value');
            assert.equal(motion(2).code, 'bad-value');
        });

        it('decodes ping and ack; an ack needs the id it acknowledges', function () {
            assert.deepEqual(decodeLine('{"type":"ping"}'), { ok: true, message: { type: 'ping' } });
            assert.deepEqual(decodeLine('{"type":"ping","id":3}'), { ok: true, message: { type: 'ping', id: 3 } });
            assert.deepEqual(decodeLine('{"type":"ack","id":"c-1"}'), {
                ok: true,
                message: { type: 'ack', id: 'c-1' },
            });
            assert.equal(decodeLine('{"type":"ack"}').code, 'bad-message');
        });

        it('refuses malformed JSON and what is not an object', function () {
            assert.equal(decodeLine('{"type":"reading",').code, 'bad-json');
            assert.equal(decodeLine('hello').code, 'bad-json');
            for (const text of ['[]', '"hello"', '42', 'null', 'true'])
                assert.equal(decodeLine(text).code, 'bad-message', text);
        });

        it('refuses unknown types and a missing type, naming the id when it has one', function () {
            assert.deepEqual(decodeLine('{"type":"reboot","id":"x"}'), {
                ok: false,
                code: 'unknown-type',
                error: 'unknown message type "reboot": use hello, reading, ping or ack',
                id: 'x',
            });
            assert.equal(decodeLine('{"sensor":"t1"}').code, 'bad-message');
            assert.equal(decodeLine('{"type":7}').code, 'bad-message');
        });

        it('refuses bad ids, tokens, kinds, values, units, times and locations with a sentence', function () {
            const cases = [
                ['{"type":"hello","device":"","token":"x"}', 'bad-message', /device must be an id/],
                ['{"type":"hello","device":"a b","token":"x"}', 'bad-message', /device must be an id/],
                ['{"type":"hello","device":"dev1","token":""}', 'bad-message', /token must be a string/],
                ['{"type":"hello","device":"dev1"}', 'bad-message', /token/],
                [reading({ sensor: '../etc' }), 'bad-message', /sensor must be an id/],
                [reading({ sensor: 'x'.repeat(65) }), 'bad-message', /sensor must be an id/],
                [reading({ kind: 'pressure' }), 'bad-message', /kind must be/],
                [reading({ value: '21.5' }), 'bad-value', /needs a finite number, got the string/],
                [reading({ value: null }), 'bad-value', /got null/],
                [reading({ unit: 'K' }), 'bad-value', /°C or °F/],
                [reading({ ts: -1 }), 'bad-value', /ts must be a time/],
                [reading({ ts: '2024' }), 'bad-value', /ts must be a time/],
                [reading({ location: 5 }), 'bad-message', /location/],
                [reading({ device: 'not valid!' }), 'bad-message', /device must be an id/],
                [reading({ id: {} }), 'bad-message', /id must be/],
                [reading({ id: 1.5 }), 'bad-message', /id must be/],
            ];
            for (const [line, code, error] of cases) {
                const r = decodeLine(line);
                assert.equal(r.ok, false, line);
                assert.equal(r.code, code, line);
                assert.match(r.error, error, line);
            }
            assert.equal(decodeLine(reading({ value: 'x' })).type, 'reading', 'a refused reading is still a reading');
        });

        it('reads only its own fields: __proto__ and constructor in a line mean nothing', function () {
            const r = decodeLine('{"__proto__":{"type":"hello"},"constructor":{"type":"ping"}}');
            assert.equal(r.ok, false);
            assert.equal(r.code, 'bad-message');
            assert.equal({}.type, undefined, 'Object.prototype untouched');
        });

        it('never throws and only ever gives known codes, whatever the line (property)', function () {
            const codes = new Set(REFUSAL_REASONS);
            const fieldValue = fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.integer());
            const objects = fc.dictionary(
                fc.constantFrom('type', 'device', 'token', 'sensor', 'kind', 'value', 'ts', 'id', 'unit', 'location'),
                fc.oneof(fieldValue, fc.constantFrom('hello', 'reading', 'ping', 'ack', 'temperature', 'motion')),
            );
            fc.assert(
                fc.property(
                    fc.oneof(
                        fc.string(),
                        objects.map((o) => JSON.stringify(o)),
                    ),
                    (line) => {
                        const r = decodeLine(line);
                        if (r.ok) return ['hello', 'reading', 'ping', 'ack'].includes(r.message.type);
                        return codes.has(r.code) && typeof r.error === 'string' && r.error.length > 0;
                    },
                ),
            );
        });
    });

    describe('encoding', function () {
        it('writes one JSON line per message', function () {
            assert.equal(encodeAck('reading', 5), '{"type":"ack","for":"reading","id":5}\n');
            assert.equal(encodeAck('ping'), '{"type":"ack","for":"ping"}\n');
            assert.equal(
                encodeError('bad-json', 'the line is not valid JSON'),
                '{"type":"error","code":"bad-json","message":"the line is not valid JSON"}\n',
            );
            assert.deepEqual(
                JSON.parse(
                    encodeWelcome(
                        'dev1',
                        { maxLineBytes: 4096, messagesPerSecond: 20, burst: 40, idleTimeoutMs: 0 },
                        'h',
                    ),
                ),
                {
                    type: 'ack',
                    for: 'hello',
                    id: 'h',
                    device: 'dev1',
                    v: 1,
                    limits: { maxLineBytes: 4096, messagesPerSecond: 20, burst: 40, idleTimeoutMs: 0 },
                },
            );
        });

        it('encodes a command, and says why when a payload has no JSON form', function () {
            assert.equal(
                encodeCommand(3, { state: 'on' }, 'light'),
                '{"type":"command","id":3,"topic":"light","payload":{"state":"on"}}\n',
            );
            assert.equal(encodeCommand('c', 1, ''), '{"type":"command","id":"c","payload":1}\n');
            const circular = {};
            circular.self = circular;
            assert.throws(() => encodeCommand(1, circular), /cannot be sent as JSON/);
            assert.throws(() => encodeCommand(1, { n: 10n }), /cannot be sent as JSON/);
            const text = encodeCommand(1, 'line\nbreak');
            assert.equal(text.indexOf('\n'), text.length - 1, 'a newline in a payload is escaped, never a second line');
        });
    });

    describe('ids and tokens', function () {
        it('accepts ids of letters, digits and . _ : - up to 64 characters', function () {
            for (const id of ['dev1', 'a', 'kitchen.t-1', 'A:B_c', 'x'.repeat(64)]) assert.ok(isValidId(id), id);
            for (const id of ['', '-x', 'a b', 'a/b', 'x'.repeat(65), 'é', 'a\n', 7]) assert.ok(!isValidId(id), id);
        });

        it('compares tokens by digest, whatever their lengths', function () {
            const d = tokenDigest('correct horse');
            assert.ok(digestsEqual(tokenDigest('correct horse'), d));
            assert.ok(!digestsEqual(tokenDigest('correct hors'), d));
            assert.ok(!digestsEqual(tokenDigest('x'.repeat(1000)), d));
            assert.equal(tokenDigest('').length, 32);
        });
    });
});
