'use strict';
// Property tests: fast-check prints the seed and path of a failure. To replay it, add them to that fc.assert's
// options, `fc.assert(property, { seed, path, endOnFailure: true })`, and run this file alone.
const { StepClock } = require('../helpers/fake-clock');
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { LightController, readLightInput, inWindow, localMinuteOfDay } = require('../../src/core/light/light');
const { parseLightConfig, parseTimeOfDay } = require('../../src/core/light/config');
const { fieldsOf } = require('../helpers/types');

const FakeClock = StepClock;

const S = 1000;
const DEFAULTS = {
    waitMs: 120 * S,
    minOnMs: 0,
    overrideMs: 0,
    brightness: 100,
    darkBelow: undefined,
    window: undefined,
};

/** A controller on a fake clock; `outputs` gets what the clock caused, `changes` counts onChange calls. */
function setup(settings = {}, extra = {}) {
    const clock = new FakeClock();
    /** @type {Array<import('../../src/core/light/light').LightOutput & { at: number }>} */
    const outputs = [];
    let changes = 0;
    const light = new LightController({
        ...DEFAULTS,
        ...settings,
        clock,
        onOutput: (out) => outputs.push({ ...out, at: clock.t }),
        onChange: () => changes++,
        ...extra,
    });
    return { clock, light, outputs, t0: clock.t, changes: () => changes };
}

