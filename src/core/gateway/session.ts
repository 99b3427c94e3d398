import { randomBytes } from 'node:crypto';
import { buildReading, defaultEventType, defaultUnit, round2, type ReadingMessage } from '../shared/reading';
import {
    decodeLine,
    digestsEqual,
    encodeAck,
    encodeCommand,
    encodeError,
    encodeWelcome,
    tokenDigest,
    MAX_DEPTH,
    type MessageId,
    type ReadingMessageIn,
    type RefusalReason,
} from './protocol';
import { LineSplitter, type LineSink } from './framing';
import {
    addressKey,
    ADDRESS_BACKOFF,
    Backoff,
    DEVICE_BACKOFF,
    PendingPool,
    RefusalLog,
    TokenBucket,
    type BackoffPolicy,
    type GatewayLimits,
    type RefusalReport,
} from './limits';
import { realClock, type Clock } from '../shared/clock';

/** One row of the device table: a device may connect once it has a token. */
export interface DeviceEntry {
    readonly id: string;
    readonly token: string | undefined;
    /** `msg.sensor.location` of its readings when a reading names none. */
    readonly location: string;
}

/** What the gateway needs of a connection; the server wraps a socket in one. */
export interface Transport {
    /** `address:port` of the device, for events and the log. */
    readonly remote: string;
    /** Bytes written and not yet sent. */
    readonly writableLength: number;
    write(text: string): void;
    /** Closes once what was written has gone out. */
    end(): void;
    /** Closes now, dropping what was not sent. */
    destroy(): void;
}

export interface OnlineEvent {
    readonly deviceId: string;
    readonly remote: string;
    readonly ts: number;
    /** The device's previous connection was still open (half-open, or a fast reconnect) and has been closed. */
    readonly replaced: boolean;
    /** Hellos of this device since the gateway started, this one included. */
    readonly connects: number;
}

export type OfflineReason = 'disconnected' | 'idle-timeout' | 'slow-consumer';

export interface OfflineEvent {
    readonly deviceId: string;
    readonly remote: string;
    readonly ts: number;
    readonly reason: OfflineReason;
    readonly connectedMs: number;
    /** Readings this connection delivered. */
    readonly readings: number;
}

export type GatewayReading = ReadingMessage & { deviceId: string };

export interface GatewayListener {
    reading(msg: GatewayReading): void;
    online(event: OnlineEvent): void;
    offline(event: OfflineEvent): void;
    /** A refusal to log: the first of its reason at once, the rest summed up per window. */
    refusal(report: RefusalReport): void;
    /** A device acknowledged a command. */
    commandAck(deviceId: string, id: MessageId): void;
}

export interface GatewayOptions {
    readonly devices: readonly DeviceEntry[];
    readonly limits: GatewayLimits;
    readonly listener: GatewayListener;
    readonly clock?: Clock;
    readonly refusalWindowMs?: number;
    /** Failed hellos per address and per device id: see ADDRESS_BACKOFF and DEVICE_BACKOFF. */
    readonly backoff?: { readonly address?: BackoffPolicy; readonly device?: BackoffPolicy };
}

export type CommandFailure = 'unknown-device' | 'offline' | 'not-json' | 'too-long' | 'slow-consumer' | 'closed';

export type CommandResult =
    | { readonly ok: true; readonly id: MessageId; readonly sent: readonly string[] }
    | { readonly ok: false; readonly reason: CommandFailure; readonly error: string };

export interface GatewayStats {
    /** Open connections, authenticated or not. */
    readonly connections: number;
    /** Connections waiting for their hello. */
    readonly pending: number;
    readonly devicesOnline: number;
    /** Hellos whose token was compared (the rest were refused before: throttled, malformed). */
    readonly authChecks: number;
    /** Addresses, and device ids, whose hellos are refused for now after failed ones. */
    readonly throttledAddresses: number;
    readonly throttledDevices: number;
    readonly readings: number;
    readonly commands: number;
    readonly refusedTotal: number;
    readonly refused: Readonly<Record<string, number>>;
}

