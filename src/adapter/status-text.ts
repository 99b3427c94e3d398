import type { NodeAPI, NodeStatus } from 'node-red';
import type { StatusText, StatusView } from '../core/shared/status';

/** A status text chosen by core, in the runtime's language: keys are read in `<type>.status.*`. */
export function statusText(RED: NodeAPI, type: string, text: StatusText): string {
    if (typeof text === 'string') return text;
    const params: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(text.params ?? {}))
        params[name] = typeof value === 'number' ? value : statusText(RED, type, value);
    return RED._(`${type}.status.${text.key}`, params);
}

/** A status chosen by core as `node.status()` takes it; none clears the status. */
export function nodeStatus(RED: NodeAPI, type: string, view: StatusView | undefined): NodeStatus {
    if (view === undefined) return {};
    return { fill: view.fill, shape: view.shape, text: statusText(RED, type, view.text) };
}
