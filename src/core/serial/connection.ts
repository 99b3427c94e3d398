import { EventEmitter } from 'node:events';
import { stat } from 'node:fs';
import type { Transform } from 'node:stream';
import { ByteLengthParser, InterByteTimeoutParser } from 'serialport';
import { LineSplitter } from './line-splitter';
import { polledSerialPort } from './polled-read';

/** How the byte stream is cut into frames: at a delimiter (as serialport's ReadlineParser), or with serialport's own parsers. */
export type Framing =
    | { readonly kind: 'delimiter'; readonly delimiter: string }
    | { readonly kind: 'length'; readonly length: number }
    | { readonly kind: 'timeout'; readonly intervalMs: number };

export type Parity = 'none' | 'even' | 'odd' | 'mark' | 'space';
export type DataBits = 5 | 6 | 7 | 8;
export type StopBits = 1 | 1.5 | 2;

export interface PortOptions {
    readonly path: string;
    readonly baudRate: number;
    readonly dataBits: DataBits;
    readonly parity: Parity;
    readonly stopBits: StopBits;
}

/** What the connection needs of a serialport stream; `SerialPort` and `SerialPortMock` both are one. */
export interface PortHandle {
    readonly isOpen: boolean;
    open(callback: (err: Error | null) => void): void;
    close(callback?: (err: Error | null) => void): void;
    write(data: Buffer, callback: (err: Error | null | undefined) => void): boolean;
    on(event: 'data', listener: (chunk: Buffer) => void): this;
    on(event: 'close', listener: (err?: Error | null) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    removeAllListeners(event?: string): this;
}

export type PortFactory = (options: PortOptions & { autoOpen: false }) => PortHandle;

export interface ConnectionOptions extends PortOptions {
    readonly framing: Framing;
    /** Frames longer than this many bytes are counted and dropped, never passed on. */
    readonly maxLineLength: number;
    /** Requests waiting beyond this many are refused at once. */
    readonly maxQueue?: number;
    readonly reconnectMinMs?: number;
    readonly reconnectMaxMs?: number;
    /**
     * How often an open port's path is checked to still exist (0: never). Needed because a
     * hung-up tty can read as endless end-of-file, which serialport does not report as a
     * disconnection. Only done when the path existed as a file at open (not for COM3).
     */
    readonly presenceCheckMs?: number;
    /** Builds the port; serialport's `SerialPort` (reading on the event loop) unless a test injects `SerialPortMock`. */
    readonly createPort?: PortFactory;
}

export type ConnectionState = 'opening' | 'open' | 'disconnected' | 'closed';

export interface ConnectionStats {
    lines: number;
    oversized: number;
    requests: number;
    requestsTimedOut: number;
    lateAnswers: number;
    reconnects: number;
    queued: number;
}

/** The counters of a connection that has seen nothing yet. */
export function emptyStats(): ConnectionStats {
    return { lines: 0, oversized: 0, requests: 0, requestsTimedOut: 0, lateAnswers: 0, reconnects: 0, queued: 0 };
}

/** A request's answer did not come in time. */
export class TimeoutError extends Error {
    readonly code = 'timeout';
    constructor(message: string) {
        super(message);
        this.name = 'TimeoutError';
    }
}

/** The port is not open (never opened, unplugged, or closed): the request was not answered. */
export class OfflineError extends Error {
    readonly code = 'offline';
    constructor(message: string) {
        super(message);
        this.name = 'OfflineError';
    }
}

/** Too many requests are waiting for the port. */
export class BusyError extends Error {
    readonly code = 'busy';
    constructor(message: string) {
        super(message);
        this.name = 'BusyError';
    }
}

export const DEFAULT_MAX_QUEUE = 1000;
export const RECONNECT_MIN_MS = 500;
export const RECONNECT_MAX_MS = 10_000;
export const PRESENCE_CHECK_MS = 1000;

interface Request {
    readonly command: string;
    readonly timeoutMs: number;
    readonly resolve: (line: string) => void;
    readonly reject: (err: Error) => void;
    timer: NodeJS.Timeout | undefined;
}

type LineListener = (line: string) => void;

/** What cuts a port's bytes into frames: a LineSplitter, or one of serialport's parsers. */
type Framer = Pick<Transform, 'write' | 'destroy'> | LineSplitter;

/** `\n`, `\r\n`, `\t`, `\\` and `\xNN` as typed in an edit dialog, turned into the characters they name. */
export function unescapeDelimiter(text: string): string {
    return text.replace(/\\(x[0-9a-fA-F]{2}|[nrt0\\])/g, (_m, e: string) => {
        switch (e) {
            case 'n':
                return '\n';
            case 'r':
                return '\r';
            case 't':
                return '\t';
            case '0':
                return '\0';
            case '\\':
                return '\\';
            default:
                return String.fromCharCode(parseInt(e.slice(1), 16));
        }
    });
}

/**
 * One serial port, kept open: frames come out through `onLine` listeners
 * (push mode) or as answers to `request()` (request mode, one outstanding
 * request at a time, FIFO). When the device disappears the connection
 * reports it, fails what is pending with an OfflineError and reopens with a
 * growing delay until the device is back.
 */
export class SerialConnection extends EventEmitter {
    private readonly options: ConnectionOptions;
    private readonly createPort: PortFactory;
    private readonly listeners_ = new Set<LineListener>();
    private readonly queue: Request[] = [];
    private current: Request | undefined;
    private port: PortHandle | undefined;
    private parser: Framer | undefined;
    private retryTimer: NodeJS.Timeout | undefined;
    private presenceTimer: NodeJS.Timeout | undefined;
    private attempt = 0;
    private everOpen = false;
    private lastError: string | undefined;
    private discarding = false;
    /**
     * Set while the answer to a timed-out request may still come: nothing else is
     * written until it does (and is discarded) or the grace period ends, so a late
     * answer is never taken for the next request's.
     */
    private lateGuard: NodeJS.Timeout | undefined;
    private state_: ConnectionState = 'closed';
    private started = false;
    private closing: Promise<void> | undefined;
    /** Settles when the port being opened has opened or failed (and, if closed meanwhile, has let go). */
    private opening: Promise<void> | undefined;
    private readonly counters: Omit<ConnectionStats, 'queued'> = emptyStats();

