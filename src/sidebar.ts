import type { Node, NodeAPI } from 'node-red';
import type { EventHub } from './core/hub/hub';
import { metricsRegistry } from './core/shared/metrics-registry';
import { realClock } from './core/shared/clock';
import { CLIENT_MAX_CHARS, watchRequest } from './core/sidebar/watch';
import {
    SIDEBAR_LEASE_MS,
    SIDEBAR_PERIOD_MS,
    SidebarFeed,
    type SidebarDeviceSource,
    type SidebarHubSource,
} from './core/sidebar/sidebar';

/** What the sidebar reads of a `sensorhub-hub` config node. */
interface HubNode extends Node {
    hub: EventHub | undefined;
    bridge: unknown;
}

/** What the sidebar reads of a running `sensorhub-device` node (see src/device.ts). */
interface DeviceNode extends Node {
    deviceSource?: SidebarDeviceSource['source'];
    deviceProfile?: string;
}

/** The comms topic editors subscribe to. */
const TOPIC = 'sensorhub/sidebar';

interface PluginApi {
    plugins: { registerPlugin(id: string, definition: Record<string, unknown>): void };
    comms: { publish(topic: string, data: unknown, retain: boolean): void };
}

export = function (RED: NodeAPI): void {
    const api = RED as unknown as NodeAPI & PluginApi;
    const hubs = (): SidebarHubSource[] => {
        const out: SidebarHubSource[] = [];
        RED.nodes.eachNode((n) => {
            if (n.type !== 'sensorhub-hub') return;
            const node = RED.nodes.getNode(n.id) as HubNode | null;
            if (!node?.hub) return;
            out.push({ id: n.id, name: n.name || '', backend: node.bridge ? 'mqtt' : 'local', hub: node.hub });
        });
        return out;
    };
    const devices = (): SidebarDeviceSource[] => {
        const out: SidebarDeviceSource[] = [];
        RED.nodes.eachNode((n) => {
            if (n.type !== 'sensorhub-device') return;
            const node = RED.nodes.getNode(n.id) as DeviceNode | null;
            if (node?.deviceSource === undefined) return;
            out.push({ id: n.id, name: n.name || '', profile: node.deviceProfile ?? '', source: node.deviceSource });
        });
        return out;
    };
    const feed = new SidebarFeed({
        hubs,
        devices,
        nodes: () => metricsRegistry.collect(),
        nameOf: (id) => (RED.nodes.getNode(id) as Node | null)?.name || undefined,
        publish: (snapshot) => {
            api.comms.publish(TOPIC, snapshot, false);
        },
        onError: (err) => {
            RED.log.warn(RED._('sensorhub-sidebar.errors.collect', { reason: (err as Error).message }));
        },
        clock: realClock,
    });

    api.plugins.registerPlugin('sensorhub-sidebar', { type: 'sensorhub-sidebar' });

    // Each open sidebar renews its own lease by POST, and ends it when hidden; the feed stops when all leases have.
    RED.httpAdmin.post('/sensorhub/sidebar/watch', RED.auth.needsPermission('flows.read'), (req, res) => {
        const request = watchRequest(req.body);
        if (!request) {
            res.status(400).json({ error: RED._('sensorhub-sidebar.errors.client', { max: CLIENT_MAX_CHARS }) });
            return;
        }
        if (request.watch) feed.watch(request.client);
        else feed.unwatch(request.client);
        res.json({ topic: TOPIC, periodMs: SIDEBAR_PERIOD_MS, leaseMs: SIDEBAR_LEASE_MS, watchers: feed.watchers });
    });
};
