'use strict';
const assert = require('node:assert/strict');
const { EventHub } = require('../../src/core/hub/hub');
const { saveRetained, restoreRetained } = require('../../src/core/hub/retained-store');
const { fieldsOf } = require('../helpers/types');

/** What a file store does to a value: JSON there and back. */
const throughJson = (v) => JSON.parse(JSON.stringify(v));

describe('core/retained-store', function () {
    it('keeps retained events through JSON, Buffers included, frozen as a hub keeps them', function () {
        const hub = new EventHub({ idPrefix: 'h' });
        hub.publish('t/1', { payload: 21.5, sensor: { id: 's', unit: '°C' } }, 'pub', true);
        hub.publish('t/2', { payload: Buffer.from('hi') }, 'pub', true);
        const restored = fieldsOf(restoreRetained(throughJson(saveRetained(hub.retainedEvents(), hub.lastSeq))));
        assert.equal(restored.seq, 2);
        assert.equal(restored.skipped, 0);
        const [a, b] = restored.events;
        assert.deepEqual(
            [a.topic, a.payload, a.sensor, a.event.source, a.event.id],
            ['t/1', 21.5, a.sensor, 'pub', 'h-1'],
        );
        assert.deepEqual(a.sensor, { id: 's', unit: '°C' });
        assert.ok(Object.isFrozen(a) && Object.isFrozen(a.sensor) && Object.isFrozen(a.event));
        assert.ok(Buffer.isBuffer(b.payload));
        assert.equal(b.payload.toString(), 'hi');
    });

    it('leaves the HTTP request and response behind', function () {
        const hub = new EventHub();
        const req = { socket: {} };
        hub.publish('x', { payload: 1, req, res: {} }, 'p', true);
        const saved = saveRetained(hub.retainedEvents(), 0);
        assert.equal(saved.events[0].req, undefined);
        assert.equal(saved.events[0].res, undefined);
        assert.equal(fieldsOf(hub.getRetained('x')).req, req, 'the hub keeps its own event as it was');
    });

    it('takes only valid events from what the store holds, and nothing from what is not a saved set', function () {
        for (const raw of [undefined, null, 5, 'x', [], { v: 2, events: [] }, { v: 1 }, { v: 1, events: {} }])
            assert.equal(restoreRetained(raw), undefined, JSON.stringify(raw));
        const event = { type: 'a', id: 'h-1', ts: 1, source: 'p' };
        const restored = fieldsOf(
            restoreRetained({
                v: 1,
                seq: -3,
                events: [
                    null,
                    [],
                    { topic: 'a/#', event },
                    { topic: 7, event },
                    { topic: 'a' },
                    { topic: 'a', payload: 1, event: { id: 5, ts: 'later' } },
                ],
            }),
        );
        assert.equal(restored.seq, 0);
        assert.equal(restored.skipped, 5);
        assert.deepEqual(restored.events[0].event, { type: 'a', id: '', ts: 0, source: '' });
    });
});
