'use strict';
const assert = require('node:assert/strict');
const {
    commandRequest,
    gatewayEvent,
    gatewayStatus,
    listenAddress,
    listenFailure,
    refusalEvent,
} = require('../../src/core/gateway/status');

describe('core/gateway/status', function () {
    it('writes an IPv6 listen address in brackets', function () {
        assert.equal(listenAddress('127.0.0.1', 7000), '127.0.0.1:7000');
        assert.equal(listenAddress('::1', 7000), '[::1]:7000');
    });

    const stats = (refusedTotal) => () => ({ devicesOnline: 2, refusedTotal });
    const view = (o) => ({ state: 'listening', where: 'h:1', tls: false, failure: '', stats: stats(0), ...o });

    it('yellow while starting, red with the reason when it cannot listen', function () {
        assert.deepEqual(gatewayStatus(view({ state: 'starting' })), {
            fill: 'yellow',
            shape: 'ring',
            text: { key: 'starting', params: { where: 'h:1' } },
        });
        const failure = listenFailure('EADDRINUSE', 1, 'h:1');
        assert.deepEqual(failure, { key: 'in-use', params: { port: 1 } });
        assert.deepEqual(listenFailure('EACCES', 1, 'h:1'), { key: 'cannot-listen', params: { where: 'h:1' } });
        assert.deepEqual(gatewayStatus(view({ state: 'failed', failure })), {
            fill: 'red',
            shape: 'ring',
            text: failure,
        });
    });

    it('green while listening, with the refusals once there are some, and TLS said', function () {
        assert.deepEqual(gatewayStatus(view()).text, {
            key: 'listening',
            params: { online: 2, where: 'h:1', refused: 0 },
        });
        assert.deepEqual(gatewayStatus(view({ tls: true, stats: stats(3) })).text, {
            key: 'listening-refused',
            params: { online: 2, where: { key: 'tls', params: { where: 'h:1' } }, refused: 3 },
        });
    });

    it('an event names its device only when there is one', function () {
        assert.deepEqual(gatewayEvent('device_online', 'd1', { a: 1 }), {
            topic: 'device_online',
            deviceId: 'd1',
            payload: { a: 1 },
        });
        assert.deepEqual(Object.keys(gatewayEvent('x', undefined, {})), ['topic', 'payload']);
    });

    it('a refusal report becomes a gateway_refusal event with its counts and last detail', function () {
        /** @type {import('../../src/core/gateway/limits').RefusalReport} */
        const report = {
            reason: 'auth-failed',
            count: 3,
            total: 9,
            detail: { remote: '127.0.0.1:5', message: 'bad token' },
        };
        assert.deepEqual(refusalEvent(report), {
            topic: 'gateway_refusal',
            payload: {
                reason: 'auth-failed',
                count: 3,
                total: 9,
                remote: '127.0.0.1:5',
                deviceId: undefined,
                message: 'bad token',
            },
        });
    });

    it('checks a command message: target first, then listening, payload and command id', function () {
        const ok = { deviceId: 'd1', payload: { on: true }, commandId: 7 };
        assert.deepEqual(commandRequest(ok, true), ok);
        assert.deepEqual(commandRequest({ ...ok, deviceId: '' }, false), { problem: 'no-target' });
        assert.deepEqual(commandRequest({ ...ok, deviceId: 5 }, true), { problem: 'no-target' });
        assert.deepEqual(commandRequest(ok, false), { problem: 'not-listening' });
        assert.deepEqual(commandRequest({ ...ok, payload: undefined }, true), { problem: 'no-payload' });
        assert.deepEqual(commandRequest({ ...ok, commandId: { x: 1 } }, true), { problem: 'command-id' });
        assert.deepEqual(commandRequest({ deviceId: 'd1', payload: 0 }, true), {
            deviceId: 'd1',
            payload: 0,
            commandId: undefined,
        });
    });
});
