'use strict';
// The shared editor script's validators, its reading of the limits the runtime exposes, and the serial source form
// it builds for the sensor and fleet dialogs.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const ROOT = path.join(__dirname, '..', '..');

/** resources/editor.js as the browser runs it, with `settings` as RED.settings; messages come back as [key, subs]. */
function editorHelpers(settings) {
    const window = {};
    const RED = { settings, _: (key, subs) => [key, subs] };
    // No dialog is open: no inputs, so a field's value is the node's.
    const $ = () => ({ length: 0 });
    vm.runInNewContext(fs.readFileSync(path.join(ROOT, 'resources', 'editor.js'), 'utf8'), { window, RED, $ });
    return window.SensorHubEditor;
}
const msg = (key, subs) => [key, subs];

describe('editor helpers', () => {
    describe('limits', () => {
        const wait = { min: 0.01, max: 86400 };

        it('reads a type’s limits from RED.settings under its camel-cased name', () => {
            const SH = editorHelpers({ sensorhubLightLimits: { wait }, sensorhubDoorLockLimits: { lockout: wait } });
            assert.deepEqual(SH.limits('sensorhub-light')('wait'), wait);
            assert.deepEqual(SH.limits('sensorhub-door-lock')('lockout'), wait);
        });

        it('without the setting, or with a malformed range, lets any number pass (the runtime still checks)', () => {
            for (const settings of [{}, { sensorhubLightLimits: { wait: { min: 'a', max: 5 } } }]) {
                const range = editorHelpers(settings).limits('sensorhub-light');
                const validate = editorHelpers(settings).number(range('wait'), msg, 'wait');
                assert.equal(validate(1e15, {}), true);
                assert.deepEqual(validate('x', {})[0], 'wait');
            }
            assert.deepEqual(editorHelpers(undefined).limits('sensorhub-light')('wait').max, Infinity);
        });
    });

    describe('number', () => {
        const SH = editorHelpers({});
        const range = { min: 0, max: 10 };

        it('takes the range’s ends, refuses just past them and names the range in its message', () => {
            const validate = SH.number(range, msg, 'n');
            assert.equal(validate(0, {}), true);
            assert.equal(validate('10', {}), true);
            assert.deepEqual(validate(10.001, {}), ['n', range]);
            assert.deepEqual(validate(-0.001, {}), ['n', range]);
            assert.deepEqual(validate('', {}), ['n', range], 'blank is refused unless allowed');
        });

        it('lets blank pass with `blank`, asks for whole numbers with `whole` and more than the minimum with `above`', () => {
            assert.equal(SH.number(range, msg, 'n', { blank: true })('  ', {}), true);
            assert.deepEqual(SH.number(range, msg, 'n', { whole: true })(2.5, {})[0], 'n');
            assert.equal(SH.number(range, msg, 'n', { whole: true })(2, {}), true);
            assert.deepEqual(SH.number(range, msg, 'n', { above: true })(0, {})[0], 'n');
            assert.equal(SH.number(range, msg, 'n', { above: true })(0.5, {}), true);
        });

        it('declares two parameters, so that Node-RED shows its message', () => {
            for (const v of [
                SH.number(range, msg, 'n'),
                SH.flag(msg),
                SH.oneOf(['a'], msg, 'k'),
                SH.patterns(msg, 'p'),
            ])
                assert.equal(v.length, 2);
            assert.equal(SH.rule(() => true).length, 2);
            assert.equal(SH.when(() => true, SH.flag(msg)).length, 2);
        });
    });

    describe('the serial source form', () => {
        const SH = editorHelpers({});
        const range = SH.limits('sensorhub-sensor');

        it('has the ids saved flows and the tests know, once each', () => {
            const html = SH.sourceForm.html('sensorhub-sensor', range);
            for (const prop of ['serialPort', 'command', 'format', 'field', 'pattern', 'min', 'max']) {
                assert.equal(html.split(`id="node-input-${prop}"`).length - 1, 1, prop);
            }
        });

        for (const type of ['sensorhub-sensor', 'sensorhub-fleet']) {
            it(`finds each of its texts in the ${type} catalogs, English and German`, () => {
                const keys = [...SH.sourceForm.html(type, range).matchAll(/data-i18n="(?:\[placeholder\])?([^"]+)"/g)];
                assert.ok(keys.length >= 12, `${keys.length} texts`);
                for (const lang of ['en-US', 'de']) {
                    const file = path.join(ROOT, 'nodes', 'locales', lang, `${type.replace('sensorhub-', '')}.json`);
                    const catalog = JSON.parse(fs.readFileSync(file, 'utf8'));
                    for (const [, key] of keys) {
                        const text = key.split('.').reduce((o, k) => (o === undefined ? o : o[k]), catalog);
                        assert.equal(typeof text, 'string', `${lang} ${key}`);
                    }
                }
            });
        }

        it('checks the fields only while the source is used, as the parser does', () => {
            const defaults = SH.sourceForm.defaults(range, msg, (node) => node.source === 'serial');
            const serial = { source: 'serial', format: 'regex' };
            assert.equal(defaults.pattern.validate.call({ ...serial, source: 'simulated' }, 'no group', {}), true);
            assert.deepEqual(defaults.pattern.validate.call(serial, 'no group', {})[0], 'pattern');
            assert.equal(defaults.pattern.validate.call(serial, 'T=(\\d+)', {}), true);
            assert.deepEqual(defaults.field.validate.call({ source: 'serial', format: 'kv' }, '', {})[0], 'field');
            assert.equal(defaults.format.validate.call(serial, '', {}), true, 'blank is the number format');
            assert.deepEqual(defaults.min.validate.call({ ...serial, min: 5, max: 1 }, 5, {})[0], 'bound');
        });
    });
});
