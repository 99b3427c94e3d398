import type { Node } from 'node-red';
import { metricsRegistry, type MetricsProvider } from '../core/shared/metrics-registry';

/**
 * Offers a node's figures to monitor nodes until the node closes. `name` is
 * the saved name as found in the flow (any type): anything but a string
 * counts as no name. Called before the node's own close handler, the figures
 * are gone before the node tears down what the provider reads.
 */
export function offerMetrics(node: Node, type: string, name: unknown, provider: MetricsProvider): void {
    const withdraw = metricsRegistry.register(
        { id: node.id, type, name: typeof name === 'string' ? name : '' },
        provider,
    );
    node.on('close', () => {
        withdraw();
    });
}
