import { realClock, type Clock } from '../shared/clock';
import { CountedLog, COUNTED_LOG_WINDOW_MS } from '../shared/counted-log';
import type { DeviceProblem } from './types';

/** A problem to log: the first of its code at once (count 1), later ones summed up per window. */
export interface ProblemReport {
    readonly problem: DeviceProblem;
    /** Problems of this code this report stands for. */
    readonly count: number;
    /** Problems of this code since the node started. */
    readonly total: number;
}

export const PROBLEM_REPORT_MS = COUNTED_LOG_WINDOW_MS;

/** Payloads that did not parse, counted by code and reported at a bounded rate (see CountedLog). */
export function problemLog(
    report: (r: ProblemReport) => void,
    windowMs = PROBLEM_REPORT_MS,
    clock: Clock = realClock,
): CountedLog<string, DeviceProblem> {
    return new CountedLog<string, DeviceProblem>(
        (_code, problem, count, total) => {
            report({ problem, count, total });
        },
        windowMs,
        clock,
    );
}
