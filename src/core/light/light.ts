/**
 * The motion light: a state machine that turns a light on at motion, off once
 * no motion has been seen for the wait, and lets a person override it by hand.
 * Time comes from an injected clock, so every rule is tested with a fake one;
 * deadlines are absolute times, so a saved state means the same after a restart.
 */
import { realClock, type Clock } from '../shared/clock';
import { topicMatches } from '../shared/topic';
import { describeValue, problem, quote, type Problem } from '../shared/texts';

export type LightState = 'on' | 'off';
export type LightReason = 'motion' | 'timeout' | 'manual' | 'start';
/** `manual`: switched on by hand, so motion's automatic off does not apply. */
export type LightMode = 'auto' | 'manual';
export type LightAction = 'on' | 'off' | 'toggle' | 'auto';
/** Why motion did not switch the light on. */
export type Gate = 'dark' | 'time';

export const LIGHT_ACTIONS: readonly LightAction[] = ['on', 'off', 'toggle', 'auto'];
export const BRIGHTNESS_MAX = 100;
/** A light's mode as monitors report it: `manual` with or without an end. */
export const LIGHT_MODES = ['auto', 'manual', 'override'] as const;

/** What goes out: the light's new state, and why it changed. Off always has brightness 0. */
export interface LightOutput {
    readonly state: LightState;
    readonly brightness: number;
    readonly reason: LightReason;
}

export interface LightCommand {
    readonly action: LightAction;
    /** 0 to 100; 0 switches off. For `on`/`toggle` only: `off` and `auto` ignore it. */
    readonly brightness?: number;
}

/** Minutes since local midnight, from 0 to 1439. */
export interface TimeWindow {
    readonly from: number;
    readonly to: number;
}

export interface LightSettings {
    /** How long after the last motion the light turns off. */
    readonly waitMs: number;
    /** The light stays on at least this long after motion turned it on. */
    readonly minOnMs: number;
    /** How long a manual on lasts before motion rules again; 0: until a manual off or `auto`. */
    readonly overrideMs: number;
    /** The brightness motion (and a manual on without one) switches on at, 1 to 100. */
    readonly brightness: number;
    /** Motion switches on only while the last lux reading is below this; undefined: no lux gate. */
    readonly darkBelow: number | undefined;
    /** Motion switches on only inside this window of local time; undefined: at any time. */
    readonly window: TimeWindow | undefined;
    /**
     * The motion events come from an occupancy sensor (Zigbee, mmWave presence) that reports `true` while the
     * room is occupied and `false` once it is clear: the light stays on while occupied and the wait starts at
     * the `false`. Off (and in flows saved before it existed): every motion event restarts the wait.
     */
    readonly occupancy?: boolean;
}

export interface LightOptions extends LightSettings {
    readonly clock?: Clock;
    /** Local minutes since midnight at `now`; injected so tests do not depend on the machine's time zone. */
    readonly minuteOfDay?: (now: number) => number;
    /** A change the clock made (the automatic off, the end of an override); input methods return theirs. */
    readonly onOutput: (out: LightOutput) => void;
    /** After every change of state: the adapter saves and redraws. */
    readonly onChange?: () => void;
}

/** The state as saved in node context: plain JSON, times in ms since 1970. */
export interface SavedLight {
    readonly v: 1;
    readonly state: LightState;
    readonly brightness: number;
    readonly mode: LightMode;
    readonly onSince: number | null;
    readonly offAt: number | null;
    readonly overrideUntil: number | null;
    /** When the wait counts from: the last motion, or in occupancy mode the last change to clear. */
    readonly lastMotion: number | null;
    readonly lux: number | null;
    /** Occupancy mode: the sensor last reported the room occupied. Missing in states saved before the mode. */
    readonly occupied?: boolean;
}

export interface LightView {
    readonly state: LightState;
    readonly brightness: number;
    readonly mode: LightMode;
    /** When the automatic off is due (on, automatic). */
    readonly offAt: number | undefined;
    /** When a manual on with an override timeout ends. */
    readonly overrideUntil: number | undefined;
    /** The gate that kept the last motion from switching the light on, while it is off. */
    readonly blocked: Gate | undefined;
    /** Occupancy mode: the room is occupied, so the automatic off waits for it to be clear. */
    readonly occupied: boolean;
}

