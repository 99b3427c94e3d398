/** What a `LineSplitter` hands its lines to. Returning false stops the current chunk (the connection closed). */
export interface LineSink {
    line(text: string): boolean;
    /** A line longer than the limit: its bytes are dropped, never held. Called once per such line. */
    oversized(): boolean;
    /** A line nesting brackets deeper than the limit: dropped like an oversized one. */
    tooDeep(): boolean;
}

const NEWLINE = 10;
const CR = 13;
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;

/**
 * The bracket depth of a JSON line so far, brackets inside strings not
 * counted, carried across the chunks the line arrives in. It reads UTF-8
 * bytes: every byte of a multi-byte character is 128 or more, so none is
 * taken for a bracket or a quote.
 */
export class DepthScan {
    private depth = 0;
    private inString = false;
    private escaped = false;

    constructor(private readonly max: number) {}

    /** Reads `bytes[start, end)`; true as soon as the line nests deeper than the limit (the rest is not read). */
    exceeds(bytes: Uint8Array, start: number, end: number): boolean {
        for (let i = start; i < end; i++) {
            const c = bytes[i];
            if (this.inString) {
                if (this.escaped) this.escaped = false;
                else if (c === BACKSLASH) this.escaped = true;
                else if (c === QUOTE) this.inString = false;
            } else if (c === QUOTE) this.inString = true;
            else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
                if (++this.depth > this.max) return true;
            } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) this.depth--;
        }
        return false;
    }

    reset(): void {
        this.depth = 0;
        this.inString = false;
        this.escaped = false;
    }
}

/** Whether `text` nests brackets deeper than `max` (see DepthScan). */
export function nestsDeeperThan(text: string, max: number): boolean {
    const bytes = Buffer.from(text, 'utf8');
    return new DepthScan(max).exceeds(bytes, 0, bytes.length);
}

/**
 * Cuts a byte stream into `\n`-terminated lines of at most `maxBytes` bytes
 * (the `\n` not counted, a `\r` before it removed), decoded as UTF-8. At most
 * `maxBytes` of an unfinished line are kept, as a copy, so a client that never
 * sends a newline holds neither more memory nor the socket's chunks: the rest
 * of an oversized line is skipped up to its newline. A line nesting brackets
 * deeper than `maxDepth` is skipped the same way as soon as the bracket too
 * many arrives: it is never held, decoded nor parsed, so it costs no more than
 * the bytes up to that bracket. Empty lines are ignored.
 */
export class LineSplitter {
    private parts: Buffer[] = [];
    private size = 0;
    private discarding = false;
    private readonly depth: DepthScan | undefined;

    constructor(
        private readonly maxBytes: number,
        maxDepth?: number,
    ) {
        this.depth = maxDepth === undefined ? undefined : new DepthScan(maxDepth);
    }

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
                // The end of a line already reported as oversized or too deep.
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
            if (this.depth?.exceeds(chunk, start, end)) {
                this.reset();
                start = next;
                if (!sink.tooDeep()) return;
                continue;
            }
            let text: string;
            if (this.size === 0) {
                if (end > start && chunk[end - 1] === CR) end--;
                text = chunk.toString('utf8', start, end);
                this.depth?.reset();
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
        if (this.depth?.exceeds(chunk, start, chunk.length)) {
            this.reset();
            this.discarding = true;
            sink.tooDeep();
            return;
        }
        // A copy: a view would keep the socket's whole chunk alive while the line waits for its end.
        this.parts.push(Buffer.from(chunk.subarray(start)));
        this.size += rest;
    }

    private reset(): void {
        this.parts = [];
        this.size = 0;
        this.depth?.reset();
    }
}