    constructor(options: ConnectionOptions) {
        super();
        this.options = options;
        this.createPort = options.createPort ?? polledSerialPort;
        // 'error' is reported, never thrown at the caller: the connection keeps trying.
        this.on('error', () => undefined);
    }

    get state(): ConnectionState {
        return this.state_;
    }

    get path(): string {
        return this.options.path;
    }

    stats(): ConnectionStats {
        return { ...this.counters, queued: this.queue.length + (this.current ? 1 : 0) };
    }

    /** Opens the port, and keeps reopening it whenever it goes away, until `close()`. */
    open(): void {
        if (this.started || this.closing) return;
        this.started = true;
        this.setState('opening');
        this.tryOpen();
    }

    /** Calls `listener` with every frame not taken as an answer to a request; returns the way to stop. */
    onLine(listener: LineListener): () => void {
        this.listeners_.add(listener);
        return () => {
            this.listeners_.delete(listener);
        };
    }

    /**
     * Writes `command` (followed by the delimiter, in delimiter framing, unless
     * it already ends with it) and resolves with the next frame. Requests go
     * out one at a time in the order they were made; `timeoutMs` counts from
     * this call, so time spent waiting behind other requests counts too.
     */
    request(command: string, timeoutMs: number): Promise<string> {
        if (this.state_ !== 'open')
            return Promise.reject(new OfflineError(`serial port ${this.path} is ${this.state_}`));
        const max = this.options.maxQueue ?? DEFAULT_MAX_QUEUE;
        if (this.queue.length >= max)
            return Promise.reject(new BusyError(`serial port ${this.path} has ${max} requests waiting`));
        return new Promise<string>((resolve, reject) => {
            const req: Request = { command, timeoutMs, resolve, reject, timer: undefined };
            req.timer = setTimeout(() => {
                this.timedOut(req);
            }, timeoutMs);
            this.queue.push(req);
            this.counters.requests++;
            this.pump();
        });
    }

    /** Releases the port and every timer; pending requests fail with an OfflineError. */
    close(): Promise<void> {
        this.closing ??= new Promise<void>((resolve) => {
            this.started = false;
            if (this.retryTimer) clearTimeout(this.retryTimer);
            this.retryTimer = undefined;
            this.failPending(`serial port ${this.path} was closed`);
            this.listeners_.clear();
            const port = this.port;
            this.detach();
            this.setState('closed');
            const opening = this.opening ?? Promise.resolve();
            if (port?.isOpen) {
                port.close(() => {
                    resolve();
                });
            } else void opening.then(resolve);
        });
        return this.closing;
    }

    private setState(state: ConnectionState): void {
        if (state === this.state_) return;
        this.state_ = state;
        this.emit('state', state);
    }

