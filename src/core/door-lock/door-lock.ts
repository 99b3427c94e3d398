/**
 * The door lock state machine, with no Node-RED in it: time comes from an
 * injected clock, and everything it has to say goes out through callbacks.
 *
 * Fail-secure is the rule throughout: locking is always allowed, unlocking
 * needs the right code (when one is set) and no lockout, a message that
 * cannot be read locks an open lock (`refuse`), and an exception anywhere
 * inside leaves the lock `locked` and asks the hardware to lock.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { DoorLockConfig } from './config';
import { realClock, type Clock } from '../shared/clock';
import { topicMatches } from '../shared/topic';
import {
    describeType,
    describeValue,
    isOneOf,
    problem,
    quote,
    type Problem,
    type ProblemParam,
    type TextParams,
} from '../shared/texts';

export type LockState = 'locked' | 'unlocked' | 'locking' | 'unlocking' | 'jammed';
export const LOCK_STATES: readonly LockState[] = ['locked', 'unlocked', 'locking', 'unlocking', 'jammed'];
export type FeedbackState = 'locked' | 'unlocked' | 'jammed';
export const FEEDBACK_STATES: readonly FeedbackState[] = ['locked', 'unlocked', 'jammed'];

/**
 * Why the state changed: `command` by message, `timeout` no feedback in time, `restore` a transition cut by a
 * redeploy, or the code of an input problem (a message it could not read, which locks an open lock).
 */
export type ChangeReason =
    'command' | 'auto_relock' | 'feedback' | 'timeout' | 'restore' | 'error' | 'start' | InputRefusal;
export type AlertReason = 'motion_while_locked' | 'jammed' | 'wrong_code' | 'lockout';

export interface StateChange {
    readonly state: LockState;
    readonly previous: LockState;
    readonly reason: ChangeReason;
    /** Set when the hardware must move: the message that starts a lock or unlock. */
    readonly actuate?: 'lock' | 'unlock';
}

export interface DoorAlert {
    readonly reason: AlertReason;
    readonly location: string;
    /** When the alert was sent, ms since 1970. */
    readonly ts: number;
    readonly state: LockState;
    /** wrong_code: wrong codes in a row so far, and how many more lock unlocking out. */
    readonly attempts?: number;
    readonly remaining?: number;
    /** lockout: when unlocking is possible again, ms since 1970. */
    readonly until?: number;
    /** A repeat of an unacknowledged alert: 1 for the first repeat. */
    readonly repeat?: number;
}

/** What is kept in node context, so a redeploy or restart resumes where the lock was. */
export interface SavedLock {
    readonly v: 1;
    readonly state: LockState;
    /** When the state was entered, ms since 1970: the auto-relock counts from it. */
    readonly since: number;
    readonly attempts: number;
    readonly lockoutUntil: number | null;
    readonly motionAlertAt: number | null;
}

export type UnlockResult =
    | { readonly changed: boolean }
    | { readonly refused: 'code-required' }
    | { readonly refused: 'wrong-code'; readonly attempts: number; readonly remaining: number }
    | { readonly refused: 'lockout'; readonly lockoutMs: number }
    | { readonly refused: 'locked-out'; readonly remainingMs: number };

export type FeedbackResult = { readonly changed: boolean } | { readonly refused: 'feedback-off' };

/** What the status shows. */
export interface LockView {
    readonly state: LockState;
    /** ms until the auto-relock, while one is due. */
    readonly relockInMs?: number;
    /** ms until unlocking is possible again, during a lockout. */
    readonly lockedOutMs?: number;
    /** The alert repeated until acknowledged, if any. */
    readonly pendingAlert?: AlertReason;
}

/** A lock's figures for monitors and the sidebar; the counts are since the node started. */
export interface LockMetrics {
    readonly state: LockState;
    /** Unlocking is refused for now after too many wrong codes. */
    readonly lockedOut: boolean;
    /** Alerts raised, repeats not counted. */
    readonly alertsRaised: number;
    readonly wrongCodes: number;
    readonly lockouts: number;
    /** Times the lock became jammed. */
    readonly jams: number;
    /** Messages it could not read (each locks an open lock). */
    readonly refusedMessages: number;
}

