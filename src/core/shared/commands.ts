/**
 * The command a message carries: `msg.command` (any type, so a wrong one can
 * be named in the error), or a payload of exactly `start` or `stop`, which is
 * what an inject node set to a string sends.
 */
export function commandOf(msg: { command?: unknown; payload?: unknown }): string | undefined {
    const c = msg.command;
    if (c !== undefined) return typeof c === 'string' ? c.trim() : typeof c === 'number' ? String(c) : typeof c;
    if (msg.payload === 'start' || msg.payload === 'stop') return msg.payload;
    return undefined;
}
