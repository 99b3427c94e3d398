'use strict';
const assert = require('node:assert/strict');
const { parseSerialConfig } = require('../../src/core/serial/config');
const { fieldsOf } = require('../helpers/types');

describe('core/serial-config', function () {
    it('reads a config node with only a path, filling in the defaults', function () {
        assert.deepEqual(parseSerialConfig({ path: ' /dev/ttyUSB0 ' }), {
            config: {
                path: '/dev/ttyUSB0',
                baudRate: 9600,
                dataBits: 8,
                parity: 'none',
                stopBits: 1,
                framing: { kind: 'delimiter', delimiter: '\n' },
                maxLineLength: 1024,
                mode: 'push',
                requestTimeoutMs: 1000,
            },
        });
    });

    it('reads numbers saved as strings, and delimiter escapes', function () {
        const { config } = fieldsOf(
            parseSerialConfig({
                path: '/dev/ttyACM0',
                baudRate: '115200',
                dataBits: '7',
                parity: 'even',
                stopBits: '1.5',
                framing: 'delimiter',
                delimiter: '\\r\\n',
                maxLineLength: '256',
                mode: 'request',
                requestTimeoutMs: '250',
            }),
        );
        assert.equal(config.baudRate, 115200);
        assert.equal(config.dataBits, 7);
        assert.equal(config.stopBits, 1.5);
        assert.deepEqual(config.framing, { kind: 'delimiter', delimiter: '\r\n' });
        assert.equal(config.mode, 'request');
        assert.equal(config.requestTimeoutMs, 250);
    });

    it('reads length and timeout framing', function () {
        assert.deepEqual(fieldsOf(parseSerialConfig({ path: 'p', framing: 'length', length: 8 })).config.framing, {
            kind: 'length',
            length: 8,
        });
        assert.deepEqual(
            fieldsOf(parseSerialConfig({ path: 'p', framing: 'timeout', interByteTimeoutMs: '30' })).config.framing,
            {
                kind: 'timeout',
                intervalMs: 30,
            },
        );
    });

    it('names the field that is wrong', function () {
        const error = (raw) => fieldsOf(parseSerialConfig({ path: '/dev/x', ...raw })).error;
        assert.match(fieldsOf(parseSerialConfig({})).error, /path/);
        assert.match(error({ baudRate: 9601 }), /baud rate must be one of/);
        assert.match(error({ dataBits: 9 }), /data bits/);
        assert.match(error({ parity: 'high' }), /parity/);
        assert.match(error({ stopBits: 3 }), /stop bits/);
        assert.match(error({ framing: 'magic' }), /framing/);
        assert.match(error({ delimiter: '' }), /delimiter cannot be empty/);
        assert.match(error({ framing: 'length', length: 0 }), /frame length/);
        assert.match(error({ framing: 'length', length: 2000 }), /frame length/);
        assert.match(error({ framing: 'timeout' }), /inter-byte timeout/);
        assert.match(error({ maxLineLength: 0 }), /maximum line length/);
        assert.match(error({ mode: 'poll' }), /mode/);
        assert.match(error({ requestTimeoutMs: -1 }), /request timeout/);
    });
});
