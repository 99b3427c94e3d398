/**
 * Cuts a byte stream into frames at a delimiter, frame for frame as
 * serialport's DelimiterParser (ReadlineParser) does, without a stream around
 * it: no Transform write per chunk, no copy of every chunk, no Buffer per
 * frame. A pushing device's port passes every chunk through here.
 */
const EMPTY = Buffer.alloc(0);

export class LineSplitter {
    readonly delimiter: Buffer;
    /** The bytes after the last delimiter: the start of a frame whose end has not come yet. */
    buffer: Buffer = EMPTY;

    /** `onFrame` gets each frame as `bytes[start, end)`, in order, synchronously. */
    constructor(
        delimiter: string,
        private readonly onFrame: (bytes: Buffer, start: number, end: number) => void,
    ) {
        this.delimiter = Buffer.from(delimiter, 'utf8');
        // An empty delimiter would be found everywhere: a frame of nothing, forever.
        if (this.delimiter.length === 0) throw new TypeError('the delimiter cannot be empty');
    }

    write(chunk: Buffer): void {
        const data = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
        const delimiter = this.delimiter;
        let start = 0;
        for (let at = data.indexOf(delimiter, start); at !== -1; at = data.indexOf(delimiter, start)) {
            this.onFrame(data, start, at);
            start = at + delimiter.length;
        }
        // Copied: the chunk's memory belongs to whoever read it, and the rest is usually a few bytes.
        this.buffer = start === data.length ? EMPTY : Buffer.from(data.subarray(start));
    }

    /** Forgets the unfinished frame. */
    destroy(): void {
        this.buffer = EMPTY;
    }
}
