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
    /** A field's value: while the dialog is open it is in its input, not yet on the node. */
    function current(node, prop) {
        var input = $('#node-input-' + prop);
        if (!input.length) return node[prop];
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
    function maxLength(n, msg) {
        return function (v, _opt) {
            return String(v === undefined || v === null ? '' : v).length <= n ? true : msg('text');
        };
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

    window.SensorHubEditor = {
        isBlank: isBlank,
        num: num,
        inRange: inRange,
        patternList: patternList,
        typeError: typeError,
        patternError: patternError,
        regexOk: regexOk,
        current: current,
        checked: checked,
        messages: messages,
        maxLength: maxLength,
        typeOf: typeOf,
        typedValidator: typedValidator,
        propertyValidator: propertyValidator,
        typedInput: typedInput,
        shown: shown,
        sensorIcon: sensorIcon,
    };
})();
