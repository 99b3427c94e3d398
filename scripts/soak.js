#!/usr/bin/env node
'use strict';
// `npm run soak` (issue 9's long run; not part of `npm test`): the smart-home example plus a fleet of 1,000 simulated
// sensors on its hub, in a real Node-RED with the packed module, for SENSORHUB_SOAK_MINUTES (10 by default). Every
// minute it prints one row: RSS, heap after gc, event-loop delay p99 over that minute, and the hub's readings,
// deliveries and drops in that minute. At the end it prints the table in markdown, and a run of 10 minutes or more
// writes it to bench/results/soak.md. Flat RSS and heap columns are the point.
//
// Figures come from inside the Node-RED process: the hub's counters from a sensorhub-monitor behind an `http in`
// endpoint added to the flow, memory and event-loop delay from the test-only probe node (test/fixtures/probe-node).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root, DEFAULT_NODE_RED, startNodeRed } = require('../test/e2e/launcher');

const PROBE_DIR = path.join(root, 'test', 'fixtures', 'probe-node');
const RESULTS = path.join(root, 'bench', 'results', 'soak.md');
const FLEET_SIZE = 1000;
const METRICS_URL = '/sensorhub/soak/metrics';
const MIB = 1024 * 1024;
// Shorter runs are for trying the script; only a run this long is worth keeping as the project's figure.
const RECORD_MINUTES = 10;

function minutesFromEnv() {
    const raw = process.env.SENSORHUB_SOAK_MINUTES;
    if (raw === undefined || raw === '') return 10;
    const minutes = Number(raw);
    if (!Number.isInteger(minutes) || minutes < 1) {
        throw new Error(`SENSORHUB_SOAK_MINUTES must be a whole number of minutes, at least 1: ${raw}`);
    }
    return minutes;
}

/** The smart-home example, and on its hub a fleet of generated sensors and a monitor the script can ask. */
function soakFlows() {
    const flows = JSON.parse(fs.readFileSync(path.join(root, 'examples', 'smart-home.json'), 'utf8'));
    const hub = flows.find((n) => n.type === 'sensorhub-hub');
    const publish = flows.find((n) => n.type === 'sensorhub-publish' && n.hub === hub.id);
    // Alarms of a thousand sensors would fill the log through the debug nodes' console output; the sidebar only.
    for (const n of flows) if (n.type === 'debug') n.console = false;
    const at = (x, y) => ({ x, y });
    flows.push(
        {
            id: 'soak-fleet',
            type: 'sensorhub-fleet',
            name: `${FLEET_SIZE} simulated sensors`,
            sensorSource: 'generated',
            count: FLEET_SIZE,
            idPattern: 'soak-{n}',
            locationPattern: 'room {n}',
            mixTemperature: 3,
            mixHumidity: 1,
            mixMotion: 0,
            latencyMin: 10,
            latencyMax: 200,
            failureRate: 0.01,
            seed: '9',
            interval: 1,
            autoStart: true,
            timeout: 1000,
            concurrency: 0,
            output: 'stream',
            breakerFailures: 3,
            breakerBase: 10,
            breakerMax: 300,
            ...at(170, 760),
            wires: [[publish.id], [], []],
        },
        {
            id: 'soak-metrics-in',
            type: 'http in',
            url: METRICS_URL,
            method: 'get',
            upload: false,
            swaggerDoc: '',
            ...at(170, 820),
            wires: [['soak-monitor']],
        },
        {
            id: 'soak-monitor',
            type: 'sensorhub-monitor',
            hub: hub.id,
            interval: 0,
            format: 'object',
            maxTypes: 100,
            ...at(400, 820),
            wires: [['soak-metrics-out']],
        },
        { id: 'soak-metrics-out', type: 'http response', statusCode: '', headers: {}, ...at(600, 820), wires: [] },
    );
    return flows;
}

const mib = (bytes) => (bytes / MIB).toFixed(1);

const HEADER = ['minute', 'RSS MiB', 'heap MiB (after gc)', 'event-loop p99 ms', 'readings', 'delivered', 'dropped'];

function markdownTable(rows) {
    const line = (cells) => `| ${cells.join(' | ')} |`;
    return [line(HEADER), line(HEADER.map(() => '---')), ...rows.map(line)].join('\n');
}

async function main() {
    const minutes = minutesFromEnv();
    const started = new Date();
    const load = os.loadavg().map((v) => v.toFixed(2));
    const nodeRedVersion = require(path.join(root, 'node_modules', DEFAULT_NODE_RED, 'package.json')).version;
    console.log(`soak: ${DEFAULT_NODE_RED} ${nodeRedVersion}, smart home + ${FLEET_SIZE} sensors, ${minutes} min`);

    const red = await startNodeRed({ settings: { nodesDir: [PROBE_DIR] } });
    const rows = [];
    let stopping = false;
    const stop = async () => {
        if (stopping) return;
        stopping = true;
        await red.stop();
    };
    process.once('SIGINT', () => {
        console.log('\nSIGINT: stopping Node-RED');
        void stop().then(() => {
            if (rows.length > 0) console.log(`\n${markdownTable(rows)}\n`);
            process.exit(130);
        });
    });

    const get = async (url) => {
        const res = await red.request('GET', url);
        if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}\n${red.log()}`);
        return res.body;
    };

    try {
        await red.deploy(soakFlows());
        // Counters start here: the minute figures are differences, so a slow start-up does not count as a minute.
        await get('/sensorhub-probe?reset=1');
        let last = (await get(METRICS_URL)).hub;
        console.log(HEADER.join('\t'));
        for (let minute = 1; minute <= minutes && !stopping; minute++) {
            await new Promise((resolve) => setTimeout(resolve, 60000));
            if (stopping) break;
            const probe = await get('/sensorhub-probe?gc=1&reset=1');
            const hub = (await get(METRICS_URL)).hub;
            const row = [
                minute,
                mib(probe.memory.rss),
                mib(probe.memory.heapUsed),
                probe.eventLoopDelayMs.p99.toFixed(1),
                hub.published - last.published,
                hub.delivered - last.delivered,
                hub.dropped - last.dropped,
            ];
            last = hub;
            rows.push(row);
            console.log(row.join('\t'));
        }
    } finally {
        await stop();
    }

    const table = markdownTable(rows);
    const text = [
        '# soak',
        '',
        `- date: ${started.toISOString()}`,
        `- node: ${process.version}`,
        `- Node-RED: ${nodeRedVersion}`,
        `- CPU: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`,
        `- load average (1 / 5 / 15 min) at start: ${load.join(' / ')}`,
        '- command: `node scripts/soak.js` (`npm run soak`)',
        '',
        `### The smart-home example with a fleet of ${FLEET_SIZE} simulated sensors (1 s interval) on its hub, ${minutes} min`,
        '',
        table,
        '',
        '- Real Node-RED with the packed module. One row per minute: RSS and heap used (after a full gc) at the end of',
        '  the minute, event-loop delay p99 over the minute, and the hub’s events published (readings), delivered to',
        '  subscribers and dropped in that minute.',
        '',
    ].join('\n');
    console.log(`\n${table}\n`);
    if (minutes >= RECORD_MINUTES && rows.length === minutes) {
        fs.writeFileSync(RESULTS, text);
        console.log(`written to ${path.relative(root, RESULTS)}`);
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
