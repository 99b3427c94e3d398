'use strict';
const assert = require('node:assert/strict');
const { Throttle } = require('../../src/core/shared/throttle');
const { until } = require('../helpers/wait');

describe('core/throttle', function () {
    it('draws the first change at once, then at most once per interval, the last change included', async function () {
        let now = 1000;
        let draws = 0;
        const t = new Throttle(
            () => draws++,
            30,
            () => now,
        );
        t.bump();
        assert.equal(draws, 1, 'a quiet node shows its first change without delay');
        now += 10;
        t.bump();
        t.bump();
        t.bump();
        assert.equal(draws, 1, 'within the interval nothing more is drawn now');
        await until(() => draws === 2, 'the one deferred draw of the bumps inside the interval');
        t.stop();
    });

    it('draws at once again when the last draw is an interval old', function () {
        let now = 0;
        let draws = 0;
        const t = new Throttle(
            () => draws++,
            1000,
            () => now,
        );
        t.bump();
        now = 1000;
        t.bump();
        assert.equal(draws, 2);
    });

    it('stop() cancels a deferred draw', async function () {
        let now = 0;
        let draws = 0;
        const t = new Throttle(
            () => draws++,
            20,
            () => now,
        );
        t.bump();
        t.bump();
        t.stop();
        await new Promise((r) => setTimeout(r, 60));
        assert.equal(draws, 1, 'nothing is drawn after stop');
    });
});
