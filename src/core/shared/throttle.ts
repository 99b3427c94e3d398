/**
 * Runs `draw` at most once per interval: at once when the last draw is an
 * interval old, else once when that interval is over. A node's status update
 * is a message to every open editor, too costly per event at high rates, but
 * a quiet node should still show its first change without delay.
 */
export class Throttle {
    private timer: ReturnType<typeof setTimeout> | undefined;
    private last = -Infinity;

    constructor(
        private readonly draw: () => void,
        private readonly intervalMs = 1000,
        private readonly now: () => number = Date.now,
    ) {}

    bump(): void {
        if (this.timer !== undefined) return;
        const wait = this.last + this.intervalMs - this.now();
        if (wait <= 0) {
            this.fire();
            return;
        }
        this.timer = setTimeout(() => {
            this.timer = undefined;
            this.fire();
        }, wait);
    }

    stop(): void {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timer = undefined;
    }

    private fire(): void {
        this.last = this.now();
        this.draw();
    }
}
