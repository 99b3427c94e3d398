import { isOneOf } from './core/shared/texts';
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { commandOf } from './core/shared/commands';
import type { ReadingValue } from './core/shared/reading';
import { parseFleetConfig, parseMemberList, type FleetConfig, type MemberSpec } from './core/fleet/config';
import { FleetCollector, TimerSet, type CycleOutcome, type FleetResult } from './core/fleet/fleet';
import { fleetMember, type MemberSources } from './core/fleet/members';
import { ReadWheel } from './core/fleet/wheel';
import { BatchItems, cycleMessages, resultMessage, sentAlone, type FailurePayload } from './core/fleet/output';
import { fleetStatus, groupDigits } from './core/fleet/status';
import { ProcessSampler } from './core/shared/process-sample';
import { SensorPoller, type PollResult } from './core/sensor/poller';
import type { SerialPortApi, SerialStatus } from './core/serial/user';
import { configText, errorText } from './config-text';
import { nodeStatus } from './adapter/status-text';
import { LiveStatus, offerMetrics, refuseConfig } from './adapter';
import { FleetShareLink } from './adapter/fleet-share';
import { editorSettings } from './editor-settings';

type FleetDef = NodeDef & Record<string, unknown>;

const TYPE = 'sensorhub-fleet';
const COMMANDS = ['start', 'stop', 'read', 'configure'] as const;

interface Input {
    msg: NodeMessageInFlow;
    send: (msg: (NodeMessage | null)[]) => void;
    done: (err?: Error) => void;
}

/** The running fleet's parts that the handlers below share. */
interface Fleet {
    readonly RED: NodeAPI;
    readonly node: Node;
    readonly config: FleetConfig;
    readonly sources: MemberSources;
    readonly collector: FleetCollector<ReadingValue>;
    readonly poller: SensorPoller<CycleOutcome<ReadingValue>>;
    readonly status: LiveStatus;
    /** A failure's reason in the runtime's language. */
    readonly say: (err: Error) => string;
    /** Batch output: the next batch's messages so far. */
    readonly batch: BatchItems | undefined;
    readonly msgId: () => string;
    last?: CycleOutcome<ReadingValue>['stats'];
    /** While the serial connection is not open, its status is shown rather than the last cycle's. */
    portStatus?: SerialStatus;
    /** The group this fleet is shared with, when it is. */
    readonly link: FleetShareLink | undefined;
}

export = function (RED: NodeAPI): void {
    function FleetNode(this: Node, def: FleetDef): void {
        RED.nodes.createNode(this, def);
        const parsed = parseFleetConfig(def);
        if ('error' in parsed) {
            refuseConfig(RED, this, TYPE, configText(RED, TYPE, parsed.problem));
            return;
        }
        const config = parsed.config;
        const port = config.serial.port === '' ? undefined : serialPort(RED, config);
        if (config.serial.port !== '' && !port) {
            refuseConfig(RED, this, TYPE, RED._('sensorhub-fleet.errors.no-port'));
            return;
        }
        let f: Fleet | undefined = undefined;
        const link = config.partition
            ? FleetShareLink.open(RED, this, config.partition, config.intervalMs, () => f?.status.bump())
            : undefined;
        if (link && 'reason' in link) {
            refuseConfig(RED, this, TYPE, link.reason);
            return;
        }
        const timers = new TimerSet();
        const wheel = new ReadWheel();
        const sampler = new ProcessSampler();
        f = fleetOf(RED, this, config, { port, sleep: timers.sleep, wheel, sampler, link });
        const fleet = f;
        offerMetrics(this, TYPE, def.name, () => fleet.last);
        fleet.collector.setMembers(config.members.map((m, i) => fleetMember(m, i, fleet.sources)));
        this.on('input', (msg: NodeMessageInFlow, send, done) => {
            onInput(fleet, { msg, send, done });
        });
        this.on('close', (_removed: boolean, done: () => void) => {
            fleet.poller.close();
            fleet.collector.close();
            link?.close();
            timers.clear();
            wheel.clear();
            sampler.close();
            fleet.status.stop();
            if (port) port.deregister(this, done);
            else done();
        });
        port?.register(this, (state, status) => {
            fleet.portStatus = state === 'open' ? undefined : status;
            fleet.status.bump();
        });
        if (config.intervalMs > 0 && config.autoStart) fleet.poller.start();
        fleet.status.now();
    }
    RED.nodes.registerType(TYPE, FleetNode, editorSettings(TYPE));
};

/** The serial port config node the fleet's serial sensors ask through; undefined when it is not deployed. */
function serialPort(RED: NodeAPI, config: FleetConfig): SerialPortApi | undefined {
    return (RED.nodes.getNode(config.serial.port) as (Node & SerialPortApi) | null) ?? undefined;
}

/** What a fleet reads through and with. */
interface FleetParts {
    readonly port: SerialPortApi | undefined;
    readonly sleep: MemberSources['sleep'];
    readonly wheel: ReadWheel;
    readonly sampler: ProcessSampler;
    readonly link: FleetShareLink | undefined;
}

