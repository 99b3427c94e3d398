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
import {
    KeptStates,
    LiveStatus,
    offerMetrics,
    refuseConfig,
    texts,
    whenStarted,
    type KeptState,
    type Texts,
} from './adapter';
import { editorSettings } from './editor-settings';
import { announce, refusalText, type Announced } from './adapter/ha';
import { lockSpec, lockState, parseLockCommand } from './core/ha';

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

/** A duration as the status shows it: "25 s", "4 min", "2 h". */
function duration(t: Texts, ms: number): string {
    const { n, unit } = roundDuration(ms);
    return t(`status.${unit}`, { n });
}

function statusOf(t: Texts, view: LockView): NodeStatus {
    let text = t(`status.${view.state}`);
    let fill: NodeStatus['fill'] = 'green';
    let shape: NodeStatus['shape'] = 'dot';
    if (view.state === 'unlocked') fill = 'yellow';
    else if (view.state === 'locking' || view.state === 'unlocking') [fill, shape] = ['yellow', 'ring'];
    else if (view.state === 'jammed') [fill, shape] = ['red', 'ring'];
    if (view.relockInMs !== undefined) text = t('status.relock', { text, time: duration(t, view.relockInMs) });
    if (view.lockedOutMs !== undefined) {
        text = t('status.locked-out', { text, time: duration(t, view.lockedOutMs) });
        fill = 'red';
    }
    if (view.pendingAlert !== undefined)
        text = t('status.alert', { text, reason: t(`status.reason.${view.pendingAlert}`) });
    return { fill, shape, text };
}

function refusal(t: Texts, result: Exclude<UnlockResult, { changed: boolean }>): string {
    switch (result.refused) {
        case 'code-required':
            return t('errors.code-required');
        case 'wrong-code':
            return t('errors.wrong-code', { attempts: result.attempts, remaining: result.remaining });
        case 'lockout':
            return t('errors.lockout', { time: duration(t, result.lockoutMs) });
        case 'locked-out':
            return t('errors.locked-out', { time: duration(t, result.remainingMs) });
    }
}

