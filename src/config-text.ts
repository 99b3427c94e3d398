import type { NodeAPI } from 'node-red';
import { describeProblem } from './core/shared/config-fields';
import { problemOfError, SHARED_SECTIONS, type Problem } from './core/shared/texts';

/** The package name: Node-RED registers each node file's catalog as `<module>/<node set>`. */
export const MODULE = '@sensorhub/node-red-sensorhub';

/**
 * The texts every node shares (`common.config.<code>`) are kept once, in the
 * hub's catalog; RED._ reads another node set's catalog when the key names its
 * namespace. Node-RED registers the catalogs of every node set of a module,
 * disabled ones included, so the hub's is there for every node of the package.
 */
const SHARED = `${MODULE}/sensorhub-hub:common.`;

/**
 * A configuration problem in the runtime's language: the shared text for its
 * code, with property names from the node's own `<type>.fields`. Where a text
 * is missing the English message is used instead, never a bare key.
 */
export function configText(RED: NodeAPI, type: string, problem: Problem): string {
    return describeProblem(problem, (key, params) => {
        const section = key.slice(0, key.indexOf('.'));
        // A run-time code that starts with a node type is that node's own key, read in its own catalog.
        const full = SHARED_SECTIONS.includes(section)
            ? SHARED + key
            : section.startsWith('sensorhub-')
              ? key
              : `${type}.${key}`;
        const text: unknown = RED._(full, params);
        // i18next answers a missing key with the key itself (without its namespace).
        const missing = typeof text !== 'string' || text === '' || text === full || full.endsWith(`:${text}`);
        return missing ? undefined : text;
    });
}

/**
 * Why something failed, in the runtime's language: the problem an error
 * carries (see core/texts), else the error's own message (an operating
 * system's or a library's, which has no code).
 */
export function errorText(RED: NodeAPI, type: string, err: unknown): string {
    const problem = problemOfError(err);
    if (problem !== undefined) return configText(RED, type, problem);
    return err instanceof Error ? err.message : String(err);
}