/** The answer to a rate-limited device is sent at most this often per connection; each drop is still counted. */
const RATE_ERROR_MS = 1000;
/** The key of every device id that is not in the table (see DEVICE_BACKOFF); no id can look like it. */
const UNKNOWN_DEVICE = ' unknown';
/** Addresses a device said hello from lately: a guesser elsewhere cannot lock it out from these. */
const KNOWN_ADDRESSES = 4;

class DeviceState {
    seq = 0;
    connects = 0;
    session: Session | undefined;
    bucket: TokenBucket | undefined;
    /** Address keys of its latest good hellos, most recent last. */
    readonly addresses = new Set<string>();

    constructor(
        readonly id: string,
        readonly digest: Buffer | undefined,
        readonly location: string,
    ) {}
}

type SessionState = 'hello' | 'online' | 'closed';

/** One connection, as the gateway sees it. Opaque outside this module. */
export class Session {
    state: SessionState = 'hello';
    device: DeviceState | undefined;
    lastActivity: number;
    onlineAt = 0;
    readings = 0;
    lastRateError = -Infinity;
    readonly splitter: LineSplitter;
    readonly sink: LineSink;
    /** What its address is counted under (see addressKey). */
    readonly address: string;

    constructor(
        readonly transport: Transport,
        readonly connectedAt: number,
        maxLineBytes: number,
        gateway: Gateway,
    ) {
        this.address = addressKey(transport.remote);
        this.lastActivity = connectedAt;
        this.splitter = new LineSplitter(maxLineBytes, MAX_DEPTH);
        this.sink = gateway.sinkFor(this);
    }

    get remote(): string {
        return this.transport.remote;
    }
}

/**
 * The device gateway without the network: a table of devices, the
 * connections (each a `Transport`), and the protocol between them. A
 * connection must say hello with a known device id and its token within the
 * hello timeout; then its lines become readings, its pings are answered, and
 * commands from the flow reach it. Every limit (connections, line length,
 * rate per device, hello and idle timeouts, bytes queued to a device that does
 * not read) ends in a refusal that is counted and reported at a bounded rate.
 * A device that connects again takes over from its old connection and keeps
 * its reading sequence and its rate budget.
 */
export class Gateway {
    private readonly devices = new Map<string, DeviceState>();
    private readonly sessions = new Set<Session>();
    /** Sessions in state `hello`. */
    private readonly pending = new PendingPool<Session>();
    /** Unauthenticated connections may hold half the connection limit; the rest is kept for devices. */
    private readonly maxPending: number;
    private readonly failedByAddress: Backoff;
    private readonly failedByDevice: Backoff;
    private authChecks = 0;
    private readonly limits: GatewayLimits;
    private readonly listener: GatewayListener;
    private readonly clock: Clock;
    private readonly refusals: RefusalLog;
    // Compared against when the device is unknown or has no token, so a refusal takes the same time either way.
    private readonly decoy = tokenDigest(randomBytes(32).toString('hex'));
    private readonly sweepMs: number;
    private sweepTimer: unknown;
    private closed = false;
    private online = 0;
    private readingCount = 0;
    private commandCount = 0;
    private commandSeq = 0;
    /** The time of the chunk being handled: one clock read per chunk, not per line. */
    private now = 0;

    constructor(opts: GatewayOptions) {
        this.limits = opts.limits;
        this.listener = opts.listener;
        this.clock = opts.clock ?? realClock;
        this.maxPending = Math.ceil(this.limits.maxConnections / 2);
        this.failedByAddress = new Backoff(opts.backoff?.address ?? ADDRESS_BACKOFF);
        this.failedByDevice = new Backoff(opts.backoff?.device ?? DEVICE_BACKOFF);
        for (const d of opts.devices) {
            const digest = d.token === undefined || d.token === '' ? undefined : tokenDigest(d.token);
            this.devices.set(d.id, new DeviceState(d.id, digest, d.location));
        }
        this.refusals = new RefusalLog(
            (report) => {
                if (!this.closed) this.listener.refusal(report);
            },
            opts.refusalWindowMs,
            this.clock,
        );
        const idle = this.limits.idleTimeoutMs > 0 ? this.limits.idleTimeoutMs : Infinity;
        // A quarter of the shortest timeout: a timed-out connection goes within 1.25 × its timeout.
        this.sweepMs = Math.max(5, Math.min(1000, Math.min(this.limits.helloTimeoutMs, idle) / 4));
        this.scheduleSweep();
    }

