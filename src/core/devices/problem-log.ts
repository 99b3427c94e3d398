import { realClock, type Clock } from '../shared/clock';
import type { DeviceProblem } from './types';

/** A problem to log: the first of its code at once (count 1), later ones summed up per window. */
export interface ProblemReport {
    readonly problem: DeviceProblem;
    /** Problems of this code this report stands for. */
    readonly count: number;
    /** Problems of this code since the node started. */
    readonly total: number;
}

export const PROBLEM_REPORT_MS = 10_000;

/**
 * Counts payloads that did not parse, by code, and reports them at a bounded
 * rate, like the gateway's refusals: a device sending garbage ten times a
 * second costs a counter increment each and one log line per window.
 */
export class ProblemLog {
    private readonly totals = new Map<string, number>();
    private readonly pending = new Map<string, { count: number; last: DeviceProblem; timer: unknown }>();
    private stopped = false;

    constructor(
        private readonly report: (r: ProblemReport) => void,
        private readonly windowMs = PROBLEM_REPORT_MS,
        private readonly clock: Clock = realClock,
    ) {}

    add(problem: DeviceProblem): void {
        if (this.stopped) return;
        const total = (this.totals.get(problem.code) ?? 0) + 1;
        this.totals.set(problem.code, total);
        const open = this.pending.get(problem.code);
        if (open) {
            open.count++;
            open.last = problem;
            return;
        }
        this.pending.set(problem.code, { count: 0, last: problem, timer: this.schedule(problem.code) });
        this.report({ problem, count: 1, total });
    }

    get total(): number {
        let sum = 0;
        for (const n of this.totals.values()) sum += n;
        return sum;
    }

    /** By code (`device.not-json`…), only codes that occurred. */
    counts(): Record<string, number> {
        return Object.fromEntries(this.totals);
    }

    stop(): void {
        this.stopped = true;
        for (const p of this.pending.values()) this.clock.clearTimeout(p.timer);
        this.pending.clear();
    }

    private schedule(code: string): unknown {
        return this.clock.setTimeout(() => {
            this.flush(code);
        }, this.windowMs);
    }

    private flush(code: string): void {
        const open = this.pending.get(code);
        if (!open) return;
        if (open.count === 0) {
            this.pending.delete(code);
            return;
        }
        const count = open.count;
        open.count = 0;
        open.timer = this.schedule(code);
        this.report({ problem: open.last, count, total: this.totals.get(code) ?? count });
    }
}
