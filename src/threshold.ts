import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { LiveStatus, offerMetrics, refuseConfig } from './adapter';
import type { Problem } from './core/shared/texts';
import {
    alarmTopic,
    applyPatch,
    readThresholdInput,
    ThresholdMonitor,
    type AlarmEvent,
    type ThresholdInput,
} from './core/threshold/threshold';
import { parseThresholdConfig } from './core/threshold/config';
import { configText } from './config-text';
import {
    evaluate,
    evaluateFixed,
    isFixed,
    isProblem,
    messageProperty,
    messageValue,
    problemText,
    sourceOf,
    typedField,
    type Evaluated,
    type TypedField,
} from './typed-input';
import { editorSettings } from './editor-settings';
import { announce } from './adapter/ha';
import { thresholdSpec } from './core/ha';

// Saved flows are user data: any field may be missing or of another type.
type ThresholdDef = NodeDef & Record<string, unknown>;
type Send = (m: NodeMessage | NodeMessage[][]) => void;
type Done = (err?: Error) => void;

const TYPE = 'sensorhub-threshold';
type ThresholdSettings = Extract<ReturnType<typeof parseThresholdConfig>, { config: unknown }>['config'];
type Limit = 'high' | 'low';

/** A threshold's configuration, and where its limits come from. */
interface Setup {
    readonly config: ThresholdSettings;
    /** The limits read when the node starts (typed or from an environment variable). */
    readonly fixed: Readonly<Record<string, unknown>>;
    /** The limits read from flow or global context with each reading. */
    readonly fromContext: readonly TypedField[];
    /** The msg property a reading's value comes from. */
    readonly property: string;
}

/** An alarm as a message; `msgid` is the input's when it answers one. */
function toMsg(event: AlarmEvent, msgid?: string): NodeMessage & { repeat?: number } {
    const msg: NodeMessage & { repeat?: number } = {
        _msgid: msgid,
        topic: alarmTopic(event.type),
        payload: {
            state: event.state,
            level: event.level,
            value: event.value,
            threshold: event.threshold,
            sensor: event.sensor,
        },
    };
    if (event.repeat > 0) msg.repeat = event.repeat;
    return msg;
}

const label = (RED: NodeAPI, key: Limit): string => RED._(`sensorhub-threshold.label.${key}`);
const inputError = (RED: NodeAPI, reason: string): Error =>
    new Error(RED._('sensorhub-threshold.errors.input', { reason }));
const withContext = (def: ThresholdDef, values: Record<string, unknown>): Record<string, unknown> => ({
    ...def,
    ...values,
});

/**
 * Reads the configuration, or says why it cannot be used. A limit may come
 * from an environment variable, read now, or from flow or global context,
 * read with each reading so that a change there applies to it; a reading's
 * value may come from another msg property.
 */
function readSetup(RED: NodeAPI, node: Node, def: ThresholdDef): Setup | { reason: string } {
    const fixed: Record<string, unknown> = {};
    const fromContext: TypedField[] = [];
    let problem: string | undefined;
    for (const key of ['high', 'low'] as const) {
        const f = typedField(def, key, ['num', 'env', 'flow', 'global'], 'num');
        const got: Evaluated = isProblem(f) ? f : isFixed(f) ? evaluateFixed(RED, node, f) : { value: undefined };
        if (isProblem(got)) problem ??= problemText(RED, TYPE, label(RED, key), got);
        else if (!isProblem(f) && !isFixed(f)) fromContext.push(f);
        else fixed[key] = got.value;
    }
    if (problem !== undefined) return { reason: problem };
    // Until context is read, a context limit is unknown: a placeholder far away keeps the other one checkable.
    const placeholders = { high: 1e12, low: -1e12 };
    const initial: Record<string, unknown> = { ...fixed };
    for (const f of fromContext) initial[f.key] = placeholders[f.key as Limit];
    const parsed = parseThresholdConfig(withContext(def, initial));
    if ('error' in parsed) return { reason: configText(RED, TYPE, parsed.problem) };
    return { config: parsed.config, fixed, fromContext, property: messageProperty(def) };
}

