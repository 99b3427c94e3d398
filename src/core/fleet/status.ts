import { said, type StatusText, type StatusView } from '../shared/status';
import type { CycleStats } from './fleet';

/** What the fleet's status is drawn from. */
export interface FleetView {
    /** Polling on an interval was stopped (and no cycle is running). */
    readonly stopped: boolean;
    /** The last cycle's statistics; undefined before the first cycle. */
    readonly last: CycleStats | undefined;
    /** The sensors in the fleet. */
    readonly size: number;
    /** Cycles not started because the one before was still running. */
    readonly skipped: number;
}

/** "12/12 ok · 180 ms", green while every sensor answers, yellow when some fail, red when none answer. */
export function fleetStatus(v: FleetView): StatusView {
    if (v.stopped) return { fill: 'grey', shape: 'ring', text: said('stopped') };
    const last = v.last;
    if (!last) return { fill: 'grey', shape: 'dot', text: said('sensors', { count: v.size }) };
    let text: StatusText = said('cycle', { ok: last.ok, total: last.sensors, ms: Math.round(last.durationMs) });
    if (last.quarantined > 0) text = said('with-quarantined', { text, count: last.quarantined });
    if (v.skipped > 0) text = said('with-skipped', { text, count: v.skipped });
    const fill = last.failed + last.quarantined === 0 ? 'green' : last.ok > 0 ? 'yellow' : 'red';
    return { fill, shape: 'dot', text };
}
