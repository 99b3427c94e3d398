import type { Node, NodeAPI, NodeDef, NodeMessageInFlow, NodeStatusFill, NodeStatusShape } from 'node-red';
import { Throttle } from './core/shared/throttle';
import { messageProperty, messageValue } from './typed-input';
import { commandOf } from './core/shared/commands';
import { metricsRegistry } from './core/shared/metrics-registry';
import {
    buildReading,
    failedReading,
    ReadError,
    toReadingValue,
    type FailureStatus,
    type ReadingValue,
} from './core/shared/reading';
import { expandCommand, parseSensorConfig, type SensorConfig } from './core/sensor/config';
import { SensorPoller, type PollResult, type ReadFn } from './core/sensor/poller';
import { SimulatedSensor } from './core/sensor/simulator';
import { parseReading } from './core/shared/parse';
import { serialRequestReader } from './core/serial/read';
import type { SerialPortApi, SerialStatus } from './core/serial/user';
import { configText, errorText } from './config-text';
import { editorSettings } from './editor-settings';

// Saved flows are user data: any field may be missing or of another type.
type SensorDef = NodeDef & Record<string, unknown>;

const COMMANDS = ['start', 'stop', 'offline', 'online'] as const;
type Command = (typeof COMMANDS)[number];

type Shown = { kind: 'none' } | { kind: 'value'; value: ReadingValue } | { kind: 'failure'; status: FailureStatus };

/** The status text of a boolean reading, [false, true], per kind. */
const BOOLEAN_STATUS: Readonly<Record<string, readonly [string, string]>> = {
    motion: ['no-motion', 'motion'],
    contact: ['open', 'closed'],
};

function isCommand(c: string): c is Command {
    return (COMMANDS as readonly string[]).includes(c);
}

