/**
 * A fleet split across several Node-RED instances. Each instance announces itself with a retained presence message
 * under the hub's control root and counts as live while its connection's status topic says `online` (the broker
 * writes `offline` there as the connection's last will). Each sensor belongs to the live member that ranks highest
 * for it (rendezvous hashing): every instance computes the same owner from the same member list, and a member joining
 * or leaving moves only the sensors it gains or loses.
 *
 * Cycles are windows of the interval on the wall clock (cycle k runs from k × interval), the same on every instance.
 * A member leaving changes the owners from the next cycle on (the member is gone: nothing can be read twice). A
 * member joining names the cycle it starts from, at least JOIN_MARGIN_MS ahead, so the others hand its sensors over
 * at that very boundary rather than whenever its announcement reaches them.
 */

/** How far ahead a joining member's first cycle lies: time for its presence to reach the others, and clock skew. */
export const JOIN_MARGIN_MS = 2000;
/** A timer may fire a moment before its due time: a cycle starting this close to a boundary belongs to it. */
const BOUNDARY_TOLERANCE_MS = 20;
export const GROUP_MAX_LENGTH = 128;

/** FNV-1a over the string's UTF-16 code units. */
export function hash32(text: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
        h ^= text.charCodeAt(i);
        h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
}

/** A member's weight for a sensor: the two hashes mixed (murmur3's finaliser), so the ranking is not FNV's bias. */
export function weight(memberHash: number, sensorHash: number): number {
    let h = (memberHash ^ Math.imul(sensorHash, 0x9e3779b1)) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
}

/** Members in a fixed order (ties in weight go to the first), with their hashes. */
function ranked(members: readonly string[]): { ids: string[]; hashes: number[] } {
    const ids = [...new Set(members)].sort();
    return { ids, hashes: ids.map(hash32) };
}

/** The live member that reads `sensorId`; undefined without members. */
export function ownerOf(sensorId: string, members: readonly string[]): string | undefined {
    const { ids, hashes } = ranked(members);
    const sensor = hash32(sensorId);
    let best = -1;
    let bestWeight = -1;
    for (let m = 0; m < ids.length; m++) {
        const w = weight(hashes[m], sensor);
        if (w > bestWeight) {
            best = m;
            bestWeight = w;
        }
    }
    return best < 0 ? undefined : ids[best];
}

/** 1 for each sensor (by position) that `self` reads among `members`, else 0; with the count of ones. */
export function shareOf(
    sensorIds: readonly string[],
    members: readonly string[],
    self: string,
): { mine: Uint8Array; owned: number } {
    const mine = new Uint8Array(sensorIds.length);
    const { ids, hashes } = ranked(members);
    const me = ids.indexOf(self);
    if (me < 0) return { mine, owned: 0 };
    let owned = 0;
    for (let i = 0; i < sensorIds.length; i++) {
        const sensor = hash32(sensorIds[i]);
        const mineWeight = weight(hashes[me], sensor);
        let wins = true;
        for (let m = 0; m < ids.length && wins; m++) {
            if (m === me) continue;
            const w = weight(hashes[m], sensor);
            wins = w < mineWeight || (w === mineWeight && me < m);
        }
        if (wins) {
            mine[i] = 1;
            owned++;
        }
    }
    return { mine, owned };
}

/** The start of the cycle that a cycle starting at `nowMs` belongs to. */
export function cycleStart(nowMs: number, intervalMs: number): number {
    return Math.floor((nowMs + BOUNDARY_TOLERANCE_MS) / intervalMs) * intervalMs;
}

/** The first cycle boundary at least JOIN_MARGIN_MS after `nowMs`: when a member joining now starts reading. */
export function joinAt(nowMs: number, intervalMs: number): number {
    return Math.ceil((nowMs + JOIN_MARGIN_MS) / intervalMs) * intervalMs;
}

