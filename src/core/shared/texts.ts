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
    'read.failed': ['detail'],
    'hub.closed': [],
    'hub.no-pattern': [],
    'hub.bad-group': ['detail'],

    'device.not-json': ['topic', 'detail'],
    'device.not-object': ['topic', 'detail'],
    'device.value': ['topic', 'detail'],
    'device.state': ['topic', 'detail'],
    'device.template': ['topic', 'detail'],
    'device.config': ['topic', 'detail'],
    'device.rpc-error': ['topic', 'detail'],
    'device.no-value': ['topic', 'detail'],

    'sensorhub-door-lock.errors.both': [],
    'sensorhub-door-lock.errors.command-type': ['got'],
    'sensorhub-door-lock.errors.command-unknown': ['command'],
    'sensorhub-door-lock.errors.feedback-type': ['got'],
    'sensorhub-door-lock.errors.feedback-unknown': ['feedback'],
    'sensorhub-door-lock.errors.code-type': ['got'],
    'sensorhub-door-lock.errors.motion-type': ['topic', 'got'],
    'sensorhub-door-lock.errors.unknown-message': ['patterns', 'topic'],

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
export const SHARED_SECTIONS: readonly string[] = ['config', 'read', 'value', 'device', 'hub'];

export function problem<C extends TextCode>(code: C, params: TextParams<C>, message: string): Problem {
    return { code, params, message };
}

/**
 * The one error that carries a problem: thrown where code only knows errors
 * (a failed read, a refused publish, a bad configuration), its `problem` for
 * the adapter to say in the user's language (see src/config-text.ts), its
 * message the English one. ConfigError, ReadError and HubError are thin
 * subclasses of it.
 */
export class ProblemError extends Error {
    constructor(
        readonly problem: Problem,
        message = problem.message,
    ) {
        super(message);
    }
}

/** The problem an error carries (a ProblemError, or an error with a `problem` such as ReadError), if any. */
export function problemOfError(err: unknown): Problem | undefined {
    const p = (err as { problem?: unknown } | null | undefined)?.problem;
    return typeof p === 'object' && p !== null && typeof (p as Problem).code === 'string' ? (p as Problem) : undefined;
}

/**
 * The one way to show a value in an error text (both languages). Problems are
 * data: an adapter says a described value in the user's language (the shared
 * `value.` texts), and core uses the English `message` for logs and devices.
 */

/** A short, printable quote of user or device text: JSON string syntax, cut after 40 characters. */
export function quote(text: string): string {
    return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/** A value as a sentence fragment, in English (`the string "abc"`, `250`, `null`, `an object`) and as a problem. */
export function describeValue(v: unknown): Problem {
    if (typeof v === 'string') return problem('value.string', { text: quote(v) }, `the string ${quote(v)}`);
    if (typeof v === 'number' || typeof v === 'boolean')
        return problem('value.number', { value: String(v) }, String(v));
    return describeType(v);
}

/** Only what kind of value it is (`a number`, `an array`), never the value: for secrets such as an unlock code. */
export function describeType(v: unknown): Problem {
    if (v === null) return problem('value.null', {}, 'null');
    if (v === undefined) return problem('value.nothing', {}, 'nothing');
    if (Array.isArray(v)) return problem('value.array', {}, 'an array');
    if (typeof v === 'object') return problem('value.object', {}, 'an object');
    return problem('value.other', { type: typeof v }, `a ${typeof v}`);
}

/** Whether `v` is one of `choices` (a command, a mode), typed as one. */
export function isOneOf<T extends string>(choices: readonly T[], v: string): v is T {
    return (choices as readonly string[]).includes(v);
}
