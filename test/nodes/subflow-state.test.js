'use strict';
const assert = require('node:assert/strict');
const { helper, coreNode, version, collect, shipped } = require('../helpers/node-red');
const { until } = require('../helpers/wait');
const lightNodes = shipped('light');
const lockNodes = shipped('door-lock');
const hubNodes = shipped('hub');

const switchNode = coreNode('function/10-switch.js');

/**
 * A light and a door lock inside a subflow, in two instances of it (r1, r2).
 * Node-RED deploys a node inside an instance under an id made from the
 * instance's and its own; its `_alias` (its id in the subflow) is the same in
 * both instances: state kept by the alias alone would be shared by them.
 * (Node-RED takes a node without x and y for a configuration node; the
 * light and the lock take the defaults for the fields a flow leaves out.)
 */
const TAB = { id: 'f1', type: 'tab', label: 'test' };
const SUBFLOW = {
    id: 'sf',
    type: 'subflow',
    name: 'room',
    in: [{ x: 0, y: 0, wires: [{ id: 'route' }] }],
    out: [
        { x: 0, y: 0, wires: [{ id: 'light', port: 0 }] },
        { x: 0, y: 0, wires: [{ id: 'lock', port: 0 }] },
    ],
};
function inside(name = '') {
    return [
        {
            id: 'route',
            type: 'switch',
            x: 0,
            y: 0,
            z: 'sf',
            property: 'topic',
            propertyType: 'msg',
            rules: [
                { t: 'eq', v: 'light', vt: 'str' },
                { t: 'eq', v: 'lock', vt: 'str' },
            ],
            checkall: 'false',
            outputs: 2,
            wires: [['light'], ['lock']],
        },
        {
            id: 'light',
            type: 'sensorhub-light',
            x: 0,
            y: 0,
            z: 'sf',
            name,
            wait: 60,
            wires: [[]],
        },
        {
            id: 'lock',
            type: 'sensorhub-door-lock',
            x: 0,
            y: 0,
            z: 'sf',
            name,
            wires: [[], []],
        },
    ];
}
const instance = (id, name = '') => ({
    id,
    type: 'subflow:sf',
    z: 'f1',
    x: 0,
    y: 0,
    name,
    wires: [[`${id}-lights`], [`${id}-locks`]],
});
// Helper nodes feed each instance (`<r>-in`) and collect its outputs.
const sinks = ['r1', 'r2'].flatMap((r) => [
    { id: `${r}-in`, type: 'helper', z: 'f1', wires: [[r]] },
    { id: `${r}-lights`, type: 'helper', z: 'f1' },
    { id: `${r}-locks`, type: 'helper', z: 'f1' },
]);
function flow({ inner = '', r2 = '' } = {}) {
    return [TAB, SUBFLOW, ...inside(inner), instance('r1'), instance('r2', r2), ...sinks];
}

/** What reaches each instance's outputs from now on. */
function outputs() {
    const of = (id) => collect(helper.getNode(id));
    return {
        r1: { lights: of('r1-lights'), locks: of('r1-locks') },
        r2: { lights: of('r2-lights'), locks: of('r2-locks') },
    };
}
const send = (r, topic, msg) => helper.getNode(`${r}-in`).send({ topic, ...msg });
const lights = (got) => got.map((m) => [m.payload.state, m.payload.brightness, m.reason]);
const locks = (got) => got.map((m) => [m.payload.state, m.previous]);

/**
 * Finds r1 manually on at 70 and unlocked, r2 off and locked, by changes
 * that end in those states again (each instance's messages are handled in
 * order, so the last answer expected means every earlier one came).
 */
async function expectKept(what) {
    const out = outputs();
    send('r1', 'light', { payload: 'toggle' });
    send('r1', 'light', { command: 'on', brightness: 70 });
    send('r2', 'light', { payload: 'toggle' });
    send('r2', 'light', { payload: 'off' });
    send('r1', 'lock', { command: 'lock' });
    send('r1', 'lock', { command: 'unlock' });
    send('r2', 'lock', { command: 'unlock' });
    send('r2', 'lock', { command: 'lock' });
    const lastIs = (got, state) => got.at(-1)?.payload.state === state;
    await until(
        () =>
            lastIs(out.r1.lights, 'on') &&
            lastIs(out.r2.lights, 'off') &&
            lastIs(out.r1.locks, 'unlocked') &&
            lastIs(out.r2.locks, 'locked'),
        `the last answers ${what}`,
    );
    assert.deepEqual(
        {
            r1: { lights: lights(out.r1.lights), locks: locks(out.r1.locks) },
            r2: { lights: lights(out.r2.lights), locks: locks(out.r2.locks) },
        },
        {
            r1: {
                lights: [
                    ['off', 0, 'manual'],
                    ['on', 70, 'manual'],
                ],
                locks: [
                    ['locked', 'unlocked'],
                    ['unlocked', 'locked'],
                ],
            },
            r2: {
                lights: [
                    ['on', 100, 'manual'],
                    ['off', 0, 'manual'],
                ],
                locks: [
                    ['unlocked', 'locked'],
                    ['locked', 'unlocked'],
                ],
            },
        },
        `each instance's light and lock ${what}`,
    );
}

