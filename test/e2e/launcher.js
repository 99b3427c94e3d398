'use strict';
// Runs a real Node-RED (4 on this Node, or 5 on Node 22) as a child process with this package installed the way
// users get it: from the tarball `npm pack` makes, into the user directory. Shared by the e2e tests, bench/ and
// `npm start`, so everything they check is what a user would install.
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const pkg = require(path.join(root, 'package.json'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const STAMP_FILE = '.sensorhub-install.json';
const STOP_GRACE_MS = 10000;
// `npm start` runs for days: only the tail of the log is kept, addressed by absolute offsets (see mark()).
const LOG_LIMIT = 8 * 1024 * 1024;
// The Node-RED a caller gets without asking; scripts/node22.js sets node-red-5 for its runs.
const DEFAULT_NODE_RED = process.env.SENSORHUB_NODE_RED || 'node-red';

// Node-RED's own defaults reach for the network (palette catalogue, telemetry) and greet a new editor with a tour
// and a modal consent dialog; none of that belongs in a test or a local demo. The log language is pinned because
// readiness is read from log lines.
const DEFAULT_SETTINGS = {
    'editorTheme.tours': false,
    'editorTheme.palette.catalogues': [],
    'telemetry.enabled': false,
    lang: 'en-US',
};

const live = new Set();
process.on('exit', () => {
    // Last resort when the parent dies without calling stop(): a Node-RED left running would hold its port and
    // user directory. Only synchronous work is possible here.
    for (const proc of live) proc.kill('SIGKILL');
});

function run(cmd, args, options) {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('error', reject);
        child.on('close', (code) => {
            if (code === 0) resolve(out);
            else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${out}\n${err}`));
        });
    });
}

let packPromise = null;

/** Packs this package once per process (prepack builds it) and resolves to the .tgz path. */
function packTarball() {
    if (!packPromise) {
        packPromise = (async () => {
            // Per process: concurrent runs in one checkout (a test and `npm start`) must not remove each other's tarball.
            const dest = path.join(root, '.tmp', `pack-${process.pid}`);
            process.once('exit', () => fs.rmSync(dest, { recursive: true, force: true }));
            // The name is computed rather than read from npm's output, which the prepack build also writes into;
            // removing the old file first keeps a stale tarball from passing for a fresh one.
            const name = `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
            const tgz = path.join(dest, name);
            fs.mkdirSync(dest, { recursive: true });
            fs.rmSync(tgz, { force: true });
            await run(npm, ['pack', '--pack-destination', dest], { cwd: root });
            if (!fs.existsSync(tgz)) throw new Error(`npm pack did not produce ${tgz}`);
            return tgz;
        })();
        // A failed pack must not poison later callers in a long-lived process.
        packPromise.catch(() => (packPromise = null));
    }
    return packPromise;
}

function installedPackageDir(userDir) {
    return path.join(userDir, 'node_modules', ...pkg.name.split('/'));
}

/** Installs the tarball into userDir unless that very tarball (by content) is already installed there. */
async function installInto(userDir, tgz) {
    const sha256 = crypto.createHash('sha256').update(fs.readFileSync(tgz)).digest('hex');
    const stampPath = path.join(userDir, STAMP_FILE);
    let stamp = null;
    try {
        stamp = JSON.parse(fs.readFileSync(stampPath, 'utf8'));
    } catch {
        stamp = null;
    }
    const installed = fs.existsSync(path.join(installedPackageDir(userDir), 'package.json'));
    if (installed && stamp && stamp.sha256 === sha256) return false;

    const userPkg = path.join(userDir, 'package.json');
    if (!fs.existsSync(userPkg)) {
        // The same minimal manifest Node-RED writes into a new user directory.
        const manifest = {
            name: 'node-red-project',
            description: 'A Node-RED Project',
            version: '0.0.1',
            private: true,
        };
        fs.writeFileSync(userPkg, JSON.stringify(manifest, null, 4) + '\n');
    }
    // The old stamp goes first so that a failed install is never mistaken for a finished one.
    fs.rmSync(stampPath, { force: true });
    await run(npm, ['install', '--no-audit', '--no-fund', '--no-update-notifier', '--prefer-offline', tgz], {
        cwd: userDir,
    });
    fs.writeFileSync(stampPath, JSON.stringify({ tgz, sha256 }, null, 4) + '\n');
    return true;
}

/** The node types the installed package registers, read from its editor files so a new node is covered unasked. */
function registeredTypes(packageDir) {
    const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
    const types = [];
    for (const file of Object.values(manifest['node-red'].nodes)) {
        const html = fs.readFileSync(path.join(packageDir, file.replace(/\.js$/, '.html')), 'utf8');
        for (const m of html.matchAll(/RED\.nodes\.registerType\(\s*['"]([^'"]+)['"]/g)) types.push(m[1]);
    }
    return types;
}

/**
 * Importable examples leave nodes off any tab (the editor drops them onto the open one), but the runtime silently
 * ignores a positioned node whose tab does not exist. This puts such nodes on a new tab named after the first
 * comment, and returns the flows unchanged when nothing needs a tab.
 */
function onTab(flows, label) {
    const containers = new Set(flows.filter((n) => n.type === 'tab' || n.type === 'subflow').map((n) => n.id));
    const loose = (n) => 'x' in n && 'y' in n && !containers.has(n.z);
    if (!flows.some(loose)) return flows;
    const comment = flows.find((n) => n.type === 'comment' && n.name);
    const tab = {
        id: crypto.randomBytes(8).toString('hex'),
        type: 'tab',
        label: label || (comment ? comment.name : 'Sensor Hub'),
        disabled: false,
        info: '',
    };
    return [tab, ...flows.map((n) => (loose(n) ? { ...n, z: tab.id } : n))];
}

/**
 * Example files for one deploy, as importing them one after the other leaves them: each on its own tab (labelled
 * `label`, else its file name) and the config nodes they share (one hub id) once.
 * @param {Array<string|{file: string, label?: string}>} files names in examples/
 */
function examplesOnTabs(files) {
    const seen = new Set();
    return files
        .map((f) => (typeof f === 'string' ? { file: f } : f))
        .flatMap(({ file, label }) =>
            onTab(JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8')), label || file),
        )
        .filter((n) => !seen.has(n.id) && seen.add(n.id));
}

/**
 * `flows` with the environment variable `name` of every tab that defines it set to the text `value`: how a test or
 * the demo points an example at files of its own (the SQLite example's database) without changing anything else.
 */
function withTabEnv(flows, name, value) {
    const set = (e) => (e.name === name ? { name, value: String(value), type: 'str' } : e);
    return flows.map((n) =>
        n.type === 'tab' && Array.isArray(n.env) && n.env.some((e) => e.name === name)
            ? { ...n, env: n.env.map(set) }
            : n,
    );
}

function settingsArgs(settings) {
    const args = [];
    for (const [key, value] of Object.entries(settings)) {
        if (value !== undefined) args.push('-D', `${key}=${JSON.stringify(value)}`);
    }
    return args;
}

function defaultNodeBin(nodeRed) {
    if (nodeRed === 'node-red-5') return require(path.join(root, 'scripts', 'node22.js')).ensureNode22();
    return process.execPath;
}

function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts Node-RED and resolves once its Admin API answers.
 * @param {object} [opts]
 * @param {number} [opts.port] 0 lets the OS pick a free port, read back from Node-RED's log
 * @param {string} [opts.host]
 * @param {string} [opts.userDir] kept afterwards; without it a temporary one is made and removed by stop()
 * @param {'node-red'|'node-red-5'} [opts.nodeRed] defaults to $SENSORHUB_NODE_RED, then node-red (4)
 * @param {string} [opts.nodeBin]
 * @param {boolean} [opts.install] install this package from its npm pack tarball
 * @param {object[]} [opts.flows] deployed once Node-RED is up
 * @param {object} [opts.settings] setting path → value, passed as -D over the defaults here (undefined drops one)
 * @param {boolean} [opts.echo] also stream Node-RED's output to this process's stdout/stderr
 * @param {number} [opts.startTimeout] ms
 */
async function startNodeRed(opts = {}) {
    const {
        port = 0,
        host = '127.0.0.1',
        nodeRed = DEFAULT_NODE_RED,
        install = true,
        flows,
        settings = {},
        echo = false,
        startTimeout = 60000,
    } = opts;
    const nodeBin = opts.nodeBin || defaultNodeBin(nodeRed);
    const ownsUserDir = !opts.userDir;
    const userDir = opts.userDir
        ? path.resolve(opts.userDir)
        : fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-node-red-'));
    fs.mkdirSync(userDir, { recursive: true });

    const removeUserDir = () => {
        if (ownsUserDir) fs.rmSync(userDir, { recursive: true, force: true });
    };

    try {
        if (install) await installInto(userDir, await packTarball());
    } catch (err) {
        removeUserDir();
        throw err;
    }

    const redJs = path.join(root, 'node_modules', nodeRed, 'red.js');
    const args = [
        redJs,
        '-u',
        userDir,
        '-p',
        String(port),
        ...settingsArgs({ uiHost: host, ...DEFAULT_SETTINGS, ...settings }),
    ];
    const proc = spawn(nodeBin, args, { cwd: userDir, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);

    let logText = '';
    let logStart = 0;
    const mark = () => logStart + logText.length;
    const log = (from = 0) => logText.slice(Math.max(0, from - logStart));
    const exited = new Promise((resolve) => {
        proc.on('exit', (code, signal) => {
            live.delete(proc);
            resolve({ code, signal });
        });
    });
    let spawnError = null;
    proc.on('error', (err) => (spawnError = err));
    for (const [stream, target] of [
        [proc.stdout, process.stdout],
        [proc.stderr, process.stderr],
    ]) {
        stream.setEncoding('utf8');
        stream.on('data', (d) => {
            logText += d;
            if (logText.length > LOG_LIMIT) {
                const drop = logText.length - LOG_LIMIT / 2;
                logText = logText.slice(drop);
                logStart += drop;
            }
            if (echo) target.write(d);
        });
    }
    const isRunning = () => proc.exitCode === null && proc.signalCode === null && !spawnError;

    let stopping = null;
    const stop = () => {
        if (!stopping) {
            stopping = (async () => {
                if (isRunning()) {
                    proc.kill('SIGINT');
                    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
                    await exited;
                    clearTimeout(timer);
                }
                live.delete(proc);
                removeUserDir();
            })();
        }
        return stopping;
    };

    const failure = (what) =>
        new Error(`${what}\n--- ${nodeRed} (${nodeBin} ${args.join(' ')}) log ---\n${log()}${spawnError || ''}`);

    const handle = {
        url: null,
        port: null,
        userDir,
        proc,
        /** Node-RED's output so far, or since a mark(). */
        log,
        /** A position in the log, for log(position) to return only what came after it. */
        mark,
        stop,
        async request(method, urlPath, body, headers = {}) {
            const init = { method, headers: { Accept: 'application/json', ...headers } };
            if (body !== undefined) {
                init.headers['Content-Type'] = 'application/json';
                init.body = typeof body === 'string' ? body : JSON.stringify(body);
            }
            const res = await fetch(new URL(urlPath.replace(/^\//, ''), handle.url), init);
            const text = await res.text();
            let parsed = text;
            if ((res.headers.get('content-type') || '').includes('json')) {
                try {
                    parsed = JSON.parse(text);
                } catch {
                    parsed = text;
                }
            }
            return { status: res.status, headers: res.headers, body: parsed };
        },
        /** Full deploy of `newFlows` (loose nodes go on a new tab, see onTab); resolves once they have started. */
        async deploy(newFlows, timeout = 30000) {
            // POST /flows answers before the new flows have started, so completion is read from the log: a full
            // deploy logs "Updated flows" and then "Started flows" (a start at boot logs no "Updated flows").
            const from = mark();
            const res = await handle.request('POST', '/flows', onTab(newFlows), {
                'Node-RED-Deployment-Type': 'full',
                'Node-RED-API-Version': 'v1',
            });
            if (res.status !== 200 && res.status !== 204) {
                throw failure(`deploy failed: HTTP ${res.status} ${JSON.stringify(res.body)}`);
            }
            const deadline = Date.now() + timeout;
            for (;;) {
                const since = log(from);
                // English, or German for a runtime started with lang: 'de' (Node-RED's own de catalog).
                const updated = Math.max(since.indexOf('Updated flows'), since.indexOf('Flows aktualisiert'));
                const started = Math.max(
                    since.indexOf('Started flows', updated),
                    since.indexOf('Flows sind gestartet', updated),
                );
                if (updated !== -1 && started !== -1) return res.body;
                if (since.includes('Waiting for missing types') || since.includes('Warten auf Registrierung fehlender'))
                    throw failure('deployed flows have missing types');
                if (!isRunning()) throw failure('Node-RED exited during deploy');
                if (Date.now() > deadline) throw failure(`flows did not start within ${timeout} ms`);
                await sleep(50);
            }
        },
    };

    try {
        const deadline = Date.now() + startTimeout;
        for (;;) {
            if (!handle.url) {
                // The logged address carries the port the OS picked for -p 0 and any httpAdminRoot.
                const m = /(?:Server now running at|Server wird jetzt auf) (https?:\/\/\S+?:(\d+)(\/\S*)?)\s/.exec(
                    log(),
                );
                if (m) {
                    handle.url = m[1].endsWith('/') ? m[1] : `${m[1]}/`;
                    handle.port = Number(m[2]);
                }
            }
            if (handle.url) {
                const ok = await fetch(new URL('settings', handle.url), { headers: { Accept: 'application/json' } })
                    .then((r) => r.ok)
                    .catch(() => false);
                if (ok) break;
            }
            if (!isRunning()) throw failure('Node-RED exited before it was ready');
            if (Date.now() > deadline) throw failure(`Node-RED was not ready within ${startTimeout} ms`);
            await sleep(100);
        }
        if (flows) await handle.deploy(flows);
    } catch (err) {
        await stop();
        throw err;
    }
    return handle;
}

module.exports = {
    root,
    DEFAULT_NODE_RED,
    packTarball,
    startNodeRed,
    installedPackageDir,
    registeredTypes,
    onTab,
    examplesOnTabs,
    withTabEnv,
};