export type LockSettings = Omit<DoorLockConfig, 'motionPatterns' | 'initialState' | 'sendStart'> & {
    readonly initialState?: DoorLockConfig['initialState'];
    readonly sendStart?: boolean;
};

export interface DoorLockOptions extends LockSettings {
    /** SHA-256 of the unlock code (see `digestCode`); undefined: no code needed. */
    readonly codeDigest?: Buffer;
    readonly clock?: Clock;
    /** What was saved in context; undefined when nothing was. Anything invalid restores as `locked`. */
    readonly saved?: unknown;
    readonly onState: (change: StateChange) => void;
    readonly onAlert: (alert: DoorAlert) => void;
    /** Whenever something worth keeping changed. */
    readonly onSave?: (saved: SavedLock) => void;
    /** An exception inside a timer: the lock is already locked again when this is called. */
    readonly onError?: (err: Error) => void;
}

export function digestCode(code: string): Buffer {
    return createHash('sha256').update(code, 'utf8').digest();
}

/**
 * Whether `given` is the code whose digest is `digest`, in time that does not
 * depend on where they differ: both sides are hashed to the same length first.
 */
export function codeMatches(given: string, digest: Buffer): boolean {
    return timingSafeEqual(digestCode(given), digest);
}

const isLockState = (v: unknown): v is LockState => typeof v === 'string' && (LOCK_STATES as string[]).includes(v);
const finiteOrNull = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));

/** A saved lock read back from context, or undefined when it is not one. */
export function parseSaved(raw: unknown): SavedLock | undefined {
    if (raw === null || typeof raw !== 'object') return undefined;
    const r = raw as Record<string, unknown>;
    if (r.v !== 1 || !isLockState(r.state) || typeof r.since !== 'number' || !Number.isFinite(r.since))
        return undefined;
    const attempts = r.attempts;
    if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 0) return undefined;
    if (!finiteOrNull(r.lockoutUntil) || !finiteOrNull(r.motionAlertAt)) return undefined;
    return {
        v: 1,
        state: r.state,
        since: r.since,
        attempts,
        lockoutUntil: r.lockoutUntil,
        motionAlertAt: r.motionAlertAt,
    };
}

export class DoorLock {
    private readonly clock: Clock;
    private state: LockState;
    private since: number;
    private attempts = 0;
    private lockoutUntil: number | null = null;
    private motionAlertAt: number | null = null;
    private transitionTimer: unknown;
    private relockTimer: unknown;
    private relockAt: number | undefined;
    private lockoutTimer: unknown;
    private repeatTimer: unknown;
    private pending: { alert: DoorAlert; count: number } | undefined;
    private started = false;
    private closed = false;
    private alertsRaised = 0;
    private wrongCodes = 0;
    private lockouts = 0;
    private jams = 0;
    private refusedMessages = 0;
    /** Whether context held something that is not a saved lock (it restored as locked). */
    readonly restoredInvalid: boolean;

    constructor(private readonly opts: DoorLockOptions) {
        this.clock = opts.clock ?? realClock;
        const now = this.clock.now();
        const saved = parseSaved(opts.saved);
        this.restoredInvalid = opts.saved !== undefined && saved === undefined;
        if (saved) {
            this.state = saved.state;
            this.since = saved.since;
            this.motionAlertAt = saved.motionAlertAt;
            // A lockout belongs to a code: without one configured now, there is nothing to lock out.
            if (opts.codeDigest) {
                this.attempts = Math.min(saved.attempts, opts.maxAttempts - 1);
                // A clock set back must not stretch a lockout beyond its length.
                if (saved.lockoutUntil !== null && saved.lockoutUntil > now)
                    this.lockoutUntil = Math.min(saved.lockoutUntil, now + opts.lockoutMs);
            }
        } else {
            this.state = this.restoredInvalid ? 'locked' : (opts.initialState ?? 'locked');
            this.since = now;
        }
    }

