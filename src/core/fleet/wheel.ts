import { realClock, type Clock } from '../shared/clock';

/** Where a read without a promise reports; `k` is the read's number in its cycle. */
export interface ReadSink<T> {
    readOk(k: number, value: T): void;
    readFailed(k: number, error: unknown): void;
}

/** The reads due in one millisecond, in parallel arrays: no object per read. */
interface Bucket {
    timer: unknown;
    readonly sinks: ReadSink<unknown>[];
    readonly ks: number[];
    readonly outcomes: unknown[];
    readonly failed: boolean[];
}

/**
 * Timers for many simulated reads, one per due millisecond rather than one per read:
 * 10,000 reads started together with latencies of 100–500 ms share about 400
 * timers, and a pending read costs four array slots instead of a timer, a
 * promise and two closures that would all live through its latency and end up
 * in the old generation for the garbage collector.
 */
export class ReadWheel {
    private readonly buckets = new Map<number, Bucket>();
    private pending = 0;

    constructor(private readonly clock: Clock = realClock) {}

    /** Reads waiting for their time. */
    get size(): number {
        return this.pending;
    }

    /** Reports `outcome` to `sink` in `ms` (a failure when `failed`), never synchronously. */
    after<T>(ms: number, sink: ReadSink<T>, k: number, outcome: unknown, failed: boolean): void {
        const due = this.clock.now() + ms;
        let b = this.buckets.get(due);
        if (b === undefined) {
            b = { timer: undefined, sinks: [], ks: [], outcomes: [], failed: [] };
            b.timer = this.clock.setTimeout(() => {
                this.fire(due);
            }, ms);
            this.buckets.set(due, b);
        }
        b.sinks.push(sink);
        b.ks.push(k);
        b.outcomes.push(outcome);
        b.failed.push(failed);
        this.pending++;
    }

    /** Delivers a bucket; a sink that throws does not cost the others their results: the first error is rethrown after. */
    private fire(due: number): void {
        const b = this.buckets.get(due);
        if (b === undefined) return;
        this.buckets.delete(due);
        this.pending -= b.ks.length;
        let thrown: { error: unknown } | undefined;
        for (let i = 0; i < b.ks.length; i++) {
            try {
                if (b.failed[i]) b.sinks[i].readFailed(b.ks[i], b.outcomes[i]);
                else b.sinks[i].readOk(b.ks[i], b.outcomes[i]);
            } catch (error) {
                thrown ??= { error };
            }
        }
        if (thrown) throw thrown.error;
    }

    /** Drops every pending read: its sink never hears of it. */
    clear(): void {
        for (const b of this.buckets.values()) this.clock.clearTimeout(b.timer);
        this.buckets.clear();
        this.pending = 0;
    }
}
