'use strict';
// A pair of linked pseudo-terminals from socat: what one side writes, the other reads, like a serial cable.
// The paths are stable symlinks, so stopping socat and starting it again on the same links is an unplug and a
// replug: the node under test keeps its configured path and must find the device again by itself.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/**
 * Resolves when `check()` is true, polling every 10 ms; rejects naming `what` after `ms`.
 * @param {() => boolean} check
 * @param {string} what
 * @param {number} [ms]
 */
async function until(check, what, ms = 10000) {
    const deadline = Date.now() + ms;
    while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
    }
}

class PtyPair {
    /**
     * `socat` is the executable's path; the links are `dev` and `sim` in `dir`, a new temp dir by default, or the
     * paths in `links` ({devPath, simPath}) given.
     * @param {string} [socat]
     * @param {string} [dir]
     * @param {{ devPath: string, simPath: string }} [links]
     */
    constructor(socat = 'socat', dir = undefined, links = undefined) {
        this.socat = socat;
        this.ownsDir = dir === undefined && links === undefined;
        const home = links ? undefined : (dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-pty-')));
        this.dir = home;
        /** The side the node under test opens. */
        this.devPath = links ? links.devPath : path.join(/** @type {string} */ (home), 'dev');
        /** The side the device simulator opens. */
        this.simPath = links ? links.simPath : path.join(/** @type {string} */ (home), 'sim');
        /** @type {import('node:child_process').ChildProcessByStdio<null, null, import('node:stream').Readable> | undefined} */
        this.proc = undefined;
        this.log = '';
    }

    /** Starts socat and resolves once both links exist and it is passing data. */
    async start() {
        if (this.proc) throw new Error('socat is already running');
        const proc = spawn(
            this.socat,
            ['-d', '-d', `pty,raw,echo=0,link=${this.devPath}`, `pty,raw,echo=0,link=${this.simPath}`],
            { stdio: ['ignore', 'ignore', 'pipe'] },
        );
        this.proc = proc;
        let ready = false;
        let exited = false;
        proc.stderr.on('data', (d) => {
            this.log += d.toString();
            if (this.log.includes('starting data transfer loop')) ready = true;
        });
        proc.on('error', (err) => {
            exited = true;
            this.log += `${err.message}\n`;
            if (this.proc === proc) this.proc = undefined;
        });
        proc.on('exit', () => {
            exited = true;
            if (this.proc === proc) this.proc = undefined;
        });
        await until(() => ready || exited, 'socat to start');
        if (exited) throw new Error(`socat did not start:\n${this.log}`);
        await until(() => fs.existsSync(this.devPath) && fs.existsSync(this.simPath), 'the pty links');
    }

    /** Stops socat (both ptys vanish, as an unplugged adapter does) and waits for its links to go. */
    async stop() {
        const proc = this.proc;
        if (!proc) return;
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        await exited;
        this.proc = undefined;
        // socat removes its links on a clean exit; make sure, so a replug is really a new device.
        for (const p of [this.devPath, this.simPath]) fs.rmSync(p, { force: true });
    }

    /** Unplug, then plug in again on the same paths. */
    async restart() {
        await this.stop();
        await this.start();
    }

    /** Stops socat and removes the temp dir it made. */
    async dispose() {
        await this.stop();
        if (this.ownsDir && this.dir !== undefined) fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

module.exports = { PtyPair };