/** Runs one input on the lock; a sentence when it was refused. */
function run(t: Texts, active: DoorLock, input: LockInput): string | undefined {
    switch (input.kind) {
        case 'lock':
            active.lock();
            return undefined;
        case 'unlock': {
            const result = active.unlock(input.code);
            return 'refused' in result ? refusal(t, result) : undefined;
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
function runMessage(t: Texts, active: DoorLock, msg: NodeMessageInFlow, config: DoorLockConfig): string | undefined {
    try {
        const input = parseLockInput(msg, config.motionPatterns);
        // The code has been read; nothing downstream (a catch or debug node) gets to see it.
        Reflect.deleteProperty(msg, 'code');
        if (!('problem' in input)) return run(t, active, input);
        // Fail-secure: a message the lock cannot read locks it, and the error says why.
        active.refuse(input.problem);
        return t.problem(input.text);
    } catch (err) {
        // Whatever failed, the lock ends locked: the core already made sure when the failure was its own.
        active.failSecure();
        return t('errors.internal', { reason: err instanceof Error ? err.message : String(err) });
    }
}

/** What one message brings: handled once the lock exists, and completed with `done`. */
interface Pending {
    readonly msg: NodeMessageInFlow;
    readonly send: Send;
    readonly done: Done;
}

/**
 * A door lock node at work. Its lock exists once the saved state is read back
 * (at once, or when an asynchronous context store answers); messages that come
 * before wait for it.
 */
class RunningLock {
    private lock: DoorLock | undefined;
    /** Where outputs go: the input handler's send while one runs, else the node's (held until the flows start). */
    private out: Send;
    private readonly own: { emit: Send; close: () => void };
    private closed = false;
    private readonly early: Pending[] = [];
    private readonly status: LiveStatus;
    private readonly state: KeptState<SavedLock>;
    /** The lock's entity in Home Assistant, when the node names a hub that announces. */
    ha: Announced | undefined;

    constructor(
        private readonly node: Node<DoorLockCredentials>,
        private readonly config: DoorLockConfig,
        private readonly t: Texts,
        kept: KeptStates<SavedLock>,
    ) {
        this.own = whenStarted<(NodeMessage | null)[]>(t.red, (msgs) => {
            node.send(msgs);
        });
        this.out = this.own.emit;
        this.state = kept.of(node, (err) => {
            node.warn(t('errors.save', { reason: err.message }));
        });
        this.status = new LiveStatus(
            node,
            () => this.lock && statusOf(t, this.lock.view()),
            () => this.lock !== undefined && counting(this.lock.view()),
        );
        this.state.read((saved, err) => {
            if (err) node.warn(t('errors.read', { reason: err.message }));
            // Unreadable context restores as locked: the core locks on anything that is not a saved lock.
            this.begin(err ? null : saved, Boolean(err));
        });
    }

    input(pending: Pending): void {
        if (this.lock) this.handle(this.lock, pending);
        else this.early.push(pending);
    }

    metrics(): object | undefined {
        // Undefined until the saved state is read back (an asynchronous context store).
        return this.lock?.metrics();
    }

    close(removed: boolean): void {
        this.closed = true;
        this.status.stop();
        this.own.close();
        this.lock?.close();
        this.state.close(removed);
        for (const e of this.early.splice(0)) e.done(new Error(this.t('errors.closed')));
    }

    private handle(active: DoorLock, { msg, send, done }: Pending): void {
        this.out = send;
        let problem: string | undefined;
        try {
            problem = runMessage(this.t, active, msg, this.config);
        } finally {
            this.out = this.own.emit;
            this.status.bump();
        }
        if (problem === undefined) done();
        else done(new Error(problem));
    }

    private begin(saved: unknown, unreadable: boolean): void {
        if (this.closed) return;
        const code = this.node.credentials.code;
        const lock = new DoorLock({
            ...this.config,
            codeDigest: typeof code === 'string' && code !== '' ? digestCode(code) : undefined,
            saved,
            onState: (change) => {
                this.out([stateMessage(change), null]);
                this.status.bump();
                this.ha?.entity.state(lockState(change.state));
            },
            onAlert: (alert) => {
                this.alert(alert);
            },
            onSave: (s) => {
                this.state.save(s);
            },
            onError: (err) => {
                this.node.error(this.t('errors.internal', { reason: err.message }));
            },
        });
        this.lock = lock;
        this.showHa();
        if (lock.restoredInvalid && !unreadable) this.node.warn(this.t('errors.restore'));
        // Started before the messages that came meanwhile, so they have the last word over a restore. What starting
        // sends (a cut transition locking again, the state at start) goes out once the flows have started.
        lock.start();
        this.status.now();
        for (const e of this.early.splice(0)) this.handle(lock, e);
    }

    /** Says the lock's state to Home Assistant, which shows what it asked for until told otherwise. */
    showHa(): void {
        if (this.lock) this.ha?.entity.state(lockState(this.lock.view().state));
    }

    /**
     * A command from Home Assistant runs as a message would, its code checked by the lock (wrong codes count
     * towards the lockout); a refusal is counted and warned, never carried out, and the state said again.
     */
    haCommand(payload: string): void {
        const cmd = parseLockCommand(payload);
        const refused = (reason: string): void => {
            this.ha?.refused(reason);
            this.showHa();
        };
        if ('refused' in cmd) {
            refused(refusalText(this.t.red, cmd));
            return;
        }
        const msg = { _msgid: this.t.red.util.generateId(), payload: cmd.action, code: cmd.code };
        this.input({
            msg,
            send: this.own.emit,
            done: (err) => {
                if (err) refused(err.message);
            },
        });
    }

    private alert(alert: DoorAlert): void {
        const msg = alertMessage(alert);
        this.out([null, msg]);
        // A jam is a failure of the hardware: catch nodes see it, once; repeats only go to output 2.
        if (alert.reason === 'jammed' && alert.repeat === undefined) this.node.error(this.t('errors.jammed'), msg);
        this.status.bump();
    }
}

export = function (RED: NodeAPI): void {
    const kept = new KeptStates<SavedLock>(CONTEXT_KEY);
    const t = texts(RED, TYPE);

    function DoorLockNode(this: Node<DoorLockCredentials>, def: DoorLockDef): void {
        RED.nodes.createNode(this, def);
        const parsed = parseDoorLockConfig(def);
        if ('error' in parsed) {
            refuseConfig(RED, this, TYPE, t.problem(parsed.problem), dropCode);
            return;
        }
        const running = new RunningLock(this, parsed.config, t, kept);
        const code = this.credentials.code;
        const name = typeof def.name === 'string' && def.name !== '' ? def.name : t('ha.name');
        running.ha = announce(RED, this, def, lockSpec(this.id, name, typeof code === 'string' && code !== ''), (p) => {
            running.haCommand(p);
        });
        running.showHa();
        this.on('input', (msg: NodeMessageInFlow, send, done) => {
            running.input({ msg, send, done });
        });
        offerMetrics(this, TYPE, def.name, () => {
            const m = running.metrics();
            return m && running.ha ? { ...m, haRefused: running.ha.refusedTotal() } : m;
        });
        this.on('close', (removed: boolean, done: () => void) => {
            running.close(removed);
            done();
        });
    }
    RED.nodes.registerType<Node<DoorLockCredentials>, DoorLockDef, unknown, DoorLockCredentials>(TYPE, DoorLockNode, {
        ...editorSettings(TYPE),
        credentials: { code: { type: 'password' } },
    });
};
