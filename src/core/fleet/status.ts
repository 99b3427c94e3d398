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
    /** A fleet shared with other instances: whether it waits to take part, and the instances taking part. */
    readonly sharing?: { readonly joining: boolean; readonly instances: number };
    /** A count with its digits grouped as the runtime's language writes them ("3,412"). */
    readonly group?: (n: number) => string;
}

/** `n` with `separator` between groups of three digits. */
export function groupDigits(n: number, separator: string): string {
    return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, separator);
}

/** "3 instances", "1 instance". */
function instancesText(n: number): StatusText {
    return n === 1 ? said('one-instance') : said('instances', { count: n });
}

/** "3,412 of 10,000 sensors · 3 instances · 180 ms"; with failures, how many of its share answered. */
function shareText(last: CycleStats, share: NonNullable<CycleStats['share']>, g: (n: number) => string): StatusText {
    const params = { count: g(last.sensors), total: g(share.of), instances: instancesText(share.instances) };
    const ms = Math.round(last.durationMs);
    if (last.ok === last.sensors) return said('share', { ...params, ms });
    return said('share-failed', { ...params, ok: g(last.ok), ms });
}

/** "12/12 ok · 180 ms", green while every sensor answers, yellow when some fail, red when none answer. */
export function fleetStatus(v: FleetView): StatusView {
    if (v.stopped) return { fill: 'grey', shape: 'ring', text: said('stopped') };
    const last = v.last;
    const g = v.group ?? String;
    if (v.sharing?.joining)
        return {
            fill: 'yellow',
            shape: 'ring',
            text: said('joining', { total: g(v.size), instances: instancesText(v.sharing.instances) }),
        };
    if (!last) return { fill: 'grey', shape: 'dot', text: said('sensors', { count: v.size }) };
    let text: StatusText = last.share
        ? shareText(last, last.share, g)
        : said('cycle', { ok: last.ok, total: last.sensors, ms: Math.round(last.durationMs) });
    if (last.quarantined > 0) text = said('with-quarantined', { text, count: last.quarantined });
    if (v.skipped > 0) text = said('with-skipped', { text, count: v.skipped });
    const fill = last.failed + last.quarantined === 0 ? 'green' : last.ok > 0 ? 'yellow' : 'red';
    return { fill, shape: 'dot', text };
}
