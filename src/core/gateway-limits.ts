import { realClock, type Clock } from './sensor-poller';
import type { RefusalReason } from './gateway-protocol';

/** What one device connection may do; see `parseGatewayConfig` for the defaults and ranges. */
export interface GatewayLimits {
    /** Open connections, authenticated or not. */
    readonly maxConnections: number;
    /** Bytes of one line before its `\n`. */
    readonly maxLineBytes: number;
    /** Messages per second per device (token bucket refill rate)… */
    readonly messagesPerSecond: number;
    /** …and how many may come at once (bucket size). */
    readonly burst: number;
    /** An unauthenticated connection is closed when its hello has not come after this long. */
    readonly helloTimeoutMs: number;
    /** A device is disconnected after this long without a complete line (0: never; TCP keepalive still runs). */
    readonly idleTimeoutMs: number;
    /** Bytes queued to a device that does not read before it is disconnected. */
    readonly maxOutboundBytes: number;
}

/**
 * A token bucket: `capacity` messages at once, refilled at `ratePerSecond`.
 * Time comes from the caller, so one `now()` serves a whole chunk of lines.
 */
export class TokenBucket {
    private tokens: number;
    private last: number;

    constructor(
        private readonly ratePerSecond: number,
        private readonly capacity: number,
        now: number,
    ) {
        this.tokens = capacity;
        this.last = now;
    }

    /** Takes one token if there is one. */
    take(now: number): boolean {
        if (now > this.last) {
            this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
            this.last = now;
        }
        if (this.tokens < 1) return false;
        this.tokens -= 1;
        return true;
    }
}

/** The latest refusal of a kind: who and why, for the log. */
export interface RefusalDetail {
    /** `address:port` of the connection. */
    readonly remote: string;
    /** The device, when known (said hello, or claimed an id in a refused hello). */
    readonly deviceId?: string;
    /** What was wrong, as a sentence. */
    readonly message: string;
}

export interface RefusalReport {
    readonly reason: RefusalReason;
    /** Refusals of this reason this report stands for (1, or the sum since the last report). */
    readonly count: number;
    /** Refusals of this reason since the gateway started. */
    readonly total: number;
    /** The last of them. */
    readonly detail: RefusalDetail;
}

export const REFUSAL_REPORT_MS = 10_000;

/**
 * Counts refusals by reason and reports them at a bounded rate: the first of a
 * reason at once, the rest summed up once per window. A flood of bad lines or
 * connections thus costs a counter increment each, and one log line per window.
 */
export class RefusalLog {
    private readonly totals = new Map<RefusalReason, number>();
    private readonly pending = new Map<RefusalReason, { count: number; detail: RefusalDetail; timer: unknown }>();
    private stopped = false;

    constructor(
        private readonly report: (r: RefusalReport) => void,
        private readonly windowMs = REFUSAL_REPORT_MS,
        private readonly clock: Clock = realClock,
    ) {}

    add(reason: RefusalReason, detail: RefusalDetail): void {
        if (this.stopped) return;
        const total = (this.totals.get(reason) ?? 0) + 1;
        this.totals.set(reason, total);
        const open = this.pending.get(reason);
        if (open) {
            open.count++;
            open.detail = detail;
            return;
        }
        this.pending.set(reason, {
            count: 0,
            detail,
            timer: this.clock.setTimeout(() => {
                this.flush(reason);
            }, this.windowMs),
        });
        this.report({ reason, count: 1, total, detail });
    }

    /** Refusals since the start, by reason (only reasons that occurred). */
    counts(): Record<string, number> {
        return Object.fromEntries(this.totals);
    }

    get total(): number {
        let sum = 0;
        for (const n of this.totals.values()) sum += n;
        return sum;
    }

    stop(): void {
        this.stopped = true;
        for (const p of this.pending.values()) this.clock.clearTimeout(p.timer);
        this.pending.clear();
    }

    private flush(reason: RefusalReason): void {
        const open = this.pending.get(reason);
        if (!open) return;
        if (open.count === 0) {
            this.pending.delete(reason);
            return;
        }
        const { count, detail } = open;
        open.count = 0;
        open.timer = this.clock.setTimeout(() => {
            this.flush(reason);
        }, this.windowMs);
        this.report({ reason, count, total: this.totals.get(reason) ?? count, detail });
    }
}
