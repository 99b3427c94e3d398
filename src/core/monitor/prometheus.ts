/**
 * The Prometheus text exposition format, version 0.0.4:
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */

/** A summary here carries quantiles only (no _sum or _count), which the format allows. */
export type MetricType = 'counter' | 'gauge' | 'summary';

export interface Sample {
    /** Label names to values, in the order they are written. */
    readonly labels?: Readonly<Record<string, string>>;
    readonly value: number;
}

export interface MetricFamily {
    readonly name: string;
    readonly help: string;
    readonly type: MetricType;
    readonly samples: readonly Sample[];
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Why `name` cannot name a metric, or undefined when it can. */
export function metricNameError(name: string): string | undefined {
    return METRIC_NAME.test(name) ? undefined : `metric name "${name}" must match [a-zA-Z_:][a-zA-Z0-9_:]*`;
}

/** Why `name` cannot name a label, or undefined when it can; names starting with __ are Prometheus's own. */
export function labelNameError(name: string): string | undefined {
    if (!LABEL_NAME.test(name)) return `label name "${name}" must match [a-zA-Z_][a-zA-Z0-9_]*`;
    if (name.startsWith('__')) return `label name "${name}" must not start with __ (reserved)`;
    return undefined;
}

/** A label value as written between double quotes: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
    return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text: backslash and line feed escaped (a double quote stands as it is there). */
export function escapeHelp(text: string): string {
    return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** A sample value: Go's float notation for the special values. */
export function formatValue(v: number): string {
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return '+Inf';
    if (v === -Infinity) return '-Inf';
    return String(v);
}

function labelSet(labels: Readonly<Record<string, string>> | undefined): string {
    if (labels === undefined) return '';
    const parts: string[] = [];
    for (const [k, v] of Object.entries(labels)) {
        const err = labelNameError(k);
        if (err !== undefined) throw new Error(err);
        parts.push(`${k}="${escapeLabelValue(v)}"`);
    }
    return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/**
 * Writes metric families as exposition text. Families of one name are merged
 * under one HELP and TYPE line, where the first one stood (the format wants a
 * family's lines together); a family without samples is left out. Throws on an
 * invalid metric or label name, or on one name given two types: those are
 * mistakes in the caller, not in the data.
 */
export function formatPrometheus(families: readonly MetricFamily[]): string {
    const merged = new Map<string, { help: string; type: MetricType; samples: Sample[] }>();
    for (const f of families) {
        const err = metricNameError(f.name);
        if (err !== undefined) throw new Error(err);
        const seen = merged.get(f.name);
        if (seen === undefined) merged.set(f.name, { help: f.help, type: f.type, samples: [...f.samples] });
        else if (seen.type !== f.type) throw new Error(`metric "${f.name}" is both a ${seen.type} and a ${f.type}`);
        else seen.samples.push(...f.samples);
    }
    const lines: string[] = [];
    for (const [name, f] of merged) {
        if (f.samples.length === 0) continue;
        lines.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`);
        for (const s of f.samples) lines.push(`${name}${labelSet(s.labels)} ${formatValue(s.value)}`);
    }
    return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
