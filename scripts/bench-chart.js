#!/usr/bin/env node
'use strict';
// Draws docs/bench.svg from the tables in bench/results/*.md: one bar per row that has a goal, green when the
// benchmark met it, red when not. Hand-written SVG, so the README's chart needs no plotting dependency and diffs as
// text when the results change.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const RESULTS = path.join(root, 'bench', 'results');
const OUT = path.join(root, 'docs', 'bench.svg');

/** The cells of one markdown table line, or null when the line is not a table row. */
function cells(line) {
    const t = line.trim();
    if (!t.startsWith('|') || !t.endsWith('|') || t.length < 2) return null;
    return t
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim());
}

const isDivider = (row) => row.every((c) => /^:?-{3,}:?$/.test(c));

/**
 * Every table in a markdown text: its title (the nearest heading above it), its header cells and its rows, each row
 * an object keyed by header.
 * @param {string} markdown
 */
function parseTables(markdown) {
    /** @typedef {{ title: string, headers: string[], rows: Record<string, string>[] }} Table */
    /** @type {Table[]} */
    const tables = [];
    let heading = '';
    /** @type {Table | null} */
    let current = null;
    for (const line of markdown.split(/\r?\n/)) {
        const row = cells(line);
        if (!row) {
            current = null;
            const h = /^#{1,6}\s+(.*)$/.exec(line.trim());
            if (h) heading = h[1].trim();
            continue;
        }
        if (!current) {
            current = { title: heading, headers: row, rows: [] };
            tables.push(current);
        } else if (!isDivider(row)) {
            current.rows.push(
                Object.fromEntries(current.headers.map((h, i) => [h, row[i] === undefined ? '' : row[i]])),
            );
        }
    }
    return tables;
}

/** `1.30×` → 1.3; null when the cell holds no ratio. */
function parseRatio(text) {
    const m = /^(-?\d+(?:\.\d+)?)\s*×$/.exec(String(text).trim());
    return m ? Number(m[1]) : null;
}

/**
 * A goal cell as `{op, value, higherIsBetter}`: `≥ 2×`, `≤ 1.1×`, `< 1×`, `> 1×`; `all` (every message delivered)
 * counts as `≥ 1×`, `exact` (counts that add up to the event) as `= 1×`. Null for no goal (`—`, empty) or one that
 * is not a ratio.
 */
function parseGoal(text) {
    const t = String(text).trim();
    if (t === 'all') return { op: '≥', value: 1, higherIsBetter: true };
    if (t === 'exact') return { op: '=', value: 1, higherIsBetter: true };
    const m = /^(≥|≤|<|>|>=|<=)\s*(\d+(?:\.\d+)?)\s*×$/.exec(t);
    if (!m) return null;
    const op = { '>=': '≥', '<=': '≤' }[m[1]] || m[1];
    const value = Number(m[2]);
    if (!(value > 0)) return null;
    return { op, value, higherIsBetter: op === '≥' || op === '>' };
}

function goalMet(ratio, goal) {
    switch (goal.op) {
        case '≥':
            return ratio >= goal.value;
        case '>':
            return ratio > goal.value;
        case '≤':
            return ratio <= goal.value;
        case '=':
            return ratio === goal.value;
        default:
            return ratio < goal.value;
    }
}

