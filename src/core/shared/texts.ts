/**
 * Run-time problems as data. Core code reports a failed read, a refused input
 * or a broker error with a message code and its parameters, so the adapter can
 * say it in the user's language, and with an English message for logs and for
 * a catalog that lacks the text. Building one costs something, so core builds
 * them only on the failure path, never per successful reading or event.
 */

/** A parameter: a value shown as it is, or a nested problem said in the same language (a value's description). */
export type ProblemParam = string | number | Problem;

export interface Problem {
    /** A catalog key: `config.<code>` for bare configuration codes, else the key itself (see TEXT_CODES). */
    readonly code: string;
    readonly params: Readonly<Record<string, ProblemParam>>;
    /** English, for logs and for a catalog that lacks the text. */
    readonly message: string;
    /** For codes with a `reason`: the problem that parameter stands for. */
    readonly inner?: Problem;
}

/**
 * Every run-time code with the parameters its text may use. A code is its
 * catalog key: the `read.` and `value.` sections are shared by every node
 * (the hub catalog's `common` section), as is `device.` (device profiles over MQTT); a code starting with a node type is in
 * that node's own catalog.
 */
export const TEXT_CODES = {
    'value.null': [],
    'value.nothing': [],
    'value.array': [],
    'value.object': [],
    'value.string': ['text'],
    'value.number': ['value'],
    'value.other': ['type'],

    'read.what.line': [],
    'read.what.key': ['key'],
    'read.what.path': ['path'],
    'read.what.json': [],
    'read.what.group': [],
    'read.empty': ['what'],
    'read.not-number': ['what', 'text'],
    'read.out-of-range': ['what', 'text'],
    'read.not-pair': ['text'],
    'read.key-twice': ['key'],
    'read.no-pairs': [],
    'read.several-keys': [],
    'read.key-missing': ['key', 'keys'],
    'read.not-json': [],
    'read.path-missing': ['path'],
    'read.json-type': ['what', 'got'],
    'read.no-pattern': [],
    'read.pattern-no-group': [],
    'read.pattern-invalid': ['detail'],
    'read.no-match': [],
    'read.group-empty': [],
    'read.too-long': ['length', 'max'],
    'read.control': [],
    'read.format': ['format'],
    'read.below': ['value', 'min'],
    'read.above': ['value', 'max'],
    'read.motion-value': ['got'],
    'read.contact-value': ['got'],
    'read.battery-value': ['value'],
    'read.number-value': ['kind', 'got'],
    'read.timeout': ['ms'],
    'read.offline': [],
    'read.simulated': [],

    'device.not-json': ['topic', 'detail'],
    'device.not-object': ['topic', 'detail'],
    'device.value': ['topic', 'detail'],
    'device.state': ['topic', 'detail'],
    'device.template': ['topic', 'detail'],
    'device.config': ['topic', 'detail'],
    'device.rpc-error': ['topic', 'detail'],
    'device.no-value': ['topic', 'detail'],

    'sensorhub-light.input.lux': ['topic', 'got'],
    'sensorhub-light.input.not-command': [],
    'sensorhub-light.input.action-type': ['where', 'got'],
    'sensorhub-light.input.action': ['action'],
    'sensorhub-light.input.brightness': ['max', 'got'],

    'sensorhub-threshold.input.command': ['command'],
    'sensorhub-threshold.input.no-key': [],
    'sensorhub-threshold.input.key-too-long': ['max'],
    'sensorhub-threshold.input.value': ['key', 'got'],
    'sensorhub-threshold.input.patch-shape': ['got'],
    'sensorhub-threshold.input.patch-empty': [],
    'sensorhub-threshold.input.limit': ['limit', 'got'],
    'sensorhub-threshold.input.hysteresis': ['got'],
    'sensorhub-threshold.input.too-many': ['key', 'max'],
    'sensorhub-threshold.limits.none': [],
    'sensorhub-threshold.limits.low-above-high': ['low', 'high'],
    'sensorhub-threshold.limits.hysteresis': [],

    'sensorhub-serial-port.list.timeout': ['ms'],
    'sensorhub-serial-port.list.failed': ['serialport', 'dev'],
} as const;

export type TextCode = keyof typeof TEXT_CODES;
export type TextParams<C extends TextCode> = { readonly [P in (typeof TEXT_CODES)[C][number]]: ProblemParam };

/** Sections of TEXT_CODES kept once, in the hub catalog's `common` section. */
export const SHARED_SECTIONS: readonly string[] = ['config', 'read', 'value', 'device'];

export function problem<C extends TextCode>(code: C, params: TextParams<C>, message: string): Problem {
    return { code, params, message };
}

/** A thrown problem: an Error for code that only knows errors, with the problem for the adapter. */
export class ProblemError extends Error {
    constructor(readonly problem: Problem) {
        super(problem.message);
    }
}

/** The problem an error carries (a ProblemError, or an error with a `problem` such as ReadError), if any. */
export function problemOfError(err: unknown): Problem | undefined {
    const p = (err as { problem?: unknown } | null | undefined)?.problem;
    return typeof p === 'object' && p !== null && typeof (p as Problem).code === 'string' ? (p as Problem) : undefined;
}

/** A short, printable quote of user or device text. */
export function quote(text: string): string {
    return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/** A value as a sentence fragment, in English (`the string "abc"`, `250`, `null`, `an object`) and as a problem. */
export function describeValue(v: unknown): Problem {
    if (v === null) return problem('value.null', {}, 'null');
    if (v === undefined) return problem('value.nothing', {}, 'nothing');
    if (Array.isArray(v)) return problem('value.array', {}, 'an array');
    if (typeof v === 'string') return problem('value.string', { text: quote(v) }, `the string ${quote(v)}`);
    if (typeof v === 'number' || typeof v === 'boolean')
        return problem('value.number', { value: String(v) }, String(v));
    if (typeof v === 'object') return problem('value.object', {}, 'an object');
    return problem('value.other', { type: typeof v }, `a ${typeof v}`);
}
