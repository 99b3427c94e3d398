'use strict';
const assert = require('node:assert/strict');
const {
    helper,
    coreNode,
    version,
    sink,
    collect,
    errorsLogged,
    TAB,
    catcher,
    shipped,
    lightDef,
    recorder,
    hubToLaterTab,
} = require('../helpers/node-red');
const { until, sleep } = require('../helpers/wait');
const lightNodes = shipped('light');
const hubNodes = shipped('hub');

const catchNode = coreNode('common/25-catch.js');

// Short waits: these tests wait for outcomes with until(), they never measure time.
function light(extra = {}, wires = ['out']) {
    return lightDef({ id: 'l1', wait: 0.15, ...extra, wires: [wires] });
}
const lightNode = () => helper.getNode('l1');
const motion = (payload = true) => ({
    topic: 'motion_detected',
    payload,
    sensor: { id: 'm1', kind: 'motion', location: 'hall', unit: '' },
});
/** The states sent, as [state, brightness, reason]. */
const states = (got) => got.map((m) => [m.payload.state, m.payload.brightness, m.reason]);
/** Every status the node shows from now on. */
function statuses(node) {
    const seen = [];
    node.on('call:status', (call) => seen.push(call.args[0]));
    return seen;
}
/** The local time `minutes` from now, as HH:MM. */
function hhmmFromNow(minutes) {
    const d = new Date(Date.now() + minutes * 60_000);
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

describe(`sensorhub-light on Node-RED ${version}`, function () {
    beforeEach(function (done) {
        helper.startServer(done);
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    it('switches on at motion and off after the no-motion wait, sending the command contract', async function () {
        await helper.load(lightNodes, [TAB, light({ brightness: 80 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        lightNode().receive({ ...motion(), _msgid: 'motion-1' });
        lightNode().receive(motion());
        await until(() => out.length === 2, 'on, then off');
        assert.equal(out[0]._msgid, 'motion-1', 'the answer to an input keeps its _msgid');
        assert.ok(out[1]._msgid && out[1]._msgid !== 'motion-1', 'an off by the timer is a message of its own');
        assert.deepEqual(states(out), [
            ['on', 80, 'motion'],
            ['off', 0, 'timeout'],
        ]);
        assert.equal(out[0].topic, 'light_command');
        assert.deepEqual(out[0].payload, { state: 'on', brightness: 80 });
    });

    it('keeps the light on while motion continues; "no motion" does not restart the wait', async function () {
        this.timeout(10000);
        await helper.load(lightNodes, [TAB, light({ wait: 0.5 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        const l = lightNode();
        l.receive(motion());
        await until(() => out.length === 1, 'on');
        // Motion every 25 ms for longer than the wait: the light stays on throughout.
        for (let i = 0; i < 30; i++) {
            await sleep(25);
            l.receive(motion());
        }
        assert.deepEqual(states(out), [['on', 100, 'motion']]);
        // Readings of "no motion" do not count as motion: the light goes off a wait after the last motion.
        const stream = setInterval(() => l.receive(motion(false)), 20);
        try {
            await until(() => out.length === 2, 'off despite the "no motion" readings');
        } finally {
            clearInterval(stream);
        }
        assert.deepEqual(states(out)[1], ['off', 0, 'timeout']);
    });

    it('occupancy mode: on while occupied past the wait, off the wait after the change to clear', async function () {
        this.timeout(10000);
        await helper.load(lightNodes, [TAB, light({ occupancy: true, wait: 0.1 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        const l = lightNode();
        const seen = statuses(l);
        l.receive(motion(true));
        await until(() => seen.some((s) => s.text === 'on · occupied'), 'the occupied status');
        // Well past the wait with no further event: a motion light would be off by now.
        await sleep(500);
        assert.deepEqual(states(out), [['on', 100, 'motion']], 'on while occupied');
        l.receive(motion(false));
        await until(() => out.length === 2, 'off after the wait from the change to clear');
        assert.deepEqual(states(out)[1], ['off', 0, 'timeout']);
        assert.equal(l.context().get('light').occupied, false);
    });

    it('occupancy mode: the wait from flow context is read at the change to clear', async function () {
        this.timeout(10000);
        await helper.load(
            [lightNodes, catchNode],
            [
                TAB,
                light({ occupancy: true, wait: 'lightWait', waitType: 'flow' }),
                sink('out'),
                catcher(),
                sink('caught'),
            ],
        );
        const out = collect(helper.getNode('out'));
        const caught = collect(helper.getNode('caught'));
        const l = lightNode();
        l.context().flow.set('lightWait', 60);
        l.receive(motion(true));
        await until(() => out.length === 1, 'on');
        l.context().flow.set('lightWait', 0.05);
        l.receive(motion(false));
        await until(() => out.length === 2, 'off after the wait read at the clear');
        l.context().flow.set('lightWait', 'soon');
        l.receive(motion(true));
        await until(() => caught.length === 1, 'an unusable wait is an error at the event that reads it');
        assert.match(caught[0].error.message, /flow\.lightWait gives an unusable value/);
    });

    it('holds a minimum on-time even with a shorter wait', async function () {
        await helper.load(lightNodes, [TAB, light({ wait: 0.01, minOn: 1 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        lightNode().receive(motion());
        await sleep(100);
        assert.equal(out.length, 1, 'still on well after the wait, inside the minimum');
        await until(() => out.length === 2, 'off after the minimum');
        assert.equal(out[1].reason, 'timeout');
    });

    it('takes manual commands by msg.command and by payload, sending only changes', async function () {
        await helper.load(lightNodes, [TAB, light({ topic: 'hall/light/set' }), sink('out')]);
        const out = collect(helper.getNode('out'));
        const l = lightNode();
        l.receive({ command: 'on' });
        l.receive({ command: 'on' });
        l.receive({ command: 'on', brightness: 40 });
        l.receive({ payload: 'toggle' });
        l.receive({ payload: { state: 'on', brightness: 60 } });
        l.receive({ payload: { brightness: 25 } });
        l.receive({ payload: 'off' });
        l.receive({ payload: 'off' });
        await until(() => out.length === 6, 'six changes');
        await sleep(50);
        assert.deepEqual(states(out), [
            ['on', 100, 'manual'],
            ['on', 40, 'manual'],
            ['off', 0, 'manual'],
            ['on', 60, 'manual'],
            ['on', 25, 'manual'],
            ['off', 0, 'manual'],
        ]);
        assert.ok(out.every((m) => m.topic === 'hall/light/set'));
    });

    it('a manual on overrides the automatic off until a manual off', async function () {
        this.timeout(10000);
        await helper.load(lightNodes, [TAB, light({ wait: 0.05 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        const l = lightNode();
        const seen = statuses(l);
        l.receive(motion());
        l.receive({ command: 'on' });
        await until(() => seen.some((s) => s.text === 'on · manual'), 'the manual status');
        await sleep(200);
        l.receive(motion());
        await sleep(200);
        assert.deepEqual(states(out), [['on', 100, 'motion']], 'no automatic off during the override');
        l.receive({ command: 'off' });
        await until(() => out.length === 2, 'the manual off');
        assert.deepEqual(states(out)[1], ['off', 0, 'manual']);
        l.receive(motion());
        await until(() => out.length === 4, 'motion rules again: on, and off after the wait');
        assert.deepEqual(states(out).slice(2), [
            ['on', 100, 'motion'],
            ['off', 0, 'timeout'],
        ]);
    });

    it('ends an override after the override timeout, and at once by the command auto', async function () {
        await helper.load(lightNodes, [TAB, light({ wait: 0.05, override: 0.2 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        const l = lightNode();
        l.receive({ command: 'on' });
        await until(() => out.length === 2, 'on, then off when the override ends');
        assert.deepEqual(states(out), [
            ['on', 100, 'manual'],
            ['off', 0, 'timeout'],
        ]);
        l.receive({ payload: 'on' });
        l.receive({ command: 'auto' });
        await until(() => out.length === 4, 'on, then off at auto');
        assert.deepEqual(states(out)[3], ['off', 0, 'timeout']);
    });

    it('refuses bad commands and wrong types through done(err), leaving the state unchanged', async function () {
        await helper.load(
            [lightNodes, catchNode],
            [TAB, light({ darkGate: true }), sink('out'), catcher(), sink('caught')],
        );
        const out = collect(helper.getNode('out'));
        const caught = collect(helper.getNode('caught'));
        const l = lightNode();
        l.receive({ command: 'on', brightness: 30 });
        await until(() => out.length === 1, 'on at 30');
        l.receive({ command: 'blink' });
        l.receive({ command: 'on', brightness: 'abc' });
        l.receive({ command: 'on', brightness: 250 });
        l.receive({ payload: { state: 'dim' } });
        l.receive({ payload: 42 });
        l.receive({ command: ['on'] });
        l.receive({ topic: 'illuminance_update', payload: 'dark' });
        await until(() => caught.length === 7, 'seven refusals');
        const messages = caught.map((m) => m.error.message);
        assert.match(messages[0], /Light: unknown command "blink": use msg.command "on", "off", "toggle" or "auto"/);
        assert.match(messages[1], /brightness must be a number from 0 to 100, got the string "abc"/);
        assert.match(messages[2], /brightness must be a number from 0 to 100, got 250/);
        assert.match(messages[3], /unknown command "dim"/);
        assert.match(messages[4], /not a light command/);
        assert.match(messages[5], /msg.command must be .* got an array/);
        assert.match(messages[6], /a light level on "illuminance_update" must be a number of lux/);
        l.receive({ command: 'on' });
        await sleep(50);
        assert.deepEqual(states(out), [['on', 30, 'manual']], 'still on at 30: nothing changed');
    });

    it('ignores other hub events, so a wide subscription can feed it', async function () {
        await helper.load([lightNodes, catchNode], [TAB, light(), sink('out'), catcher(), sink('caught')]);
        const out = collect(helper.getNode('out'));
        const caught = collect(helper.getNode('caught'));
        const l = lightNode();
        l.receive({ topic: 'temperature_update', payload: 21.5, sensor: { id: 't1' } });
        l.receive({ topic: 'door', payload: 'open', event: { type: 'door' } });
        l.receive(motion());
        await until(() => out.length >= 1, 'the motion');
        assert.equal(caught.length, 0);
        assert.deepEqual(states(out)[0], ['on', 100, 'motion']);
    });

    it('switches on by motion only when dark, by the last light level taken with the light off', async function () {
        this.timeout(10000);
        await helper.load(lightNodes, [
            TAB,
            light({ darkGate: true, luxPatterns: 'home/+/lux', darkBelow: 30, wait: 0.1 }),
            sink('out'),
        ]);
        const out = collect(helper.getNode('out'));
        const l = lightNode();
        const seen = statuses(l);
        l.receive({ topic: 'home/hall/lux', payload: 400 });
        l.receive(motion());
        await until(() => seen.some((s) => s.text === 'off · not dark'), 'the gated status');
        l.receive({ topic: 'home/hall/lux', payload: 10 });
        l.receive(motion());
        await until(() => out.length === 1, 'on when dark');
        l.receive({ topic: 'home/hall/lux', payload: 900 });
        await until(() => out.length === 2, 'off after the wait');
        l.receive(motion());
        await until(() => out.length === 3, 'on again: the bright level was the lamp');
        l.receive({ command: 'off' });
        l.receive({ topic: 'home/hall/lux', payload: 900 });
        l.receive({ command: 'on' });
        await until(() => out.length === 5, 'manual on ignores the gate');
        assert.deepEqual(
            states(out).map((s) => s[2]),
            ['motion', 'timeout', 'motion', 'manual', 'manual'],
        );
    });

    it('switches on by motion only inside the time window', async function () {
        this.timeout(10000);
        // A window that starts an hour from now cannot contain now, whatever the time.
        const outside = { timeGate: true, from: hhmmFromNow(60), to: hhmmFromNow(120) };
        await helper.load(lightNodes, [TAB, light(outside), sink('out')]);
        const out = collect(helper.getNode('out'));
        const seen = statuses(lightNode());
        lightNode().receive(motion());
        const text = `off · outside ${outside.from}–${outside.to}`;
        await until(() => seen.some((s) => s.text === text), 'the gated status');
        assert.equal(out.length, 0);
        // A window from an hour ago to an hour on contains now, across midnight or not.
        await helper.setFlows([
            TAB,
            light({ timeGate: true, from: hhmmFromNow(-60), to: hhmmFromNow(60) }),
            sink('out'),
        ]);
        const out2 = collect(helper.getNode('out'));
        lightNode().receive(motion());
        await until(() => out2.length === 1, 'on inside the window');
    });

    it('shows "on · off in N s" while counting down, then "off"', async function () {
        this.timeout(10000);
        await helper.load(lightNodes, [TAB, light({ wait: 1.2 }), sink('out')]);
        const seen = statuses(lightNode());
        lightNode().receive(motion());
        await until(() => seen.some((s) => s.text === 'on · off in 2 s'), 'the countdown');
        await until(() => seen.some((s) => s.text === 'on · off in 1 s'), 'the countdown going on');
        await until(() => seen.length > 0 && seen[seen.length - 1].text === 'off', 'off', 5000);
        assert.deepEqual(
            { fill: seen[seen.length - 1].fill, shape: seen[seen.length - 1].shape },
            { fill: 'grey', shape: 'dot' },
        );
        assert.ok(seen.some((s) => s.fill === 'green'));
    });

    it('keeps its state across a redeploy', async function () {
        this.timeout(10000);
        const flow = [TAB, light({ wait: 60, brightness: 50 }), sink('out')];
        await helper.load(lightNodes, flow);
        lightNode().receive({ command: 'on', brightness: 70 });
        await until(() => lightNode().context().get('light')?.state === 'on', 'the state saved');
        await helper.setFlows(flow, 'full');
        const out = collect(helper.getNode('out'));
        const seen = statuses(lightNode());
        lightNode().receive({ command: 'on', brightness: 70 });
        lightNode().receive({ payload: 'toggle' });
        await until(() => out.length === 1, 'the toggle');
        assert.deepEqual(states(out), [['off', 0, 'manual']], 'it knew it was on at 70, manually');
        await until(() => seen.some((s) => s.text === 'off'), 'the status off');
    });

    it('forgets its state when removed from the flow', async function () {
        const flow = [TAB, light({ wait: 60 }), sink('out')];
        await helper.load(lightNodes, flow);
        lightNode().receive({ command: 'on' });
        await until(() => lightNode().context().get('light')?.state === 'on', 'the state saved');
        await helper.setFlows([TAB, sink('out')], 'nodes');
        await helper.setFlows(flow, 'nodes');
        const out = collect(helper.getNode('out'));
        lightNode().receive({ command: 'toggle' });
        await until(() => out.length === 1, 'the toggle');
        assert.deepEqual(states(out), [['on', 100, 'manual']], 'a new node starts off');
    });

    /**
     * What a persistent context store hands a light node as Node-RED starts: the
     * state is put in the node's context before the node is deployed, and
     * collection starts as the flow does.
     */
    /** A light saved on by motion at `brightness`, `onAgoMs` ago, due off at `offInMs` from now (negative: passed). */
    const savedOn = (brightness, onAgoMs, offInMs) => ({
        v: 1,
        state: 'on',
        brightness,
        mode: 'auto',
        onSince: Date.now() - onAgoMs,
        offAt: Date.now() + offInMs,
        overrideUntil: null,
        lastMotion: Date.now() - onAgoMs,
        lux: null,
    });

    async function restart(saved, node) {
        await helper.load(lightNodes, [TAB, sink('out')]);
        const out = collect(helper.getNode('out'));
        helper._context.get(node.id, node.z).set('light', saved);
        await helper.setFlows([TAB, node, sink('out')], 'nodes');
        return out;
    }

    it('after a restart, turns off at once when the saved deadline has passed', async function () {
        // What a persistent context store hands back after Node-RED was down past the deadline.
        const out = await restart(savedOn(100, 600_000, -480_000), light({ wait: 120 }));
        await until(() => out.length === 1, 'the off');
        assert.deepEqual(states(out), [['off', 0, 'timeout']]);
    });

    it('after a restart, restores a light that is still on, with its countdown', async function () {
        const out = await restart(savedOn(65, 10_000, 200), light({ wait: 120 }));
        assert.equal(out.length, 0, 'still on: nothing to send yet');
        await until(() => out.length === 1, 'the off at the saved deadline');
        assert.deepEqual(states(out), [['off', 0, 'timeout']], 'an off proves it came back on');
    });

    it('with Send at start, says its state once the flows have started, to a hub subscriber on a later tab', async function () {
        const { got, register } = recorder(['out', 'dash']);
        await helper.load(
            [lightNodes, hubNodes, register],
            [
                TAB,
                light({ sendStart: true }, ['rec', 'pub']),
                { id: 'rec', type: 'recorder', z: 'f1', name: 'out', x: 1, y: 1, wires: [] },
                ...hubToLaterTab('light_command'),
            ],
        );
        await until(() => got.out.length === 1 && got.dash.length === 1, 'the start state on both');
        for (const msg of [got.out[0], got.dash[0]]) {
            assert.equal(msg.topic, 'light_command');
            assert.deepEqual(msg.payload, { state: 'off', brightness: 0 });
            assert.equal(msg.reason, 'start');
        }
        lightNode().receive(motion());
        await until(() => got.out.length === 3, 'on, then off after the wait');
        assert.deepEqual(
            states(got.out),
            [
                ['off', 0, 'start'],
                ['on', 100, 'motion'],
                ['off', 0, 'timeout'],
            ],
            'the start state once, then changes only',
        );
    });

    it('with Send at start, after a restart says the state it restored, then what a passed deadline does', async function () {
        const out = await restart(savedOn(65, 600_000, -480_000), light({ wait: 120, sendStart: true }));
        await until(() => out.length === 2, 'the start state and the off');
        assert.deepEqual(states(out), [
            ['on', 65, 'start'],
            ['off', 0, 'timeout'],
        ]);
    });

    it('turns on from motion published on the hub, ignoring its own commands coming back', async function () {
        await helper.load(
            [lightNodes, hubNodes],
            [
                TAB,
                { id: 'hub1', type: 'sensorhub-hub', backend: 'local' },
                { id: 'p1', type: 'sensorhub-publish', z: 'f1', hub: 'hub1', eventType: '', wires: [] },
                { id: 's1', type: 'sensorhub-subscribe', z: 'f1', hub: 'hub1', patterns: '#', wires: [['l1', 'all']] },
                // The light's commands go onto the hub too, so its wide subscription hands them back to it.
                light({}, ['out', 'p1']),
                sink('out'),
                sink('all'),
            ],
        );
        const out = collect(helper.getNode('out'));
        const all = collect(helper.getNode('all'));
        helper.getNode('p1').receive({ topic: 'temperature_update', payload: 22, sensor: { id: 't1' } });
        helper.getNode('p1').receive(motion());
        await until(() => out.length === 2, 'on and off');
        assert.deepEqual(states(out), [
            ['on', 100, 'motion'],
            ['off', 0, 'timeout'],
        ]);
        await until(() => all.filter((m) => m.topic === 'light_command').length === 2, 'both commands on the hub');
    });

    it('refuses a saved configuration that is wrong, naming the field', async function () {
        await helper.load([lightNodes, catchNode], [TAB, light({ wait: -1 }), catcher(), sink('caught')]);
        const caught = collect(helper.getNode('caught'));
        assert.ok(errorsLogged().some((m) => /Light not started: no-motion wait \(s\) must be a number/.test(m)));
        lightNode().receive(motion());
        await until(() => caught.length === 1, 'the refusal');
        assert.match(caught[0].error.message, /Light not started: no-motion wait/);
    });

    it('leaves no timer running after 20 redeploys and a close', async function () {
        const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
        const flow = [TAB, light({ wait: 30, override: 30 }), sink('out')];
        await helper.load(lightNodes, flow);
        await sleep(30);
        await helper.unload();
        await sleep(20);
        const before = timers();
        await helper.load(lightNodes, flow);
        for (let i = 0; i < 20; i++) {
            lightNode().receive(i % 2 ? { command: 'on' } : motion());
            await helper.setFlows(flow, 'full');
            await sleep(10);
        }
        lightNode().receive(motion());
        await helper.unload();
        await until(() => timers() <= before, `no more timers than the ${before} before`);
    });
});