/** Markdown inline code and emphasis as plain text. */
const plain = (text) => String(text).replace(/[`*]/g, '').trim();

/**
 * The rows of a table that have a goal, as `{name, ratio, ratioText, goal, goalText, met}`. `met` comes from the table's own
 * `met` column when it says yes or no: the benchmark decided on the unrounded ratio, which the table rounds (a
 * `1.20×` row can miss a `≤ 1.2×` goal). Without that column it is worked out from the rounded ratio.
 */
function goalRows(table) {
    const [nameKey] = table.headers;
    if (!table.headers.includes('ratio') || !table.headers.includes('goal')) return [];
    const out = [];
    for (const row of table.rows) {
        const goal = parseGoal(row.goal);
        const ratio = parseRatio(row.ratio);
        if (!goal || ratio === null) continue;
        const said = plain(row.met || '').toLowerCase();
        const met = said === 'yes' ? true : said === 'no' ? false : goalMet(ratio, goal);
        out.push({
            name: plain(row[nameKey]),
            ratio,
            ratioText: plain(row.ratio),
            goal,
            goalText: plain(row.goal),
            met,
        });
    }
    return out;
}

/**
 * How far a row is from its goal, the same way up for every row: above 1 is better than the goal, below 1 worse,
 * whichever way the goal points (for a "lower is better" goal it is goal / ratio).
 */
function score(row) {
    if (row.goal.higherIsBetter) return row.ratio / row.goal.value;
    return row.ratio > 0 ? row.goal.value / row.ratio : Infinity;
}

const escapeXml = (s) =>
    String(s).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]);

const fmt = (n) => (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(2))));

// Fits the README's column (about 880 px on GitHub) without scaling the text below legibility.
const WIDTH = 860;
const PAD = 16;
const BAR_X = PAD;
const BAR_W = 560;
const MAX_SCORE = 2; // the goal line sits in the middle; better than twice the goal is drawn as twice, with an arrow
const ROW_H = 40;
const SECTION_H = 34;
const GREEN = '#2e7d32';
const RED = '#c62828';

/** The chart for `sections` (`[{title, rows}]` of goalRows) as an SVG document. */
function render(sections) {
    const shown = sections.filter((s) => s.rows.length > 0);
    const goalX = BAR_X + (BAR_W * 1) / MAX_SCORE;
    const parts = [];
    let y = 70;
    for (const section of shown) {
        parts.push(
            `<text x="${PAD}" y="${y + 22}" class="section">${escapeXml(section.title)}</text>`,
            `<line x1="${PAD}" y1="${y + 28}" x2="${WIDTH - PAD}" y2="${y + 28}" class="rule"/>`,
        );
        y += SECTION_H;
        for (const row of section.rows) {
            const s = score(row);
            const clipped = s > MAX_SCORE;
            const w = Math.max(1, (BAR_W * Math.min(s, MAX_SCORE)) / MAX_SCORE);
            const colour = row.met ? GREEN : RED;
            const verdict = row.met ? 'met' : 'not met';
            parts.push(
                `<g><title>${escapeXml(`${row.name}: ${row.ratioText}, goal ${row.goalText}, ${verdict}`)}</title>`,
                `<text x="${BAR_X}" y="${y + 13}" class="name">${escapeXml(row.name)}</text>`,
                `<rect x="${BAR_X}" y="${y + 19}" width="${fmt(w)}" height="14" rx="2" fill="${colour}"/>`,
            );
            if (clipped) {
                const tip = BAR_X + BAR_W;
                parts.push(
                    `<path d="M${tip} ${y + 16} l10 10 l-10 10 z" fill="${colour}"/>`,
                    `<path d="M${tip - 14} ${y + 19} l6 14 M${tip - 8} ${y + 19} l6 14" class="break"/>`,
                );
            }
            parts.push(
                `<text x="${BAR_X + BAR_W + 18}" y="${y + 30}" class="value" fill="${colour}">` +
                    `${escapeXml(`${row.ratioText}  goal ${row.goalText}  ${verdict}`)}</text>`,
                // A tick per bar rather than one line down the chart, which would run through the row names.
                `<line x1="${goalX}" y1="${y + 15}" x2="${goalX}" y2="${y + 37}" class="goal"/></g>`,
            );
            y += ROW_H;
        }
    }
    const height = y + 16;
    const met = shown.reduce((n, s) => n + s.rows.filter((r) => r.met).length, 0);
    const total = shown.reduce((n, s) => n + s.rows.length, 0);
    return [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}"` +
            ` font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" role="img"` +
            ` aria-label="Benchmark results against their goals: ${met} of ${total} met">`,
        '<style>',
        '.title{font-size:17px;font-weight:600;fill:#24292f}',
        '.note{font-size:12px;fill:#57606a}',
        '.section{font-size:14px;font-weight:600;fill:#24292f}',
        '.name{font-size:12px;fill:#24292f}',
        '.value{font-size:12px;font-weight:600}',
        '.rule{stroke:#d0d7de;stroke-width:1}',
        '.goal{stroke:#24292f;stroke-width:2}',
        '.break{stroke:#ffffff;stroke-width:2.5}',
        '</style>',
        `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
        `<text x="${PAD}" y="26" class="title">Benchmarks against their goals: ${met} of ${total} met</text>`,
        `<text x="${PAD}" y="46" class="note">Bar: the ratio to the anchor as a share of its goal, turned so that` +
            ' longer is better; the black tick is the goal.</text>',
        `<text x="${PAD}" y="62" class="note">Green: goal met, red: not met. From bench/results/*.md` +
            ' (npm run bench:chart).</text>',
        ...parts,
        '</svg>',
        '',
    ].join('\n');
}

/** One section per table with a goal column, from every `*.md` in `dir`, in file name order. */
function readResults(dir) {
    const sections = [];
    for (const file of fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.md'))
        .sort()) {
        for (const table of parseTables(fs.readFileSync(path.join(dir, file), 'utf8'))) {
            const rows = goalRows(table);
            if (rows.length > 0) sections.push({ title: table.title || file.replace(/\.md$/, ''), rows });
        }
    }
    return sections;
}

function main() {
    const sections = readResults(RESULTS);
    if (sections.length === 0) throw new Error(`no table with a goal in ${path.relative(root, RESULTS)}/*.md`);
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, render(sections));
    const rows = sections.reduce((n, s) => n + s.rows.length, 0);
    console.log(`${path.relative(root, OUT)}: ${rows} rows with a goal from ${sections.length} tables`);
}

if (require.main === module) main();

module.exports = { parseTables, parseRatio, parseGoal, goalRows, score, render, readResults };