export = function (RED: NodeAPI): void {
    function SensorNode(this: Node, def: SensorDef): void {
        RED.nodes.createNode(this, def);
        const parsed = parseSensorConfig(def, this.id);
        if ('error' in parsed) {
            const reason = configText(RED, 'sensorhub-sensor', parsed.problem);
            this.status({ fill: 'red', shape: 'ring', text: RED._('sensorhub-sensor.status.bad-config') });
            this.error(RED._('sensorhub-sensor.errors.config', { reason }));
            this.on('input', (_msg: NodeMessageInFlow, _send, done) => {
                done(new Error(RED._('sensorhub-sensor.errors.config', { reason })));
            });
            return;
        }
        const config: SensorConfig = parsed.config;
        const { sensor, eventType } = config;
        const property = messageProperty(def);

        let shown: Shown = { kind: 'none' };
        /** The last read's outcome, for the monitor node. */
        let lastRead: { status: string; ts: number; latencyMs: number; seq: number; value?: ReadingValue } | undefined;
        const throttle = new Throttle(() => {
            redraw();
        });

        let simulator: SimulatedSensor | undefined;
        let poller: SensorPoller<ReadingValue> | undefined;
        let seq = 0;
        let port: SerialPortApi | undefined;
        /** While the serial connection is not open, its status is shown rather than the last reading. */
        let portStatus: SerialStatus | undefined;
        let stopLines: (() => void) | undefined;
        /** How this sensor reads on demand, when it can: a serial request or the simulator. */
        let read: ReadFn<ReadingValue> | undefined;
        if (config.source === 'serial') {
            const node = RED.nodes.getNode(config.serial.port) as (Node & SerialPortApi) | null;
            if (!node) {
                this.status({ fill: 'red', shape: 'ring', text: RED._('sensorhub-sensor.status.no-port') });
                this.on('input', (_msg: NodeMessageInFlow, _send, done) => {
                    done(new Error(RED._('sensorhub-sensor.errors.no-port')));
                });
                return;
            }
            port = node;
            const serial = node;
            const command = expandCommand(config.serial.command, sensor.id);
            if (serial.mode === 'request') {
                read = serialRequestReader(serial, command, config.serial.spec, config.timeoutMs);
            } else {
                stopLines = serial.onLine((line) => {
                    const parsedLine = parseReading(line, config.serial.spec);
                    // A well-formed line without this sensor's field belongs to another sensor on the same port.
                    if (!parsedLine.ok && parsedLine.missing === true) return;
                    const at = { seq: ++seq, ts: Date.now(), latencyMs: 0 };
                    if (parsedLine.ok) report({ status: 'ok', value: parsedLine.value, ...at }, undefined);
                    else
                        report(
                            {
                                status: 'error',
                                error: new ReadError('error', parsedLine.error, parsedLine.problem),
                                ...at,
                            },
                            undefined,
                        );
                });
            }
        }
        if (config.source === 'simulated') {
            const sim = config.simulation;
            const source = new SimulatedSensor({ ...sim, seed: sim.seed ?? Math.floor(Math.random() * 0x100000000) });
            simulator = source;
            read = (signal) => source.read(signal);
        }
        if (read) {
            poller = new SensorPoller<ReadingValue>({
                read,
                intervalMs: config.intervalMs,
                timeoutMs: config.timeoutMs,
                onPoll: (result) => {
                    report(result, undefined);
                },
            });
        }

        const redraw = (): void => {
            const stopped = poller !== undefined && config.intervalMs > 0 && !poller.running;
            const skipped = poller?.skipped ?? 0;
            let fill: NodeStatusFill;
            let shape: NodeStatusShape;
            let text: string;
            if (portStatus) {
                this.status(portStatus);
                return;
            }
            if (stopped) {
                [fill, shape, text] = ['grey', 'ring', RED._('sensorhub-sensor.status.stopped')];
            } else if (shown.kind === 'failure') {
                [fill, shape, text] = ['red', 'ring', RED._(`sensorhub-sensor.status.${shown.status}`)];
            } else if (shown.kind === 'value') {
                [fill, shape, text] = ['green', 'dot', formatValue(shown.value)];
            } else {
                this.status({});
                return;
            }
            if (skipped > 0) text = RED._('sensorhub-sensor.status.with-skipped', { text, skipped });
            this.status({ fill, shape, text });
        };

        const formatValue = (value: ReadingValue): string => {
            if (typeof value === 'boolean')
                return RED._(`sensorhub-sensor.status.${BOOLEAN_STATUS[sensor.kind][+value]}`);
            const shownValue = sensor.kind === 'generic' ? String(Math.round(value * 1000) / 1000) : value.toFixed(1);
            return sensor.unit ? `${shownValue} ${sensor.unit}` : shownValue;
        };

        const failure = (status: FailureStatus, reason: string): Error =>
            new Error(
                RED._('sensorhub-sensor.errors.read', {
                    id: sensor.id,
                    status: RED._(`sensorhub-sensor.status.${status}`),
                    reason,
                }),
            );

        /**
         * Sends a reading or reports a failure. `input` is the message that asked
         * for the read, with its send and done; undefined for the interval's reads.
         */
        const report = (
            result: PollResult<ReadingValue>,
            input:
                { msg: NodeMessageInFlow; send: (m: NodeMessageInFlow) => void; done: (e?: Error) => void } | undefined,
        ): void => {
            if (result.status === 'closed' || result.status === 'skipped') {
                if (result.status === 'skipped') throttle.bump();
                input?.done();
                return;
            }
            const at = { ts: result.ts, latencyMs: result.latencyMs, seq: result.seq };
            if (result.status === 'ok') {
                const converted = toReadingValue(sensor.kind, sensor.unit, result.value);
                if ('value' in converted) {
                    shown = { kind: 'value', value: converted.value };
                    lastRead = { status: 'ok', ...at, value: converted.value };
                    throttle.bump();
                    const reading = buildReading({ ...sensor }, eventType, converted.value, at);
                    if (input) {
                        input.send(Object.assign(input.msg, reading));
                        input.done();
                    } else {
                        this.send(reading);
                    }
                    return;
                }
                fail('error', configText(RED, 'sensorhub-sensor', converted.problem), at, input);
                return;
            }
            fail(result.status, errorText(RED, 'sensorhub-sensor', result.error), at, input);
        };

        const fail = (
            status: FailureStatus,
            reason: string,
            at: { ts: number; latencyMs: number; seq: number },
            input: { msg: NodeMessageInFlow; done: (e?: Error) => void } | undefined,
        ): void => {
            // An offline sensor is polled on: it is reported when it goes offline, not again on every poll.
            const repeat = !input && status === 'offline' && shown.kind === 'failure' && shown.status === 'offline';
            shown = { kind: 'failure', status };
            lastRead = { status, ...at };
            throttle.bump();
            const err = failure(status, reason);
            const extra = { sensor: { ...sensor }, reading: failedReading(status, at) };
            if (input) {
                Object.assign(input.msg, extra);
                input.done(err);
            } else if (!repeat) {
                this.error(err, { topic: eventType, ...extra });
            }
        };

        const runCommand = (command: string): string | undefined => {
            if (!isCommand(command)) return RED._('sensorhub-sensor.errors.command', { command });
            if (command === 'offline' || command === 'online') {
                if (!simulator) return RED._('sensorhub-sensor.errors.not-simulated', { command });
                simulator.setOffline(command === 'offline');
                return undefined;
            }
            if (!poller || config.intervalMs <= 0) return RED._('sensorhub-sensor.errors.no-interval', { command });
            if (command === 'start') poller.start();
            else poller.stop();
            throttle.bump();
            return undefined;
        };

        this.on('input', (msg: NodeMessageInFlow, send, done) => {
            const command = commandOf(msg);
            if (command !== undefined) {
                const problem = runCommand(command);
                if (problem === undefined) done();
                else done(new Error(problem));
                return;
            }
            if (poller) {
                void poller.read().then((result) => {
                    report(result, { msg, send, done });
                });
                return;
            }
            if (port) {
                // Push mode: the device sends when it likes; there is nothing to ask it.
                done(new Error(RED._('sensorhub-sensor.errors.push-input')));
                return;
            }
            // msg source: the value is the payload (or the property chosen), read the moment it arrives.
            const got = property === 'payload' ? { value: msg.payload } : messageValue(RED, msg, property);
            if ('error' in got) {
                done(new Error(RED._('sensorhub-sensor.errors.property-read', { property, reason: got.error })));
                return;
            }
            const now = Date.now();
            report(
                { status: 'ok', value: got.value as ReadingValue, seq: ++seq, ts: now, latencyMs: 0 },
                { msg, send, done },
            );
        });

        const withdrawMetrics = metricsRegistry.register(
            { id: this.id, type: 'sensorhub-sensor', name: typeof def.name === 'string' ? def.name : '' },
            () => lastRead ?? {},
        );

        this.on('close', (_removed: boolean, done: () => void) => {
            withdrawMetrics();
            poller?.close();
            stopLines?.();
            throttle.stop();
            if (port) port.deregister(this, done);
            else done();
        });

        if (port) {
            port.register(this, (state, status) => {
                portStatus = state === 'open' ? undefined : status;
                throttle.bump();
            });
        }
        if (poller && config.intervalMs > 0 && config.autoStart) poller.start();
        redraw();
    }
    RED.nodes.registerType('sensorhub-sensor', SensorNode, editorSettings('sensorhub-sensor'));
};
