'use strict';
// Typed inputs (msg, flow, global, env) of the publish, sensor, light, threshold and gateway nodes, and flows saved
// before the fields were typed, which must behave exactly as before.
const assert = require('node:assert/strict');
const net = require('node:net');
const {
    helper,
    coreNode,
    version,
    sink,
    collect,
    errorsLogged,
    catcher,
    HUB,
    shipped,
} = require('../helpers/node-red');
const { until, sleep } = require('../helpers/wait');
const { freePort } = require('../fixtures/broker');
const hubNodes = shipped('hub');
const sensorNodes = shipped('sensor');
const lightNodes = shipped('light');
const thresholdNodes = shipped('threshold');
const gatewayNodes = shipped('gateway');

const catchNode = coreNode('common/25-catch.js');

const tab = (env = []) => ({ id: 'f1', type: 'tab', label: 'test', env });
const envVar = (name, value) => ({ name, value: String(value), type: 'str' });

function publish(extra = {}) {
    return { id: 'p1', type: 'sensorhub-publish', z: 'f1', hub: 'hub1', eventType: '', wires: [], ...extra };
}
const subscribe = { id: 's1', type: 'sensorhub-subscribe', z: 'f1', hub: 'hub1', patterns: '#', wires: [['out']] };

function light(extra = {}) {
    return {
        id: 'l1',
        type: 'sensorhub-light',
        z: 'f1',
        motionPatterns: 'motion_detected',
        wait: 0.1,
        brightness: 100,
        ...extra,
        wires: [['out']],
    };
}
const motion = { topic: 'motion_detected', payload: true };
const states = (got) => got.map((m) => `${m.payload.state}:${m.reason}`);

function threshold(extra = {}) {
    return { id: 't1', type: 'sensorhub-threshold', z: 'f1', high: 30, low: '', ...extra, wires: [['out']] };
}
const reading = (payload, extra = {}) => ({ topic: 'temperature_update', sensor: { id: 's1' }, payload, ...extra });
const alarms = (got) => got.map((m) => `${m.payload.state}:${m.payload.level}:${m.payload.threshold}`);

