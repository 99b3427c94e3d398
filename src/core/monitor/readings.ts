/**
 * The latest reading of every sensor whose readings pass the monitor's hub,
 * for the Prometheus output. The monitor learns them from the hub's publish
 * listener it already has: no sensor, fleet or gateway needs to know about
 * monitors, and a reading from another Node-RED over MQTT counts too.
 */

/** At most this many sensors are kept by default: each is a series in every scrape. */
export const READINGS_MAX = 1000;

export interface LatestReading {
    readonly id: string;
    readonly kind: string;
    readonly unit: string;
    readonly location: string;
    /** The value as a number: motion and contact give 1 for true, 0 for false. */
    readonly value: number;
    /** When it was read, ms since 1970 (the reading's own time, else when the monitor saw it). */
    readonly ts: number;
}

export interface ReadingsSnapshot {
    /** In order of each sensor's first reading. */
    readonly latest: readonly LatestReading[];
    /** Readings of sensors beyond the bound, since the monitor started: not kept. */
    readonly dropped: number;
    readonly max: number;
}

type Fields = Readonly<Record<string, unknown>>;

const isFields = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
const textAt = (o: Fields, key: string): string => (typeof o[key] === 'string' ? o[key] : '');

/** The value of a message that follows the reading contract and is ok, as a number; else undefined. */
function valueOf(msg: Fields): number | undefined {
    const reading = msg.reading;
    if (isFields(reading) && reading.status !== undefined && reading.status !== 'ok') return undefined;
    const v = msg.payload;
    if (typeof v === 'boolean') return Number(v);
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Keeps the latest reading per sensor id, for at most `max` sensors; readings
 * of sensors beyond that are counted, not kept, so a flood of ids costs
 * bounded memory and a bounded number of series.
 */
export class LatestReadings {
    private readonly bySensor = new Map<string, LatestReading>();
    private dropped = 0;

    constructor(
        readonly max: number,
        private readonly now: () => number,
    ) {}

    /** A published message; anything that is not an ok reading with a sensor id is passed over. */
    readonly record = (msg: Readonly<Record<string, unknown>>): void => {
        const sensor = msg.sensor;
        if (!isFields(sensor) || typeof sensor.id !== 'string' || sensor.id === '') return;
        const value = valueOf(msg);
        if (value === undefined) return;
        if (!this.bySensor.has(sensor.id) && this.bySensor.size >= this.max) {
            this.dropped++;
            return;
        }
        const ts = isFields(msg.reading) ? msg.reading.ts : undefined;
        this.bySensor.set(sensor.id, {
            id: sensor.id,
            kind: textAt(sensor, 'kind'),
            unit: textAt(sensor, 'unit'),
            location: textAt(sensor, 'location'),
            value,
            ts: typeof ts === 'number' && Number.isFinite(ts) ? ts : this.now(),
        });
    };

    snapshot(): ReadingsSnapshot {
        return { latest: [...this.bySensor.values()], dropped: this.dropped, max: this.max };
    }
}
