'use strict';
const assert = require('node:assert/strict');
const { generic, genericConfigProblem } = require('../../src/core/devices');
const { feed, readingsOf } = require('../helpers/devices');
const { fieldsOf } = require('../helpers/types');

describe('core/devices generic', function () {
    it('names the device and the sensor by the + levels, and reads the value at a property path', function () {
        /** @type {import('../../src/core/devices/generic').GenericConfig} */
        const config = { pattern: 'home/+/+/state', path: 'data.t', kind: 'temperature' };
        const state = generic.createState(config);
        assert.deepEqual(generic.subscriptions(config), ['home/+/+/state']);
        const events = feed(generic, state, 'home/kitchen/probe/state', { data: { t: 21.5 } });
        assert.deepEqual(readingsOf(events), ['kitchen/probe temperature °C 21.5']);
        assert.equal(events[0].deviceId, 'kitchen');
    });

    it('takes a bare payload when no path is given, the kind as the quantity for a single capture', function () {
        const state = generic.createState({ pattern: 'lux/+', kind: 'illuminance' });
        assert.deepEqual(readingsOf(feed(generic, state, 'lux/garden', '812.5')), [
            'garden/illuminance illuminance lx 812.5',
        ]);
        const motion = generic.createState({ pattern: 'pir/+', kind: 'motion' });
        assert.deepEqual(readingsOf(feed(generic, motion, 'pir/hall', 'on')), ['hall/motion motion  true']);
    });

    it('refuses what does not parse with a coded problem, and ignores topics outside the pattern', function () {
        const state = generic.createState({
            pattern: 'home/+/+/state',
            path: 'data.t',
            kind: 'temperature',
            unit: '°C',
        });
        const [p] = feed(generic, state, 'home/kitchen/probe/state', { data: {} });
        assert.equal(p.code, 'device.value');
        assert.match(p.detail, /data\.t/);
        assert.equal(feed(generic, state, 'home/kitchen/probe/state', 'x')[0].code, 'device.value');
        assert.deepEqual(feed(generic, state, 'home/kitchen/state', '1'), []);
        const battery = generic.createState({ pattern: 'bat/+', kind: 'battery' });
        assert.equal(feed(generic, battery, 'bat/x', '140')[0].code, 'device.value');
    });

    it("checks its pattern with the hub's own rules", function () {
        assert.equal(fieldsOf(genericConfigProblem({ pattern: 'a/b+', kind: 'generic' })).code, 'pattern-plus');
        assert.equal(genericConfigProblem({ pattern: 'a/+', kind: 'generic' }), undefined);
    });
});
