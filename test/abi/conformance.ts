// The ABI conformance catalogue, run against one backend: one definition,
// each backend's test file calls it (so that vitest runs them side by side).
import { describe, expect, it } from 'vitest';
import { type Backend, type Driver, provides } from '../harness/driver.js';
import { context, NO_RETURN, statusValue } from './catalogue/case.js';
import { catalogue } from './catalogue/index.js';

/**
 * part [k, n]: only every n-th case from the k-th, so that a slow backend's
 * catalogue can be spread over n test files, which vitest runs side by side
 * (the cases that do not apply are listed in part 0).
 */
export function conformance(backend: Backend, part: [number, number] = [0, 1]): void {
  const [k, n] = part;
  describe(`ABI conformance on ${backend.name}${n > 1 ? ` (part ${k + 1} of ${n})` : ''}`, () => {
    const applicable = catalogue.filter((c) => (c.needs ?? []).every((x) => provides(backend, x)));
    const applies = applicable.filter((_, i) => i % n === k);
    const not = k === 0 ? catalogue.filter((c) => !applicable.includes(c)) : [];
    for (const c of applies) {
      it(`${c.id}: ${c.rule}`, async () => {
        const asserted = new Set<bigint>();
        const drivers: Driver[] = [];
        try {
          await c.run(context(backend, c, asserted, drivers));
          // an expect that failed inside a handler was contained by the host as a fault of the extension
          for (const d of drivers) d.check();
          // the boundary keeps its own records of the kernel: where they disagree, one of them is wrong
          const disagreements = drivers.flatMap((d) => d.host.env.audit.records.filter((r) => r.kind === 'disagreement'));
          expect(disagreements.map((r) => r.message), 'the boundary and the backend disagreed').toEqual([]);
          if (c.status && !(c.status === 'BF_STATUS_SUCCESS' && c.syscall && NO_RETURN.has(c.syscall))) {
            expect(asserted, `the case declares ${c.status} but never asserted it`).toContain(statusValue(c.status));
          }
        } finally {
          await Promise.all(drivers.map((d) => d.close()));
        }
      });
    }
    if (not.length) {
      // not skipped: these cases cannot apply to this backend, and each says why
      it(`${not.length} cases do not apply to ${backend.name}, each for a reason the backend gives`, () => {
        const why = not.map((c) => {
          const lacking = (c.needs ?? []).filter((n) => !provides(backend, n));
          return `${c.id}: ${lacking.map((n) => `${n} (${backend.lacks?.[n]})`).join('; ')}`;
        });
        for (const line of why) expect(line).toMatch(/\(.{10,}\)/);
      });
    }
  });
}
