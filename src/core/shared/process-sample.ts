import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** How the process is doing: event-loop delay, heap and resident memory. */
export interface ProcessSample {
    readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
    readonly heapUsedMiB: number;
    readonly rssMiB: number;
}

const MIB = 1024 * 1024;
const round2 = (v: number): number => Math.round(v * 100) / 100;

/**
 * Event-loop delay since the last sample, and memory now. The delay comes
 * from Node's own histogram (a libuv timer, no JavaScript per tick); each
 * sample resets it, so a cycle's figures are that cycle's.
 */
export class ProcessSampler {
    private readonly histogram: IntervalHistogram;

    constructor(resolutionMs = 10) {
        this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
        this.histogram.enable();
    }

    readonly sample = (): ProcessSample => {
        const h = this.histogram;
        const ms = (ns: number): number => (Number.isFinite(ns) ? round2(ns / 1e6) : 0);
        const seen = h.count > 0;
        const delay = {
            p50: seen ? ms(h.percentile(50)) : 0,
            p99: seen ? ms(h.percentile(99)) : 0,
            max: seen ? ms(h.max) : 0,
        };
        h.reset();
        const mem = process.memoryUsage();
        return { eventLoopDelayMs: delay, heapUsedMiB: round2(mem.heapUsed / MIB), rssMiB: round2(mem.rss / MIB) };
    };

    close(): void {
        this.histogram.disable();
    }
}
