import { isOneOf } from './core/shared/texts';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow, NodeStatus } from 'node-red';
import { messageProperty, messageValue } from './typed-input';
import { commandOf } from './core/shared/commands';
import {
    buildReading,
    failedReading,
    sensorCopy,
    toReadingValue,
    type FailureStatus,
    type ReadingValue,
} from './core/shared/reading';
import { parseSensorConfig, type SensorConfig } from './core/sensor/config';
import { SensorPoller, type PollResult, type ReadFn } from './core/sensor/poller';
import { SimulatedSensor } from './core/sensor/simulator';
import { pushedLineResult, serialSourceReader } from './core/sensor/source';
import { SensorRecord, sensorStatus } from './core/sensor/status';
import type { SerialPortApi, SerialStatus } from './core/serial/user';
import { configText, errorText } from './config-text';
import { nodeStatus } from './adapter/status-text';
import { LiveStatus, offerMetrics, refuse, refuseConfig } from './adapter';
import { editorSettings } from './editor-settings';
import { announce } from './adapter/ha';
import { readingState, sensorSpec, type HaEntity } from './core/ha';

// Saved flows are user data: any field may be missing or of another type.
type SensorDef = NodeDef & Record<string, unknown>;

const TYPE = 'sensorhub-sensor';
const COMMANDS = ['start', 'stop', 'offline', 'online'] as const;

/** The message that asked for a read, with its send and done; undefined for the interval's reads. */
type Input = { msg: NodeMessageInFlow; send: (m: NodeMessageInFlow) => void; done: (e?: Error) => void } | undefined;
type At = { ts: number; latencyMs: number; seq: number };

/** How the sensor reads: on demand (serial request, simulator), or as its device pushes lines. */
interface Source {
    read?: ReadFn<ReadingValue>;
    simulator?: SimulatedSensor;
    port?: SerialPortApi;
    stopLines?: () => void;
}

/** The running sensor's parts that the handlers below share. */
interface Sensor {
    readonly RED: NodeAPI;
    readonly node: Node;
    readonly config: SensorConfig;
    readonly record: SensorRecord;
    readonly status: LiveStatus;
    readonly source: Source;
    /** Where a msg source finds the value. */
    readonly property: string;
    poller?: SensorPoller<ReadingValue>;
    /** While the serial connection is not open, its status is shown rather than the last reading. */
    portStatus?: SerialStatus;
    seq: number;
    /** The sensor's entity in Home Assistant, when the node names a hub that announces. */
    ha?: HaEntity;
}

export = function (RED: NodeAPI): void {
    function SensorNode(this: Node, def: SensorDef): void {
        RED.nodes.createNode(this, def);
        const parsed = parseSensorConfig(def, this.id);
        if ('error' in parsed) {
            refuseConfig(RED, this, TYPE, configText(RED, TYPE, parsed.problem));
            return;
        }
        const config = parsed.config;
        const port = config.source === 'serial' ? serialPort(RED, config) : undefined;
        if (config.source === 'serial' && !port) {
            refuse(this, {
                status: RED._('sensorhub-sensor.status.no-port'),
                fail: RED._('sensorhub-sensor.errors.no-port'),
            });
            return;
        }
        const s: Sensor = {
            RED,
            node: this,
            config,
            record: new SensorRecord(),
            status: new LiveStatus(this, () => drawn(s)),
            source: { port },
            property: messageProperty(def),
            seq: 0,
        };
        const { id, kind, unit } = config.sensor;
        const name = typeof def.name === 'string' && def.name !== '' ? def.name : id;
        s.ha = announce(RED, this, def, sensorSpec(this.id, name, kind, unit))?.entity;
        openSource(s);
        if (s.source.read) s.poller = pollerOf(s, s.source.read);
        this.on('input', (msg: NodeMessageInFlow, send, done) => {
            onInput(s, { msg, send, done });
        });
        offerMetrics(this, TYPE, def.name, () => s.record.metrics());
        this.on('close', (_removed: boolean, done: () => void) => {
            close(s, done);
        });
        port?.register(this, (state, status) => {
            s.portStatus = state === 'open' ? undefined : status;
            s.status.bump();
        });
        if (s.poller && config.intervalMs > 0 && config.autoStart) s.poller.start();
        s.status.now();
    }
    RED.nodes.registerType(TYPE, SensorNode, editorSettings(TYPE));
};

/** The serial port config node the sensor reads through; undefined when it is not deployed. */
function serialPort(RED: NodeAPI, config: SensorConfig): SerialPortApi | undefined {
    return (RED.nodes.getNode(config.serial.port) as (Node & SerialPortApi) | null) ?? undefined;
}

function openSource(s: Sensor): void {
    const { config, source } = s;
    const port = source.port;
    if (port && port.mode === 'request') {
        source.read = serialSourceReader(port, config.serial, config.sensor.id, config.timeoutMs);
    } else if (port) {
        source.stopLines = port.onLine((line) => {
            const result = pushedLineResult(line, config.serial.spec, s);
            if (result) report(s, result, undefined);
        });
    }
    if (config.source === 'simulated') {
        const sim = config.simulation;
        const simulator = new SimulatedSensor({ ...sim, seed: sim.seed ?? Math.floor(Math.random() * 0x100000000) });
        source.simulator = simulator;
        source.read = (signal) => simulator.read(signal);
    }
}

