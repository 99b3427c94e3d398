import type { ConnectionState, ConnectionStats } from './connection';
import type { SerialMode } from './config';

/** A node status, as Node-RED's `node.status()` takes it. */
export interface SerialStatus {
    fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
    shape: 'ring' | 'dot';
    text: string;
}

/** What a node using a serial port must be: a Node-RED node is one. */
export interface SerialUser {
    readonly id: string;
    status(status: SerialStatus): void;
}

/** Called with the connection's state whenever it changes, instead of the default status. */
export type SerialStateListener = (state: ConnectionState, status: SerialStatus) => void;

/**
 * The runtime face of a `sensorhub-serial-port` config node: what sensor
 * nodes call, after `RED.nodes.getNode(config.serialPort)`. One connection per
 * config node, opened by the first user to register and closed when the last
 * one deregisters.
 */
export interface SerialPortApi {
    readonly path: string;
    readonly mode: SerialMode;
    readonly requestTimeoutMs: number;
    /** Why the port cannot be used (bad configuration), if it cannot. */
    readonly configError: string | undefined;
    readonly state: ConnectionState;
    /** Starts using the port. Without `onState`, the user's status follows the connection. */
    register(user: SerialUser, onState?: SerialStateListener): void;
    /** Stops using the port; the last user out closes it before `done` is called. */
    deregister(user: SerialUser, done: () => void): void;
    /**
     * Writes `command` (plus the delimiter, in delimiter framing) and resolves with the
     * answering frame; rejects with a TimeoutError, OfflineError or BusyError (`err.code`
     * 'timeout' | 'offline' | 'busy'). `timeoutMs` defaults to the port's request timeout.
     */
    request(command: string, timeoutMs?: number): Promise<string>;
    /** Calls `listener` with every frame that is not an answer to a request; returns the way to stop. */
    onLine(listener: (line: string) => void): () => void;
    stats(): ConnectionStats;
    /** The status a user shows for a connection state. */
    statusFor(state: ConnectionState): SerialStatus;
}
