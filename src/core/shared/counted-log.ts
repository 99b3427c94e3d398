import { realClock, type Clock } from './clock';

/** The default window over which repeats of one kind are summed into one report. */
export const COUNTED_LOG_WINDOW_MS = 10_000;

/** What a report says: of one kind, the last case, how many it stands for, and how many since the start. */
export type CountedReportFn<K extends string, D> = (kind: K, last: D, count: number, total: number) => void;

/**
 * Counts failures by kind and reports them at a bounded rate: the first of a
 * kind at once, the rest summed up once per window. A flood of bad input (a
 * gateway's refused lines, a broker's garbage payloads) thus costs a counter
 * increment each, and one log line per window.
 */
export class CountedLog<K extends string, D> {
    private readonly totals = new Map<K, number>();
    private readonly pending = new Map<K, { count: number; last: D; timer: unknown }>();
    private stopped = false;

    constructor(
        private readonly report: CountedReportFn<K, D>,
        private readonly windowMs = COUNTED_LOG_WINDOW_MS,
        private readonly clock: Clock = realClock,
    ) {}

    add(kind: K, last: D): void {
        if (this.stopped) return;
        const total = (this.totals.get(kind) ?? 0) + 1;
        this.totals.set(kind, total);
        const open = this.pending.get(kind);
        if (open) {
            open.count++;
            open.last = last;
            return;
        }
        this.pending.set(kind, { count: 0, last, timer: this.schedule(kind) });
        this.report(kind, last, 1, total);
    }

    /** Since the start, by kind (only kinds that occurred). */
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

    private schedule(kind: K): unknown {
        return this.clock.setTimeout(() => {
            this.flush(kind);
        }, this.windowMs);
    }

    private flush(kind: K): void {
        const open = this.pending.get(kind);
        if (!open) return;
        if (open.count === 0) {
            this.pending.delete(kind);
            return;
        }
        const count = open.count;
        open.count = 0;
        open.timer = this.schedule(kind);
        this.report(kind, open.last, count, this.totals.get(kind) ?? count);
    }
}
