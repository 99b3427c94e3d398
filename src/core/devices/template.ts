/**
 * The simple Home Assistant value templates, compiled once when an entity is
 * discovered: `{{ value }}`, `{{ value_json.a.b }}`, `{{ value_json['a'] }}`,
 * `{{ value_json[0] }}`, with `| float`, `| int` and `| round(n)` filters.
 * Anything else is refused: a template is never evaluated as code.
 */

export type Filter =
    { readonly op: 'float' } | { readonly op: 'int' } | { readonly op: 'round'; readonly digits: number };

export interface ValueTemplate {
    /** undefined: the payload text itself (`value`); else the path into the parsed JSON. */
    readonly path?: readonly (string | number)[];
    readonly filters: readonly Filter[];
}

export const PLAIN_VALUE: ValueTemplate = { filters: [] };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
const INDEX = /^\[\s*(?:'([^']*)'|"([^"]*)"|(\d+))\s*\]/;
const ROUND = /^round\s*(?:\(\s*(\d{1,2})\s*\))?$/;

/** The template compiled, or undefined when it is not one of the simple forms. */
export function compileTemplate(template: string): ValueTemplate | undefined {
    const t = template.trim();
    if (!t.startsWith('{{') || !t.endsWith('}}')) return undefined;
    const parts = t.slice(2, -2).split('|');
    const head = parts[0].trim();
    const filters: Filter[] = [];
    for (const part of parts.slice(1)) {
        const f = compileFilter(part.trim());
        if (f === undefined) return undefined;
        filters.push(f);
    }
    if (head === 'value') return { filters };
    if (!head.startsWith('value_json')) return undefined;
    const path = compilePath(head.slice('value_json'.length));
    return path === undefined ? undefined : { path, filters };
}

function compileFilter(f: string): Filter | undefined {
    if (f === 'float' || f === 'float()') return { op: 'float' };
    if (f === 'int' || f === 'int()') return { op: 'int' };
    const m = ROUND.exec(f);
    return m ? { op: 'round', digits: (m[1] as string | undefined) === undefined ? 0 : Number(m[1]) } : undefined;
}

function compilePath(rest: string): (string | number)[] | undefined {
    const path: (string | number)[] = [];
    let s = rest.trim();
    while (s !== '') {
        if (s.startsWith('.')) {
            const m = IDENT.exec(s.slice(1));
            if (!m) return undefined;
            path.push(m[0]);
            s = s.slice(1 + m[0].length);
            continue;
        }
        const m = INDEX.exec(s);
        if (!m) return undefined;
        const [, single, double, index] = m as unknown as [
            string,
            string | undefined,
            string | undefined,
            string | undefined,
        ];
        path.push(index === undefined ? (single ?? double ?? '') : Number(index));
        s = s.slice(m[0].length);
    }
    return path.length === 0 ? undefined : path;
}

/**
 * The template applied to one payload (its text, and its JSON parsed once by
 * the caller); undefined when the path is missing. A filter that gets no
 * number passes the value on, so `nan` or `unavailable` still reads as "no
 * value" and any other text as a value of the wrong type.
 */
export function applyTemplate(t: ValueTemplate, textValue: string, json: unknown): unknown {
    let v: unknown = textValue;
    if (t.path !== undefined) {
        v = json;
        for (const key of t.path) {
            if (typeof v !== 'object' || v === null) return undefined;
            v = (v as Record<string | number, unknown>)[key];
        }
    }
    for (const f of t.filters) {
        const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
        if (!Number.isFinite(n)) return v;
        v = f.op === 'float' ? n : f.op === 'int' ? Math.trunc(n) : roundTo(n, f.digits);
    }
    return v;
}

function roundTo(n: number, digits: number): number {
    const k = 10 ** digits;
    return Math.round(n * k) / k;
}
