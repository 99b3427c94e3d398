import { ReadError, timeoutError, type FailureStatus, type SensorInfo } from '../shared/reading';
import type { ProcessSample } from '../shared/process-sample';
import { realClock, type Clock } from '../shared/clock';
import type { ReadSink } from './wheel';

/** One sensor of a fleet: who it is and how to read it once. */
export interface FleetMember<T> {
    readonly info: SensorInfo;
    readonly eventType: string;
    /** One read; a rejection with a ReadError carries its status, anything else is `error`. */
    read(): Promise<T>;
    /**
     * The same read without a promise, used by cycles when present: reports to `sink` exactly once, never
     * synchronously (a failure as with `read`).
     */
    readInto?(sink: ReadSink<T>, k: number): void;
}

interface Timing {
    /** When the read ended (or timed out), ms since 1970. */
    readonly ts: number;
    readonly latencyMs: number;
    /** Read attempts of this sensor, failures included. */
    readonly seq: number;
    /** A quarantined sensor's retry, read alone between cycles. */
    readonly probe: boolean;
}

export type FleetResult<T> =
    | (Timing & { readonly member: FleetMember<T>; readonly status: 'ok'; readonly value: T })
    | (Timing & { readonly member: FleetMember<T>; readonly status: FailureStatus; readonly error: Error });

export interface BreakerOptions {
    /** Consecutive failures that quarantine a sensor; 0: never. */
    readonly failures: number;
    /** The first quarantine; each one after a failed retry doubles it, up to maxMs. */
    readonly baseMs: number;
    readonly maxMs: number;
}

export interface Percentiles {
    readonly p50: number;
    readonly p95: number;
    readonly max: number;
}

/** What the process looked like at the end of a cycle; supplied by the caller (see `processSample`). */
export interface CycleStats {
    readonly cycle: number;
    /** ms since 1970. */
    readonly startedAt: number;
    readonly durationMs: number;
    readonly sensors: number;
    /** Reads started this cycle: the sensors less the quarantined ones. */
    readonly reads: number;
    readonly ok: number;
    /** error + offline + timeout. */
    readonly failed: number;
    readonly error: number;
    readonly offline: number;
    readonly timeout: number;
    /** Sensors left out of this cycle because their breaker is open. */
    readonly quarantined: number;
    /** Quarantined sensors retried alone since the last cycle, and how many of them came back. */
    readonly retried: number;
    readonly recovered: number;
    /** Cycles not started because the one before was still running, since the fleet started. */
    readonly skippedCycles: number;
    /** Over every read of this cycle that ended, timeouts counted at the timeout. */
    readonly latencyMs: Percentiles;
    /** A partitioned fleet: `sensors` is this instance's share of `of` sensors, read by `instances` instances. */
    readonly share?: { readonly of: number; readonly instances: number };
    readonly eventLoopDelayMs?: ProcessSample['eventLoopDelayMs'];
    readonly heapUsedMiB?: number;
    readonly rssMiB?: number;
}

export interface CycleOutcome<T> {
    readonly stats: CycleStats;
    /** Every result of the cycle in the order they arrived, and the retries since the last cycle; empty unless `collect`. */
    readonly results: readonly FleetResult<T>[];
}

export interface FleetOptions<T> {
    readonly timeoutMs: number;
    /** Reads running at once; 0: every sensor at once. */
    readonly concurrency: number;
    readonly breaker: BreakerOptions;
    /** Keep every result for the cycle's outcome (batch output). */
    readonly collect: boolean;
    readonly clock?: Clock;
    /** Every result the moment it is known, retries included (stream output, failure output). */
    readonly onResult?: (result: FleetResult<T>) => void;
    /** A sensor just quarantined, with the failure that did it and how long until its retry. */
    readonly onQuarantine?: (member: FleetMember<T>, error: Error, retryInMs: number) => void;
    readonly sample?: () => ProcessSample;
    /** The sensors (by position in `members`) a cycle starting at `startedAt` reads; undefined: all of them. */
    readonly share?: (members: readonly FleetMember<T>[], startedAt: number) => FleetShare | undefined;
}

