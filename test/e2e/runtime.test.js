'use strict';
// The package as a user installs it (npm pack tarball) in a real Node-RED process, checked through the Admin API.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { root, DEFAULT_NODE_RED, startNodeRed, installedPackageDir, registeredTypes } = require('./launcher');

const MODULE = require('../../package.json').name;
const EXAMPLE = 'hub-two-flows.json';

function exampleNames() {
    return fs
        .readdirSync(path.join(root, 'examples'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.replace(/\.json$/, ''));
}

function readExample(name) {
    return JSON.parse(fs.readFileSync(path.join(root, 'examples', name), 'utf8'));
}

// One log entry: from `start` up to the next line that begins with a Node-RED log timestamp.
function logEntry(text, start) {
    const next = /\n\d{1,2} \w{3} \d{2}:\d{2}:\d{2} - \[/g;
    next.lastIndex = start;
    const m = next.exec(text);
    return text.slice(start, m ? m.index : text.length);
}

function errorLines(text) {
    return text.split('\n').filter((line) => /\[(error|fatal)\]/.test(line));
}

describe(`e2e: ${DEFAULT_NODE_RED} runtime with the packed module`, function () {
    // Packing, installing and starting take seconds; a shorter mocha default would abandon a starting Node-RED.
    this.timeout(120000);
    let red;

    before(async function () {
        red = await startNodeRed();
    });

    after(async function () {
        if (red) await red.stop();
    });

    it('loads every node type the package declares, enabled and without error', async function () {
        const expected = registeredTypes(installedPackageDir(red.userDir));
        assert.ok(expected.length > 0, 'the installed package registers no node types');

        const res = await red.request('GET', '/nodes');
        assert.equal(res.status, 200);
        const sets = res.body.filter((set) => set.module === MODULE);
        assert.ok(sets.length > 0, `${MODULE} is not in GET /nodes:\n${red.log()}`);
        for (const set of sets) {
            assert.equal(set.err, undefined, `${set.id} failed to load: ${set.err}`);
            assert.equal(set.enabled, true, `${set.id} is disabled`);
        }
        const loaded = sets.flatMap((set) => set.types);
        assert.deepEqual([...loaded].sort(), [...expected].sort());
    });

    it('lists every example flow in the library', async function () {
        const res = await red.request('GET', `/library/examples/flows/${MODULE}`);
        assert.equal(res.status, 200, `examples of ${MODULE} not listed: ${JSON.stringify(res.body)}`);
        const listed = res.body.filter((entry) => typeof entry === 'object').map((entry) => entry.fn);
        assert.deepEqual([...listed].sort(), exampleNames().sort());

        for (const name of listed) {
            const flow = await red.request('GET', `/library/examples/flows/${MODULE}/${name}`);
            assert.equal(flow.status, 200);
            assert.deepEqual(flow.body, readExample(`${name}.json`), `served example ${name} differs from the file`);
        }
    });

    // The examples that need no device or broker. A simulated sensor fails a read now and then on purpose (its
    // failure probability), which is reported as an error for Catch nodes: that one message is expected.
    const RUNNABLE = [
        { file: EXAMPLE, expect: /event:/, expectedErrors: [] },
        {
            file: 'simulated-sensors.json',
            expect: /sensor: \{[^}]*kind: '(temperature|motion)'[\s\S]*reading: \{[^}]*status: 'ok'/,
            expectedErrors: [/\[sensorhub-sensor:[^\]]*\] .*simulated read failure/],
        },
        {
            // A fleet logs no error per failed read (they go to its failure output), only a warning per quarantine.
            file: 'fleet-collector.json',
            expect: /sensor: \{[^}]*id: 'sensor-\d+'[^}]*kind: 'temperature'[\s\S]*reading: \{[^}]*status: 'ok'/,
            expectedErrors: [],
        },
        {
            file: 'temperature-actions.json',
            expect: /sensor: \{[^}]*id: 'temp-(living|kitchen|bedroom)'[^}]*kind: 'temperature'[\s\S]*reading: \{[^}]*status: 'ok'/,
            expectedErrors: [],
        },
        {
            // Readings from both halves, the sensor nodes' and the fleet's, share the one subscriber on `#`.
            file: 'concurrent-sensors.json',
            expect: /sensor: \{[^}]*kind: '(temperature|humidity|motion)'[\s\S]*reading: \{[^}]*status: 'ok'/,
            expectedErrors: [],
        },
    ];
    for (const { file, expect, expectedErrors } of RUNNABLE) {
        it(`runs ${file}: events reach a debug node through the hub, and nothing unexpected logs an error`, async function () {
            const flows = readExample(file);
            const byId = new Map(flows.map((n) => [n.id, n]));
            // Debug nodes fed by a subscriber are switched to console output so delivery shows in the runtime log.
            const watched = flows
                .filter((n) => n.type === 'sensorhub-subscribe')
                .flatMap((n) => n.wires.flat())
                .map((id) => byId.get(id))
                .filter((n) => n && n.type === 'debug');
            assert.ok(watched.length > 0, `${file} has no debug node wired to a sensorhub-subscribe`);
            for (const n of watched) {
                n.console = true;
                n.active = true;
            }

            // Each example on its own, as in a fresh Node-RED: the examples share one hub id, and a hub keeps its
            // retained events across a redeploy with that id (an earlier example's would arrive first).
            await red.deploy([]);
            const from = red.mark();
            await red.deploy(flows);

            const labels = watched.map((n) => `[debug:${n.name || n.id}]`);
            const deadline = Date.now() + 20000;
            let delivered = null;
            while (!delivered && Date.now() < deadline) {
                const since = red.log(from);
                const at = labels.map((label) => since.indexOf(label)).filter((i) => i !== -1);
                if (at.length > 0) delivered = logEntry(since, Math.min(...at));
                else await new Promise((resolve) => setTimeout(resolve, 100));
            }
            assert.ok(delivered, `no event reached ${labels.join(' or ')}:\n${red.log(from)}`);
            assert.match(delivered, /event:/, 'the delivered msg has no msg.event');
            assert.match(delivered, expect);

            const unexpected = errorLines(red.log(from)).filter((line) => !expectedErrors.some((re) => re.test(line)));
            assert.deepEqual(unexpected, [], red.log(from));
        });
    }
});

describe(`e2e: ${DEFAULT_NODE_RED} runtime in German (settings.lang)`, function () {
    this.timeout(120000);
    let red;

    before(async function () {
        red = await startNodeRed({ settings: { lang: 'de' } });
    });

    after(async function () {
        if (red) await red.stop();
    });

    it('logs a wrong saved configuration in German, shared texts read from the hub catalog', async function () {
        const from = red.mark();
        await red.deploy([
            { id: 'de-tab', type: 'tab', label: 'de' },
            { id: 'de-sensor', type: 'sensorhub-sensor', z: 'de-tab', kind: 'temperature', interval: -1, wires: [[]] },
        ]);
        const expected = 'Intervall (s) muss eine Zahl von 0 bis 86400 sein';
        const deadline = Date.now() + 20000;
        while (!red.log(from).includes(expected) && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.ok(red.log(from).includes(expected), `no German configuration error in the log:\n${red.log(from)}`);
        assert.doesNotMatch(red.log(from), /must be a number/, 'an English configuration error');
    });
});
