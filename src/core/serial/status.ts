import { realClock, type Clock } from '../shared/clock';
import { said, type StatusView } from '../shared/status';
import type { ConnectionState } from './connection';

const STATE_STATUS: Readonly<Record<ConnectionState, Pick<StatusView, 'fill' | 'shape'>>> = {
    opening: { fill: 'yellow', shape: 'ring' },
    open: { fill: 'green', shape: 'dot' },
    disconnected: { fill: 'red', shape: 'ring' },
    closed: { fill: 'grey', shape: 'ring' },
};

/** The status a port's users show for its connection's state; a port that cannot be used says so. */
export function serialStatus(state: ConnectionState, path: string, badConfig: boolean): StatusView {
    if (badConfig) return { fill: 'red', shape: 'ring', text: said('bad-config') };
    return { ...STATE_STATUS[state], text: said(state, { path }) };
}

/** Oversized-line warnings are summed up at most this often. */
export const OVERSIZED_WARN_MS = 10_000;

/**
 * Says the lines dropped for being too long: the first at once, the rest summed up once per
 * interval, so a device that floods the port costs a counter each, not a log line each.
 */
export class OversizedLines {
    private since = 0;
    private timer: unknown;

    constructor(
        private readonly warn: (count: number) => void,
        private readonly clock: Clock = realClock,
        private readonly everyMs = OVERSIZED_WARN_MS,
    ) {}

    count(): void {
        this.since++;
        this.timer ??= this.clock.setTimeout(this.flush, 0);
    }

    stop(): void {
        if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
        this.timer = undefined;
        this.since = 0;
    }

    private readonly flush = (): void => {
        this.timer = undefined;
        if (this.since === 0) return;
        this.warn(this.since);
        this.since = 0;
        this.timer = this.clock.setTimeout(this.flush, this.everyMs);
    };
}
