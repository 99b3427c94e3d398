import type { Node, NodeAPI, NodeMessage } from 'node-red';

/**
 * Fields the editor shows as typed inputs (a `<key>` + `<key>Type` pair, as
 * Node-RED's own change, switch and inject nodes save them). The adapter
 * evaluates the field and hands the plain value to the core parser, which
 * checks it as it checks a value typed into the dialog.
 */
export type ValueType = 'str' | 'num' | 'msg' | 'env' | 'flow' | 'global';

export interface TypedField {
    readonly key: string;
    /** As saved for `num` and `str` (an old flow's number field may hold a number); else a trimmed name. */
    readonly value: unknown;
    readonly type: ValueType;
}

/** Why a typed field has no usable value: each adapter words it in its own catalog. */
export type TypedProblem =
    | { readonly problem: 'type'; readonly type: string; readonly types: string }
    | { readonly problem: 'unset'; readonly source: string }
    | { readonly problem: 'read'; readonly source: string; readonly reason: string };

export type Evaluated = { readonly value: unknown } | TypedProblem;

const TYPES: readonly ValueType[] = ['str', 'num', 'msg', 'env', 'flow', 'global'];

/**
 * Reads a `<key>` + `<key>Type` pair. A flow saved before the field was typed
 * has no `<key>Type`: it gets `fallback`, what the field always was, and so
 * behaves exactly as before.
 */
export function typedField(
    def: Record<string, unknown>,
    key: string,
    allowed: readonly ValueType[],
    fallback: ValueType,
): TypedField | TypedProblem {
    const saved = def[`${key}Type`];
    const type = saved === undefined || saved === null || saved === '' ? fallback : saved;
    if (typeof type !== 'string' || !TYPES.includes(type as ValueType) || !allowed.includes(type as ValueType))
        return {
            problem: 'type',
            type: typeof type === 'string' ? type.slice(0, 40) : typeof type,
            types: allowed.join(', '),
        };
    const raw = def[key];
    if (type === 'num' || type === 'str') return { key, value: raw, type };
    return { key, value: typeof raw === 'string' ? raw.trim() : '', type: type as ValueType };
}

/** The msg property a node takes its value from (a msg-only typed input): `payload` in flows saved before it. */
export const messageProperty = (def: Record<string, unknown>): string =>
    typeof def.property === 'string' && def.property.trim() !== '' ? def.property.trim() : 'payload';

export const isProblem = (v: TypedField | Evaluated): v is TypedProblem => 'problem' in v;

/** Whether the value is fixed once the flow is deployed: read it once then, not per message. */
export const isFixed = (field: TypedField): boolean =>
    field.type === 'str' || field.type === 'num' || field.type === 'env';

/** `flow.limit`, `env.PORT`: where a value came from, for messages. */
export const sourceOf = (field: TypedField): string => `${field.type}.${String(field.value)}`;

const missing = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** A fixed field's value (see isFixed): the saved value itself, or an environment variable's. */
export function evaluateFixed(RED: NodeAPI, node: Node, field: TypedField): Evaluated {
    if (field.type !== 'env') return { value: field.value };
    let value: unknown;
    try {
        value = RED.util.evaluateNodeProperty(String(field.value), 'env', node, {});
    } catch (err) {
        return { problem: 'read', source: sourceOf(field), reason: (err as Error).message };
    }
    return missing(value) ? { problem: 'unset', source: sourceOf(field) } : { value };
}

/** A property of a message, undefined when it or a level on the way is missing; an error for a bad expression. */
export function messageValue(RED: NodeAPI, msg: NodeMessage, path: string): { value: unknown } | { error: string } {
    try {
        RED.util.normalisePropertyExpression(path);
    } catch (err) {
        return { error: (err as Error).message };
    }
    try {
        return { value: RED.util.getMessageProperty(msg, path) as unknown };
    } catch {
        // Node-RED throws when a level on the way is missing: that property is as unset as a missing last level.
        return { value: undefined };
    }
}

/** A `msg` field's value in a message: read at once, so a caller that needs no callback has none. */
export function evaluateMessage(RED: NodeAPI, field: TypedField, msg: NodeMessage): Evaluated {
    const got = messageValue(RED, msg, String(field.value));
    if ('error' in got) return { problem: 'read', source: sourceOf(field), reason: got.error };
    const value = got.value;
    return missing(value) ? { problem: 'unset', source: sourceOf(field) } : { value };
}

/**
 * A field's value for one message. Flow and global context are read through
 * the callback form, so a context store that answers only asynchronously works.
 */
export function evaluate(
    RED: NodeAPI,
    node: Node,
    field: TypedField,
    msg: NodeMessage,
    callback: (result: Evaluated) => void,
): void {
    if (field.type === 'msg') {
        callback(evaluateMessage(RED, field, msg));
        return;
    }
    if (field.type !== 'flow' && field.type !== 'global') {
        callback(evaluateFixed(RED, node, field));
        return;
    }
    try {
        RED.util.evaluateNodeProperty(
            String(field.value),
            field.type,
            node,
            msg,
            (err: Error | null, value: unknown) => {
                if (err) callback({ problem: 'read', source: sourceOf(field), reason: err.message });
                else callback(missing(value) ? { problem: 'unset', source: sourceOf(field) } : { value });
            },
        );
    } catch (err) {
        callback({ problem: 'read', source: sourceOf(field), reason: (err as Error).message });
    }
}

/** A problem in words, from the catalog section of the node that has it (keys `value-type`, `value-unset`, `value-read`). */
export function problemText(RED: NodeAPI, section: string, field: string, p: TypedProblem): string {
    return RED._(`${section}.errors.value-${p.problem}`, { field, ...p });
}