/** This instance's part of a fleet split across instances (see partition.ts). */
export interface FleetShare {
    /** 1 for each sensor this instance reads. */
    readonly mine: Uint8Array;
    readonly owned: number;
    readonly instances: number;
}

/** Per-sensor state that outlives a cycle. */
interface Slot<T> {
    readonly member: FleetMember<T>;
    /** Position in the fleet, for its share. */
    readonly index: number;
    /** The setMembers() call that made it: a retry of a replaced sensor is dropped. */
    readonly gen: number;
    seq: number;
    failures: number;
    /** 0 while the breaker is closed. */
    backoffMs: number;
    retryTimer: unknown;
    retrying: boolean;
}

/** Nearest-rank percentiles of a sorted copy (a cycle has at most FLEET_MAX_SENSORS reads). */
export function percentiles(values: Float64Array): Percentiles {
    if (values.length === 0) return { p50: 0, p95: 0, max: 0 };
    const sorted = values.slice().sort();
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}

function asError(err: unknown): Error {
    return err instanceof Error ? err : new Error(String(err));
}

/** A failed read's error and status: a ReadError carries its own, anything else is `error`. */
function failure(err: unknown): { error: Error; status: FailureStatus } {
    const error = asError(err);
    return { error, status: error instanceof ReadError ? error.status : 'error' };
}

/** Starts one read of `member`: `ok` gets its value, `fail` its error (a synchronous throw included). */
function startRead<T>(
    member: FleetMember<T>,
    ok: (value: T) => void,
    fail: (error: Error, status: FailureStatus) => void,
): void {
    let pending: Promise<T>;
    try {
        pending = member.read();
    } catch (err) {
        pending = Promise.reject(asError(err));
    }
    pending.then(ok, (err: unknown) => {
        const { error, status } = failure(err);
        fail(error, status);
    });
}

/** Reads a cycle starts before it lets the event loop run. */
const START_SLICE = 1000;

/** What a cycle needs of its fleet. */
interface CycleContext<T> {
    readonly opts: FleetOptions<T>;
    readonly clock: Clock;
    readonly cycle: number;
    readonly startedAt: number;
    readonly sensors: number;
    readonly share: FleetShare | undefined;
    /** Retries since the last cycle, and how many came back. */
    readonly retried: number;
    readonly recovered: number;
    /** Feeds a result to its sensor's breaker. */
    readonly record: (slot: Slot<T>, result: FleetResult<T>) => void;
    readonly skippedCycles: () => number;
}

/**
 * One running cycle. Reads are numbered in the order they start; their start
 * times and whether they ended live in typed arrays rather than an object per
 * read: a cycle of 10,000 reads would otherwise keep 10,000 more objects alive
 * for its whole length, for the garbage collector to copy and promote. All
 * reads share one timeout, so one timer on the oldest running read serves
 * them all.
 */
class Cycle<T> implements ReadSink<T> {
    private readonly total: number;
    private readonly limit: number;
    private readonly begins: Float64Array;
    private readonly finished: Uint8Array;
    private readonly latencies: Float64Array;
    private readonly counts = { ok: 0, error: 0, offline: 0, timeout: 0 };
    /** The oldest read that may still be running, and the next to start. */
    private head = 0;
    private next = 0;
    private running = 0;
    private settled = 0;
    private timer: unknown;
    private firing = false;
    private resuming = false;
    private ended = false;
    private signal: AbortSignal | undefined;
    private resolve: (outcome: CycleOutcome<T>) => void = () => {};

    constructor(
        private readonly ctx: CycleContext<T>,
        private readonly due: readonly Slot<T>[],
        private readonly results: FleetResult<T>[],
    ) {
        this.total = due.length;
        this.limit = ctx.opts.concurrency > 0 ? ctx.opts.concurrency : this.total;
        this.begins = new Float64Array(this.total);
        this.finished = new Uint8Array(this.total);
        this.latencies = new Float64Array(this.total);
    }

