/**
 * serialport reads a port on Linux and macOS through libuv's thread pool: every
 * chunk costs two trips there (the read that gets it and the one that finds the
 * port empty before waiting for it to be readable), and each trip wakes a
 * thread and the event loop. A port whose descriptor is non-blocking can be
 * read on the event loop instead, once its poller says it is readable, as
 * Node's own sockets are: at 10,000 lines a second that halves the CPU the
 * process spends reading.
 */
import { readSync } from 'node:fs';
import { SerialPort } from 'serialport';

/** What a unix port binding of serialport has that the polled read uses. */
export interface UnixPortBinding {
    readonly isOpen: boolean;
    readonly fd: number | null;
    readonly poller: { once(event: 'readable', listener: (err: Error | null) => void): unknown };
    read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
}

export type ReadSync = (fd: number, buffer: Buffer, offset: number, length: number, position: null) => number;

/** What serialport's stream expects of a read cut short by closing the port: not a disconnection. */
export class CanceledReadError extends Error {
    readonly canceled = true;
}

// As serialport's own read: these only mean "not now".
const NOT_NOW = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

/**
 * A port's read (serialport's binding contract: at least one byte, a closed
 * port's pending read canceled, any other error a disconnection): it waits for
 * the poller, then reads what is there without blocking. An empty read (a hung-up
 * terminal's end of file) waits again, as serialport's own read does.
 */
export function polledRead(port: UnixPortBinding, read: ReadSync = readSync): UnixPortBinding['read'] {
    const readable = (): Promise<void> =>
        new Promise<void>((resolve, reject) => {
            port.poller.once('readable', (err) => {
                if (err) reject(err);
                else resolve();
            });
        });
    return async (buffer, offset, length) => {
        for (;;) {
            await readable();
            const fd = port.fd;
            if (!port.isOpen || fd === null) throw new CanceledReadError('Port is not open');
            let bytesRead: number;
            try {
                bytesRead = read(fd, buffer, offset, length, null);
            } catch (err) {
                if (NOT_NOW.has(String((err as NodeJS.ErrnoException).code))) continue;
                throw err;
            }
            if (bytesRead > 0) return { buffer, bytesRead };
        }
    };
}

/** Whether a port binding is one of serialport's unix ones (Windows' has no poller and no descriptor). */
export function isUnixPort(port: object): port is UnixPortBinding {
    const p = port as Partial<UnixPortBinding>;
    return typeof p.fd === 'number' && typeof p.poller?.once === 'function' && typeof p.read === 'function';
}

interface Binding {
    list(): Promise<unknown>;
    open(options: never): Promise<object>;
}

/** A serialport binding like `base`, whose unix ports read through `polledRead`. */
export function polledBinding<B extends Binding>(base: B): B {
    return {
        ...base,
        list: () => base.list(),
        open: async (options: never) => {
            const port = await base.open(options);
            if (isUnixPort(port)) port.read = polledRead(port);
            return port;
        },
    };
}

const POLLED = polledBinding(SerialPort.binding as Binding);

/**
 * A `SerialPort` reading through the polled binding. Its constructor takes a
 * `binding` (it spreads its options over the detected one) though its type
 * leaves the option out.
 */
export function polledSerialPort(options: ConstructorParameters<typeof SerialPort>[0]): SerialPort {
    const withBinding = { ...options, binding: POLLED };
    return new SerialPort(withBinding);
}
