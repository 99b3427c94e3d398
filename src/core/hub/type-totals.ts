/** Event types a hub counts by name since it started; events of any further type are counted together. */
export const TYPE_TOTALS_LIMIT = 1000;

export interface TypeTotalsSnapshot {
    /** Events per type, for the first `limit` types seen. */
    readonly byType: ReadonlyMap<string, number>;
    /** Events of every type beyond them. */
    readonly other: number;
}

/**
 * Events per type since a hub started, kept always so that whoever looks
 * later (an editor's sidebar) sees what came before: one map look-up per
 * event, and bounded memory however many distinct types arrive.
 */
export class TypeTotals {
    /** A box per type, so counting an event is a look-up and an increment, never a second map write. */
    private readonly counts = new Map<string, { n: number }>();
    private other = 0;

    constructor(readonly limit = TYPE_TOTALS_LIMIT) {}

    add(type: string): void {
        const c = this.counts.get(type);
        if (c !== undefined) c.n++;
        else if (this.counts.size < this.limit) this.counts.set(type, { n: 1 });
        else this.other++;
    }

    snapshot(): TypeTotalsSnapshot {
        const byType = new Map<string, number>();
        for (const [type, c] of this.counts) byType.set(type, c.n);
        return { byType, other: this.other };
    }
}