    /**
     * Takes a new connection; undefined when it is refused at once (the
     * gateway is closed, full of devices, or the address is throttled). When
     * connections waiting for their hello hold their share of the limit, the
     * oldest of the address holding the most is closed to make room.
     */
    connect(transport: Transport): Session | undefined {
        if (this.closed) {
            transport.destroy();
            return undefined;
        }
        const now = this.clock.now();
        const address = addressKey(transport.remote);
        const wait = this.failedByAddress.wait(address, now);
        if (wait > 0) {
            this.refuseAtOnce(
                transport,
                'auth-throttled',
                throttledText(wait),
                throttledLog(`address ${address}`, wait),
            );
            return undefined;
        }
        if (this.pending.size >= this.maxPending || this.online + this.pending.size >= this.limits.maxConnections) {
            const victim = this.pending.victim();
            if (victim === undefined) {
                const message = `the gateway already has its limit of ${this.limits.maxConnections} connections`;
                this.refuseAtOnce(transport, 'too-many-connections', message);
                return undefined;
            }
            this.now = now;
            this.fatal(
                victim,
                'too-many-pending',
                `too many connections wait for their hello (${this.maxPending} at most, the oldest of the address with the most is closed)`,
            );
        }
        const s = new Session(transport, now, this.limits.maxLineBytes, this);
        this.sessions.add(s);
        this.pending.add(s.address, s);
        return s;
    }

    private refuseAtOnce(transport: Transport, reason: RefusalReason, message: string, log = message): void {
        transport.write(encodeError(reason, message));
        transport.end();
        this.refusals.add(reason, { remote: transport.remote, message: log });
    }

    /** Bytes received on a connection. */
    receive(s: Session, chunk: Buffer): void {
        if (s.state === 'closed') return;
        this.now = this.clock.now();
        s.splitter.push(chunk, s.sink);
    }

    /** The connection has closed (either end). */
    disconnected(s: Session): void {
        this.sessions.delete(s);
        if (s.state === 'closed') return;
        this.leave(s, 'closed');
        this.detach(s, 'disconnected');
    }

    /** A refusal found outside the protocol (a failed TLS handshake, a connection dropped by the server's cap). */
    refuse(reason: RefusalReason, remote: string, message: string): void {
        this.refusals.add(reason, { remote, message });
    }

    /**
     * Sends a command to one device, or to every device online when `target`
     * is `*`. `id` is what the device acknowledges; one is made up when absent.
     */
    command(target: string, payload: unknown, topic?: string, id?: MessageId): CommandResult {
        if (this.closed) return { ok: false, reason: 'closed', error: 'the gateway is closed' };
        let single: DeviceState | undefined;
        if (target !== '*') {
            single = this.devices.get(target);
            if (!single)
                return { ok: false, reason: 'unknown-device', error: `no device ${target} in the device table` };
            if (!single.session) return { ok: false, reason: 'offline', error: `device ${target} is not connected` };
        }
        // A made-up id is used up only by a command that goes out.
        const commandId = id ?? this.commandSeq + 1;
        let text: string;
        try {
            text = encodeCommand(commandId, payload, topic);
        } catch (err) {
            return { ok: false, reason: 'not-json', error: (err as Error).message };
        }
        const bytes = Buffer.byteLength(text) - 1;
        if (bytes > this.limits.maxLineBytes)
            return {
                ok: false,
                reason: 'too-long',
                error: `the command is ${bytes} bytes as JSON, more than the line limit of ${this.limits.maxLineBytes}`,
            };
        const targets = single ? [single] : [...this.devices.values()].filter((d) => d.session !== undefined);
        const sent: string[] = [];
        for (const d of targets) {
            const s = d.session;
            if (s && this.send(s, text)) sent.push(d.id);
        }
        if (single && sent.length === 0)
            return {
                ok: false,
                reason: 'slow-consumer',
                error: `device ${target} does not read what is sent to it and has been disconnected`,
            };
        if (id === undefined) this.commandSeq++;
        this.commandCount += sent.length;
        return { ok: true, id: commandId, sent };
    }

