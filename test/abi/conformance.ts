// The ABI conformance catalogue, run against one backend as vitest tests:
// one test per case, each calling the product's runner (bfx conformance
// runs the same), so that vitest runs the backends' files side by side.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../host/conformance/backends.js';
import { catalogue } from '../../host/conformance/catalogue/index.js';
import { check, notApplicable } from '../../host/conformance/runner.js';

/**
 * part [k, n]: only every n-th case from the k-th, so that a slow backend's
 * catalogue can be spread over n test files, which vitest runs side by side
 * (the cases that do not apply are listed in part 0).
 */
export function conformance(backend: Backend, part: [number, number] = [0, 1]): void {
  const [k, n] = part;
  describe(`ABI conformance on ${backend.name}${n > 1 ? ` (part ${k + 1} of ${n})` : ''}`, () => {
    const applicable = catalogue.filter((c) => notApplicable(backend, c) === undefined);
    const applies = applicable.filter((_, i) => i % n === k);
    const not = k === 0 ? catalogue.filter((c) => !applicable.includes(c)) : [];
    for (const c of applies) {
      it(`${c.id}: ${c.rule}`, () => check(backend, c));
    }
    if (not.length) {
      // not skipped: these cases cannot apply to this backend, and each says why
      it(`${not.length} cases do not apply to ${backend.name}, each for a reason the backend gives`, () => {
        for (const c of not) expect(`${c.id}: ${notApplicable(backend, c)}`).toMatch(/\(.{10,}\)/);
      });
    }
  });
}