    run(closed: boolean, signal: AbortSignal | undefined): Promise<CycleOutcome<T>> {
        return new Promise<CycleOutcome<T>>((resolve) => {
            this.resolve = resolve;
            if (this.total === 0 || closed || signal?.aborted) {
                this.end();
                return;
            }
            this.signal = signal;
            signal?.addEventListener('abort', this.end, { once: true });
            this.launch();
        });
    }

    private readonly end = (): void => {
        if (this.ended) return;
        this.ended = true;
        if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
        this.timer = undefined;
        this.signal?.removeEventListener('abort', this.end);
        this.resolve({ stats: this.stats(), results: this.results });
    };

    private stats(): CycleStats {
        const { ctx, counts } = this;
        return {
            cycle: ctx.cycle,
            startedAt: ctx.startedAt,
            durationMs: ctx.clock.now() - ctx.startedAt,
            sensors: ctx.share?.owned ?? ctx.sensors,
            reads: this.total,
            ok: counts.ok,
            failed: counts.error + counts.offline + counts.timeout,
            error: counts.error,
            offline: counts.offline,
            timeout: counts.timeout,
            quarantined: (ctx.share?.owned ?? ctx.sensors) - this.total,
            retried: ctx.retried,
            recovered: ctx.recovered,
            skippedCycles: ctx.skippedCycles(),
            latencyMs: percentiles(this.latencies.subarray(0, this.settled)),
            ...(ctx.share && { share: { of: ctx.sensors, instances: ctx.share.instances } }),
            ...ctx.opts.sample?.(),
        };
    }

    private finish(k: number, result: FleetResult<T>): void {
        if (this.finished[k] === 1 || this.ended) return;
        this.finished[k] = 1;
        this.running--;
        this.latencies[this.settled++] = result.latencyMs;
        this.counts[result.status]++;
        this.ctx.record(this.due[k], result);
        if (this.ctx.opts.collect) this.results.push(result);
        this.ctx.opts.onResult?.(result);
        if (this.settled === this.total) this.end();
        else this.launch();
    }

    /** Sets the timer for the oldest read still running, if any. */
    private arm(): void {
        while (this.head < this.next && this.finished[this.head] === 1) this.head++;
        if (this.head === this.next) return;
        const { clock, opts } = this.ctx;
        this.timer = clock.setTimeout(
            this.onDeadline,
            Math.max(0, this.begins[this.head] + opts.timeoutMs - clock.now()),
        );
    }

    private readonly onDeadline = (): void => {
        this.timer = undefined;
        this.firing = true;
        const now = this.ctx.clock.now();
        const timeoutMs = this.ctx.opts.timeoutMs;
        // One error for every read this sweep times out: they say the same, and 100,000 stack traces cost seconds.
        let error: Error | undefined;
        while (this.head < this.next && !this.ended) {
            const k = this.head;
            if (this.finished[k] === 0) {
                if (this.begins[k] + timeoutMs > now) break;
                const slot = this.due[k];
                error ??= timeoutError(timeoutMs);
                this.finish(k, {
                    member: slot.member,
                    status: 'timeout',
                    error,
                    ts: now,
                    latencyMs: now - this.begins[k],
                    seq: slot.seq,
                    probe: false,
                });
            }
            this.head++;
        }
        this.firing = false;
        if (!this.ended) this.arm();
    };

    private start(k: number): void {
        const slot = this.due[k];
        const member = slot.member;
        this.running++;
        this.begins[k] = this.ctx.clock.now();
        this.next = k + 1;
        ++slot.seq;
        if (this.timer === undefined && !this.firing) this.arm();
        if (member.readInto === undefined) {
            startRead(
                member,
                (value) => {
                    this.readOk(k, value);
                },
                (error) => {
                    this.readFailed(k, error);
                },
            );
            return;
        }
        try {
            member.readInto(this, k);
        } catch (err) {
            void Promise.resolve().then(() => {
                this.readFailed(k, err);
            });
        }
    }

    readOk(k: number, value: T): void {
        const ts = this.ctx.clock.now();
        const slot = this.due[k];
        this.finish(k, {
            member: slot.member,
            status: 'ok',
            value,
            ts,
            latencyMs: ts - this.begins[k],
            seq: slot.seq,
            probe: false,
        });
    }

