import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { EventHub } from './core/hub/hub';
import type { BridgeStats } from './core/hub/mqtt-bridge';
import type { SerialPortApi } from './core/serial/user';
import { metricsRegistry } from './core/shared/metrics-registry';
import {
    MonitorCollector,
    parseMonitorConfig,
    prometheusFamilies,
    statusFigures,
    type MonitorConfig,
    type MonitorSnapshot,
    type SerialPortMetrics,
} from './core/monitor/monitor';
import { CONTENT_TYPE, formatPrometheus } from './core/monitor/prometheus';
import { ProcessSampler } from './core/shared/process-sample';
import { Throttle } from './core/shared/throttle';
import { configText } from './config-text';
import { editorSettings } from './editor-settings';

// Saved flows are user data: any field may be missing or of another type.
type MonitorDef = NodeDef & Record<string, unknown>;

/** What the monitor reads of a `sensorhub-hub` config node. */
interface HubNode extends Node {
    hub: EventHub;
    bridge: { stats(): BridgeStats } | undefined;
}

export = function (RED: NodeAPI): void {
    function MonitorNode(this: Node, def: MonitorDef): void {
        RED.nodes.createNode(this, def);
        const refuse = (status: string, reason: string): void => {
            this.status({ fill: 'red', shape: 'ring', text: status });
            this.on('input', (_msg: NodeMessageInFlow, _send, done) => {
                done(new Error(reason));
            });
        };
        const parsed = parseMonitorConfig(def);
        if ('error' in parsed) {
            const reason = RED._('sensorhub-monitor.errors.config', {
                reason: configText(RED, 'sensorhub-monitor', parsed.problem),
            });
            this.error(reason);
            refuse(RED._('sensorhub-monitor.status.bad-config'), reason);
            return;
        }
        const config: MonitorConfig = parsed.config;
        const hubNode = typeof def.hub === 'string' ? (RED.nodes.getNode(def.hub) as HubNode | null) : null;
        if (!hubNode) {
            refuse(RED._('sensorhub-monitor.status.no-hub'), RED._('sensorhub-monitor.errors.no-hub'));
            return;
        }

        const nameOf = (id: string): string | undefined => (RED.nodes.getNode(id) as Node | null)?.name || undefined;
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
        const sampler = new ProcessSampler();
        const collector = new MonitorCollector({
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
            nameOf,
        });

        let latest: MonitorSnapshot | undefined;
        let droppedBefore = 0;
        let droppedSince = 0;
        const throttle = new Throttle(() => {
            if (!latest) return;
            const figures = statusFigures(latest);
            this.status({
                fill: droppedSince > 0 ? 'yellow' : 'green',
                shape: 'dot',
                text: RED._('sensorhub-monitor.status.metrics', figures),
            });
        });

        const emit = (msg: Record<string, unknown>): Record<string, unknown> => {
            const snapshot = collector.snapshot();
            latest = snapshot;
            droppedSince = snapshot.hub.dropped - droppedBefore;
            droppedBefore = snapshot.hub.dropped;
            throttle.bump();
            msg.topic = 'sensorhub_metrics';
            if (config.format === 'prometheus') {
                msg.payload = formatPrometheus(prometheusFamilies(snapshot));
                msg.headers = { 'content-type': CONTENT_TYPE };
            } else {
                msg.payload = snapshot;
            }
            return msg;
        };

        let timer: NodeJS.Timeout | undefined;
        if (config.intervalMs > 0) {
            timer = setInterval(() => {
                try {
                    this.send(emit({}));
                } catch (err) {
                    this.error(RED._('sensorhub-monitor.errors.collect', { reason: (err as Error).message }));
                }
            }, config.intervalMs);
        }
        this.status({
            fill: 'grey',
            shape: 'ring',
            text:
                config.intervalMs > 0
                    ? RED._('sensorhub-monitor.status.every', { seconds: config.intervalMs / 1000 })
                    : RED._('sensorhub-monitor.status.on-input'),
        });

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
            throttle.stop();
            collector.close();
            sampler.close();
            done();
        });
    }
    RED.nodes.registerType('sensorhub-monitor', MonitorNode, editorSettings('sensorhub-monitor'));
};
