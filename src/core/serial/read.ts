import { ReadError, type ReadingValue } from '../shared/reading';
import { parseReading, type ParseSpec } from '../shared/parse';
import type { SerialPortApi } from './user';

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
    port: SerialPortApi,
    command: string,
    spec: ParseSpec,
    timeoutMs: number,
): () => Promise<ReadingValue> {
    const parseLine = lineParser(spec);
    return () => port.request(command, timeoutMs).then(parseLine, serialFailure);
}
