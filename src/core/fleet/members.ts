import {
    isBooleanKind,
    ReadError,
    SIMULATED_MEAN,
    toReadingValue,
    type ReadingValue,
    type SensorInfo,
} from '../shared/reading';
import type { SerialSourceConfig } from '../sensor/config';
import { SimulatedSensor, type Sleep } from '../sensor/simulator';
import { serialSourceReader, type SerialRequester } from '../sensor/source';
import type { FleetSimulation, MemberSpec } from './config';
import type { FleetMember } from './fleet';
import type { ReadWheel } from './wheel';

/** What a fleet's members read through: its serial port (if set) and simulation settings. */
export interface MemberSources {
    /** The fleet's serial port; undefined when none is set, and then every member is simulated. */
    readonly port: SerialRequester | undefined;
    readonly serial: SerialSourceConfig;
    readonly timeoutMs: number;
    readonly simulation: FleetSimulation;
    /** The fleet's seed, or a random one when the user gave none. */
    readonly seedBase: number;
    readonly sleep: Sleep;
    /** Timers shared by the simulated members' reads in cycles; without it they sleep through `sleep`. */
    readonly wheel?: ReadWheel;
}

/** Seeds for a fleet's simulated sensors: distinct per position, fixed by the fleet's seed. */
export function memberSeed(base: number, index: number): number {
    return (base ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
}

/**
 * A device's value as its sensor reports it, or a failed read: a value of the wrong type (a motion sensor
 * answering 7) is an `error` like any other, counted as one in the cycle's statistics.
 */
export function converting(info: SensorInfo, read: () => Promise<ReadingValue>): () => Promise<ReadingValue> {
    return () =>
        read().then((raw) => {
            const converted = toReadingValue(info.kind, info.unit, raw);
            if ('error' in converted) throw new ReadError('error', converted.error, converted.problem);
            return converted.value;
        });
}

/** The sensor at `index` of the fleet, ready to read: through the serial port, else simulated. */
export function fleetMember(spec: MemberSpec, index: number, from: MemberSources): FleetMember<ReadingValue> {
    const { sensor, eventType } = spec;
    if (spec.source === 'serial' && from.port) {
        const template = spec.command || from.serial.command;
        const read = serialSourceReader(from.port, from.serial, sensor.id, from.timeoutMs, template);
        return { info: sensor, eventType, read: converting(sensor, read) };
    }
    const sim = from.simulation;
    const simulator = new SimulatedSensor({
        mode: isBooleanKind(sensor.kind) ? 'motion' : 'numeric',
        seed: memberSeed(from.seedBase, index),
        mean: SIMULATED_MEAN[sensor.kind],
        noise: 0.2,
        latencyMinMs: sim.latencyMinMs,
        latencyMaxMs: sim.latencyMaxMs,
        failureProbability: sim.failureProbability,
        motionProbability: 0.3,
        sleep: from.sleep,
    });
    // A simulator gives the kind's own type in the base unit a fleet sensor reports in: nothing to convert.
    const read = (): Promise<ReadingValue> => simulator.read();
    const wheel = from.wheel;
    if (!wheel) return { info: sensor, eventType, read };
    return {
        info: sensor,
        eventType,
        read,
        readInto: (sink, k) => {
            const d = simulator.draw();
            wheel.after(d.latencyMs, sink, k, d.error ?? d.value, d.error !== undefined);
        },
    };
}
