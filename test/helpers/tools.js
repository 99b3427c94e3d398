'use strict';
// System tests need real programs (a browser, a pty pair, a broker). A developer without one still gets every
// other test; CI, which must prove the whole system, fails instead of quietly skipping.
const fs = require('node:fs');
const path = require('node:path');

const DEBIAN_PACKAGES = { chromium: 'chromium', socat: 'socat', mosquitto: 'mosquitto' };
// Debian installs daemons such as mosquitto into sbin, which is not on an ordinary user's PATH.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The absolute path of an executable `name` on PATH (or in sbin), or null. */
function which(name) {
    const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
    for (const dir of [...dirs, ...SBIN_DIRS]) {
        const file = path.join(dir, name);
        try {
            fs.accessSync(file, fs.constants.X_OK);
            if (fs.statSync(file).isFile()) return file;
        } catch {
            // missing or not executable here: keep looking
        }
    }
    return null;
}

// What ctx.skip() will skip: a whole suite from a before-all hook, otherwise one test.
function skippedTitle(ctx) {
    const runnable = ctx.test;
    if (!runnable) return '';
    if (runnable.type === 'hook' && /before all/.test(runnable.title)) {
        return `every test in ${runnable.parent.fullTitle()}`;
    }
    return (ctx.currentTest || runnable).fullTitle();
}

/**
 * Returns the path of tool `name`, or skips the calling mocha test/hook (`ctx` is its `this`) with a warning that
 * cannot be missed. In CI (CI=true) a missing tool is an error.
 */
function needTool(ctx, name) {
    const found = which(name);
    if (found) return found;
    const install = `apt-get install ${DEBIAN_PACKAGES[name] || name}`;
    if (process.env.CI === 'true') {
        throw new Error(`${name} is required in CI but was not found on PATH; install it with: ${install}`);
    }
    const title = skippedTitle(ctx) || `tests needing ${name}`;
    const bar = '!'.repeat(78);
    process.stderr.write(
        [
            '',
            bar,
            `!!! SKIPPED: ${title}`,
            `!!! because ${name} is not installed (not found on PATH).`,
            `!!! These tests did NOT run. Install it with: ${install}`,
            `!!! (In CI, where CI=true, this is an error instead of a skip.)`,
            bar,
            '',
        ].join('\n') + '\n',
    );
    ctx.skip();
    return null;
}

module.exports = { which, needTool };