/**
 * What helper.setFlows does, but waiting for the flows to start as long as a
 * busy machine needs (the helper gives up after 300 ms).
 */
async function deploy(nodes, type) {
    let started = false;
    const onStarted = () => {
        started = true;
    };
    helper._events.on('flows:started', onStarted);
    try {
        await helper._redNodes.setFlows(nodes, {}, type);
        await until(() => started, `the flows started after a ${type} deploy`);
    } finally {
        helper._events.off('flows:started', onStarted);
    }
}

/**
 * Deploys `nodes` as `type`, checking that it restarted the light and lock of
 * the `restarted` instances (Node-RED names a node inside an instance
 * `<instance id>-<its id>`), and only those.
 */
async function redeploy(nodes, type, restarted) {
    const inner = () => ['r1', 'r2'].flatMap((r) => ['light', 'lock'].map((n) => helper.getNode(`${r}-${n}`)));
    const before = inner();
    await deploy(nodes, type);
    const after = inner();
    assert.deepEqual(
        after.map((node, i) => (node === before[i] ? 'kept' : 'restarted')),
        ['r1', 'r2'].flatMap((r) => (restarted.includes(r) ? ['restarted', 'restarted'] : ['kept', 'kept'])),
        `what a ${type} deploy restarts`,
    );
    assert.ok(after.every((node) => node !== null));
}

describe(`state kept by nodes inside a subflow on Node-RED ${version}`, function () {
    this.timeout(30000);
    beforeEach(function (done) {
        helper.startServer(done);
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    it('a light and a door lock keep each instance its own state across full and modified deploys', async function () {
        await helper.load([switchNode, lightNodes, lockNodes], flow());
        const out = outputs();
        send('r1', 'light', { command: 'on', brightness: 70 });
        send('r1', 'lock', { command: 'unlock' });
        await until(() => out.r1.lights.length === 1 && out.r1.locks.length === 1, 'r1 on and unlocked');
        assert.deepEqual([out.r2.lights.length, out.r2.locks.length], [0, 0], 'r2 untouched');

        await redeploy(flow(), 'full', ['r1', 'r2']);
        await expectKept('after a full deploy');
        // A changed subflow restarts every instance of it.
        await redeploy(flow({ inner: 'renamed' }), 'flows', ['r1', 'r2']);
        await expectKept('after a deploy of the changed subflow');
        // A changed instance restarts that instance only.
        await redeploy(flow({ inner: 'renamed', r2: 'second' }), 'nodes', ['r2']);
        await expectKept('after a deploy of one changed instance');
    });

    it('a hub keeps the retained events of each instance apart across a full deploy', async function () {
        const hubFlow = [
            TAB,
            { id: 'sh', type: 'subflow', name: 'hub room', in: [{ x: 0, y: 0, wires: [{ id: 'pub' }] }], out: [] },
            { id: 'hub', type: 'sensorhub-hub', z: 'sh', name: 'room', backend: 'local' },
            {
                id: 'pub',
                type: 'sensorhub-publish',
                z: 'sh',
                x: 0,
                y: 0,
                hub: 'hub',
                eventType: 'room/temp',
                retain: true,
                wires: [],
            },
            ...['h1', 'h2'].flatMap((h) => [
                { id: h, type: 'subflow:sh', z: 'f1', x: 0, y: 0, wires: [] },
                { id: `${h}-in`, type: 'helper', z: 'f1', wires: [[h]] },
            ]),
        ];
        /** The payloads each instance's hub retains. */
        const retained = () =>
            ['h1', 'h2'].map((h) =>
                helper
                    .getNode(`${h}-hub`)
                    .hub.retainedEvents()
                    .map((e) => e.payload),
            );
        await helper.load([hubNodes], hubFlow);
        helper.getNode('h1-in').send({ payload: 21 });
        helper.getNode('h2-in').send({ payload: 19 });
        await until(() => retained().every((r) => r.length === 1), 'one retained event in each hub');
        await deploy(hubFlow, 'full');
        assert.deepEqual(retained(), [[21], [19]]);
    });
});
