// Runs one conformance case against one backend: whether it applies there
// (and why not), then the case itself with the checks every case gets —
// no handler of the case threw, the boundary and the backend agreed, and
// the case asserted the status it declares.
import type { Backend } from './backends.js';
import { provides } from './backends.js';
import { type Case, context, NO_RETURN, statusValue } from './catalogue/case.js';
import type { Driver } from './driver/driver.js';
import { expect } from './expect.js';

export type Verdict = 'pass' | 'fail' | 'not-applicable';

export interface CaseResult {
  case: Case;
  result: Verdict;
  /** wall time of the case, with the boots and shutdowns it made */
  ms: number;
  /** fail: what went wrong, in one message */
  message?: string;
  /** fail: where in the catalogue, when the stack says (file:line) */
  at?: string;
  /** fail: what was thrown, for a test framework to show */
  error?: unknown;
  /** not-applicable: what the case needs that the backend lacks, and why it lacks it */
  why?: string;
}

/** undefined when the case applies to the backend; else what it needs that the backend lacks, each with the backend's reason */
export function notApplicable(backend: Backend, c: Case): string | undefined {
  const lacking = (c.needs ?? []).filter((n) => !provides(backend, n));
  if (!lacking.length) return undefined;
  return lacking.map((n) => `needs ${n} (${backend.lacks?.[n]})`).join('; ');
}

/** the case, with the checks every case gets; throws what failed */
export async function check(backend: Backend, c: Case): Promise<void> {
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
}

/** the case's result on the backend: not-applicable, pass, or fail with what failed */
export async function runCase(backend: Backend, c: Case): Promise<CaseResult> {
  const why = notApplicable(backend, c);
  if (why !== undefined) return { case: c, result: 'not-applicable', ms: 0, why };
  const start = performance.now();
  try {
    await check(backend, c);
    return { case: c, result: 'pass', ms: performance.now() - start };
  } catch (error) {
    return { case: c, result: 'fail', ms: performance.now() - start, message: describe(error), at: where(error), error };
  }
}

/** an assertion says it all; anything else is named by its kind */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return `threw ${String(error)}`;
  return error.name === 'AssertionError' || error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
}

/** the first frame of the stack in the catalogue: where the case failed */
function where(error: unknown): string | undefined {
  const stack = error instanceof Error ? error.stack ?? '' : '';
  const m = /(host\/conformance\/catalogue\/[\w.-]+\.[jt]s):(\d+)/.exec(stack);
  return m ? `${m[1]}:${m[2]}` : undefined;
}
