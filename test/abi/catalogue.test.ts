// The ABI conformance catalogue, run against every backend.
import { describe, expect, it } from 'vitest';
import { backends, type Driver, provides } from '../harness/driver.js';
import { context, NO_RETURN, statusValue } from './catalogue/case.js';
import { catalogue } from './catalogue/index.js';

describe.each(backends)('ABI conformance on $name', (backend) => {
  for (const c of catalogue) {
    const lacking = (c.needs ?? []).filter((n) => !provides(backend, n));
    it.skipIf(lacking.length > 0)(`${c.id}: ${c.rule}`, async () => {
      const asserted = new Set<bigint>();
      const drivers: Driver[] = [];
      await c.run(context(backend, c, asserted, drivers));
      // an expect that failed inside a handler was contained by the host as a fault of the extension
      for (const d of drivers) d.check();
      // the boundary keeps its own records of the kernel: where they disagree, one of them is wrong
      const disagreements = drivers.flatMap((d) => d.host.env.audit.records.filter((r) => r.kind === 'disagreement'));
      expect(disagreements.map((r) => r.message), 'the boundary and the backend disagreed').toEqual([]);
      if (c.status && !(c.status === 'BF_STATUS_SUCCESS' && c.syscall && NO_RETURN.has(c.syscall))) {
        expect(asserted, `the case declares ${c.status} but never asserted it`).toContain(statusValue(c.status));
      }
    });
  }
});
