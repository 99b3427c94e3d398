/**
 * Consumer groups: subscribers that share a stream instead of each getting all of it.
 *
 * The unit of sharing is a share: one group name and one pattern, as in MQTT 5 (`$share/<group>/<filter>`).
 * Each event matching the pattern goes to one member of the share. Give a group's members the same patterns:
 * members whose patterns overlap (a/# and a/b) are in two shares, and an event matching both goes to one member
 * of each, as a broker does.
 *
 * The rule that makes "exactly once" hold across instances: where the hub has a broker (a carrier), shares are
 * served by the broker alone. An event published here is not handed to a local member; it goes to the broker,
 * which picks one member among all instances, this one included. Without a carrier the hub picks the member itself.
 */

/** How long a group name may be: it becomes a broker topic level. */
export const MAX_GROUP_LENGTH = 128;

export interface GroupProblem {
    readonly code: 'group-invalid' | 'group-too-long';
    readonly message: string;
}

/** What is wrong with a consumer group name (already trimmed), or undefined. */
export function groupProblem(name: string): GroupProblem | undefined {
    if (name.length > MAX_GROUP_LENGTH)
        return { code: 'group-too-long', message: `group name is longer than ${MAX_GROUP_LENGTH} characters` };
    // MQTT 5 (4.8.2): a share name is one level without wildcards.
    if (/[/+#]/.test(name) || name.includes('\u0000') || name.startsWith('$'))
        return { code: 'group-invalid', message: `group name "${name}" cannot contain / + # or start with $` };
    return undefined;
}

/** A share's key: the group and the pattern, which never contains NUL. */
export function shareKey(group: string, pattern: string): string {
    return `${group}\u0000${pattern}`;
}

/** What a share hands events to: a subscriber's offer and its load. */
export interface Member<E> {
    offer(ev: E, owned: boolean): void;
    /** Deliveries outstanding plus queued: the least busy member is picked. */
    readonly load: number;
}

/** The local members of one share. */
export class Share<E, M extends Member<E> = Member<E>> {
    readonly members: M[] = [];
    private next = 0;
    /** Events handed to a member. */
    delivered = 0;

    constructor(
        readonly group: string,
        readonly pattern: string,
    ) {}

    get key(): string {
        return shareKey(this.group, this.pattern);
    }

    /** Hands the event to the least busy member, taking turns among equally busy ones. */
    offer(ev: E, owned: boolean): void {
        const m = this.pick();
        if (m === undefined) return;
        this.delivered++;
        m.offer(ev, owned);
    }

    pick(): M | undefined {
        const n = this.members.length;
        if (n === 0) return undefined;
        let best = this.next % n;
        let bestLoad = this.members[best].load;
        for (let i = 1; i < n && bestLoad > 0; i++) {
            const j = (this.next + i) % n;
            const load = this.members[j].load;
            if (load < bestLoad) {
                best = j;
                bestLoad = load;
            }
        }
        this.next = best + 1;
        return this.members[best];
    }

    remove(member: M): void {
        const i = this.members.indexOf(member);
        if (i >= 0) this.members.splice(i, 1);
    }
}

/** Where shares go when a broker serves them: it subscribes to them and hands their events back. */
export interface GroupCarrier {
    join(group: string, pattern: string): void;
    leave(group: string, pattern: string): void;
    /**
     * Whether the hub needs every event, or only its groups' shares: an instance whose subscribers are all in
     * groups must not receive the whole stream besides its share, or adding instances would not spread the work.
     */
    wantAll(all: boolean): void;
}
