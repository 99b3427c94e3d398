import { realClock, type Clock } from '../shared/clock';
import { ReadError, timeoutError, type FailureStatus } from '../shared/reading';

export type ReadFn<T> = (signal: AbortSignal) => Promise<T>;

interface Timing {
    readonly seq: number;
    /** When the read ended, ms since 1970. */
    readonly ts: number;
    readonly latencyMs: number;
}

export type PollResult<T> =
    | (Timing & { readonly status: 'ok'; readonly value: T })
    | (Timing & { readonly status: FailureStatus; readonly error: Error })
    /** A read was asked for while one was still running: not started, counted in `skipped`. */
    | { readonly status: 'skipped' }
    /** The poller closed while the read ran. */
    | { readonly status: 'closed' };

export interface PollerOptions<T> {
    readonly read: ReadFn<T>;
    /** 0: reads only on demand. */
    readonly intervalMs: number;
    /** Ticks fall on multiples of the interval since 1970 rather than counting from start(). */
    readonly align?: boolean;
    /** 0: no timeout; the read bounds its own time (a fleet cycle, whose reads each have one). */
    readonly timeoutMs: number;
    readonly clock?: Clock;
    /** Results of the reads the interval started (on-demand reads resolve their own promise). */
    readonly onPoll?: (result: PollResult<T>) => void;
}

/**
 * Reads a source on an interval and on demand, one read at a time.
 * Ticks are due at start + k × interval, so the schedule does not drift with
 * read latency or timer lateness; a tick (or a demand) that finds a read still
 * running is counted as skipped rather than stacked. Every read is aborted and
 * reported as `timeout` once it runs longer than the timeout.
 */
export class SensorPoller<T> {
    private readonly clock: Clock;
    private timer: unknown;
    private startedAt = 0;
    private tick = 0;
    private inFlight: { controller: AbortController; finish: (r: PollResult<T>) => void } | undefined;
    private seq = 0;
    private closed = false;
    skipped = 0;

    constructor(private readonly opts: PollerOptions<T>) {
        this.clock = opts.clock ?? realClock;
    }

    get running(): boolean {
        return this.timer !== undefined;
    }

    get busy(): boolean {
        return this.inFlight !== undefined;
    }

    /** Starts polling with a read now; does nothing when already running or without an interval. */
    start(): void {
        if (this.closed || this.running || this.opts.intervalMs <= 0) return;
        const now = this.clock.now();
        this.startedAt = this.opts.align ? now - (now % this.opts.intervalMs) : now;
        this.tick = 0;
        this.onTick();
    }

    /** Stops polling; a read already running still completes and is reported. */
    stop(): void {
        if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
        this.timer = undefined;
    }

    /** Stops for good: clears the timers and aborts the running read, which resolves as `closed`. */
    close(): void {
        this.closed = true;
        this.stop();
        const flight = this.inFlight;
        if (flight) {
            flight.controller.abort();
            flight.finish({ status: 'closed' });
        }
    }

    private onTick = (): void => {
        this.timer = undefined;
        const interval = this.opts.intervalMs;
        const now = this.clock.now();
        // Ticks missed while the event loop was blocked are not made up: the next is the first one still ahead.
        this.tick = Math.max(this.tick + 1, Math.floor((now - this.startedAt) / interval) + 1);
        this.timer = this.clock.setTimeout(this.onTick, this.startedAt + this.tick * interval - now);
        void this.read().then((result) => {
            if (result.status !== 'closed') this.opts.onPoll?.(result);
        });
    };

    /** One read now. Always resolves; failures are results, not rejections. */
    read(): Promise<PollResult<T>> {
        if (this.closed) return Promise.resolve({ status: 'closed' });
        if (this.inFlight) {
            this.skipped++;
            return Promise.resolve({ status: 'skipped' });
        }
        const seq = ++this.seq;
        const begin = this.clock.now();
        const controller = new AbortController();
        return new Promise<PollResult<T>>((resolve) => {
            let settled = false;
            const finish = (result: PollResult<T>): void => {
                if (settled) return;
                settled = true;
                if (timeout !== undefined) this.clock.clearTimeout(timeout);
                this.inFlight = undefined;
                resolve(result);
            };
            const timing = (): Timing => {
                const ts = this.clock.now();
                return { seq, ts, latencyMs: ts - begin };
            };
            const ms = this.opts.timeoutMs;
            const timeout =
                ms > 0
                    ? this.clock.setTimeout(() => {
                          controller.abort();
                          finish({
                              status: 'timeout',
                              error: timeoutError(ms),
                              ...timing(),
                          });
                      }, ms)
                    : undefined;
            this.inFlight = { controller, finish };
            let pending: Promise<T>;
            try {
                pending = this.opts.read(controller.signal);
            } catch (err) {
                pending = Promise.reject(err instanceof Error ? err : new Error(String(err)));
            }
            pending.then(
                (value) => {
                    finish({ status: 'ok', value, ...timing() });
                },
                (err: unknown) => {
                    const error = err instanceof Error ? err : new Error(String(err));
                    const status = error instanceof ReadError ? error.status : 'error';
                    finish({ status, error, ...timing() });
                },
            );
        });
    }
}