    get current(): LockState {
        return this.state;
    }

    /**
     * Resumes what was restored: a transition cut short resolves by locking
     * (fail-secure: an unlock nobody saw finish is not assumed done), the
     * auto-relock and lockout carry on from where they were. Called once, when
     * the flow can receive what this sends.
     */
    start(): void {
        if (this.started || this.closed) return;
        this.started = true;
        this.guard(() => {
            if (this.state === 'locking' || this.state === 'unlocking') this.beginLock('restore', true);
            else {
                // The state it starts in, for whoever shows it (a dashboard): nothing moves, so no actuate.
                if (this.opts.sendStart)
                    this.opts.onState({ state: this.state, previous: this.state, reason: 'start' });
                if (this.state === 'unlocked') this.scheduleRelock(this.since);
            }
            if (this.lockoutUntil !== null) this.scheduleLockoutEnd();
            this.save();
        });
    }

    lock(): boolean {
        return this.guard(() => this.beginLock('command', false));
    }

    unlock(code: string | undefined): UnlockResult {
        return this.guard((): UnlockResult => {
            const now = this.clock.now();
            if (this.lockoutUntil !== null) {
                if (now < this.lockoutUntil) return { refused: 'locked-out', remainingMs: this.lockoutUntil - now };
                this.endLockout();
            }
            const digest = this.opts.codeDigest;
            if (digest) {
                if (code === undefined) return { refused: 'code-required' };
                if (!codeMatches(code, digest)) return this.wrongCode();
                if (this.attempts > 0) {
                    this.attempts = 0;
                    this.save();
                }
            }
            return { changed: this.beginUnlock('command') };
        });
    }

    /**
     * A message that could not be read (see parseLockInput): fail-secure, an open or opening lock starts
     * locking, with the problem's code as the reason. A lock already locked, locking or jammed is left alone:
     * nothing to secure, and no actuation for a bad message. True when it started locking.
     */
    refuse(problem: InputRefusal): boolean {
        this.refusedMessages++;
        return this.guard(
            () => (this.state === 'unlocked' || this.state === 'unlocking') && this.beginLock(problem, false),
        );
    }

    /** The hardware's report: the truth about the lock, whatever this machine expected. */
    feedback(reported: FeedbackState): FeedbackResult {
        return this.guard((): FeedbackResult => {
            if (!this.opts.feedback) return { refused: 'feedback-off' };
            if (reported === this.state) return { changed: false };
            this.setState(reported, 'feedback');
            if (reported === 'jammed') this.raise('jammed');
            return { changed: true };
        });
    }

    /** A motion event; true when it raised an alert. */
    motion(seen: boolean): boolean {
        return this.guard(() => {
            if (!seen || this.state !== 'locked') return false;
            const now = this.clock.now();
            const last = this.motionAlertAt;
            // A clock set back (now before the last alert) ends the cooldown rather than stretching it.
            if (last !== null && now >= last && now - last < this.opts.cooldownMs) return false;
            this.motionAlertAt = now;
            this.save();
            // Stamped with the instant the cooldown counts from, not a later reading of the clock (saving may take a
            // while), so alerts are never closer together than the cooldown.
            this.raise('motion_while_locked', { ts: now });
            return true;
        });
    }

    /** Acknowledges the pending alert, stopping its repeats; false when there was none. */
    ack(): boolean {
        return this.guard(() => {
            if (!this.pending) return false;
            this.clearPending();
            return true;
        });
    }

    view(): LockView {
        const now = this.clock.now();
        return {
            state: this.state,
            ...(this.relockAt !== undefined ? { relockInMs: Math.max(0, this.relockAt - now) } : {}),
            ...(this.lockoutUntil !== null && this.lockoutUntil > now ? { lockedOutMs: this.lockoutUntil - now } : {}),
            ...(this.pending ? { pendingAlert: this.pending.alert.reason } : {}),
        };
    }

