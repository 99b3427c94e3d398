import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { EventHub } from './core/hub/hub';
import type { BridgeStats } from './core/hub/mqtt-bridge';
import type { SerialPortApi } from './core/serial/user';
import { metricsRegistry } from './core/shared/metrics-registry';
import {
    MonitorCollector,
    parseMonitorConfig,
    type MonitorConfig,
    type SerialPortMetrics,
} from './core/monitor/monitor';
import { metricsMessage, MonitorStatus, waitingStatus } from './core/monitor/output';
import { READINGS_MAX } from './core/monitor/readings';
import { nodeStatus } from './adapter/status-text';
import { LiveStatus, refuse, refuseConfig } from './adapter';
import { ProcessSampler } from './core/shared/process-sample';
import { configText } from './config-text';
import { editorSettings } from './editor-settings';

// Saved flows are user data: any field may be missing or of another type.
type MonitorDef = NodeDef & Record<string, unknown>;

const TYPE = 'sensorhub-monitor';

/** What the monitor reads of a `sensorhub-hub` config node. */
interface HubNode extends Node {
    hub: EventHub;
    bridge: { stats(): BridgeStats } | undefined;
}

export = function (RED: NodeAPI): void {
    function MonitorNode(this: Node, def: MonitorDef): void {
        RED.nodes.createNode(this, def);
        const parsed = parseMonitorConfig(def);
        if ('error' in parsed) {
            refuseConfig(RED, this, TYPE, configText(RED, TYPE, parsed.problem));
            return;
        }
        const config: MonitorConfig = parsed.config;
        const hubNode = typeof def.hub === 'string' ? (RED.nodes.getNode(def.hub) as HubNode | null) : null;
        if (!hubNode) {
            refuse(this, {
                status: RED._('sensorhub-monitor.status.no-hub'),
                fail: RED._('sensorhub-monitor.errors.no-hub'),
            });
            return;
        }

        const sampler = new ProcessSampler();
        const collector = collectorOf(RED, hubNode, config, sampler);
        const status = new MonitorStatus();
        const live = new LiveStatus(this, () => {
            const view = status.view();
            return view && nodeStatus(RED, TYPE, view);
        });
        const emit = (msg: Record<string, unknown>): Record<string, unknown> => {
            const snapshot = collector.snapshot();
            status.seen(snapshot);
            live.bump();
            return Object.assign(msg, metricsMessage(snapshot, config.format));
        };
        const sendSnapshot = (): void => {
            try {
                this.send(emit({}));
            } catch (err) {
                this.error(RED._('sensorhub-monitor.errors.collect', { reason: (err as Error).message }));
            }
        };
        const timer = config.intervalMs > 0 ? setInterval(sendSnapshot, config.intervalMs) : undefined;
        this.status(nodeStatus(RED, TYPE, waitingStatus(config.intervalMs)));

        // The input message goes out with the metrics, so an http in's request reaches the http response.
        this.on('input', (msg: NodeMessageInFlow, send, done) => {
            let out: Record<string, unknown>;
            try {
                out = emit(msg);
            } catch (err) {
                done(new Error(RED._('sensorhub-monitor.errors.collect', { reason: (err as Error).message })));
                return;
            }
            send(out);
            done();
        });

        this.on('close', (_removed: boolean, done: () => void) => {
            if (timer) clearInterval(timer);
            live.stop();
            collector.close();
            sampler.close();
            done();
        });
    }
    RED.nodes.registerType(TYPE, MonitorNode, editorSettings(TYPE));
};

/** The collector of the hub's, the nodes' and the serial ports' metrics. */
function collectorOf(RED: NodeAPI, hubNode: HubNode, config: MonitorConfig, sampler: ProcessSampler): MonitorCollector {
    const serialPorts = (): SerialPortMetrics[] => {
        const out: SerialPortMetrics[] = [];
        RED.nodes.eachNode((n) => {
            if (n.type !== 'sensorhub-serial-port') return;
            const port = RED.nodes.getNode(n.id) as (Node & SerialPortApi) | null;
            if (!port) return;
            out.push({ id: n.id, name: n.name || '', path: port.path, state: port.state, ...port.stats() });
        });
        return out;
    };
    return new MonitorCollector({
        hub: hubNode.hub,
        hubId: hubNode.id,
        hubName: hubNode.name || '',
        backend: hubNode.bridge ? 'mqtt' : 'local',
        maxTypes: config.maxTypes,
        now: Date.now,
        process: () => ({ ...sampler.sample(), uptimeS: Math.round(process.uptime()) }),
        bridge: () => hubNode.bridge?.stats(),
        nodes: () => metricsRegistry.collect(),
        serialPorts,
        nameOf: (id: string): string | undefined => (RED.nodes.getNode(id) as Node | null)?.name || undefined,
        readings: READINGS_MAX,
    });
}
