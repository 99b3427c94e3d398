'use strict';
const assert = require('node:assert/strict');
const { parseHubConfig, defaultClientId, wholeNumber } = require('../../src/core/hub/config');
const { fieldsOf } = require('../helpers/types');

describe('core/hub-config', function () {
    it('reads a local hub, with defaults for what a flow saved earlier lacks', function () {
        assert.deepEqual(parseHubConfig({}), {
            config: { backend: 'local', queueLimit: 10_000, overflow: 'drop-oldest' },
        });
        assert.deepEqual(parseHubConfig({ backend: 'local', queueLimit: '50', overflow: 'drop-newest' }), {
            config: { backend: 'local', queueLimit: 50, overflow: 'drop-newest' },
        });
    });

    it('reads an mqtt hub, with defaults', function () {
        const { config } = fieldsOf(parseHubConfig({ backend: 'mqtt', broker: ' mqtt://127.0.0.1:1883 ' }));
        assert.deepEqual(config.mqtt, {
            url: 'mqtt://127.0.0.1:1883',
            clientId: '',
            prefix: 'sensorhub',
            qos: 1,
            protocolVersion: 5,
            bufferLimit: 10000,
            keepalive: 60,
            useTls: false,
        });
        const keepalive = (v) =>
            fieldsOf(fieldsOf(parseHubConfig({ backend: 'mqtt', broker: 'mqtt://b', keepalive: v })).config.mqtt)
                .keepalive;
        assert.deepEqual([keepalive(''), keepalive(0), keepalive('15'), keepalive(65535)], [60, 0, 15, 65535]);
        assert.equal(
            fieldsOf(
                fieldsOf(
                    parseHubConfig({
                        backend: 'mqtt',
                        broker: 'mqtts://b:8883',
                        qos: '0',
                        protocol: '4',
                        usetls: true,
                    }),
                ).config.mqtt,
            ).qos,
            0,
        );
    });

    it('names the field and the fix for every bad value', function () {
        const err = (raw) => fieldsOf(parseHubConfig(raw)).error;
        assert.match(err({ backend: 'kafka' }), /backend must be local or mqtt, not "kafka"/);
        assert.match(err({ backend: { x: 1 } }), /not \{"x":1\}/);
        assert.match(err({ queueLimit: 0 }), /queue limit must be a whole number from 1 to 1000000/);
        assert.match(err({ queueLimit: '1.5' }), /queue limit/);
        assert.match(err({ overflow: 'block' }), /drop-oldest or drop-newest/);
        assert.match(err({ backend: 'mqtt', broker: 'localhost:1883' }), /scheme must be mqtt/);
        assert.match(err({ backend: 'mqtt', broker: '' }), /broker URL is empty/);
        assert.match(err({ backend: 'mqtt', broker: 'mqtt://b', prefix: 'a/#' }), /prefix cannot contain/);
        assert.match(err({ backend: 'mqtt', broker: 'mqtt://b', qos: 2 }), /QoS must be 0 or 1/);
        assert.match(err({ backend: 'mqtt', broker: 'mqtt://b', protocol: '3' }), /protocol must be 4/);
        assert.match(err({ backend: 'mqtt', broker: 'mqtt://b', bufferLimit: -1 }), /offline buffer/);
        for (const keepalive of [-1, 65536, 1.5, 'soon', true])
            assert.match(
                err({ backend: 'mqtt', broker: 'mqtt://b', keepalive }),
                /keep alive must be a whole number of seconds from 0 to 65535/,
            );
        assert.match(err({ backend: 'mqtt', broker: 'mqtt://b', clientId: 'x'.repeat(300) }), /client id is longer/);
    });

    it('wholeNumber accepts whole numbers and numeric strings in range only', function () {
        assert.equal(wholeNumber('12', 100), 12);
        assert.equal(wholeNumber(100, 100), 100);
        for (const bad of [0, 101, 1.5, '', ' ', 'x', null, undefined, [], {}])
            assert.equal(wholeNumber(bad, 100), undefined);
        assert.equal(wholeNumber('0', 100, 0), 0, 'from the minimum given');
        assert.equal(wholeNumber(-1, 100, 0), undefined);
    });

    it('derives a client id stable per instance and configuration, distinct otherwise', function () {
        const id = (dir, url = 'mqtt://b', prefix = 'sensorhub') => defaultClientId('hub1', 'host', dir, url, prefix);
        assert.equal(id('/home/a/.node-red'), id('/home/a/.node-red'), 'the same after a restart');
        assert.notEqual(id('/home/a/.node-red'), id('/home/b/.node-red'), 'two instances on one host');
        assert.notEqual(id('/d'), id('/d', 'mqtt://other'), 'a new broker starts a new session');
        assert.notEqual(id('/d'), id('/d', 'mqtt://b', 'other'), 'a new prefix starts a new session');
        assert.match(id('/d'), /^sensorhub-host-[0-9a-f]{10}-hub1$/);
    });
});
