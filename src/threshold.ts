import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { Throttle } from './core/throttle';
import { alarmTopic, applyPatch, readThresholdInput, ThresholdMonitor, type AlarmEvent } from './core/threshold';
import { parseThresholdConfig } from './core/threshold-config';
import { configText } from './config-text';

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
        const parsed = parseThresholdConfig(def);
        if ('error' in parsed) {
            const reason = configText(RED, 'sensorhub-threshold', parsed.problem);
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

        this.on('input', (msg: NodeMessageInFlow, send, done) => {
            const input = readThresholdInput(msg);
            let events: AlarmEvent[] = [];
            switch (input.kind) {
                case 'error':
                    done(new Error(RED._('sensorhub-threshold.errors.input', { reason: input.error })));
                    return;
                case 'reset':
                    monitor.reset();
                    break;
                case 'set': {
                    const next = applyPatch(monitor.currentLimits, input.patch);
                    if ('error' in next) {
                        done(new Error(RED._('sensorhub-threshold.errors.limits', { reason: next.error })));
                        return;
                    }
                    events = monitor.setLimits(next.limits);
                    break;
                }
                case 'reading': {
                    const result = monitor.reading(input.key, input.value, input.type, input.sensor);
                    if (!result.ok) {
                        throttle.bump();
                        done(new Error(RED._('sensorhub-threshold.errors.input', { reason: result.error })));
                        return;
                    }
                    events = result.events;
                    break;
                }
            }
            // Several alarms from one message (new limits over many sensors) leave as a sequence on the one output.
            // Answers to an input keep its _msgid, as split or switch outputs do: tracing links them, and Node-RED
            // makes no new id.
            const answer = (e: AlarmEvent): NodeMessage => toMsg(e, msg._msgid);
            if (events.length === 1) send(answer(events[0]));
            else if (events.length > 1) send([events.map(answer)]);
            throttle.bump();
            done();
        });

        this.on('close', (_removed: boolean, done: () => void) => {
            closed = true;
            monitor.close();
            throttle.stop();
            done();
        });
    }
    RED.nodes.registerType('sensorhub-threshold', ThresholdNode);
};
