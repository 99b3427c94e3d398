/* global window, RED, $ */
// Validators take (v, _opt): Node-RED shows the returned message only of a two-argument validator.
// Editor helpers shared by the node set's edit dialogs. Each nodes/*.html loads this file with
// <script src="resources/@sensorhub/node-red-sensorhub/editor.js">: Node-RED fetches a node file's
// scripts with a src first and adds the file's own scripts only once they have run, so the helpers
// exist before any node definition uses them, whatever order the node files load in. Loading it again
// for the next node file only defines the same functions again.
(function () {
    'use strict';

    /** Blank as the runtime parsers read it: missing, null, or only spaces. */
    function isBlank(v) {
        return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
    }
    /** A finite number from a number or numeric text, as the parsers read it; NaN otherwise. */
    function num(v) {
        var n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
        return isFinite(n) ? n : NaN;
    }
    function inRange(v, min, max, whole) {
        var n = num(v);
        return n >= min && n <= max && (!whole || Math.floor(n) === n);
    }
    /** Event patterns separated by commas or new lines, as src/core/shared/topic.ts parsePatternList. */
    function patternList(text) {
        return String(text || '')
            .split(/[,\n]/)
            .map(function (s) {
                return s.trim();
            })
            .filter(function (s) {
                return s.length > 0;
            });
    }
    // Mirrors src/core/shared/topic.ts: the editor cannot load runtime code.
    function typeError(t) {
        if (typeof t !== 'string' || t.length === 0) return 'empty';
        if (t.length > 1024) return 'too-long';
        if (t.indexOf('+') !== -1 || t.indexOf('#') !== -1) return 'wildcard';
        return null;
    }
    function patternError(p) {
        if (p.length === 0) return 'empty';
        if (p.length > 1024) return 'too-long';
        var levels = p.split('/');
        for (var i = 0; i < levels.length; i++) {
            var l = levels[i];
            if (l.indexOf('#') !== -1 && (l !== '#' || i !== levels.length - 1)) return 'hash';
            if (l.indexOf('+') !== -1 && l !== '+') return 'plus';
        }
        return null;
    }
    /** Mirrors compilePattern in src/core/shared/parse.ts: a valid regular expression with a capture group. */
    function regexOk(p) {
        try {
            new RegExp(p);
            return (new RegExp('(?:' + p + ')|').exec('') || []).length - 1 >= 1;
        } catch (e) {
            return false;
        }
    }
    /**
     * Whether `node`'s dialog is open (perhaps under a config node's). Node-RED also validates nodes whose dialog is
     * closed, such as every user of a config node just edited: their values are on them, not in the open inputs.
     */
    function editing(node) {
        if (!RED.editor || typeof RED.editor.getEditStack !== 'function') return true;
        return RED.editor.getEditStack().some(function (n) {
            return n === node || (!!node && n.id !== undefined && n.id === node.id);
        });
    }
    /** A field's value: while the node's dialog is open it is in its input, not yet on the node. */
    function current(node, prop) {
        var input = $('#node-input-' + prop);
        if (!input.length || !editing(node)) return node[prop];
        return input.attr('type') === 'checkbox' ? input.is(':checked') : input.val();
    }
    function checked(node, prop) {
        var v = current(node, prop);
        return v === true || v === 'true';
    }
    /**
     * The message function of one node type: msg('key', subs) is `<type>.errors.key` in the catalog of
     * the node set `set` (named in package.json; the type itself when omitted).
     */
    function messages(type, set) {
        var ns = '@sensorhub/node-red-sensorhub/' + (set || type) + ':' + type + '.';
        function msg(key, subs) {
            return RED._(ns + 'errors.' + key, subs);
        }
        msg.text = function (key, subs) {
            return RED._(ns + key, subs);
        };
        return msg;
    }
    /** A validator of at most `n` characters. Node-RED shows the message only of a two-argument validator. */
    function maxLength(n, msg, key) {
        return function (v, _opt) {
            return String(v === undefined || v === null ? '' : v).length <= n ? true : msg(key || 'text');
        };
    }
    /** `check(v)` (true or a message) as a validator: with two parameters, so that Node-RED shows the message. */
    function rule(check) {
        return function (v, _opt) {
            return check.call(this, v);
        };
    }
    /** `validator` while `active(node)`; any value passes otherwise, as the parser then ignores the field. */
    function when(active, validator) {
        return function (v, opt) {
            return !active(this) || validator.call(this, v, opt);
        };
    }
    /** A checkbox as saved: true, false, or none in a flow saved before the field existed. */
    function flag(msg, key) {
        return function (v, _opt) {
            return v === true || v === false || v === undefined ? true : msg(key || 'flag');
        };
    }
    /**
     * The optional hub a node is announced to Home Assistant on: none, or an mqtt hub with "Announce to Home
     * Assistant" on. Replaces the editor's own check of the config node, so it does that too.
     */
    function haHub(msg) {
        return function (v, _opt) {
            if (isBlank(v) || v === '_ADD_') return true;
            var hub = RED.nodes.node(v);
            return hub && hub.backend === 'mqtt' && hub.haAnnounce === true ? true : msg('ha-hub');
        };
    }
    /** One of `values` (a number also as its text: a select saves text), or blank when `blankOk` (the default). */
    function oneOf(values, msg, key, blankOk) {
        return function (v, _opt) {
            var listed = values.indexOf(v) !== -1 || (typeof v === 'number' && values.indexOf(String(v)) !== -1);
            return (blankOk && isBlank(v)) || listed ? true : msg(key);
        };
    }
    /**
     * A number in `range` ({min, max}, from limits()). Options: `blank` lets blank pass (the parser's default),
     * `whole` asks for a whole number, `above` for one above the minimum rather than at least it; the message gets
     * `subs`, by default the range (its __min__ and __max__).
     */
    function number(range, msg, key, options) {
        var o = options || {};
        return function (v, _opt) {
            var subs = o.subs || range;
            if (isBlank(v)) return o.blank ? true : msg(key, subs);
            var n = num(v);
            var ok = inRange(n, range.min, range.max, o.whole) && (!o.above || n > range.min);
            return ok ? true : msg(key, subs);
        };
    }
    /** Event patterns separated by commas or new lines, each valid; blank passes (the parser's default). */
    function patterns(msg, key) {
        return function (v, _opt) {
            if (isBlank(v)) return true;
            var list = patternList(v);
            return list.length > 0 &&
                list.every(function (p) {
                    return patternError(p) === null;
                })
                ? true
                : msg(key);
        };
    }
    /** An event type as typed: blank (the default) or one without wildcards, at most 1024 characters. */
    function eventType(msg, key) {
        return function (v, _opt) {
            v = String(v || '');
            return /[+#]/.test(v) || v.length > 1024 ? msg(key) : true;
        };
    }

    var ANY = { min: -Infinity, max: Infinity };
    function isRange(r) {
        return !!r && typeof r.min === 'number' && typeof r.max === 'number' && r.min <= r.max;
    }
    /**
     * The ranges the runtime gives a node type's dialog (src/editor-settings.ts), as `range(name)`: Node-RED hands
     * them over as RED.settings.<type in camel case>Limits. Without them (a runtime that did not send them) any
     * number passes here, and the runtime's own check still refuses one out of range when the flow is deployed.
     */
    function limits(type) {
        var name =
            type.replace(/[^a-zA-Z0-9]+(.)/g, function (_m, c) {
                return c.toUpperCase();
            }) + 'Limits';
        var given = (RED.settings && RED.settings[name]) || {};
        return function range(key) {
            return isRange(given[key]) ? given[key] : ANY;
        };
    }
    /**
     * Gives number inputs the min and max of their range: `fields` maps an input's property to a range name. A config
     * node's inputs have the `prefix` node-config-input.
     */
    function bounds(range, fields, prefix) {
        Object.keys(fields).forEach(function (prop) {
            var r = range(fields[prop]);
            var input = $('#' + (prefix || 'node-input') + '-' + prop);
            if (isFinite(r.min)) input.attr('min', r.min);
            if (isFinite(r.max)) input.attr('max', r.max);
        });
    }

    /**
     * The saved type of a typed input: its type field's input while the dialog is open, else the node's.
     * A flow saved before the field was typed has none: `fallback`, what the field always was.
     */
    function typeOf(node, typeField, fallback) {
        var t = current(node, typeField);
        return isBlank(t) ? fallback : t;
    }
    /**
     * A validator for a typed input: `check(v)` for a value typed in (num, str), a name for env, flow and
     * global, and a property expression for msg. Returns true or the message to show.
     */
    function typedValidator(typeField, fallback, msg, check) {
        return function (v, _opt) {
            var type = typeOf(this, typeField, fallback);
            if (type === 'num' || type === 'str') return check.call(this, v);
            if (isBlank(v)) return msg('variable');
            if (type === 'msg') return RED.utils.validatePropertyExpression(String(v)) ? true : msg('property');
            return type === 'env' || type === 'flow' || type === 'global' ? true : msg('variable');
        };
    }
    /** A msg-only typed input, such as the property a reading's value comes from; blank means payload. */
    function propertyValidator(msg) {
        return function (v, _opt) {
            return isBlank(v) || RED.utils.validatePropertyExpression(String(v)) ? true : msg('property');
        };
    }
    /** Makes `#node-input-<prop>` a typed input saving its type in `#node-input-<prop>Type`. */
    function typedInput(node, prop, types, fallback) {
        var typeInput = $('#node-input-' + prop + 'Type');
        if (isBlank(typeInput.val())) typeInput.val(isBlank(node[prop + 'Type']) ? fallback : node[prop + 'Type']);
        $('#node-input-' + prop).typedInput({ default: fallback, types: types, typeField: typeInput });
    }
    /** A typed value for a label: `flow.limit`, `env.PORT`, or the value itself. */
    function shown(value, type) {
        if (isBlank(value)) return '';
        return type === 'env' || type === 'flow' || type === 'global' || type === 'msg'
            ? type + '.' + value
            : String(value);
    }

    var SENSOR_ICONS = {
        temperature: 'sensor.svg',
        humidity: 'sensor-humidity.svg',
        motion: 'sensor-motion.svg',
        illuminance: 'sensor-illuminance.svg',
        contact: 'sensor-contact.svg',
        battery: 'sensor-battery.svg',
        generic: 'sensor-generic.svg',
    };
    /** A sensor node's icon by its kind; the palette (no kind yet) and an unknown kind get the thermometer. */
    function sensorIcon(kind) {
        return Object.prototype.hasOwnProperty.call(SENSOR_ICONS, kind) ? SENSOR_ICONS[kind] : 'sensor.svg';
    }

    // The serial source's settings, one form for the sensor and the fleet dialogs: the same fields, ids and checks,
    // as one parser reads them for both (parseSerialSource in src/core/sensor/config.ts).
    var FORMATS = ['number', 'kv', 'json', 'regex'];
    var FORM_SLOT = '<div class="sensorhub-source-form"></div>';
    /** Text as the serial settings' parser reads it: strings only, trimmed. */
    function str(v) {
        return typeof v === 'string' ? v.trim() : '';
    }
    /** A serial port config node is chosen: the picker's "Add new…" and "none" entries have the value _ADD_. */
    function portChosen(v) {
        return str(v) !== '' && v !== '_ADD_';
    }
    /** The chosen port sends lines by itself (push mode): no request command applies. */
    function portPushes(id) {
        var port = portChosen(id) ? RED.nodes.node(id) : null;
        return !!port && port.mode === 'push';
    }
    function formRow(type, cls, icon, label, inputs) {
        return (
            '<div class="form-row sensorhub-source-' +
            cls +
            '"><label for="node-input-' +
            label[0] +
            '"><i class="fa fa-' +
            icon +
            '"></i> <span data-i18n="' +
            type +
            '.label.' +
            label[1] +
            '"></span></label>' +
            inputs +
            '</div>'
        );
    }
    function textField(type, prop, placeholder, extra) {
        return (
            '<input type="text" id="node-input-' +
            prop +
            '" data-i18n="[placeholder]' +
            type +
            '.placeholder.' +
            placeholder +
            '"' +
            (extra || '') +
            ' />'
        );
    }
    function boundField(type, prop) {
        return (
            '<input type="number" id="node-input-' +
            prop +
            '" step="any" style="width: 100px" data-i18n="[placeholder]' +
            type +
            '.placeholder.' +
            prop +
            '" />'
        );
    }
    /** The form's HTML, its texts from the catalog of `type`. */
    function sourceFormHtml(type, range) {
        var options = FORMATS.map(function (f) {
            return '<option value="' + f + '" data-i18n="' + type + '.format.' + f + '"></option>';
        }).join('');
        var commandMax = isFinite(range('command').max) ? ' maxlength="' + range('command').max + '"' : '';
        return [
            formRow(
                type,
                'port',
                'random',
                ['serialPort', 'serial-port'],
                '<input type="text" id="node-input-serialPort" />',
            ),
            '<div class="form-tips sensorhub-source-push-tip" style="margin-bottom: 12px" data-i18n="' +
                type +
                '.tip.push"></div>',
            formRow(
                type,
                'request',
                'terminal',
                ['command', 'command'],
                textField(type, 'command', 'command', commandMax),
            ),
            formRow(
                type,
                'serial',
                'code',
                ['format', 'format'],
                '<select id="node-input-format" style="width: 70%">' + options + '</select>',
            ),
            formRow(type, 'field', 'key', ['field', 'field'], textField(type, 'field', 'field')),
            formRow(type, 'pattern', 'search', ['pattern', 'pattern'], textField(type, 'pattern', 'pattern')),
            formRow(
                type,
                'range',
                'arrows-h',
                ['min', 'range'],
                boundField(type, 'min') +
                    ' <span data-i18n="' +
                    type +
                    '.label.range-to"></span> ' +
                    boundField(type, 'max'),
            ),
        ].join('');
    }
    /**
     * Puts the form into the dialog template of `type`, where it has a `<div class="sensorhub-source-form">`.
     * Node-RED runs a node file's scripts once its templates are in the page, and reads a template when a dialog
     * opens, so this runs with the node's definition.
     */
    function sourceFormInto(type, range) {
        var template = $('script[data-template-name="' + type + '"]');
        var html = template.html();
        if (html && html.indexOf(FORM_SLOT) !== -1) template.text(html.replace(FORM_SLOT, sourceFormHtml(type, range)));
    }
    function boundsOk(_v) {
        var lo = current(this, 'min');
        var hi = current(this, 'max');
        if ((!isBlank(lo) && isNaN(num(lo))) || (!isBlank(hi) && isNaN(num(hi)))) return 'bound';
        return isBlank(lo) || isBlank(hi) || num(hi) >= num(lo) ? true : 'bound';
    }
    /** The form's `defaults` entries (but the port's), checking while `active(node)` (the parser's `used`). */
    function sourceFormDefaults(range, msg, active) {
        function check(value, fn) {
            var validate = rule(function (v) {
                var problem = fn.call(this, v);
                // Only the command's message has a parameter: its longest length.
                return problem === true ? true : msg(problem, range('command'));
            });
            return { value: value, validate: when(active, validate) };
        }
        return {
            command: check('', function (v) {
                return typeof v !== 'string' || v.length <= range('command').max ? true : 'command-length';
            }),
            format: check('number', function (v) {
                return isBlank(v) || FORMATS.indexOf(v) !== -1 ? true : 'format';
            }),
            field: check('', function (v) {
                var format = current(this, 'format');
                return (format !== 'kv' && format !== 'json') || str(v) !== '' ? true : 'field';
            }),
            pattern: check('', function (v) {
                var regex = current(this, 'format') === 'regex';
                return !regex || regexOk(typeof v === 'string' ? v : '') ? true : 'pattern';
            }),
            min: check('', boundsOk),
            max: check('', boundsOk),
        };
    }
    /**
     * Shows the form's rows for what the dialog holds: `serial` (a serial source is used), `port` (the port picker
     * is shown), `request` (the command applies), `range` (the valid range applies).
     */
    function sourceFormShow(shown) {
        var pushed = portPushes($('#node-input-serialPort').val());
        var format = $('#node-input-format').val();
        var serial = shown.serial;
        $('.sensorhub-source-port').toggle(shown.port);
        $('.sensorhub-source-push-tip').toggle(serial && pushed);
        $('.sensorhub-source-serial').toggle(serial);
        $('.sensorhub-source-request').toggle(serial && shown.request);
        $('.sensorhub-source-field').toggle(serial && (format === 'kv' || format === 'json'));
        $('.sensorhub-source-pattern').toggle(serial && format === 'regex');
        $('.sensorhub-source-range').toggle(serial && shown.range);
    }
    /** A simulated read's latency in ms: blank takes the parser's default, the maximum not below the minimum. */
    function latencyValidator(range, msg) {
        return rule(function () {
            var lo = isBlank(current(this, 'latencyMin')) ? 100 : num(current(this, 'latencyMin'));
            var hi = isBlank(current(this, 'latencyMax')) ? 500 : num(current(this, 'latencyMax'));
            var r = range('latency');
            return inRange(lo, r.min, r.max) && inRange(hi, r.min, r.max) && hi >= lo ? true : msg('latency', r);
        });
    }
    /** A simulation's random seed: blank (a new one each start) or a whole number of 32 bits. */
    function seedValidator(msg) {
        return number({ min: 0, max: 4294967295 }, msg, 'seed', { blank: true, whole: true });
    }

    window.SensorHubEditor = {
        isBlank: isBlank,
        num: num,
        inRange: inRange,
        patternList: patternList,
        typeError: typeError,
        patternError: patternError,
        regexOk: regexOk,
        editing: editing,
        current: current,
        checked: checked,
        messages: messages,
        maxLength: maxLength,
        rule: rule,
        when: when,
        flag: flag,
        haHub: haHub,
        oneOf: oneOf,
        number: number,
        patterns: patterns,
        eventType: eventType,
        limits: limits,
        bounds: bounds,
        typeOf: typeOf,
        typedValidator: typedValidator,
        propertyValidator: propertyValidator,
        typedInput: typedInput,
        shown: shown,
        sensorIcon: sensorIcon,
        str: str,
        portChosen: portChosen,
        portPushes: portPushes,
        sourceForm: {
            formats: FORMATS,
            html: sourceFormHtml,
            into: sourceFormInto,
            defaults: sourceFormDefaults,
            show: sourceFormShow,
        },
        latencyValidator: latencyValidator,
        seedValidator: seedValidator,
    };
})();
