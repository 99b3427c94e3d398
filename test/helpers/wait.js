'use strict';

/**
 * Resolves when `check()` (which may return a promise) is true, polling every 10 ms; rejects naming `what` after
 * `ms`. Not a timing assertion: `ms` only bounds how long a broken test hangs.
 */
async function until(check, what, ms = 10000) {
    const deadline = Date.now() + ms;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
    }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { until, sleep };