    /** Emits an error unless it says what the last one said: a retry every few seconds must not flood the log. */
    private report(err: Error): void {
        if (err.message === this.lastError) return;
        this.lastError = err.message;
        this.emit('error', err);
    }

    private tryOpen(): void {
        this.retryTimer = undefined;
        let port: PortHandle;
        try {
            const { path, baudRate, dataBits, parity, stopBits } = this.options;
            port = this.createPort({ path, baudRate, dataBits, parity, stopBits, autoOpen: false });
        } catch (err) {
            this.report(err as Error);
            this.retryLater();
            return;
        }
        this.port = port;
        port.on('error', (err: Error) => {
            // A port already given up (closed, or replaced by a reopen) has nothing more to say.
            if (this.port === port) this.report(err);
        });
        this.opening = new Promise<void>((settled) => {
            port.open((err) => {
                this.opening = undefined;
                if (this.port !== port) {
                    // closed while opening: let go of what just opened
                    if (err) settled();
                    else
                        port.close(() => {
                            settled();
                        });
                    return;
                }
                settled();
                if (err) {
                    this.detach();
                    this.report(err);
                    this.retryLater();
                    return;
                }
                this.attached(port);
            });
        });
    }

    private attached(port: PortHandle): void {
        if (this.everOpen) this.counters.reconnects++;
        this.everOpen = true;
        this.attempt = 0;
        this.lastError = undefined;
        this.discarding = false;
        this.endLateGuard();
        this.parser = this.makeParser();
        const parser = this.parser;
        port.on('data', (chunk: Buffer) => {
            parser.write(chunk);
            this.checkBacklog(parser);
        });
        port.on('close', (err) => {
            if (this.port === port) this.lost(err ?? undefined);
        });
        this.setState('open');
        this.watchPresence(port);
        this.pump();
    }

    /** The device went away: say so, fail what waits for it, and start trying to reopen. */
    private lost(err: Error | undefined): void {
        const port = this.port;
        this.detach();
        if (port?.isOpen) port.close();
        if (err) this.report(err);
        this.failPending(`serial port ${this.path} disconnected`);
        this.setState('disconnected');
        this.retryLater();
    }

    private watchPresence(port: PortHandle): void {
        const every = this.options.presenceCheckMs ?? PRESENCE_CHECK_MS;
        if (every <= 0) return;
        const check = (first: boolean): void => {
            stat(this.path, (err) => {
                if (this.port !== port) return;
                if (err && first) return; // not a file (e.g. COM3): nothing to watch
                if (err) {
                    this.lost(new Error(`${this.path} has disappeared (${err.code ?? err.message})`));
                    return;
                }
                this.presenceTimer = setTimeout(() => {
                    check(false);
                }, every);
            });
        };
        check(true);
    }

    private retryLater(): void {
        if (!this.started) return;
        if (this.state_ !== 'disconnected') this.setState('disconnected');
        const min = this.options.reconnectMinMs ?? RECONNECT_MIN_MS;
        const max = this.options.reconnectMaxMs ?? RECONNECT_MAX_MS;
        const delay = Math.min(max, min * 2 ** Math.min(this.attempt, 30));
        this.attempt++;
        this.retryTimer = setTimeout(() => {
            this.tryOpen();
        }, delay);
    }

    private detach(): void {
        if (this.presenceTimer) clearTimeout(this.presenceTimer);
        this.presenceTimer = undefined;
        const port = this.port;
        this.port = undefined;
        if (port) {
            port.removeAllListeners('data');
            port.removeAllListeners('close');
        }
        const parser = this.parser;
        this.parser = undefined;
        if (parser instanceof InterByteTimeoutParser && parser.intervalID) clearTimeout(parser.intervalID);
        parser?.destroy();
    }

    /**
     * The framer. Frames arrive in `frame` synchronously and in order (serialport's
     * parsers with their `push` taken over), so an oversized line can be dropped
     * whole (its tail too, which on its own would look like a short, valid line).
     */
    private makeParser(): Framer {
        const framing = this.options.framing;
        const max = this.options.maxLineLength;
        let parser: Transform;
        switch (framing.kind) {
            case 'delimiter':
                return new LineSplitter(framing.delimiter, (bytes, start, end) => {
                    this.frame(bytes, start, end);
                });
            case 'length':
                parser = new ByteLengthParser({ length: framing.length });
                break;
            case 'timeout': {
                const ibt = new InterByteTimeoutParser({ interval: framing.intervalMs, maxBufferSize: max + 1 });
                const emitPacket = ibt.emitPacket.bind(ibt);
                ibt.emitPacket = () => {
                    const bySize = ibt.currentPacket.length >= ibt.maxBufferSize;
                    emitPacket();
                    // Silence ends an oversized frame: what follows is a new one.
                    if (!bySize) this.discarding = false;
                };
                parser = ibt;
                break;
            }
        }
        parser.push = (chunk: unknown): boolean => {
            if (Buffer.isBuffer(chunk)) this.frame(chunk, 0, chunk.length);
            return true;
        };
        return parser;
    }

