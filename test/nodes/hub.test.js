'use strict';
const assert = require('node:assert/strict');
const {
    helper,
    coreNode,
    version,
    hooks,
    sink,
    collect,
    errorsLogged,
    lastStatus,
    HUB,
    TAB,
    catcher,
    shipped,
} = require('../helpers/node-red');
const { until, sleep } = require('../helpers/wait');
const hubNodes = shipped('hub');

const catchNode = coreNode('common/25-catch.js');
const splitNode = coreNode('sequence/17-split.js');
const functionNode = coreNode('function/10-function.js');
const changeNode = coreNode('function/15-change.js');
const debugNode = coreNode('common/21-debug.js');

function pub(id, eventType = '', extra = {}) {
    return { id, type: 'sensorhub-publish', z: 'f1', hub: 'hub1', eventType, wires: [], ...extra };
}
function sub(id, patterns, wires, extra = {}) {
    return { id, type: 'sensorhub-subscribe', z: 'f1', hub: 'hub1', patterns, wires: [wires], ...extra };
}

/** A module registering node `type`, which keeps each payload in `into` and completes it at once, as real nodes do. */
function completing(type, into) {
    return function (RED) {
        RED.nodes.registerType(type, function (n) {
            RED.nodes.createNode(this, n);
            this.on('input', (msg, _send, done) => {
                into.push(msg.payload);
                done();
            });
        });
    };
}

/** Collects messages arriving at a helper node until `count` have come. */
function take(node, count) {
    return new Promise((resolve) => {
        const got = [];
        node.on('input', (msg) => {
            got.push(msg);
            if (got.length === count) resolve(got);
        });
    });
}

