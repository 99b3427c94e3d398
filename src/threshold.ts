import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { metricsRegistry } from './core/shared/metrics-registry';
import { Throttle } from './core/shared/throttle';
import type { Problem } from './core/shared/texts';
import {
    alarmTopic,
    applyPatch,
    readThresholdInput,
    ThresholdMonitor,
    type AlarmEvent,
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

// Saved flows are user data: any field may be missing or of another type.
type ThresholdDef = NodeDef & Record<string, unknown>;

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

export = function (RED: NodeAPI): void {
    function ThresholdNode(this: Node, def: ThresholdDef): void {
        RED.nodes.createNode(this, def);
        const say = (problem: Problem): string => configText(RED, 'sensorhub-threshold', problem);
        // A limit may come from an environment variable, read now, or from flow or global context, read with each
        // reading so that a change there applies to it; a reading's value may come from another msg property.
        const labels = { high: RED._('sensorhub-threshold.label.high'), low: RED._('sensorhub-threshold.label.low') };
        const fields = (['high', 'low'] as const).map((key) =>
            typedField(def, key, ['num', 'env', 'flow', 'global'], 'num'),
        );
        const fixed: Record<string, unknown> = {};
        const fromContext: TypedField[] = [];
        let problem: string | undefined;
        for (const [i, f] of fields.entries()) {
            const label = i === 0 ? labels.high : labels.low;
            const got: Evaluated = isProblem(f) ? f : isFixed(f) ? evaluateFixed(RED, this, f) : { value: undefined };
            if (isProblem(got)) problem ??= problemText(RED, 'sensorhub-threshold', label, got);
            else if (!isProblem(f) && !isFixed(f)) fromContext.push(f);
            else fixed[i === 0 ? 'high' : 'low'] = got.value;
        }
        const property = messageProperty(def);
        // Until context is read, a context limit is unknown: a placeholder far away keeps the other one checkable.
        const placeholders = { high: 1e12, low: -1e12 };
        const withContext = (values: Record<string, unknown>): Record<string, unknown> => ({ ...def, ...values });
        const initial: Record<string, unknown> = { ...fixed };
        for (const f of fromContext) initial[f.key] = placeholders[f.key as 'high' | 'low'];
        const parsed = problem !== undefined ? { error: problem } : parseThresholdConfig(withContext(initial));
        if ('error' in parsed) {
            // A typed value that could not be read has its text already; a parser's problem is translated here.
            const reason = 'problem' in parsed ? configText(RED, 'sensorhub-threshold', parsed.problem) : parsed.error;
            this.status({ fill: 'red', shape: 'ring', text: RED._('sensorhub-threshold.status.bad-config') });
            this.error(RED._('sensorhub-threshold.errors.config', { reason }));
            this.on('input', (_msg: NodeMessageInFlow, _send, done) => {
                done(new Error(RED._('sensorhub-threshold.errors.config', { reason })));
            });
            return;
        }

        let closed = false;
        const redraw = (): void => {
            if (closed) return;
            const { sensors, raised, refused } = monitor;
            if (sensors === 0 && refused === 0) {
                this.status({});
                return;
            }
            const counted = RED._(`sensorhub-threshold.status.${sensors === 1 ? 'sensor' : 'sensors'}`, { sensors });
            let text =
                raised > 0
                    ? RED._('sensorhub-threshold.status.raised', { raised, counted })
                    : RED._('sensorhub-threshold.status.ok', { counted });
            if (refused > 0) text = RED._('sensorhub-threshold.status.with-refused', { text, refused });
            this.status({ fill: raised > 0 ? 'red' : refused > 0 ? 'yellow' : 'green', shape: 'dot', text });
        };
        const throttle = new Throttle(redraw);

        const monitor = new ThresholdMonitor({
            ...parsed.config,
            onAlarm: (event) => {
                this.send(toMsg(event));
                throttle.bump();
            },
        });

        /** The context limits last read, so unchanged values are neither checked nor applied again. */
        let lastRead: string | undefined;
        const readLimits = (msg: NodeMessageInFlow, then: (problem?: string, events?: AlarmEvent[]) => void): void => {
            const values: Record<string, unknown> = {};
            let pending = fromContext.length;
            let failed: string | undefined;
            for (const f of fromContext) {
                evaluate(RED, this, f, msg, (got) => {
                    const label = f.key === 'high' ? labels.high : labels.low;
                    if (isProblem(got)) failed ??= problemText(RED, 'sensorhub-threshold', label, got);
                    else values[f.key] = got.value;
                    if (--pending > 0) return;
                    if (failed !== undefined) {
                        then(failed);
                        return;
                    }
                    const key = JSON.stringify(values);
                    if (key === lastRead) {
                        then();
                        return;
                    }
                    const sources = fromContext.map(sourceOf).join(', ');
                    const checked = parseThresholdConfig(withContext({ ...fixed, ...values }));
                    const next =
                        'error' in checked
                            ? checked
                            : applyPatch(monitor.currentLimits, {
                                  ...('high' in values ? { high: checked.config.high ?? null } : {}),
                                  ...('low' in values ? { low: checked.config.low ?? null } : {}),
                              });
                    if ('error' in next) {
                        const reason = configText(RED, 'sensorhub-threshold', next.problem);
                        then(RED._('sensorhub-threshold.errors.value-bad', { source: sources, reason }));
                        return;
                    }
                    lastRead = key;
                    then(undefined, monitor.setLimits(next.limits));
                });
            }
        };

        this.on('input', (msg: NodeMessageInFlow, send, done) => {
            if (fromContext.length > 0 && msg.command === undefined) {
                // Limits from context apply to the reading that read them; a bad one stops it, and nothing is sent.
                readLimits(msg, (problem, events) => {
                    if (closed) {
                        done();
                        return;
                    }
                    if (problem !== undefined) {
                        done(new Error(RED._('sensorhub-threshold.errors.input', { reason: problem })));
                        return;
                    }
                    // Alarms of the new limits go out whatever becomes of the reading that read them.
                    sendAlarms(events ?? [], msg, send);
                    handle(msg, send, done);
                });
                return;
            }
            handle(msg, send, done);
        });

        type Send = (m: NodeMessage | NodeMessage[][]) => void;
        // Several alarms from one message (new limits over many sensors) leave as a sequence on the one output.
        // Answers to an input keep its _msgid, as split or switch outputs do: tracing links them, and Node-RED
        // makes no new id.
        const sendAlarms = (events: AlarmEvent[], msg: NodeMessageInFlow, send: Send): void => {
            const answer = (e: AlarmEvent): NodeMessage => toMsg(e, msg._msgid);
            if (events.length === 1) send(answer(events[0]));
            else if (events.length > 1) send([events.map(answer)]);
        };

        const handle = (msg: NodeMessageInFlow, send: Send, done: (err?: Error) => void): void => {
            let input: ReturnType<typeof readThresholdInput>;
            if (property !== 'payload' && msg.command === undefined) {
                const got = messageValue(RED, msg, property);
                if ('error' in got) {
                    done(new Error(RED._('sensorhub-threshold.errors.input', { reason: got.error })));
                    return;
                }
                input = readThresholdInput({ ...msg, payload: got.value });
            } else input = readThresholdInput(msg);
            let events: AlarmEvent[] = [];
            switch (input.kind) {
                case 'error':
                    done(new Error(RED._('sensorhub-threshold.errors.input', { reason: say(input.problem) })));
                    return;
                case 'reset':
                    monitor.reset();
                    break;
                case 'set': {
                    const next = applyPatch(monitor.currentLimits, input.patch);
                    if ('error' in next) {
                        done(new Error(RED._('sensorhub-threshold.errors.limits', { reason: say(next.problem) })));
                        return;
                    }
                    events = monitor.setLimits(next.limits);
                    break;
                }
                case 'reading': {
                    const result = monitor.reading(input.key, input.value, input.type, input.sensor);
                    if (!result.ok) {
                        throttle.bump();
                        done(new Error(RED._('sensorhub-threshold.errors.input', { reason: say(result.problem) })));
                        return;
                    }
                    events = result.events;
                    break;
                }
            }
            sendAlarms(events, msg, send);
            throttle.bump();
            done();
        };

        const withdrawMetrics = metricsRegistry.register(
            { id: this.id, type: 'sensorhub-threshold', name: typeof def.name === 'string' ? def.name : '' },
            () => monitor.metrics(),
        );

        this.on('close', (_removed: boolean, done: () => void) => {
            withdrawMetrics();
            closed = true;
            monitor.close();
            throttle.stop();
            done();
        });
    }
    RED.nodes.registerType('sensorhub-threshold', ThresholdNode, editorSettings('sensorhub-threshold'));
};