/** A light's figures for monitors and the sidebar. */
export interface LightMetrics {
    readonly state: LightState;
    readonly brightness: number;
    /** `manual`: on by hand until switched off or back to auto; `override`: on by hand until the override ends. */
    readonly mode: (typeof LIGHT_MODES)[number];
    /** Motion, light-level and command inputs handed to the light since it started. */
    readonly eventsHandled: number;
    /** Changes of what the light shows, each of them a command out, since it started. */
    readonly commandsSent: number;
    /** Why the last command went out; null before the first. */
    readonly lastReason: LightReason | null;
    /** When the last command went out, ms since 1970; null before the first. */
    readonly lastChangeTs: number | null;
}

export function localMinuteOfDay(now: number): number {
    const d = new Date(now);
    return d.getHours() * 60 + d.getMinutes();
}

/** Whether a minute of the day is in the window; a window whose start is after its end crosses midnight. */
export function inWindow(minute: number, window: TimeWindow): boolean {
    return window.from <= window.to
        ? minute >= window.from && minute < window.to
        : minute >= window.from || minute < window.to;
}

export class LightController {
    private readonly clock: Clock;
    private readonly minuteOfDay: (now: number) => number;
    private state: LightState = 'off';
    private brightness = 0;
    private mode: LightMode = 'auto';
    private onSince: number | undefined;
    private offAt: number | undefined;
    private overrideUntil: number | undefined;
    private lastMotion: number | undefined;
    private lux: number | undefined;
    private occupied = false;
    private blocked: Gate | undefined;
    private timer: unknown;
    /** When the pending timer fires; a later deadline keeps it and re-arms when it fires. */
    private timerAt = Infinity;
    private closed = false;
    private waitMs: number;
    private eventsHandled = 0;
    private commandsSent = 0;
    private lastReason: LightReason | undefined;
    private lastChangeTs: number | undefined;

    constructor(private readonly options: LightOptions) {
        this.clock = options.clock ?? realClock;
        this.minuteOfDay = options.minuteOfDay ?? localMinuteOfDay;
        this.waitMs = options.waitMs;
    }

    /** A new no-motion wait (read from context by the node): it counts from the next motion on. */
    setWait(waitMs: number): void {
        this.waitMs = waitMs;
    }

    get view(): LightView {
        return {
            state: this.state,
            brightness: this.brightness,
            mode: this.mode,
            offAt: this.state === 'on' && this.mode === 'auto' ? this.offAt : undefined,
            overrideUntil: this.state === 'on' && this.mode === 'manual' ? this.overrideUntil : undefined,
            blocked: this.state === 'off' ? this.blocked : undefined,
            occupied: this.occupied,
        };
    }

    /** Counted as things happen, so asking costs nothing per event. */
    metrics(): LightMetrics {
        const manual = this.overrideUntil === undefined ? 'manual' : 'override';
        return {
            state: this.state,
            brightness: this.brightness,
            mode: this.state === 'on' && this.mode === 'manual' ? manual : 'auto',
            eventsHandled: this.eventsHandled,
            commandsSent: this.commandsSent,
            lastReason: this.lastReason ?? null,
            lastChangeTs: this.lastChangeTs ?? null,
        };
    }

    /**
     * Motion seen (in occupancy mode: the room is occupied). Off: switch on unless
     * a gate is closed. On by motion: the wait starts again, or in occupancy mode
     * is held until the room is clear (gates do not apply: the light itself makes
     * the room bright). On by hand: remembered, so the wait counts from it when
     * the override ends.
     */
    motion(): LightOutput | undefined {
        if (this.closed) return undefined;
        this.eventsHandled++;
        const now = this.clock.now();
        if (this.options.occupancy === true) this.occupied = true;
        else this.lastMotion = now;
        if (this.state === 'on') {
            if (this.mode === 'auto') this.rearm();
            this.changed();
            return undefined;
        }
        const gate = this.closedGate(now);
        if (gate !== undefined) {
            this.blocked = gate;
            this.changed();
            return undefined;
        }
        this.mode = 'auto';
        this.onSince = now;
        this.rearm();
        return this.set('on', this.options.brightness, 'motion');
    }

