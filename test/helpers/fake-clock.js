'use strict';
// A clock for core unit tests: time moves only when a test says so.

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** A clock whose time moves only in advance(); timers fire `lateness` ms after they are due, like a busy event loop. */
class FakeClock {
    constructor(lateness = 0) {
        this.t = 1_000_000;
        this.lateness = lateness;
        this.timers = new Map();
        this.nextId = 1;
        this.now = () => this.t;
        this.setTimeout = (fn, ms) => {
            const id = this.nextId++;
            this.timers.set(id, { at: this.t + Math.max(0, ms) + this.lateness, fn, id });
            return id;
        };
        this.clearTimeout = (id) => {
            this.timers.delete(id);
        };
    }

    /** A sleep on this clock that rejects when `signal` aborts. */
    sleep(ms, signal) {
        return new Promise((resolve, reject) => {
            const id = this.setTimeout(resolve, ms - this.lateness);
            signal?.addEventListener('abort', () => {
                this.clearTimeout(id);
                reject(new Error('aborted'));
            });
        });
    }

    async advance(ms) {
        const end = this.t + ms;
        for (;;) {
            await flush();
            const due = [...this.timers.values()].filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id);
            if (due.length === 0) break;
            this.timers.delete(due[0].id);
            this.t = due[0].at;
            due[0].fn();
        }
        this.t = end;
        await flush();
    }
}

/**
 * A synchronous clock for state machines that settle no promises: advance() runs every due timer in order, each at
 * its own time, before it returns.
 */
class StepClock {
    constructor(t = 1_700_000_000_000) {
        this.t = t;
        this.timers = new Map();
        this.nextId = 1;
        this.now = () => this.t;
        this.setTimeout = (fn, ms) => {
            const id = this.nextId++;
            this.timers.set(id, { at: this.t + Math.max(0, ms), fn, id });
            return id;
        };
        this.clearTimeout = (id) => {
            this.timers.delete(id);
        };
    }

    advance(ms) {
        const end = this.t + ms;
        for (;;) {
            const due = [...this.timers.values()].filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id);
            if (due.length === 0) break;
            this.timers.delete(due[0].id);
            this.t = due[0].at;
            due[0].fn();
        }
        this.t = end;
    }

    /** Timers set and not yet run or cleared. */
    pending() {
        return this.timers.size;
    }
}

module.exports = { FakeClock, StepClock, flush };