/** A group name or client id as one topic level. */
export function topicLevel(text: string): string {
    return text.replace(/[/+#]/g, '_');
}

/** Where `memberId`'s presence in `group` is kept, under the hub's control root. */
export function presenceTopic(root: string, group: string, memberId: string): string {
    return `${root}/fleets/${topicLevel(group)}/members/${topicLevel(memberId)}`;
}

export function presenceFilter(root: string, group: string): string {
    return `${root}/fleets/${topicLevel(group)}/members/+`;
}

export function statusFilter(root: string): string {
    return `${root}/instances/+`;
}

/** A member's retained announcement: its connection's status topic, its first cycle, and its share of the fleet. */
export interface Presence {
    readonly member: string;
    readonly statusTopic: string;
    readonly fromMs: number;
    readonly intervalMs: number;
    readonly sensors: number;
}

export function encodePresence(p: Presence): string {
    return JSON.stringify({
        member: p.member,
        status: p.statusTopic,
        from: p.fromMs,
        interval: p.intervalMs,
        sensors: p.sensors,
    });
}

/** A presence payload; undefined for an empty one (a member that left) or one this version cannot read. */
export function parsePresence(payload: string): Presence | undefined {
    if (payload === '') return undefined;
    let v: unknown;
    try {
        v = JSON.parse(payload);
    } catch {
        return undefined;
    }
    if (v === null || typeof v !== 'object') return undefined;
    const { member, status, from, interval, sensors } = v as Record<string, unknown>;
    if (typeof member !== 'string' || member === '' || typeof status !== 'string' || status === '') return undefined;
    if (typeof from !== 'number' || !Number.isFinite(from)) return undefined;
    const n = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
    return { member, statusTopic: status, fromMs: from, intervalMs: n(interval), sensors: n(sensors) };
}

/** What one cycle reads of a partitioned fleet. */
export interface ShareView {
    /** 1 for each sensor (by position) this instance reads. */
    readonly mine: Uint8Array;
    readonly owned: number;
    /** Live members this cycle, this one included when it is. */
    readonly instances: number;
}

/**
 * One instance's view of its group: the presence and status messages it has seen, and its own membership. The live
 * members of the cycle starting at `t` are those announced with a first cycle not after `t` whose connection is
 * online; this instance counts only while its own connection is up (the others stop counting it when the broker
 * says it went offline).
 */
export class Membership {
    private readonly presences = new Map<string, Presence>();
    private readonly online = new Set<string>();
    private ownFromMs: number | undefined;
    private cache: { key: string; sensors: readonly string[]; view: ShareView } | undefined;

    constructor(readonly self: string) {}

    /** A presence message (topic's last level is the member): empty when the member left cleanly. */
    presence(topicMember: string, payload: string): void {
        const p = parsePresence(payload);
        if (p === undefined || topicLevel(p.member) !== topicMember) this.presences.delete(topicMember);
        else if (p.member !== this.self) this.presences.set(topicMember, p);
    }

    /**
     * A status message. A member seen going offline is forgotten until it announces itself again: coming back
     * online, it reads from the new first cycle it names, not from the old one.
     */
    status(topic: string, payload: string): void {
        if (payload === 'online') {
            this.online.add(topic);
            return;
        }
        this.online.delete(topic);
        for (const [key, p] of this.presences) if (p.statusTopic === topic) this.presences.delete(key);
    }

    /** Forgets what was seen: after a reconnect the broker sends the retained messages again, and only those hold. */
    reset(): void {
        this.presences.clear();
        this.online.clear();
        this.cache = undefined;
    }

    /** This instance's first cycle; undefined while it is not a member (not connected). */
    join(fromMs: number | undefined): void {
        this.ownFromMs = fromMs;
    }

    get joinedFrom(): number | undefined {
        return this.ownFromMs;
    }

    /** The live members of the cycle starting at `startMs`, sorted. */
    liveAt(startMs: number): string[] {
        const live: string[] = [];
        for (const p of this.presences.values())
            if (p.fromMs <= startMs && this.online.has(p.statusTopic)) live.push(p.member);
        if (this.ownFromMs !== undefined && this.ownFromMs <= startMs) live.push(this.self);
        return live.sort();
    }

    /** Members announced and online, whether or not their first cycle has come: what the status shows. */
    get announced(): number {
        let n = this.ownFromMs === undefined ? 0 : 1;
        for (const p of this.presences.values()) if (this.online.has(p.statusTopic)) n++;
        return n;
    }

    /** What the cycle starting at `startMs` reads of `sensors`; computed again only when the members change. */
    shareAt(sensors: readonly string[], startMs: number): ShareView {
        const live = this.liveAt(startMs);
        const key = live.join('\n');
        if (this.cache?.key === key && this.cache.sensors === sensors) return this.cache.view;
        const { mine, owned } = shareOf(sensors, live, this.self);
        const view: ShareView = { mine, owned, instances: live.length };
        this.cache = { key, sensors, view };
        return view;
    }
}
