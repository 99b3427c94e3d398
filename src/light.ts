import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { metricsRegistry } from './core/shared/metrics-registry';
import { Throttle } from './core/shared/throttle';
import { LightController, readLightInput, type LightOutput, type LightView, type SavedLight } from './core/light/light';
import { parseLightConfig, type LightConfig } from './core/light/config';
import { configText } from './config-text';
import {
    evaluate,
    evaluateFixed,
    isFixed,
    isProblem,
    problemText,
    sourceOf,
    typedField,
    type TypedField,
} from './typed-input';
import { editorSettings } from './editor-settings';

// Saved flows are user data: any field may be missing or of another type.
type LightDef = NodeDef & Record<string, unknown>;

/** The node context key holding the saved state. */
const STATE_KEY = 'light';

const hhmm = (minutes: number): string =>
    `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

export = function (RED: NodeAPI): void {
    /**
     * The last state of every light node, by node id. Node-RED deletes a node's
     * context when the node closes unless a context store is configured, so
     * without one the context alone would not survive a redeploy; this copy
     * does, and is dropped when the node is removed from the flow.
     */
    const kept = new Map<string, SavedLight>();

    function LightNode(this: Node, def: LightDef): void {
        RED.nodes.createNode(this, def);
        const waitLabel = RED._('sensorhub-light.label.wait');
        // The wait may come from an environment variable, read now, or from flow or global context, read at each
        // motion so that a change there applies from the next motion on; until then the default stands.
        const waitField = typedField(def, 'wait', ['num', 'env', 'flow', 'global'], 'num');
        const contextWait = !isProblem(waitField) && !isFixed(waitField) ? waitField : undefined;
        const wait = isProblem(waitField)
            ? waitField
            : contextWait
              ? { value: undefined }
              : evaluateFixed(RED, this, waitField);
        const parsed = isProblem(wait)
            ? { error: problemText(RED, 'sensorhub-light', waitLabel, wait) }
            : parseLightConfig({ ...def, wait: wait.value });
        if ('error' in parsed) {
            // A typed value that could not be read has its text already; a parser's problem is translated here.
            const reason = 'problem' in parsed ? configText(RED, 'sensorhub-light', parsed.problem) : parsed.error;
            this.status({ fill: 'red', shape: 'ring', text: RED._('sensorhub-light.status.bad-config') });
            this.error(RED._('sensorhub-light.errors.config', { reason }));
            this.on('input', (_msg: NodeMessageInFlow, _send, done) => {
                done(new Error(RED._('sensorhub-light.errors.config', { reason })));
            });
            return;
        }
        const config: LightConfig = parsed.config;
        const context = this.context();

        /** A command as a message; `msgid` is the input's when it answers one. */
        const toMsg = (out: LightOutput, msgid?: string): NodeMessage & { reason: string } => ({
            _msgid: msgid,
            topic: config.topic,
            payload: { state: out.state, brightness: out.brightness },
            reason: out.reason,
        });

        let ticker: NodeJS.Timeout | undefined;
        /** A change was made since the start: a late answer from an asynchronous context store must not undo it. */
        let changed = false;
        let saveFailed = false;
        let closed = false;

        // The copy in memory is made at once (a redeploy may come any time); the context store gets the latest
        // state once per turn of the event loop, however many changes a burst of messages made in it.
        let unsaved: SavedLight | undefined;
        let saveTimer: NodeJS.Immediate | undefined;
        const writeContext = (): void => {
            if (saveTimer !== undefined) clearImmediate(saveTimer);
            saveTimer = undefined;
            const saved = unsaved;
            unsaved = undefined;
            if (saved === undefined) return;
            context.set(STATE_KEY, saved, (err?: Error | null) => {
                // Said once, not per event: a store that cannot save now will not on the next motion either.
                if (err && !saveFailed) this.warn(RED._('sensorhub-light.errors.save', { reason: err.message }));
                saveFailed = Boolean(err);
            });
        };
        const save = (): void => {
            const saved = light.save();
            kept.set(this.id, saved);
            unsaved = saved;
            saveTimer ??= setImmediate(writeContext);
        };

        // A restored deadline that passed while Node-RED was down falls due as the flow starts: its
        // command waits for the whole flow to exist, or the nodes after this one would miss it.
        let started = false;
        const held: LightOutput[] = [];
        const onStarted = (): void => {
            started = true;
            for (const out of held.splice(0)) this.send(toMsg(out));
        };
        RED.events.once('flows:started', onStarted);

        const light = new LightController({
            ...config.settings,
            onOutput: (out) => {
                if (started) this.send(toMsg(out));
                else held.push(out);
            },
            onChange: () => {
                changed = true;
                save();
                throttle.bump();
            },
        });

        const statusOf = (v: LightView, now: number): NodeStatus => {
            if (v.state === 'off') {
                const window = config.settings.window;
                let text = RED._('sensorhub-light.status.off');
                if (v.blocked === 'dark') text = RED._('sensorhub-light.status.off-bright');
                else if (v.blocked === 'time' && window)
                    text = RED._('sensorhub-light.status.off-window', { from: hhmm(window.from), to: hhmm(window.to) });
                return { fill: 'grey', shape: 'dot', text };
            }
            const on =
                v.brightness === 100
                    ? RED._('sensorhub-light.status.on')
                    : RED._('sensorhub-light.status.on-at', { brightness: Math.round(v.brightness) });
            const seconds = (at: number): number => Math.max(0, Math.ceil((at - now) / 1000));
            let text: string;
            if (v.mode === 'manual') {
                text =
                    v.overrideUntil === undefined
                        ? RED._('sensorhub-light.status.manual', { on })
                        : RED._('sensorhub-light.status.manual-until', { on, seconds: seconds(v.overrideUntil) });
            } else if (v.offAt !== undefined) {
                text = RED._('sensorhub-light.status.off-in', { on, seconds: seconds(v.offAt) });
            } else {
                text = on;
            }
            return { fill: 'green', shape: 'dot', text };
        };

        const redraw = (): void => {
            if (closed) return;
            const v = light.view;
            this.status(statusOf(v, Date.now()));
            // A countdown is redrawn each second while it runs, through the throttle, and not at all otherwise.
            const counting = v.offAt !== undefined || v.overrideUntil !== undefined;
            if (counting && ticker === undefined) {
                ticker = setInterval(() => {
                    throttle.bump();
                }, 1000);
            } else if (!counting && ticker !== undefined) {
                clearInterval(ticker);
                ticker = undefined;
            }
        };
        const throttle = new Throttle(redraw);

        const redeployed = kept.get(this.id);
        if (redeployed) {
            light.restore(redeployed);
        } else {
            try {
                light.restore(context.get(STATE_KEY));
            } catch {
                // A context store without a cache answers only asynchronously.
                context.get(STATE_KEY, (err: Error | undefined, saved: unknown) => {
                    if (closed) return;
                    if (!err && !changed) light.restore(saved);
                    throttle.bump();
                });
            }
        }

        /** The wait last read from context, and what the parser made of it, so a value is checked once. */
        let lastWait: { raw: unknown; ms?: number; error?: string } = { raw: undefined, error: '' };
        const readWait = (from: TypedField, msg: NodeMessageInFlow, then: (problem?: string) => void): void => {
            evaluate(RED, this, from, msg, (got) => {
                if (isProblem(got)) {
                    then(problemText(RED, 'sensorhub-light', waitLabel, got));
                    return;
                }
                if (lastWait.raw !== got.value || lastWait.error === '') {
                    const checked = parseLightConfig({ ...def, wait: got.value });
                    lastWait =
                        'error' in checked
                            ? { raw: got.value, error: configText(RED, 'sensorhub-light', checked.problem) }
                            : { raw: got.value, ms: checked.config.settings.waitMs };
                }
                if (lastWait.ms === undefined) {
                    then(
                        RED._('sensorhub-light.errors.value-bad', {
                            source: sourceOf(from),
                            reason: lastWait.error ?? '',
                        }),
                    );
                    return;
                }
                light.setWait(lastWait.ms);
                then();
            });
        };

        this.on('input', (msg: NodeMessageInFlow, send, done) => {
            const input = readLightInput(msg, config.patterns);
            if (input.kind === 'motion' && input.motion && contextWait) {
                // Nothing is sent when the wait cannot be read: a light that never goes off is worse than none.
                readWait(contextWait, msg, (problem) => {
                    if (closed) {
                        done();
                        return;
                    }
                    if (problem !== undefined) {
                        done(new Error(RED._('sensorhub-light.errors.input', { reason: problem })));
                        return;
                    }
                    const out = light.motion();
                    if (out) send(toMsg(out, msg._msgid));
                    done();
                });
                return;
            }
            let out: LightOutput | undefined;
            switch (input.kind) {
                case 'error':
                    done(
                        new Error(
                            RED._('sensorhub-light.errors.input', {
                                reason: configText(RED, 'sensorhub-light', input.problem),
                            }),
                        ),
                    );
                    return;
                case 'ignore':
                    break;
                case 'motion':
                    // No motion is not an event for the light: only motion restarts the wait.
                    if (input.motion) out = light.motion();
                    break;
                case 'lux':
                    light.illuminance(input.lux);
                    break;
                case 'command':
                    out = light.command(input.command);
                    break;
            }
            // The answer to an input keeps its _msgid, as split or switch outputs do: tracing links them, and
            // Node-RED makes no new id.
            if (out) send(toMsg(out, msg._msgid));
            done();
        });

        const withdrawMetrics = metricsRegistry.register(
            { id: this.id, type: 'sensorhub-light', name: typeof def.name === 'string' ? def.name : '' },
            () => light.metrics(),
        );

        this.on('close', (removed: boolean, done: () => void) => {
            withdrawMetrics();
            closed = true;
            writeContext();
            if (removed) kept.delete(this.id);
            RED.events.removeListener('flows:started', onStarted);
            light.close();
            throttle.stop();
            if (ticker !== undefined) clearInterval(ticker);
            ticker = undefined;
            done();
        });

        redraw();
    }
    RED.nodes.registerType('sensorhub-light', LightNode, editorSettings('sensorhub-light'));
};