    readFailed(k: number, err: unknown): void {
        const ts = this.ctx.clock.now();
        const slot = this.due[k];
        const { error, status } = failure(err);
        this.finish(k, {
            member: slot.member,
            status,
            error,
            ts,
            latencyMs: ts - this.begins[k],
            seq: slot.seq,
            probe: false,
        });
    }

    /**
     * Starts reads up to the limit, at most START_SLICE in one go: a cycle of 100,000 sensors would otherwise
     * hold the event loop for the time it takes to start them all.
     */
    private launch(): void {
        // A read ending while a slice is due must not start a whole slice of its own.
        if (this.resuming) return;
        for (let n = 0; this.running < this.limit && this.next < this.total && !this.ended; n++) {
            if (n === START_SLICE) {
                this.resumeSoon();
                return;
            }
            this.start(this.next);
        }
    }

    private resumeSoon(): void {
        if (this.resuming) return;
        this.resuming = true;
        setImmediate(() => {
            this.resuming = false;
            this.launch();
        });
    }
}

/**
 * Reads every sensor of a fleet concurrently, once per `runCycle()`: a cycle
 * lasts as long as its slowest read, never longer than the timeout, however
 * many sensors hang. With a concurrency limit, the next read starts when one
 * ends. All reads share one timeout, so their deadlines fall in the order they
 * started: one timer on the oldest running read serves the whole cycle
 * instead of one timer per read.
 *
 * A sensor that fails `breaker.failures` times in a row is quarantined: left
 * out of cycles and retried alone after a backoff that doubles with every
 * failed retry. The others keep their schedule; a retry that succeeds puts the
 * sensor back in the next cycle.
 */
export class FleetCollector<T> {
    private readonly clock: Clock;
    private slots: Slot<T>[] = [];
    private members: readonly FleetMember<T>[] = [];
    /** The last cycle's share: a quarantined sensor handed to another instance since is not retried here. */
    private share: FleetShare | undefined;
    private cycles = 0;
    private retried: FleetResult<T>[] = [];
    private retriedCount = 0;
    private recoveredCount = 0;
    private closed = false;
    private gen = 0;
    skippedCycles = 0;

    constructor(private readonly opts: FleetOptions<T>) {
        this.clock = opts.clock ?? realClock;
    }

    get size(): number {
        return this.slots.length;
    }

    /** Sensors quarantined now. */
    get quarantined(): number {
        let n = 0;
        for (const s of this.slots) if (s.backoffMs > 0) n++;
        return n;
    }

    /** Replaces the sensors; the next cycle reads the new ones. Breaker state starts afresh. */
    setMembers(members: readonly FleetMember<T>[]): void {
        this.cancelRetries();
        const gen = ++this.gen;
        this.members = members;
        this.share = undefined;
        this.slots = members.map((member, index) => ({
            member,
            index,
            gen,
            seq: 0,
            failures: 0,
            backoffMs: 0,
            retryTimer: undefined,
            retrying: false,
        }));
        this.retried = [];
    }

    /** Stops for good: retries are cancelled and a running cycle's remaining reads are dropped. */
    close(): void {
        this.closed = true;
        this.cancelRetries();
    }

    private cancelRetries(): void {
        for (const s of this.slots) {
            if (s.retryTimer !== undefined) this.clock.clearTimeout(s.retryTimer);
            s.retryTimer = undefined;
        }
    }

    /**
     * One cycle over every sensor not quarantined. Always resolves: failures are
     * results. A signal that aborts (the node closing) ends the cycle at once,
     * with what arrived so far.
     */
    runCycle(signal?: AbortSignal): Promise<CycleOutcome<T>> {
        const startedAt = this.clock.now();
        const share = this.opts.share?.(this.members, startedAt);
        this.share = share;
        const due: Slot<T>[] = [];
        for (const s of this.slots) if (s.backoffMs === 0 && this.isMine(s)) due.push(s);
        const results: FleetResult<T>[] = this.opts.collect ? this.retried : [];
        this.retried = [];
        const cycle = new Cycle<T>(
            {
                opts: this.opts,
                clock: this.clock,
                cycle: ++this.cycles,
                startedAt,
                sensors: this.slots.length,
                share,
                retried: this.retriedCount,
                recovered: this.recoveredCount,
                record: (slot, result) => {
                    this.record(slot, result);
                },
                skippedCycles: () => this.skippedCycles,
            },
            due,
            results,
        );
        this.retriedCount = 0;
        this.recoveredCount = 0;
        return cycle.run(this.closed, signal);
    }

