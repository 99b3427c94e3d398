'use strict';
// The smart-home demo (what `npm start` deploys) in a real Node-RED with the packed module: motion driven through
// the flow's own HTTP endpoint reaches the light and the door lock through the hub; the flow's state endpoint says
// what they did.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { root, DEFAULT_NODE_RED, startNodeRed } = require('./launcher');
const { until, sleep } = require('../helpers/wait');

const LIGHT_WAIT_S = 1;
const COOLDOWN_S = 2;

/** The demo as shipped, its debug nodes also writing to the log, where the test reads what a user would see. */
function shippedDemo() {
    const flows = JSON.parse(fs.readFileSync(path.join(root, 'examples', 'smart-home.json'), 'utf8'));
    for (const n of flows) if (n.type === 'debug') n.console = true;
    return flows;
}

/** What the debug node `name` printed, one entry per message, from Node-RED's log lines. */
function debugLines(log, name) {
    const prefix = `[debug:${name}] `;
    return log
        .split('\n')
        .filter((line) => line.includes(prefix))
        .map((line) => line.slice(line.indexOf(prefix) + prefix.length));
}

/**
 * The demo as shipped, but quick and deterministic: the light's wait and the lock's cooldown are short, and the
 * simulated motion sensor does not start by itself, so every motion event is one this test sends.
 */
function demoFlows() {
    const flows = shippedDemo();
    const byType = (type) => flows.filter((n) => n.type === type);
    const [light] = byType('sensorhub-light');
    const [lock] = byType('sensorhub-door-lock');
    const motion = byType('sensorhub-sensor').find((n) => n.kind === 'motion');
    assert.ok(light && lock && motion, 'the demo has a light, a door lock and a motion sensor');
    light.wait = LIGHT_WAIT_S;
    lock.cooldown = COOLDOWN_S;
    motion.autoStart = false;
    return flows;
}

describe(`e2e: ${DEFAULT_NODE_RED} smart-home demo`, function () {
    this.timeout(120000);
    let red;

    before(async function () {
        red = await startNodeRed();
    });

    after(async function () {
        if (red) await red.stop();
    });

    const state = async () => {
        const res = await red.request('GET', '/sensorhub/demo/state');
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body;
    };
    const motion = async () => {
        const res = await red.request('POST', '/sensorhub/demo/motion', {});
        assert.equal(res.status, 204);
    };

    it('as shipped, shows the light going on and off, a door alert and a temperature alarm by itself, each as one line', async function () {
        const from = red.mark();
        await red.deploy(shippedDemo());
        // The sensors' random seeds are fixed, so this is the same first half minute on every start; the deadline
        // only bounds a broken run on a busy machine.
        const seen = () => red.log(from);
        await until(
            () => debugLines(seen(), 'light commands').length >= 3,
            'the light to go on and off by itself',
            90000,
        );
        await until(() => debugLines(seen(), 'temperature alarms').length >= 1, 'a temperature alarm', 90000);
        const light = debugLines(seen(), 'light commands');
        assert.deepEqual(light.slice(0, 3), ['light off (start)', 'light on 80 % (motion)', 'light off (timeout)']);
        assert.deepEqual(debugLines(seen(), 'door alerts').slice(0, 1), ['ALERT motion_while_locked at Front door']);
        assert.match(debugLines(seen(), 'temperature alarms')[0], /^temp-\w+: (high|low) alarm raised at [\d.]+ °C$/);
        // Every debug line is a readable summary, never an object dumped over several lines.
        const all = seen()
            .split('\n')
            .filter((line) => line.includes('[debug:'));
        assert.ok(all.length >= 4);
        for (const line of all) assert.match(line, /\[debug:[^\]]+\] \S.*\S$/, line);
        const state = await red.request('GET', '/sensorhub/demo/state');
        assert.deepEqual(state.body.lightCommands.slice(0, 3), ['off:start', 'on:motion', 'off:timeout']);
    });

    it('turns the light on at motion and off after the wait, and alerts once per cooldown while locked', async function () {
        await red.deploy(demoFlows());
        assert.deepEqual(
            await state(),
            { light: { state: 'off', brightness: 0 }, lightCommands: ['off:start'], alerts: 0, lock: 'locked' },
            'nothing happened before the first motion; the light and the lock said their states at start',
        );
        // Sent at once, not one after another: on a loaded machine they still fall within one cooldown and one wait.
        await Promise.all(Array.from({ length: 5 }, motion));
        await until(async () => (await state()).lightCommands.length >= 3, 'the light to go on and off', 20000);
        const after = await state();
        assert.deepEqual(after.lightCommands, ['off:start', 'on:motion', 'off:timeout']);
        assert.deepEqual(after.light, { state: 'off', brightness: 0 });
        assert.equal(after.alerts, 1, 'five motion events within one cooldown give one alert');

        // After the cooldown, motion while still locked alerts again, once.
        await sleep(COOLDOWN_S * 1000 + 200);
        await Promise.all([motion(), motion()]);
        await until(async () => (await state()).alerts === 2, 'a second alert after the cooldown', 20000);
        await until(async () => (await state()).lightCommands.length === 5, 'the light on and off again', 20000);
        const last = await state();
        assert.equal(last.alerts, 2);
        assert.deepEqual(last.lightCommands.slice(3), ['on:motion', 'off:timeout']);
        assert.doesNotMatch(red.log(), /\[(error|fatal)\]/, 'nothing logged an error');
    });
});