    /** Counted as things happen, so asking costs nothing per event. */
    metrics(): LockMetrics {
        return {
            state: this.state,
            lockedOut: this.lockoutUntil !== null && this.lockoutUntil > this.clock.now(),
            alertsRaised: this.alertsRaised,
            wrongCodes: this.wrongCodes,
            lockouts: this.lockouts,
            jams: this.jams,
            refusedMessages: this.refusedMessages,
        };
    }

    snapshot(): SavedLock {
        return {
            v: 1,
            state: this.state,
            since: this.since,
            attempts: this.attempts,
            lockoutUntil: this.lockoutUntil,
            motionAlertAt: this.motionAlertAt,
        };
    }

    /**
     * Forces `locked` after an exception, asking the hardware to lock. It is
     * safe to call at any time and never throws: it runs when something has
     * already gone wrong.
     */
    failSecure(): void {
        this.clearTimer('transitionTimer');
        this.clearRelock();
        if (this.state !== 'locked') {
            const previous = this.state;
            this.state = 'locked';
            this.since = this.clock.now();
            try {
                this.opts.onState({ state: 'locked', previous, reason: 'error', actuate: 'lock' });
            } catch {
                // The state is locked whatever the listener does; it was reporting the first failure.
            }
        }
        try {
            this.save();
        } catch {
            // As above: saving is best effort once something has failed.
        }
    }

    /** Stops every timer; the lock does nothing after this. */
    close(): void {
        this.closed = true;
        this.clearTimer('transitionTimer');
        this.clearRelock();
        this.clearTimer('lockoutTimer');
        this.clearTimer('repeatTimer');
        this.pending = undefined;
    }

    private guard<T>(fn: () => T): T {
        try {
            return fn();
        } catch (err) {
            this.failSecure();
            throw err;
        }
    }

    private after(ms: number, fn: () => void): unknown {
        return this.clock.setTimeout(() => {
            if (this.closed) return;
            try {
                fn();
            } catch (err) {
                this.failSecure();
                this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
            }
        }, ms);
    }

    private clearTimer(name: 'transitionTimer' | 'lockoutTimer' | 'repeatTimer'): void {
        if (this[name] !== undefined) this.clock.clearTimeout(this[name]);
        this[name] = undefined;
    }

    private clearRelock(): void {
        if (this.relockTimer !== undefined) this.clock.clearTimeout(this.relockTimer);
        this.relockTimer = undefined;
        this.relockAt = undefined;
    }

    private save(): void {
        this.opts.onSave?.(this.snapshot());
    }

    private setState(next: LockState, reason: ChangeReason, actuate?: 'lock' | 'unlock'): void {
        const previous = this.state;
        this.clearTimer('transitionTimer');
        this.clearRelock();
        this.state = next;
        this.since = this.clock.now();
        if (next === 'jammed' && previous !== 'jammed') this.jams++;
        if (next === 'unlocked') this.scheduleRelock(this.since);
        if (next !== 'jammed' && this.pending?.alert.reason === 'jammed') this.clearPending();
        this.save();
        this.opts.onState(actuate ? { state: next, previous, reason, actuate } : { state: next, previous, reason });
    }

    /** `force`: lock even when already locking (a transition restored after a redeploy is started again). */
    private beginLock(reason: ChangeReason, force: boolean): boolean {
        if (!force && (this.state === 'locked' || this.state === 'locking')) return false;
        this.beginMove('lock', reason);
        return true;
    }

    private beginUnlock(reason: ChangeReason): boolean {
        if (this.state === 'unlocked' || this.state === 'unlocking') return false;
        this.beginMove('unlock', reason);
        return true;
    }

    private beginMove(move: 'lock' | 'unlock', reason: ChangeReason): void {
        const [moving, done]: [LockState, LockState] =
            move === 'lock' ? ['locking', 'locked'] : ['unlocking', 'unlocked'];
        const { feedback, actuationMs, transitionTimeoutMs } = this.opts;
        if (!feedback && actuationMs <= 0) {
            this.setState(done, reason, move);
            return;
        }
        this.setState(moving, reason, move);
        if (feedback) {
            this.transitionTimer = this.after(transitionTimeoutMs, () => {
                this.transitionTimer = undefined;
                this.setState('jammed', 'timeout');
                this.raise('jammed');
            });
        } else {
            this.transitionTimer = this.after(actuationMs, () => {
                this.transitionTimer = undefined;
                this.setState(done, reason);
            });
        }
    }

