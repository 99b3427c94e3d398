import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { Throttle } from './core/shared/throttle';
import { commandOf } from './core/shared/commands';
import {
    failedReading,
    isBooleanKind,
    ReadError,
    SIMULATED_MEAN,
    toReadingValue,
    type FailureStatus,
    type ReadingValue,
    type SensorInfo,
} from './core/shared/reading';
import { expandCommand } from './core/sensor/config';
import { parseFleetConfig, parseMemberList, type FleetConfig, type MemberSpec } from './core/fleet/config';
import { FleetCollector, TimerSet, type CycleOutcome, type FleetMember, type FleetResult } from './core/fleet/fleet';
import { ProcessSampler } from './core/shared/process-sample';
import { metricsRegistry } from './core/shared/metrics-registry';
import { SensorPoller, type PollResult } from './core/sensor/poller';
import { SimulatedSensor } from './core/sensor/simulator';
import { serialRequestReader } from './core/serial/read';
import type { SerialPortApi, SerialStatus } from './core/serial/user';
import { configText, errorText } from './config-text';
import { editorSettings } from './editor-settings';

type FleetDef = NodeDef & Record<string, unknown>;

const COMMANDS = ['start', 'stop', 'read', 'configure'] as const;
type Command = (typeof COMMANDS)[number];

interface Input {
    msg: NodeMessageInFlow;
    send: (msg: (NodeMessage | null)[]) => void;
    done: (err?: Error) => void;
}

function isCommand(c: string): c is Command {
    return (COMMANDS as readonly string[]).includes(c);
}

