'use strict';
// The limits the runtime hands the editor (RED.settings.<type>Limits) are the core's own constants, under a name
// Node-RED's runtime accepts and exports to the browser.
const assert = require('node:assert/strict');
const path = require('node:path');
const runtimeSettings = require('@node-red/runtime/lib/settings');
const { util } = require('@node-red/util');

const NODES = path.join(__dirname, '..', '..', 'nodes');
const light = require(path.join(NODES, 'core', 'light', 'config.js'));
const { BRIGHTNESS_MAX } = require(path.join(NODES, 'core', 'light', 'light.js'));
const threshold = require(path.join(NODES, 'core', 'threshold', 'config.js'));
const doorLock = require(path.join(NODES, 'core', 'door-lock', 'config.js'));
const sensor = require(path.join(NODES, 'core', 'sensor', 'config.js'));
const fleet = require(path.join(NODES, 'core', 'fleet', 'config.js'));
const gateway = require(path.join(NODES, 'core', 'gateway', 'config.js'));
const hub = require(path.join(NODES, 'core', 'hub', 'config.js'));
const serial = require(path.join(NODES, 'core', 'serial', 'config.js'));
const monitor = require(path.join(NODES, 'core', 'monitor', 'monitor.js'));

const range = (min, max) => ({ min, max });
const SENSOR = {
    interval: range(0, sensor.INTERVAL_MAX_S),
    timeout: range(sensor.TIMEOUT_MIN_MS, sensor.TIMEOUT_MAX_MS),
    latency: range(0, sensor.LATENCY_MAX_MS),
    offline: range(0, sensor.SCHEDULE_MAX_S),
    command: range(0, sensor.COMMAND_MAX_LENGTH),
};
/** What each node file must expose, written out from the constants of src/core/<feature>/config.ts. */
const EXPECTED = {
    light: {
        type: 'sensorhub-light',
        limits: {
            wait: range(light.WAIT_MIN_S, light.WAIT_MAX_S),
            minOn: range(0, light.WAIT_MAX_S),
            override: range(0, light.OVERRIDE_MAX_S),
            brightness: range(1, BRIGHTNESS_MAX),
            darkBelow: range(0, light.LUX_MAX),
        },
    },
    threshold: {
        type: 'sensorhub-threshold',
        limits: {
            high: range(-threshold.LIMIT_MAX, threshold.LIMIT_MAX),
            low: range(-threshold.LIMIT_MAX, threshold.LIMIT_MAX),
            hysteresis: range(0, threshold.LIMIT_MAX),
            minDuration: range(0, threshold.DURATION_MAX_S),
            staleAfter: range(0, threshold.STALE_MAX_S),
            repeat: range(threshold.REPEAT_MIN_S, threshold.DURATION_MAX_S),
            maxSensors: range(1, threshold.MAX_SENSORS_LIMIT),
        },
    },
    'door-lock': {
        type: 'sensorhub-door-lock',
        limits: {
            maxAttempts: range(1, doorLock.ATTEMPTS_MAX),
            lockout: range(0, doorLock.DURATION_MAX_S),
            actuation: range(0, doorLock.TRANSITION_MAX_S),
            transitionTimeout: range(0, doorLock.TRANSITION_MAX_S),
            autoRelock: range(0, doorLock.DURATION_MAX_S),
            cooldown: range(0, doorLock.DURATION_MAX_S),
            repeat: range(0, doorLock.DURATION_MAX_S),
        },
    },
    sensor: { type: 'sensorhub-sensor', limits: SENSOR },
    fleet: {
        type: 'sensorhub-fleet',
        limits: {
            ...SENSOR,
            sensors: range(1, fleet.FLEET_MAX_SENSORS),
            concurrency: range(0, fleet.CONCURRENCY_MAX),
            breakerFailures: range(0, 1000),
            breaker: range(0.001, fleet.BREAKER_MAX_S),
            mix: range(0, 1000),
        },
    },
    gateway: {
        type: 'sensorhub-gateway',
        limits: { ...gateway.LIMITS, port: range(1, 65535) },
    },
    hub: {
        type: 'sensorhub-hub',
        limits: {
            queueLimit: range(1, hub.QUEUE_LIMIT_MAX),
            bufferLimit: range(1, hub.BUFFER_LIMIT_MAX),
            keepalive: range(0, hub.KEEPALIVE_MAX),
        },
    },
    'serial-port': {
        type: 'sensorhub-serial-port',
        limits: {
            maxLineLength: { fallback: serial.DEFAULT_MAX_LINE_LENGTH, ...range(1, serial.MAX_LINE_LENGTH_MAX) },
            length: range(1, serial.MAX_LINE_LENGTH_MAX),
            interByteTimeoutMs: range(1, serial.INTER_BYTE_TIMEOUT_MAX_MS),
            requestTimeoutMs: range(1, serial.REQUEST_TIMEOUT_MAX_MS),
        },
    },
    monitor: {
        type: 'sensorhub-monitor',
        limits: { interval: range(1, monitor.INTERVAL_MAX_S), maxTypes: range(1, monitor.MAX_TYPES_MAX) },
    },
};

