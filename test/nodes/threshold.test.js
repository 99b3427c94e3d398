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
    thresholdDef,
} = require('../helpers/node-red');
const { until, sleep } = require('../helpers/wait');
const thresholdNodes = shipped('threshold');
const sensorNodes = shipped('sensor');

const catchNode = coreNode('common/25-catch.js');

// Short durations: these tests wait for outcomes with until(), they never measure time.
function threshold(extra = {}, wires = ['out']) {
    return thresholdDef({ ...extra, wires: [wires] });
}
const node = () => helper.getNode('th1');
const reading = (value, id = 't1', topic = 'temperature_update') => ({
    topic,
    payload: value,
    sensor: { id, kind: 'temperature', location: 'hall', unit: '°C' },
    reading: { status: 'ok', ts: Date.now(), latencyMs: 0, seq: 1 },
});
/** The alarms sent, as [topic, state, level, value, sensor id]. */
const alarms = (got) =>
    got.map((m) => [m.topic, m.payload.state, m.payload.level, m.payload.value, m.payload.sensor.id]);
function statuses(n) {
    const seen = [];
    n.on('call:status', (call) => seen.push(call.args[0]));
    return seen;
}

describe(`sensorhub-threshold on Node-RED ${version}`, function () {
    beforeEach(function (done) {
        helper.startServer(done);
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    it('raises and clears per sensor, sending only transitions in the alarm contract', async function () {
        await helper.load(thresholdNodes, [TAB, threshold({ high: 30, low: 5 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        const th = node();
        for (const m of [
            reading(20),
            { ...reading(31), _msgid: 'hot-1' },
            reading(32),
            reading(25, 't2'),
            reading(2, 't2'),
            reading(30),
            reading(7, 't2'),
        ]) {
            th.receive(m);
        }
        await until(() => out.length === 4, 'four transitions');
        await sleep(50);
        assert.deepEqual(alarms(out), [
            ['temperature_alarm', 'raised', 'high', 31, 't1'],
            ['temperature_alarm', 'raised', 'low', 2, 't2'],
            ['temperature_alarm', 'cleared', 'high', 30, 't1'],
            ['temperature_alarm', 'cleared', 'low', 7, 't2'],
        ]);
        assert.deepEqual(out[0].payload, {
            state: 'raised',
            level: 'high',
            value: 31,
            threshold: 30,
            sensor: { id: 't1', kind: 'temperature', location: 'hall', unit: '°C' },
        });
        assert.equal(out[1].payload.threshold, 5);
        assert.equal(out[0]._msgid, 'hot-1', 'an alarm keeps the _msgid of the reading that raised it');
    });

    it('keys by topic when there is no msg.sensor, and names the alarm after the event type', async function () {
        await helper.load(thresholdNodes, [TAB, threshold({ high: 50 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        node().receive({ topic: 'home/attic/humidity_update', payload: 80 });
        node().receive({ topic: 'pressure', payload: 51 });
        await until(() => out.length === 2, 'two alarms');
        assert.deepEqual(alarms(out), [
            ['home/attic/humidity_alarm', 'raised', 'high', 80, 'home/attic/humidity_update'],
            ['pressure_alarm', 'raised', 'high', 51, 'pressure'],
        ]);
    });

    it('applies hysteresis before clearing', async function () {
        await helper.load(thresholdNodes, [TAB, threshold({ high: 30, hysteresis: 2 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        for (const v of [31, 29, 28.5, 28]) node().receive(reading(v));
        await until(() => out.length === 2, 'raised and cleared');
        assert.deepEqual(
            out.map((m) => [m.payload.state, m.payload.value]),
            [
                ['raised', 31],
                ['cleared', 28],
            ],
        );
    });

    it('raises only after the minimum duration beyond the limit; a reading back inside cancels', async function () {
        await helper.load(thresholdNodes, [TAB, threshold({ high: 30, minDuration: 0.3 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        node().receive(reading(31));
        node().receive(reading(29));
        node().receive(reading(35, 't2'));
        await until(() => out.length === 1, 'the alarm of the sensor that stayed beyond');
        await sleep(400);
        assert.deepEqual(alarms(out), [['temperature_alarm', 'raised', 'high', 35, 't2']]);
    });

    it('raises a stale alarm when a sensor falls silent, and clears it at the next reading', async function () {
        await helper.load(thresholdNodes, [TAB, threshold({ high: 30, staleAfter: 0.1 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        node().receive(reading(20));
        await until(() => out.length === 1, 'the stale alarm');
        node().receive(reading(21));
        await until(() => out.length === 2, 'cleared');
        assert.deepEqual(
            out.map((m) => [m.topic, m.payload.state, m.payload.level, m.payload.value, m.payload.threshold]),
            [
                ['temperature_alarm', 'raised', 'stale', 20, 0.1],
                ['temperature_alarm', 'cleared', 'stale', 21, 0.1],
            ],
        );
    });

    it('repeats a raised alarm until it clears', async function () {
        await helper.load(thresholdNodes, [TAB, threshold({ high: 30, repeat: 0.05 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        node().receive(reading(40));
        await until(() => out.length >= 3, 'the alarm and two repeats');
        node().receive(reading(20));
        await until(() => out.some((m) => m.payload.state === 'cleared'), 'cleared');
        const n = out.length;
        await sleep(200);
        assert.equal(out.length, n, 'no repeat after clearing');
        assert.deepEqual(
            out.slice(0, 3).map((m) => [m.payload.state, m.repeat]),
            [
                ['raised', undefined],
                ['raised', 1],
                ['raised', 2],
            ],
        );
    });

    it('changes limits by message, checking every sensor at once', async function () {
        await helper.load(thresholdNodes, [TAB, threshold({ high: 30 }), sink('out')]);
        const out = collect(helper.getNode('out'));
        node().receive(reading(25, 'a'));
        node().receive(reading(28, 'b'));
        node().receive({ command: 'set', payload: { high: 26, low: 0 } });
        await until(() => out.length === 1, 'b raised by the new limit');
        assert.deepEqual(alarms(out), [['temperature_alarm', 'raised', 'high', 28, 'b']]);
        node().receive(reading(-1, 'a'));
        node().receive({ command: 'set', payload: { low: null } });
        await until(() => out.length === 3, 'a raised low, then cleared when the low limit is removed');
        assert.deepEqual(alarms(out).slice(1), [
            ['temperature_alarm', 'raised', 'low', -1, 'a'],
            ['temperature_alarm', 'cleared', 'low', -1, 'a'],
        ]);
    });

    it('refuses bad limits whole, keeping the old ones', async function () {
        await helper.load(
            [thresholdNodes, catchNode],
            [TAB, threshold({ high: 30, low: 5 }), sink('out'), catcher(), sink('caught')],
        );
        const out = collect(helper.getNode('out'));
        const caught = collect(helper.getNode('caught'));
        node().receive({ command: 'set', payload: { high: 3 } });
        node().receive({ command: 'set', payload: { high: 40, low: 'cold' } });
        node().receive({ command: 'set', payload: { high: null, low: null } });
        node().receive({ command: 'set', payload: 'high=40' });
        await until(() => caught.length === 4, 'four refusals');
        assert.match(
            caught[0].error.message,
            /Threshold: limits not changed: the low limit \(5\) must be below the high limit \(3\)/,
        );
        assert.match(caught[1].error.message, /low must be a number, or null to remove it, got the string "cold"/);
        assert.match(caught[2].error.message, /give a high limit, a low limit or both/);
        assert.match(caught[3].error.message, /msg.payload must be an object/);
        node().receive(reading(35));
        await until(() => out.length === 1, 'the alarm against the old limit');
        assert.equal(out[0].payload.threshold, 30, 'high 40 of the half-bad change was not applied');
    });

    it('in a runtime set to German refuses bad input in German', async function () {
        helper.settings({ lang: 'de' });
        try {
            await helper.load([thresholdNodes, catchNode], [TAB, threshold(), sink('out'), catcher(), sink('caught')]);
            const caught = collect(helper.getNode('caught'));
            node().receive(reading('31', 'kitchen'));
            node().receive({ command: 'set', payload: { low: 50 } });
            await until(() => caught.length === 2, 'two refusals');
            assert.equal(
                caught[0].error.message.replace(/^Error: /, ''),
                'Schwellwert: Sensor "kitchen": Ein Messwert muss eine endliche Zahl sein, erhalten: die Zeichenkette "31"',
            );
            assert.match(caught[1].error.message, /Der untere Grenzwert \(50\) muss unter dem oberen \(30\) liegen/);
        } finally {
            helper.settings({ lang: undefined });
        }
    });

    it('refuses a reading that is not a number, naming the sensor, and unknown commands', async function () {
        await helper.load([thresholdNodes, catchNode], [TAB, threshold(), sink('out'), catcher(), sink('caught')]);
        const out = collect(helper.getNode('out'));
        const caught = collect(helper.getNode('caught'));
        const seen = statuses(node());
        node().receive(reading('31', 'kitchen'));
        node().receive(reading(null, 'kitchen'));
        node().receive({ payload: 31 });
        node().receive({ command: 'silence' });
        await until(() => caught.length === 4, 'four refusals');
        assert.match(
            caught[0].error.message,
            /Threshold: sensor "kitchen": a reading must be a finite number, got the string "31"/,
        );
        assert.match(caught[1].error.message, /sensor "kitchen": .* got null/);
        assert.match(caught[2].error.message, /needs msg.sensor.id or msg.topic/);
        assert.match(caught[3].error.message, /unknown command "silence": use "set"/);
        assert.equal(caught[0].payload, '31', 'the refused message reaches the catch node intact');
        node().receive(reading(31, 'kitchen'));
        await until(() => out.length === 1, 'a good reading after the bad ones');
        await until(
            () => seen.some((s) => s.text === '1 raised · 1 sensor'),
            'one sensor: the refused ones were not tracked',
        );
    });

    it('tracks at most the configured number of sensors, refusing more with a clear error', async function () {
        this.timeout(10000);
        await helper.load(
            [thresholdNodes, catchNode],
            [TAB, threshold({ maxSensors: 2 }), sink('out'), catcher(), sink('caught')],
        );
        const caught = collect(helper.getNode('caught'));
        const seen = statuses(node());
        node().receive(reading(1, 'a'));
        node().receive(reading(1, 'b'));
        node().receive(reading(1, 'c'));
        node().receive(reading(2, 'a'));
        await until(() => caught.length === 1, 'the refusal');
        assert.match(caught[0].error.message, /sensor "c" not tracked: already tracking the limit of 2 sensors/);
        await until(() => seen.some((s) => s.text === 'ok · 2 sensors · 1 refused'), 'the refused count');
        node().receive({ command: 'reset' });
        node().receive(reading(1, 'c'));
        await until(() => seen.some((s) => s.text === 'ok · 1 sensor'), 'c tracked after a reset');
        assert.equal(caught.length, 1);
    });

    it('shows raised and tracked counts in the status', async function () {
        this.timeout(10000);
        await helper.load(thresholdNodes, [TAB, threshold({ high: 30 }), sink('out')]);
        const seen = statuses(node());
        node().receive(reading(31, 'a'));
        node().receive(reading(35, 'b'));
        node().receive(reading(20, 'c'));
        await until(() => seen.some((s) => s.text === '2 raised · 3 sensors'), 'two raised');
        assert.deepEqual(seen.filter((s) => s.text === '2 raised · 3 sensors').map((s) => [s.fill, s.shape])[0], [
            'red',
            'dot',
        ]);
        node().receive(reading(20, 'a'));
        node().receive(reading(20, 'b'));
        await until(() => seen.some((s) => s.text === 'ok · 3 sensors' && s.fill === 'green'), 'all clear', 5000);
    });

    it('takes readings straight from a sensor node', async function () {
        await helper.load(
            [thresholdNodes, sensorNodes],
            [
                TAB,
                {
                    id: 'n1',
                    type: 'sensorhub-sensor',
                    z: 'f1',
                    sensorId: 'hall',
                    kind: 'temperature',
                    unit: '°C',
                    location: 'hall',
                    source: 'msg',
                    wires: [['th1']],
                },
                threshold({ high: 25 }),
                sink('out'),
            ],
        );
        const out = collect(helper.getNode('out'));
        helper.getNode('n1').receive({ payload: 26.5 });
        await until(() => out.length === 1, 'the alarm');
        assert.deepEqual(out[0].payload, {
            state: 'raised',
            level: 'high',
            value: 26.5,
            threshold: 25,
            sensor: { id: 'hall', kind: 'temperature', location: 'hall', unit: '°C' },
        });
        assert.equal(out[0].topic, 'temperature_alarm');
    });

    it('refuses a saved configuration that is wrong, naming the field', async function () {
        await helper.load(
            [thresholdNodes, catchNode],
            [TAB, threshold({ high: '', low: '' }), catcher(), sink('caught')],
        );
        const caught = collect(helper.getNode('caught'));
        assert.ok(errorsLogged().some((m) => /Threshold not started: give a high limit, a low limit or both/.test(m)));
        node().receive(reading(1));
        await until(() => caught.length === 1, 'the refusal');
        assert.match(caught[0].error.message, /Threshold not started/);
    });

    it('leaves no timer running after 20 redeploys and a close', async function () {
        const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
        const flow = [TAB, threshold({ high: 30, minDuration: 30, staleAfter: 30, repeat: 30 }), sink('out')];
        await helper.load(thresholdNodes, flow);
        await sleep(30);
        await helper.unload();
        await sleep(20);
        const before = timers();
        await helper.load(thresholdNodes, flow);
        for (let i = 0; i < 20; i++) {
            node().receive(reading(40, `s${i}`));
            await helper.setFlows(flow, 'full');
            await sleep(10);
        }
        node().receive(reading(40));
        await helper.unload();
        await until(() => timers() <= before, `no more timers than the ${before} before`);
    });
});