    private frame(bytes: Buffer, start: number, end: number): void {
        const length = end - start;
        if (length > this.options.maxLineLength) {
            if (!this.discarding) this.oversized(length);
            this.discarding = this.options.framing.kind === 'timeout';
            return;
        }
        if (this.discarding) {
            this.discarding = false;
            return;
        }
        this.deliver(bytes.toString('utf8', start, end));
    }

    /**
     * An unterminated line beyond the limit is dropped now rather than buffered
     * without bound. The buffer may end with the first bytes of a delimiter
     * (`\r` of `\r\n`) whose rest is in the next chunk: those are not part of
     * the line. They count towards neither its length nor what is dropped, and
     * stay buffered, so that the delimiter still ends the line when its rest
     * comes: a line of exactly the limit is kept, and after an oversized one the
     * next line is not mistaken for its tail.
     */
    private checkBacklog(parser: Framer): void {
        if (!(parser instanceof LineSplitter)) return;
        const buffer = parser.buffer;
        const keep = partialDelimiterAtEnd(buffer, parser.delimiter);
        const length = buffer.length - keep;
        if (length <= this.options.maxLineLength) return;
        parser.buffer = Buffer.from(buffer.subarray(length));
        if (!this.discarding) this.oversized(length);
        this.discarding = true;
    }

    private oversized(length: number): void {
        this.counters.oversized++;
        this.emit('oversized', length);
    }

    private deliver(line: string): void {
        this.counters.lines++;
        if (this.lateGuard) {
            this.counters.lateAnswers++;
            this.endLateGuard();
            this.pump();
            return;
        }
        const req = this.current;
        if (req) {
            this.current = undefined;
            clearTimeout(req.timer);
            req.resolve(line);
            this.pump();
            return;
        }
        for (const listener of this.listeners_) listener(line);
    }

    private pump(): void {
        if (this.current || this.lateGuard || this.state_ !== 'open' || !this.port) return;
        const req = this.queue.shift();
        if (!req) return;
        this.current = req;
        let text = req.command;
        const framing = this.options.framing;
        if (framing.kind === 'delimiter' && !text.endsWith(framing.delimiter)) text += framing.delimiter;
        this.port.write(Buffer.from(text, 'utf8'), (err) => {
            if (err && this.current === req) {
                this.current = undefined;
                clearTimeout(req.timer);
                req.reject(new OfflineError(`serial port ${this.path}: write failed: ${err.message}`));
                this.pump();
            }
        });
    }

    private timedOut(req: Request): void {
        this.counters.requestsTimedOut++;
        const err = new TimeoutError(
            `no answer from ${this.path} to ${JSON.stringify(req.command)} within ${req.timeoutMs} ms`,
        );
        if (this.current === req) {
            this.current = undefined;
            // Its answer may still come: it must not be taken as the answer to the next request.
            this.lateGuard = setTimeout(() => {
                this.lateGuard = undefined;
                this.pump();
            }, req.timeoutMs);
            req.reject(err);
            return;
        }
        const i = this.queue.indexOf(req);
        if (i !== -1) this.queue.splice(i, 1);
        req.reject(err);
    }

    private endLateGuard(): void {
        if (this.lateGuard) clearTimeout(this.lateGuard);
        this.lateGuard = undefined;
    }

    private failPending(reason: string): void {
        const pending = this.current ? [this.current, ...this.queue] : [...this.queue];
        this.current = undefined;
        this.queue.length = 0;
        this.endLateGuard();
        for (const req of pending) {
            clearTimeout(req.timer);
            req.reject(new OfflineError(reason));
        }
    }
}

/** How many bytes at the end of `buffer` are the start of `delimiter` (never the whole delimiter). */
export function partialDelimiterAtEnd(buffer: Buffer, delimiter: Buffer): number {
    for (let k = Math.min(delimiter.length - 1, buffer.length); k > 0; k--) {
        if (buffer.subarray(buffer.length - k).equals(delimiter.subarray(0, k))) return k;
    }
    return 0;
}