/** The options a node file passes to RED.nodes.registerType, by type. */
function registered(file) {
    const calls = {};
    // Only what the node files touch while registering (the hub's hooks, the serial port's admin endpoint).
    const RED = {
        nodes: { registerType: (type, _ctor, opts) => (calls[type] = opts) },
        settings: {},
        hooks: { add() {}, remove() {} },
        httpAdmin: { get() {} },
        auth: { needsPermission: () => () => {} },
        util: { cloneMessage: (m) => m },
        _: (key) => key,
    };
    require(path.join(NODES, `${file}.js`))(RED);
    return calls;
}

describe('limits exposed to the editor', () => {
    for (const [file, { type, limits }] of Object.entries(EXPECTED)) {
        it(`${type} exposes the core's limits as RED.settings.${util.normaliseNodeTypeName(type)}Limits`, () => {
            const opts = registered(file)[type];
            assert.ok(opts && opts.settings, `${type} registers settings`);
            const name = `${util.normaliseNodeTypeName(type)}Limits`;
            assert.deepEqual(Object.keys(opts.settings), [name]);
            assert.equal(opts.settings[name].exportable, true);
            assert.deepEqual(opts.settings[name].value, limits);
        });
    }

    it("passes the runtime's naming rule and reaches the settings the editor loads", () => {
        runtimeSettings.init({});
        try {
            for (const [file, { type }] of Object.entries(EXPECTED)) {
                // Throws on a name that does not start with the type's camel-cased name.
                runtimeSettings.registerNodeSettings(type, registered(file)[type].settings);
            }
            const exported = runtimeSettings.exportNodeSettings({});
            assert.deepEqual(exported.sensorhubLightLimits.wait, range(light.WAIT_MIN_S, light.WAIT_MAX_S));
            assert.equal(Object.keys(exported).length, Object.keys(EXPECTED).length);
        } finally {
            runtimeSettings.reset();
        }
    });

    it('the parser refuses a value just past an exposed limit and takes the limit itself', () => {
        const { wait, brightness } = registered('light')['sensorhub-light'].settings.sensorhubLightLimits.value;
        assert.ok('config' in light.parseLightConfig({ wait: wait.max, brightness: brightness.min }));
        assert.ok('error' in light.parseLightConfig({ wait: wait.max + 0.001 }));
        assert.ok('error' in light.parseLightConfig({ wait: wait.min / 2 }));
        assert.ok('error' in light.parseLightConfig({ brightness: brightness.min - 0.5 }));
        const lock = registered('door-lock')['sensorhub-door-lock'].settings.sensorhubDoorLockLimits.value;
        assert.ok('config' in doorLock.parseDoorLockConfig({ actuation: lock.actuation.max }));
        assert.ok('error' in doorLock.parseDoorLockConfig({ actuation: lock.actuation.max + 1 }));
    });
});