describe('core/light', function () {
    describe('motion', function () {
        it('switches on at motion with the configured brightness, reason motion, once', function () {
            const { light } = setup({ brightness: 70 });
            assert.deepEqual(light.motion(), { state: 'on', brightness: 70, reason: 'motion' });
            assert.equal(light.motion(), undefined, 'already on: nothing goes out');
            assert.equal(light.view.mode, 'auto');
        });

        it('switches off with reason timeout when the wait passes without motion', function () {
            const { clock, light, outputs, t0 } = setup({ waitMs: 120 * S });
            light.motion();
            assert.equal(light.view.offAt, t0 + 120 * S);
            clock.advance(119 * S);
            assert.deepEqual(outputs, []);
            clock.advance(1 * S);
            assert.deepEqual(outputs, [{ state: 'off', brightness: 0, reason: 'timeout', at: t0 + 120 * S }]);
            assert.equal(light.view.state, 'off');
            assert.equal(clock.timers.size, 0);
        });

        it('restarts the wait at every motion event, keeping one timer however many events come', function () {
            const { clock, light, outputs, t0 } = setup({ waitMs: 120 * S });
            light.motion();
            for (let i = 0; i < 100; i++) {
                clock.advance(1 * S);
                light.motion();
                assert.ok(clock.timers.size <= 1, 'one timer, not one per event');
            }
            assert.equal(light.view.offAt, t0 + 220 * S);
            clock.advance(119 * S);
            assert.deepEqual(outputs, [], 'still on 119 s after the last motion');
            clock.advance(1 * S);
            assert.deepEqual(outputs, [{ state: 'off', brightness: 0, reason: 'timeout', at: t0 + 220 * S }]);
        });

        it('stays on for the minimum on-time even when the wait is shorter', function () {
            const { clock, light, outputs, t0 } = setup({ waitMs: 10 * S, minOnMs: 60 * S });
            light.motion();
            clock.advance(30 * S);
            light.motion();
            assert.equal(light.view.offAt, t0 + 60 * S);
            clock.advance(29 * S);
            assert.deepEqual([...outputs], []);
            clock.advance(1 * S);
            assert.equal(outputs[0].at, t0 + 60 * S);
            light.motion();
            clock.advance(50 * S);
            light.motion();
            // Counted from the new switch-on: motion at +50 s is inside its minimum, so +60 s wins over +60 s wait.
            assert.equal(light.view.offAt, t0 + 60 * S + 60 * S);
        });

        it('calls onChange on every change of state, for saving', function () {
            const { clock, light, changes } = setup();
            light.motion();
            const afterOn = changes();
            assert.ok(afterOn >= 1);
            light.motion();
            assert.ok(changes() > afterOn, 'a moved deadline is a change to save');
            clock.advance(200 * S);
            assert.ok(changes() > afterOn + 1);
        });
    });

    describe('manual commands', function () {
        it('on, off, toggle and brightness, sending only changes, reason manual', function () {
            const { light } = setup({ brightness: 80 });
            assert.deepEqual(light.command({ action: 'on' }), { state: 'on', brightness: 80, reason: 'manual' });
            assert.equal(light.command({ action: 'on' }), undefined, 'no change, nothing sent');
            assert.deepEqual(light.command({ action: 'on', brightness: 30 }), {
                state: 'on',
                brightness: 30,
                reason: 'manual',
            });
            assert.equal(light.command({ action: 'on' }), undefined, 'on without brightness keeps 30');
            assert.deepEqual(light.command({ action: 'toggle' }), { state: 'off', brightness: 0, reason: 'manual' });
            assert.equal(light.command({ action: 'off' }), undefined);
            assert.deepEqual(light.command({ action: 'toggle', brightness: 55 }), {
                state: 'on',
                brightness: 55,
                reason: 'manual',
            });
            assert.deepEqual(light.command({ action: 'on', brightness: 0 }), {
                state: 'off',
                brightness: 0,
                reason: 'manual',
            });
            assert.equal(light.command({ action: 'toggle', brightness: 0 }), undefined, 'toggle to 0 stays off');
        });

        it('a manual on overrides the automatic off until a manual off', function () {
            const { clock, light, outputs } = setup({ waitMs: 10 * S });
            light.motion();
            assert.equal(light.command({ action: 'on' }), undefined, 'already on at 100: no output');
            assert.equal(light.view.mode, 'manual');
            assert.equal(clock.timers.size, 0, 'no override timeout: nothing pending');
            clock.advance(3600 * S);
            light.motion();
            clock.advance(3600 * S);
            assert.deepEqual(outputs, [], 'motion rules no longer switch it off');
            assert.deepEqual(light.command({ action: 'off' }), { state: 'off', brightness: 0, reason: 'manual' });
            assert.equal(light.view.mode, 'auto');
            assert.deepEqual(light.motion(), { state: 'on', brightness: 100, reason: 'motion' }, 'motion rules again');
        });

        it('an override timeout hands back to motion: off at once without recent motion', function () {
            const { clock, light, outputs, t0 } = setup({ waitMs: 10 * S, overrideMs: 300 * S });
            light.command({ action: 'on' });
            assert.equal(light.view.overrideUntil, t0 + 300 * S);
            clock.advance(300 * S);
            assert.deepEqual(outputs, [{ state: 'off', brightness: 0, reason: 'timeout', at: t0 + 300 * S }]);
        });

        it('an override timeout with motion within the wait keeps the light on until the wait from that motion', function () {
            const { clock, light, outputs, t0 } = setup({ waitMs: 10 * S, overrideMs: 300 * S });
            light.command({ action: 'on', brightness: 40 });
            clock.advance(295 * S);
            light.motion();
            clock.advance(5 * S);
            assert.deepEqual(outputs, []);
            assert.equal(light.view.mode, 'auto');
            assert.equal(light.view.offAt, t0 + 305 * S);
            clock.advance(5 * S);
            assert.deepEqual(outputs, [{ state: 'off', brightness: 0, reason: 'timeout', at: t0 + 305 * S }]);
        });

        it('each manual on restarts the override timeout', function () {
            const { clock, light, outputs, t0 } = setup({ overrideMs: 60 * S });
            light.command({ action: 'on' });
            clock.advance(50 * S);
            light.command({ action: 'on', brightness: 50 });
            clock.advance(50 * S);
            assert.equal(outputs.length, 0);
            clock.advance(10 * S);
            assert.equal(outputs[0].at, t0 + 110 * S);
        });

        it('auto ends an override at once', function () {
            const { clock, light } = setup({ waitMs: 10 * S });
            light.command({ action: 'on' });
            clock.advance(5 * S);
            light.motion();
            assert.equal(light.command({ action: 'auto' }), undefined, 'motion 0 s ago: stays on');
            assert.equal(light.view.mode, 'auto');
            assert.equal(light.view.offAt, clock.t + 10 * S);
            clock.advance(60 * S);
            assert.equal(light.view.state, 'off');
            light.command({ action: 'on' });
            clock.advance(60 * S);
            assert.deepEqual(light.command({ action: 'auto' }), { state: 'off', brightness: 0, reason: 'timeout' });
            assert.equal(light.command({ action: 'auto' }), undefined, 'auto while automatic: nothing');
        });
    });

    describe('occupancy mode', function () {
        it('stays on while occupied however long, and goes off the wait after the room became clear', function () {
            const { clock, light, outputs, t0 } = setup({ occupancy: true, waitMs: 60 * S });
            assert.deepEqual(light.motion(), { state: 'on', brightness: 100, reason: 'motion' });
            assert.equal(light.view.offAt, undefined, 'no deadline while occupied');
            assert.equal(light.view.occupied, true);
            assert.equal(clock.timers.size, 0);
            clock.advance(3600 * S);
            assert.deepEqual(outputs, [], 'occupied for an hour without another event: still on');
            assert.equal(light.vacant(), undefined);
            assert.equal(light.view.offAt, t0 + 3660 * S, 'the wait starts at the false');
            clock.advance(59 * S);
            assert.deepEqual(outputs, []);
            clock.advance(1 * S);
            assert.deepEqual(outputs, [{ state: 'off', brightness: 0, reason: 'timeout', at: t0 + 3660 * S }]);
        });

        it('occupied again within the wait keeps it on; a repeated clear does not restart the wait', function () {
            const { clock, light, outputs, t0 } = setup({ occupancy: true, waitMs: 60 * S });
            light.motion();
            light.vacant();
            clock.advance(30 * S);
            light.motion();
            assert.equal(light.view.offAt, undefined);
            assert.equal(clock.timers.size, 0, 'the pending off is withdrawn');
            clock.advance(30 * S);
            light.vacant();
            for (let i = 0; i < 10; i++) {
                clock.advance(5 * S);
                light.vacant();
            }
            assert.equal(light.view.offAt, t0 + 120 * S, 'counted from the change to clear, not from its repeats');
            clock.advance(10 * S);
            assert.deepEqual(outputs, [{ state: 'off', brightness: 0, reason: 'timeout', at: t0 + 120 * S }]);
            assert.equal(light.view.occupied, false);
        });

        it('holds the minimum on-time after a short occupancy', function () {
            const { clock, light, outputs, t0 } = setup({ occupancy: true, waitMs: 5 * S, minOnMs: 60 * S });
            light.motion();
            clock.advance(1 * S);
            light.vacant();
            assert.equal(light.view.offAt, t0 + 60 * S);
            clock.advance(59 * S);
            assert.equal(outputs[0].at, t0 + 60 * S);
        });

        it('an override that ends while occupied hands back to a light that stays on until clear', function () {
            const { clock, light, outputs, t0 } = setup({ occupancy: true, waitMs: 10 * S, overrideMs: 100 * S });
            light.command({ action: 'on', brightness: 40 });
            light.motion();
            clock.advance(100 * S);
            assert.deepEqual(outputs, []);
            assert.deepEqual([light.view.mode, light.view.offAt], ['auto', undefined]);
            light.vacant();
            clock.advance(10 * S);
            assert.deepEqual(outputs, [{ state: 'off', brightness: 0, reason: 'timeout', at: t0 + 110 * S }]);
        });

        it('a manual off while occupied is obeyed, and the next report of occupied switches on again', function () {
            const { light } = setup({ occupancy: true });
            light.motion();
            assert.deepEqual(light.command({ action: 'off' }), { state: 'off', brightness: 0, reason: 'manual' });
            assert.equal(light.motion()?.state, 'on');
        });

        it('a clear report while off, or before any occupied one, changes nothing', function () {
            const { clock, light, changes } = setup({ occupancy: true });
            const before = changes();
            assert.equal(light.vacant(), undefined);
            assert.equal(changes(), before);
            light.command({ action: 'on' });
            light.vacant();
            assert.deepEqual(
                light.command({ action: 'auto' }),
                { state: 'off', brightness: 0, reason: 'timeout' },
                'never occupied: nothing to wait for',
            );
            assert.equal(clock.timers.size, 0);
        });

        it('without the mode (flows saved before it), "no motion" is not counted and changes nothing', function () {
            const { clock, light, t0 } = setup({ waitMs: 60 * S });
            light.motion();
            clock.advance(30 * S);
            assert.equal(light.vacant(), undefined);
            assert.equal(light.view.offAt, t0 + 60 * S);
            assert.equal(light.view.occupied, false);
            assert.equal(light.metrics().eventsHandled, 1);
        });

        it('saves and restores the occupancy; a state saved before the mode, or under the other mode, waits', function () {
            const first = setup({ occupancy: true, waitMs: 60 * S });
            first.light.motion();
            const saved = JSON.parse(JSON.stringify(first.light.save()));
            assert.equal(saved.occupied, true);
            const again = setup({ occupancy: true, waitMs: 60 * S });
            again.clock.t = first.clock.t + 3600 * S;
            assert.equal(again.light.restore(saved), true);
            again.clock.advance(3600 * S);
            assert.equal(again.light.view.state, 'on', 'still occupied after the restart');
            again.light.vacant();
            again.clock.advance(60 * S);
            assert.equal(again.light.view.state, 'off');

            const { occupied, ...old } = saved;
            assert.equal(occupied, true);
            const oldSave = setup({ occupancy: true, waitMs: 60 * S });
            assert.equal(oldSave.light.restore({ ...old, offAt: first.t0 + 60 * S }), true);
            assert.equal(oldSave.light.view.occupied, false);
            const motionMode = setup({ waitMs: 60 * S });
            motionMode.clock.t = first.clock.t;
            assert.equal(motionMode.light.restore(saved), true);
            assert.equal(motionMode.light.view.occupied, false, 'a light no longer in the mode does not hold');
            motionMode.clock.advance(10 ** 6);
            assert.equal(motionMode.light.view.state, 'off');
            assert.equal(setup().light.restore({ ...saved, occupied: 'yes' }), false);
        });
    });

    describe('gates', function () {
        it('dark: motion switches on only while the last light level is below the threshold', function () {
            const { light } = setup({ darkBelow: 50 });
            assert.equal(fieldsOf(light.motion()).state, 'on', 'no level yet counts as dark');
            light.command({ action: 'off' });
            light.illuminance(300);
            assert.equal(light.motion(), undefined);
            assert.equal(light.view.blocked, 'dark');
            light.illuminance(50);
            assert.equal(light.motion(), undefined, 'at the threshold is not below it');
            light.illuminance(12);
            assert.deepEqual(light.motion(), { state: 'on', brightness: 100, reason: 'motion' });
            assert.equal(light.view.blocked, undefined);
        });

        it('dark: levels measured while the light is on are not used, and motion keeps it on', function () {
            const { clock, light, outputs } = setup({ darkBelow: 50, waitMs: 10 * S });
            light.illuminance(5);
            light.motion();
            light.illuminance(400);
            clock.advance(8 * S);
            light.motion();
            clock.advance(8 * S);
            assert.deepEqual(outputs, [], 'motion while on extends even though the room reads bright');
            clock.advance(2 * S);
            assert.equal(outputs.length, 1);
            assert.equal(fieldsOf(light.motion()).state, 'on', 'the bright reading was the lamp itself');
        });

        it('time: motion switches on only inside the window, which may cross midnight', function () {
            let minute = 12 * 60;
            const { light } = setup({ window: { from: 20 * 60, to: 6 * 60 } }, { minuteOfDay: () => minute });
            assert.equal(light.motion(), undefined);
            assert.equal(light.view.blocked, 'time');
            minute = 23 * 60;
            assert.equal(fieldsOf(light.motion()).state, 'on');
            light.command({ action: 'off' });
            minute = 3 * 60;
            assert.equal(fieldsOf(light.motion()).state, 'on');
            light.command({ action: 'off' });
            minute = 6 * 60;
            assert.equal(light.motion(), undefined, 'the end is excluded');
            minute = 20 * 60;
            assert.equal(fieldsOf(light.motion()).state, 'on', 'the start is included');
        });

        it('manual commands ignore the gates', function () {
            const { light } = setup({ darkBelow: 10, window: { from: 0, to: 1 } }, { minuteOfDay: () => 600 });
            light.illuminance(1000);
            assert.equal(light.motion(), undefined);
            assert.deepEqual(light.command({ action: 'on' }), { state: 'on', brightness: 100, reason: 'manual' });
        });

        it('inWindow, and minutes of the local day', function () {
            assert.equal(inWindow(600, { from: 540, to: 1020 }), true);
            assert.equal(inWindow(1020, { from: 540, to: 1020 }), false);
            assert.equal(inWindow(1439, { from: 1320, to: 360 }), true);
            assert.equal(inWindow(0, { from: 1320, to: 360 }), true);
            assert.equal(inWindow(720, { from: 1320, to: 360 }), false);
            assert.equal(localMinuteOfDay(new Date(2024, 0, 15, 21, 37).getTime()), 21 * 60 + 37);
        });
    });

    describe('saving and restoring', function () {
        it('restores on, with its deadline, and turns off when it comes', function () {
            const first = setup({ waitMs: 60 * S, brightness: 75 });
            first.light.motion();
            const saved = JSON.parse(JSON.stringify(first.light.save()));
            first.light.close();
            const { clock, light, outputs } = setup({ waitMs: 60 * S });
            clock.t = first.clock.t + 20 * S;
            assert.equal(light.restore(saved), true);
            assert.deepEqual(
                { state: light.view.state, brightness: light.view.brightness, offAt: light.view.offAt },
                { state: 'on', brightness: 75, offAt: first.t0 + 60 * S },
            );
            clock.advance(40 * S);
            assert.deepEqual(outputs, [{ state: 'off', brightness: 0, reason: 'timeout', at: first.t0 + 60 * S }]);
        });

        it('turns off by a timer of 0 ms when the deadline passed while it was away', function () {
            const first = setup({ waitMs: 60 * S });
            first.light.motion();
            const saved = first.light.save();
            const { clock, light, outputs } = setup();
            clock.t = first.clock.t + 3600 * S;
            light.restore(saved);
            assert.deepEqual(outputs, [], 'not during the restore itself: the flow may not have started');
            clock.advance(0);
            assert.deepEqual(outputs, [{ state: 'off', brightness: 0, reason: 'timeout', at: clock.t }]);
        });

        it('says the state it starts in, off or restored, without counting it as a change', function () {
            const fresh = setup();
            assert.deepEqual(fresh.light.startOutput(), { state: 'off', brightness: 0, reason: 'start' });
            const first = setup({ waitMs: 60 * S, brightness: 75 });
            first.light.motion();
            const { light, outputs } = setup({ waitMs: 60 * S });
            light.restore(first.light.save());
            assert.deepEqual(light.startOutput(), { state: 'on', brightness: 75, reason: 'start' });
            assert.deepEqual(outputs, []);
            assert.deepEqual([light.metrics().commandsSent, light.metrics().lastReason], [0, null]);
        });

        it('restores a manual override with its timeout, and one without', function () {
            const first = setup({ overrideMs: 100 * S });
            first.light.command({ action: 'on', brightness: 20 });
            const { clock, light, outputs } = setup({ overrideMs: 100 * S });
            clock.t = first.clock.t + 50 * S;
            light.restore(first.light.save());
            assert.equal(light.view.mode, 'manual');
            clock.advance(50 * S);
            assert.deepEqual(outputs, [{ state: 'off', brightness: 0, reason: 'timeout', at: first.t0 + 100 * S }]);

            const forever = setup();
            forever.light.command({ action: 'on' });
            const again = setup();
            again.light.restore(forever.light.save());
            again.clock.advance(10 ** 9);
            assert.equal(again.light.view.state, 'on');
            assert.equal(again.outputs.length, 0);
        });

        it('keeps the light level for the dark gate', function () {
            const first = setup({ darkBelow: 50 });
            first.light.illuminance(500);
            const second = setup({ darkBelow: 50 });
            second.light.restore(first.light.save());
            assert.equal(second.light.motion(), undefined);
        });

        it('refuses anything that is not a saved state, staying off', function () {
            const { light, clock } = setup();
            for (const bad of [
                undefined,
                null,
                'on',
                { v: 2, state: 'on' },
                { ...new LightController({ ...DEFAULTS, onOutput() {} }).save(), state: 'dim' },
                { ...new LightController({ ...DEFAULTS, onOutput() {} }).save(), brightness: 250 },
                { ...new LightController({ ...DEFAULTS, onOutput() {} }).save(), offAt: 'soon' },
            ]) {
                assert.equal(light.restore(bad), false, JSON.stringify(bad));
            }
            assert.equal(light.view.state, 'off');
            assert.equal(clock.timers.size, 0);
        });
    });

    it('close clears every timer, and nothing changes afterwards', function () {
        const { clock, light, outputs } = setup({ overrideMs: 10 * S });
        light.motion();
        assert.equal(clock.timers.size, 1);
        light.close();
        assert.equal(clock.timers.size, 0);
        assert.equal(light.motion(), undefined);
        assert.equal(light.command({ action: 'off' }), undefined);
        clock.advance(10 ** 9);
        assert.deepEqual(outputs, []);
        assert.equal(light.restore(light.save()), false);
    });

    it('holds its rules for any sequence of motion or occupancy, commands and time (property)', function () {
        this.timeout(30_000);
        const step = fc.oneof(
            { weight: 4, arbitrary: fc.record({ kind: fc.constant('motion') }) },
            // "No motion", or in occupancy mode "clear".
            { weight: 2, arbitrary: fc.record({ kind: fc.constant('clear') }) },
            { weight: 1, arbitrary: fc.record({ kind: fc.constant('lux'), lux: fc.integer({ min: 0, max: 200 }) }) },
            {
                weight: 3,
                arbitrary: fc.record({
                    kind: fc.constant('command'),
                    action: fc.constantFrom('on', 'off', 'toggle', 'auto'),
                    brightness: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
                }),
            },
            {
                weight: 3,
                arbitrary: fc.record({ kind: fc.constant('advance'), ms: fc.integer({ min: 0, max: 200 * S }) }),
            },
            // To the next timer, or a millisecond either side of it: where off-by-one mistakes show.
            { weight: 3, arbitrary: fc.record({ kind: fc.constant('timer'), delta: fc.constantFrom(-1, 0, 1) }) },
        );
        const settings = fc.record({
            waitMs: fc.integer({ min: 1, max: 100 }).map((n) => n * S),
            minOnMs: fc.integer({ min: 0, max: 100 }).map((n) => n * S),
            overrideMs: fc.oneof(
                fc.constant(0),
                fc.integer({ min: 1, max: 150 }).map((n) => n * S),
            ),
            brightness: fc.integer({ min: 1, max: 100 }),
            darkBelow: fc.constantFrom(undefined, 100),
            window: fc.option(fc.record({ from: fc.nat(1439), to: fc.nat(1439) }), { nil: undefined }),
            occupancy: fc.boolean(),
        });
        // Minutes of the day from the fake clock, so the time gate opens and closes as the clock moves.
        const minuteOfDay = (now) => Math.floor(now / 60_000) % 1440;
        fc.assert(
            fc.property(settings, fc.array(step, { maxLength: 60, size: 'max' }), (cfg, steps) => {
                const { clock, light, outputs } = setup(cfg, { minuteOfDay });
                // The model, from what the test did and what the light sent: never from the light's insides.
                const sent = [];
                let shown = { state: 'off', brightness: 0 };
                /** When the wait counts from: the last motion, or in occupancy mode the last change to clear. */
                let lastMotion = -Infinity;
                let occupied = false;
                let onSince;
                let lux;
                let manual = false;
                let overrideEnd = Infinity;
                /** When the light last came under motion's rules while on. */
                let autoSince;
                const deadline = () => (occupied ? Infinity : Math.max(lastMotion + cfg.waitMs, onSince + cfg.minOnMs));
                const expire = (t) => {
                    if (manual && t >= overrideEnd) [manual, autoSince] = [false, overrideEnd];
                };
                const take = (o, at) => {
                    expire(at);
                    assert.ok(o.state !== shown.state || o.brightness !== shown.brightness, 'sent only on change');
                    assert.equal(o.state === 'off', o.brightness === 0, 'off is brightness 0, on is not');
                    if (o.reason === 'timeout') {
                        assert.ok(!manual, 'never switched off by time while overridden');
                        assert.equal(
                            at,
                            Math.max(deadline(), autoSince),
                            'off exactly when the wait after the last motion (and the minimum on-time) has passed',
                        );
                    }
                    if (o.reason === 'motion') {
                        assert.deepEqual([o.state, o.brightness], ['on', cfg.brightness]);
                        [onSince, autoSince] = [at, at];
                    }
                    if (o.state === 'on' && shown.state === 'off') onSince = at;
                    if (o.state === 'off') manual = false;
                    shown = { state: o.state, brightness: o.brightness };
                    sent.push(o);
                };
                for (const s of steps) {
                    const now = clock.t;
                    let out;
                    if (s.kind === 'motion') {
                        const wasOff = shown.state === 'off';
                        const dark = cfg.darkBelow === undefined || lux === undefined || lux < cfg.darkBelow;
                        const inside =
                            cfg.window === undefined ||
                            (cfg.window.from <= cfg.window.to
                                ? minuteOfDay(now) >= cfg.window.from && minuteOfDay(now) < cfg.window.to
                                : minuteOfDay(now) >= cfg.window.from || minuteOfDay(now) < cfg.window.to);
                        if (cfg.occupancy) occupied = true;
                        else lastMotion = now;
                        out = light.motion();
                        if (wasOff) assert.equal(out?.state, dark && inside ? 'on' : undefined, 'motion and the gates');
                        else assert.equal(out, undefined, 'motion while on sends nothing');
                    } else if (s.kind === 'clear') {
                        // Only the change to clear starts the wait; without occupancy mode "no motion" is nothing.
                        if (occupied) [occupied, lastMotion] = [false, now];
                        assert.equal(light.vacant(), undefined, 'no motion never sends');
                    } else if (s.kind === 'lux') {
                        // Levels measured while the light is on measure the light itself.
                        if (shown.state === 'off') lux = s.lux;
                        light.illuminance(s.lux);
                    } else if (s.kind === 'command') {
                        expire(now);
                        const wasOn = shown.state === 'on';
                        out = light.command(s);
                        const level =
                            s.action === 'on'
                                ? (s.brightness ?? (wasOn ? shown.brightness : cfg.brightness))
                                : s.action === 'toggle' && !wasOn
                                  ? (s.brightness ?? cfg.brightness)
                                  : 0;
                        if ((s.action === 'on' || s.action === 'toggle') && level > 0) {
                            [manual, overrideEnd] = [true, cfg.overrideMs > 0 ? now + cfg.overrideMs : Infinity];
                            assert.ok(out === undefined || out.reason === 'manual');
                        } else if (s.action === 'auto') {
                            if (manual) [manual, autoSince] = [false, now];
                        } else {
                            assert.ok(out === undefined || (out.state === 'off' && out.reason === 'manual'));
                        }
                    } else if (s.kind === 'advance') clock.advance(s.ms);
                    else {
                        const next = Math.min(...[...clock.timers.values()].map((x) => x.at));
                        if (Number.isFinite(next)) clock.advance(Math.max(0, next - clock.t + s.delta));
                    }
                    for (const { at, ...o } of outputs.splice(0)) take(o, at);
                    if (out) take(out, clock.t);
                    expire(clock.t);
                    const v = light.view;
                    assert.deepEqual([v.state, v.brightness], [shown.state, shown.brightness]);
                    assert.ok(clock.timers.size <= 1, 'one timer at most');
                    if (shown.state === 'on' && !manual)
                        assert.ok(clock.t < deadline(), 'on longer than the wait after the last motion');
                }
                // While occupied nothing changes however long; the wait starts when the room is clear.
                if (occupied) {
                    clock.advance(400 * S);
                    assert.deepEqual(outputs, [], 'occupied: left alone, nothing changes');
                    assert.equal(light.view.state, shown.state);
                    light.vacant();
                }
                // Left alone long enough, a light under motion's rules, or with an override that ends, goes off.
                if (!manual || cfg.overrideMs > 0) {
                    clock.advance(400 * S);
                    assert.equal(light.view.state, 'off');
                }
                light.close();
                assert.equal(clock.timers.size, 0);
            }),
            { numRuns: 1500 },
        );
    });
});