    /**
     * No motion. A motion sensor's "no motion" changes nothing: only motion
     * restarts the wait. An occupancy sensor's change to clear starts the wait;
     * a repeated "clear" (sensors repeat their state with every report) does not
     * start it again, or a chatty sensor would keep the light on.
     */
    vacant(): LightOutput | undefined {
        if (this.closed || this.options.occupancy !== true) return undefined;
        this.eventsHandled++;
        if (!this.occupied) return undefined;
        this.occupied = false;
        this.lastMotion = this.clock.now();
        if (this.state === 'on' && this.mode === 'auto') this.rearm();
        this.changed();
        return undefined;
    }

    /**
     * A light-level reading. Readings taken while the light is on measure the
     * light itself, so only those taken while it is off are kept for the gate.
     */
    illuminance(lux: number): void {
        if (this.closed) return;
        this.eventsHandled++;
        if (this.state === 'on' || this.lux === lux) return;
        this.lux = lux;
        this.changed();
    }

    /** A manual command: gates never apply to these. */
    command(cmd: LightCommand): LightOutput | undefined {
        if (this.closed) return undefined;
        this.eventsHandled++;
        switch (cmd.action) {
            case 'on':
                return this.manualOn(cmd.brightness ?? (this.state === 'on' ? this.brightness : undefined));
            case 'off':
                return this.manualOff();
            case 'toggle':
                return this.state === 'on' ? this.manualOff() : this.manualOn(cmd.brightness);
            case 'auto':
                if (this.mode !== 'manual') return undefined;
                return this.endOverride();
        }
    }

    /**
     * What the light shows now, as an output with reason `start`: for a node that says its state once as the flow
     * starts (a dashboard shows it before the first change). Nothing changes, so nothing is counted.
     */
    startOutput(): LightOutput {
        return { state: this.state, brightness: this.brightness, reason: 'start' };
    }

    save(): SavedLight {
        return {
            v: 1,
            state: this.state,
            brightness: this.brightness,
            mode: this.mode,
            onSince: this.onSince ?? null,
            offAt: this.offAt ?? null,
            overrideUntil: this.overrideUntil ?? null,
            lastMotion: this.lastMotion ?? null,
            lux: this.lux ?? null,
            occupied: this.occupied,
        };
    }

    /**
     * Takes up a saved state (a redeploy, a restart with persistent context).
     * A deadline that passed while the node was away is acted on by a timer of
     * 0 ms, after the flow has started and can receive the command. Returns
     * false, keeping the light off, for anything that is not a saved state.
     */
    restore(saved: unknown): boolean {
        if (this.closed || !isSavedLight(saved)) return false;
        const opt = (v: number | null): number | undefined => (v === null ? undefined : v);
        this.state = saved.state;
        this.mode = saved.state === 'on' ? saved.mode : 'auto';
        this.brightness = saved.state === 'on' ? saved.brightness : 0;
        this.onSince = opt(saved.onSince);
        this.offAt = opt(saved.offAt);
        this.overrideUntil = opt(saved.overrideUntil);
        this.lastMotion = opt(saved.lastMotion);
        this.lux = opt(saved.lux);
        // A mode changed since the save: a light that no longer counts occupancy waits from the last motion.
        this.occupied = this.options.occupancy === true && saved.occupied === true;
        if (this.state === 'on') {
            if (this.mode === 'auto') {
                if (this.occupied) this.offAt = undefined;
                else {
                    this.offAt ??= this.autoDeadline();
                    this.arm(this.offAt);
                }
            } else if (this.overrideUntil !== undefined) {
                this.arm(this.overrideUntil);
            }
        }
        return true;
    }

    close(): void {
        this.closed = true;
        this.disarm();
    }

    private manualOn(brightness: number | undefined): LightOutput | undefined {
        const level = brightness ?? this.options.brightness;
        if (level === 0) return this.manualOff();
        const now = this.clock.now();
        if (this.state === 'off') this.onSince = now;
        this.mode = 'manual';
        this.offAt = undefined;
        this.overrideUntil = this.options.overrideMs > 0 ? now + this.options.overrideMs : undefined;
        if (this.overrideUntil === undefined) this.disarm();
        else this.arm(this.overrideUntil);
        return this.set('on', level, 'manual');
    }

    private manualOff(): LightOutput | undefined {
        this.disarm();
        return this.set('off', 0, 'manual');
    }

    /** Back to motion's rules: off at once unless motion was seen within the wait (and the minimum on-time). */
    private endOverride(): LightOutput | undefined {
        this.mode = 'auto';
        this.overrideUntil = undefined;
        if (this.state === 'off') {
            this.changed();
            return undefined;
        }
        if (!this.occupied && this.autoDeadline() <= this.clock.now()) return this.switchOff();
        this.rearm();
        this.changed();
        return undefined;
    }

