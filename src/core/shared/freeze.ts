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
    // for…in with an own-property test, not Object.keys: no array per object (see copyPlain).
    for (const key in value) if (Object.hasOwn(value, key)) deepFreeze((value as Record<string, unknown>)[key]);
    return value;
}

/**
 * Copies plain data (plain objects and arrays, recursively) and hands anything
 * else (Buffers, class instances, HTTP request objects) to `other`. Values that
 * are already frozen are shared, not copied: a hub froze them deeply before.
 */
export function clonePlain(value: unknown, other: (v: object) => unknown): unknown {
    return copyTop(value, other, true);
}

/**
 * A copy of plain data that may be changed at every level: plain objects and arrays are copied, frozen or not,
 * and anything else (Buffers, Dates, class instances) goes to `other`. What a subscriber whose flow may change
 * its messages gets instead of the frozen shared values: the cost of a deep clone, paid only by such subscribers.
 */
export function thawCopy(value: unknown, other: (v: object) => unknown): unknown {
    return copyTop(value, other, false);
}

type Other = (v: object) => unknown;
type Plain = Record<string, unknown>;
/** A copier compiled for one shape (own enumerable keys, in order): the copy, or MISS if `v` is no plain object of it. */
type Cloner = (v: Plain, other: Other, shareFrozen: boolean) => unknown;
type ShapeNode = { next: Map<string, ShapeNode>; cloner?: Cloner };

const MISS = Symbol('miss');
// Bounds on what the shape cache holds: data with ever-new keys (ids as keys) falls back to the generic copy.
const MAX_SHAPES = 256;
const MAX_SHAPE_KEYS = 32;
const MAX_SHAPE_NODES = 4096;
const shapes: ShapeNode = { next: new Map() };
let shapeCount = 0;
let nodeCount = 0;
// Compiled cloners test keys without Object.hasOwn (that test took half their time): right as long as Object.prototype
// has no enumerable key for for…in to list after the own ones. Checked at each copy; if one was added, no cloner is used.
let shapesUsable = true;

/** A copy from the top: whether compiled cloners may be used is settled once per copy (see shapesUsable). */
function copyTop(value: unknown, other: Other, shareFrozen: boolean): unknown {
    shapesUsable = !hasEnumerableKey(Object.prototype);
    return copyPlain(value, other, shareFrozen);
}

function hasEnumerableKey(o: object): boolean {
    for (const _key in o) return true;
    return false;
}

function copyPlain(value: unknown, other: Other, shareFrozen: boolean): unknown {
    if (value === null || typeof value !== 'object' || (shareFrozen && Object.isFrozen(value))) return value;
    if (Array.isArray(value)) return copyArray(value, other, shareFrozen);
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype)
        return proto === null ? copyGeneric(value as Plain, other, shareFrozen) : other(value);
    const cloner = clonerOf(value as Plain);
    return cloner === undefined
        ? copyGeneric(value as Plain, other, shareFrozen)
        : cloner(value as Plain, other, shareFrozen);
}

// Arrays mostly hold objects of one shape (samples, readings): the cloner that fitted the last element is tried first.
function copyArray(value: unknown[], other: Other, shareFrozen: boolean): unknown[] {
    const out = new Array<unknown>(value.length);
    let cloner: Cloner | undefined;
    for (let i = 0; i < value.length; i++) {
        const x = value[i];
        const copy = cloner === undefined || !isCopied(x, shareFrozen) ? MISS : cloner(x as Plain, other, shareFrozen);
        if (copy !== MISS) out[i] = copy;
        else {
            out[i] = copyPlain(x, other, shareFrozen);
            cloner = isCopied(x, shareFrozen) ? plainClonerOf(x as object) : undefined;
        }
    }
    return out;
}

const isCopied = (x: unknown, shareFrozen: boolean): boolean =>
    x !== null && typeof x === 'object' && !(shareFrozen && Object.isFrozen(x));

function plainClonerOf(x: object): Cloner | undefined {
    return Array.isArray(x) || Object.getPrototypeOf(x) !== Object.prototype ? undefined : clonerOf(x as Plain);
}

// The copy of a null-prototype object, an object whose shape is not cached, or one with a `__proto__` key (a
// literal or an assignment would set the prototype instead of the key).
function copyGeneric(value: Plain, other: Other, shareFrozen: boolean): Plain {
    const out: Plain = Object.getPrototypeOf(value) === null ? (Object.create(null) as Plain) : {};
    // for…in with an own-property test visits what Object.keys lists, in the same order, without an array of keys.
    for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        const v = copyPlain(value[key], other, shareFrozen);
        if (key === '__proto__')
            Object.defineProperty(out, key, { value: v, writable: true, enumerable: true, configurable: true });
        else out[key] = v;
    }
    return out;
}

