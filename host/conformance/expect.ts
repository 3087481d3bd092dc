// The assertions the conformance catalogue makes: the matchers its cases
// use, and no more, so that the catalogue runs as a product (bfx
// conformance) without a test framework. A failed one throws an
// AssertionError that says what was got, what was wanted, and the message
// the case gave as expect's second argument.
import { equal } from './equal.js';
import { show } from './show.js';

export class AssertionError extends Error {
  override readonly name = 'AssertionError';
  /** vitest shows a diff of these when a wrapped case fails */
  constructor(message: string, readonly actual: unknown, readonly expected: unknown, readonly showDiff = true) {
    super(message);
  }
}

type Ordered = number | bigint;

export interface Matchers {
  /** the same value (Object.is) */
  toBe(expected: unknown): void;
  /** deep equality: arrays, sets, maps and plain objects, undefined properties counted as absent */
  toEqual(expected: unknown): void;
  /** a string holds the text, or an array (any iterable) holds the value (===) */
  toContain(expected: unknown): void;
  /** a string matches the pattern, or holds the text */
  toMatch(expected: RegExp | string): void;
  toBeGreaterThan(n: Ordered): void;
  toBeGreaterThanOrEqual(n: Ordered): void;
  toBeLessThan(n: Ordered): void;
  toBeLessThanOrEqual(n: Ordered): void;
  toBeNull(): void;
  toBeUndefined(): void;
}

export interface Expectation extends Matchers {
  /** each matcher, the other way round */
  readonly not: Matchers;
}

export function expect(actual: unknown, message?: string): Expectation {
  return Object.assign(fromCaller(matchers(actual, message, false)), { not: fromCaller(matchers(actual, message, true)) });
}

/** a failure's stack starts at the line that called the matcher: the case's, which vitest and the runner then show */
function fromCaller(m: Matchers): Matchers {
  const out: Record<string, (...args: never[]) => void> = {};
  for (const [name, fn] of Object.entries(m) as [string, (...args: unknown[]) => void][]) {
    out[name] = function matcher(...args: unknown[]) {
      try {
        fn(...args);
      } catch (e) {
        if (e instanceof AssertionError) Error.captureStackTrace(e, matcher);
        throw e;
      }
    };
  }
  return out as unknown as Matchers;
}

function matchers(actual: unknown, message: string | undefined, negated: boolean): Matchers {
  /** passes when `ok` is what the matcher (or its .not) wants; else throws in words */
  const check = (ok: boolean, wanted: string, expected: unknown, diff = false) => {
    if (ok !== negated) return;
    const want = negated ? `anything but ${wanted}` : wanted;
    const text = `got ${show(actual)}, wanted ${want}`;
    throw new AssertionError(message ? `${message}: ${text}` : text, actual, expected, diff && !negated);
  };
  const ordered = (name: string, n: Ordered, ok: (a: Ordered) => boolean, wanted: string) => {
    if (typeof actual !== 'number' && typeof actual !== 'bigint') {
      throw new AssertionError(`${message ? `${message}: ` : ''}${name} takes a number or a bigint, got ${show(actual)}`, actual, n, false);
    }
    check(ok(actual), `${wanted} ${show(n)}`, n);
  };
  return {
    toBe: (e) => check(Object.is(actual, e), show(e), e, true),
    toEqual: (e) => check(equal(actual, e), `${show(e)} (deep equality)`, e, true),
    toContain(e) {
      if (typeof actual === 'string') return check(typeof e === 'string' && actual.includes(e), `a string containing ${show(e)}`, e);
      if (actual === null || typeof actual !== 'object' || !(Symbol.iterator in actual)) {
        throw new AssertionError(`${message ? `${message}: ` : ''}toContain takes a string or an iterable, got ${show(actual)}`, actual, e, false);
      }
      check([...(actual as Iterable<unknown>)].some((x) => x === e), `a collection containing ${show(e)}`, e);
    },
    toMatch(e) {
      if (typeof actual !== 'string') throw new AssertionError(`${message ? `${message}: ` : ''}toMatch takes a string, got ${show(actual)}`, actual, e, false);
      check(typeof e === 'string' ? actual.includes(e) : e.test(actual), `a string matching ${show(e)}`, e);
    },
    toBeGreaterThan: (n) => ordered('toBeGreaterThan', n, (a) => a > n, 'more than'),
    toBeGreaterThanOrEqual: (n) => ordered('toBeGreaterThanOrEqual', n, (a) => a >= n, 'at least'),
    toBeLessThan: (n) => ordered('toBeLessThan', n, (a) => a < n, 'less than'),
    toBeLessThanOrEqual: (n) => ordered('toBeLessThanOrEqual', n, (a) => a <= n, 'at most'),
    toBeNull: () => check(actual === null, 'null', null),
    toBeUndefined: () => check(actual === undefined, 'undefined', undefined),
  };
}
