/**
 * Deep-freezes plain data in place. Typed arrays and Buffers cannot be frozen
 * by JavaScript; they are left as they are and copied per delivery instead
 * (see `copyForDelivery`).
 */
export function deepFreeze<T>(value: T): T {
    if (value === null || typeof value !== 'object' || Object.isFrozen(value) || ArrayBuffer.isView(value)) {
        return value;
    }
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    return value;
}

/** Whether every own value of `msg` is a primitive (no object that could be shared). */
export function isFlat(msg: Record<string, unknown>): boolean {
    for (const key in msg) {
        const v = msg[key];
        if (v !== null && typeof v === 'object') return false;
    }
    return true;
}
