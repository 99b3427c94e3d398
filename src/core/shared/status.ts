/**
 * A node status chosen by core, in words still to be said: a text is a
 * literal (a reading such as "21.4 °C") or a key of the node's `status.*`
 * texts, whose parameters may themselves be such texts ("<text> · 2 skipped").
 * The adapter says it in the runtime's language.
 */
export type StatusText =
    string | { readonly key: string; readonly params?: Readonly<Record<string, string | number | StatusText>> };

export interface StatusView {
    readonly fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
    readonly shape: 'ring' | 'dot';
    readonly text: StatusText;
}

/** A key of the node's status texts, with its parameters. */
export function said(key: string, params?: Readonly<Record<string, string | number | StatusText>>): StatusText {
    return params === undefined ? { key } : { key, params };
}
