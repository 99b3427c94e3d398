import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import {
    LightController,
    readLightInput,
    type LightInput,
    type LightOutput,
    type LightView,
    type SavedLight,
} from './core/light/light';
import { parseLightConfig, type LightConfig } from './core/light/config';
import { KeptStates, LiveStatus, offerMetrics, refuseConfig, whenStarted } from './adapter';
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
import { announce, refusalText, type Announced } from './adapter/ha';
import { lightSpec, lightState, parseLightCommand } from './core/ha';

// Saved flows are user data: any field may be missing or of another type.
type LightDef = NodeDef & Record<string, unknown>;
type Done = (err?: Error) => void;

const TYPE = 'sensorhub-light';
/** The node context key holding the saved state. */
const STATE_KEY = 'light';

/** A light's configuration, with the wait from flow or global context when it comes from there. */
interface Setup {
    readonly config: LightConfig;
    readonly contextWait?: TypedField;
}

const hhmm = (minutes: number): string =>
    `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** A command as a message; `msgid` is the input's when it answers one. */
const toMsg = (config: LightConfig, out: LightOutput, msgid?: string): NodeMessage & { reason: string } => ({
    _msgid: msgid,
    topic: config.topic,
    payload: { state: out.state, brightness: out.brightness },
    reason: out.reason,
});

/** A countdown in the status needs redrawing while nothing else happens. */
const counting = (v: LightView): boolean => v.offAt !== undefined || v.overrideUntil !== undefined;

/**
 * Reads the configuration, or says why it cannot be used. The wait may
 * come from an environment variable, read now, or from flow or global
 * context, read at each motion so that a change there applies from the
 * next motion on; until then the default stands.
 */
function readSetup(RED: NodeAPI, node: Node, def: LightDef): Setup | { reason: string } {
    const waitField = typedField(def, 'wait', ['num', 'env', 'flow', 'global'], 'num');
    const contextWait = !isProblem(waitField) && !isFixed(waitField) ? waitField : undefined;
    const wait = isProblem(waitField)
        ? waitField
        : contextWait
          ? { value: undefined }
          : evaluateFixed(RED, node, waitField);
    if (isProblem(wait)) return { reason: problemText(RED, TYPE, RED._('sensorhub-light.label.wait'), wait) };
    const parsed = parseLightConfig({ ...def, wait: wait.value });
    if ('error' in parsed) return { reason: configText(RED, TYPE, parsed.problem) };
    return { config: parsed.config, contextWait };
}

function statusOf(RED: NodeAPI, config: LightConfig, v: LightView, now: number): NodeStatus {
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
    } else if (v.occupied) {
        text = RED._('sensorhub-light.status.occupied', { on });
    } else if (v.offAt !== undefined) {
        text = RED._('sensorhub-light.status.off-in', { on, seconds: seconds(v.offAt) });
    } else {
        text = on;
    }
    return { fill: 'green', shape: 'dot', text };
}

const inputError = (RED: NodeAPI, reason: string): Error =>
    new Error(RED._('sensorhub-light.errors.input', { reason }));

/**
 * Reads the wait from flow or global context and hands it to the light;
 * `then` gets a sentence when it cannot be used. What the parser made of
 * the last value read is remembered, so a value is checked once.
 */
function contextWaitReader(
    RED: NodeAPI,
    node: Node,
    def: LightDef,
    from: TypedField,
    light: LightController,
): (msg: NodeMessageInFlow, then: (problem?: string) => void) => void {
    let last: { raw: unknown; ms?: number; error?: string } = { raw: undefined, error: '' };
    return (msg, then) => {
        evaluate(RED, node, from, msg, (got) => {
            if (isProblem(got)) {
                then(problemText(RED, TYPE, RED._('sensorhub-light.label.wait'), got));
                return;
            }
            if (last.raw !== got.value || last.error === '') {
                const checked = parseLightConfig({ ...def, wait: got.value });
                last =
                    'error' in checked
                        ? { raw: got.value, error: configText(RED, TYPE, checked.problem) }
                        : { raw: got.value, ms: checked.config.settings.waitMs };
            }
            if (last.ms === undefined) {
                then(RED._('sensorhub-light.errors.value-bad', { source: sourceOf(from), reason: last.error ?? '' }));
                return;
            }
            light.setWait(last.ms);
            then();
        });
    };
}

/** Motion, or an occupancy sensor's change to clear (in motion mode, no motion is not an event: a no-op). */
const sense = (light: LightController, motion: boolean): LightOutput | undefined =>
    motion ? light.motion() : light.vacant();

/** Applies an input to the light: the command it answers with, or why the input was refused. */
function apply(RED: NodeAPI, light: LightController, input: LightInput): LightOutput | Error | undefined {
    switch (input.kind) {
        case 'error':
            return inputError(RED, configText(RED, TYPE, input.problem));
        case 'ignore':
            return undefined;
        case 'motion':
            return sense(light, input.motion);
        case 'lux':
            light.illuminance(input.lux);
            return undefined;
        case 'command':
            return light.command(input.command);
    }
}

/** Wires a light node whose configuration was read: output, status, kept state, input and close. */
function startLight(RED: NodeAPI, node: Node, def: LightDef, setup: Setup, kept: KeptStates<SavedLight>): void {
    const { config, contextWait } = setup;
    const state = kept.of(node, (err) => {
        node.warn(RED._('sensorhub-light.errors.save', { reason: err.message }));
    });
    /** A change was made since the start: a late answer from an asynchronous context store must not undo it. */
    let changed = false;
    let closed = false;
    const output = whenStarted<LightOutput>(RED, (out) => {
        node.send(toMsg(config, out));
    });
    const light = new LightController({
        ...config.settings,
        onOutput: output.emit,
        onChange: () => {
            changed = true;
            state.save(light.save());
            status.bump();
            showHa();
        },
    });
    const ha = announceLight(RED, node, def, light, output.emit);
    const showHa = (): void => ha?.entity.state(lightState(light.view.state, light.view.brightness));
    const status = new LiveStatus(
        node,
        () => statusOf(RED, config, light.view, Date.now()),
        () => counting(light.view),
    );

    let starting = true;
    state.read((saved, err) => {
        if (closed) return;
        if (!err && !changed) light.restore(saved);
        // Once the state is known, unless a change has already said it; held until the flows have started.
        if (config.sendStart && !changed) output.emit(light.startOutput());
        showHa();
        // A context store without a cache answers only after the first status.
        if (!starting) status.bump();
    });
    starting = false;

    const readWait = contextWait && contextWaitReader(RED, node, def, contextWait, light);
    node.on('input', (msg: NodeMessageInFlow, send, done) => {
        const input = readLightInput(msg, config.patterns);
        // Motion, or in occupancy mode the change to clear, starts a wait: the wait is read from context then.
        const startsWait = input.kind === 'motion' && (input.motion || config.settings.occupancy === true);
        if (!(input.kind === 'motion' && startsWait && readWait)) {
            answer(config, msg, send, done, apply(RED, light, input));
            return;
        }
        // Nothing is sent when the wait cannot be read: a light that never goes off is worse than none.
        readWait(msg, (problem) => {
            if (closed) done();
            else
                answer(
                    config,
                    msg,
                    send,
                    done,
                    problem === undefined ? sense(light, input.motion) : inputError(RED, problem),
                );
        });
    });

    offerMetrics(node, TYPE, def.name, () =>
        ha ? { ...light.metrics(), haRefused: ha.refusedTotal() } : light.metrics(),
    );

    node.on('close', (removed: boolean, done: () => void) => {
        closed = true;
        state.close(removed);
        output.close();
        light.close();
        status.stop();
        done();
    });

    status.now();
}

/**
 * The light's entity in Home Assistant, when the node names a hub that announces: Home Assistant's commands
 * are manual commands, sent on like those by message; a refused one leaves the light as it was.
 */
function announceLight(
    RED: NodeAPI,
    node: Node,
    def: LightDef,
    light: LightController,
    emit: (out: LightOutput) => void,
): Announced | undefined {
    const name = typeof def.name === 'string' && def.name !== '' ? def.name : RED._('sensorhub-light.ha.name');
    const ha = announce(RED, node, def, lightSpec(node.id, name), (payload) => {
        const cmd = parseLightCommand(payload);
        if ('refused' in cmd) ha?.refused(refusalText(RED, cmd));
        else {
            const out = light.command(cmd);
            if (out) emit(out);
        }
        // Home Assistant shows what it asked for until told otherwise: a command that changed nothing says so.
        ha?.entity.state(lightState(light.view.state, light.view.brightness));
    });
    return ha;
}

/** The answer to an input keeps its _msgid, as split or switch outputs do: tracing links them. */
function answer(
    config: LightConfig,
    msg: NodeMessageInFlow,
    send: (m: NodeMessage) => void,
    done: Done,
    out: LightOutput | Error | undefined,
): void {
    if (out instanceof Error) {
        done(out);
        return;
    }
    if (out) send(toMsg(config, out, msg._msgid));
    done();
}

export = function (RED: NodeAPI): void {
    const kept = new KeptStates<SavedLight>(STATE_KEY);
    function LightNode(this: Node, def: LightDef): void {
        RED.nodes.createNode(this, def);
        const setup = readSetup(RED, this, def);
        if ('reason' in setup) refuseConfig(RED, this, TYPE, setup.reason);
        else startLight(RED, this, def, setup, kept);
    }
    RED.nodes.registerType(TYPE, LightNode, editorSettings(TYPE));
};
