import { realClock, type Clock } from '../shared/clock';
import {
    defaultEventType,
    type FailureStatus,
    type ReadingMessage,
    type ReadingValue,
    type SensorInfo,
} from '../shared/reading';
import { problem, type Problem } from '../shared/texts';
import { isWildcard, levelsMatch } from '../shared/topic';
import type { DeviceNodeConfig } from './config';
import { esphome } from './esphome';
import { generic } from './generic';
import { homeAssistant, type DiscoveryState } from './homeassistant';
import type { CountedLog } from '../shared/counted-log';
import { problemLog, type ProblemReport } from './problem-log';
import { shelly } from './shelly';
import { tasmota } from './tasmota';
import type {
    DeviceEvent,
    DeviceProblem,
    DeviceProfile,
    DeviceReading,
    LightCommand,
    LockAction,
    OutgoingMessage,
} from './types';
import { zigbee2mqtt } from './zigbee2mqtt';

/**
 * One device node's view of a broker: runs a profile over the messages of its
 * subscriptions and turns its events into messages in the reading contract,
 * remembering the devices and sensors it has seen (for the status, the
 * editor's list and availability) and counting what did not parse.
 */

/** A reading (or, with a failed status, no payload) from a device, namespaced `<device>/<quantity>`. */
export interface DeviceReadingMessage extends ReadingMessage {
    deviceId: string;
}

/** `device_online` / `device_offline`, `light_state` (the device's own report), `lock_feedback`. */
export interface DeviceEventMessage {
    [key: string]: unknown;
    topic: string;
    deviceId: string;
    payload: Record<string, unknown>;
}

export interface DeviceListener {
    reading(msg: DeviceReadingMessage): void;
    /** A sensor that has no value (the device said so, or went offline); said once per change of status. */
    failure(msg: DeviceReadingMessage, why: Problem): void;
    event(msg: DeviceEventMessage): void;
    /** Payloads that did not parse, at a bounded rate (see problemLog). */
    problem(report: ProblemReport): void;
}

interface SensorSeen {
    readonly info: SensorInfo;
    readonly deviceId: string;
    seq: number;
    status: 'ok' | FailureStatus;
    value?: ReadingValue;
    ts: number;
}

interface DeviceSeen {
    online: boolean | undefined;
    readonly sensors: Set<string>;
    lastSeen: number;
    /** The topic of the last message about it: what a user copies to read it elsewhere. */
    topic: string;
}

/** What the editor's list shows of one device. */
export interface DeviceListing {
    readonly id: string;
    readonly online: boolean | null;
    readonly lastSeen: number;
    readonly topic: string;
    readonly sensors: ReadonlyArray<{
        id: string;
        kind: string;
        unit: string;
        status: string;
        value: ReadingValue | null;
        /** When its last reading (or failure) came. */
        ts: number;
    }>;
}

/** A Home Assistant entity found by its discovery config. */
export interface DiscoveredEntity {
    /** Its discovery config's topic. */
    readonly topic: string;
    readonly deviceId: string;
    readonly component: string;
    readonly quantity: string;
    readonly kind: string;
    readonly unit: string;
    readonly stateTopic?: string;
}

export interface DeviceSourceStats {
    /** Broker messages handed to the profile, parsed or not. */
    messages: number;
    /** Commands that went out to devices (see commandSent). */
    commands: number;
    devices: number;
    sensors: number;
    readings: number;
    failures: number;
    problems: number;
    problemsByCode: Record<string, number>;
    overLimit: number;
    online: number;
    offline: number;
}

/** Beyond this many sensors new ones are not remembered (a broker full of topics must not grow memory without end). */
export const MAX_REMEMBERED_SENSORS = 10_000;

/** The `src` of this node set's Shelly RPC requests. */
export const SHELLY_SRC = 'sensorhub-devices';

interface Running {
    decode(topic: string, payload: Buffer): readonly DeviceEvent[];
    subscriptions(): string[];
    encodeLight(device: string, command: LightCommand): OutgoingMessage[];
    encodeLock(device: string, action: LockAction): OutgoingMessage[];
    readonly canLock: boolean;
    discovery(): DiscoveryState | undefined;
}

function run<C, S>(profile: DeviceProfile<C, S>, config: C, extra?: (state: S) => string[]): Running & { state: S } {
    const state = profile.createState(config);
    const fixed = profile.subscriptions(config);
    return {
        state,
        canLock: profile.canLock,
        decode: (topic, payload) => profile.decode(topic, payload, state),
        subscriptions: () => (extra === undefined ? fixed : [...fixed, ...extra(state)]),
        encodeLight: (device, command) => profile.encodeLight(device, command, state),
        encodeLock: (device, action) => profile.encodeLock(device, action, state),
        discovery: () => undefined,
    };
}

