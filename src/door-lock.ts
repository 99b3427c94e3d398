import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { parseDoorLockConfig, type DoorLockConfig } from './core/door-lock/config';
import {
    digestCode,
    DoorLock,
    parseLockInput,
    roundDuration,
    type DoorAlert,
    type LockInput,
    type LockView,
    type SavedLock,
    type StateChange,
    type UnlockResult,
} from './core/door-lock/door-lock';
import { metricsRegistry } from './core/shared/metrics-registry';
import { Throttle } from './core/shared/throttle';
import { configText } from './config-text';
import { editorSettings } from './editor-settings';

// Saved flows are user data: any field may be missing or of another type.
type DoorLockDef = NodeDef & Record<string, unknown>;

interface DoorLockCredentials {
    code?: string;
}

type Send = (msg: (NodeMessage | null)[]) => void;
type Done = (err?: Error) => void;

/** The node context key the lock's state is kept under. */
const CONTEXT_KEY = 'lock';
const STATE_TOPIC = 'lock_state';
const ALERT_TOPIC = 'door_alert';

export = function (RED: NodeAPI): void {
    /**
     * The latest state of every lock in this process, by node. Node-RED deletes
     * a node's context when the node is redeployed unless a context store is
     * configured: this keeps the state across redeploys anyway, while the
     * context (when persistent) carries it across restarts.
     */
    const kept = new Map<string, SavedLock>();

    const t = (key: string, subs?: Record<string, string | number>): string =>
        RED._(`sensorhub-door-lock.${key}`, subs);

    /** A duration as the status shows it: "25 s", "4 min", "2 h". */
    const duration = (ms: number): string => {
        const { n, unit } = roundDuration(ms);
        return t(`status.${unit}`, { n });
    };

    function statusOf(view: LockView): NodeStatus {
        let text = t(`status.${view.state}`);
        let fill: NodeStatus['fill'] = 'green';
        let shape: NodeStatus['shape'] = 'dot';
        if (view.state === 'unlocked') fill = 'yellow';
        else if (view.state === 'locking' || view.state === 'unlocking') [fill, shape] = ['yellow', 'ring'];
        else if (view.state === 'jammed') [fill, shape] = ['red', 'ring'];
        if (view.relockInMs !== undefined) text = t('status.relock', { text, time: duration(view.relockInMs) });
        if (view.lockedOutMs !== undefined) {
            text = t('status.locked-out', { text, time: duration(view.lockedOutMs) });
            fill = 'red';
        }
        if (view.pendingAlert !== undefined)
            text = t('status.alert', { text, reason: t(`status.reason.${view.pendingAlert}`) });
        return { fill, shape, text };
    }

    function refusal(result: Exclude<UnlockResult, { changed: boolean }>): string {
        switch (result.refused) {
            case 'code-required':
                return t('errors.code-required');
            case 'wrong-code':
                return t('errors.wrong-code', { attempts: result.attempts, remaining: result.remaining });
            case 'lockout':
                return t('errors.lockout', { time: duration(result.lockoutMs) });
            case 'locked-out':
                return t('errors.locked-out', { time: duration(result.remainingMs) });
        }
    }

    function DoorLockNode(this: Node<DoorLockCredentials>, def: DoorLockDef): void {
        RED.nodes.createNode(this, def);
        const parsed = parseDoorLockConfig(def);
        if ('error' in parsed) {
            const reason = configText(RED, 'sensorhub-door-lock', parsed.problem);
            this.status({ fill: 'red', shape: 'ring', text: t('status.bad-config') });
            this.error(t('errors.config', { reason }));
            this.on('input', (msg: NodeMessageInFlow, _send, done) => {
                Reflect.deleteProperty(msg, 'code');
                done(new Error(t('errors.config', { reason })));
            });
            return;
        }
        const config: DoorLockConfig = parsed.config;
        const code = this.credentials.code;
        const codeDigest = typeof code === 'string' && code !== '' ? digestCode(code) : undefined;

        const context = this.context();
        // Inside a subflow the id changes on every deploy; the alias is the node's own, as for its context.
        const key = `${(this as Node & { _alias?: string })._alias ?? this.id}:${this.z}`;
        /** Where outputs go: the input handler's send while one runs, else the node's. */
        const toNode: Send = (msgs) => {
            this.send(msgs);
        };
        let out = toNode;
        let lock: DoorLock | undefined;
        let startTimer: NodeJS.Immediate | undefined;
        let ticker: NodeJS.Timeout | undefined;
        let closed = false;
        /** Messages that came before the saved state was read back (only with an asynchronous context store). */
        const early: { msg: NodeMessageInFlow; send: Send; done: Done }[] = [];

        const redraw = (): void => {
            if (!lock) return;
            const view = lock.view();
            this.status(statusOf(view));
            // A countdown in the status needs redrawing while nothing else happens.
            const counting = view.relockInMs !== undefined || view.lockedOutMs !== undefined;
            if (counting && !ticker && !closed) {
                ticker = setInterval(() => {
                    throttle.bump();
                }, 1000);
            } else if (!counting && ticker) {
                clearInterval(ticker);
                ticker = undefined;
            }
        };
        const throttle = new Throttle(redraw);

        const onState = (change: StateChange): void => {
            const msg: NodeMessage & Record<string, unknown> = {
                topic: STATE_TOPIC,
                payload: { state: change.state },
                reason: change.reason,
                previous: change.previous,
            };
            if (change.actuate) msg.actuate = change.actuate;
            out([msg, null]);
            throttle.bump();
        };
        const onAlert = (alert: DoorAlert): void => {
            const msg: NodeMessage = { topic: ALERT_TOPIC, payload: { ...alert } };
            out([null, msg]);
            // A jam is a failure of the hardware: catch nodes see it, once; repeats only go to output 2.
            if (alert.reason === 'jammed' && alert.repeat === undefined) this.error(t('errors.jammed'), msg);
            throttle.bump();
        };

        /** Runs one input on the lock; a sentence when it was refused. */
        const run = (active: DoorLock, input: LockInput): string | undefined => {
            switch (input.kind) {
                case 'lock':
                    active.lock();
                    return undefined;
                case 'unlock': {
                    const result = active.unlock(input.code);
                    return 'refused' in result ? refusal(result) : undefined;
                }
                case 'ack':
                    active.ack();
                    return undefined;
                case 'feedback':
                    return 'refused' in active.feedback(input.state)
                        ? t('errors.feedback-off', { feedback: input.state })
                        : undefined;
                case 'motion':
                    active.motion(input.seen);
                    return undefined;
            }
        };

        const handle = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
            const active = lock;
            if (!active) return;
            out = send;
            let problem: string | undefined;
            try {
                active.start();
                const input = parseLockInput(msg, config.motionPatterns);
                // The code has been read; nothing downstream (a catch or debug node) gets to see it.
                Reflect.deleteProperty(msg, 'code');
                if ('problem' in input) {
                    // Fail-secure: a message the lock cannot read locks it, and the error says why.
                    active.refuse(input.problem);
                    problem = t(`errors.${input.problem}`, input.detail);
                } else problem = run(active, input);
            } catch (err) {
                // Whatever failed, the lock ends locked: the core already made sure when the failure was its own.
                active.failSecure();
                problem = t('errors.internal', { reason: err instanceof Error ? err.message : String(err) });
            } finally {
                out = toNode;
                throttle.bump();
            }
            if (problem === undefined) done();
            else done(new Error(problem));
        };

        const begin = (saved: unknown, unreadable: boolean): void => {
            if (closed) return;
            lock = new DoorLock({
                ...config,
                codeDigest,
                saved,
                onState,
                onAlert,
                onSave: (s) => {
                    kept.set(key, s);
                    context.set(CONTEXT_KEY, s, (err: Error | undefined) => {
                        if (err) this.warn(t('errors.save', { reason: err.message }));
                    });
                },
                onError: (err) => {
                    this.error(t('errors.internal', { reason: err.message }));
                },
            });
            if (lock.restoredInvalid && !unreadable) this.warn(t('errors.restore'));
            redraw();
            // What a restore sends (a cut transition locking again) must wait until the flow's wires exist.
            startTimer = setImmediate(() => {
                startTimer = undefined;
                lock?.start();
                throttle.bump();
            });
            for (const e of early.splice(0)) handle(e.msg, e.send, e.done);
        };

        const inProcess = kept.get(key);
        if (inProcess) begin(inProcess, false);
        else {
            context.get(CONTEXT_KEY, (err: Error | undefined, value: unknown) => {
                if (err) this.warn(t('errors.read', { reason: err.message }));
                // Unreadable context restores as locked: the core locks on anything that is not a saved lock.
                begin(err ? null : value, Boolean(err));
            });
        }

        this.on('input', (msg: NodeMessageInFlow, send, done) => {
            if (lock) handle(msg, send, done);
            else early.push({ msg, send, done });
        });

        const withdrawMetrics = metricsRegistry.register(
            { id: this.id, type: 'sensorhub-door-lock', name: typeof def.name === 'string' ? def.name : '' },
            // Undefined until the saved state is read back (an asynchronous context store).
            () => lock?.metrics(),
        );

        this.on('close', (removed: boolean, done: () => void) => {
            withdrawMetrics();
            closed = true;
            if (removed) kept.delete(key);
            if (startTimer) clearImmediate(startTimer);
            if (ticker) clearInterval(ticker);
            ticker = undefined;
            throttle.stop();
            lock?.close();
            for (const e of early.splice(0)) e.done(new Error(t('errors.closed')));
            done();
        });
    }
    RED.nodes.registerType<Node<DoorLockCredentials>, DoorLockDef, unknown, DoorLockCredentials>(
        'sensorhub-door-lock',
        DoorLockNode,
        { credentials: { code: { type: 'password' } }, ...editorSettings('sensorhub-door-lock') },
    );
};
