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

/** A sensor's outcomes so far: what its status shows and what the monitor reads. */
export class SensorRecord {
    shown: Shown = { kind: 'none' };
    last: LastRead | undefined;

    value(value: ReadingValue, at: At): void {
        this.shown = { kind: 'value', value };
        this.last = { status: 'ok', ...at, value };
    }

    /**
     * Records a failure and says whether to report it. An offline sensor is polled on: it is reported
     * when it goes offline, not again on every poll; a failure asked for by a message always is.
     */
    failure(status: FailureStatus, at: At, asked: boolean): boolean {
        const repeat =
            !asked && status === 'offline' && this.shown.kind === 'failure' && this.shown.status === 'offline';
        this.shown = { kind: 'failure', status };
        this.last = { status, ...at };
        return !repeat;
    }

    metrics(): LastRead | Record<string, never> {
        return this.last ?? {};
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