    isOnline(deviceId: string): boolean {
        return this.devices.get(deviceId)?.session !== undefined;
    }

    hasDevice(deviceId: string): boolean {
        return this.devices.has(deviceId);
    }

    stats(): GatewayStats {
        const now = this.clock.now();
        return {
            connections: this.sessions.size,
            pending: this.pending.size,
            devicesOnline: this.online,
            authChecks: this.authChecks,
            throttledAddresses: this.failedByAddress.blocked(now),
            throttledDevices: this.failedByDevice.blocked(now),
            readings: this.readingCount,
            commands: this.commandCount,
            refusedTotal: this.refusals.total,
            refused: this.refusals.counts(),
        };
    }

    /** Ends every connection (each is told `shutdown`) and stops the timers. No events are sent after this. */
    close(): void {
        if (this.closed) return;
        this.closed = true;
        this.clock.clearTimeout(this.sweepTimer);
        this.refusals.stop();
        for (const s of this.sessions) {
            if (s.state === 'closed') continue;
            this.leave(s, 'closed');
            s.transport.write(encodeError('shutdown', 'the gateway is stopping'));
            s.transport.end();
        }
        for (const d of this.devices.values()) d.session = undefined;
        this.online = 0;
    }

    /** The line handlers of one session. */
    sinkFor(s: Session): LineSink {
        return {
            line: (text) => this.onLine(s, text),
            oversized: () => this.onOversized(s),
            tooDeep: () => this.onTooDeep(s),
        };
    }

    private onLine(s: Session, text: string): boolean {
        if (s.state === 'closed') return false;
        s.lastActivity = this.now;
        if (s.state === 'hello') return this.hello(s, text);
        const device = s.device as DeviceState;
        // Before parsing: a flood costs a line split and a counter, not a JSON parse per line.
        if (!(device.bucket as TokenBucket).take(this.now)) return this.rateLimited(s);
        const decoded = decodeLine(text);
        if (!decoded.ok) {
            if (decoded.type === 'reading') device.seq++;
            return this.refuseMessage(s, decoded.code, decoded.error, decoded.id);
        }
        const m = decoded.message;
        switch (m.type) {
            case 'reading':
                return this.reading(s, device, m);
            case 'ping':
                return this.send(s, encodeAck('ping', m.id));
            case 'ack':
                this.listener.commandAck(device.id, m.id);
                return true;
            case 'hello':
                return this.refuseMessage(s, 'already-authenticated', 'this connection has already said hello', m.id);
        }
    }

    private onOversized(s: Session): boolean {
        return this.onDropped(s, 'line-too-long', `a line is longer than ${this.limits.maxLineBytes} bytes`);
    }

    private onTooDeep(s: Session): boolean {
        return this.onDropped(s, 'too-deep', `a line nests more than ${MAX_DEPTH} levels of brackets`);
    }

    /** A line the framing dropped unread: it ends a connection still owing its hello, else it is refused. */
    private onDropped(s: Session, reason: 'line-too-long' | 'too-deep', message: string): boolean {
        if (s.state === 'closed') return false;
        if (s.state === 'hello') {
            this.fatal(s, reason, `${message}; the first line must be a hello`);
            return false;
        }
        s.lastActivity = this.now;
        const device = s.device as DeviceState;
        if (!(device.bucket as TokenBucket).take(this.now)) return this.rateLimited(s);
        return this.refuseMessage(s, reason, `${message}: it was dropped`);
    }