    /** Under motion's rules while on: no deadline while occupied, else the wait's (and the minimum on-time's). */
    private rearm(): void {
        if (this.occupied) {
            this.offAt = undefined;
            this.disarm();
            return;
        }
        this.offAt = this.autoDeadline();
        this.arm(this.offAt);
    }

    private switchOff(): LightOutput | undefined {
        this.disarm();
        return this.set('off', 0, 'timeout');
    }

    private autoDeadline(): number {
        const now = this.clock.now();
        // No motion seen at all: nothing to wait for.
        const byMotion = this.lastMotion === undefined ? now : this.lastMotion + this.waitMs;
        const byMinimum = (this.onSince ?? now) + this.options.minOnMs;
        return Math.max(byMotion, byMinimum);
    }

    private closedGate(now: number): Gate | undefined {
        const { darkBelow, window } = this.options;
        // Before the first reading the room counts as dark: a light that stays off at night is the worse surprise.
        if (darkBelow !== undefined && this.lux !== undefined && !(this.lux < darkBelow)) return 'dark';
        if (window !== undefined && !inWindow(this.minuteOfDay(now), window)) return 'time';
        return undefined;
    }

    /** Applies a new state, saving it; returns the output when what the light shows changed. */
    private set(state: LightState, brightness: number, reason: LightReason): LightOutput | undefined {
        const differs = state !== this.state || brightness !== this.brightness;
        this.state = state;
        this.brightness = brightness;
        this.blocked = undefined;
        if (state === 'off') {
            this.mode = 'auto';
            this.onSince = undefined;
            this.offAt = undefined;
            this.overrideUntil = undefined;
        }
        this.changed();
        if (!differs) return undefined;
        this.commandsSent++;
        this.lastReason = reason;
        this.lastChangeTs = this.clock.now();
        return { state, brightness, reason };
    }

    private changed(): void {
        this.options.onChange?.();
    }

    /**
     * Makes sure a timer fires by `at`. Motion moves the deadline on many times
     * a second at most; a timer already due earlier is kept and re-armed when it
     * fires, rather than replaced on every event.
     */
    private arm(at: number): void {
        if (this.timer !== undefined && this.timerAt <= at) return;
        this.disarm();
        this.timerAt = at;
        this.timer = this.clock.setTimeout(
            () => {
                this.timer = undefined;
                this.timerAt = Infinity;
                this.due();
            },
            Math.max(0, at - this.clock.now()),
        );
    }

    private disarm(): void {
        if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
        this.timer = undefined;
        this.timerAt = Infinity;
    }

    private due(): void {
        if (this.closed || this.state === 'off') return;
        const now = this.clock.now();
        let out: LightOutput | undefined;
        if (this.mode === 'auto' && this.offAt !== undefined) {
            if (now >= this.offAt) out = this.switchOff();
            else this.arm(this.offAt);
        } else if (this.mode === 'manual' && this.overrideUntil !== undefined) {
            if (now >= this.overrideUntil) out = this.endOverride();
            else this.arm(this.overrideUntil);
        }
        if (out) this.options.onOutput(out);
    }
}

function isSavedLight(v: unknown): v is SavedLight {
    if (v === null || typeof v !== 'object') return false;
    const s = v as Record<string, unknown>;
    const time = (x: unknown): boolean => x === null || (typeof x === 'number' && Number.isFinite(x));
    return (
        s.v === 1 &&
        (s.state === 'on' || s.state === 'off') &&
        (s.mode === 'auto' || s.mode === 'manual') &&
        typeof s.brightness === 'number' &&
        s.brightness >= 0 &&
        s.brightness <= BRIGHTNESS_MAX &&
        time(s.onSince) &&
        time(s.offAt) &&
        time(s.overrideUntil) &&
        time(s.lastMotion) &&
        time(s.lux) &&
        (s.occupied === undefined || typeof s.occupied === 'boolean')
    );
}

/** What an input message is to the light. */
export type LightInput =
    | { readonly kind: 'motion'; readonly motion: boolean }
    | { readonly kind: 'lux'; readonly lux: number }
    | { readonly kind: 'command'; readonly command: LightCommand }
    /** Another hub event or reading (say, a temperature from a wide subscription): not for the light. */
    | { readonly kind: 'ignore' }
    | { readonly kind: 'error'; readonly error: string; readonly problem: Problem };

