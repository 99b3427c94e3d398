/**
 * The port list of the serial port dialog. serialport's own listing needs
 * `udevadm` on Linux, which containers and fresh Debian machines lack; when it
 * fails or finds nothing, the list falls back to what /dev shows. Ports the
 * user configured that point into /dev/pts (a `socat` link, say) are listed
 * too: no listing knows them. The filesystem and serialport's listing are
 * given in, so tests can drive every path with fakes.
 */
import { promises as fsp } from 'node:fs';
import { problem, problemOfError, ProblemError, type Problem, type ProblemParam } from '../shared/texts';

export type PortSource = 'serialport' | 'dev' | 'configured';

export interface ListedPort {
    readonly path: string;
    readonly source: PortSource;
    readonly manufacturer?: string;
    readonly serialNumber?: string;
    readonly vendorId?: string;
    readonly productId?: string;
    /** The device a link resolves to (by-id and configured links). */
    readonly target?: string;
}

/** What serialport's `SerialPort.list()` gives, as far as the dialog uses it. */
export interface SerialPortInfo {
    readonly path: string;
    readonly manufacturer?: string;
    readonly serialNumber?: string;
    readonly vendorId?: string;
    readonly productId?: string;
}

/** The few filesystem calls the fallback makes; `readdir` and `realpath` reject as node:fs does. */
export interface PortFs {
    readdir(dir: string): Promise<string[]>;
    realpath(path: string): Promise<string>;
    readFile(path: string): Promise<string>;
}

export interface PortListDeps {
    readonly list: () => Promise<readonly SerialPortInfo[]>;
    readonly fs: PortFs;
    /** Paths of the deployed serial port config nodes. */
    readonly configured: readonly string[];
    /** How long serialport's listing may take before the fallback is used. */
    readonly timeoutMs?: number;
}

export interface PortListing {
    readonly ports: readonly ListedPort[];
    /** Why serialport's listing was not used, when it failed (an empty listing is no failure). */
    readonly serialportFailure?: ProblemParam;
    /** Set when serialport's listing and the /dev scan both failed. */
    readonly error?: Problem;
}

export const LIST_TIMEOUT_MS = 5000;

export const NODE_PORT_FS: PortFs = {
    readdir: (dir) => fsp.readdir(dir),
    realpath: (path) => fsp.realpath(path),
    readFile: (path) => fsp.readFile(path, 'utf8'),
};

const BY_ID = '/dev/serial/by-id';
const DEVICE = /^tty(USB|ACM|AMA)\d+$/;
const BUILT_IN_UART = /^ttyS\d+$/;
/** The kernel's PORT_UNKNOWN: a ttyS slot with no UART behind it. */
const NO_UART = '0';

export function listTimeoutProblem(ms: number): Problem {
    return problem('sensorhub-serial-port.list.timeout', { ms }, `it did not answer within ${ms} ms`);
}

export function listFailedProblem(serialport: ProblemParam, dev: ProblemParam): Problem {
    const say = (p: ProblemParam): string => (typeof p === 'object' ? p.message : String(p));
    return problem(
        'sensorhub-serial-port.list.failed',
        { serialport, dev },
        `serialport's listing failed (${say(serialport)}) and /dev could not be read (${say(dev)})`,
    );
}

export async function listSerialPorts(deps: PortListDeps): Promise<PortListing> {
    const [primary, configured] = await Promise.all([
        serialportListing(deps),
        configuredLinks(deps.fs, deps.configured),
    ]);
    if ('ports' in primary && primary.ports.length > 0) return { ports: merge(primary.ports, configured) };
    const serialportFailure = 'failure' in primary ? primary.failure : undefined;
    const found = await scanDev(deps.fs).then(
        (ports) => ({ ports }),
        (err: unknown) => ({ failure: reasonOf(err) }),
    );
    if ('ports' in found) return { ports: merge(found.ports, configured), serialportFailure };
    // An empty serialport listing is an answer: an unreadable /dev only matters when serialport failed too.
    if (serialportFailure === undefined) return { ports: configured };
    return { ports: configured, serialportFailure, error: listFailedProblem(serialportFailure, found.failure) };
}

