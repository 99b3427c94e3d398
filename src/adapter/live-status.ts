import type { Node, NodeStatus } from 'node-red';
import { Throttle } from '../core/shared/throttle';

/**
 * A node's status, redrawn at most once a second however often it changes
 * (each status is a message to every open editor), and each second on its
 * own while it shows a countdown.
 */
export class LiveStatus {
    private readonly throttle: Throttle;
    private ticker: NodeJS.Timeout | undefined;
    private stopped = false;

    /**
     * `draw` returns the status to show, or undefined to leave it as it is
     * (nothing to show yet); `counting` says whether it shows a countdown.
     */
    constructor(
        private readonly node: Node,
        private readonly draw: () => NodeStatus | undefined,
        private readonly counting: () => boolean = () => false,
    ) {
        this.throttle = new Throttle(() => {
            this.now();
        });
    }

    /** Redraws at once, as a node does when it starts. */
    now(): void {
        if (this.stopped) return;
        const status = this.draw();
        if (status === undefined) return;
        this.node.status(status);
        const counting = this.counting();
        if (counting && this.ticker === undefined) {
            this.ticker = setInterval(() => {
                this.throttle.bump();
            }, 1000);
        } else if (!counting) this.stopTicker();
    }

    /** Something changed: redraws now if the last draw is a second old, else when it is. */
    bump(): void {
        if (!this.stopped) this.throttle.bump();
    }

    /** The node closes: no more redraws, no timer left. */
    stop(): void {
        this.stopped = true;
        this.throttle.stop();
        this.stopTicker();
    }

    private stopTicker(): void {
        if (this.ticker !== undefined) clearInterval(this.ticker);
        this.ticker = undefined;
    }
}
