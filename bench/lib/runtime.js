'use strict';
// Embeds the real Node-RED runtime in this process, as users run it, with this
// package installed as a module. The test helper is not used: it stubs the
// runtime and is about thirty times slower per message, which would hide the
// very costs a benchmark is meant to show.
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const projectRoot = path.resolve(__dirname, '..', '..');
// Another build of the package (an older checkout, a candidate fix) can be measured with the same benchmarks.
const packageRoot = path.resolve(process.env.SENSORHUB_BENCH_PACKAGE || projectRoot);
const benchNodesDir = path.resolve(__dirname, '..', 'nodes');
// `node-red-5` (the devDependency alias) runs the same benchmarks on Node-RED 5, under Node 22.
const nodeRedModule = process.env.SENSORHUB_BENCH_NODE_RED || 'node-red';
const pkg = require(path.join(packageRoot, 'package.json'));

const START_TIMEOUT_MS = 30_000;

/**
 * Starts Node-RED with a fresh user directory. Resolves to a handle whose
 * `deploy`, `inject`, `getNode` and `stop` are all a benchmark needs.
 */
async function startRuntime(opts = {}) {
    const RED = require(nodeRedModule);
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sensorhub-bench-'));
    installThisPackage(userDir, opts.modules || []);
    fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');

    const server = http.createServer();
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });

    const settings = {
        userDir,
        flowFile: 'flows.json',
        // A fixed key: Node-RED neither generates one into .config.runtime.json nor prompts for one.
        credentialSecret: 'sensorhub-bench',
        // The editor and admin HTTP API are not needed: flows go through the runtime API.
        httpAdminRoot: false,
        httpNodeRoot: false,
        disableEditor: true,
        nodesDir: [benchNodesDir],
        logging: { console: { level: opts.logLevel || 'warn', metrics: false, audit: false } },
        // No update check or telemetry: the benchmark must not reach beyond loopback.
        telemetry: { enabled: false, updateNotification: false },
        externalModules: { autoInstall: false, palette: { allowInstall: false } },
        editorTheme: { tours: false },
        ...opts.settings,
    };

    RED.init(server, settings);
    // runtime.start() resolves before the stored flows have started; wait for them
    // so a later deploy cannot be mistaken for the initial one.
    const initialStart = flowsStarted(RED);
    await RED.start();
    await initialStart;

    const missing = ['sensorhub-hub', 'bench-sink'].filter((t) => !RED.nodes.getType(t));
    if (missing.length > 0) {
        await closeAll(RED, server, userDir);
        throw new Error(`node types not registered: ${missing.join(', ')} (did \`npm run build\` run?)`);
    }

    let stopped = false;
    return {
        RED,
        userDir,
        packageRoot,
        versions: { node: process.version, nodeRed: nodeRedVersion() },

        /** Replaces every flow with `flows` (a full deploy) and resolves once they have started. */
        async deploy(flows) {
            const started = flowsStarted(RED);
            await RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
            await started;
        },

        getNode(id) {
            const node = RED.nodes.getNode(id);
            if (!node) throw new Error(`no running node with id ${id}`);
            return node;
        },

        /** Hands `msg` to a node's input, as a wire from an upstream node would. */
        inject(nodeId, msg) {
            this.getNode(nodeId).receive(msg);
        },

        async stop() {
            if (stopped) return;
            stopped = true;
            await closeAll(RED, server, userDir);
        },
    };
}

/**
 * Links the project root into `<userDir>/node_modules` and lists it in the
 * user package.json, which is what `npm install` in the palette manager leaves behind.
 * `modules`: other node packages (the fair peers' nodes, devDependencies) installed the same way.
 */
function installThisPackage(userDir, modules) {
    const scopeDir = path.join(userDir, 'node_modules', ...pkg.name.split('/').slice(0, -1));
    fs.mkdirSync(scopeDir, { recursive: true });
    fs.symlinkSync(packageRoot, path.join(userDir, 'node_modules', pkg.name), 'dir');
    const dependencies = { [pkg.name]: pkg.version };
    for (const name of modules) {
        const dir = path.dirname(require.resolve(`${name}/package.json`, { paths: [projectRoot] }));
        fs.symlinkSync(dir, path.join(userDir, 'node_modules', name), 'dir');
        dependencies[name] = require(path.join(dir, 'package.json')).version;
    }
    const userPkg = { name: 'node-red-project', private: true, dependencies };
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify(userPkg, null, 4));
}

function nodeRedVersion() {
    return require(`${nodeRedModule}/package.json`).version;
}

function flowsStarted(RED) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            RED.runtime.events.removeListener('flows:started', onStarted);
            reject(new Error(`flows did not start within ${START_TIMEOUT_MS} ms`));
        }, START_TIMEOUT_MS);
        function onStarted() {
            clearTimeout(timer);
            resolve();
        }
        RED.runtime.events.once('flows:started', onStarted);
    });
}

async function closeAll(RED, server, userDir) {
    try {
        await RED.stop();
    } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(() => resolve()));
        fs.rmSync(userDir, { recursive: true, force: true });
    }
}

module.exports = { startRuntime, nodeRedVersion, projectRoot, packageRoot };