function pollerOf(s: Sensor, read: ReadFn<ReadingValue>): SensorPoller<ReadingValue> {
    return new SensorPoller<ReadingValue>({
        read,
        intervalMs: s.config.intervalMs,
        timeoutMs: s.config.timeoutMs,
        onPoll: (result) => {
            report(s, result, undefined);
        },
    });
}

/** The port's status while its connection is not open, else the sensor's own. */
function drawn(s: Sensor): NodeStatus {
    if (s.portStatus) return s.portStatus;
    const poller = s.poller;
    const stopped = poller !== undefined && s.config.intervalMs > 0 && !poller.running;
    const view = sensorStatus(s.record.shown, s.config.sensor, { stopped, skipped: poller?.skipped ?? 0 });
    return nodeStatus(s.RED, TYPE, view);
}

/** Sends a reading or reports a failure. */
function report(s: Sensor, result: PollResult<ReadingValue>, input: Input): void {
    if (result.status === 'closed' || result.status === 'skipped') {
        if (result.status === 'skipped') s.status.bump();
        input?.done();
        return;
    }
    // The result carries ts, latencyMs and seq: everything that keeps them copies them.
    const at: At = result;
    if (result.status !== 'ok') {
        fail(s, result.status, errorText(s.RED, TYPE, result.error), at, input);
        return;
    }
    const sensor = s.config.sensor;
    const converted = toReadingValue(sensor.kind, sensor.unit, result.value);
    if (!('value' in converted)) {
        fail(s, 'error', configText(s.RED, TYPE, converted.problem), at, input);
        return;
    }
    s.record.value(converted.value, at);
    s.status.bump();
    s.ha?.state(readingState(sensor.kind, converted.value));
    const reading = buildReading(sensorCopy(sensor), s.config.eventType, converted.value, at);
    if (input) {
        input.send(Object.assign(input.msg, reading));
        input.done();
    } else {
        s.node.send(reading);
    }
}

function fail(s: Sensor, status: FailureStatus, reason: string, at: At, input: Input): void {
    const { RED, config } = s;
    const reported = s.record.failure(status, at, input !== undefined);
    s.status.bump();
    const err = new Error(
        RED._('sensorhub-sensor.errors.read', {
            id: config.sensor.id,
            status: RED._(`sensorhub-sensor.status.${status}`),
            reason,
        }),
    );
    const extra = { sensor: sensorCopy(config.sensor), reading: failedReading(status, at) };
    if (input) {
        Object.assign(input.msg, extra);
        input.done(err);
    } else if (reported) {
        s.node.error(err, { topic: config.eventType, ...extra });
    }
}

/** Runs a command; the reason it cannot, if it cannot. */
function runCommand(s: Sensor, command: string): string | undefined {
    const { RED, poller } = s;
    if (!isOneOf(COMMANDS, command)) return RED._('sensorhub-sensor.errors.command', { command });
    if (command === 'offline' || command === 'online') {
        if (!s.source.simulator) return RED._('sensorhub-sensor.errors.not-simulated', { command });
        s.source.simulator.setOffline(command === 'offline');
        return undefined;
    }
    if (!poller || s.config.intervalMs <= 0) return RED._('sensorhub-sensor.errors.no-interval', { command });
    if (command === 'start') poller.start();
    else poller.stop();
    s.status.bump();
    return undefined;
}

function onInput(s: Sensor, input: NonNullable<Input>): void {
    const { RED } = s;
    const { msg, done } = input;
    const command = commandOf(msg);
    if (command !== undefined) {
        const problem = runCommand(s, command);
        if (problem === undefined) done();
        else done(new Error(problem));
        return;
    }
    if (s.poller) {
        void s.poller.read().then((result) => {
            report(s, result, input);
        });
        return;
    }
    if (s.source.port) {
        // Push mode: the device sends when it likes; there is nothing to ask it.
        done(new Error(RED._('sensorhub-sensor.errors.push-input')));
        return;
    }
    // msg source: the value is the payload (or the property chosen), read the moment it arrives.
    const property = s.property;
    const got = property === 'payload' ? { value: msg.payload } : messageValue(RED, msg, property);
    if ('error' in got) {
        done(new Error(RED._('sensorhub-sensor.errors.property-read', { property, reason: got.error })));
        return;
    }
    const value = got.value as ReadingValue;
    report(s, { status: 'ok', value, seq: ++s.seq, ts: Date.now(), latencyMs: 0 }, input);
}

function close(s: Sensor, done: () => void): void {
    s.poller?.close();
    s.source.stopLines?.();
    s.status.stop();
    if (s.source.port) s.source.port.deregister(s.node, done);
    else done();
}
