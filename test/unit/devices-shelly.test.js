'use strict';
const assert = require('node:assert/strict');
const { shelly } = require('../../src/core/devices');
const { feed, readingsOf } = require('../helpers/devices');

// Frames as Shelly's Gen2 API documentation shows them (Notifications, RPC protocol, Switch, HT components).
describe('core/devices shelly', function () {
    let state;
    beforeEach(function () {
        state = shelly.createState({});
    });

    const notify = (method, params) => ({
        src: 'shellyplusht-b8d61a8b17cc',
        dst: 'shellyplusht-b8d61a8b17cc/events',
        method,
        params: { ts: 1680962879.62, ...params },
    });

    it('subscribes to notifications, online and its own reply topic', function () {
        assert.deepEqual(shelly.subscriptions({}), ['+/events/rpc', '+/online', 'sensorhub/rpc']);
        assert.deepEqual(shelly.subscriptions({ devices: ['plug1'], src: 'nr' }), [
            'plug1/events/rpc',
            'plug1/online',
            'nr/rpc',
        ]);
    });

    it('reads the type:id components of a full status (temperature:0.tC, humidity:0.rh, devicepower battery)', function () {
        const events = feed(
            shelly,
            state,
            'shellyplusht-b8d61a8b17cc/events/rpc',
            notify('NotifyFullStatus', {
                cloud: { connected: false },
                'devicepower:0': { id: 0, battery: { V: 5.43, percent: 98 }, external: { present: false } },
                'humidity:0': { id: 0, rh: 42.2 },
                sys: { mac: 'B8D61A8B17CC', uptime: 3 },
                'temperature:0': { id: 0, tC: 19.8, tF: 67.6 },
            }),
        );
        assert.deepEqual(readingsOf(events), [
            'shellyplusht-b8d61a8b17cc/devicepower:0 battery % 98',
            'shellyplusht-b8d61a8b17cc/humidity:0 humidity % 42.2',
            'shellyplusht-b8d61a8b17cc/temperature:0 temperature °C 19.8',
        ]);
    });

    it('merges a NotifyStatus (only what changed) onto the last known status', function () {
        const topic = 'shellyplus1pm-a8032ab12345/events/rpc';
        feed(
            shelly,
            state,
            topic,
            notify('NotifyFullStatus', { 'switch:0': { id: 0, source: 'init', output: true, apower: 0 } }),
        );
        // A power change alone: the switch is still on, and the feedback says nothing new.
        const power = feed(shelly, state, topic, notify('NotifyStatus', { 'switch:0': { id: 0, apower: 12.4 } }));
        assert.deepEqual(power, []);
        const off = feed(
            shelly,
            state,
            topic,
            notify('NotifyStatus', { 'switch:0': { id: 0, output: false, source: 'button' } }),
        );
        assert.deepEqual(off, [{ type: 'light', deviceId: 'shellyplus1pm-a8032ab12345/switch:0', state: 'off' }]);
        assert.deepEqual(state.status.get('shellyplus1pm-a8032ab12345').get('switch:0'), {
            id: 0,
            source: 'button',
            output: false,
            apower: 12.4,
        });
    });

    it('reads a dimmer (light:N) with its brightness, already 0–100', function () {
        const events = feed(
            shelly,
            state,
            'dimmer/events/rpc',
            notify('NotifyStatus', { 'light:0': { id: 0, output: true, brightness: 35 } }),
        );
        assert.deepEqual(events, [{ type: 'light', deviceId: 'dimmer/light:0', state: 'on', brightness: 35 }]);
        // Only the brightness changed: the output comes from the merged status.
        const dimmed = feed(
            shelly,
            state,
            'dimmer/events/rpc',
            notify('NotifyStatus', { 'light:0': { id: 0, brightness: 60 } }),
        );
        assert.deepEqual(dimmed, [{ type: 'light', deviceId: 'dimmer/light:0', state: 'on', brightness: 60 }]);
    });

    it('reads <id>/online true/false as availability', function () {
        assert.deepEqual(feed(shelly, state, 'plug1/online', 'false'), [
            { type: 'availability', deviceId: 'plug1', online: false },
        ]);
    });

    it('sends Switch.Set (and Light.Set for a dimmer) with src and a fresh id on <id>/rpc', function () {
        const [a] = shelly.encodeLight('plug1', { state: 'on', brightness: 30 }, state);
        const [b] = shelly.encodeLight('dimmer/light:0', { state: 'on', brightness: 30 }, state);
        const [c] = shelly.encodeLight('relay/switch:1', { state: 'off' }, state);
        assert.equal(a.topic, 'plug1/rpc');
        assert.deepEqual(JSON.parse(a.payload), {
            id: 1,
            src: 'sensorhub',
            method: 'Switch.Set',
            params: { id: 0, on: true },
        });
        assert.deepEqual(JSON.parse(b.payload), {
            id: 2,
            src: 'sensorhub',
            method: 'Light.Set',
            params: { id: 0, on: true, brightness: 30 },
        });
        assert.equal(c.topic, 'relay/rpc');
        assert.deepEqual(JSON.parse(c.payload).params, { id: 1, on: false });
    });

    it('after Switch.Set on a bare id, answers with the state of its switch:0 even when unchanged', function () {
        const on = notify('NotifyStatus', { 'switch:0': { id: 0, output: true } });
        feed(shelly, state, 'plug1/events/rpc', on);
        assert.deepEqual(feed(shelly, state, 'plug1/events/rpc', on), []);
        shelly.encodeLight('plug1', { state: 'on' }, state);
        assert.equal(feed(shelly, state, 'plug1/events/rpc', on).length, 1);
    });

    it('reads replies on <src>/rpc: a result is quiet, an error a coded problem', function () {
        const ok = { id: 1, src: 'plug1', dst: 'sensorhub', result: { was_on: false } };
        assert.deepEqual(feed(shelly, state, 'sensorhub/rpc', ok), []);
        const err = {
            id: 2,
            src: 'plug1',
            dst: 'sensorhub',
            error: { code: -105, message: "Argument 'id', value 5 not found!" },
        };
        const [p] = feed(shelly, state, 'sensorhub/rpc', err);
        assert.equal(p.code, 'device.rpc-error');
        assert.match(p.detail, /-105/);
    });

    it('names garbage with its topic; other methods (NotifyEvent) are quiet', function () {
        assert.equal(feed(shelly, state, 'x/events/rpc', 'garbage')[0].code, 'device.not-json');
        assert.equal(
            feed(shelly, state, 'x/events/rpc', { method: 'NotifyStatus', params: 5 })[0].code,
            'device.value',
        );
        assert.deepEqual(feed(shelly, state, 'x/events/rpc', notify('NotifyEvent', { events: [] })), []);
        const bad = feed(
            shelly,
            state,
            'x/events/rpc',
            notify('NotifyStatus', { 'temperature:0': { id: 0, tC: 'hot' } }),
        );
        assert.equal(bad[0].code, 'device.value');
        assert.deepEqual(
            feed(shelly, state, 'x/events/rpc', notify('NotifyStatus', { 'temperature:0': { id: 0, tC: null } })),
            [],
        );
    });
});