describe(`typed inputs on Node-RED ${version}`, function () {
    beforeEach(function (done) {
        helper.startServer(done);
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    describe('sensorhub-publish event type', function () {
        async function run(flow, msg) {
            await helper.load([hubNodes, catchNode], [...flow, HUB, subscribe, sink('out'), catcher(), sink('caught')]);
            const out = collect(helper.getNode('out'));
            const caught = collect(helper.getNode('caught'));
            helper.getNode('p1').receive(msg);
            await until(() => out.length + caught.length > 0, 'an event or an error');
            return { out, caught };
        }

        it('an old flow without eventTypeType: the typed type, or msg.topic when blank', async function () {
            const { out } = await run([tab(), publish({ eventType: 'door_update' })], { topic: 'x', payload: 1 });
            assert.equal(out[0].topic, 'door_update');
            await helper.unload();
            const again = await run([tab(), publish()], { topic: 'from_topic', payload: 1 });
            assert.equal(again.out[0].topic, 'from_topic');
        });

        it('msg: the type from a message property', async function () {
            const node = publish({ eventType: 'meta.kind', eventTypeType: 'msg' });
            const { out } = await run([tab(), node], { topic: 'ignored', meta: { kind: 'smoke_alarm' }, payload: 1 });
            assert.equal(out[0].topic, 'smoke_alarm');
        });

        it('msg: a missing property is an error, and nothing is published', async function () {
            const node = publish({ eventType: 'meta.kind', eventTypeType: 'msg' });
            const { out, caught } = await run([tab(), node], { topic: 'x', payload: 1 });
            assert.match(caught[0].error.message, /msg\.meta\.kind is not set/);
            await sleep(20);
            assert.equal(out.length, 0);
        });

        it('env: the type from an environment variable of the flow', async function () {
            const node = publish({ eventType: 'EVENT', eventTypeType: 'env' });
            const { out } = await run([tab([envVar('EVENT', 'site_a/temperature')]), node], { topic: 'x', payload: 1 });
            assert.equal(out[0].topic, 'site_a/temperature');
        });

        it('env: an unset variable stops the node with a clear error', async function () {
            const node = publish({ eventType: 'SENSORHUB_NO_SUCH_VAR', eventTypeType: 'env' });
            const { caught } = await run([tab(), node], { topic: 'x', payload: 1 });
            assert.match(caught[0].error.message, /env\.SENSORHUB_NO_SUCH_VAR is not set/);
            assert.ok(errorsLogged().some((e) => /Publish not started/.test(e)));
        });
    });

    describe('sensorhub-sensor value property', function () {
        function sensor(extra = {}) {
            return { id: 'n1', type: 'sensorhub-sensor', z: 'f1', kind: 'temperature', source: 'msg', ...extra };
        }
        async function run(node, msg) {
            await helper.load(
                [sensorNodes, catchNode],
                [tab(), { ...node, wires: [['out']] }, sink('out'), catcher(), sink('caught')],
            );
            const out = collect(helper.getNode('out'));
            const caught = collect(helper.getNode('caught'));
            helper.getNode('n1').receive(msg);
            await until(() => out.length + caught.length > 0, 'a reading or an error');
            return { out, caught };
        }

        it('an old flow without property reads msg.payload', async function () {
            const { out } = await run(sensor(), { payload: 21.5 });
            assert.equal(out[0].payload, 21.5);
        });

        it('msg: reads the property chosen', async function () {
            const { out } = await run(sensor({ property: 'data.celsius' }), { payload: 'x', data: { celsius: 19.25 } });
            assert.equal(out[0].payload, 19.25);
            assert.equal(out[0].reading.status, 'ok');
        });
    });

    describe('sensorhub-light wait', function () {
        async function load(node, env = []) {
            await helper.load([lightNodes, catchNode], [tab(env), node, sink('out'), catcher(), sink('caught')]);
            return { out: collect(helper.getNode('out')), caught: collect(helper.getNode('caught')) };
        }

        it('an old flow without waitType: the number saved', async function () {
            const { out } = await load(light({ wait: 0.05 }));
            helper.getNode('l1').receive(motion);
            await until(() => out.length === 2, 'on, then off');
            assert.deepEqual(states(out), ['on:motion', 'off:timeout']);
        });

        it('env: the wait from an environment variable', async function () {
            const { out } = await load(light({ wait: 'LIGHT_WAIT', waitType: 'env' }), [envVar('LIGHT_WAIT', '0.05')]);
            helper.getNode('l1').receive(motion);
            await until(() => out.length === 2, 'on, then off');
        });

        it('env: a value out of range stops the node with the reason', async function () {
            const { caught } = await load(light({ wait: 'LIGHT_WAIT', waitType: 'env' }), [
                envVar('LIGHT_WAIT', 'soon'),
            ]);
            helper.getNode('l1').receive(motion);
            await until(() => caught.length === 1, 'the error');
            assert.match(caught[0].error.message, /no-motion wait/);
        });

        for (const scope of ['flow', 'global']) {
            it(`${scope}: the wait from ${scope} context, read at each motion`, async function () {
                const { out } = await load(light({ wait: 'lightWait', waitType: scope }));
                const node = helper.getNode('l1');
                node.context()[scope].set('lightWait', 0.05);
                node.receive(motion);
                await until(() => out.length === 2, 'on, then off');
                node.context()[scope].set('lightWait', '0.06');
                node.receive(motion);
                await until(() => out.length === 4, 'on, then off again');
                assert.deepEqual(states(out), ['on:motion', 'off:timeout', 'on:motion', 'off:timeout']);
            });

            it(`${scope}: an unset or bad value is an error and sends nothing`, async function () {
                const { out, caught } = await load(light({ wait: 'lightWait', waitType: scope }));
                const node = helper.getNode('l1');
                node.receive(motion);
                await until(() => caught.length === 1, 'the error for the unset value');
                assert.match(caught[0].error.message, new RegExp(`${scope}\\.lightWait is not set`));
                node.context()[scope].set('lightWait', -3);
                node.receive(motion);
                await until(() => caught.length === 2, 'the error for the bad value');
                assert.match(caught[1].error.message, new RegExp(`${scope}\\.lightWait gives an unusable value`));
                await sleep(20);
                assert.equal(out.length, 0);
            });
        }

        it('a type the field does not take stops the node', async function () {
            await load(light({ wait: 'x', waitType: 'jsonata' }));
            assert.ok(errorsLogged().some((e) => /"jsonata" is not a source this field takes/.test(e)));
        });
    });

    describe('sensorhub-threshold limits and value property', function () {
        async function load(node, env = []) {
            await helper.load([thresholdNodes, catchNode], [tab(env), node, sink('out'), catcher(), sink('caught')]);
            return { out: collect(helper.getNode('out')), caught: collect(helper.getNode('caught')) };
        }

        it('an old flow without highType or property: numbers saved, msg.payload read', async function () {
            const { out } = await load(threshold({ high: 30 }));
            helper.getNode('t1').receive(reading(31));
            await until(() => out.length === 1, 'the alarm');
            assert.deepEqual(alarms(out), ['raised:high:30']);
        });

        it('msg: the reading from the property chosen', async function () {
            const { out } = await load(threshold({ high: 30, property: 'data.value' }));
            helper.getNode('t1').receive(reading('not this', { data: { value: 35 } }));
            await until(() => out.length === 1, 'the alarm');
            assert.equal(out[0].payload.value, 35);
        });

        it('env: a limit from an environment variable', async function () {
            const { out } = await load(threshold({ high: 'HIGH', highType: 'env', low: 5 }), [envVar('HIGH', '25')]);
            helper.getNode('t1').receive(reading(26));
            await until(() => out.length === 1, 'the alarm');
            assert.deepEqual(alarms(out), ['raised:high:25']);
        });

        for (const scope of ['flow', 'global']) {
            it(`${scope}: limits from ${scope} context follow a change there`, async function () {
                const { out } = await load(threshold({ high: 'maxT', highType: scope, low: 'minT', lowType: scope }));
                const node = helper.getNode('t1');
                node.context()[scope].set('maxT', 30);
                node.context()[scope].set('minT', 10);
                node.receive(reading(28));
                await sleep(20);
                assert.equal(out.length, 0, 'below the high limit');
                node.context()[scope].set('maxT', 25);
                node.receive(reading(28));
                await until(() => out.length === 1, 'the alarm under the new limit');
                assert.deepEqual(alarms(out), ['raised:high:25']);
            });

            it(`${scope}: a bad limit is an error and sends nothing`, async function () {
                const { out, caught } = await load(threshold({ high: 'maxT', highType: scope }));
                const node = helper.getNode('t1');
                node.receive(reading(99));
                await until(() => caught.length === 1, 'the error for the unset value');
                assert.match(caught[0].error.message, new RegExp(`${scope}\\.maxT is not set`));
                node.context()[scope].set('maxT', 'hot');
                node.receive(reading(99));
                await until(() => caught.length === 2, 'the error for the bad value');
                assert.match(caught[1].error.message, /unusable value/);
                await sleep(20);
                assert.equal(out.length, 0);
            });
        }
    });

    describe('sensorhub-gateway port', function () {
        const gateway = (extra) => ({
            id: 'gw',
            type: 'sensorhub-gateway',
            z: 'f1',
            host: '127.0.0.1',
            devices: [],
            ...extra,
            wires: [[], []],
        });
        const listening = (port) =>
            new Promise((resolve) => {
                const socket = net.connect(port, '127.0.0.1');
                socket.on('connect', () => {
                    socket.destroy();
                    resolve(true);
                });
                socket.on('error', () => resolve(false));
            });

        it('an old flow without portType: the number saved', async function () {
            const port = await freePort();
            await helper.load(gatewayNodes, [tab(), gateway({ port })]);
            await until(() => helper.getNode('gw').port() === port, 'listening');
            assert.ok(await listening(port));
        });

        it('env: the port from an environment variable', async function () {
            const port = await freePort();
            await helper.load(gatewayNodes, [
                tab([envVar('GW_PORT', port)]),
                gateway({ port: 'GW_PORT', portType: 'env' }),
            ]);
            await until(() => helper.getNode('gw').port() === port, 'listening');
        });

        it('env: an unset variable stops the node with a clear error', async function () {
            await helper.load(gatewayNodes, [tab(), gateway({ port: 'SENSORHUB_NO_PORT', portType: 'env' })]);
            assert.ok(errorsLogged().some((e) => /env\.SENSORHUB_NO_PORT is not set/.test(e)));
        });
    });
});
