import type { TlsOptions } from 'node:tls';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { parseGatewayConfig } from './core/gateway/config';
import { isCommandId } from './core/gateway/protocol';
import { GatewayServer } from './core/gateway/server';
import type { GatewayListener, GatewayStats } from './core/gateway/session';
import type { RefusalReport } from './core/gateway/limits';
import { metricsRegistry } from './core/shared/metrics-registry';
import { Throttle } from './core/shared/throttle';
import { configText } from './config-text';
import { evaluateFixed, isProblem, problemText, typedField } from './typed-input';
import { editorSettings } from './editor-settings';

// Saved flows are user data: any field may be missing or of another type.
type GatewayDef = NodeDef & Record<string, unknown>;

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

export = function (RED: NodeAPI): void {
    function GatewayNodeCtor(this: GatewayNode, def: GatewayDef): void {
        RED.nodes.createNode(this, def);
        const refuseToStart = (reason: string): void => {
            this.status({ fill: 'red', shape: 'ring', text: RED._('sensorhub-gateway.status.bad-config') });
            this.error(RED._('sensorhub-gateway.errors.config', { reason }));
            this.on('input', (_msg: NodeMessageInFlow, _send, done) => {
                done(new Error(RED._('sensorhub-gateway.errors.config', { reason })));
            });
        };
        // The port may come from an environment variable, so one flow serves several instances or hosts.
        const portField = typedField(def, 'port', ['num', 'env'], 'num');
        const port = isProblem(portField) ? portField : evaluateFixed(RED, this, portField);
        if (isProblem(port)) {
            refuseToStart(problemText(RED, 'sensorhub-gateway', RED._('sensorhub-gateway.label.port'), port));
            return;
        }
        const parsed = parseGatewayConfig({ ...def, port: port.value }, this.credentials);
        if ('error' in parsed) {
            refuseToStart(configText(RED, 'sensorhub-gateway', parsed.problem));
            return;
        }
        const config = parsed.config;
        let tlsOptions: TlsOptions | undefined;
        if (config.tls !== '') {
            const tlsNode = RED.nodes.getNode(config.tls) as TlsConfigNode | null;
            if (!tlsNode) {
                refuseToStart(RED._('sensorhub-gateway.errors.no-tls'));
                return;
            }
            const opts = tlsNode.addTLSOptions({});
            // A server needs its own certificate and key; a tls-config made for clients may have only a CA.
            if (tlsNode.valid === false || !opts.cert || !opts.key) {
                refuseToStart(RED._('sensorhub-gateway.errors.tls-no-cert'));
                return;
            }
            tlsOptions = opts;
        }
        for (const warning of config.warningProblems)
            this.warn(
                RED._('sensorhub-gateway.log.warning', { reason: configText(RED, 'sensorhub-gateway', warning) }),
            );

        const where = `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
        let state: 'starting' | 'listening' | 'failed' | 'closed' = 'starting';
        let failure = '';

        const redraw = (): void => {
            if (state === 'closed') return;
            if (state === 'starting') {
                this.status({
                    fill: 'yellow',
                    shape: 'ring',
                    text: RED._('sensorhub-gateway.status.starting', { where }),
                });
                return;
            }
            if (state === 'failed') {
                this.status({ fill: 'red', shape: 'ring', text: failure });
                return;
            }
            const stats = server.gateway.stats();
            const key = stats.refusedTotal > 0 ? 'listening-refused' : 'listening';
            this.status({
                fill: 'green',
                shape: 'dot',
                text: RED._(`sensorhub-gateway.status.${key}`, {
                    online: stats.devicesOnline,
                    where: tlsOptions ? RED._('sensorhub-gateway.status.tls', { where }) : where,
                    refused: stats.refusedTotal,
                }),
            });
        };
        const throttle = new Throttle(redraw);

        const event = (topic: string, deviceId: string | undefined, payload: object): NodeMessage => ({
            topic,
            ...(deviceId === undefined ? {} : { deviceId }),
            payload,
        });

        const reportRefusal = (r: RefusalReport): void => {
            const d = r.detail;
            const who =
                d.deviceId === undefined
                    ? d.remote
                    : RED._('sensorhub-gateway.log.who-device', { remote: d.remote, device: d.deviceId });
            const reason = RED._(`sensorhub-gateway.refusal.${r.reason}`);
            this.warn(
                r.count === 1
                    ? RED._('sensorhub-gateway.log.refused', { who, reason, message: d.message })
                    : RED._('sensorhub-gateway.log.refused-more', {
                          count: r.count,
                          reason,
                          who,
                          message: d.message,
                          total: r.total,
                      }),
            );
            this.send([
                null,
                event('gateway_refusal', d.deviceId, {
                    reason: r.reason,
                    count: r.count,
                    total: r.total,
                    remote: d.remote,
                    deviceId: d.deviceId,
                    message: d.message,
                }),
            ]);
            throttle.bump();
        };

        const listener: GatewayListener = {
            reading: (msg) => {
                this.send([msg, null]);
            },
            online: (e) => {
                this.send([null, event('device_online', e.deviceId, { ...e })]);
                throttle.bump();
            },
            offline: (e) => {
                this.send([null, event('device_offline', e.deviceId, { ...e })]);
                throttle.bump();
            },
            refusal: reportRefusal,
            commandAck: (deviceId, id) => {
                this.send([null, event('command_ack', deviceId, { deviceId, id })]);
            },
        };

        const server = new GatewayServer({
            host: config.host,
            port: config.port,
            tls: tlsOptions,
            devices: config.devices,
            limits: config.limits,
            listener,
        });
        this.stats = () => server.gateway.stats();
        this.port = () => server.address()?.port;
        const withdrawMetrics = metricsRegistry.register(
            { id: this.id, type: 'sensorhub-gateway', name: typeof def.name === 'string' ? def.name : '' },
            () => server.gateway.stats(),
        );

        server.listen().then(
            () => {
                if (state === 'closed') return;
                state = 'listening';
                this.log(RED._('sensorhub-gateway.log.listening', { where, devices: config.devices.length }));
                redraw();
            },
            (err: unknown) => {
                if (state === 'closed') return;
                const code = (err as { code?: unknown }).code;
                const text = err instanceof Error ? err.message : String(err);
                state = 'failed';
                failure =
                    code === 'EADDRINUSE'
                        ? RED._('sensorhub-gateway.status.in-use', { port: config.port })
                        : RED._('sensorhub-gateway.status.cannot-listen', { where });
                const reason =
                    code === 'EADDRINUSE' ? RED._('sensorhub-gateway.errors.in-use', { port: config.port }) : text;
                this.error(RED._('sensorhub-gateway.errors.listen', { where, reason }));
                redraw();
            },
        );

        this.on('input', (msg: CommandMsg, _send, done) => {
            const target = msg.deviceId;
            if (typeof target !== 'string' || target === '') {
                done(new Error(RED._('sensorhub-gateway.errors.no-target')));
                return;
            }
            if (state !== 'listening') {
                done(new Error(RED._('sensorhub-gateway.errors.not-listening', { where })));
                return;
            }
            if (msg.payload === undefined) {
                done(new Error(RED._('sensorhub-gateway.errors.no-payload')));
                return;
            }
            if (msg.commandId !== undefined && !isCommandId(msg.commandId)) {
                done(new Error(RED._('sensorhub-gateway.errors.command-id')));
                return;
            }
            const topic = typeof msg.topic === 'string' ? msg.topic : undefined;
            const result = server.gateway.command(target, msg.payload, topic, msg.commandId);
            if (!result.ok) {
                done(new Error(RED._('sensorhub-gateway.errors.command', { device: target, reason: result.error })));
                return;
            }
            // The id the device acknowledges, so a flow can match a command_ack event to this message.
            msg.commandId = result.id;
            done();
        });

        this.on('close', (_removed: boolean, done: () => void) => {
            state = 'closed';
            withdrawMetrics();
            throttle.stop();
            void server.close().then(done);
        });

        redraw();
    }
    RED.nodes.registerType<GatewayNode, GatewayDef, unknown, GatewayCredentials>('sensorhub-gateway', GatewayNodeCtor, {
        credentials: { tokens: { type: 'password' } },
        ...editorSettings('sensorhub-gateway'),
    });
};
