'use strict';
// Device profiles against a real mosquitto, through the hub's own broker connection (MqttBridge's raw
// subscriptions, as the devices node uses it): each simulator publishes its project's documented payloads, and the
// readings, availability, commands and their feedback come out right; a broker restart and garbage payloads too.
const assert = require('node:assert/strict');
const { needTool } = require('../helpers/tools');
const { until } = require('../helpers/wait');
const { EventHub } = require('../../src/core/hub/hub');
const { MqttBridge } = require('../../src/core/hub/mqtt-bridge');
const { DeviceSource, parseDeviceNodeConfig } = require('../../src/core/devices');
const { startBroker } = require('../fixtures/broker');
const { simulate } = require('../../bin/lib/mqtt-devices');
const { recorder } = require('../helpers/devices');
const { fieldsOf } = require('../helpers/types');

/** One hub bridge (the shared connection) and a device source on it, recording what it says. */
function devices(url, raw) {
    const parsed = parseDeviceNodeConfig({ location: 'home', ...raw });
    assert.ok('config' in parsed, fieldsOf(parsed).error);
    const hub = new EventHub();
    const bridge = new MqttBridge(hub, {
        url,
        clientId: `devices-${raw.profile}-${process.pid}`,
        prefix: 'sensorhub',
        qos: 0,
        protocolVersion: 5,
        bufferLimit: 100,
        minBackoffMs: 50,
        maxBackoffMs: 400,
    });
    const bridgeErrors = [];
    bridge.on('error', (e) => bridgeErrors.push(e.message));
    const { heard, listener } = recorder();
    const source = new DeviceSource(parsed.config, listener);
    const offs = new Map();
    const sync = () => {
        const wanted = new Set(source.subscriptions());
        for (const [f, off] of offs)
            if (!wanted.has(f)) {
                off();
                offs.delete(f);
            }
        for (const f of wanted)
            if (!offs.has(f))
                offs.set(
                    f,
                    bridge.subscribeRaw(f, (topic, payload) => {
                        source.handle(topic, payload);
                        if (topic.endsWith('/config')) sync();
                    }),
                );
    };
    sync();
    bridge.start();
    const send = (out) => out.every((m) => bridge.publishRaw(m.topic, m.payload));
    const value = (id) => heard.readings.filter((m) => m.sensor.id === id).at(-1);
    return {
        bridge,
        source,
        heard,
        send,
        value,
        bridgeErrors,
        connected: () => until(() => bridge.state === 'connected', 'the bridge connected'),
        close: async () => {
            source.close();
            await bridge.close();
        },
    };
}

