/** Editors name themselves with a random id; anything longer is not one of ours. */
export const CLIENT_MAX_CHARS = 64;

/** An editor's watch request: start (or renew) its lease, or end it. */
export interface WatchRequest {
    readonly client: string;
    readonly watch: boolean;
}

/** A watch request's body, checked; undefined when it names no client id an editor would send. */
export function watchRequest(body: unknown): WatchRequest | undefined {
    const fields = (body ?? {}) as Record<string, unknown>;
    const client = fields.client;
    if (typeof client !== 'string' || client.length === 0 || client.length > CLIENT_MAX_CHARS) return undefined;
    return { client, watch: fields.watch !== false };
}
