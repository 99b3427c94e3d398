'use strict';
// The hub's core (nodes/core, compiled from src/core) against the routers a
// Node-RED user would otherwise reach for: a bare EventEmitter for exact event
// names, and mqemitter (aedes's in-process topic router) for MQTT wildcards.
// No Node-RED here: this isolates routing and delivery from the runtime.
const { EventEmitter } = require('node:events');
const path = require('node:path');
const MQEmitter = require('mqemitter');
const { packageRoot } = require('./lib/runtime.js');
const { EventHub } = require(path.join(packageRoot, 'nodes', 'core', 'hub', 'hub.js'));
const { TopicRouter } = require(path.join(packageRoot, 'nodes', 'core', 'hub', 'router.js'));
const { median, gc, formatRate, renderTable, publishTable, runMain } = require('./lib/report.js');

const ROUNDS = 5;
const ROUND_MS = 250;
const WARMUP_MS = 250;

// 10 rooms × 5 kinds: 50 event types cycled in turn, so every publish resolves a
// different type than the last, as a house of sensors reporting would.
const ROOMS = ['kitchen', 'hall', 'lounge', 'bath', 'bed1', 'bed2', 'office', 'garage', 'porch', 'cellar'];
const KINDS = ['temperature', 'humidity', 'motion', 'light', 'co2'];
const TYPES = ROOMS.flatMap((room) => KINDS.map((kind) => `home/${room}/${kind}`));
// A fleet with one type per sensor: more distinct types than the router caches (10,000), so every
// publish resolves its type afresh, the router's worst case.
const FLEET_SIZE = 20_000;
const FLEET_TYPES = Array.from({ length: FLEET_SIZE }, (_, n) => `sensors/s${n}/temperature`);

/** A fresh flat reading per event: each subject pays for making it, as a sensor would. */
function flatMsg(type, i) {
    return { topic: type, payload: 20 + (i & 7) };
}

/** A reading shaped as the message contract says a sensor node emits it. */
function readingMsg(type, i) {
    return {
        topic: type,
        payload: 20 + (i & 7),
        sensor: { id: 'kitchen-t1', kind: 'temperature', location: 'kitchen', unit: '°C' },
        reading: { status: 'ok', ts: 1_700_000_000_000 + i, latencyMs: 1.5, seq: i },
    };
}

/**
 * Each subject is `{ run(n), received() }`: `run` publishes n events, cycling
 * the 50 types, and `received` counts handler calls, which is checked after
 * every round so a subject that silently drops or duplicates cannot win.
 */

function eventEmitterExact(types, makeMsg) {
    const ee = new EventEmitter();
    let got = 0;
    for (const t of types) ee.on(t, (msg) => (got += msg.payload > 0 ? 1 : 0));
    let k = 0;
    return {
        run(n) {
            for (let i = 0; i < n; i++) {
                const t = types[k];
                if (++k === types.length) k = 0;
                ee.emit(t, makeMsg(t, i));
            }
        },
        received: () => got,
    };
}

function hubPublish(types, makeMsg, subscribe) {
    const hub = new EventHub({ idPrefix: 'bench', queueLimit: 1000 });
    let got = 0;
    const handler = (msg) => (got += msg.payload > 0 ? 1 : 0);
    subscribe((patterns) => hub.subscribe(handler, { patterns }));
    let k = 0;
    return {
        run(n) {
            for (let i = 0; i < n; i++) {
                const t = types[k];
                if (++k === types.length) k = 0;
                hub.publish(t, makeMsg(t, i), 'bench');
            }
        },
        received: () => got,
    };
}

function routerMatch(types, makeMsg, subscribe) {
    const router = new TopicRouter();
    let got = 0;
    const handler = (msg) => (got += msg.payload > 0 ? 1 : 0);
    subscribe((patterns) => {
        const sub = (msg) => handler(msg);
        for (const p of patterns) router.add(p, sub);
    });
    let k = 0;
    return {
        run(n) {
            for (let i = 0; i < n; i++) {
                const t = types[k];
                if (++k === types.length) k = 0;
                const msg = makeMsg(t, i);
                const subs = router.match(t);
                for (let j = 0; j < subs.length; j++) subs[j](msg);
            }
        },
        received: () => got,
    };
}

/**
 * mqemitter at its fastest correct use: concurrency 0 (no queueing) and
 * listeners that call back synchronously, so each emit completes before it
 * returns. Completions are counted and checked like deliveries.
 */