/** Seeds for a fleet's simulated sensors: distinct per position, fixed by the fleet's seed. */
function memberSeed(base: number, index: number): number {
    return (base ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
}

/**
 * A result as a reading-contract message (ok) or a failure message, without `msg.error` for the batch.
 * `say` gives a failure's reason in the runtime's language; it is not called for a good reading.
 */
function resultMessage(
    r: FleetResult<ReadingValue>,
    say: (err: Error) => string,
): { ok: boolean; msg: Record<string, unknown> } {
    const sensor = { ...r.member.info };
    const at = { ts: r.ts, latencyMs: r.latencyMs, seq: r.seq };
    if (r.status === 'ok')
        return {
            ok: true,
            msg: { topic: r.member.eventType, payload: r.value, sensor, reading: { status: 'ok', ...at } },
        };
    return failure(r.member, r.status, say(r.error), at);
}

/**
 * A device's value as its sensor reports it, or a failed read: a value of the wrong type (a motion sensor
 * answering 7) is an `error` like any other, counted as one in the cycle's statistics.
 */
function converting(info: SensorInfo, read: () => Promise<ReadingValue>): () => Promise<ReadingValue> {
    return () =>
        read().then((raw) => {
            const converted = toReadingValue(info.kind, info.unit, raw);
            if ('error' in converted) throw new ReadError('error', converted.error, converted.problem);
            return converted.value;
        });
}

function failure(
    member: FleetMember<ReadingValue>,
    status: FailureStatus,
    message: string,
    at: { ts: number; latencyMs: number; seq: number },
): { ok: boolean; msg: Record<string, unknown> } {
    return {
        ok: false,
        msg: {
            topic: member.eventType,
            payload: { status, message },
            sensor: { ...member.info },
            reading: failedReading(status, at),
        },
    };
}

export = function (RED: NodeAPI): void {
    function FleetNode(this: Node, def: FleetDef): void {
        RED.nodes.createNode(this, def);
        const refuse = (reason: string): void => {
            this.status({ fill: 'red', shape: 'ring', text: RED._('sensorhub-fleet.status.bad-config') });
            this.error(RED._('sensorhub-fleet.errors.config', { reason }));
            this.on('input', (_msg: NodeMessageInFlow, _send, done) => {
                done(new Error(RED._('sensorhub-fleet.errors.config', { reason })));
            });
        };
        const say = (err: Error): string => errorText(RED, 'sensorhub-fleet', err);
        const parsed = parseFleetConfig(def);
        if ('error' in parsed) {
            refuse(configText(RED, 'sensorhub-fleet', parsed.problem));
            return;
        }
        const config: FleetConfig = parsed.config;
        let port: SerialPortApi | undefined;
        if (config.serial.port !== '') {
            const node = RED.nodes.getNode(config.serial.port) as (Node & SerialPortApi) | null;
            if (!node) {
                refuse(RED._('sensorhub-fleet.errors.no-port'));
                return;
            }
            port = node;
        }
        const serialPort = port;
        const seedBase = config.simulation.seed ?? Math.floor(Math.random() * 0x100000000);
        const timers = new TimerSet();
        const sampler = new ProcessSampler();

        const memberFor = (spec: MemberSpec, index: number): FleetMember<ReadingValue> => {
            const { sensor, eventType } = spec;
            if (spec.source === 'serial' && serialPort) {
                const command = expandCommand(spec.command || config.serial.command, sensor.id);
                return {
                    info: sensor,
                    eventType,
                    read: converting(
                        sensor,
                        serialRequestReader(serialPort, command, config.serial.spec, config.timeoutMs),
                    ),
                };
            }
            const sim = config.simulation;
            const simulator = new SimulatedSensor({
                mode: isBooleanKind(sensor.kind) ? 'motion' : 'numeric',
                seed: memberSeed(seedBase, index),
                mean: SIMULATED_MEAN[sensor.kind],
                noise: 0.2,
                latencyMinMs: sim.latencyMinMs,
                latencyMaxMs: sim.latencyMaxMs,
                failureProbability: sim.failureProbability,
                motionProbability: 0.3,
                sleep: timers.sleep,
            });
            // A simulator gives the kind's own type in the base unit a fleet sensor reports in: nothing to convert.
            return { info: sensor, eventType, read: () => simulator.read() };
        };

        let last: CycleOutcome<ReadingValue>['stats'] | undefined;
        let portStatus: SerialStatus | undefined;
        const withdrawMetrics = metricsRegistry.register({ id: this.id, type: def.type, name: def.name }, () => last);
        const throttle = new Throttle(() => {
            redraw();
        });

        const collector = new FleetCollector<ReadingValue>({
            timeoutMs: config.timeoutMs,
            concurrency: config.concurrency,
            breaker: config.breaker,
            collect: config.output === 'batch',
            sample: sampler.sample,
            onResult: (r) => {
                // Batch output carries the readings in the cycle's message; failures go out one by one either way.
                if (r.status === 'ok' && config.output === 'batch') return;
                const { ok, msg } = resultMessage(r, say);
                if (ok) {
                    this.send([msg, null, null]);
                    return;
                }
                this.send([null, msg, null]);
                if (config.catchFailures) {
                    const { status, message } = msg.payload as { status: string; message: string };
                    this.error(
                        new Error(
                            RED._('sensorhub-fleet.errors.read', { id: r.member.info.id, status, reason: message }),
                        ),
                        { ...msg },
                    );
                }
            },
            onQuarantine: (member, error, retryInMs) => {
                // One log line when a sensor goes bad, not one per failed read of a thousand-sensor fleet.
                this.warn(
                    RED._('sensorhub-fleet.errors.quarantined', {
                        id: member.info.id,
                        reason: say(error),
                        seconds: Math.round(retryInMs / 100) / 10,
                    }),
                );
            },
        });
        collector.setMembers(config.members.map(memberFor));

        const poller = new SensorPoller<CycleOutcome<ReadingValue>>({
            read: (signal) => collector.runCycle(signal),
            intervalMs: config.intervalMs,
            timeoutMs: 0,
            onPoll: (result) => {
                finishCycle(result, undefined);
            },
        });

        const redraw = (): void => {
            if (portStatus) {
                this.status(portStatus);
                return;
            }
            if (config.intervalMs > 0 && !poller.running && !poller.busy) {
                this.status({ fill: 'grey', shape: 'ring', text: RED._('sensorhub-fleet.status.stopped') });
                return;
            }
            if (!last) {
                this.status({
                    fill: 'grey',
                    shape: 'dot',
                    text: RED._('sensorhub-fleet.status.sensors', { count: collector.size }),
                });
                return;
            }
            let text = RED._('sensorhub-fleet.status.cycle', {
                ok: last.ok,
                total: last.sensors,
                ms: Math.round(last.durationMs),
            });
            if (last.quarantined > 0)
                text = RED._('sensorhub-fleet.status.with-quarantined', { text, count: last.quarantined });
            if (poller.skipped > 0)
                text = RED._('sensorhub-fleet.status.with-skipped', { text, count: poller.skipped });
            const fill = last.failed + last.quarantined === 0 ? 'green' : last.ok > 0 ? 'yellow' : 'red';
            this.status({ fill, shape: 'dot', text });
        };

        const finishCycle = (result: PollResult<CycleOutcome<ReadingValue>>, input: Input | undefined): void => {
            if (result.status !== 'ok') {
                if (result.status === 'skipped') {
                    collector.skippedCycles = poller.skipped;
                    throttle.bump();
                }
                input?.done();
                return;
            }
            const { stats, results } = result.value;
            last = stats;
            throttle.bump();
            const statsMsg = { topic: 'fleet_stats', payload: stats };
            if (config.output === 'batch') {
                const batch = { topic: 'fleet_cycle', payload: results.map((r) => resultMessage(r, say).msg), stats };
                const out = input ? Object.assign(input.msg, batch) : batch;
                (input?.send ?? this.send.bind(this))([out, null, statsMsg]);
            } else {
                (input?.send ?? this.send.bind(this))([null, null, statsMsg]);
            }
            input?.done();
        };

        const runCommand = (command: string): string | undefined => {
            if (!isCommand(command)) return RED._('sensorhub-fleet.errors.command', { command });
            if (command === 'read' || command === 'configure') return undefined;
            if (config.intervalMs <= 0) return RED._('sensorhub-fleet.errors.no-interval', { command });
            if (command === 'start') poller.start();
            else poller.stop();
            throttle.bump();
            return undefined;
        };

        this.on('input', (msg: NodeMessageInFlow, send, done) => {
            const command = commandOf(msg);
            if (command !== undefined) {
                const problem = runCommand(command);
                if (problem !== undefined) {
                    done(new Error(problem));
                    return;
                }
                if (command === 'start' || command === 'stop') {
                    done();
                    return;
                }
            }
            // A list replaces the sensors; `configure` says a list is meant, so anything else is refused.
            if (command === 'configure' || Array.isArray(msg.payload)) {
                const list = parseMemberList(msg.payload, serialPort !== undefined);
                if ('error' in list) {
                    done(
                        new Error(
                            RED._('sensorhub-fleet.errors.list', {
                                reason: configText(RED, 'sensorhub-fleet', list.problem),
                            }),
                        ),
                    );
                    return;
                }
                collector.setMembers(list.config.map(memberFor));
            }
            void poller.read().then((result) => {
                finishCycle(result, { msg, send, done });
            });
        });

        this.on('close', (_removed: boolean, done: () => void) => {
            poller.close();
            collector.close();
            timers.clear();
            sampler.close();
            throttle.stop();
            withdrawMetrics();
            if (serialPort) serialPort.deregister(this, done);
            else done();
        });

        if (serialPort) {
            serialPort.register(this, (state, status) => {
                portStatus = state === 'open' ? undefined : status;
                throttle.bump();
            });
        }
        if (config.intervalMs > 0 && config.autoStart) poller.start();
        redraw();
    }
    RED.nodes.registerType('sensorhub-fleet', FleetNode, editorSettings('sensorhub-fleet'));
};
