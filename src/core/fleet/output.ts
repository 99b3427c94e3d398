import { failedReading, type FailureStatus, type ReadingValue } from '../shared/reading';
import type { CycleOutcome, FleetResult } from './fleet';
import type { FleetOutput } from './config';

/** A result as a message: a reading-contract message (ok) or a failure message for the failure output. */
export interface ResultMessage {
    readonly ok: boolean;
    readonly msg: Record<string, unknown>;
}

/** A failure's payload: its status and why, in the runtime's language. */
export interface FailurePayload {
    readonly status: FailureStatus;
    readonly message: string;
}

/**
 * A result as a reading-contract message (ok) or a failure message, without `msg.error` for the batch.
 * `say` gives a failure's reason in the runtime's language; it is not called for a good reading.
 */
export function resultMessage(r: FleetResult<ReadingValue>, say: (err: Error) => string): ResultMessage {
    const sensor = { ...r.member.info };
    if (r.status === 'ok') {
        const reading = { status: 'ok', ts: r.ts, latencyMs: r.latencyMs, seq: r.seq };
        return { ok: true, msg: { topic: r.member.eventType, payload: r.value, sensor, reading } };
    }
    const at = { ts: r.ts, latencyMs: r.latencyMs, seq: r.seq };
    const payload: FailurePayload = { status: r.status, message: say(r.error) };
    return {
        ok: false,
        msg: { topic: r.member.eventType, payload, sensor, reading: failedReading(r.status, at) },
    };
}

/** Whether a result goes out on its own: failures always do, readings only in stream output. */
export function sentAlone(r: FleetResult<ReadingValue>, output: FleetOutput): boolean {
    return r.status !== 'ok' || output !== 'batch';
}

/**
 * A batch's messages, made as each result arrives: made all at once when a
 * cycle of 100,000 reads ends, they would hold the event loop for that long.
 */
export class BatchItems {
    private items: Record<string, unknown>[] = [];

    constructor(private readonly say: (err: Error) => string) {}

    add(r: FleetResult<ReadingValue>): void {
        this.items.push(resultMessage(r, this.say).msg);
    }

    /** The messages so far; the next ones start a new batch. */
    take(): Record<string, unknown>[] {
        const items = this.items;
        this.items = [];
        return items;
    }
}

/**
 * A cycle's messages: the batch of its readings (batch output only) and its statistics. The batch holds
 * `items` when given (see BatchItems), else the outcome's results.
 */
export function cycleMessages(
    outcome: CycleOutcome<ReadingValue>,
    output: FleetOutput,
    say: (err: Error) => string,
    items?: Record<string, unknown>[],
): { batch: Record<string, unknown> | undefined; stats: Record<string, unknown> } {
    const { stats, results } = outcome;
    const payload = (): Record<string, unknown>[] => items ?? results.map((r) => resultMessage(r, say).msg);
    const batch = output === 'batch' ? { topic: 'fleet_cycle', payload: payload(), stats } : undefined;
    return { batch, stats: { topic: 'fleet_stats', payload: stats } };
}