describe('device profiles against mosquitto (simulated devices, documented payloads)', function () {
    this.timeout(60000);
    let broker;
    const open = [];

    before(async function () {
        needTool(this, 'mosquitto');
        broker = await startBroker();
    });
    afterEach(async function () {
        for (const c of open.splice(0)) await c();
    });
    after(async function () {
        if (broker) await broker.close();
    });

    async function setUp(profile, raw = {}) {
        const d = devices(broker.url, { profile, ...raw });
        open.push(d.close);
        await d.connected();
        const sim = await simulate(profile, broker.url);
        open.push(async () => {
            await sim.clear();
            await sim.stop();
        });
        await sim.start();
        return { d, sim };
    }

    it('Zigbee2MQTT: climate, motion, door; 2.0 availability; a bulb and a lock driven by /set, state back', async function () {
        const { d } = await setUp('zigbee2mqtt');
        await until(() => d.value('hall motion/illuminance') && d.value('climate/temperature'), 'all sensors');
        assert.equal(d.value('climate/temperature')?.payload, 20.77);
        assert.equal(d.value('climate/voltage')?.payload, 3.005, 'battery voltage in mV becomes V');
        assert.equal(d.value('hall motion/occupancy')?.payload, true);
        assert.equal(d.value('hall motion/illuminance')?.payload, 54);
        assert.equal(d.value('front door/contact')?.payload, true, 'contact true = closed');
        assert.ok(d.heard.events.some((e) => e.topic === 'device_online' && e.deviceId === 'climate'));
        assert.ok(d.send(d.source.light('bulb', { state: 'on', brightness: 50 })));
        await until(
            () => d.heard.events.some((e) => e.topic === 'light_state' && e.payload.brightness === 50),
            'the bulb to report 50 % (127 of 254)',
        );
        assert.ok(d.send(d.source.lock('front door', 'lock')));
        await until(
            () => d.heard.events.some((e) => e.topic === 'lock_feedback' && e.feedback === 'locked'),
            'the lock_state back as feedback',
        );
        assert.equal(d.heard.problems.length, 0, JSON.stringify(d.heard.problems));
    });

    it('Tasmota: AM2301, DS18B20s by Id, °F converted; Dimmer 0–100 and POWER answered twice, said once', async function () {
        const { d } = await setUp('tasmota');
        await until(() => d.value('tasmota_porch/SI7021/temperature'), 'the porch');
        await until(() => d.value('tasmota_tank/DS18B20-0416A3A4B5FF/temperature'), 'the tank');
        assert.equal(d.value('tasmota_climate/AM2301/temperature')?.payload, 22.4);
        assert.equal(d.value('tasmota_climate/AM2301/humidity')?.payload, 48.3);
        assert.equal(d.value('tasmota_tank/DS18B20-01144A0CB2AA/temperature')?.payload, 21.3);
        assert.equal(d.value('tasmota_porch/SI7021/temperature')?.payload, 22);
        assert.ok(d.send(d.source.light('lamp', { state: 'on', brightness: 40 })));
        await until(
            () => d.heard.events.some((e) => e.topic === 'light_state' && e.payload.state === 'on'),
            'the lamp on',
        );
        await new Promise((r) => setTimeout(r, 300));
        const states = d.heard.events.filter((e) => e.topic === 'light_state');
        assert.ok(states.length <= 2, `RESULT and POWER are one state, not two: ${JSON.stringify(states)}`);
    });

    it('ESPHome: bare states with the unit from its discovery config, nan as a failed reading, a light command', async function () {
        const { d } = await setUp('esphome');
        await until(() => d.value('livingroom/livingroom_temperature'), 'the temperature');
        const t = d.value('livingroom/livingroom_temperature');
        assert.equal(t?.payload, 23.4);
        assert.equal(t?.sensor.unit, '°C');
        await until(() => d.value('livingroom/motion') && d.heard.failures.length > 0, 'motion and the nan');
        assert.equal(d.value('livingroom/motion')?.payload, true);
        assert.equal(d.heard.failures[0].m.sensor.id, 'livingroom/humidity');
        assert.equal(d.heard.failures[0].m.reading.status, 'error');
        assert.ok(d.send(d.source.light('livingroom/ceiling', { state: 'on', brightness: 100 })));
        await until(
            () => d.heard.events.some((e) => e.topic === 'light_state' && e.payload.state === 'on'),
            'the light on',
        );
    });

    it('Shelly: NotifyFullStatus readings under type:id keys, NotifyStatus merged, Switch.Set with src, reply on <src>/rpc', async function () {
        const { d } = await setUp('shelly');
        await until(() => d.value('shellyplusht-08b61fcb7f3c/devicepower:0'), 'the H&T');
        assert.equal(d.value('shellyplusht-08b61fcb7f3c/temperature:0')?.payload, 21.3);
        assert.equal(d.value('shellyplusht-08b61fcb7f3c/humidity:0')?.payload, 55.2);
        assert.equal(d.value('shellyplusht-08b61fcb7f3c/devicepower:0')?.payload, 88);
        assert.ok(d.send(d.source.light('shellyplus1-a8032ab12345', { state: 'on' })));
        await until(
            () =>
                d.heard.events.some(
                    (e) =>
                        e.topic === 'light_state' &&
                        e.deviceId === 'shellyplus1-a8032ab12345/switch:0' &&
                        e.payload.state === 'on',
                ),
            'the relay on (NotifyStatus merged onto the full status)',
        );
        assert.equal(d.heard.problems.length, 0, JSON.stringify(d.heard.problems));
        assert.equal(d.bridgeErrors.length, 0, `replies are not hub events: ${d.bridgeErrors.join('\n')}`);
    });

    it('Home Assistant discovery round trip: configs published by a simulated Home Assistant are discovered and read', async function () {
        const { d } = await setUp('homeassistant');
        await until(() => d.source.discovered().length === 3, 'three discovered entities');
        await until(() => d.heard.readings.length >= 3, 'their states');
        const bedroom = d.heard.readings.filter((m) => m.deviceId === 'bedroom01ae');
        assert.deepEqual(bedroom.map((m) => [m.sensor.kind, m.payload, m.sensor.unit]).sort(), [
            ['humidity', 43.7, '%'],
            ['temperature', 23.2, '°C'],
        ]);
        const door = d.heard.readings.find((m) => m.sensor.kind === 'contact');
        assert.equal(door?.payload, false, 'a door that is ON in Home Assistant is open: contact false');
    });

    it('availability, a broker restart, and garbage: offline said once, readings again after the restart, garbage counted', async function () {
        const { d, sim } = await setUp('zigbee2mqtt');
        await until(() => d.value('climate/temperature'), 'the climate sensor');
        await sim.publish('zigbee2mqtt/climate/availability', JSON.stringify({ state: 'offline' }), true);
        await until(() => d.heard.events.some((e) => e.topic === 'device_offline'), 'device_offline');
        assert.ok(
            d.heard.failures.some((f) => f.m.reading.status === 'offline' && f.m.sensor.id === 'climate/temperature'),
        );
        for (const bad of ['{', 'null', '[]', '\u0000\u00ff', JSON.stringify({ temperature: 'warm' })])
            await sim.publish('zigbee2mqtt/climate', bad);
        await until(() => d.source.stats().problems === 5, 'five problems counted');
        assert.deepEqual(
            d.heard.problems.map((p) => p.problem.topic),
            ['zigbee2mqtt/climate', 'zigbee2mqtt/climate', 'zigbee2mqtt/climate'],
            'the first of each code at once, naming the topic',
        );

        await broker.restart();
        await until(() => d.bridge.state !== 'connected', 'the bridge to notice', 20000).catch(() => undefined);
        await until(() => d.bridge.state === 'connected', 'the bridge back', 30000);
        const before = d.heard.readings.length;
        await until(
            async () => {
                await d.bridge.publishRaw('zigbee2mqtt/climate', JSON.stringify({ temperature: 19.5 }));
                await new Promise((r) => setTimeout(r, 100));
                return d.heard.readings.length > before;
            },
            'readings after the restart (subscriptions renewed)',
            30000,
        );
        assert.equal(d.value('climate/temperature')?.payload, 19.5);
    });

    it('one connection for all readers: a filter read by two stays subscribed while one of them is left', async function () {
        const d = devices(broker.url, { profile: 'zigbee2mqtt' });
        open.push(d.close);
        await d.connected();
        const other = [];
        const off = d.bridge.subscribeRaw('zigbee2mqtt/#', (topic) => other.push(topic));
        const sim = await simulate('zigbee2mqtt', broker.url);
        open.push(() => sim.stop());
        await until(async () => {
            await sim.publish('zigbee2mqtt/shared', JSON.stringify({ temperature: 1 }));
            return other.length > 0 && d.value('shared/temperature');
        }, 'both readers');
        off();
        const before = other.length;
        const readings = d.heard.readings.length;
        await until(async () => {
            await sim.publish('zigbee2mqtt/shared', JSON.stringify({ temperature: 2 }));
            return d.heard.readings.length > readings;
        }, 'the remaining reader still reading');
        assert.equal(other.length, before, 'the reader that left hears nothing');
    });
    it('a reader that joins a filter later gets its retained messages; the readers already there do not get them again', async function () {
        const d = devices(broker.url, { profile: 'zigbee2mqtt' });
        open.push(d.close);
        await d.connected();
        const sim = await simulate('zigbee2mqtt', broker.url);
        open.push(async () => {
            await sim.publish('zigbee2mqtt/kept', '', true);
            await sim.stop();
        });
        await sim.publish('zigbee2mqtt/kept', JSON.stringify({ temperature: 20 }), true);
        await until(() => d.value('kept/temperature')?.payload === 20, 'the first reader reads the retained state');
        const readings = d.heard.readings.length;
        const late = [];
        d.bridge.subscribeRaw('zigbee2mqtt/#', (topic, payload, packet) => {
            if (packet.retain) late.push(topic);
        });
        await until(() => late.includes('zigbee2mqtt/kept'), 'the late reader gets the retained state');
        // A live message after the resent retained one: once it is read, anything resent would have been read too.
        await sim.publish('zigbee2mqtt/kept', JSON.stringify({ temperature: 21 }));
        await until(() => d.value('kept/temperature')?.payload === 21, 'the live reading');
        assert.equal(d.heard.readings.length, readings + 1, 'the first reader read the retained state once');
    });
});
