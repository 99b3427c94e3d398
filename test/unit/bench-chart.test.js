'use strict';
// The benchmark chart's reading of bench/results tables: which rows get a bar, and how each is judged.
const assert = require('node:assert/strict');
const { parseTables, parseGoal, parseRatio, goalRows, score, render } = require('../../scripts/bench-chart');

const SAMPLE = `# hops

- date: 2026-11-22T06:54:16.883Z

### Publish → subscribe hop vs core change node

| benchmark | sensor hub | anchor (core change) | ratio | goal | met |
|---|---|---|---|---|---|
| 10-hop chain, flat msg: throughput | 75.5 k msg/s | 95.9 k msg/s | 0.83× | ≥ 0.83× | yes |
| 10-hop chain, flat msg: µs per hop | 1.33 µs | 1.04 µs | 1.20× | ≤ 1.2× | **no** |
| marginal hop, \`(10-hop − 1-hop) / 9\` | 1.08 µs | 0.906 µs | 1.17× | ≤ 1.2× | yes |
| for information | 3.08 µs | 2.73 µs | 1.12× | — | — |
| readings delivered (of sent) | 600000 of 600000 | 600000 of 600000 | 1.00× | all | yes |

- Real Node-RED 4.1.15, a note | with a bar that is not a table.

### Second table, no goal column

| what | figure |
|---|---|
| anchor | 3.5 µs |
`;

describe('bench chart: table parser', function () {
    it('finds every table with its heading, headers and rows, skipping the divider', function () {
        const tables = parseTables(SAMPLE);
        assert.equal(tables.length, 2);
        assert.equal(tables[0].title, 'Publish → subscribe hop vs core change node');
        assert.deepEqual(tables[0].headers, [
            'benchmark',
            'sensor hub',
            'anchor (core change)',
            'ratio',
            'goal',
            'met',
        ]);
        assert.equal(tables[0].rows.length, 5);
        assert.equal(tables[0].rows[1].met, '**no**');
        assert.equal(tables[1].title, 'Second table, no goal column');
        assert.deepEqual(tables[1].rows, [{ what: 'anchor', figure: '3.5 µs' }]);
    });

    it('keeps the rows that have a goal, with the verdict the table gives', function () {
        const rows = goalRows(parseTables(SAMPLE)[0]);
        assert.deepEqual(
            rows.map((r) => [r.name, r.ratio, r.ratioText, r.goalText, r.met]),
            [
                ['10-hop chain, flat msg: throughput', 0.83, '0.83×', '≥ 0.83×', true],
                // Rounded to 1.20× in the table, but the benchmark missed the goal on the unrounded figure.
                ['10-hop chain, flat msg: µs per hop', 1.2, '1.20×', '≤ 1.2×', false],
                ['marginal hop, (10-hop − 1-hop) / 9', 1.17, '1.17×', '≤ 1.2×', true],
                ['readings delivered (of sent)', 1, '1.00×', 'all', true],
            ],
        );
        assert.deepEqual(goalRows(parseTables(SAMPLE)[1]), [], 'a table without ratio and goal columns has no bars');
    });

    it('judges a row from its ratio when the table has no met column', function () {
        const table = parseTables(
            '| benchmark | ratio | goal |\n|---|---|---|\n| a | 2.5× | ≥ 2× |\n| b | 1.5× | < 1× |\n' +
                '| c | 1.00× | exact |\n| d | 0.99× | exact |\n',
        )[0];
        assert.deepEqual(
            goalRows(table).map((r) => [r.name, r.met]),
            [
                ['a', true],
                ['b', false],
                ['c', true],
                ['d', false],
            ],
        );
    });

    it('reads goals and ratios, and nothing else', function () {
        assert.deepEqual(parseGoal('≥ 2×'), { op: '≥', value: 2, higherIsBetter: true });
        assert.deepEqual(parseGoal('≤ 1.1×'), { op: '≤', value: 1.1, higherIsBetter: false });
        assert.deepEqual(parseGoal('< 1×'), { op: '<', value: 1, higherIsBetter: false });
        assert.deepEqual(parseGoal('all'), { op: '≥', value: 1, higherIsBetter: true });
        assert.deepEqual(parseGoal('exact'), { op: '=', value: 1, higherIsBetter: true });
        for (const none of ['—', '', 'fast', '≥ 0×', '≥ 2 ms']) assert.equal(parseGoal(none), null, none);
        assert.equal(parseRatio('45.02×'), 45.02);
        assert.equal(parseRatio('0.83 ×'), 0.83);
        for (const none of ['—', '1.2', 'n/a']) assert.equal(parseRatio(none), null, none);
    });

    it('scores every row the same way up: above 1 beats the goal', function () {
        const [throughput, perHop] = goalRows(parseTables(SAMPLE)[0]);
        assert.equal(score(throughput), 1);
        assert.ok(Math.abs(score({ ratio: 0.6, goal: parseGoal('≤ 1.2×') }) - 2) < 1e-12);
        assert.equal(score(perHop), 1);
        assert.ok(score({ ratio: 1.44, goal: parseGoal('≤ 1.2×') }) < 1);
    });

    it('draws one bar per row with a goal, coloured by its verdict, with the text escaped', function () {
        const rows = goalRows(parseTables(SAMPLE)[0]);
        const svg = render([{ title: 'hops <&>', rows }]);
        assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
        assert.equal((svg.match(/<rect x=/g) || []).length, rows.length);
        assert.equal((svg.match(/<rect [^>]*fill="#c62828"/g) || []).length, 1, 'one red bar');
        assert.match(svg, /hops &lt;&amp;&gt;/);
        assert.match(svg, /3 of 4 met/);
    });
});
