import { ReadError, round2, type ReadingValue } from '../shared/reading';
import { problem } from '../shared/texts';

/** mulberry32: a small, fast 32-bit PRNG; the same seed gives the same sequence on every platform. */
export function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The reason a simulated read stops when its signal aborts. */
export class AbortedError extends Error {
    constructor() {
        super('read aborted');
        this.name = 'AbortError';
    }
}

/** Real-time sleep that ends early, rejecting, when `signal` aborts. */
export const realSleep: Sleep = (ms, signal) =>
    new Promise((resolve, reject) => {
        if (signal?.aborted) {
            reject(new AbortedError());
            return;
        }
        const onAbort = (): void => {
            clearTimeout(timer);
            reject(new AbortedError());
        };
        const timer = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
        }, ms);
        signal?.addEventListener('abort', onAbort, { once: true });
    });

/** One simulated read, decided: its value, or the ReadError it fails with. */
export interface SimulatedRead {
    readonly latencyMs: number;
    readonly value?: ReadingValue;
    readonly error?: ReadError;
}

export interface SimulatorOptions {
    /** `motion` reads booleans; `numeric` reads numbers around a mean. */
    readonly mode: 'numeric' | 'motion';
    readonly seed: number;
    readonly mean?: number;
    /** Standard deviation of the gaussian noise on each read. */
    readonly noise?: number;
    /** Added to the underlying level on every read (a sensor slowly going off). */
    readonly drift?: number;
    readonly latencyMinMs?: number;
    readonly latencyMaxMs?: number;
    /** Chance in [0, 1] that a read fails with status `error`. */
    readonly failureProbability?: number;
    /** Chance in [0, 1] that a motion read sees motion. */
    readonly motionProbability?: number;
    /** With offlineForMs: offline for the last offlineForMs of every offlineEveryMs, from creation. 0: never. */
    readonly offlineEveryMs?: number;
    readonly offlineForMs?: number;
    readonly now?: () => number;
    readonly sleep?: Sleep;
}

/**
 * A simulated sensor (latency, random failures,
 * offline state, drifting value, or motion). Every read draws the same
 * amount of randomness whatever its outcome, so a seed fixes the whole run:
 * which reads fail, their latencies and their values.
 */
export class SimulatedSensor {
    private readonly random: () => number;
    private readonly now: () => number;
    private readonly sleep: Sleep;
    private readonly createdAt: number;
    private level: number;
    private forcedOffline = false;

    constructor(private readonly opts: SimulatorOptions) {
        this.random = mulberry32(opts.seed);
        this.now = opts.now ?? Date.now;
        this.sleep = opts.sleep ?? realSleep;
        this.createdAt = this.now();
        this.level = opts.mean ?? 0;
    }

    /** Offline by command (`setOffline`) or by the schedule. */
    get offline(): boolean {
        return this.forcedOffline || this.scheduledOffline();
    }

    setOffline(offline: boolean): void {
        this.forcedOffline = offline;
    }

    private scheduledOffline(): boolean {
        const every = this.opts.offlineEveryMs ?? 0;
        const span = Math.min(this.opts.offlineForMs ?? 0, every);
        if (every <= 0 || span <= 0) return false;
        const phase = (this.now() - this.createdAt) % every;
        return phase >= every - span;
    }

    /** A gaussian draw (Box-Muller), always from two uniforms. */
    private gaussian(): number {
        const u = 1 - this.random();
        const v = this.random();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /**
     * Resolves after the simulated latency with a value, or rejects with a
     * ReadError (`offline` at once, like the seed; `error` after the latency),
     * or with the abort reason when `signal` aborts first.
     */
    async read(signal?: AbortSignal): Promise<ReadingValue> {
        const d = this.draw();
        if (d.error?.status === 'offline') throw d.error;
        await this.sleep(d.latencyMs, signal);
        if (d.error) throw d.error;
        return d.value as ReadingValue;
    }

    /**
     * The next read decided at once, for a caller that keeps its own timers
     * (a big fleet): how long it takes (0 when offline) and what it gives.
     */
    draw(): SimulatedRead {
        const o = this.opts;
        const min = o.latencyMinMs ?? 0;
        const max = Math.max(min, o.latencyMaxMs ?? min);
        const latency = Math.round(min + this.random() * (max - min));
        const fails = this.random() < (o.failureProbability ?? 0);
        const value: ReadingValue =
            o.mode === 'motion' ? this.random() < (o.motionProbability ?? 0) : this.nextLevel() + this.noiseDraw();
        if (this.offline)
            return {
                latencyMs: 0,
                error: new ReadError(
                    'offline',
                    'the sensor is offline',
                    problem('read.offline', {}, 'the sensor is offline'),
                ),
            };
        if (fails)
            return {
                latencyMs: latency,
                error: new ReadError(
                    'error',
                    'simulated read failure',
                    problem('read.simulated', {}, 'simulated read failure'),
                ),
            };
        return { latencyMs: latency, value: typeof value === 'number' ? round2(value) : value };
    }

    private nextLevel(): number {
        this.level += this.opts.drift ?? 0;
        return this.level;
    }

    private noiseDraw(): number {
        return this.gaussian() * (this.opts.noise ?? 0);
    }
}
