import type { NodeAPI } from 'node-red';
import type { Problem } from '../core/shared/texts';
import { configText } from '../config-text';

/** A node's texts in the runtime's language: by key in its own catalog, and a core problem (`problem`). */
export type Texts = ((key: string, subs?: Record<string, string | number>) => string) & {
    readonly problem: (p: Problem) => string;
    /** The runtime, for the few places that need more than its texts (a message id). */
    readonly red: NodeAPI;
};

export function texts(RED: NodeAPI, type: string): Texts {
    return Object.assign((key: string, subs?: Record<string, string | number>) => RED._(`${type}.${key}`, subs), {
        problem: (p: Problem) => configText(RED, type, p),
        red: RED,
    });
}
