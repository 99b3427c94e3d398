import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';

/** What a node that cannot work shows, logs and answers every message with. */
export interface Refusal {
    /** The status text, on a red ring. */
    readonly status: string;
    /** Logged once as an error when given (a missing hub is shown, not logged). */
    readonly log?: string;
    /** Every input fails with this text when given (a node without an input has no handler). */
    readonly fail?: string;
    /** Runs on each refused message before it fails, e.g. to drop a secret a catch node must not see. */
    readonly scrub?: (msg: NodeMessageInFlow) => void;
}

/**
 * Puts a node that will not start into its refusing state: red ring status,
 * the error logged, and an input handler that fails every message with
 * `done(err)` (so a catch node sees why).
 */
export function refuse(node: Node, refusal: Refusal): void {
    node.status({ fill: 'red', shape: 'ring', text: refusal.status });
    if (refusal.log !== undefined) node.error(refusal.log);
    const fail = refusal.fail;
    if (fail === undefined) return;
    node.on('input', (msg: NodeMessageInFlow, _send, done) => {
        refusal.scrub?.(msg);
        done(new Error(fail));
    });
}

/**
 * The usual failed configuration of node type `type`: status
 * `<type>.status.bad-config`, and `<type>.errors.config` with the reason
 * both logged and given to every message.
 */
export function refuseConfig(
    RED: NodeAPI,
    node: Node,
    type: string,
    reason: string,
    scrub?: (msg: NodeMessageInFlow) => void,
): void {
    const text = RED._(`${type}.errors.config`, { reason });
    refuse(node, { status: RED._(`${type}.status.bad-config`), log: text, fail: text, scrub });
}
