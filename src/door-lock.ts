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
import { KeptStates, LiveStatus, offerMetrics, refuseConfig } from './adapter';
import { configText } from './config-text';

// Saved flows are user data: any field may be missing or of another type.
type DoorLockDef = NodeDef & Record<string, unknown>;

interface DoorLockCredentials {
    code?: string;
}

type Send = (msg: (NodeMessage | null)[]) => void;
type Done = (err?: Error) => void;

const TYPE = 'sensorhub-door-lock';
/** The node context key the lock's state is kept under. */
const CONTEXT_KEY = 'lock';
const STATE_TOPIC = 'lock_state';
const ALERT_TOPIC = 'door_alert';

/** A refused message keeps no code for a catch or debug node to see. */
const dropCode = (msg: NodeMessageInFlow): void => {
    Reflect.deleteProperty(msg, 'code');
};

/** A countdown in the status needs redrawing while nothing else happens. */
const counting = (view: LockView): boolean => view.relockInMs !== undefined || view.lockedOutMs !== undefined;

function stateMessage(change: StateChange): NodeMessage {
    const msg: NodeMessage & Record<string, unknown> = {
        topic: STATE_TOPIC,
        payload: { state: change.state },
        reason: change.reason,
        previous: change.previous,
    };
    if (change.actuate) msg.actuate = change.actuate;
    return msg;
}

const alertMessage = (alert: DoorAlert): NodeMessage => ({ topic: ALERT_TOPIC, payload: { ...alert } });

export = function (RED: NodeAPI): void {
    const kept = new KeptStates<SavedLock>(CONTEXT_KEY);

    const t = (key: string, subs?: Record<string, string | number>): string => RED._(`${TYPE}.${key}`, subs);

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

    /** Runs one input on the lock; a sentence when it was refused. */
    function run(active: DoorLock, input: LockInput): string | undefined {
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
    }

    /** Runs one message on the lock; a sentence when it was refused or failed. */
    function runMessage(active: DoorLock, msg: NodeMessageInFlow, config: DoorLockConfig): string | undefined {
        try {
            active.start();
            const input = parseLockInput(msg, config.motionPatterns);
            // The code has been read; nothing downstream (a catch or debug node) gets to see it.
            Reflect.deleteProperty(msg, 'code');
            if (!('problem' in input)) return run(active, input);
            // Fail-secure: a message the lock cannot read locks it, and the error says why.
            active.refuse(input.problem);
            return t(`errors.${input.problem}`, input.detail);
        } catch (err) {
            // Whatever failed, the lock ends locked: the core already made sure when the failure was its own.
            active.failSecure();
            return t('errors.internal', { reason: err instanceof Error ? err.message : String(err) });
        }
    }

    function DoorLockNode(this: Node<DoorLockCredentials>, def: DoorLockDef): void {
        RED.nodes.createNode(this, def);
        const parsed = parseDoorLockConfig(def);
        if ('error' in parsed) {
            refuseConfig(RED, this, TYPE, configText(RED, TYPE, parsed.problem), dropCode);
            return;
        }
        const config: DoorLockConfig = parsed.config;
        const code = this.credentials.code;
        const codeDigest = typeof code === 'string' && code !== '' ? digestCode(code) : undefined;
        const state = kept.of(this, (err) => {
            this.warn(t('errors.save', { reason: err.message }));
        });
        /** Where outputs go: the input handler's send while one runs, else the node's. */
        const toNode: Send = (msgs) => {
            this.send(msgs);
        };
        let out = toNode;
        let lock: DoorLock | undefined;
        let startTimer: NodeJS.Immediate | undefined;
        let closed = false;
        /** Messages that came before the saved state was read back (only with an asynchronous context store). */
        const early: { msg: NodeMessageInFlow; send: Send; done: Done }[] = [];
        const status = new LiveStatus(
            this,
            () => lock && statusOf(lock.view()),
            () => lock !== undefined && counting(lock.view()),
        );

        const handle = (msg: NodeMessageInFlow, send: Send, done: Done): void => {
            const active = lock;
            if (!active) return;
            out = send;
            let problem: string | undefined;
            try {
                problem = runMessage(active, msg, config);
            } finally {
                out = toNode;
                status.bump();
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
                onState: (change) => {
                    out([stateMessage(change), null]);
                    status.bump();
                },
                onAlert: (alert) => {
                    const msg = alertMessage(alert);
                    out([null, msg]);
                    // A jam is a failure of the hardware: catch nodes see it, once; repeats only go to output 2.
                    if (alert.reason === 'jammed' && alert.repeat === undefined) this.error(t('errors.jammed'), msg);
                    status.bump();
                },
                onSave: (s) => {
                    state.save(s);
                },
                onError: (err) => {
                    this.error(t('errors.internal', { reason: err.message }));
                },
            });
            if (lock.restoredInvalid && !unreadable) this.warn(t('errors.restore'));
            status.now();
            // What a restore sends (a cut transition locking again) must wait until the flow's wires exist.
            startTimer = setImmediate(() => {
                startTimer = undefined;
                lock?.start();
                status.bump();
            });
            for (const e of early.splice(0)) handle(e.msg, e.send, e.done);
        };

        state.read((saved, err) => {
            if (err) this.warn(t('errors.read', { reason: err.message }));
            // Unreadable context restores as locked: the core locks on anything that is not a saved lock.
            begin(err ? null : saved, Boolean(err));
        });

        this.on('input', (msg: NodeMessageInFlow, send, done) => {
            if (lock) handle(msg, send, done);
            else early.push({ msg, send, done });
        });

        // Undefined until the saved state is read back (an asynchronous context store).
        offerMetrics(this, TYPE, def.name, () => lock?.metrics());

        this.on('close', (removed: boolean, done: () => void) => {
            closed = true;
            if (startTimer) clearImmediate(startTimer);
            status.stop();
            lock?.close();
            state.close(removed);
            for (const e of early.splice(0)) e.done(new Error(t('errors.closed')));
            done();
        });
    }
    RED.nodes.registerType<Node<DoorLockCredentials>, DoorLockDef, unknown, DoorLockCredentials>(TYPE, DoorLockNode, {
        credentials: { code: { type: 'password' } },
    });
};