describe('core/light metrics', function () {
    it('counts the inputs handled and the commands sent, with the last reason and time', function () {
        const { clock, light, t0 } = setup({ waitMs: 60 * S });
        assert.deepEqual(light.metrics(), {
            state: 'off',
            brightness: 0,
            mode: 'auto',
            eventsHandled: 0,
            commandsSent: 0,
            lastReason: null,
            lastChangeTs: null,
        });
        light.motion();
        clock.advance(10 * S);
        light.motion();
        light.illuminance(300);
        let m = light.metrics();
        assert.deepEqual(
            [m.state, m.brightness, m.eventsHandled, m.commandsSent, m.lastReason, m.lastChangeTs],
            ['on', 100, 3, 1, 'motion', t0],
        );
        clock.advance(60 * S);
        m = light.metrics();
        assert.deepEqual(
            [m.state, m.eventsHandled, m.commandsSent, m.lastReason, m.lastChangeTs],
            ['off', 3, 2, 'timeout', t0 + 70 * S],
        );
        light.command({ action: 'off' });
        m = light.metrics();
        assert.deepEqual([m.eventsHandled, m.commandsSent], [4, 2], 'an off while off sends nothing');
    });

    it('reports the mode: manual until switched back, override when the manual on ends by itself', function () {
        const forever = setup({ overrideMs: 0 }).light;
        forever.command({ action: 'on', brightness: 40 });
        assert.deepEqual([forever.metrics().mode, forever.metrics().brightness], ['manual', 40]);
        forever.command({ action: 'auto' });
        assert.equal(forever.metrics().mode, 'auto');
        const { clock, light } = setup({ overrideMs: 30 * S });
        light.command({ action: 'on' });
        assert.deepEqual([light.metrics().mode, light.metrics().lastReason], ['override', 'manual']);
        clock.advance(30 * S);
        assert.equal(light.metrics().mode, 'auto');
    });

    it('counts nothing once closed', function () {
        const { light } = setup();
        light.close();
        light.motion();
        light.command({ action: 'on' });
        assert.equal(light.metrics().eventsHandled, 0);
    });
});