function mqemitterSubject(types, makeMsg, subscribe) {
    const mq = new MQEmitter();
    let got = 0;
    let completed = 0;
    const onDone = () => completed++;
    subscribe((patterns) => {
        // Two declared parameters: fastparallel passes only the callback to one-parameter listeners.
        const listener = (msg, cb) => {
            got += msg.payload > 0 ? 1 : 0;
            cb();
        };
        for (const p of patterns) mq.on(p, listener);
    });
    let k = 0;
    let emitted = 0;
    return {
        run(n) {
            for (let i = 0; i < n; i++) {
                const t = types[k];
                if (++k === types.length) k = 0;
                mq.emit(makeMsg(t, i), onDone);
            }
            emitted += n;
            if (completed !== emitted) throw new Error(`mqemitter completed ${completed} of ${emitted} emits`);
        },
        received: () => got,
    };
}

/** Subscription layouts, as functions of a `subscribe(patterns)` callback. */
const oneExactPerType = (subscribe) => {
    for (const t of TYPES) subscribe([t]);
};
const oneWildcard = (pattern) => (subscribe) => subscribe([pattern]);
const tenOnEveryType = (subscribe) => {
    for (let s = 0; s < 10; s++) subscribe(TYPES);
};

/** Runs `subject.run` in batches for about `ms`; returns events per second. */
function timeFor(subject, ms, batch) {
    const deadline = process.hrtime.bigint() + BigInt(ms) * 1_000_000n;
    const start = process.hrtime.bigint();
    let events = 0;
    let now = start;
    do {
        subject.run(batch);
        events += batch;
        now = process.hrtime.bigint();
    } while (now < deadline);
    return events / (Number(now - start) / 1e9);
}

/**
 * Alternates candidate and anchor within each round (order flipped every
 * round, so neither always runs on a warmer or a busier machine) and takes
 * the median of the per-round figures and of the per-round ratios.
 */
function compare(candidate, anchor, { deliveriesPerEvent, matchFraction }) {
    const batch = 1000;
    timeFor(candidate, WARMUP_MS, batch);
    timeFor(anchor, WARMUP_MS, batch);
    const c = [];
    const a = [];
    const ratios = [];
    for (let r = 0; r < ROUNDS; r++) {
        gc();
        const pair = r % 2 === 0 ? [candidate, anchor] : [anchor, candidate];
        const rates = pair.map((s) => {
            gc();
            return timeFor(s, ROUND_MS, batch);
        });
        const [cr, ar] = r % 2 === 0 ? rates : [rates[1], rates[0]];
        c.push(cr);
        a.push(ar);
        ratios.push(cr / ar);
    }
    for (const [name, s] of [
        ['candidate', candidate],
        ['anchor', anchor],
    ]) {
        checkDeliveries(name, s, deliveriesPerEvent, matchFraction);
    }
    return { candidate: median(c), anchor: median(a), ratio: median(ratios) };
}

function checkDeliveries(name, subject, perEvent, matchFraction) {
    // Batches of 1000 events are whole cycles of the 50 house types, and every fleet type matches: counts are exact.
    const expected = Math.round(subject.published * perEvent * matchFraction);
    const got = subject.received();
    if (got !== expected) throw new Error(`${name}: ${got} deliveries, expected ${expected}`);
}

/** Wraps a subject so it knows how many events it published, for the delivery check. */
function counted(subject) {
    let published = 0;
    return {
        run(n) {
            subject.run(n);
            published += n;
        },
        received: subject.received,
        get published() {
            return published;
        },
    };
}

