import { ReadError, type ReadingValue } from '../shared/reading';
import { parseReading, type ParseSpec } from '../shared/parse';
import { expandCommand, type SerialSourceConfig } from './config';
import type { PollResult } from './poller';

/** What a serial source asks of a `sensorhub-serial-port` config node (its SerialPortApi has more). */
export interface SerialRequester {
    request(command: string, timeoutMs?: number): Promise<string>;
}

/** A line from the device as a sensor's value, or a ReadError naming what is wrong with it. */
export function lineParser(spec: ParseSpec): (line: string) => ReadingValue {
    return (line) => {
        const r = parseReading(line, spec);
        if (!r.ok) throw new ReadError('error', r.error, r.problem);
        return r.value;
    };
}

/** A failed serial request as a ReadError with the status it reports. */
export function serialFailure(err: unknown): never {
    const e = err instanceof Error ? err : new Error(String(err));
    const code = (e as Error & { code?: unknown }).code;
    throw new ReadError(code === 'timeout' ? 'timeout' : code === 'offline' ? 'offline' : 'error', e.message);
}

/** One read through a serial port in request mode: write `command`, parse the answering frame. */
export function serialRequestReader(
    port: SerialRequester,
    command: string,
    spec: ParseSpec,
    timeoutMs: number,
): () => Promise<ReadingValue> {
    const parseLine = lineParser(spec);
    return () => port.request(command, timeoutMs).then(parseLine, serialFailure);
}

/**
 * The read of one sensor of a serial source (the sensor node's, or a fleet member's): the source's
 * request (or the sensor's own `template`) with `{{id}}` replaced, its answer parsed by the source's format.
 */
export function serialSourceReader(
    port: SerialRequester,
    source: SerialSourceConfig,
    sensorId: string,
    timeoutMs: number,
    template: string = source.command,
): () => Promise<ReadingValue> {
    return serialRequestReader(port, expandCommand(template, sensorId), source.spec, timeoutMs);
}

/**
 * A line a device sent unasked (push mode) as a poll result, numbered from `counter` (only this
 * sensor's lines take a number) and stamped by `now`; undefined for a well-formed line without this sensor's field, which belongs to
 * another sensor on the same port.
 */
export function pushedLineResult(
    line: string,
    spec: ParseSpec,
    counter: { seq: number },
    now: () => number = Date.now,
): PollResult<ReadingValue> | undefined {
    const parsed = parseReading(line, spec);
    if (!parsed.ok && parsed.missing === true) return undefined;
    // Built field by field, not spread: this runs once per line, hundreds of thousands of times a second.
    const seq = ++counter.seq;
    const ts = now();
    if (parsed.ok) return { status: 'ok', value: parsed.value, seq, ts, latencyMs: 0 };
    return { status: 'error', error: new ReadError('error', parsed.error, parsed.problem), seq, ts, latencyMs: 0 };
}