describe('core/light readLightInput', function () {
    const patterns = { motion: ['motion_detected', 'home/+/motion'], lux: ['illuminance_update'] };
    /** @param {Record<string, unknown>} msg @param {import('../../src/core/light/light').LightPatterns} [p] */
    const read = (msg, p = patterns) => fieldsOf(readLightInput(msg, p));

    it('reads motion by topic pattern: true or no boolean is motion, false is not', function () {
        assert.deepEqual(read({ topic: 'motion_detected', payload: true }), { kind: 'motion', motion: true });
        assert.deepEqual(read({ topic: 'motion_detected', payload: false }), { kind: 'motion', motion: false });
        assert.deepEqual(read({ topic: 'home/hall/motion' }), { kind: 'motion', motion: true });
        assert.deepEqual(read({ topic: 'home/hall/motion', payload: 'x' }), { kind: 'motion', motion: true });
    });

    it('reads a light level by topic when the dark gate is on, and refuses one that is not a number', function () {
        assert.deepEqual(read({ topic: 'illuminance_update', payload: 12.5 }), { kind: 'lux', lux: 12.5 });
        assert.match(
            read({ topic: 'illuminance_update', payload: '12' }).error,
            /must be a number of lux.*the string "12"/,
        );
        assert.match(read({ topic: 'illuminance_update', payload: -1 }).error, /0 or more, got -1/);
        assert.equal(
            read({ topic: 'illuminance_update', payload: 5 }, { motion: ['m'], lux: undefined }).kind,
            'error',
        );
    });

    it('reads msg.command with an optional brightness, whatever the topic', function () {
        assert.deepEqual(read({ command: 'on' }), { kind: 'command', command: { action: 'on' } });
        assert.deepEqual(read({ command: ' Toggle ', brightness: 40 }), {
            kind: 'command',
            command: { action: 'toggle', brightness: 40 },
        });
        assert.deepEqual(read({ topic: 'motion_detected', payload: true, command: 'off' }), {
            kind: 'command',
            command: { action: 'off' },
        });
        assert.deepEqual(read({ command: 'auto' }).command, { action: 'auto' });
    });

    it('reads a payload command: a word, or {state, brightness}', function () {
        assert.deepEqual(read({ payload: 'off' }).command, { action: 'off' });
        assert.deepEqual(read({ topic: 'x', payload: 'ON', brightness: 10 }).command, { action: 'on', brightness: 10 });
        assert.deepEqual(read({ payload: { state: 'on', brightness: 40 } }).command, { action: 'on', brightness: 40 });
        assert.deepEqual(read({ payload: { brightness: 40 } }).command, { action: 'on', brightness: 40 });
        assert.deepEqual(read({ payload: { state: 'toggle' } }).command, { action: 'toggle' });
    });

    it('refuses unknown commands and wrong types with a sentence that says what would be right', function () {
        assert.match(read({ command: 'blink' }).error, /unknown command "blink": use msg.command "on", "off"/);
        assert.match(read({ command: 5 }).error, /msg.command must be "on", "off", "toggle" or "auto", got 5/);
        assert.match(
            read({ command: 'on', brightness: 'abc' }).error,
            /brightness must be a number from 0 to 100, got the string "abc"/,
        );
        assert.match(read({ command: 'on', brightness: 250 }).error, /got 250/);
        assert.match(read({ command: 'on', brightness: NaN }).error, /got NaN/);
        assert.match(read({ payload: { state: 'on', brightness: -1 } }).error, /got -1/);
        assert.match(read({ payload: { state: 7 } }).error, /msg.payload.state must be/);
        assert.match(read({ payload: 'dim' }).error, /unknown command "dim"/);
        assert.match(read({ payload: 42 }).error, /not a light command/);
        assert.match(read({}).error, /not a light command/);
        assert.match(read({ payload: [1] }).error, /not a light command/);
    });

    it('ignores other hub events and readings, unless their payload is a light command', function () {
        const event = { type: 'temperature_update', id: '1', ts: 0, source: 'p' };
        assert.deepEqual(read({ topic: 'temperature_update', payload: 21.5, event }), { kind: 'ignore' });
        assert.deepEqual(read({ topic: 'door', payload: 'open', sensor: { id: 'd1' } }), { kind: 'ignore' });
        assert.deepEqual(read({ topic: 'light/set', payload: 'on', event }).command, { action: 'on' });
        assert.deepEqual(read({ topic: 'door_state', payload: { state: 'locked' }, event }), { kind: 'ignore' });
        assert.match(read({ topic: 'door_state', payload: { state: 'locked' } }).error, /unknown command "locked"/);
    });

    it("ignores the light's own commands fed back to it, unless they carry msg.command", function () {
        const own = { ...patterns, own: 'light_command' };
        const echo = { topic: 'light_command', payload: { state: 'on', brightness: 100 }, reason: 'motion' };
        assert.deepEqual(read(echo, own), { kind: 'ignore' });
        assert.deepEqual(read({ ...echo, command: 'off' }, own).command, { action: 'off' });
    });
});