/** The status: how many sensors are watched and in alarm; none before the first reading. */
function statusOf(RED: NodeAPI, monitor: ThresholdMonitor): NodeStatus {
    const { sensors, raised, refused } = monitor;
    if (sensors === 0 && refused === 0) return {};
    const counted = RED._(`sensorhub-threshold.status.${sensors === 1 ? 'sensor' : 'sensors'}`, { sensors });
    let text =
        raised > 0
            ? RED._('sensorhub-threshold.status.raised', { raised, counted })
            : RED._('sensorhub-threshold.status.ok', { counted });
    if (refused > 0) text = RED._('sensorhub-threshold.status.with-refused', { text, refused });
    return { fill: raised > 0 ? 'red' : refused > 0 ? 'yellow' : 'green', shape: 'dot', text };
}

/**
 * Reads the limits from flow or global context and applies them; `then`
 * gets a sentence when one cannot be used, else the alarms the new limits
 * raised. The values last read are remembered, so unchanged values are
 * neither checked nor applied again.
 */
function contextLimitsReader(
    RED: NodeAPI,
    node: Node,
    def: ThresholdDef,
    setup: Setup,
    monitor: ThresholdMonitor,
): (msg: NodeMessageInFlow, then: (problem?: string, events?: AlarmEvent[]) => void) => void {
    const { fixed, fromContext } = setup;
    let lastRead: string | undefined;
    /** Applies the values read: a sentence when they cannot be used, else the alarms they raised. */
    const apply = (values: Record<string, unknown>): string | AlarmEvent[] => {
        const checked = parseThresholdConfig(withContext(def, { ...fixed, ...values }));
        const next =
            'error' in checked
                ? checked
                : applyPatch(monitor.currentLimits, {
                      ...('high' in values ? { high: checked.config.high ?? null } : {}),
                      ...('low' in values ? { low: checked.config.low ?? null } : {}),
                  });
        if ('error' in next) {
            const reason = configText(RED, TYPE, next.problem);
            return RED._('sensorhub-threshold.errors.value-bad', {
                source: fromContext.map(sourceOf).join(', '),
                reason,
            });
        }
        return monitor.setLimits(next.limits);
    };
    return (msg, then) => {
        const values: Record<string, unknown> = {};
        let pending = fromContext.length;
        let failed: string | undefined;
        for (const f of fromContext) {
            evaluate(RED, node, f, msg, (got) => {
                if (isProblem(got)) failed ??= problemText(RED, TYPE, label(RED, f.key as Limit), got);
                else values[f.key] = got.value;
                if (--pending > 0) return;
                const key = JSON.stringify(values);
                if (failed !== undefined || key === lastRead) {
                    then(failed);
                    return;
                }
                const applied = apply(values);
                if (typeof applied === 'string') {
                    then(applied);
                    return;
                }
                lastRead = key;
                then(undefined, applied);
            });
        }
    };
}

/**
 * Several alarms from one message (new limits over many sensors) leave as a
 * sequence on the one output. Answers to an input keep its _msgid, as split
 * or switch outputs do: tracing links them, and Node-RED makes no new id.
 */
function sendAlarms(events: AlarmEvent[], msg: NodeMessageInFlow, send: Send): void {
    const answer = (e: AlarmEvent): NodeMessage => toMsg(e, msg._msgid);
    if (events.length === 1) send(answer(events[0]));
    else if (events.length > 1) send([events.map(answer)]);
}

/** The reading, limits or command a message brings, its value taken from the configured property. */
function inputOf(RED: NodeAPI, msg: NodeMessageInFlow, property: string): ThresholdInput | Error {
    if (property === 'payload' || msg.command !== undefined) return readThresholdInput(msg);
    const got = messageValue(RED, msg, property);
    if ('error' in got) return inputError(RED, got.error);
    return readThresholdInput({ ...msg, payload: got.value });
}