/** The fleet's collector, cycle poller and status, wired to the node. */
function fleetOf(RED: NodeAPI, node: Node, config: FleetConfig, parts: FleetParts): Fleet {
    const { port, sleep, wheel, sampler, link } = parts;
    // The reads a cycle times out share one error: it is put into words once, not once per sensor.
    let said: { err: Error; text: string } | undefined;
    const say = (err: Error): string => {
        if (said?.err !== err) said = { err, text: errorText(RED, TYPE, err) };
        return said.text;
    };
    const sources: MemberSources = {
        port,
        serial: config.serial,
        timeoutMs: config.timeoutMs,
        simulation: config.simulation,
        seedBase: config.simulation.seed ?? Math.floor(Math.random() * 0x100000000),
        sleep,
        wheel,
    };
    const collector = new FleetCollector<ReadingValue>({
        timeoutMs: config.timeoutMs,
        concurrency: config.concurrency,
        breaker: config.breaker,
        // Batch output makes its messages as results arrive (BatchItems), so the collector keeps none.
        collect: false,
        sample: sampler.sample,
        share: link?.share,
        onResult: (r) => {
            sendResult(f, r);
        },
        onQuarantine: (member, error, retryInMs) => {
            // One log line when a sensor goes bad, not one per failed read of a thousand-sensor fleet.
            const seconds = Math.round(retryInMs / 100) / 10;
            node.warn(RED._('sensorhub-fleet.errors.quarantined', { id: member.info.id, reason: say(error), seconds }));
        },
    });
    const poller = new SensorPoller<CycleOutcome<ReadingValue>>({
        read: (signal) => collector.runCycle(signal),
        intervalMs: config.intervalMs,
        // Instances sharing a fleet run their cycles on the same boundaries of the clock.
        align: link !== undefined,
        timeoutMs: 0,
        onPoll: (result) => {
            finishCycle(f, result, undefined);
        },
    });
    const status = new LiveStatus(node, () => drawn(f));
    const batch = config.output === 'batch' ? new BatchItems(say) : undefined;
    const f: Fleet = { RED, node, config, sources, collector, poller, status, say, batch, msgId: msgIds(), link };
    return f;
}

/** A result that goes out on its own: a reading on output 1, a failure on output 2 (and to catch nodes if asked). */
function sendResult(f: Fleet, r: FleetResult<ReadingValue>): void {
    f.batch?.add(r);
    if (!sentAlone(r, f.config.output)) return;
    const { ok, msg } = resultMessage(r, f.say);
    msg._msgid = f.msgId();
    if (ok) {
        f.node.send([msg, null, null]);
        return;
    }
    f.node.send([null, msg, null]);
    if (f.config.catchFailures) {
        const { status, message } = msg.payload as FailurePayload;
        const text = f.RED._('sensorhub-fleet.errors.read', { id: r.member.info.id, status, reason: message });
        f.node.error(new Error(text), { ...msg });
    }
}

/**
 * Message ids shaped like Node-RED's (16 hex digits), a random prefix and a count: left to Node-RED, each of
 * 10,000 readings a second would cost eight random draws and nine strings.
 */
function msgIds(): () => string {
    const prefix = Math.floor(Math.random() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    let n = 0;
    return () => {
        n = (n + 1) >>> 0;
        return prefix + n.toString(16).padStart(8, '0');
    };
}

/** The port's status while its connection is not open, else the fleet's own. */
function drawn(f: Fleet): NodeStatus {
    if (f.portStatus) return f.portStatus;
    const { poller, collector, config } = f;
    const stopped = config.intervalMs > 0 && !poller.running && !poller.busy;
    const sharing = f.link && { joining: f.link.joining, instances: f.link.instances };
    const group = (n: number): string => groupDigits(n, f.RED._(`${TYPE}.status.digit-group`));
    const view = fleetStatus({ stopped, last: f.last, size: collector.size, skipped: poller.skipped, sharing, group });
    return nodeStatus(f.RED, TYPE, view);
}

function finishCycle(f: Fleet, result: PollResult<CycleOutcome<ReadingValue>>, input: Input | undefined): void {
    if (result.status !== 'ok') {
        if (result.status === 'skipped') {
            f.collector.skippedCycles = f.poller.skipped;
            f.status.bump();
        }
        input?.done();
        return;
    }
    f.last = result.value.stats;
    f.status.bump();
    const { batch, stats } = cycleMessages(result.value, f.config.output, f.say, f.batch?.take());
    const out = batch && input ? Object.assign(input.msg, batch) : batch;
    (input?.send ?? f.node.send.bind(f.node))([out ?? null, null, stats]);
    input?.done();
}

/** Runs a command; the reason it cannot, if it cannot. */
function runCommand(f: Fleet, command: string): string | undefined {
    const { RED, config, poller } = f;
    if (!isOneOf(COMMANDS, command)) return RED._('sensorhub-fleet.errors.command', { command });
    if (command === 'read' || command === 'configure') return undefined;
    if (config.intervalMs <= 0) return RED._('sensorhub-fleet.errors.no-interval', { command });
    if (command === 'start') poller.start();
    else poller.stop();
    f.status.bump();
    return undefined;
}

function onInput(f: Fleet, input: Input): void {
    const { msg, done } = input;
    const command = commandOf(msg);
    if (command !== undefined) {
        const problem = runCommand(f, command);
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
        const problem = replaceMembers(f, msg.payload);
        if (problem !== undefined) {
            done(new Error(problem));
            return;
        }
    }
    void f.poller.read().then((result) => {
        finishCycle(f, result, input);
    });
}

/** Replaces the sensors with a list given at run time; the reason it cannot, if it cannot. */
function replaceMembers(f: Fleet, payload: unknown): string | undefined {
    const { RED } = f;
    const list = parseMemberList(payload, f.sources.port !== undefined);
    if ('error' in list) return RED._('sensorhub-fleet.errors.list', { reason: configText(RED, TYPE, list.problem) });
    f.collector.setMembers(list.config.map((m: MemberSpec, i) => fleetMember(m, i, f.sources)));
    return undefined;
}
