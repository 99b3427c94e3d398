/** What a `LineSplitter` hands its lines to. Returning false stops the current chunk (the connection closed). */
export interface LineSink {
    line(text: string): boolean;
    /** A line longer than the limit: its bytes are dropped, never held. Called once per such line. */
    oversized(): boolean;
}

const NEWLINE = 10;
const CR = 13;

/**
 * Cuts a byte stream into `\n`-terminated lines of at most `maxBytes` bytes
 * (the `\n` not counted, a `\r` before it removed), decoded as UTF-8. At most
 * `maxBytes` of an unfinished line are kept, as a copy, so a client that never
 * sends a newline holds neither more memory nor the socket's chunks: the rest
 * of an oversized line is skipped up to its newline. Empty lines are ignored.
 */
export class LineSplitter {
    private parts: Buffer[] = [];
    private size = 0;
    private discarding = false;

    constructor(private readonly maxBytes: number) {}

    /** Bytes held of the unfinished line. */
    get buffered(): number {
        return this.size;
    }

    push(chunk: Buffer, sink: LineSink): void {
        const n = chunk.length;
        let start = 0;
        while (start < n) {
            const nl = chunk.indexOf(NEWLINE, start);
            if (nl === -1) {
                this.hold(chunk, start, sink);
                return;
            }
            const next = nl + 1;
            if (this.discarding) {
                // The end of a line already reported as oversized.
                this.discarding = false;
                start = next;
                continue;
            }
            let end = nl;
            if (this.size + (end - start) > this.maxBytes) {
                this.reset();
                start = next;
                if (!sink.oversized()) return;
                continue;
            }
            let text: string;
            if (this.size === 0) {
                if (end > start && chunk[end - 1] === CR) end--;
                text = chunk.toString('utf8', start, end);
            } else {
                const whole = Buffer.concat([...this.parts, chunk.subarray(start, end)]);
                const last = whole.length > 0 && whole[whole.length - 1] === CR ? whole.length - 1 : whole.length;
                text = whole.toString('utf8', 0, last);
                this.reset();
            }
            start = next;
            if (text.length === 0) continue;
            if (!sink.line(text)) return;
        }
    }

    private hold(chunk: Buffer, start: number, sink: LineSink): void {
        if (this.discarding) return;
        const rest = chunk.length - start;
        if (rest === 0) return;
        if (this.size + rest > this.maxBytes) {
            this.reset();
            this.discarding = true;
            sink.oversized();
            return;
        }
        // A copy: a view would keep the socket's whole chunk alive while the line waits for its end.
        this.parts.push(Buffer.from(chunk.subarray(start)));
        this.size += rest;
    }

    private reset(): void {
        this.parts = [];
        this.size = 0;
    }
}
