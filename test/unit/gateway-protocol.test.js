'use strict';
// Property tests: fast-check prints the seed and path of a failure. To replay it, add them to that fc.assert's
// options, `fc.assert(property, { seed, path, endOnFailure: true })`, and run this file alone.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { SENSOR_KINDS } = require('../../src/core/shared/reading');
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
} = require('../../src/core/gateway/protocol');
const { fieldsOf } = require('../helpers/types');

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
            const full = fieldsOf(
                decodeLine(reading({ ts: 1700000000000.5, unit: '°F', location: 'attic', device: 'dev1', id: 7 })),
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
                fieldsOf(decodeLine(JSON.stringify({ type: 'reading', sensor: 'm', kind: 'motion', value })));
            assert.equal(fieldsOf(motion(true).message).value, true);
            assert.equal(fieldsOf(motion(0).message).value, false);
            assert.equal(fieldsOf(motion(1).message).value, true);
            assert.equal(fieldsOf(motion('yes')).code, 'bad-value');
            assert.equal(fieldsOf(motion(2)).code, 'bad-value');
        });

        it('decodes ping and ack; an ack needs the id it acknowledges', function () {
            assert.deepEqual(decodeLine('{"type":"ping"}'), { ok: true, message: { type: 'ping' } });
            assert.deepEqual(decodeLine('{"type":"ping","id":3}'), { ok: true, message: { type: 'ping', id: 3 } });
            assert.deepEqual(decodeLine('{"type":"ack","id":"c-1"}'), {
                ok: true,
                message: { type: 'ack', id: 'c-1' },
            });
            assert.equal(fieldsOf(decodeLine('{"type":"ack"}')).code, 'bad-message');
        });

        it('refuses malformed JSON and what is not an object', function () {
            assert.equal(fieldsOf(decodeLine('{"type":"reading",')).code, 'bad-json');
            assert.equal(fieldsOf(decodeLine('hello')).code, 'bad-json');
            for (const text of ['[]', '"hello"', '42', 'null', 'true'])
                assert.equal(fieldsOf(decodeLine(text)).code, 'bad-message', text);
        });

        it('refuses unknown types and a missing type, naming the id when it has one', function () {
            assert.deepEqual(decodeLine('{"type":"reboot","id":"x"}'), {
                ok: false,
                code: 'unknown-type',
                error: 'unknown message type "reboot": use hello, reading, ping or ack',
                id: 'x',
            });
            assert.equal(fieldsOf(decodeLine('{"sensor":"t1"}')).code, 'bad-message');
            assert.equal(fieldsOf(decodeLine('{"type":7}')).code, 'bad-message');
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
                [reading({ kind: 'illuminance', unit: 'lux' }), 'bad-value', /illuminance unit must be lx/],
                [reading({ kind: 'battery', value: 120 }), 'bad-value', /battery level runs from 0 to 100/],
                [reading({ kind: 'contact', value: 'closed' }), 'bad-value', /contact sensor needs true/],
                [reading({ ts: -1 }), 'bad-value', /ts must be a time/],
                [reading({ ts: '2024' }), 'bad-value', /ts must be a time/],
                [reading({ location: 5 }), 'bad-message', /location/],
                [reading({ device: 'not valid!' }), 'bad-message', /device must be an id/],
                [reading({ id: {} }), 'bad-message', /id must be/],
                [reading({ id: 1.5 }), 'bad-message', /id must be/],
            ];
            for (const [line, code, error] of /** @type {Array<[string, string, RegExp]>} */ (cases)) {
                const r = decodeLine(line);
                assert.equal(r.ok, false, line);
                assert.equal(r.code, code, line);
                assert.match(r.error, error, line);
            }
            assert.equal(
                fieldsOf(decodeLine(reading({ value: 'x' }))).type,
                'reading',
                'a refused reading is still a reading',
            );
        });

        it('reads only its own fields: __proto__ and constructor in a line mean nothing', function () {
            const r = decodeLine('{"__proto__":{"type":"hello"},"constructor":{"type":"ping"}}');
            assert.equal(r.ok, false);
            assert.equal(r.code, 'bad-message');
            assert.equal({}.type, undefined, 'Object.prototype untouched');
        });

        it('never throws, and gives a message that keeps every rule or a one-line error with a decode code (property)', function () {
            this.timeout(30_000);
            const DECODE_CODES = ['bad-json', 'bad-message', 'unknown-type', 'bad-value'];
            const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
            const idLike = fc.oneof(
                fc.constantFrom('dev1', 't1', 'a', 'kitchen.t-1', 'x'.repeat(64), 'x'.repeat(65), '-x', 'a b', 'é', ''),
                fc.string({ maxLength: 8 }),
            );
            const anyValue = fc.oneof(
                fc.string({ maxLength: 8 }),
                fc.double(),
                fc.integer(),
                fc.boolean(),
                fc.constant(null),
                fc.constantFrom(0, 1, -0, 2 ** 53, 8.64e15, 8.64e15 + 1, 1e308),
                fc.array(fc.integer(), { maxLength: 2 }),
                fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
            );
            const validId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/);
            const opt = (arb) => fc.option(arb, { nil: undefined });
            const wellFormed = fc.oneof(
                fc.record({
                    type: fc.constant('hello'),
                    device: validId,
                    token: fc.string({ minLength: 1 }),
                    id: opt(idLike),
                }),
                fc.record({
                    type: fc.constant('reading'),
                    sensor: validId,
                    kind: fc.constantFrom(...SENSOR_KINDS),
                    value: fc.oneof(
                        fc.double({ noNaN: true, noDefaultInfinity: true }),
                        fc.boolean(),
                        fc.constantFrom(0, 1),
                    ),
                    ts: opt(fc.double({ min: 0, max: 8.64e15, noNaN: true })),
                    unit: opt(fc.constantFrom('°C', '°F', '%', '', 'hPa', 'lx')),
                    location: opt(fc.string({ maxLength: 20 })),
                    device: opt(validId),
                    id: opt(fc.oneof(idLike, fc.integer())),
                }),
                fc.record({ type: fc.constant('ping'), id: opt(fc.oneof(idLike, fc.integer())) }),
                fc.record({ type: fc.constant('ack'), id: opt(fc.oneof(idLike, fc.integer())) }),
            );
            const field = fc.constantFrom(
                'type',
                'id',
                'device',
                'token',
                'sensor',
                'kind',
                'value',
                'unit',
                'ts',
                'location',
            );
            const plausible = fc.oneof(
                anyValue,
                fc.constantFrom('hello', 'reading', 'ping', 'ack', 'Hello', 'temperature', 'motion', 'pressure'),
                fc.constantFrom('x'.repeat(65), 'x'.repeat(257), 'x'.repeat(1025), 1.5, -1, 8.64e15 + 2, 2 ** 53),
            );
            // Mostly well-formed messages with a field or two off, or missing: the decoder's rules decide, not JSON.
            const message = fc
                .tuple(wellFormed, fc.array(fc.tuple(field, opt(plausible)), { maxLength: 2 }))
                .map(([m, changes]) => {
                    const out = { ...m };
                    for (const [k, v] of changes) out[k] = v;
                    return out;
                });
            const line = fc.oneof(
                { weight: 4, arbitrary: message.map((m) => JSON.stringify(m)) },
                { weight: 1, arbitrary: message.map((m) => JSON.stringify(m).slice(0, -1)) },
                // Own keys that name Object's: they must mean nothing.
                {
                    weight: 1,
                    arbitrary: message.map((m) => {
                        const rest = JSON.stringify(m).slice(1);
                        return `{"__proto__":{"type":"hello"},"constructor":"ping"${rest === '}' ? '' : ','}${rest}`;
                    }),
                },
                { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
                { weight: 1, arbitrary: fc.json() },
            );
            const keys = (m) => Object.keys(m).sort();
            fc.assert(
                fc.property(line, (text) => {
                    const r = decodeLine(text);
                    if (!r.ok) {
                        assert.ok(DECODE_CODES.includes(r.code) && REFUSAL_REASONS.includes(r.code), r.code);
                        assert.equal(typeof r.error, 'string');
                        assert.ok(r.error.length > 0 && r.error.length <= 300, `a short error: ${r.error}`);
                        assert.ok(!/[\r\n]/.test(r.error), 'an error of one line, whatever the device sent');
                        return;
                    }
                    const src = JSON.parse(text);
                    const own = (k) => (Object.prototype.hasOwnProperty.call(src, k) ? src[k] : undefined);
                    // Checked field by field against what was sent, as the plain object any consumer sees.
                    const m = /** @type {any} */ (r.message);
                    assert.equal(m.type, own('type'));
                    const id = own('id');
                    if (id === undefined) assert.ok(!('id' in m));
                    else {
                        assert.equal(m.id, id);
                        assert.ok(
                            (typeof id === 'string' && id.length >= 1 && id.length <= 64) || Number.isSafeInteger(id),
                        );
                    }
                    const opt = (k) => (own(k) === undefined ? [] : [k]);
                    switch (m.type) {
                        case 'hello':
                            assert.ok(ID.test(m.device), m.device);
                            assert.ok(typeof m.token === 'string' && m.token.length >= 1 && m.token.length <= 1024);
                            assert.deepEqual(keys(m), ['device', 'token', 'type', ...opt('id')].sort());
                            break;
                        case 'reading': {
                            assert.ok(ID.test(m.sensor), m.sensor);
                            assert.ok(SENSOR_KINDS.includes(m.kind));
                            const v = own('value');
                            const yesNo = m.kind === 'motion' || m.kind === 'contact';
                            if (yesNo) assert.equal(m.value, v === true || v === 1);
                            else assert.ok(Number.isFinite(m.value) && m.value === v, 'a number, as sent');
                            if (yesNo) assert.ok(typeof v === 'boolean' || v === 0 || v === 1);
                            if (m.kind === 'battery') assert.ok(m.value >= 0 && m.value <= 100);
                            if ('ts' in m) assert.ok(Number.isFinite(m.ts) && m.ts >= 0 && m.ts <= 8.64e15);
                            if ('device' in m) assert.ok(ID.test(m.device));
                            if ('location' in m) assert.ok(typeof m.location === 'string' && m.location.length <= 256);
                            if ('unit' in m) {
                                const allowed = {
                                    temperature: ['°C', '°F'],
                                    humidity: ['%'],
                                    battery: ['%'],
                                    illuminance: ['lx'],
                                    motion: [''],
                                    contact: [''],
                                }[m.kind];
                                if (allowed) assert.ok(allowed.includes(m.unit), m.unit);
                                else assert.ok(typeof m.unit === 'string' && m.unit.length <= 32);
                            }
                            const optional = ['ts', 'unit', 'location', 'device', 'id'].flatMap(opt);
                            assert.deepEqual(keys(m), ['kind', 'sensor', 'type', 'value', ...optional].sort());
                            break;
                        }
                        case 'ping':
                            assert.deepEqual(keys(m), ['type', ...opt('id')].sort());
                            break;
                        case 'ack':
                            assert.deepEqual(keys(m), ['id', 'type']);
                            break;
                        default:
                            assert.fail(`decoded an unknown type ${m.type}`);
                    }
                }),
                { numRuns: 5000 },
            );
        });
    });

    describe('encoding', function () {
        it('writes one JSON line per message', function () {
            assert.equal(encodeAck('reading', 5), '{"type":"ack","for":"reading","id":5}\n');
            assert.equal(encodeAck('ping', undefined), '{"type":"ack","for":"ping"}\n');
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
            assert.throws(() => encodeCommand(1, circular, undefined), /cannot be sent as JSON/);
            assert.throws(() => encodeCommand(1, { n: 10n }, undefined), /cannot be sent as JSON/);
            const text = encodeCommand(1, 'line\nbreak', undefined);
            assert.equal(text.indexOf('\n'), text.length - 1, 'a newline in a payload is escaped, never a second line');
        });
    });

    describe('ids and tokens', function () {
        it('accepts ids of letters, digits and . _ : - up to 64 characters', function () {
            for (const id of ['dev1', 'a', 'kitchen.t-1', 'A:B_c', 'x'.repeat(64)]) assert.ok(isValidId(id), id);
            for (const id of ['', '-x', 'a b', 'a/b', 'x'.repeat(65), 'é', 'a\n', 7])
                assert.ok(!isValidId(id), String(id));
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
