'use strict';
const assert = require('node:assert/strict');
const { CLIENT_MAX_CHARS, watchRequest } = require('../../src/core/sidebar/watch');

describe('core/sidebar/watch', function () {
    it('a client id starts or renews a watch; watch: false ends it', function () {
        assert.deepEqual(watchRequest({ client: 'c1' }), { client: 'c1', watch: true });
        assert.deepEqual(watchRequest({ client: 'c1', watch: true }), { client: 'c1', watch: true });
        assert.deepEqual(watchRequest({ client: 'c1', watch: false }), { client: 'c1', watch: false });
        assert.deepEqual(watchRequest({ client: 'x'.repeat(CLIENT_MAX_CHARS) })?.client.length, CLIENT_MAX_CHARS);
    });

    it('refuses a body without a client id an editor would send', function () {
        for (const body of [
            undefined,
            null,
            {},
            { client: '' },
            { client: 7 },
            { client: 'x'.repeat(CLIENT_MAX_CHARS + 1) },
        ])
            assert.equal(watchRequest(body), undefined, JSON.stringify(body));
    });
});