    private hello(s: Session, text: string): boolean {
        // Before parsing: a throttled guesser costs a lookup, not a parse and a hash.
        const addressWait = this.failedByAddress.wait(s.address, this.now);
        if (addressWait > 0) return this.throttled(s, addressWait, `address ${s.address}`);
        const decoded = decodeLine(text);
        if (!decoded.ok || decoded.message.type !== 'hello') {
            const why = decoded.ok ? `got a ${decoded.message.type}` : decoded.error;
            const id = decoded.ok ? decoded.message.id : decoded.id;
            this.fatal(s, 'hello-required', `the first message must be a hello (${why})`, id);
            return false;
        }
        const hello = decoded.message;
        const device = this.devices.get(hello.device);
        const deviceKey = device ? device.id : UNKNOWN_DEVICE;
        // From an address it has said hello from before, a device is not held up by guessers elsewhere.
        const deviceWait = device?.addresses.has(s.address) ? 0 : this.failedByDevice.wait(deviceKey, this.now);
        if (deviceWait > 0) return this.throttled(s, deviceWait, `device ${hello.device}`, hello.id, hello.device);
        this.authChecks++;
        const expected = device?.digest;
        const match = digestsEqual(tokenDigest(hello.token), expected ?? this.decoy);
        if (!device || !expected || !match) {
            // The device is told no more than "no"; the log says which, for whoever runs the gateway.
            const why = !device
                ? `unknown device ${hello.device}`
                : !expected
                  ? `device ${hello.device} has no token configured`
                  : `wrong token for device ${hello.device}`;
            const penalty = Math.max(
                this.failedByAddress.fail(s.address, this.now),
                this.failedByDevice.fail(deviceKey, this.now),
            );
            const log = penalty > 0 ? `${why}; further hellos wait ${Math.ceil(penalty / 1000)} s` : why;
            this.fatal(s, 'auth-failed', 'unknown device or wrong token', hello.id, log, hello.device);
            return false;
        }
        this.failedByDevice.forget(device.id);
        device.addresses.delete(s.address);
        device.addresses.add(s.address);
        if (device.addresses.size > KNOWN_ADDRESSES)
            device.addresses.delete(device.addresses.values().next().value as string);
        const previous = device.session;
        if (previous) {
            // The newest connection wins: the old one may be half-open, and the device is evidently elsewhere now.
            previous.state = 'closed';
            previous.transport.write(encodeError('replaced', 'the device connected again on another connection'));
            previous.transport.end();
        } else {
            this.online++;
        }
        device.session = s;
        device.connects++;
        device.bucket ??= new TokenBucket(this.limits.messagesPerSecond, this.limits.burst, this.now);
        s.device = device;
        this.leave(s, 'online');
        s.onlineAt = this.now;
        const welcome = encodeWelcome(
            device.id,
            {
                maxLineBytes: this.limits.maxLineBytes,
                messagesPerSecond: this.limits.messagesPerSecond,
                burst: this.limits.burst,
                idleTimeoutMs: this.limits.idleTimeoutMs,
            },
            hello.id,
        );
        if (!this.send(s, welcome)) return false;
        this.listener.online({
            deviceId: device.id,
            remote: s.remote,
            ts: this.now,
            replaced: previous !== undefined,
            connects: device.connects,
        });
        return true;
    }

    /** Refuses a hello during a penalty for failed ones, without looking at its token. */
    private throttled(s: Session, waitMs: number, who: string, id?: MessageId, claimedId?: string): false {
        this.fatal(s, 'auth-throttled', throttledText(waitMs), id, throttledLog(who, waitMs), claimedId);
        return false;
    }

    /** Moves a session on from `hello` (or not), keeping the pool of those waiting for their hello true. */
    private leave(s: Session, state: 'online' | 'closed'): void {
        if (s.state === 'hello') this.pending.remove(s.address, s);
        s.state = state;
    }

    private reading(s: Session, device: DeviceState, m: ReadingMessageIn): boolean {
        device.seq++;
        if (m.device !== undefined && m.device !== device.id)
            return this.refuseMessage(
                s,
                'wrong-device',
                `this connection is device ${device.id}: it cannot send readings for device ${m.device}`,
                m.id,
            );
        const kind = m.kind;
        // Sensor ids are scoped to the device that said hello: no device can feed another device's sensor.
        const sensor = {
            id: `${device.id}/${m.sensor}`,
            kind,
            location: m.location ?? device.location,
            unit: m.unit ?? defaultUnit(kind),
        };
        const now = this.now;
        const ts = m.ts ?? now;
        const msg = buildReading(sensor, defaultEventType(kind), m.value, {
            ts,
            latencyMs: m.ts === undefined ? 0 : round2(Math.max(0, now - m.ts)),
            seq: device.seq,
        }) as GatewayReading;
        msg.deviceId = device.id;
        s.readings++;
        this.readingCount++;
        this.listener.reading(msg);
        if (m.id !== undefined) return this.send(s, encodeAck('reading', m.id));
        return true;
    }