function start(config: DeviceNodeConfig): Running {
    const base = config.baseTopic || undefined;
    switch (config.profile) {
        case 'zigbee2mqtt':
            return run(zigbee2mqtt, { baseTopic: base });
        case 'tasmota':
            return run(tasmota, {});
        case 'esphome': {
            const r = run(esphome, { nodes: config.devices, discoveryPrefix: base });
            return { ...r, discovery: () => r.state.discovery };
        }
        case 'shelly':
            // Not the hub's default prefix (`sensorhub`): replies on `<src>/rpc` must not look like hub events.
            return run(shelly, { devices: config.devices, src: SHELLY_SRC });
        case 'homeassistant': {
            const r = run(homeAssistant, { prefix: base }, (s) => homeAssistant.stateTopics(s));
            return { ...r, discovery: () => r.state };
        }
        case 'generic':
            return run(generic, { pattern: config.pattern, path: config.path, kind: config.kind, unit: config.unit });
    }
}

export class DeviceSource {
    private readonly running: Running;
    private readonly devices = new Map<string, DeviceSeen>();
    private readonly sensors = new Map<string, SensorSeen>();
    private readonly problems: CountedLog<string, DeviceProblem>;
    private readonly filter: readonly string[];
    private messages = 0;
    private commands = 0;
    private readings = 0;
    private failures = 0;
    /** Messages of sensors beyond MAX_REMEMBERED_SENSORS, not read. */
    private overLimit = 0;

    constructor(
        private readonly config: DeviceNodeConfig,
        private readonly listener: DeviceListener,
        private readonly clock: Clock = realClock,
    ) {
        this.running = start(config);
        this.problems = problemLog(
            (r) => {
                listener.problem(r);
            },
            undefined,
            clock,
        );
        this.filter = config.devices;
    }

    get canLock(): boolean {
        return this.running.canLock;
    }

    /** The topic filters to read now (Home Assistant's grow as configs are discovered). */
    subscriptions(): string[] {
        const all = [...new Set(this.running.subscriptions())];
        const wild = all.filter(isWildcard).map((f) => f.split('/'));
        // A state topic under a wildcard already read (Home Assistant's own examples put them under the discovery
        // prefix) would make the broker send each message twice.
        return all.filter((f) => isWildcard(f) || !wild.some((w) => levelsMatch(w, f.split('/'))));
    }

    /** One broker message; never throws. */
    handle(topic: string, payload: Buffer): void {
        this.messages++;
        const events = this.running.decode(topic, payload);
        for (const e of events) this.event(e, topic);
    }

    light(device: string, command: LightCommand): OutgoingMessage[] {
        return this.running.encodeLight(device, command);
    }

    lock(device: string, action: LockAction): OutgoingMessage[] {
        return this.running.encodeLock(device, action);
    }

    /** The adapter published a command's messages to the broker. */
    commandSent(): void {
        this.commands++;
    }

    stats(): DeviceSourceStats {
        let online = 0;
        let offline = 0;
        for (const d of this.devices.values()) {
            if (d.online === true) online++;
            else if (d.online === false) offline++;
        }
        return {
            messages: this.messages,
            commands: this.commands,
            devices: this.devices.size,
            sensors: this.sensors.size,
            readings: this.readings,
            failures: this.failures,
            problems: this.problems.total,
            problemsByCode: this.problems.counts(),
            overLimit: this.overLimit,
            online,
            offline,
        };
    }

    /** The devices seen, the first `max` of them (the sidebar asks every second: it must not copy ten thousand). */
    listing(max = Infinity): DeviceListing[] {
        const out: DeviceListing[] = [];
        for (const [id, d] of this.devices) {
            if (out.length >= max) break;
            out.push({
                id,
                online: d.online ?? null,
                lastSeen: d.lastSeen,
                topic: d.topic,
                sensors: this.sensorsOf(d),
            });
        }
        return out;
    }

    /** Home Assistant discovery configs seen (the homeassistant profile, and ESPHome's own), the first `max`. */
    discovered(max = Infinity): DiscoveredEntity[] {
        const d = this.running.discovery();
        const out: DiscoveredEntity[] = [];
        if (d === undefined) return out;
        for (const [topic, entities] of d.configs)
            for (const e of entities) {
                if (out.length >= max) return out;
                out.push({
                    topic,
                    deviceId: e.deviceId,
                    component: e.component,
                    quantity: e.quantity,
                    kind: e.kind,
                    unit: e.unit,
                    ...(e.stateTopic === undefined ? {} : { stateTopic: e.stateTopic }),
                });
            }
        return out;
    }

    /** Entities in the discovery configs seen (what discovered() would list without a bound). */
    get discoveredCount(): number {
        const d = this.running.discovery();
        let n = 0;
        if (d !== undefined) for (const entities of d.configs.values()) n += entities.length;
        return n;
    }