/** The cloner of the shape of a plain object (found in a tree of its keys), compiled on first sight, within bounds. */
function clonerOf(value: Plain): Cloner | undefined {
    if (!shapesUsable) return undefined;
    let node = shapes;
    let n = 0;
    for (const key in value) {
        if (!Object.hasOwn(value, key) || key === '__proto__' || ++n > MAX_SHAPE_KEYS) return undefined;
        let next = node.next.get(key);
        if (next === undefined) {
            if (nodeCount >= MAX_SHAPE_NODES) return undefined;
            nodeCount++;
            next = { next: new Map() };
            node.next.set(key, next);
        }
        node = next;
    }
    if (node.cloner === undefined && shapeCount < MAX_SHAPES) {
        shapeCount++;
        node.cloner = compileCloner(Object.keys(value));
    }
    return node.cloner;
}

/**
 * Copies the value at one key of a compiled shape. The cloner that fitted last time at this key is tried first, so a
 * nested payload of stable shape is copied without looking shapes up.
 */
function copySlot(fitted: (Cloner | undefined)[], i: number, x: unknown, other: Other, shareFrozen: boolean): unknown {
    if (!isCopied(x, shareFrozen)) return x;
    const cloner = fitted[i];
    if (cloner !== undefined) {
        const copy = cloner(x as Plain, other, shareFrozen);
        if (copy !== MISS) return copy;
    }
    fitted[i] = plainClonerOf(x as object);
    return copyPlain(x, other, shareFrozen);
}

/**
 * Lets copies of this shape share the numbers they copy instead of allocating each anew. V8 keeps a field that has
 * only ever held doubles as a mutable box per object, so copying an object with two such fields allocates two boxes
 * besides the object; once the shape's field has held something else it stores immutable numbers that copies share.
 * Object literals and JSON.parse build objects of a given key order on one shape, the one this cloner's literal
 * builds, so one copy of nulls made now widens those fields for the sources and the copies alike. A copy of the
 * ~2 KB payload in the fan-out benchmark allocated a third less; the hub carried half as much again per CPU second,
 * and so did Node-RED's own clones, which read the same widened objects. Nothing observable changes (numbers are
 * values, and V8 never mutates a shared one); the cost is that writing a double into such a field allocates anew.
 */
function shareNumbers(cloner: Cloner, keys: readonly string[]): void {
    const nulls: Plain = {};
    for (const k of keys) nulls[k] = null;
    cloner(nulls, (v) => v, false);
}

/**
 * A cloner for plain objects (prototype Object.prototype) with exactly these own enumerable keys in this order. It builds the copy as one object literal:
 * the object is allocated at its final size with its properties in place, where `out[key] = …` on `{}` grows it key
 * by key (past four keys into a separate property store). Keys enter the source only as JSON string literals.
 */
function compileCloner(keys: string[]): Cloner | undefined {
    const q = keys.map((k) => JSON.stringify(k));
    const checks = q.map((k, i) => `case ${i}: if (k !== ${k}) return MISS; break;`).join(' ');
    const props = q.map((k, i) => `${k}: copySlot(fitted, ${i}, v[${k}], other, shareFrozen)`).join(', ');
    const source = `return function (v, other, shareFrozen) {
        if (protoOf(v) !== plainProto) return MISS;
        let n = 0;
        for (const k in v) {
            switch (n++) { ${checks} default: return MISS; }
        }
        return n === ${keys.length} ? { ${props} } : MISS;
    };`;
    const fitted = new Array<Cloner | undefined>(keys.length).fill(undefined);
    try {
        // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the source holds no data but JSON-quoted keys
        const make = new Function('MISS', 'copySlot', 'fitted', 'protoOf', 'plainProto', source) as (
            ...a: unknown[]
        ) => Cloner;
        const cloner = make(MISS, copySlot, fitted, Object.getPrototypeOf, Object.prototype);
        shareNumbers(cloner, keys);
        return cloner;
    } catch {
        // Code generation refused (node --disallow-code-generation-from-strings): every object takes the generic copy.
        shapeCount = MAX_SHAPES;
        return undefined;
    }
}