async function serialportListing(
    deps: PortListDeps,
): Promise<{ ports: readonly ListedPort[] } | { failure: ProblemParam }> {
    const ms = deps.timeoutMs ?? LIST_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
            reject(new ProblemError(listTimeoutProblem(ms)));
        }, ms);
    });
    try {
        const infos = await Promise.race([deps.list(), timeout]);
        return { ports: infos.map((p) => ({ ...pick(p), source: 'serialport' as const })) };
    } catch (err) {
        return { failure: problemOfError(err) ?? reasonOf(err) };
    } finally {
        clearTimeout(timer);
    }
}

function pick(p: SerialPortInfo): Omit<ListedPort, 'source'> {
    const { path, manufacturer, serialNumber, vendorId, productId } = p;
    return { path, manufacturer, serialNumber, vendorId, productId };
}

/** USB and on-board adapters in /dev, by-id links first; a device a by-id link already names is not listed twice. */
async function scanDev(fs: PortFs): Promise<ListedPort[]> {
    const [names, links] = await Promise.all([fs.readdir('/dev'), byIdLinks(fs)]);
    const linked = new Set(links.map((l) => l.target));
    const devices = names.filter((n) => DEVICE.test(n)).map((n) => `/dev/${n}`);
    const uarts = await realUarts(
        fs,
        names.filter((n) => BUILT_IN_UART.test(n)),
    );
    const plain = [...devices, ...uarts]
        .filter((p) => !linked.has(p))
        .sort(naturally)
        .map((path) => ({ path, source: 'dev' as const }));
    return [...links, ...plain];
}

async function byIdLinks(fs: PortFs): Promise<ListedPort[]> {
    // No by-id folder is the normal case on a machine without USB serial adapters.
    const names = await fs.readdir(BY_ID).catch(() => []);
    const links = await Promise.all(
        names.sort(naturally).map(async (name) => {
            const path = `${BY_ID}/${name}`;
            const target = await fs.realpath(path).catch(() => undefined);
            return target === undefined ? undefined : { path, source: 'dev' as const, target };
        }),
    );
    return links.filter((l) => l !== undefined);
}

/**
 * Most PCs have /dev/ttyS0..31 whatever UARTs they really have. The kernel's
 * UART type in sysfs tells them apart without opening them: an open would
 * toggle DTR on a real port (resetting an attached board) and can block.
 */
async function realUarts(fs: PortFs, names: readonly string[]): Promise<string[]> {
    const found = await Promise.all(
        names.map(async (name) => {
            const type = await fs.readFile(`/sys/class/tty/${name}/type`).catch(() => NO_UART);
            return type.trim() === NO_UART ? undefined : `/dev/${name}`;
        }),
    );
    return found.filter((p) => p !== undefined);
}

/** Configured paths that exist now and resolve into /dev/pts: pseudo-terminals, which no listing shows. */
async function configuredLinks(fs: PortFs, paths: readonly string[]): Promise<ListedPort[]> {
    const unique = [...new Set(paths.filter((p) => p !== ''))].sort(naturally);
    const links = await Promise.all(
        unique.map(async (path) => {
            const target = await fs.realpath(path).catch(() => undefined);
            return target?.startsWith('/dev/pts/') ? { path, source: 'configured' as const, target } : undefined;
        }),
    );
    return links.filter((l) => l !== undefined);
}

function merge(listed: readonly ListedPort[], configured: readonly ListedPort[]): ListedPort[] {
    const seen = new Set(listed.map((p) => p.path));
    return [...listed, ...configured.filter((p) => !seen.has(p.path))];
}

const naturally = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

function reasonOf(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}
