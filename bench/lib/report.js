'use strict';
// Shared by every benchmark: statistics over rounds, number formatting and the
// side-by-side markdown table. A goal is always judged on ratios measured in
// the same run, because absolute figures on a shared 2-core machine drift by
// tens of percent between runs while ratios stay put.

function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function gc() {
    if (typeof global.gc === 'function') global.gc();
}

/** `12.3 M/s`, `845 k/s`: three significant digits are all a noisy machine supports. */
function formatRate(perSecond, unit = 'msg/s') {
    if (perSecond >= 1e6) return `${(perSecond / 1e6).toPrecision(3)} M ${unit}`;
    if (perSecond >= 1e3) return `${(perSecond / 1e3).toPrecision(3)} k ${unit}`;
    return `${perSecond.toPrecision(3)} ${unit}`;
}

function formatMicros(us) {
    return `${us.toPrecision(3)} µs`;
}

function formatRatio(ratio) {
    return `${ratio.toFixed(2)}×`;
}

/**
 * A goal on the ratio candidate/anchor. `atLeast` suits rates (higher is
 * better), `atMost` suits costs such as µs per hop.
 */
function goalAtLeast(min) {
    return { text: `≥ ${min}×`, met: (ratio) => ratio >= min };
}

function goalAtMost(max) {
    return { text: `≤ ${max}×`, met: (ratio) => ratio <= max };
}

/**
 * Renders rows of `{ name, candidate, anchor, ratio, goal }` (figures already
 * formatted except `ratio`, a number; `goal` may be undefined for figures
 * shown for information) as a markdown table followed by notes.
 */
function renderTable(title, columns, rows, notes = []) {
    const header = ['benchmark', columns.candidate, columns.anchor, 'ratio', 'goal', 'met'];
    const lines = [`### ${title}`, '', `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
    for (const r of rows) {
        const met = r.goal ? (r.goal.met(r.ratio) ? 'yes' : '**no**') : '—';
        const goal = r.goal ? r.goal.text : '—';
        lines.push(`| ${[r.name, r.candidate, r.anchor, formatRatio(r.ratio), goal, met].join(' | ')} |`);
    }
    if (notes.length > 0) {
        lines.push('');
        for (const n of notes) lines.push(`- ${n}`);
    }
    return lines.join('\n');
}

/**
 * Hands the finished table to bench/run.js over the IPC channel when run by
 * it, so Node-RED's own log lines on stdout never mix into the saved results.
 */
function publishTable(markdown) {
    if (typeof process.send === 'function') {
        return new Promise((resolve) => process.send({ table: markdown }, () => resolve()));
    }
    process.stdout.write(`\n${markdown}\n`);
    return Promise.resolve();
}

/** Runs a benchmark's main function; a crash must give a non-zero exit so the runner reports it. */
function runMain(main) {
    main().then(
        () => {
            if (typeof process.disconnect === 'function' && process.connected) process.disconnect();
        },
        (err) => {
            process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
            process.exitCode = 1;
            if (typeof process.disconnect === 'function' && process.connected) process.disconnect();
        },
    );
}

module.exports = {
    median,
    gc,
    formatRate,
    formatMicros,
    formatRatio,
    goalAtLeast,
    goalAtMost,
    renderTable,
    publishTable,
    runMain,
};
