import type { TlsOptions } from 'node:tls';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow, NodeStatus } from 'node-red';
import { parseGatewayConfig, type GatewayConfig } from './core/gateway/config';
import { GatewayServer } from './core/gateway/server';
import type { GatewayListener, GatewayStats } from './core/gateway/session';
import type { RefusalReport } from './core/gateway/limits';
import {
    commandRequest,
    gatewayEvent,
    gatewayStatus,
    listenAddress,
    listenFailure,
    refusalEvent,
    type GatewayState,
} from './core/gateway/status';
import type { StatusText } from './core/shared/status';
import { configText } from './config-text';
import { nodeStatus } from './adapter/status-text';
import { LiveStatus, offerMetrics, refuseConfig } from './adapter';
import { evaluateFixed, isProblem, problemText, typedField } from './typed-input';
import { editorSettings } from './editor-settings';

// Saved flows are user data: any field may be missing or of another type.
type GatewayDef = NodeDef & Record<string, unknown>;

const TYPE = 'sensorhub-gateway';

interface GatewayCredentials {
    /** JSON object of device id → token. */
    tokens?: string;
}

interface GatewayNode extends Node<GatewayCredentials> {
    /** For tests and the benchmark: the gateway's counters, and where it listens. */
    stats?: () => GatewayStats;
    port?: () => number | undefined;
}

interface TlsConfigNode extends Node {
    valid?: boolean;
    addTLSOptions(opts: Record<string, unknown>): Record<string, unknown>;
}

type CommandMsg = NodeMessageInFlow & { deviceId?: unknown; commandId?: unknown };

/** The running gateway's parts that the handlers below share. */
interface Gateway {
    readonly RED: NodeAPI;
    readonly node: GatewayNode;
    readonly config: GatewayConfig;
    readonly tls: TlsOptions | undefined;
    readonly where: string;
    readonly status: LiveStatus;
    server?: GatewayServer;
    state: GatewayState;
    failure: StatusText;
}

export = function (RED: NodeAPI): void {
    function GatewayNodeCtor(this: GatewayNode, def: GatewayDef): void {
        RED.nodes.createNode(this, def);
        const setup = gatewaySetup(RED, this, def);
        if ('refusal' in setup) {
            refuseConfig(RED, this, TYPE, setup.refusal);
            return;
        }
        const { config, tls } = setup;
        for (const warning of config.warningProblems)
            this.warn(RED._('sensorhub-gateway.log.warning', { reason: configText(RED, TYPE, warning) }));
        const g: Gateway = {
            RED,
            node: this,
            config,
            tls,
            where: listenAddress(config.host, config.port),
            status: new LiveStatus(this, () => drawn(g)),
            state: 'starting',
            failure: '',
        };
        const server = serverOf(g);
        g.server = server;
        this.stats = () => server.gateway.stats();
        this.port = () => server.address()?.port;
        offerMetrics(this, TYPE, def.name, () => server.gateway.stats());
        listen(g, server);
        this.on('input', (msg: CommandMsg, _send, done) => {
            sendCommand(g, server, msg, done);
        });
        this.on('close', (_removed: boolean, done: () => void) => {
            g.state = 'closed';
            g.status.stop();
            void server.close().then(done);
        });
        g.status.now();
    }
    RED.nodes.registerType<GatewayNode, GatewayDef, unknown, GatewayCredentials>(TYPE, GatewayNodeCtor, {
        ...editorSettings(TYPE),
        credentials: { tokens: { type: 'password' } },
    });
};

/** The checked configuration and TLS options, or why the gateway cannot start. */
function gatewaySetup(
    RED: NodeAPI,
    node: GatewayNode,
    def: GatewayDef,
): { config: GatewayConfig; tls: TlsOptions | undefined } | { refusal: string } {
    // The port may come from an environment variable, so one flow serves several instances or hosts.
    const portField = typedField(def, 'port', ['num', 'env'], 'num');
    const port = isProblem(portField) ? portField : evaluateFixed(RED, node, portField);
    if (isProblem(port)) return { refusal: problemText(RED, TYPE, RED._('sensorhub-gateway.label.port'), port) };
    const parsed = parseGatewayConfig({ ...def, port: port.value }, node.credentials);
    if ('error' in parsed) return { refusal: configText(RED, TYPE, parsed.problem) };
    const config = parsed.config;
    if (config.tls === '') return { config, tls: undefined };
    const tlsNode = RED.nodes.getNode(config.tls) as TlsConfigNode | null;
    if (!tlsNode) return { refusal: RED._('sensorhub-gateway.errors.no-tls') };
    const opts = tlsNode.addTLSOptions({});
    // A server needs its own certificate and key; a tls-config made for clients may have only a CA.
    if (tlsNode.valid === false || !opts.cert || !opts.key)
        return { refusal: RED._('sensorhub-gateway.errors.tls-no-cert') };
    return { config, tls: opts };
}

