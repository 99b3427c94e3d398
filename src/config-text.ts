import type { NodeAPI } from 'node-red';
import { describeProblem, type ConfigProblem } from './core/config-fields';

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
export function configText(RED: NodeAPI, type: string, problem: ConfigProblem): string {
    return describeProblem(problem, (key, params) => {
        const full = key.startsWith('config.') ? SHARED + key : `${type}.${key}`;
        const text: unknown = RED._(full, params);
        // i18next answers a missing key with the key itself (without its namespace).
        const missing = typeof text !== 'string' || text === '' || text === full || full.endsWith(`:${text}`);
        return missing ? undefined : text;
    });
}
