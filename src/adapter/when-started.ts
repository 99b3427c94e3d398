import type { NodeAPI } from 'node-red';

/**
 * Holds a node's own outputs (not answers to an input) until the flows have started, then sends them in order:
 * a restored deadline that passed while Node-RED was down, or a state said at start, must reach the nodes after
 * this one (on any tab, a hub subscriber included), which may not exist yet while this node is being created.
 */
export function whenStarted<T>(RED: NodeAPI, send: (out: T) => void): { emit: (out: T) => void; close: () => void } {
    let started = false;
    const held: T[] = [];
    const onStarted = (): void => {
        started = true;
        for (const out of held.splice(0)) send(out);
    };
    RED.events.once('flows:started', onStarted);
    return {
        emit: (out) => {
            if (started) send(out);
            else held.push(out);
        },
        close: () => {
            RED.events.removeListener('flows:started', onStarted);
        },
    };
}