export interface LightPatterns {
    readonly motion: readonly string[];
    /** undefined: no lux gate, so lux events are not read. */
    readonly lux: readonly string[] | undefined;
    /**
     * The topic of the light's own commands: one of them fed back (through a
     * hub subscription to everything, say) would otherwise turn into a manual
     * override of itself.
     */
    readonly own?: string;
}

const COMMAND_HINT =
    'use msg.command "on", "off", "toggle" or "auto" (with an optional msg.brightness from 0 to 100), or a payload "on", "off", "toggle" or {state, brightness}';

/**
 * Sorts a message into motion, lux, command or something to ignore. A
 * `msg.command` is always a command; otherwise the topic decides (motion,
 * then lux patterns), then a payload that reads as a command. Hub events and
 * readings (`msg.event`, `msg.sensor`) that are none of these are ignored;
 * anything else is a mistake worth reporting.
 */
export function readLightInput(msg: Readonly<Record<string, unknown>>, patterns: LightPatterns): LightInput {
    if (msg.command !== undefined) return commandFrom(msg.command, msg.brightness, 'msg.command');
    const topic = msg.topic;
    const payload = msg.payload;
    if (patterns.own !== undefined && topic === patterns.own) return { kind: 'ignore' };
    if (typeof topic === 'string' && topic !== '') {
        if (patterns.motion.some((p) => topicMatches(p, topic))) return { kind: 'motion', motion: payload !== false };
        if (patterns.lux?.some((p) => topicMatches(p, topic))) {
            if (typeof payload !== 'number' || !Number.isFinite(payload) || payload < 0)
                return refusal(
                    problem(
                        'sensorhub-light.input.lux',
                        { topic, got: describeValue(payload) },
                        `a light level on "${topic}" must be a number of lux, 0 or more, got ${describeValue(payload).message}`,
                    ),
                );
            return { kind: 'lux', lux: payload };
        }
    }
    const fromHub = isObject(msg.event) || isObject(msg.sensor);
    if (typeof payload === 'string') {
        if (fromHub && !isAction(payload.trim().toLowerCase())) return { kind: 'ignore' };
        return commandFrom(payload, msg.brightness, 'msg.payload');
    }
    if (isObject(payload) && ('state' in payload || 'brightness' in payload)) {
        const state = payload.state;
        // A lock's or a switch's state event is not a light command.
        if (fromHub && state !== undefined && !(typeof state === 'string' && isAction(state.trim().toLowerCase())))
            return { kind: 'ignore' };
        const brightness = payload.brightness ?? msg.brightness;
        if (state === undefined) return commandFrom('on', brightness, 'msg.payload.state');
        return commandFrom(state, brightness, 'msg.payload.state');
    }
    if (fromHub) return { kind: 'ignore' };
    return refusal(problem('sensorhub-light.input.not-command', {}, `not a light command: ${COMMAND_HINT}`));
}

function refusal(p: Problem): LightInput {
    return { kind: 'error', error: p.message, problem: p };
}

function commandFrom(action: unknown, brightness: unknown, where: string): LightInput {
    if (typeof action !== 'string')
        return refusal(
            problem(
                'sensorhub-light.input.action-type',
                { where, got: describeValue(action) },
                `${where} must be "on", "off", "toggle" or "auto", got ${describeValue(action).message}`,
            ),
        );
    const a = action.trim().toLowerCase();
    if (!isAction(a))
        return refusal(
            problem(
                'sensorhub-light.input.action',
                { action: quote(action) },
                `unknown command ${quote(action)}: ${COMMAND_HINT}`,
            ),
        );
    if (brightness === undefined) return { kind: 'command', command: { action: a } };
    if (typeof brightness !== 'number' || !Number.isFinite(brightness) || brightness < 0 || brightness > BRIGHTNESS_MAX)
        return refusal(
            problem(
                'sensorhub-light.input.brightness',
                { max: BRIGHTNESS_MAX, got: describeValue(brightness) },
                `brightness must be a number from 0 to ${BRIGHTNESS_MAX}, got ${describeValue(brightness).message}`,
            ),
        );
    return { kind: 'command', command: { action: a, brightness } };
}

function isAction(v: string): v is LightAction {
    return (LIGHT_ACTIONS as readonly string[]).includes(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}
