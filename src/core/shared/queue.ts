export type OverflowPolicy = 'drop-oldest' | 'drop-newest';

export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['drop-oldest', 'drop-newest'];

export function isOverflowPolicy(v: unknown): v is OverflowPolicy {
    return v === 'drop-oldest' || v === 'drop-newest';
}

/** A fixed-capacity FIFO ring buffer that drops by policy instead of growing. */
export class BoundedQueue<T> {
    private buf: (T | undefined)[];
    private head = 0;
    private len = 0;
    /** Items refused or evicted since creation. */
    dropped = 0;

    constructor(
        readonly capacity: number,
        readonly policy: OverflowPolicy,
    ) {
        if (!Number.isInteger(capacity) || capacity < 1)
            throw new RangeError('queue capacity must be a whole number ≥ 1');
        // Grown on demand up to capacity: most queues stay nearly empty.
        this.buf = new Array<T | undefined>(Math.min(capacity, 16));
    }

    get length(): number {
        return this.len;
    }

    /** Adds an item; returns the item dropped to make room (or the refused item), if any. */
    push(item: T): T | undefined {
        if (this.len === this.capacity) {
            this.dropped++;
            if (this.policy === 'drop-newest') return item;
            const evicted = this.shift();
            this.pushUnchecked(item);
            return evicted;
        }
        this.pushUnchecked(item);
        return undefined;
    }

    shift(): T | undefined {
        if (this.len === 0) return undefined;
        const item = this.buf[this.head];
        this.buf[this.head] = undefined;
        this.head = (this.head + 1) % this.buf.length;
        this.len--;
        return item;
    }

    clear(): void {
        this.buf = new Array<T | undefined>(Math.min(this.capacity, 16));
        this.head = 0;
        this.len = 0;
    }

    private pushUnchecked(item: T): void {
        if (this.len === this.buf.length) this.grow();
        this.buf[(this.head + this.len) % this.buf.length] = item;
        this.len++;
    }

    private grow(): void {
        const size = Math.min(this.capacity, this.buf.length * 2);
        const next = new Array<T | undefined>(size);
        for (let i = 0; i < this.len; i++) next[i] = this.buf[(this.head + i) % this.buf.length];
        this.buf = next;
        this.head = 0;
    }
}
