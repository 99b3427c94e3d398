'use strict';
const assert = require('node:assert/strict');
const { parseGatewayConfig } = require('../../src/core/gateway/config');
const { fieldsOf } = require('../helpers/types');

const tokens = (map) => ({ tokens: JSON.stringify(map) });
const error = (raw, creds) => fieldsOf(parseGatewayConfig(raw, creds)).error;

describe('core/gateway-config', function () {
    it('reads a node saved with nothing set: loopback, port 1881, the default limits, and says why no one can connect', function () {
        const { config } = fieldsOf(parseGatewayConfig({}, undefined));
        assert.equal(config.host, '127.0.0.1');
        assert.equal(config.port, 1881);
        assert.equal(config.tls, '');
        assert.deepEqual(config.devices, []);
        assert.deepEqual(config.limits, {
            maxConnections: 100,
            maxLineBytes: 4096,
            messagesPerSecond: 20,
            burst: 40,
            helloTimeoutMs: 5000,
            idleTimeoutMs: 60000,
            maxOutboundBytes: 262144,
        });
        assert.deepEqual(config.warnings, ['the device table is empty, so no device can connect']);
    });

    it('reads devices with their tokens from the credential, and limits from strings as the editor saves them', function () {
        const { config } = fieldsOf(
            parseGatewayConfig(
                {
                    host: ' 0.0.0.0 ',
                    port: '2000',
                    devices: [{ id: 'dev1', location: ' hall ' }, { id: 'dev2' }],
                    maxConnections: '3',
                    maxLineBytes: '128',
                    rate: '0.5',
                    burst: '2',
                    helloTimeout: '0.2',
                    idleTimeout: '0',
                },
                tokens({ dev1: 'a-long-enough-token-1', dev2: 'a-long-enough-token-2', gone: 'x' }),
            ),
        );
        assert.equal(config.host, '0.0.0.0');
        assert.equal(config.port, 2000);
        assert.deepEqual(config.devices, [
            { id: 'dev1', token: 'a-long-enough-token-1', location: 'hall' },
            { id: 'dev2', token: 'a-long-enough-token-2', location: '' },
        ]);
        assert.deepEqual(config.limits, {
            maxConnections: 3,
            maxLineBytes: 128,
            messagesPerSecond: 0.5,
            burst: 2,
            helloTimeoutMs: 200,
            idleTimeoutMs: 0,
            maxOutboundBytes: 262144,
        });
        assert.deepEqual(config.warnings, []);
    });

    it('warns about devices without a token and short tokens, once per kind, but starts', function () {
        const { config } = fieldsOf(
            parseGatewayConfig({ devices: [{ id: 'a' }, { id: 'b' }] }, tokens({ b: 'secret' })),
        );
        assert.equal(config.devices[0].token, undefined);
        assert.deepEqual(config.warnings, [
            'device a has no token, so cannot connect',
            'the token of device b is shorter than 16 characters: easy to guess',
        ]);
        const many = Array.from({ length: 12 }, (_, i) => ({ id: `d${i}` }));
        assert.deepEqual(fieldsOf(parseGatewayConfig({ devices: many }, undefined)).config.warnings, [
            'devices d0, d1, d2, d3, d4 and 7 more have no token, so cannot connect',
        ]);
        assert.deepEqual(fieldsOf(parseGatewayConfig({ devices: many.slice(0, 3) }, undefined)).config.warnings, [
            'devices d0, d1 and d2 have no token, so cannot connect',
        ]);
    });

    it('takes the tls-config node only when TLS is on, and needs one then', function () {
        assert.equal(fieldsOf(parseGatewayConfig({ usetls: false, tls: 'tls1' }, undefined)).config.tls, '');
        assert.equal(fieldsOf(parseGatewayConfig({ usetls: true, tls: 'tls1' }, undefined)).config.tls, 'tls1');
        assert.equal(error({ usetls: true, tls: '' }), 'TLS is on but no TLS configuration is chosen');
    });

    it('bounds what waits unsent to one device by its own setting in KiB, not by the line length', function () {
        const limits = (raw) => fieldsOf(parseGatewayConfig(raw, undefined)).config.limits.maxOutboundBytes;
        assert.equal(limits({ maxLineBytes: 1_048_576 }), 256 * 1024);
        assert.equal(limits({ maxOutbound: '1024' }), 1024 * 1024);
        assert.match(
            error({ maxOutbound: 8 }),
            /unsent data per device \(KiB\) must be a whole number from 16 to 65536/,
        );
    });

    it('refuses each bad field with a sentence naming it', function () {
        const cases = [
            [{ host: 'my host' }, /host must be an IP address/],
            [{ host: 42 }, /host must be/],
            [{ port: 0 }, /port must be a whole number from 1 to 65535/],
            [{ port: '80.5' }, /port/],
            [{ port: 70000 }, /port/],
            [{ devices: 'dev1' }, /devices must be a list/],
            [{ devices: [{ id: '' }] }, /device id "" is not valid/],
            [{ devices: [{ id: 'a/b' }] }, /device id "a\/b" is not valid/],
            [{ devices: [{ id: 'a' }, { id: 'a' }] }, /device a is listed twice/],
            [{ devices: [{ id: 'a', location: 'x'.repeat(257) }] }, /location of device a/],
            [{ maxConnections: 0 }, /maximum connections must be a whole number from 1 to 100000/],
            [{ maxConnections: 1.5 }, /maximum connections/],
            [{ maxLineBytes: 10 }, /maximum line length \(bytes\) must be a whole number from 64/],
            [{ rate: 0 }, /messages per second per device must be a number from 0.01/],
            [{ burst: 'lots' }, /burst/],
            [{ helloTimeout: 0 }, /hello timeout \(s\)/],
            [{ idleTimeout: -1 }, /idle timeout \(s\)/],
        ];
        for (const [raw, re] of /** @type {Array<[unknown, RegExp]>} */ (cases))
            assert.match(error(raw) ?? 'no error', re, JSON.stringify(raw));
    });

    it('refuses a tokens credential that is not a JSON object of strings', function () {
        assert.match(error({}, { tokens: 'dev1=secret' }), /not valid JSON/);
        assert.match(error({}, { tokens: '["a"]' }), /JSON object of device id → token/);
        assert.match(error({}, { tokens: '{"a":5}' }), /token of device a must be a string/);
        assert.equal(error({}, { tokens: '' }), undefined, 'blank: no tokens yet');
    });
});