    private isMine(slot: Slot<T>): boolean {
        return this.share === undefined || this.share.mine[slot.index] === 1;
    }

    /** Feeds a result to the sensor's breaker; quarantines it after too many failures in a row. */
    private record(slot: Slot<T>, result: FleetResult<T>): void {
        if (result.status === 'ok') {
            slot.failures = 0;
            slot.backoffMs = 0;
            return;
        }
        slot.failures++;
        const b = this.opts.breaker;
        // A sensor replaced while its read ran is gone: it gets no retry timer to outlive it.
        if (b.failures <= 0 || this.closed || slot.gen !== this.gen) return;
        if (slot.backoffMs > 0) {
            slot.backoffMs = Math.min(b.maxMs, slot.backoffMs * 2);
        } else if (slot.failures >= b.failures) {
            slot.backoffMs = Math.min(b.maxMs, b.baseMs);
            this.opts.onQuarantine?.(slot.member, result.error, slot.backoffMs);
        } else {
            return;
        }
        this.scheduleRetry(slot);
    }

    private scheduleRetry(slot: Slot<T>): void {
        if (slot.retryTimer !== undefined) this.clock.clearTimeout(slot.retryTimer);
        slot.retryTimer = this.clock.setTimeout(() => {
            slot.retryTimer = undefined;
            this.retry(slot);
        }, slot.backoffMs);
    }

    /** Reads a quarantined sensor alone, with the cycle's timeout. */
    private retry(slot: Slot<T>): void {
        if (this.closed || slot.gen !== this.gen || slot.retrying) return;
        if (!this.isMine(slot)) {
            // Another instance reads it now; should it come back here, it starts afresh.
            slot.failures = 0;
            slot.backoffMs = 0;
            return;
        }
        slot.retrying = true;
        const clock = this.clock;
        const begin = clock.now();
        const seq = ++slot.seq;
        const timeoutMs = this.opts.timeoutMs;
        let done = false;
        const finish = (result: FleetResult<T>): void => {
            if (done) return;
            done = true;
            clock.clearTimeout(timer);
            slot.retrying = false;
            if (this.closed || slot.gen !== this.gen) return;
            this.retriedCount++;
            if (result.status === 'ok') this.recoveredCount++;
            this.record(slot, result);
            if (this.opts.collect) this.retried.push(result);
            this.opts.onResult?.(result);
        };
        const timing = (): Timing => {
            const ts = clock.now();
            return { ts, latencyMs: ts - begin, seq, probe: true };
        };
        const timer = clock.setTimeout(() => {
            finish({
                member: slot.member,
                status: 'timeout',
                error: timeoutError(timeoutMs),
                ...timing(),
            });
        }, timeoutMs);
        startRead(
            slot.member,
            (value) => {
                finish({ member: slot.member, status: 'ok', value, ...timing() });
            },
            (error, status) => {
                finish({ member: slot.member, status, error, ...timing() });
            },
        );
    }
}

/**
 * Real-time sleeps that can all be cancelled at once. Simulated fleet members
 * sleep through one of these rather than an AbortSignal each: thousands of
 * listeners on one signal cost more than the reads they guard.
 */
export class TimerSet {
    private readonly timers = new Set<ReturnType<typeof setTimeout>>();

    readonly sleep = (ms: number): Promise<void> =>
        new Promise((resolve) => {
            const t = setTimeout(() => {
                this.timers.delete(t);
                resolve();
            }, ms);
            this.timers.add(t);
        });

    get size(): number {
        return this.timers.size;
    }

    /** Clears every pending sleep; their promises never settle and are collected with the reads. */
    clear(): void {
        for (const t of this.timers) clearTimeout(t);
        this.timers.clear();
    }
}

export type { ProcessSample };
