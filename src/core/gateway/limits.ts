import { realClock, type Clock } from '../shared/clock';
import { CountedLog, COUNTED_LOG_WINDOW_MS } from '../shared/counted-log';
import type { RefusalReason } from './protocol';
import { MAX_DEVICES } from './config';

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
 * The key a connection's address is counted under: the address itself for
 * IPv4 (an IPv4-mapped IPv6 address as its IPv4 form), its /64 network for
 * IPv6, since one host usually holds a whole /64 and could otherwise rotate
 * through it. `remote` is `address:port` or `[address]:port`.
 */
export function addressKey(remote: string): string {
    const address = remote.startsWith('[') ? remote.slice(1, remote.indexOf(']')) : remote.replace(/:[^:]*$/, '');
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return mapped[1];
    if (!address.includes(':')) return address;
    return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, `::` filled in (an embedded IPv4 tail counts as the last two). */
function expandIPv6(address: string): string[] {
    const groups = (part: string | undefined): string[] =>
        part ? part.split(':').flatMap((g) => (g.includes('.') ? ['v4', 'v4'] : [g])) : [];
    const halves = address.toLowerCase().split('::', 2);
    const left = groups(halves[0]);
    const right = groups(halves[1]);
    const filler = new Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
    return [...left, ...(halves.length === 2 ? filler : []), ...right].map((g) => g.replace(/^0+(?=.)/, ''));
}

/** When failed attempts of one key start to cost time, and how much. */
export interface BackoffPolicy {
    /** Failures that cost nothing (a device with a typo in its token, a retry or two). */
    readonly free: number;
    /** The penalty after the first failure beyond the free ones; each further failure doubles it… */
    readonly baseMs: number;
    /** …up to this. */
    readonly capMs: number;
    /** A key without a failure for this long starts afresh. */
    readonly forgetMs: number;
    /** Keys remembered at most (the least recently failed are forgotten first), so a flood of keys cannot grow memory. */
    readonly maxKeys: number;
}

/**
 * Failed hellos from one address: three are free (a typo, a retry), then 1 s,
 * 2 s, 4 s… up to a minute. A guesser is held to about one try a minute.
 */
export const ADDRESS_BACKOFF: BackoffPolicy = {
    free: 3,
    baseMs: 1000,
    capMs: 60_000,
    forgetMs: 15 * 60_000,
    maxKeys: 10_000,
};

/** Every id of the largest device table, and the one key of ids not in it: none is ever forgotten early. */
const MAX_DEVICE_KEYS = MAX_DEVICES + 1;

/**
 * Failed hellos for one device id from any address (guessers spread over many
 * addresses): a few more are free, as several of the device's own may fail
 * after a token change. Ids not in the table share one key, so they cost no
 * memory and are throttled like known ones (a refusal does not tell which).
 */
export const DEVICE_BACKOFF: BackoffPolicy = { ...ADDRESS_BACKOFF, free: 5, maxKeys: MAX_DEVICE_KEYS };

interface BackoffEntry {
    failures: number;
    until: number;
    last: number;
}

/**
 * Failed attempts per key (an address, a device id) with an exponential
 * penalty: after `free` failures each one blocks the key for `baseMs`,
 * doubled per further failure up to `capMs`. Attempts during a penalty are
 * turned away without being tried, so they neither count nor prolong it: a
 * guesser gets one try per penalty, whatever its speed.
 */
export class Backoff {
    private readonly entries = new Map<string, BackoffEntry>();

    constructor(private readonly policy: BackoffPolicy) {}

    /** ms until `key` may try again (0: now). */
    wait(key: string, now: number): number {
        const e = this.live(key, now);
        return e === undefined ? 0 : Math.max(0, e.until - now);
    }

    /** Counts a failure of `key`; returns the penalty it now serves (0 while failures are free). */
    fail(key: string, now: number): number {
        const failures = (this.live(key, now)?.failures ?? 0) + 1;
        const { free, baseMs, capMs, maxKeys } = this.policy;
        const penalty = failures <= free ? 0 : Math.min(capMs, baseMs * 2 ** Math.min(30, failures - free - 1));
        // Deleted and set again: the map's order is then the order of last failure, oldest first.
        this.entries.delete(key);
        this.entries.set(key, { failures, until: now + penalty, last: now });
        if (this.entries.size > maxKeys) this.entries.delete(this.entries.keys().next().value as string);
        return penalty;
    }

    /** Failures of `key` counted now. */
    failures(key: string, now: number): number {
        return this.live(key, now)?.failures ?? 0;
    }

    forget(key: string): void {
        this.entries.delete(key);
    }

    /** Keys serving a penalty now. */
    blocked(now: number): number {
        let n = 0;
        for (const e of this.entries.values()) if (e.until > now) n++;
        return n;
    }

    private live(key: string, now: number): BackoffEntry | undefined {
        const e = this.entries.get(key);
        if (e === undefined || now - e.last < this.policy.forgetMs) return e;
        this.entries.delete(key);
        return undefined;
    }
}

/**
 * Connections waiting for their hello, grouped by address key, so that when
 * there are too many the one to close is the oldest of the address holding
 * the most: a flood from a few addresses closes its own connections, never
 * the one device that came from elsewhere. O(1) per change.
 */
export class PendingPool<T> {
    private readonly byKey = new Map<string, Set<T>>();
    /** Keys by how many connections each holds. */
    private readonly byCount = new Map<number, Set<string>>();
    private most = 0;
    private count = 0;

    get size(): number {
        return this.count;
    }

    add(key: string, item: T): void {
        let set = this.byKey.get(key);
        if (!set) {
            set = new Set();
            this.byKey.set(key, set);
        }
        if (set.has(item)) return;
        this.move(key, set.size, set.size + 1);
        set.add(item);
        this.count++;
    }

    remove(key: string, item: T): void {
        const set = this.byKey.get(key);
        if (!set?.delete(item)) return;
        this.move(key, set.size + 1, set.size);
        if (set.size === 0) this.byKey.delete(key);
        this.count--;
    }

    /** The oldest connection of the address with the most; undefined when none wait. */
    victim(): T | undefined {
        const key = this.byCount.get(this.most)?.values().next().value;
        return key === undefined ? undefined : this.byKey.get(key)?.values().next().value;
    }

    private move(key: string, from: number, to: number): void {
        if (from > 0) {
            const old = this.byCount.get(from) as Set<string>;
            old.delete(key);
            if (old.size === 0) this.byCount.delete(from);
        }
        if (to > 0) {
            let set = this.byCount.get(to);
            if (!set) {
                set = new Set();
                this.byCount.set(to, set);
            }
            set.add(key);
        }
        if (to > this.most) this.most = to;
        else if (from === this.most && !this.byCount.has(from)) this.most = to;
    }
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

export const REFUSAL_REPORT_MS = COUNTED_LOG_WINDOW_MS;

/** Refusals counted by reason and reported at a bounded rate (see CountedLog), in the gateway's report shape. */
export class RefusalLog extends CountedLog<RefusalReason, RefusalDetail> {
    constructor(report: (r: RefusalReport) => void, windowMs = REFUSAL_REPORT_MS, clock: Clock = realClock) {
        super(
            (reason, detail, count, total) => {
                report({ reason, count, total, detail });
            },
            windowMs,
            clock,
        );
    }
}
