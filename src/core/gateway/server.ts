import * as net from 'node:net';
import * as tls from 'node:tls';
import { Gateway, type GatewayOptions, type Session, type Transport } from './session';

export interface GatewayServerOptions extends GatewayOptions {
    readonly host: string;
    readonly port: number;
    /** TLS options (key and cert at least), as a `tls-config` node's `addTLSOptions` gives them; absent: plain TCP. */
    readonly tls?: tls.TlsOptions;
    /** After the gateway ends a connection, how long the device has to close its side before it is cut. */
    readonly closeGraceMs?: number;
}

/** Catches a half-open connection whose device went silent without a FIN: the kernel probes after this idle time. */
const KEEPALIVE_MS = 30_000;
const CLOSE_GRACE_MS = 1000;

function remoteOf(socket: net.Socket): string {
    const address = socket.remoteAddress ?? '?';
    return `${address.includes(':') ? `[${address}]` : address}:${socket.remotePort ?? '?'}`;
}

/**
 * The gateway on a real TCP (or TLS) listener. Each socket is handed to the
 * `Gateway` as a transport; everything the devices may do is decided there.
 */
export class GatewayServer {
    readonly gateway: Gateway;
    private readonly server: net.Server;
    private readonly sockets = new Set<net.Socket>();
    private readonly options: GatewayServerOptions;
    private closing: Promise<void> | undefined;
    private listenAttempt: Promise<void> | undefined;

    constructor(options: GatewayServerOptions) {
        this.options = options;
        this.gateway = new Gateway(options);
        const onSocket = (socket: net.Socket): void => {
            this.accept(socket);
        };
        if (options.tls) {
            const server = tls.createServer(
                // A handshake is part of saying hello: it gets no longer than the hello.
                { ...options.tls, handshakeTimeout: options.limits.helloTimeoutMs },
                onSocket,
            );
            // Sockets still in their handshake are not yet the gateway's: this cap keeps them bounded too.
            server.maxConnections = options.limits.maxConnections * 2;
            server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
                this.gateway.refuse('tls-error', remoteOf(socket), `TLS handshake failed: ${err.message}`);
                // Node reports a handshake timeout but leaves the connection open: a slowloris would keep it.
                socket.destroy();
            });
            this.server = server;
        } else {
            this.server = net.createServer(onSocket);
        }
        // Every TCP connection, TLS handshake or not: close() must be able to cut them all.
        this.server.on('connection', (socket: net.Socket) => {
            this.sockets.add(socket);
            socket.on('close', () => this.sockets.delete(socket));
        });
        this.server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
            const remote = `${data?.remoteAddress ?? '?'}:${data?.remotePort ?? '?'}`;
            this.gateway.refuse('too-many-connections', remote, 'too many connections still in their TLS handshake');
        });
    }

    /** Starts listening; rejects with the listen error (its `code` is EADDRINUSE when the port is taken). */
    listen(): Promise<void> {
        this.listenAttempt ??= new Promise((resolve, reject) => {
            const onError = (err: Error): void => {
                this.gateway.close();
                reject(err);
            };
            this.server.once('error', onError);
            this.server.listen({ host: this.options.host, port: this.options.port }, () => {
                this.server.removeListener('error', onError);
                // Later errors (rare: the listening socket failing) must not crash Node-RED.
                this.server.on('error', () => undefined);
                resolve();
            });
        });
        return this.listenAttempt;
    }

    get listening(): boolean {
        return this.server.listening;
    }

    address(): net.AddressInfo | undefined {
        const a = this.server.address();
        return a !== null && typeof a === 'object' ? a : undefined;
    }

    /**
     * Stops listening, tells every device `shutdown` and closes its connection;
     * a device that does not close its side within the grace period is cut.
     * Resolves once every socket is closed.
     */
    close(): Promise<void> {
        // A close while the listen is under way waits for it: closing first would leave the port bound after.
        const settled = (this.listenAttempt ?? Promise.resolve()).catch(() => undefined);
        this.closing ??= settled.then(() => this.shutDown());
        return this.closing;
    }

    private shutDown(): Promise<void> {
        return new Promise<void>((resolve) => {
            this.gateway.close();
            const cut = setTimeout(() => {
                for (const s of this.sockets) s.destroy();
            }, this.options.closeGraceMs ?? CLOSE_GRACE_MS);
            if (this.server.listening) {
                this.server.close(() => {
                    clearTimeout(cut);
                    resolve();
                });
            } else {
                clearTimeout(cut);
                for (const s of this.sockets) s.destroy();
                resolve();
            }
        });
    }

    private accept(socket: net.Socket): void {
        socket.setNoDelay(true);
        socket.setKeepAlive(true, KEEPALIVE_MS);
        let cut: NodeJS.Timeout | undefined;
        const transport: Transport = {
            remote: remoteOf(socket),
            get writableLength() {
                return socket.writableLength;
            },
            write: (text) => {
                socket.write(text);
            },
            end: () => {
                socket.end();
                cut ??= setTimeout(() => socket.destroy(), this.options.closeGraceMs ?? CLOSE_GRACE_MS);
            },
            destroy: () => {
                socket.destroy();
            },
        };
        const session: Session | undefined = this.gateway.connect(transport);
        socket.on('error', () => undefined);
        socket.on('close', () => {
            if (cut) clearTimeout(cut);
            if (session) this.gateway.disconnected(session);
        });
        if (session) {
            socket.on('data', (chunk: Buffer) => {
                this.gateway.receive(session, chunk);
            });
        } else {
            // Refused: what it sends is not read, only drained so the close can complete.
            socket.resume();
        }
    }
}