    private rateLimited(s: Session): boolean {
        const message = `more than ${this.limits.messagesPerSecond} messages per second (burst ${this.limits.burst}): messages are dropped`;
        this.refusals.add('rate-limited', { remote: s.remote, deviceId: s.device?.id, message });
        if (this.now - s.lastRateError < RATE_ERROR_MS) return true;
        s.lastRateError = this.now;
        return this.send(s, encodeError('rate-limited', message));
    }

    /** Refuses one message; the connection stays. */
    private refuseMessage(s: Session, reason: RefusalReason, message: string, id?: MessageId): boolean {
        this.refusals.add(reason, { remote: s.remote, deviceId: s.device?.id, message });
        return this.send(s, encodeError(reason, message, id));
    }

    /**
     * Refuses and closes a connection: the device is told why (`message`),
     * the log may be told more (`logMessage`).
     */
    private fatal(
        s: Session,
        reason: RefusalReason,
        message: string,
        id?: MessageId,
        logMessage?: string,
        claimedId?: string,
    ): void {
        this.refusals.add(reason, {
            remote: s.remote,
            deviceId: s.device?.id ?? claimedId,
            message: logMessage ?? message,
        });
        if (s.state === 'closed') return;
        const offline: OfflineReason | undefined =
            reason === 'idle-timeout' || reason === 'slow-consumer' ? reason : undefined;
        this.leave(s, 'closed');
        this.detach(s, offline ?? 'disconnected');
        if (reason === 'slow-consumer') {
            // It does not read: another line would only wait behind the others.
            s.transport.destroy();
            return;
        }
        s.transport.write(encodeError(reason, message, id));
        s.transport.end();
    }

    /** Writes a line unless the device has stopped reading, in which case it is disconnected. */
    private send(s: Session, text: string): boolean {
        if (s.state === 'closed') return false;
        if (s.transport.writableLength > this.limits.maxOutboundBytes) {
            this.fatal(
                s,
                'slow-consumer',
                `more than ${this.limits.maxOutboundBytes} bytes wait to be sent: the device does not read`,
            );
            return false;
        }
        s.transport.write(text);
        return true;
    }

    private detach(s: Session, reason: OfflineReason): void {
        const device = s.device;
        if (!device || device.session !== s) return;
        device.session = undefined;
        this.online--;
        if (this.closed) return;
        const now = this.clock.now();
        this.listener.offline({
            deviceId: device.id,
            remote: s.remote,
            ts: now,
            reason,
            connectedMs: Math.max(0, now - s.onlineAt),
            readings: s.readings,
        });
    }

    private scheduleSweep(): void {
        this.sweepTimer = this.clock.setTimeout(() => {
            this.sweep();
            if (!this.closed) this.scheduleSweep();
        }, this.sweepMs);
    }

    /** Closes connections whose hello or whose next line is overdue. */
    sweep(): void {
        const now = this.clock.now();
        this.now = now;
        const { helloTimeoutMs, idleTimeoutMs } = this.limits;
        for (const s of this.sessions) {
            if (s.state === 'hello' && now - s.connectedAt >= helloTimeoutMs) {
                this.fatal(s, 'hello-timeout', `no hello within ${helloTimeoutMs} ms of connecting`);
            } else if (s.state === 'online' && idleTimeoutMs > 0 && now - s.lastActivity >= idleTimeoutMs) {
                this.fatal(
                    s,
                    'idle-timeout',
                    `nothing received for ${idleTimeoutMs} ms (send a ping to stay connected)`,
                );
            }
        }
    }
}

function throttledText(waitMs: number): string {
    return `too many failed hellos: try again in ${Math.ceil(waitMs / 1000)} s`;
}

function throttledLog(who: string, waitMs: number): string {
    return `${who} failed too often: its hellos are refused unchecked for ${Math.ceil(waitMs / 1000)} s more`;
}