function drawn(g: Gateway): NodeStatus | undefined {
    const server = g.server;
    if (g.state === 'closed' || !server) return undefined;
    const view = { state: g.state, where: g.where, tls: g.tls !== undefined, failure: g.failure };
    return nodeStatus(g.RED, TYPE, gatewayStatus({ ...view, stats: () => server.gateway.stats() }));
}

/** The server, its readings on output 1 and its events on output 2. */
function serverOf(g: Gateway): GatewayServer {
    const { node, status } = g;
    const listener: GatewayListener = {
        reading: (msg) => {
            node.send([msg, null]);
        },
        online: (e) => {
            node.send([null, gatewayEvent('device_online', e.deviceId, { ...e })]);
            status.bump();
        },
        offline: (e) => {
            node.send([null, gatewayEvent('device_offline', e.deviceId, { ...e })]);
            status.bump();
        },
        refusal: (r) => {
            node.warn(refusalLog(g.RED, r));
            node.send([null, refusalEvent(r)]);
            status.bump();
        },
        commandAck: (deviceId, id) => {
            node.send([null, gatewayEvent('command_ack', deviceId, { deviceId, id })]);
        },
    };
    const { host, port, devices, limits } = g.config;
    return new GatewayServer({ host, port, tls: g.tls, devices, limits, listener });
}

/** A refusal's log line: the first of a reason on its own, the rest summed up. */
function refusalLog(RED: NodeAPI, r: RefusalReport): string {
    const d = r.detail;
    const who =
        d.deviceId === undefined
            ? d.remote
            : RED._('sensorhub-gateway.log.who-device', { remote: d.remote, device: d.deviceId });
    const reason = RED._(`sensorhub-gateway.refusal.${r.reason}`);
    if (r.count === 1) return RED._('sensorhub-gateway.log.refused', { who, reason, message: d.message });
    const summed = { count: r.count, reason, who, message: d.message, total: r.total };
    return RED._('sensorhub-gateway.log.refused-more', summed);
}

function listen(g: Gateway, server: GatewayServer): void {
    const { RED, node, config, where } = g;
    server.listen().then(
        () => {
            if (g.state === 'closed') return;
            g.state = 'listening';
            node.log(RED._('sensorhub-gateway.log.listening', { where, devices: config.devices.length }));
            g.status.now();
        },
        (err: unknown) => {
            if (g.state === 'closed') return;
            const code = (err as { code?: unknown }).code;
            const text = err instanceof Error ? err.message : String(err);
            g.state = 'failed';
            g.failure = listenFailure(code, config.port, where);
            const reason =
                code === 'EADDRINUSE' ? RED._('sensorhub-gateway.errors.in-use', { port: config.port }) : text;
            node.error(RED._('sensorhub-gateway.errors.listen', { where, reason }));
            g.status.now();
        },
    );
}

function sendCommand(g: Gateway, server: GatewayServer, msg: CommandMsg, done: (err?: Error) => void): void {
    const { RED, where } = g;
    const request = commandRequest(msg, g.state === 'listening');
    if ('problem' in request) {
        done(new Error(RED._(`sensorhub-gateway.errors.${request.problem}`, { where })));
        return;
    }
    const target = request.deviceId;
    const topic = typeof msg.topic === 'string' ? msg.topic : undefined;
    const result = server.gateway.command(target, request.payload, topic, request.commandId);
    if (!result.ok) {
        done(new Error(RED._('sensorhub-gateway.errors.command', { device: target, reason: result.error })));
        return;
    }
    // The id the device acknowledges, so a flow can match a command_ack event to this message.
    msg.commandId = result.id;
    done();
}
