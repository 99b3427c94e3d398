import type { Node, NodeAPI } from 'node-red';
import type { BrokerHubNode } from './hub-node';
import type { FleetMember, FleetShare } from '../core/fleet/fleet';
import {
    Membership,
    cycleStart,
    encodePresence,
    joinAt,
    presenceFilter,
    presenceTopic,
    statusFilter,
} from '../core/fleet/partition';
import type { FleetPartition } from '../core/fleet/config';

type HubNode = BrokerHubNode;

/** The groups joined in this runtime, by hub and group: one fleet node per group and hub. */
const joined = new Map<string, string>();

/**
 * A fleet node's membership of its group on the hub's broker: presence announced on every connect and cleared on
 * close, the others' presence and status read, and the share of each cycle worked out from them.
 */
export class FleetShareLink {
    private readonly membership: Membership;
    private readonly root: string;
    private readonly ownPresence: string;
    private readonly unsubscribe: (() => void)[] = [];
    private readonly user = {
        redraw: () => {
            this.onConnection();
        },
    };
    private connected = false;
    private sensors: readonly string[] = [];
    private sensorsOf: readonly unknown[] | undefined;

    private constructor(
        private readonly hubNode: HubNode,
        private readonly bridge: NonNullable<HubNode['bridge']>,
        private readonly key: string,
        private readonly intervalMs: number,
        private readonly changed: () => void,
    ) {
        const status = bridge.statusTopic;
        const cut = status.lastIndexOf('/instances/');
        this.root = status.slice(0, cut);
        const self = status.slice(cut + '/instances/'.length);
        this.membership = new Membership(self);
        this.ownPresence = presenceTopic(this.root, key.slice(key.indexOf('\n') + 1), self);
    }

    /** Joins `partition`'s group, or says why it cannot (the node then refuses). */
    static open(
        RED: NodeAPI,
        node: Node,
        partition: FleetPartition,
        intervalMs: number,
        changed: () => void,
    ): FleetShareLink | { reason: string } {
        const t = (key: string, subs?: Record<string, string>): string => RED._(`sensorhub-fleet.errors.${key}`, subs);
        const hubNode = RED.nodes.getNode(partition.hub) as HubNode | null;
        if (!hubNode) return { reason: t('partition-no-hub') };
        if (!hubNode.bridge)
            return { reason: t(hubNode.configError === undefined ? 'partition-local' : 'partition-hub-error') };
        const key = `${partition.hub}\n${partition.group}`;
        if (joined.has(key)) return { reason: t('partition-taken', { group: partition.group }) };
        joined.set(key, node.id);
        const link = new FleetShareLink(hubNode, hubNode.bridge, key, intervalMs, changed);
        link.start(partition.group);
        return link;
    }

    private start(group: string): void {
        const m = this.membership;
        this.unsubscribe.push(
            this.bridge.subscribeRaw(presenceFilter(this.root, group), (topic, payload) => {
                m.presence(topic.slice(topic.lastIndexOf('/') + 1), payload.toString('utf8'));
                this.changed();
            }),
            this.bridge.subscribeRaw(statusFilter(this.root), (topic, payload) => {
                m.status(topic, payload.toString('utf8'));
                this.changed();
            }),
        );
        this.hubNode.register(this.user);
        this.onConnection();
    }

    /**
     * Connected, it joins at a cycle boundary far enough ahead for the others to hear of it in time. Disconnected,
     * it stops reading at once: the broker will tell the others it went offline, and they take over its sensors.
     */
    private onConnection(): void {
        const connected = this.hubNode.connection === 'connected';
        if (connected === this.connected) return;
        this.connected = connected;
        if (connected) {
            const fromMs = joinAt(Date.now(), this.intervalMs);
            this.membership.join(fromMs);
            this.announce(fromMs);
        } else {
            this.membership.join(undefined);
            this.membership.reset();
        }
        this.changed();
    }

    private announce(fromMs: number): void {
        const presence = encodePresence({
            member: this.membership.self,
            statusTopic: this.bridge.statusTopic,
            fromMs,
            intervalMs: this.intervalMs,
            sensors: this.sensors.length,
        });
        this.bridge.publishRaw(this.ownPresence, presence, true);
    }

    /** The collector's share hook: what the cycle starting at `startedAt` reads. */
    readonly share = (members: readonly FleetMember<unknown>[], startedAt: number): FleetShare => {
        if (this.sensorsOf !== members) {
            this.sensorsOf = members;
            this.sensors = members.map((member) => member.info.id);
        }
        return this.membership.shareAt(this.sensors, cycleStart(startedAt, this.intervalMs));
    };

    /** Members announced and online now, this one included once connected. */
    get instances(): number {
        return this.membership.announced;
    }

    /** Waiting for the broker, or for its first cycle as a member. */
    get joining(): boolean {
        const from = this.membership.joinedFrom;
        return from === undefined || Date.now() < from;
    }

    /** Leaves the group: its presence cleared, so the others take over from their next cycle. */
    close(): void {
        if (this.connected) this.bridge.publishRaw(this.ownPresence, '', true);
        for (const off of this.unsubscribe) off();
        this.hubNode.deregister(this.user);
        joined.delete(this.key);
    }
}
