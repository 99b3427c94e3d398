import type { FailureStatus, ReadingValue, SensorInfo } from '../shared/reading';
import { said, type StatusText, type StatusView } from '../shared/status';

/** What the status shows: nothing yet, the last value, or the last failure. */
export type Shown =
    | { readonly kind: 'none' }
    | { readonly kind: 'value'; readonly value: ReadingValue }
    | { readonly kind: 'failure'; readonly status: FailureStatus };

/** The last read's outcome, as the monitor node reads it. */
export interface LastRead {
    readonly status: string;
    readonly ts: number;
    readonly latencyMs: number;
    readonly seq: number;
    readonly value?: ReadingValue;
}

type At = { readonly ts: number; readonly latencyMs: number; readonly seq: number };

/** The status key of a boolean reading, [false, true], per kind. */
const BOOLEAN_STATUS: Readonly<Record<string, readonly [string, string]>> = {
    motion: ['no-motion', 'motion'],
    contact: ['open', 'closed'],
};

/**
 * A sensor's outcomes so far: what its status shows and what the monitor reads.
 * A pushing device records hundreds of thousands of outcomes a second while the
 * status is drawn once a second: the outcome is kept as plain fields, and what
 * the status and the monitor read is built when they read it.
 */
export class SensorRecord {
    private status: string | undefined;
    private ts = 0;
    private latencyMs = 0;
    private seq = 0;
    private value_: ReadingValue | undefined;

    value(value: ReadingValue, at: At): void {
        this.set('ok', at);
        this.value_ = value;
    }

    /**
     * Records a failure and says whether to report it. An offline sensor is polled on: it is reported
     * when it goes offline, not again on every poll; a failure asked for by a message always is.
     */
    failure(status: FailureStatus, at: At, asked: boolean): boolean {
        const repeat = !asked && status === 'offline' && this.status === 'offline';
        this.set(status, at);
        this.value_ = undefined;
        return !repeat;
    }

    get shown(): Shown {
        if (this.status === undefined) return { kind: 'none' };
        if (this.status === 'ok') return { kind: 'value', value: this.value_ as ReadingValue };
        return { kind: 'failure', status: this.status as FailureStatus };
    }

    get last(): LastRead | undefined {
        if (this.status === undefined) return undefined;
        const { status, ts, latencyMs, seq } = this;
        return status === 'ok' ? { status, ts, latencyMs, seq, value: this.value_ } : { status, ts, latencyMs, seq };
    }

    metrics(): LastRead | Record<string, never> {
        return this.last ?? {};
    }

    private set(status: string, at: At): void {
        this.status = status;
        this.ts = at.ts;
        this.latencyMs = at.latencyMs;
        this.seq = at.seq;
    }
}

/** A value as the status shows it: "21.4 °C", "0.125", or the kind's word for a boolean. */
export function valueText(value: ReadingValue, sensor: SensorInfo): StatusText {
    if (typeof value === 'boolean') return said(BOOLEAN_STATUS[sensor.kind][+value]);
    const shown = sensor.kind === 'generic' ? String(Math.round(value * 1000) / 1000) : value.toFixed(1);
    return sensor.unit ? `${shown} ${sensor.unit}` : shown;
}

/** The sensor's status (undefined: none), unless its serial port's status is shown instead. */
export function sensorStatus(
    shown: Shown,
    sensor: SensorInfo,
    poll: { readonly stopped: boolean; readonly skipped: number },
): StatusView | undefined {
    const base = baseStatus(shown, sensor, poll.stopped);
    if (base === undefined || poll.skipped <= 0) return base;
    return { ...base, text: said('with-skipped', { text: base.text, skipped: poll.skipped }) };
}

function baseStatus(shown: Shown, sensor: SensorInfo, stopped: boolean): StatusView | undefined {
    if (stopped) return { fill: 'grey', shape: 'ring', text: said('stopped') };
    if (shown.kind === 'failure') return { fill: 'red', shape: 'ring', text: said(shown.status) };
    if (shown.kind === 'value') return { fill: 'green', shape: 'dot', text: valueText(shown.value, sensor) };
    return undefined;
}
