import type { Node, NodeAPI, NodeDef } from 'node-red';
import { SerialPort } from 'serialport';
import { parseSerialConfig, type SerialConfig, DEFAULT_REQUEST_TIMEOUT_MS } from './core/serial/config';
import { emptyStats, OfflineError, SerialConnection, type ConnectionState } from './core/serial/connection';
import type { SerialPortApi, SerialStateListener, SerialStatus, SerialUser } from './core/serial/user';
import { OversizedLines, serialStatus } from './core/serial/status';
import { configText } from './config-text';
import { statusText } from './adapter/status-text';
import { listSerialPorts, NODE_PORT_FS, type PortListing } from './core/serial/ports';
import type { ProblemParam } from './core/shared/texts';
import { editorSettings } from './editor-settings';

// Saved flows are user data: any field may be missing or of another type.
type SerialPortDef = NodeDef & Record<string, unknown>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type SerialPortNode = Node & Mutable<SerialPortApi>;

const TYPE = 'sensorhub-serial-port';

/** The config node's parts that the functions below share. */
interface Port {
    readonly RED: NodeAPI;
    readonly node: SerialPortNode;
    readonly path: string;
    /** Undefined when the configuration has a problem (then `node.configError` says it). */
    readonly config: SerialConfig | undefined;
    readonly users: Map<string, { node: SerialUser; onState: SerialStateListener | undefined }>;
    readonly lineListeners: Set<(line: string) => void>;
    readonly oversized: OversizedLines;
    connection?: SerialConnection;
}

export = function (RED: NodeAPI): void {
    function SerialPortConfigNode(this: SerialPortNode, def: SerialPortDef): void {
        RED.nodes.createNode(this, def);
        const parsed = parseSerialConfig(def);
        const config: SerialConfig | undefined = 'config' in parsed ? parsed.config : undefined;
        const configError = 'error' in parsed ? configText(RED, TYPE, parsed.problem) : undefined;
        const path = config?.path ?? (typeof def.path === 'string' ? def.path : '');
        this.path = path;
        this.mode = config?.mode ?? 'push';
        this.requestTimeoutMs = config?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
        this.configError = configError;
        if (configError !== undefined)
            this.error(RED._('sensorhub-serial-port.errors.config', { path, reason: configError }));
        const p: Port = {
            RED,
            node: this,
            path,
            config,
            users: new Map(),
            lineListeners: new Set(),
            oversized: new OversizedLines((count) => {
                // Only an open connection drops lines, and only a good configuration opens one.
                if (config)
                    this.warn(
                        RED._('sensorhub-serial-port.errors.oversized', { path, count, limit: config.maxLineLength }),
                    );
            }),
        };
        this.statusFor = (state) => statusFor(p, state);
        Object.defineProperty(this, 'state', {
            get: (): ConnectionState => p.connection?.state ?? 'closed',
        });
        this.register = (user, onState) => {
            register(p, user, onState);
        };
        this.deregister = (user, done) => {
            if (!p.users.delete(user.id)) done();
            else if (p.users.size === 0) void stop(p).then(done);
            else done();
        };
        this.request = (command, timeoutMs) => request(p, command, timeoutMs);
        this.onLine = (listener) => {
            p.lineListeners.add(listener);
            return () => {
                p.lineListeners.delete(listener);
            };
        };
        this.stats = () => p.connection?.stats() ?? emptyStats();
        this.on('close', (_removed: boolean, done: () => void) => {
            p.users.clear();
            p.lineListeners.clear();
            void stop(p).then(done);
        });
    }
    RED.nodes.registerType(TYPE, SerialPortConfigNode, editorSettings(TYPE));

    // The edit dialog's port picker. Listing ports reveals the machine's hardware: same permission as reading flows.
    RED.httpAdmin.get(
        '/sensorhub/serial-ports',
        RED.auth.needsPermission('sensorhub-serial-port.read'),
        (_req, res) => {
            const deps = { list: () => SerialPort.list(), fs: NODE_PORT_FS, configured: configuredPaths(RED) };
            void listSerialPorts(deps).then((listing) => res.json(listingJson(RED, listing)));
        },
    );
};

