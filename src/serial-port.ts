import type { Node, NodeAPI, NodeDef } from 'node-red';
import { SerialPort } from 'serialport';
import { parseSerialConfig, type SerialConfig, DEFAULT_REQUEST_TIMEOUT_MS } from './core/serial/config';
import { emptyStats, OfflineError, SerialConnection, type ConnectionState } from './core/serial/connection';
import type { SerialPortApi, SerialStateListener, SerialStatus, SerialUser } from './core/serial/user';
import { configText } from './config-text';
import { listSerialPorts, NODE_PORT_FS, type PortListing } from './core/serial/ports';
import type { ProblemParam } from './core/shared/texts';
import { editorSettings } from './editor-settings';

// Saved flows are user data: any field may be missing or of another type.
type SerialPortDef = NodeDef & Record<string, unknown>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type SerialPortNode = Node & Mutable<SerialPortApi>;

/** Oversized-line warnings are summed up at most this often. */
const OVERSIZED_WARN_MS = 10_000;

export = function (RED: NodeAPI): void {
    function SerialPortConfigNode(this: SerialPortNode, def: SerialPortDef): void {
        RED.nodes.createNode(this, def);
        const parsed = parseSerialConfig(def);
        const config: SerialConfig | undefined = 'config' in parsed ? parsed.config : undefined;
        const configError = 'error' in parsed ? configText(RED, 'sensorhub-serial-port', parsed.problem) : undefined;
        const path = config?.path ?? (typeof def.path === 'string' ? def.path : '');
        this.path = path;
        this.mode = config?.mode ?? 'push';
        this.requestTimeoutMs = config?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
        this.configError = configError;
        if (configError !== undefined)
            this.error(RED._('sensorhub-serial-port.errors.config', { path, reason: configError }));

        const users = new Map<string, { node: SerialUser; onState: SerialStateListener | undefined }>();
        let connection: SerialConnection | undefined;
        const lineListeners = new Set<(line: string) => void>();
        let oversizedSince = 0;
        let oversizedTimer: NodeJS.Timeout | undefined;

        const statusFor = (state: ConnectionState): SerialStatus => {
            if (configError !== undefined)
                return { fill: 'red', shape: 'ring', text: RED._('sensorhub-serial-port.status.bad-config') };
            switch (state) {
                case 'opening':
                    return {
                        fill: 'yellow',
                        shape: 'ring',
                        text: RED._('sensorhub-serial-port.status.opening', { path }),
                    };
                case 'open':
                    return { fill: 'green', shape: 'dot', text: RED._('sensorhub-serial-port.status.open', { path }) };
                case 'disconnected':
                    return {
                        fill: 'red',
                        shape: 'ring',
                        text: RED._('sensorhub-serial-port.status.disconnected', { path }),
                    };
                case 'closed':
                    return {
                        fill: 'grey',
                        shape: 'ring',
                        text: RED._('sensorhub-serial-port.status.closed', { path }),
                    };
            }
        };
        this.statusFor = statusFor;

        const notify = (state: ConnectionState): void => {
            const status = statusFor(state);
            for (const { node, onState } of users.values()) {
                if (onState) onState(state, status);
                else node.status(status);
            }
        };

        const warnOversized = (): void => {
            oversizedTimer = undefined;
            if (oversizedSince === 0 || !config) return;
            this.warn(
                RED._('sensorhub-serial-port.errors.oversized', {
                    path,
                    count: oversizedSince,
                    limit: config.maxLineLength,
                }),
            );
            oversizedSince = 0;
            oversizedTimer = setTimeout(warnOversized, OVERSIZED_WARN_MS);
        };

        const start = (): void => {
            if (!config || connection) return;
            const conn = new SerialConnection(config);
            connection = conn;
            let wasOpen = false;
            conn.on('state', (state: ConnectionState) => {
                if (state === 'open') {
                    this.log(
                        RED._(wasOpen ? 'sensorhub-serial-port.log.reopened' : 'sensorhub-serial-port.log.open', {
                            path,
                        }),
                    );
                    wasOpen = true;
                } else if (state === 'disconnected' && wasOpen) {
                    this.warn(RED._('sensorhub-serial-port.log.disconnected', { path }));
                }
                notify(state);
            });
            conn.on('error', (err: Error) => {
                this.error(RED._('sensorhub-serial-port.errors.port', { path, reason: err.message }));
            });
            conn.on('oversized', () => {
                oversizedSince++;
                // The first one is said at once, the rest summed up.
                oversizedTimer ??= setTimeout(warnOversized, 0);
            });
            conn.onLine((line) => {
                for (const listener of lineListeners) listener(line);
            });
            conn.open();
        };

        const stop = async (): Promise<void> => {
            const conn = connection;
            connection = undefined;
            if (oversizedTimer !== undefined) clearTimeout(oversizedTimer);
            oversizedTimer = undefined;
            oversizedSince = 0;
            if (conn) {
                conn.removeAllListeners('state');
                await conn.close();
            }
        };

        Object.defineProperty(this, 'state', {
            get: (): ConnectionState => connection?.state ?? 'closed',
        });

        this.register = (user, onState) => {
            users.set(user.id, { node: user, onState });
            if (users.size === 1) start();
            const status = statusFor(connection?.state ?? 'closed');
            if (onState) onState(this.state, status);
            else user.status(status);
        };

        this.deregister = (user, done) => {
            if (!users.delete(user.id)) {
                done();
                return;
            }
            if (users.size === 0) void stop().then(done);
            else done();
        };

        this.request = (command, timeoutMs) => {
            if (configError !== undefined)
                return Promise.reject(
                    new Error(RED._('sensorhub-serial-port.errors.config', { path, reason: configError })),
                );
            if (!connection)
                return Promise.reject(new OfflineError(RED._('sensorhub-serial-port.errors.not-registered', { path })));
            return connection.request(command, timeoutMs ?? this.requestTimeoutMs);
        };

        this.onLine = (listener) => {
            lineListeners.add(listener);
            return () => {
                lineListeners.delete(listener);
            };
        };

        this.stats = () => connection?.stats() ?? emptyStats();

        this.on('close', (_removed: boolean, done: () => void) => {
            users.clear();
            lineListeners.clear();
            void stop().then(done);
        });
    }
    RED.nodes.registerType('sensorhub-serial-port', SerialPortConfigNode, editorSettings('sensorhub-serial-port'));

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