    private scheduleRelock(from: number): void {
        const ms = this.opts.autoRelockMs;
        if (ms <= 0) return;
        this.relockAt = from + ms;
        this.relockTimer = this.after(Math.max(0, this.relockAt - this.clock.now()), () => {
            this.relockTimer = undefined;
            this.relockAt = undefined;
            this.beginLock('auto_relock', false);
        });
    }

    private wrongCode(): UnlockResult {
        this.attempts++;
        this.wrongCodes++;
        const max = this.opts.maxAttempts;
        if (this.attempts >= max) {
            this.attempts = 0;
            this.lockouts++;
            this.lockoutUntil = this.clock.now() + this.opts.lockoutMs;
            this.scheduleLockoutEnd();
            this.save();
            this.raise('lockout', { until: this.lockoutUntil });
            return { refused: 'lockout', lockoutMs: this.opts.lockoutMs };
        }
        const attempts = this.attempts;
        this.save();
        this.raise('wrong_code', { attempts, remaining: max - attempts });
        return { refused: 'wrong-code', attempts, remaining: max - attempts };
    }

    private scheduleLockoutEnd(): void {
        this.clearTimer('lockoutTimer');
        const until = this.lockoutUntil;
        if (until === null) return;
        this.lockoutTimer = this.after(Math.max(0, until - this.clock.now()), () => {
            this.lockoutTimer = undefined;
            this.endLockout();
        });
    }

    private endLockout(): void {
        this.clearTimer('lockoutTimer');
        this.lockoutUntil = null;
        this.attempts = 0;
        this.save();
    }

    private raise(reason: AlertReason, extra: Partial<DoorAlert> = {}): void {
        this.alertsRaised++;
        const alert: DoorAlert = {
            reason,
            location: this.opts.location,
            ts: this.clock.now(),
            state: this.state,
            ...extra,
        };
        if (this.opts.repeatMs > 0) {
            this.clearTimer('repeatTimer');
            this.pending = { alert, count: 0 };
            this.scheduleRepeat();
        }
        this.opts.onAlert(alert);
    }

    private scheduleRepeat(): void {
        this.repeatTimer = this.after(this.opts.repeatMs, () => {
            this.repeatTimer = undefined;
            const pending = this.pending;
            if (!pending) return;
            pending.count++;
            this.scheduleRepeat();
            this.opts.onAlert({ ...pending.alert, ts: this.clock.now(), state: this.state, repeat: pending.count });
        });
    }

    private clearPending(): void {
        this.pending = undefined;
        this.clearTimer('repeatTimer');
    }
}

/** A message read for the lock: a command, hardware feedback or a motion event. */
export type LockInput =
    | { readonly kind: 'lock' }
    | { readonly kind: 'unlock'; readonly code: string | undefined }
    | { readonly kind: 'ack' }
    | { readonly kind: 'feedback'; readonly state: FeedbackState }
    | { readonly kind: 'motion'; readonly seen: boolean };

/** The refusal codes of messages the lock cannot read; each is also the reason of the locking it causes. */
export type InputRefusal =
    | 'command-type'
    | 'command-unknown'
    | 'feedback-type'
    | 'feedback-unknown'
    | 'both'
    | 'code-type'
    | 'motion-type'
    | 'unknown-message';

/** Why a message was refused: its refusal code, and the problem to say (in the node's catalog, `errors.<code>`). */
export interface InputProblem {
    readonly problem: InputRefusal;
    readonly text: Problem;
}

const COMMANDS = ['lock', 'unlock', 'ack'] as const;

