import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node, NodeAPI } from 'node-red';
import { BurstWarning, type EntitySpec, type HaAnnouncer, type HaEntity, type Refused } from '../core/ha';

/** What a node needs of a `sensorhub-hub` config node to be announced (see src/hub.ts). */
interface HaHubNode {
    ha?: HaAnnouncer;
    name?: string;
}

/** Problems with Home Assistant's commands are said once per burst: the first after this long without one. */
const QUIET_MS = 10_000;

let version: string | undefined;
export function packageVersion(): string {
    try {
        version ??= String(
            (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown })
                .version,
        );
    } catch {
        version = 'unknown';
    }
    return version;
}

/** A node's Home Assistant entity, and the count of commands from Home Assistant it refused. */
export interface Announced {
    readonly entity: HaEntity;
    /** Counts a refused command and warns, once per burst. */
    refused(reason: string): void;
    readonly refusedTotal: () => number;
}

/**
 * Announces a node's entity on the hub its `haHub` property names, when that
 * hub announces to Home Assistant; the entity is removed with the node and
 * released on a redeploy. A hub that does not announce is said once.
 */
export function announce(
    RED: NodeAPI,
    node: Node,
    def: Record<string, unknown>,
    spec: EntitySpec,
    onCommand?: (payload: string) => void,
): Announced | undefined {
    if (typeof def.haHub !== 'string' || def.haHub === '') return undefined;
    const hubNode = RED.nodes.getNode(def.haHub) as (Node & HaHubNode) | null;
    if (!hubNode?.ha) {
        node.warn(RED._('common.ha.not-announcing', { hub: hubNode?.name || def.haHub }));
        return undefined;
    }
    const entity = hubNode.ha.announce(spec, onCommand);
    const burst = new BurstWarning(QUIET_MS);
    node.on('close', (removed: boolean, done: () => void) => {
        if (removed) entity.remove();
        else entity.release();
        done();
    });
    return {
        entity,
        refused: (reason) => {
            if (burst.hit()) node.warn(RED._('common.ha.refused', { reason, total: burst.total }));
        },
        refusedTotal: () => burst.total,
    };
}

/** A refused command from Home Assistant, in the runtime's language. */
export const refusalText = (RED: NodeAPI, r: Refused): string => RED._(`common.ha.command.${r.refused}`);