async function main() {
    const rows = [];
    const add = (name, candidate, anchor, opts, unit = 'msg/s') => {
        const r = compare(counted(candidate), counted(anchor), opts);
        const scale = unit === 'msg/s' ? 1 : opts.deliveriesPerEvent;
        rows.push({
            name,
            candidate: formatRate(r.candidate * scale, unit),
            anchor: formatRate(r.anchor * scale, unit),
            ratio: r.ratio,
            // Issue 18: these anchors do less than the hub must (no id, no isolation, no flow control), so their rows
            // stay for information, the floor; the goals are on the fair peers (hops, fanout, wildcard benchmarks).
            goal: undefined,
        });
    };
    const exact = { deliveriesPerEvent: 1, matchFraction: 1 };
    const plus = { deliveriesPerEvent: 1, matchFraction: 1 / KINDS.length };
    const ten = { deliveriesPerEvent: 10, matchFraction: 1 };
    const temperatures = oneWildcard('home/+/temperature');
    const everything = oneWildcard('home/#');
    const fleet = oneWildcard('sensors/+/temperature');

    add(
        '(a) exact type, 1 subscriber — `EventHub.publish` vs EventEmitter',
        hubPublish(TYPES, flatMsg, oneExactPerType),
        eventEmitterExact(TYPES, flatMsg),
        exact,
    );
    add(
        '(a) exact type, 1 subscriber — `TopicRouter.match` + call vs EventEmitter',
        routerMatch(TYPES, flatMsg, oneExactPerType),
        eventEmitterExact(TYPES, flatMsg),
        exact,
    );
    add(
        '(a) exact type, 1 subscriber, contract-shaped reading — `EventHub.publish` vs EventEmitter',
        hubPublish(TYPES, readingMsg, oneExactPerType),
        eventEmitterExact(TYPES, readingMsg),
        exact,
        undefined,
    );
    add(
        '(b) 1 wildcard sub `home/+/temperature` — `EventHub.publish` vs mqemitter',
        hubPublish(TYPES, flatMsg, temperatures),
        mqemitterSubject(TYPES, flatMsg, temperatures),
        plus,
    );
    add(
        '(b) 1 wildcard sub `home/+/temperature` — `TopicRouter.match` + call vs mqemitter',
        routerMatch(TYPES, flatMsg, temperatures),
        mqemitterSubject(TYPES, flatMsg, temperatures),
        plus,
    );
    add(
        '(b) 1 wildcard sub `home/#` — `EventHub.publish` vs mqemitter',
        hubPublish(TYPES, flatMsg, everything),
        mqemitterSubject(TYPES, flatMsg, everything),
        exact,
    );
    add(
        `(b) 1 wildcard sub \`sensors/+/temperature\`, ${FLEET_SIZE / 1000}k types — \`EventHub.publish\` vs mqemitter`,
        hubPublish(FLEET_TYPES, flatMsg, fleet),
        mqemitterSubject(FLEET_TYPES, flatMsg, fleet),
        exact,
    );
    add(
        `(b) 1 wildcard sub \`sensors/+/temperature\`, ${FLEET_SIZE / 1000}k types — \`TopicRouter.match\` + call vs mqemitter`,
        routerMatch(FLEET_TYPES, flatMsg, fleet),
        mqemitterSubject(FLEET_TYPES, flatMsg, fleet),
        exact,
    );
    add(
        '(c) 10 subscribers on every type — `EventHub.publish` vs mqemitter',
        hubPublish(TYPES, flatMsg, tenOnEveryType),
        mqemitterSubject(TYPES, flatMsg, tenOnEveryType),
        ten,
        'deliveries/s',
    );
    add(
        '(c) 10 subscribers on every type — `TopicRouter.match` + call vs mqemitter',
        routerMatch(TYPES, flatMsg, tenOnEveryType),
        mqemitterSubject(TYPES, flatMsg, tenOnEveryType),
        ten,
        'deliveries/s',
    );

    const notes = [
        `Median of ${ROUNDS} rounds of ${ROUND_MS} ms per subject after a ${WARMUP_MS} ms warm-up; candidate and anchor alternate within each round and the ratio is the median of the per-round ratios.`,
        `Every event is a fresh message on the next type in turn: ${TYPES.length} types \`home/<room>/<kind>\` (10 rooms × 5 kinds), or, for the fleet rows, ${FLEET_SIZE} types \`sensors/s<n>/temperature\` — more than the router's 10,000-type cache holds, so those rows measure routing without the cache. Deliveries are counted and checked after every run.`,
        '(a): every type has exactly one subscriber on its exact name (EventEmitter: one listener per event name). (b): rates are events published per second; `home/+/temperature` matches 1 in 5 of them, `home/#` and `sensors/+/temperature` all. (c): 10 subscribers each subscribed to all 50 types; figures are deliveries per second.',
        '`EventHub.publish` is the full path a publish node takes: type validation, event id and timestamp, freezing the event, routing, and a per-subscriber shallow copy. `TopicRouter.match` + call is the routing alone, an upper bound: V8 inlines that whole loop. The anchors do no copying: every EventEmitter listener and every mqemitter subscriber gets the same mutable object.',
        'For information, no goals (issue 18): EventEmitter and mqemitter hand every listener the same mutable object with no id, no isolation and no flow control, so they show the floor. The goals are on what a user would wire instead: `link out` → `link in`, wires, and core mqtt nodes through mosquitto (hops, fanout and wildcard benchmarks).',
        'mqemitter runs at concurrency 0 with listeners that call back synchronously, its fastest correct use; every emit is checked to have completed.',
        'Design anchors on this machine kind: EventEmitter 22 M msg/s; mqemitter 1.47 M msg/s (1 wildcard sub) and 5.7 M deliveries/s (10 subs).',
    ];
    const markdown = renderTable(
        'Event hub core vs EventEmitter and mqemitter',
        { candidate: 'sensor hub', anchor: 'anchor' },
        rows,
        notes,
    );
    await publishTable(markdown);
}

runMain(main);