    private sensorsOf(d: DeviceSeen): DeviceListing['sensors'] {
        return [...d.sensors].map((sid) => {
            const s = this.sensors.get(sid) as SensorSeen;
            const { kind, unit } = s.info;
            return { id: sid, kind, unit, status: s.status, value: s.value ?? null, ts: s.ts };
        });
    }

    close(): void {
        this.problems.stop();
    }

    private wanted(deviceId: string): boolean {
        if (this.filter.length === 0) return true;
        return this.filter.some((d) => deviceId === d || deviceId.startsWith(`${d}/`));
    }

    private event(e: DeviceEvent, topic: string): void {
        if (e.type === 'problem') {
            this.problems.add(e.code, e);
            return;
        }
        if (!this.wanted(e.deviceId)) return;
        const now = this.clock.now();
        const device = this.device(e.deviceId, now, topic);
        switch (e.type) {
            case 'reading':
                if (device === undefined) {
                    this.overLimit++;
                    return;
                }
                // Availability has a topic of its own: the topic the readings come on is the one worth copying.
                device.topic = topic;
                this.reading(e, device, now);
                return;
            case 'availability':
                this.availability(e.deviceId, e.online, device, now);
                return;
            case 'light':
                this.listener.event({
                    topic: 'light_state',
                    deviceId: e.deviceId,
                    payload: { state: e.state, ...(e.brightness === undefined ? {} : { brightness: e.brightness }) },
                });
                return;
            case 'lock':
                // `feedback` is what the door lock node reads from its hardware.
                this.listener.event({
                    topic: 'lock_feedback',
                    deviceId: e.deviceId,
                    feedback: e.state,
                    payload: { state: e.state },
                });
                return;
        }
    }

    private device(id: string, now: number, topic: string): DeviceSeen | undefined {
        let d = this.devices.get(id);
        if (d === undefined) {
            if (this.sensors.size >= MAX_REMEMBERED_SENSORS) return undefined;
            d = { online: undefined, sensors: new Set(), lastSeen: now, topic };
            this.devices.set(id, d);
        }
        d.lastSeen = now;
        return d;
    }

    private sensor(e: DeviceReading, device: DeviceSeen, now: number): SensorSeen | undefined {
        let s = this.sensors.get(e.sensorId);
        if (s === undefined) {
            if (this.sensors.size >= MAX_REMEMBERED_SENSORS) return undefined;
            s = {
                info: Object.freeze({ id: e.sensorId, kind: e.kind, location: this.config.location, unit: e.unit }),
                deviceId: e.deviceId,
                seq: 0,
                status: 'ok',
                ts: now,
            };
            this.sensors.set(e.sensorId, s);
            device.sensors.add(e.sensorId);
        }
        return s;
    }

    private reading(e: DeviceReading, device: DeviceSeen, now: number): void {
        const s = this.sensor(e, device, now);
        if (s === undefined) {
            this.overLimit++;
            return;
        }
        s.seq++;
        s.ts = now;
        const at = { status: 'ok' as const, ts: now, latencyMs: 0, seq: s.seq };
        if (e.failure !== undefined || e.value === undefined) {
            this.fail(s, 'error', e.failure ?? problem('read.offline', {}, 'no value'), now);
            return;
        }
        s.status = 'ok';
        s.value = e.value;
        this.readings++;
        this.listener.reading({
            topic: defaultEventType(e.kind),
            payload: e.value,
            sensor: { ...s.info },
            reading: at,
            deviceId: e.deviceId,
        });
    }

    private fail(s: SensorSeen, status: FailureStatus, why: Problem, now: number): void {
        this.failures++;
        const repeat = s.status === status;
        s.status = status;
        s.value = undefined;
        if (repeat) return;
        this.listener.failure(
            {
                topic: defaultEventType(s.info.kind),
                sensor: { ...s.info },
                reading: { status, ts: now, latencyMs: 0, seq: s.seq },
                deviceId: s.deviceId,
            },
            why,
        );
    }

    private availability(id: string, online: boolean, device: DeviceSeen | undefined, now: number): void {
        const was = device?.online;
        if (device !== undefined) device.online = online;
        // Retained availability is sent again on every subscribe: a device is announced when it changes.
        if (was === online) return;
        this.listener.event({
            topic: online ? 'device_online' : 'device_offline',
            deviceId: id,
            payload: { deviceId: id, ts: now },
        });
        if (online || device === undefined) return;
        const gone = problem('read.offline', {}, `${id} is offline`);
        for (const sid of device.sensors) {
            const s = this.sensors.get(sid) as SensorSeen;
            s.seq++;
            this.fail(s, 'offline', gone, now);
        }
    }
}
