'use strict';
// The example flows as the editor draws them: no node on top of another (or of its status line) and every wire
// running forward, clear of the nodes it does not connect. Node boxes are estimated the way Node-RED sizes them:
// 100 px at least, else the label's width plus room for the icon and ports, rounded up to the 20 px grid.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
// Node-RED's label font averages 7–7.5 px a character; 8 errs towards boxes a little too wide.
const CHAR_PX = 8;
const GRID = 20;
const MIN_WIDTH = 100;
const HEIGHT = 30;
// Below a node that reports a status: a dot and a short text.
const STATUS_PX = 20;
// Space between two boxes: Node-RED's own layouts keep at least this much.
const GAP = 4;
// Nodes drawn as a port only (no label) unless `l: true`.
const PORT_ONLY = new Set(['link in', 'link out', 'link call', 'junction']);

/** The label the editor shows, for the nodes the examples leave unnamed (see each type's `label` function). */
function label(n) {
    if (n.name) return n.name;
    switch (n.type) {
        case 'http in':
            return `[${n.method}] ${n.url}`;
        case 'http response':
            return n.statusCode ? `http (${n.statusCode})` : 'http';
        case 'sensorhub-publish':
            return n.eventType || 'hub publish';
        case 'sensorhub-subscribe':
            return String(n.patterns || '').trim() || 'hub subscribe';
        case 'sensorhub-sensor':
            return `${n.kind || 'sensor'} ${n.sensorId || ''} · ${n.interval} s`;
        case 'sensorhub-monitor':
            return [
                'monitor',
                Number(n.interval) > 0 ? `${n.interval} s` : '',
                n.format === 'prometheus' ? 'Prometheus' : '',
            ]
                .filter(Boolean)
                .join(' · ');
        case 'sensorhub-gateway': {
            const devices = (n.devices || []).length;
            return `device gateway :${n.port || 1881}${devices > 0 ? ` · ${devices} devices` : ''}`;
        }
        case 'debug':
            return n.targetType === 'full' ? 'debug' : `msg.${n.complete}`;
        default:
            return n.label || n.type;
    }
}

/** The box the editor draws for node `n`, status line included, as {left, right, top, bottom, out, in}. */
function box(n) {
    const ports = Math.max(n.wires ? n.wires.length : 0, 1);
    const h = Math.max(HEIGHT, ports * 15);
    const w =
        PORT_ONLY.has(n.type) && !n.l
            ? 30
            : Math.max(MIN_WIDTH, GRID * Math.ceil((label(n).length * CHAR_PX + 57) / GRID));
    const status = n.type.startsWith('sensorhub-') || (n.type === 'debug' && n.tostatus) ? STATUS_PX : 0;
    return {
        id: n.id,
        name: label(n),
        left: n.x - w / 2,
        right: n.x + w / 2,
        top: n.y - h / 2,
        bottom: n.y + h / 2 + status,
    };
}

function overlaps(a, b) {
    return a.left < b.right + GAP && b.left < a.right + GAP && a.top < b.bottom + GAP && b.top < a.bottom + GAP;
}

/** Whether the segment p→q passes through the inside of box b (Liang–Barsky clipping). */
function crosses(p, q, b) {
    const inset = 2;
    let t0 = 0;
    let t1 = 1;
    const dx = q.x - p.x;
    const dy = q.y - p.y;
    const edges = [
        [-dx, p.x - (b.left + inset)],
        [dx, b.right - inset - p.x],
        [-dy, p.y - (b.top + inset)],
        [dy, b.bottom - inset - p.y],
    ];
    for (const [pp, qq] of edges) {
        if (pp === 0) {
            if (qq < 0) return false;
        } else {
            const t = qq / pp;
            if (pp < 0) t0 = Math.max(t0, t);
            else t1 = Math.min(t1, t);
        }
    }
    return t0 < t1;
}

/** Every problem in one example's layout, as readable lines. */
function layoutProblems(flows) {
    const drawn = flows.filter((n) => 'x' in n && 'y' in n && n.type !== 'tab');
    const boxes = new Map(drawn.map((n) => [n.id, box(n)]));
    const problems = [];
    const tabOf = (n) => n.z || '';
    for (let i = 0; i < drawn.length; i++) {
        for (let j = i + 1; j < drawn.length; j++) {
            const [a, b] = [boxes.get(drawn[i].id), boxes.get(drawn[j].id)];
            if (tabOf(drawn[i]) === tabOf(drawn[j]) && overlaps(a, b))
                problems.push(`"${a.name}" overlaps "${b.name}"`);
        }
    }
    for (const n of drawn) {
        const src = boxes.get(n.id);
        for (const [port, targets] of (n.wires || []).entries()) {
            for (const id of targets) {
                const dst = boxes.get(id);
                if (!dst) continue;
                if (dst.left < src.right + GRID) problems.push(`wire "${src.name}" → "${dst.name}" runs backwards`);
                const ports = n.wires.length;
                const from = { x: src.right, y: n.y + (port - (ports - 1) / 2) * 15 };
                const to = { x: dst.left, y: flows.find((m) => m.id === id).y };
                for (const other of drawn) {
                    if (other.id === n.id || other.id === id || tabOf(other) !== tabOf(n)) continue;
                    const o = boxes.get(other.id);
                    if (crosses(from, to, o)) problems.push(`wire "${src.name}" → "${dst.name}" crosses "${o.name}"`);
                }
            }
        }
    }
    return problems;
}

describe('example layouts', () => {
    it('finds overlapping nodes, a wire running backwards and a wire through a node', () => {
        const node = (id, name, x, y, wires = []) => ({ id, type: 'change', name, x, y, wires: [wires] });
        assert.deepEqual(layoutProblems([node('a', 'one', 100, 100), node('b', 'two', 150, 110)]), [
            '"one" overlaps "two"',
        ]);
        assert.deepEqual(layoutProblems([node('a', 'one', 400, 100, ['b']), node('b', 'two', 100, 200)]), [
            'wire "one" → "two" runs backwards',
        ]);
        assert.deepEqual(
            layoutProblems([
                node('a', 'one', 100, 100, ['c']),
                node('b', 'two', 300, 100),
                node('c', 'three', 500, 100),
            ]),
            ['wire "one" → "three" crosses "two"'],
        );
        // A long label makes a wide box: 40 characters are about 320 px, not the 100 px minimum.
        assert.deepEqual(layoutProblems([node('a', 'x'.repeat(40), 100, 100), node('b', 'two', 300, 100)]), [
            `"${'x'.repeat(40)}" overlaps "two"`,
        ]);
        // A status line below a node of ours: the next row must leave room for it.
        const sensor = { id: 's', type: 'sensorhub-sensor', name: 'sensor', x: 100, y: 100, wires: [[]] };
        assert.deepEqual(layoutProblems([sensor, node('b', 'two', 100, 140)]), ['"sensor" overlaps "two"']);
        assert.deepEqual(layoutProblems([sensor, node('b', 'two', 100, 160)]), []);
    });

    for (const file of fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
        it(`${file}: no overlapping nodes, no wire backwards or through a node`, () => {
            const flows = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));
            assert.deepEqual(layoutProblems(flows), []);
        });
    }
});