describe('core/light-config', function () {
    it('reads defaults for what a flow saved earlier lacks', function () {
        assert.deepEqual(parseLightConfig({}), {
            config: {
                patterns: { motion: ['motion_detected'], lux: undefined, own: 'light_command' },
                topic: 'light_command',
                settings: {
                    waitMs: 120000,
                    minOnMs: 0,
                    overrideMs: 0,
                    brightness: 100,
                    darkBelow: undefined,
                    window: undefined,
                    occupancy: false,
                },
                sendStart: false,
            },
        });
    });

    it('reads every field, numbers given as text too', function () {
        const { config } = fieldsOf(
            parseLightConfig({
                motionPatterns: 'motion_detected, home/+/motion',
                wait: '30',
                minOn: 5,
                override: 600,
                brightness: '60',
                darkGate: true,
                luxPatterns: 'lux',
                darkBelow: '20',
                timeGate: true,
                from: '22:30',
                to: '6:15',
                topic: ' hall/light/set ',
                occupancy: 'true',
                sendStart: true,
            }),
        );
        assert.deepEqual(config, {
            patterns: { motion: ['motion_detected', 'home/+/motion'], lux: ['lux'], own: 'hall/light/set' },
            topic: 'hall/light/set',
            settings: {
                waitMs: 30000,
                minOnMs: 5000,
                overrideMs: 600000,
                brightness: 60,
                darkBelow: 20,
                window: { from: 22 * 60 + 30, to: 6 * 60 + 15 },
                occupancy: true,
            },
            sendStart: true,
        });
    });

    it('names the field and the fix for every bad value', function () {
        const err = (raw) => fieldsOf(parseLightConfig(raw)).error;
        assert.match(err({ motionPatterns: 'a/#/b' }), /motion patterns: pattern "a\/#\/b": # must be a whole level/);
        assert.match(err({ motionPatterns: 5 }), /motion patterns must be text/);
        assert.match(err({ wait: 0 }), /no-motion wait \(s\) must be a number from 0.01 to 86400/);
        assert.match(err({ wait: 'soon' }), /no-motion wait/);
        assert.match(err({ minOn: -1 }), /minimum on-time/);
        assert.match(err({ override: 1e9 }), /override timeout \(s\) must be a number from 0 to 604800/);
        assert.match(err({ brightness: 0 }), /brightness must be a number from 1 to 100/);
        assert.match(err({ topic: 'a/#' }), /command topic: event type "a\/#" contains a wildcard/);
        assert.match(err({ darkGate: true, darkBelow: -5 }), /dark below \(lux\)/);
        assert.match(
            err({ darkGate: true, luxPatterns: 'motion_detected' }),
            /both a motion pattern and a light level/,
        );
        assert.match(err({ timeGate: true, from: '25:00' }), /start must be a time of day as HH:MM/);
        assert.match(err({ timeGate: true, to: 'noon' }), /end must be a time of day/);
        assert.match(err({ timeGate: true, from: '07:00', to: '7:00' }), /start and end must differ/);
        assert.equal(err({ timeGate: false, from: 'noon' }), undefined, 'a gate that is off is not read');
    });

    it('parses HH:MM', function () {
        assert.equal(parseTimeOfDay('00:00'), 0);
        assert.equal(parseTimeOfDay('23:59'), 1439);
        assert.equal(parseTimeOfDay(' 7:05 '), 425);
        for (const bad of ['24:00', '12:60', '1200', '12:5', '', 720, undefined])
            assert.equal(parseTimeOfDay(bad), undefined);
    });
});