/** Applies an input to the monitor: the alarms it raised, or why it was refused. */
function apply(RED: NodeAPI, monitor: ThresholdMonitor, input: ThresholdInput): AlarmEvent[] | Error {
    const say = (problem: Problem): string => configText(RED, TYPE, problem);
    switch (input.kind) {
        case 'error':
            return inputError(RED, say(input.problem));
        case 'reset':
            monitor.reset();
            return [];
        case 'set': {
            const next = applyPatch(monitor.currentLimits, input.patch);
            if ('error' in next)
                return new Error(RED._('sensorhub-threshold.errors.limits', { reason: say(next.problem) }));
            return monitor.setLimits(next.limits);
        }
        case 'reading': {
            const result = monitor.reading(input.key, input.value, input.type, input.sensor);
            return result.ok ? result.events : inputError(RED, say(result.problem));
        }
    }
}

/** The node as a Home Assistant problem sensor, on while any alarm is raised: says it when that changes. */
function haProblem(RED: NodeAPI, node: Node, def: ThresholdDef, raised: () => boolean): () => void {
    const name = typeof def.name === 'string' && def.name !== '' ? def.name : RED._('sensorhub-threshold.ha.name');
    const ha = announce(RED, node, def, thresholdSpec(node.id, name));
    if (!ha) return () => undefined;
    let shown: boolean | undefined;
    const show = (): void => {
        const now = raised();
        if (now !== shown) ha.entity.state(now ? 'ON' : 'OFF');
        shown = now;
    };
    show();
    return show;
}

/** Wires a threshold node whose configuration was read: alarms, status, input and close. */
function startThreshold(RED: NodeAPI, node: Node, def: ThresholdDef, setup: Setup): void {
    let closed = false;
    const monitor = new ThresholdMonitor({
        ...setup.config,
        onAlarm: (event) => {
            node.send(toMsg(event));
            status.bump();
            showHa();
        },
    });
    const showHa = haProblem(RED, node, def, () => monitor.raised > 0);
    const status = new LiveStatus(node, () => statusOf(RED, monitor));
    const readLimits = setup.fromContext.length > 0 ? contextLimitsReader(RED, node, def, setup, monitor) : undefined;

    const handle = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
        const input = inputOf(RED, msg, setup.property);
        const events = input instanceof Error ? input : apply(RED, monitor, input);
        if (events instanceof Error) {
            // A refused reading is counted in the status.
            if (!(input instanceof Error) && input.kind === 'reading') status.bump();
            done(events);
            return;
        }
        sendAlarms(events, msg, send);
        status.bump();
        showHa();
        done();
    };

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
        if (!readLimits || msg.command !== undefined) {
            handle(msg, send, done);
            return;
        }
        // Limits from context apply to the reading that read them; a bad one stops it, and nothing is sent.
        readLimits(msg, (problem, events) => {
            if (closed) done();
            else if (problem !== undefined) done(inputError(RED, problem));
            else {
                // Alarms of the new limits go out whatever becomes of the reading that read them.
                sendAlarms(events ?? [], msg, send);
                handle(msg, send, done);
            }
        });
    });

    offerMetrics(node, TYPE, def.name, () => monitor.metrics());

    node.on('close', (_removed: boolean, done: () => void) => {
        closed = true;
        monitor.close();
        status.stop();
        done();
    });
}

export = function (RED: NodeAPI): void {
    function ThresholdNode(this: Node, def: ThresholdDef): void {
        RED.nodes.createNode(this, def);
        const setup = readSetup(RED, this, def);
        if ('reason' in setup) refuseConfig(RED, this, TYPE, setup.reason);
        else startThreshold(RED, this, def, setup);
    }
    RED.nodes.registerType(TYPE, ThresholdNode, editorSettings(TYPE));
};
