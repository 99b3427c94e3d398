/**
 * Event types and subscription patterns.
 *
 * Event types are `/`-separated levels, like MQTT topics, so a hub can be
 * bridged to a broker without renaming anything. Patterns add `+` (exactly one
 * level) and `#` (this level and every one below it, last level only).
 */

import { describeValue, type ProblemParam } from './texts';

export const MAX_EVENT_TYPE_LENGTH = 1024;

/** What is wrong with an event type or pattern, as a message code (see CONFIG_CODES) with its parameters and English text. */
export interface TopicProblem {
    readonly code:
        | 'type-not-string'
        | 'type-empty'
        | 'type-too-long'
        | 'type-wildcard'
        | 'type-nul'
        | 'pattern-not-string'
        | 'pattern-empty'
        | 'pattern-too-long'
        | 'pattern-nul'
        | 'pattern-hash'
        | 'pattern-plus';
    readonly params: Readonly<Record<string, ProblemParam>>;
    readonly message: string;
}

/** Returns an error text for an invalid event type, or `undefined` when it is valid. */
export function eventTypeError(type: unknown): string | undefined {
    return eventTypeProblem(type)?.message;
}

export function eventTypeProblem(type: unknown): TopicProblem | undefined {
    if (typeof type !== 'string')
        return {
            code: 'type-not-string',
            params: { got: describeValue(type) },
            message: `event type must be a string, got ${describeValue(type).message}`,
        };
    if (type.length === 0) return { code: 'type-empty', params: {}, message: 'event type is empty' };
    if (type.length > MAX_EVENT_TYPE_LENGTH)
        return {
            code: 'type-too-long',
            params: { max: MAX_EVENT_TYPE_LENGTH },
            message: `event type is longer than ${MAX_EVENT_TYPE_LENGTH} characters`,
        };
    if (type.includes('+') || type.includes('#'))
        return {
            code: 'type-wildcard',
            params: { type },
            message: `event type "${type}" contains a wildcard (+ or #)`,
        };
    if (type.includes('\u0000'))
        return { code: 'type-nul', params: {}, message: 'event type contains a NUL character' };
    return undefined;
}

/** Returns an error text for an invalid subscription pattern, or `undefined` when it is valid. */
export function patternError(pattern: unknown): string | undefined {
    return patternProblem(pattern)?.message;
}

export function patternProblem(pattern: unknown): TopicProblem | undefined {
    if (typeof pattern !== 'string')
        return {
            code: 'pattern-not-string',
            params: { got: describeValue(pattern) },
            message: `pattern must be a string, got ${describeValue(pattern).message}`,
        };
    if (pattern.length === 0) return { code: 'pattern-empty', params: {}, message: 'pattern is empty' };
    if (pattern.length > MAX_EVENT_TYPE_LENGTH)
        return {
            code: 'pattern-too-long',
            params: { pattern: pattern.slice(0, 40), max: MAX_EVENT_TYPE_LENGTH },
            message: `pattern is longer than ${MAX_EVENT_TYPE_LENGTH} characters`,
        };
    if (pattern.includes('\u0000'))
        return { code: 'pattern-nul', params: {}, message: 'pattern contains a NUL character' };
    const levels = pattern.split('/');
    for (let i = 0; i < levels.length; i++) {
        const level = levels[i];
        if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
            return {
                code: 'pattern-hash',
                params: { pattern },
                message: `pattern "${pattern}": # must be a whole level and the last one`,
            };
        }
        if (level.includes('+') && level !== '+') {
            return {
                code: 'pattern-plus',
                params: { pattern },
                message: `pattern "${pattern}": + must be a whole level`,
            };
        }
    }
    return undefined;
}

export function isWildcard(pattern: string): boolean {
    return pattern.includes('+') || pattern.includes('#');
}

/**
 * Splits a comma- or newline-separated list of patterns, as typed in the edit dialog.
 * Blank entries are dropped; duplicates are kept once.
 */
export function parsePatternList(text: string): string[] {
    const seen = new Set<string>();
    for (const part of text.split(/[,\n]/)) {
        const p = part.trim();
        if (p) seen.add(p);
    }
    return [...seen];
}

/** MQTT matching on pre-split levels (`#` also matches the parent level). */
export function levelsMatch(pattern: readonly string[], type: readonly string[]): boolean {
    for (let i = 0; i < pattern.length; i++) {
        const p = pattern[i];
        if (p === '#') return true;
        if (i >= type.length) return false;
        if (p !== '+' && p !== type[i]) return false;
    }
    return pattern.length === type.length;
}

/** Whether a valid event type matches a valid pattern (MQTT rules, `#` also matches the parent level). */
export function topicMatches(pattern: string, type: string): boolean {
    if (pattern === type) return true;
    if (!isWildcard(pattern)) return false;
    return levelsMatch(pattern.split('/'), type.split('/'));
}