/** A refusal with its text; `params` as TEXT_CODES lists them for `sensorhub-door-lock.errors.<refusal>`. */
function refused<R extends InputRefusal>(
    refusal: R,
    params: TextParams<`sensorhub-door-lock.errors.${R}`>,
    message: string,
): InputProblem {
    return { problem: refusal, text: problem(`sensorhub-door-lock.errors.${refusal}`, params, message) };
}

const said = (p: ProblemParam): string => (typeof p === 'object' ? p.message : String(p));

/**
 * Reads one input message. In order: `msg.feedback` (hardware), `msg.command`,
 * a motion event (`msg.topic` matching one of `motionPatterns`), a command as
 * a string payload. Anything else is refused: a lock must not guess.
 */
export function parseLockInput(
    msg: Readonly<Record<string, unknown>>,
    motionPatterns: readonly string[],
): LockInput | InputProblem {
    const { feedback, command } = msg;
    if (feedback !== undefined && command !== undefined)
        return refused(
            'both',
            {},
            'A message carries a command or hardware feedback, not both: send msg.command and msg.feedback separately',
        );
    if (feedback !== undefined) return feedbackInput(feedback);
    if (command !== undefined) {
        if (typeof command !== 'string') {
            const got = describeValue(command);
            return refused(
                'command-type',
                { got },
                `msg.command must be a string (lock, unlock or ack), got ${got.message}`,
            );
        }
        return commandInput(command, msg.code);
    }
    const topic = msg.topic;
    if (typeof topic === 'string' && motionPatterns.some((p) => topicMatches(p, topic))) {
        const seen = msg.payload;
        if (typeof seen !== 'boolean') {
            const got = describeValue(seen);
            return refused(
                'motion-type',
                { topic: quote(topic), got },
                `A motion event (topic ${quote(topic)}) needs msg.payload true or false, got ${got.message}`,
            );
        }
        return { kind: 'motion', seen };
    }
    if (typeof msg.payload === 'string') return commandInput(msg.payload, msg.code);
    const patterns = motionPatterns.join(', ');
    const shown = typeof topic === 'string' ? quote(topic) : describeValue(topic);
    return refused(
        'unknown-message',
        { patterns, topic: shown },
        'Message not understood: send msg.command (lock, unlock or ack), msg.feedback (locked, unlocked or jammed), ' +
            `or a motion event whose topic matches ${patterns} (got topic ${said(shown)})`,
    );
}

function feedbackInput(feedback: unknown): LockInput | InputProblem {
    if (typeof feedback !== 'string') {
        const got = describeValue(feedback);
        return refused(
            'feedback-type',
            { got },
            `msg.feedback must be a string (locked, unlocked or jammed), got ${got.message}`,
        );
    }
    const f = feedback.trim().toLowerCase();
    if (!isOneOf(FEEDBACK_STATES, f))
        return refused(
            'feedback-unknown',
            { feedback: quote(feedback) },
            `Unknown feedback ${quote(feedback)}: the hardware reports locked, unlocked or jammed`,
        );
    return { kind: 'feedback', state: f };
}

function commandInput(text: string, code: unknown): LockInput | InputProblem {
    const c = text.trim().toLowerCase();
    if (!isOneOf(COMMANDS, c))
        return refused(
            'command-unknown',
            { command: quote(text) },
            `Unknown command ${quote(text)}: use lock, unlock or ack`,
        );
    if (c !== 'unlock') return { kind: c };
    if (code !== undefined && typeof code !== 'string') {
        // Never the value of a code, only its type.
        const got = describeType(code);
        return refused('code-type', { got }, `msg.code must be a string, got ${got.message}; nothing was unlocked`);
    }
    return { kind: 'unlock', code };
}

/** A duration for the status: seconds under two minutes, minutes under two hours, else hours; rounded up. */
export function roundDuration(ms: number): { n: number; unit: 's' | 'min' | 'h' } {
    const s = Math.ceil(Math.max(0, ms) / 1000);
    if (s < 120) return { n: s, unit: 's' };
    if (s < 7200) return { n: Math.ceil(s / 60), unit: 'min' };
    return { n: Math.ceil(s / 3600), unit: 'h' };
}
