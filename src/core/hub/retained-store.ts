/**
 * A hub's retained events as they are kept in the hub config node's context,
 * so that a restart of Node-RED with a persistent context store finds them
 * again. Read back, the data is the store's (a file): only what is a valid
 * event is taken, and frozen as the hub keeps its events.
 */
import { deepFreeze } from '../shared/freeze';
import type { EventMessage, HubEventInfo } from './hub';
import { isBufferJson } from './mqtt-bridge';
import { eventTypeError } from '../shared/topic';

export interface SavedRetained {
    readonly v: 1;
    /** The last event id's sequence number, so ids after a restart do not repeat those kept. */
    readonly seq: number;
    /** Oldest first. */
    readonly events: readonly Readonly<Record<string, unknown>>[];
}

export interface RestoredRetained {
    readonly seq: number;
    readonly events: EventMessage[];
    /** Entries that were not events and were left out. */
    readonly skipped: number;
}

/** What is kept: the events as they are, less the HTTP request and response, which belong to a request long gone. */
export function saveRetained(events: readonly EventMessage[], seq: number): SavedRetained {
    return { v: 1, seq, events: events.map(withoutHttp) };
}

function withoutHttp(ev: EventMessage): Readonly<Record<string, unknown>> {
    if (ev.req === undefined && ev.res === undefined) return ev;
    const { req: _req, res: _res, ...rest } = ev;
    return rest;
}

/** The events in what was saved, or undefined when it is not a saved set of retained events at all. */
export function restoreRetained(raw: unknown): RestoredRetained | undefined {
    if (raw === null || typeof raw !== 'object') return undefined;
    const r = raw as Record<string, unknown>;
    if (r.v !== 1 || !Array.isArray(r.events)) return undefined;
    const seq = typeof r.seq === 'number' && Number.isSafeInteger(r.seq) && r.seq >= 0 ? r.seq : 0;
    const events: EventMessage[] = [];
    for (const e of r.events as unknown[]) {
        const ev = readEvent(e);
        if (ev !== undefined) events.push(ev);
    }
    return { seq, events, skipped: r.events.length - events.length };
}

function readEvent(raw: unknown): EventMessage | undefined {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
    // A copy: a memory store hands back its own object, which must stay as it is.
    const m: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
    const type = m.topic;
    const info = m.event as Record<string, unknown> | null | undefined;
    if (typeof type !== 'string' || eventTypeError(type) !== undefined) return undefined;
    if (info === null || typeof info !== 'object') return undefined;
    if (isBufferJson(m.payload)) m.payload = Buffer.from(m.payload.data);
    const event: HubEventInfo = {
        type,
        id: typeof info.id === 'string' ? info.id : '',
        ts: typeof info.ts === 'number' && Number.isFinite(info.ts) ? info.ts : 0,
        source: typeof info.source === 'string' ? info.source : '',
    };
    for (const key in m) if (key !== 'event') deepFreeze(m[key]);
    m.event = Object.freeze(event);
    return Object.freeze(m) as EventMessage;
}
