import { said, type StatusText, type StatusView } from '../shared/status';
import { isCommandId, type MessageId } from './protocol';
import type { RefusalReport } from './limits';
import type { GatewayStats } from './session';

/** A gateway node's life: listening once its server is bound, failed when it cannot be. */
export type GatewayState = 'starting' | 'listening' | 'failed' | 'closed';

/** Where the gateway listens, as people write it: an IPv6 host in brackets. */
export function listenAddress(host: string, port: number): string {
    return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** What the gateway's status is drawn from. */
export interface GatewayView {
    readonly state: Exclude<GatewayState, 'closed'>;
    readonly where: string;
    readonly tls: boolean;
    /** Why it cannot listen, once failed. */
    readonly failure: StatusText;
    /** Its counters; read only while listening. */
    readonly stats: () => GatewayStats;
}

export function gatewayStatus(v: GatewayView): StatusView {
    if (v.state === 'starting') return { fill: 'yellow', shape: 'ring', text: said('starting', { where: v.where }) };
    if (v.state === 'failed') return { fill: 'red', shape: 'ring', text: v.failure };
    const stats = v.stats();
    const text = said(stats.refusedTotal > 0 ? 'listening-refused' : 'listening', {
        online: stats.devicesOnline,
        where: v.tls ? said('tls', { where: v.where }) : v.where,
        refused: stats.refusedTotal,
    });
    return { fill: 'green', shape: 'dot', text };
}

/** The status of a gateway that cannot listen: the port taken, or the address refused. */
export function listenFailure(code: unknown, port: number, where: string): StatusText {
    return code === 'EADDRINUSE' ? said('in-use', { port }) : said('cannot-listen', { where });
}

/** An event on the gateway's second output. */
export type GatewayEvent = { topic: string; deviceId?: string; payload: object };

export function gatewayEvent(topic: string, deviceId: string | undefined, payload: object): GatewayEvent {
    return { topic, ...(deviceId === undefined ? {} : { deviceId }), payload };
}

/** A refusal (or a summary of several) as a `gateway_refusal` event. */
export function refusalEvent(r: RefusalReport): GatewayEvent {
    const d = r.detail;
    return gatewayEvent('gateway_refusal', d.deviceId, {
        reason: r.reason,
        count: r.count,
        total: r.total,
        remote: d.remote,
        deviceId: d.deviceId,
        message: d.message,
    });
}

/** What a command message carries: the target device, the command, and the id to acknowledge. */
export interface CommandInput {
    readonly deviceId?: unknown;
    readonly payload?: unknown;
    readonly commandId?: unknown;
}

/** A command message, checked: what to send where, or why it cannot be sent (a key of the node's `errors.*`). */
export type CommandRequest =
    | { readonly problem: 'no-target' | 'not-listening' | 'no-payload' | 'command-id' }
    | { readonly deviceId: string; readonly payload: unknown; readonly commandId: MessageId | undefined };

export function commandRequest(msg: CommandInput, listening: boolean): CommandRequest {
    const { deviceId, payload, commandId } = msg;
    if (typeof deviceId !== 'string' || deviceId === '') return { problem: 'no-target' };
    if (!listening) return { problem: 'not-listening' };
    if (payload === undefined) return { problem: 'no-payload' };
    if (commandId !== undefined && !isCommandId(commandId)) return { problem: 'command-id' };
    return { deviceId, payload, commandId };
}
