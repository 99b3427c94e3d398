#!/usr/bin/env node
'use strict';
// Runs every bench/*.bench.js, one at a time, each in a fresh process so no
// benchmark inherits another's heap or JIT state, prints each one's table and
// saves it under bench/results/. Arguments narrow the run by name:
// `node bench/run.js router` runs router.bench.js only. SENSORHUB_BENCH_NODE_RED=node-red-5
// (under Node 22) and SENSORHUB_BENCH_PACKAGE=<another build> are passed on to the benchmarks.
//
// A goal that is not met is a result, reported in its table; only a benchmark
// that crashes (or never delivers its table) makes the exit code non-zero.
const { fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { nodeRedVersion } = require('./lib/runtime.js');

const benchDir = __dirname;
const resultsDir = path.join(benchDir, 'results');
// Generous (the fleet and gateway steady states run a minute per side); this only stops a hung one.
const BENCH_TIMEOUT_MS = 600_000;

function listBenchmarks(filters) {
    return fs
        .readdirSync(benchDir)
        .filter((f) => f.endsWith('.bench.js'))
        .sort()
        .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)));
}

function machineHeader(name) {
    const cpus = os.cpus();
    const load = os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ');
    return [
        `# ${name}`,
        '',
        `- date: ${new Date().toISOString()}`,
        `- node: ${process.version}`,
        `- Node-RED: ${nodeRedVersion()}`,
        `- CPU: ${cpus.length > 0 ? cpus[0].model.trim() : 'unknown'} × ${cpus.length}`,
        `- load average (1 / 5 / 15 min) at start: ${load}`,
        `- command: \`node bench/run.js\` (\`npm run bench\`)`,
        '',
    ].join('\n');
}

/** Runs one benchmark; resolves to its markdown table, or rejects with why there is none. */
function runOne(file) {
    return new Promise((resolve, reject) => {
        const child = fork(path.join(benchDir, file), [], {
            cwd: path.join(benchDir, '..'),
            execArgv: ['--expose-gc'],
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        let table;
        const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`${file} did not finish within ${BENCH_TIMEOUT_MS / 1000} s`));
        }, BENCH_TIMEOUT_MS);
        child.on('message', (m) => {
            if (m && typeof m.table === 'string') table = m.table;
        });
        child.on('error', (err) => {
            clearTimeout(timer);
            reject(err);
        });
        child.on('exit', (code, signal) => {
            clearTimeout(timer);
            if (code !== 0) reject(new Error(`${file} exited with ${signal || `code ${code}`}`));
            else if (table === undefined) reject(new Error(`${file} exited without a table`));
            else resolve(table);
        });
    });
}

async function main() {
    const files = listBenchmarks(process.argv.slice(2));
    if (files.length === 0) throw new Error(`no benchmark matches ${process.argv.slice(2).join(' ')}`);
    fs.mkdirSync(resultsDir, { recursive: true });
    const failed = [];
    const started = Date.now();
    for (const file of files) {
        const name = file.replace(/\.bench\.js$/, '');
        const header = machineHeader(name);
        process.stdout.write(`\n=== ${file} ===\n`);
        const t0 = Date.now();
        try {
            const table = await runOne(file);
            process.stdout.write(`\n${table}\n\n(${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
            fs.writeFileSync(path.join(resultsDir, `${name}.md`), `${header}\n${table}\n`);
        } catch (err) {
            failed.push(file);
            process.stderr.write(`\n${file}: ${err.message}\n`);
        }
    }
    process.stdout.write(`\n${files.length} benchmark(s) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (failed.length > 0) {
        process.stderr.write(`crashed: ${failed.join(', ')}\n`);
        process.exitCode = 1;
    }
}

main().catch((err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
});
