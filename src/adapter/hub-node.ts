import type { Node } from 'node-red';
import type { EventHub } from '../core/hub/hub';
import type { BridgeState, RawHandler } from '../core/hub/mqtt-bridge';

/** What nodes reading the broker directly (devices, a shared fleet) need of a `sensorhub-hub` config node. */
export interface BrokerHubNode extends Node {
    hub: EventHub;
    bridge?: {
        /** This connection's retained online/offline topic (see MqttBridge). */
        readonly statusTopic: string;
        subscribeRaw(filter: string, handler: RawHandler): () => void;
        publishRaw(topic: string, payload: string, retain?: boolean): boolean;
    };
    configError: string | undefined;
    connection: BridgeState | undefined;
    register(user: { redraw(): void }): void;
    deregister(user: { redraw(): void }): void;
}