describe(`hub nodes on Node-RED ${version}`, function () {
    beforeEach(function (done) {
        helper.startServer(done);
    });
    afterEach(async function () {
        await helper.unload();
        await new Promise((resolve) => helper.stopServer(resolve));
    });

    it('registers the hub, publish and subscribe types', async function () {
        await helper.load(hubNodes, [TAB, HUB, pub('p1', 'x')]);
        assert.ok(helper.getNode('hub1'));
        assert.equal(helper.getNode('p1').type, 'sensorhub-publish');
    });

    it('shares events among the subscribe nodes of one consumer group, others get every event', async function () {
        await helper.load(hubNodes, [
            TAB,
            HUB,
            pub('p1', 'job'),
            sub('g1', 'job', ['o1'], { group: 'workers' }),
            sub('g2', 'job', ['o2'], { group: ' workers ' }),
            sub('all', 'job', ['o3']),
            sink('o1'),
            sink('o2'),
            sink('o3'),
        ]);
        const got = { o1: [], o2: [], o3: [] };
        for (const id of Object.keys(got)) helper.getNode(id).on('input', (msg) => got[id].push(msg.payload));
        for (let i = 0; i < 20; i++) helper.getNode('p1').receive({ payload: i });
        await until(() => got.o3.length === 20 && got.o1.length + got.o2.length === 20, 'all events');
        assert.ok(
            got.o1.length > 0 && got.o2.length > 0,
            `both members had a share: ${got.o1.length}/${got.o2.length}`,
        );
        assert.deepEqual(
            [...got.o1, ...got.o2].sort((a, b) => a - b),
            [...Array(20).keys()],
        );
    });

    for (const [group, why] of [
        ['a/b', 'cannot contain'],
        ['$x', 'cannot contain'],
        ['x'.repeat(129), 'longer than 128'],
        [7, 'cannot contain'],
    ]) {
        it(`refuses the consumer group name ${JSON.stringify(group).slice(0, 12)}`, async function () {
            await helper.load(hubNodes, [TAB, HUB, sub('s1', 'job', [], { group })]);
            await until(() => lastStatus(helper.getNode('s1'))?.text === 'not subscribed: see the log', 'status');
            assert.ok(
                errorsLogged().some((e) => e.includes(why)),
                errorsLogged().join('\n'),
            );
            assert.equal(helper.getNode('hub1').hub.subscriberCount, 0);
        });
    }

    it('delivers a published message to a matching subscriber with topic and msg.event', async function () {
        await helper.load(hubNodes, [
            TAB,
            HUB,
            pub('p1', 'motion_detected'),
            sub('s1', 'motion_detected', ['out']),
            sink('out'),
        ]);
        const got = take(helper.getNode('out'), 1);
        helper.getNode('p1').receive({ payload: true, location: 'hall' });
        const [msg] = await got;
        assert.equal(msg.topic, 'motion_detected');
        assert.equal(msg.payload, true);
        assert.equal(msg.location, 'hall');
        assert.equal(msg.event.type, 'motion_detected');
        assert.equal(msg.event.source, 'p1');
        assert.equal(typeof msg.event.id, 'string');
        assert.equal(typeof msg.event.ts, 'number');
    });

    it('takes the event type from msg.topic when the node has none', async function () {
        await helper.load(hubNodes, [TAB, HUB, pub('p1'), sub('s1', 'home/+/temperature', ['out']), sink('out')]);
        const got = take(helper.getNode('out'), 2);
        const p = helper.getNode('p1');
        p.receive({ topic: 'home/kitchen/temperature', payload: 21 });
        p.receive({ topic: 'home/kitchen/fridge/temperature', payload: 4 });
        p.receive({ topic: 'home/hall/temperature', payload: 19 });
        const msgs = await got;
        assert.deepEqual(
            msgs.map((m) => [m.topic, m.payload]),
            [
                ['home/kitchen/temperature', 21],
                ['home/hall/temperature', 19],
            ],
        );
    });

    it('matches several patterns per node, each event once, in publish order', async function () {
        await helper.load(hubNodes, [TAB, HUB, pub('p1'), sub('s1', 'a/#\na/+, b', ['out']), sink('out')]);
        const got = take(helper.getNode('out'), 4);
        const p = helper.getNode('p1');
        for (const topic of ['a', 'a/x', 'c', 'b', 'a/x/y']) p.receive({ topic, payload: topic });
        const msgs = await got;
        assert.deepEqual(
            msgs.map((m) => m.topic),
            ['a', 'a/x', 'b', 'a/x/y'],
        );
    });

    it('in a runtime set to German refuses a bad event type in German', async function () {
        helper.settings({ lang: 'de' });
        try {
            await helper.load([hubNodes, catchNode], [TAB, HUB, pub('p1'), catcher(), sink('caught')]);
            const caught = take(helper.getNode('caught'), 2);
            helper.getNode('p1').receive({ topic: '', payload: 1 });
            helper.getNode('p1').receive({ topic: 'home/+/x', payload: 2 });
            const errs = await caught;
            assert.match(errs[0].error.message, /^(Error: )?Ereignis nicht veröffentlicht: Ereignistyp ist leer\./);
            assert.match(errs[1].error.message, /Ereignistyp "home\/\+\/x" enthält einen Platzhalter \(\+ oder #\)/);
        } finally {
            helper.settings({ lang: undefined });
        }
    });

    it('refuses an invalid event type through done(err), seen by a catch node, and keeps working', async function () {
        await helper.load(
            [hubNodes, catchNode],
            [TAB, HUB, pub('p1'), sub('s1', '#', ['out']), sink('out'), catcher(), sink('caught')],
        );
        const caught = take(helper.getNode('caught'), 4);
        const delivered = take(helper.getNode('out'), 1);
        const p = helper.getNode('p1');
        p.receive({ topic: '', payload: 1 });
        p.receive({ topic: 'home/+/x', payload: 2 });
        p.receive({ topic: 42, payload: 3 });
        p.receive({ payload: 4 });
        p.receive({ topic: 'fine', payload: 5 });
        const errs = await caught;
        assert.match(errs[0].error.message, /Event not published: event type is empty/);
        assert.match(errs[1].error.message, /contains a wildcard/);
        assert.match(errs[2].error.message, /must be a string, got 42/);
        assert.match(errs[3].error.message, /must be a string, got nothing/);
        assert.equal(errs[1].payload, 2, 'the refused message reaches the catch node intact');
        const [ok] = await delivered;
        assert.equal(ok.payload, 5);
    });

    it('gives two subscribers separate messages: one changing msg.payload does not touch the other', async function () {
        await helper.load(hubNodes, [
            TAB,
            HUB,
            pub('p1', 't'),
            sub('s1', 't', ['o1']),
            sub('s2', 't', ['o2']),
            sink('o1'),
            sink('o2'),
        ]);
        const g1 = take(helper.getNode('o1'), 1);
        const g2 = take(helper.getNode('o2'), 1);
        const original = { payload: { celsius: 21 } };
        helper.getNode('p1').receive(original);
        const [[m1], [m2]] = await Promise.all([g1, g2]);
        assert.notEqual(m1, m2);
        m1.payload = 'mine';
        assert.deepEqual(m2.payload, { celsius: 21 });
        assert.ok(!Object.isFrozen(original.payload), "the publisher's object is never frozen");
    });

    it('sends retained values to a subscriber deployed later', async function () {
        const flow = [TAB, HUB, pub('p1', 'home/kitchen/temperature', { retain: true })];
        await helper.load(hubNodes, flow);
        helper.getNode('p1').receive({ payload: 20 });
        helper.getNode('p1').receive({ payload: 21 });
        await helper.setFlows([...flow, sub('late', 'home/#', ['out']), sink('out')], 'nodes');
        const got = await take(helper.getNode('out'), 1);
        assert.equal(got[0].payload, 21);
        assert.equal(got[0].topic, 'home/kitchen/temperature');
    });

    it('reports an invalid pattern in the log and status instead of subscribing', async function () {
        await helper.load(hubNodes, [TAB, HUB, sub('s1', 'home/#/x', ['out']), sink('out')]);
        const s = helper.getNode('s1');
        const hub = helper.getNode('hub1').hub;
        assert.equal(hub.subscriberCount, 0);
        assert.ok(
            errorsLogged().some((m) =>
                /Not subscribed: patterns: pattern "home\/#\/x": # must be a whole level/.test(m),
            ),
            'error logged',
        );
        assert.ok(s);
    });

    it('reports a missing hub on input instead of crashing', async function () {
        await helper.load(
            [hubNodes, catchNode],
            [
                TAB,
                { id: 'p1', type: 'sensorhub-publish', z: 'f1', hub: '', eventType: 'x', wires: [] },
                { id: 'c1', type: 'catch', z: 'f1', scope: null, wires: [['caught']] },
                sink('caught'),
            ],
        );
        const caught = take(helper.getNode('caught'), 1);
        helper.getNode('p1').receive({ payload: 1 });
        const [err] = await caught;
        assert.match(err.error.message, /No hub configured/);
    });

    describe('flow control', function () {
        /** A node that holds every message until the test completes it, like a slow device call. */
        const held = [];
        function slowNodes(RED) {
            RED.nodes.registerType('test-slow', function (n) {
                RED.nodes.createNode(this, n);
                this.on('input', (msg, _send, done) => held.push({ msg, done }));
            });
        }
        beforeEach(function () {
            held.length = 0;
        });

        it('keeps at most a window in flight and a bounded queue, dropping by policy, then drains in order', async function () {
            await helper.load(
                [hubNodes, slowNodes],
                [
                    TAB,
                    HUB,
                    pub('p1', 't'),
                    sub('s1', 't', ['slow'], { queueLimit: 5, overflow: 'drop-oldest' }),
                    { id: 'slow', type: 'test-slow', z: 'f1' },
                ],
            );
            const p = helper.getNode('p1');
            for (let i = 1; i <= 30; i++) p.receive({ payload: i });
            await until(() => held.length >= 5, 'a window of messages in flight');
            const s = helper.getNode('hub1').hub;
            const [subscriber] = s.listSubscribers();
            assert.equal(held.length, 5, 'a window of queueLimit messages in flight');
            assert.equal(subscriber.queued, 5, 'then the bounded queue');
            assert.equal(subscriber.dropped, 20, 'and the rest dropped, counted');
            assert.deepEqual(
                held.map((h) => h.msg.payload),
                [1, 2, 3, 4, 5],
            );
            while (held.length < 10) {
                const next = held.find((h) => !h.completed);
                next.completed = true;
                next.done();
                await until(() => held.length >= 10 || held.some((h) => !h.completed), 'the next event in flight');
            }
            assert.deepEqual(
                held.map((h) => h.msg.payload),
                [1, 2, 3, 4, 5, 26, 27, 28, 29, 30],
                'drop-oldest kept the newest events',
            );
            assert.equal(s.stats().published, 30);
            assert.equal(s.stats().delivered + s.stats().dropped, 30);
        });

        it('adds one completion hook while controlled subscribers exist and removes it when they close', async function () {
            const HOOK = 'onComplete.sensorhub-flow-control';
            const flow = [TAB, HUB, pub('p1', 't'), sub('s1', 't', ['o']), sub('s2', 'u', ['o']), sink('o')];
            await helper.load(hubNodes, flow);
            assert.ok(hooks.has(HOOK));
            for (let i = 0; i < 20; i++) await helper.setFlows(flow, 'full');
            assert.ok(hooks.has(HOOK));
            await helper.setFlows([TAB, HUB, pub('p1', 't')], 'full');
            assert.ok(!hooks.has(HOOK), 'no subscriber left, no hook left');
        });

        it('keeps releasing through a chain of pairs that hand the same message on', async function () {
            const chain = [];
            for (let i = 1; i <= 3; i++) {
                chain.push(pub(`p${i}`, `hop/${i}`));
                chain.push(sub(`s${i}`, `hop/${i}`, [i < 3 ? `p${i + 1}` : 'out'], { queueLimit: 3 }));
            }
            // A sink that completes what it gets, as every real node does (the helper's own node type does not).
            const got = [];
            const doneSink = completing('test-done', got);
            await helper.load([hubNodes, doneSink], [TAB, HUB, ...chain, { id: 'out', type: 'test-done', z: 'f1' }]);
            const hub = helper.getNode('hub1').hub;
            for (let i = 0; i < 30; i++) {
                helper.getNode('p1').receive({ payload: i });
                await until(() => got.length === i + 1, `message ${i} through the chain`, 1000);
            }
            assert.deepEqual(
                got,
                Array.from({ length: 30 }, (_, i) => i),
            );
            for (const s of hub.listSubscribers()) {
                assert.equal(s.dropped, 0);
                assert.equal(s.pending, 0, 'every credit came back');
            }
        });

        it('gives no window to nodes that can never complete (old-style handlers): every event arrives', async function () {
            // Subflow instances take messages the same old way (Subflow.js: on('input', function (msg) ...)).
            const got = [];
            function legacyNodes(RED) {
                RED.nodes.registerType('test-legacy', function (n) {
                    RED.nodes.createNode(this, n);
                    // Before Node-RED 1.0 handlers took no done(): the runtime never completes their messages.
                    this.on('input', function (msg) {
                        got.push(msg.payload);
                    });
                });
            }
            await helper.load(
                [hubNodes, legacyNodes],
                [
                    TAB,
                    HUB,
                    pub('p1', 't'),
                    sub('s1', 't', ['legacy'], { queueLimit: 2, overflow: 'drop-newest' }),
                    { id: 'legacy', type: 'test-legacy', z: 'f1' },
                ],
            );
            for (let i = 1; i <= 6; i++) helper.getNode('p1').receive({ payload: i });
            await until(() => got.length === 6, 'six events past a window of two', 1000);
            assert.deepEqual(got, [1, 2, 3, 4, 5, 6]);
            const [s1] = helper.getNode('hub1').hub.listSubscribers();
            assert.equal(s1.dropped, 0);
            assert.equal(s1.maxInFlight, Infinity);
        });

        describe('with a downstream node that throws', function () {
            before(function () {
                // Give never-completed places back within 0.1-0.2 s instead of 15-30 s.
                helper.settings({ sensorhubSubscribeCompletionTimeout: 0.1 });
            });
            after(function () {
                helper.settings({});
            });

            it('keeps delivering: the places of thrown messages come back, the rest of the flow runs, counts add up', async function () {
                const seen = [];
                function throwingNodes(RED) {
                    RED.nodes.registerType('test-throws', function (n) {
                        RED.nodes.createNode(this, n);
                        this.on('input', (msg, _send, done) => {
                            seen.push(msg.payload);
                            if (msg.payload % 2 === 0) throw new Error(`cannot handle ${msg.payload}`);
                            done();
                        });
                    });
                }
                await helper.load(
                    [hubNodes, throwingNodes, catchNode],
                    [
                        TAB,
                        HUB,
                        pub('p1', 't'),
                        sub('s1', 't', ['thrower'], { queueLimit: 3, overflow: 'drop-newest' }),
                        sub('s2', 't', ['other']),
                        { id: 'thrower', type: 'test-throws', z: 'f1' },
                        { id: 'c1', type: 'catch', z: 'f1', scope: ['thrower'], wires: [['caught']] },
                        sink('other'),
                        sink('caught'),
                    ],
                );
                const other = collect(helper.getNode('other'));
                const caught = collect(helper.getNode('caught'));
                const hub = helper.getNode('hub1').hub;
                const s1 = hub.listSubscribers().find((s) => s.name === 's1');
                // One at a time, each waiting for the thrower: by the 7th, three thrown messages fill the window.
                for (let i = 1; i <= 12; i++) {
                    helper.getNode('p1').receive({ payload: i });
                    await until(() => seen.length === i, `event ${i} reaches the throwing node`, 2000);
                }
                assert.deepEqual(
                    seen,
                    Array.from({ length: 12 }, (_, i) => i + 1),
                );
                assert.equal(other.length, 12, 'the other subscriber got everything');
                await until(() => caught.length === 6, 'a catch node saw each throw', 2000);
                assert.equal(s1.dropped, 0);
                assert.equal(hub.stats().published, 12);
                assert.equal(hub.stats().delivered, 24, 'published x subscribers = delivered + dropped (none)');
                await until(() => s1.pending === 0, 'every place back', 2000);
                const warnings = helper
                    .log()
                    .args.filter((a) => a[0].level === helper.log().WARN && /not completed downstream/.test(a[0].msg));
                assert.equal(warnings.length, 1, 'one warning per deploy, not one per sweep');
            });
        });

        it('a slow subscriber does not hold back a fast one on the same events', async function () {
            await helper.load(
                [hubNodes, slowNodes],
                [
                    TAB,
                    HUB,
                    pub('p1', 't'),
                    sub('s1', 't', ['slow'], { queueLimit: 2 }),
                    sub('s2', 't', ['fast']),
                    { id: 'slow', type: 'test-slow', z: 'f1' },
                    sink('fast'),
                ],
            );
            const got = take(helper.getNode('fast'), 100);
            for (let i = 0; i < 100; i++) helper.getNode('p1').receive({ payload: i });
            assert.equal((await got).length, 100);
            assert.equal(held.length, 2);
        });

        for (const overflow of ['drop-oldest', 'drop-newest']) {
            it(`under a flood far faster than a slow subscriber takes (${overflow}), stays bounded, accounts for every event and keeps order, while a second subscriber gets them all`, async function () {
                this.timeout(60000);
                const LIMIT = 10;
                const PUBLISHED = 20_000;
                const BURST = 100;
                const slowGot = [];
                const fastGot = [];
                // A slow consumer: one message completed per timer tick, in arrival order, like a device that takes
                // its commands one at a time. The fast one completes each message at once.
                function consumers(RED) {
                    RED.nodes.registerType('test-one-by-one', function (n) {
                        RED.nodes.createNode(this, n);
                        const waiting = [];
                        let timer;
                        const next = () => {
                            const { msg, done } = waiting.shift();
                            slowGot.push(msg.payload);
                            done();
                            timer = waiting.length > 0 ? setTimeout(next, 1) : undefined;
                        };
                        this.on('input', (msg, _send, done) => {
                            waiting.push({ msg, done });
                            if (timer === undefined) timer = setTimeout(next, 1);
                        });
                        this.on('close', () => clearTimeout(timer));
                    });
                    RED.nodes.registerType('test-at-once', function (n) {
                        RED.nodes.createNode(this, n);
                        this.on('input', (msg, _send, done) => {
                            fastGot.push(msg.payload);
                            done();
                        });
                    });
                }
                await helper.load(
                    [hubNodes, consumers],
                    [
                        TAB,
                        HUB,
                        pub('p1', 't'),
                        sub('slow-sub', 't', ['slow'], { queueLimit: LIMIT, overflow }),
                        sub('fast-sub', 't', ['fast']),
                        { id: 'slow', type: 'test-one-by-one', z: 'f1' },
                        { id: 'fast', type: 'test-at-once', z: 'f1' },
                    ],
                );
                const hub = helper.getNode('hub1').hub;
                const slow = hub.listSubscribers().find((s) => s.name === 'slow-sub');
                const fast = hub.listSubscribers().find((s) => s.name === 'fast-sub');
                const p = helper.getNode('p1');
                let peakQueued = 0;
                let peakPending = 0;
                for (let i = 0; i < PUBLISHED;) {
                    for (const end = i + BURST; i < end; i++) {
                        p.receive({ payload: i });
                        peakQueued = Math.max(peakQueued, slow.queued);
                        peakPending = Math.max(peakPending, slow.pending);
                    }
                    await sleep(2);
                }
                assert.equal(
                    slow.delivered + slow.dropped + slow.queued,
                    PUBLISHED,
                    'at the end of the flood: published = delivered + dropped + still queued',
                );
                await until(
                    () => slow.queued === 0 && slow.pending === 0 && slowGot.length === slow.delivered,
                    'the slow subscriber drained',
                );
                await until(() => fastGot.length === PUBLISHED, 'every event at the fast subscriber');

                assert.equal(peakQueued, LIMIT, 'the queue filled up to its bound and never beyond');
                assert.ok(peakPending <= LIMIT, `at most a window in flight, not ${peakPending}`);
                assert.ok(slow.dropped > 0, 'the flood overran the slow subscriber');
                assert.equal(slowGot.length + slow.dropped, PUBLISHED, 'each event delivered or counted as dropped');
                assert.ok(
                    slowGot.every((v, i) => i === 0 || v > slowGot[i - 1]),
                    'delivered events keep their order',
                );
                if (overflow === 'drop-oldest') {
                    assert.deepEqual(
                        slowGot.slice(-LIMIT),
                        Array.from({ length: LIMIT }, (_, i) => PUBLISHED - LIMIT + i),
                        'nothing newer came to evict the newest events',
                    );
                } else {
                    assert.deepEqual(
                        slowGot.slice(0, 2 * LIMIT),
                        Array.from({ length: 2 * LIMIT }, (_, i) => i),
                        'a full queue refuses newcomers and never evicts what it holds',
                    );
                }
                assert.deepEqual(
                    fastGot,
                    Array.from({ length: PUBLISHED }, (_, i) => i),
                );
                assert.equal(fast.dropped, 0);
                const stats = hub.stats();
                assert.equal(stats.published, PUBLISHED);
                assert.equal(stats.delivered + stats.dropped, 2 * PUBLISHED);
                const text = `${slow.delivered} received · ${slow.dropped} dropped`;
                await until(() => lastStatus(helper.getNode('slow-sub'))?.text === text, `status "${text}"`);
                assert.equal(lastStatus(helper.getNode('slow-sub')).fill, 'yellow');
            });
        }
    });

    describe('bursts', function () {
        // A hub as a new one is saved: queue limit and overflow at their defaults.
        const DEFAULT_HUB = { id: 'hub1', type: 'sensorhub-hub', name: '', backend: 'local' };
        const split = (id, wires) => ({
            id,
            type: 'split',
            z: 'f1',
            splt: '\\n',
            spltType: 'str',
            arraySplt: 1,
            arraySpltType: 'len',
            stream: false,
            addname: '',
            wires: [wires],
        });
        const numbers = (n) => Array.from({ length: n }, (_, i) => i);
        const got = [];
        const held = [];
        const fastNode = completing('test-fast', got);
        function consumers(RED) {
            fastNode(RED);
            RED.nodes.registerType('test-holds', function (n) {
                RED.nodes.createNode(this, n);
                this.on('input', (msg, _send, done) => held.push({ msg, done }));
            });
        }
        beforeEach(function () {
            got.length = 0;
            held.length = 0;
        });
        /** split → publish → subscribe → a node of `type`, at the hub's defaults; splits an array of `n` numbers. */
        async function splitInto(type, n) {
            await helper.load(
                [hubNodes, splitNode, consumers],
                [
                    TAB,
                    DEFAULT_HUB,
                    split('sp', ['p1']),
                    pub('p1', 'batch'),
                    sub('s1', 'batch', ['target']),
                    { id: 'target', type, z: 'f1' },
                ],
            );
            helper.getNode('sp').receive({ payload: numbers(n) });
        }

        it('at the defaults, a split of 10,000 published in one turn reaches a fast flow whole, nothing dropped', async function () {
            this.timeout(60000);
            await splitInto('test-fast', 10_000);
            await until(() => got.length === 10_000, 'all 10,000 at the fast node', 30000);
            assert.deepEqual(got, numbers(10_000), 'every event, in order');
            const [s1] = helper.getNode('hub1').hub.listSubscribers();
            assert.equal(s1.dropped, 0);
            assert.equal(helper.getNode('hub1').hub.stats().published, 10_000);
            await until(() => s1.pending === 0, 'every credit back');
        });

        it('at the defaults, a flow that takes nothing still holds a bounded number and drops the rest by policy', async function () {
            this.timeout(60000);
            const LIMIT = 10_000;
            await splitInto('test-holds', 2.5 * LIMIT);
            const hub = helper.getNode('hub1').hub;
            await until(() => hub.stats().published === 2.5 * LIMIT, 'the whole split published', 30000);
            await until(() => held.length === LIMIT, 'a window of the default limit in flight', 30000);
            const [s1] = hub.listSubscribers();
            assert.equal(s1.pending, LIMIT);
            assert.equal(s1.queued, LIMIT, 'then a queue of the default limit');
            assert.equal(s1.dropped, 0.5 * LIMIT, 'and the rest dropped, counted');
            assert.equal(s1.delivered + s1.dropped + s1.queued, 2.5 * LIMIT);
            // Drop-oldest: what waits is the newest.
            held[0].done();
            await until(() => held.length === LIMIT + 1, 'the first place given back lets one more in');
            assert.equal(held[LIMIT].msg.payload, 1.5 * LIMIT, 'the oldest queued were dropped, the newest kept');
            await sleep(50);
            assert.equal(held.length, LIMIT + 1, 'nothing beyond the window');
        });
    });

    describe('what a subscriber may change', function () {
        const event = () => ({ payload: { value: 1, nested: { x: 0 } }, sensor: { id: 's1' } });
        const fn = (id, wires) => ({
            id,
            type: 'function',
            z: 'f1',
            func: 'msg.payload.value = 42; msg.payload.nested.x = 1; return msg;',
            outputs: 1,
            wires: [wires],
        });

        /** Loads a flow with sinks `changed` and `other`, publishes one event at p1; what each sink got. */
        async function publishOne(modules, nodes) {
            await helper.load(
                [hubNodes, ...modules],
                [TAB, HUB, pub('p1', 't'), ...nodes, sink('changed'), sink('other')],
            );
            const changed = take(helper.getNode('changed'), 1);
            const other = take(helper.getNode('other'), 1);
            helper.getNode('p1').receive(event());
            const [[c], [o]] = await Promise.all([changed, other]);
            return [c, o];
        }

        it('lets a function node change nested values in place, unseen by the other subscribers of the event', async function () {
            const [c, o] = await publishOne(
                [functionNode],
                [sub('s1', 't', ['fn']), fn('fn', ['changed']), sub('s2', 't', ['other'])],
            );
            assert.deepEqual(c.payload, { value: 42, nested: { x: 1 } });
            assert.deepEqual(o.payload, { value: 1, nested: { x: 0 } }, 'the other subscriber sees the original');
            assert.ok(!errorsLogged().some((m) => /read only/.test(m)), errorsLogged().join('\n'));
        });

        it('lets a function node change what a lone subscriber got through an earlier hub', async function () {
            // subscribe → publish hands the first hub's frozen values on unchanged, to a subscriber that owns the rest.
            const [c, o] = await publishOne(
                [functionNode],
                [
                    sub('s1', 't', ['p2']),
                    sub('s0', 't', ['other']),
                    pub('p2', 'b'),
                    sub('s2', 'b', ['fn']),
                    fn('fn', ['changed']),
                ],
            );
            assert.deepEqual(c.payload, { value: 42, nested: { x: 1 } });
            assert.deepEqual(o.payload, { value: 1, nested: { x: 0 } });
        });

        it('lets a change node set a nested property', async function () {
            const [c, o] = await publishOne(
                [changeNode],
                [
                    sub('s1', 't', ['ch']),
                    sub('s2', 't', ['other']),
                    {
                        id: 'ch',
                        type: 'change',
                        z: 'f1',
                        rules: [{ t: 'set', p: 'payload.value', pt: 'msg', to: '7', tot: 'num' }],
                        wires: [['changed']],
                    },
                ],
            );
            assert.equal(c.payload.value, 7);
            assert.equal(o.payload.value, 1);
        });

        it('gives debug nodes the shared frozen event, and a writer its own copy', async function () {
            const debug = (id) => ({ id, type: 'debug', z: 'f1', active: true, tosidebar: false, complete: 'false' });
            await helper.load(
                [hubNodes, debugNode, functionNode],
                [
                    TAB,
                    HUB,
                    pub('p1', 't'),
                    sub('s1', 't', ['d1']),
                    sub('s2', 't', ['d2']),
                    sub('s3', 't', ['fn']),
                    fn('fn', []),
                    debug('d1'),
                    debug('d2'),
                ],
            );
            const d1 = take(helper.getNode('d1'), 2);
            const d2 = take(helper.getNode('d2'), 2);
            const f = take(helper.getNode('fn'), 2);
            const p = helper.getNode('p1');
            p.receive(event());
            p.receive(event());
            const [m1, m2, mf] = await Promise.all([d1, d2, f]);
            for (let i = 0; i < 2; i++) {
                assert.ok(Object.isFrozen(m1[i].payload), 'a debug node gets frozen values');
                assert.equal(m1[i].payload, m2[i].payload, 'shared by every reader, not copied');
                assert.notEqual(mf[i].payload, m1[i].payload, 'the function node has its own copy');
            }
            const subs = helper.getNode('hub1').hub.listSubscribers();
            assert.deepEqual(
                subs.map((s) => [s.name, s.writable]),
                [
                    ['s1', false],
                    ['s2', false],
                    ['s3', true],
                ],
            );
        });
    });

    it('leaks no subscription over 100 redeploys of the subscriber', async function () {
        const base = [TAB, HUB, pub('p1', 't'), sink('out')];
        await helper.load(hubNodes, [...base, sub('s1', 't', ['out'])]);
        const hub = helper.getNode('hub1').hub;
        for (let i = 0; i < 100; i++) {
            await helper.setFlows([...base, sub('s1', i % 2 ? 't' : 't, u', ['out'], { name: `v${i}` })], 'nodes');
        }
        assert.equal(helper.getNode('hub1').hub, hub, 'the hub survives subscriber redeploys');
        assert.equal(hub.subscriberCount, 1);
        const got = take(helper.getNode('out'), 1);
        helper.getNode('p1').receive({ payload: 'after' });
        assert.equal((await got)[0].payload, 'after');
    });

    it('closes the hub and every subscription on a full redeploy', async function () {
        const flow = [TAB, HUB, pub('p1', 't'), sub('s1', 't', ['out']), sink('out')];
        await helper.load(hubNodes, flow);
        const first = helper.getNode('hub1').hub;
        await helper.setFlows(flow, 'full');
        assert.equal(first.subscriberCount, 0);
        assert.notEqual(helper.getNode('hub1').hub, first);
        assert.equal(helper.getNode('hub1').hub.subscriberCount, 1);
    });
});
