// The conformance catalogue's own assertions: each matcher passes and
// fails as the catalogue relies on, and a failure says what was got, what
// was wanted, and the case's message.
import { describe, expect as vexpect, it } from 'vitest';
import { AssertionError, expect } from '../../host/conformance/expect.js';

/** the message of the AssertionError fn throws */
function failure(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    vexpect(e).toBeInstanceOf(AssertionError);
    return (e as Error).message;
  }
  throw new Error('the assertion passed');
}

describe('expect', () => {
  it('toBe compares with Object.is, and says what was got and wanted, after the message', () => {
    expect(3n).toBe(3n);
    expect('a').not.toBe('b');
    vexpect(failure(() => expect(1n, 'status: got SUCCESS').toBe(0x80000001n))).toBe('status: got SUCCESS: got 1n, wanted 0x80000001n');
    vexpect(failure(() => expect(0n, 'a code segment').not.toBe(0n))).toBe('a code segment: got 0n, wanted anything but 0n');
    vexpect(failure(() => expect({}).toBe({}))).toBe('got {}, wanted {}');
  });

  it('toEqual compares deeply: bigints, arrays, objects, sets, maps, typed arrays; undefined properties count as absent', () => {
    expect([[1, 2n], { a: 'x', b: undefined }]).toEqual([[1, 2n], { a: 'x' }]);
    expect(new Set([1n, 2n])).toEqual(new Set([2n, 1n]));
    expect(new Map([[1, [2]]])).toEqual(new Map([[1, [2]]]));
    expect(new Uint8Array([1, 2])).toEqual(new Uint8Array([1, 2]));
    expect({ ppid: 0, why: 'x' }).toEqual({ why: 'x', ppid: 0 });
    vexpect(failure(() => expect([1, 2]).toEqual([1, 2, 3]))).toBe('got [1, 2], wanted [1, 2, 3] (deep equality)');
    vexpect(failure(() => expect([1n]).toEqual([1]))).toMatch(/got \[1n\], wanted \[1\]/);
    vexpect(failure(() => expect({ a: 1 }).toEqual({ a: 1, b: 2 }))).toMatch(/wanted \{ a: 1, b: 2 \}/);
    vexpect(failure(() => expect([]).toEqual({}))).toMatch(/got \[\], wanted \{\}/);
    vexpect(failure(() => expect(new Uint8Array([1])).toEqual(new Uint16Array([1])))).toMatch(/Uint8Array\(1\)/);
  });

  it('toContain finds text in a string and a value (===) in an array or a set', () => {
    expect('injected fault after x').toContain('injected fault');
    expect([1, 2]).toContain(2);
    expect(new Set([5n])).toContain(5n);
    expect([1, 2]).not.toContain(3);
    vexpect(failure(() => expect([1, 2], 'a zombie is never freed').toContain(3))).toBe('a zombie is never freed: got [1, 2], wanted a collection containing 3');
    vexpect(failure(() => expect([1]).not.toContain(1))).toBe('got [1], wanted anything but a collection containing 1');
    vexpect(failure(() => expect(5).toContain(5))).toMatch(/toContain takes a string or an iterable, got 5/);
  });

  it('toMatch takes a pattern or a text', () => {
    expect('vps 1 exited').toMatch(/exited/);
    expect('vps 1 exited').toMatch('1 ex');
    vexpect(failure(() => expect('stopped').toMatch(/failed/))).toBe('got "stopped", wanted a string matching /failed/');
    vexpect(failure(() => expect(undefined).toMatch(/x/))).toMatch(/toMatch takes a string, got undefined/);
  });

  it('the order matchers take numbers and bigints', () => {
    expect(2).toBeGreaterThan(1);
    expect(2n).toBeGreaterThan(1n);
    expect(1).toBeGreaterThanOrEqual(1);
    expect(0).toBeLessThan(1);
    expect(1).toBeLessThanOrEqual(1);
    vexpect(failure(() => expect(0, 'the guest exited').toBeGreaterThan(0))).toBe('the guest exited: got 0, wanted more than 0');
    vexpect(failure(() => expect(2).toBeLessThanOrEqual(1))).toBe('got 2, wanted at most 1');
    vexpect(failure(() => expect(2).not.toBeLessThan(3))).toBe('got 2, wanted anything but less than 3');
    vexpect(failure(() => expect('2').toBeGreaterThan(1))).toMatch(/takes a number or a bigint/);
  });

  it('toBeNull and toBeUndefined', () => {
    expect(null).toBeNull();
    expect(undefined).toBeUndefined();
    vexpect(failure(() => expect(7, 'nothing registered').toBeUndefined())).toBe('nothing registered: got 7, wanted undefined');
    vexpect(failure(() => expect(undefined).toBeNull())).toBe('got undefined, wanted null');
  });

  it('keeps what was got and wanted on the error, for a diff', () => {
    let error: unknown;
    try {
      expect([1]).toEqual([2]);
    } catch (e) {
      error = e;
    }
    vexpect(error).toMatchObject({ actual: [1], expected: [2], showDiff: true });
  });
});