function statusFor(p: Port, state: ConnectionState): SerialStatus {
    const view = serialStatus(state, p.path, p.node.configError !== undefined);
    return { fill: view.fill, shape: view.shape, text: statusText(p.RED, TYPE, view.text) };
}

function notify(p: Port, state: ConnectionState): void {
    const status = statusFor(p, state);
    for (const { node, onState } of p.users.values()) {
        if (onState) onState(state, status);
        else node.status(status);
    }
}

/** The first user opens the connection; every user is told its state at once. */
function register(p: Port, user: SerialUser, onState: SerialStateListener | undefined): void {
    p.users.set(user.id, { node: user, onState });
    if (p.users.size === 1) start(p);
    const status = statusFor(p, p.connection?.state ?? 'closed');
    if (onState) onState(p.node.state, status);
    else user.status(status);
}

function start(p: Port): void {
    if (!p.config || p.connection) return;
    const { RED, node, path } = p;
    const conn = new SerialConnection(p.config);
    p.connection = conn;
    let wasOpen = false;
    conn.on('state', (state: ConnectionState) => {
        if (state === 'open') {
            node.log(
                RED._(wasOpen ? 'sensorhub-serial-port.log.reopened' : 'sensorhub-serial-port.log.open', { path }),
            );
            wasOpen = true;
        } else if (state === 'disconnected' && wasOpen) {
            node.warn(RED._('sensorhub-serial-port.log.disconnected', { path }));
        }
        notify(p, state);
    });
    conn.on('error', (err: Error) => {
        node.error(RED._('sensorhub-serial-port.errors.port', { path, reason: err.message }));
    });
    conn.on('oversized', () => {
        p.oversized.count();
    });
    conn.onLine((line) => {
        for (const listener of p.lineListeners) listener(line);
    });
    conn.open();
}

async function stop(p: Port): Promise<void> {
    const conn = p.connection;
    p.connection = undefined;
    p.oversized.stop();
    if (conn) {
        conn.removeAllListeners('state');
        await conn.close();
    }
}

function request(p: Port, command: string, timeoutMs: number | undefined): Promise<string> {
    const { RED, path, node } = p;
    if (node.configError !== undefined)
        return Promise.reject(
            new Error(RED._('sensorhub-serial-port.errors.config', { path, reason: node.configError })),
        );
    if (!p.connection)
        return Promise.reject(new OfflineError(RED._('sensorhub-serial-port.errors.not-registered', { path })));
    return p.connection.request(command, timeoutMs ?? node.requestTimeoutMs);
}

/** The paths of the deployed serial port config nodes. */
function configuredPaths(RED: NodeAPI): string[] {
    const paths: string[] = [];
    RED.nodes.eachNode((n) => {
        const path = (n as NodeDef & { path?: unknown }).path;
        if (n.type === 'sensorhub-serial-port' && typeof path === 'string') paths.push(path.trim());
    });
    return paths;
}

/**
 * Reasons are said in the runtime's language; the dialog says the sentence
 * around them in the browser's, from the error's code and these parameters.
 */
function listingJson(RED: NodeAPI, listing: PortListing): object {
    const say = (p: ProblemParam): string =>
        typeof p === 'object' ? configText(RED, 'sensorhub-serial-port', p) : String(p);
    const { ports, serialportFailure, error } = listing;
    return {
        ports,
        serialportFailure: serialportFailure === undefined ? undefined : say(serialportFailure),
        error:
            error === undefined
                ? undefined
                : {
                      code: error.code,
                      params: Object.fromEntries(Object.entries(error.params).map(([k, v]) => [k, say(v)])),
                      message: say(error),
                  },
    };
}
