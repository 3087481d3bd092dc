// What a run came to: its results counted by area and in all.
import { AREA_NAMES, areaOf } from '../areas.js';
import type { Backend } from '../backends.js';
import type { CaseResult } from '../runner.js';

export interface Counts {
  passed: number;
  failed: number;
  notApplicable: number;
}

export interface AreaCounts extends Counts {
  area: string;
}

/** a run of the catalogue (or the cases --filter chose) on one backend */
export interface RunResults {
  backend: Backend;
  /** the Bochs CPU model, with --target bochs */
  cpu?: string;
  results: CaseResult[];
  /** cases in the catalogue, before the filter */
  catalogued: number;
  /** cases the run was to take: those --filter chose (results holds fewer when it was interrupted) */
  chosen: number;
  filter?: string;
  durationMs: number;
  /** the signal that stopped the run before every case ran */
  interrupted?: string;
}

export function count(results: readonly CaseResult[]): Counts {
  const n = (v: CaseResult['result']) => results.filter((r) => r.result === v).length;
  return { passed: n('pass'), failed: n('fail'), notApplicable: n('not-applicable') };
}

/** per area that has a case among the results, in the catalogue's order */
export function byArea(results: readonly CaseResult[]): AreaCounts[] {
  return AREA_NAMES
    .map((area) => ({ area, ...count(results.filter((r) => areaOf(r.case) === area)) }))
    .filter((a) => a.passed + a.failed + a.notApplicable > 0);
}

/** every applicable case ran and passed */
export function ok(run: RunResults): boolean {
  return !run.interrupted && run.results.every((r) => r.result !== 'fail');
}

/** what the backend runs: its architectures, and the Bochs model */
export function archOf(run: Pick<RunResults, 'backend' | 'cpu'>): string {
  return [...run.backend.arch, ...(run.cpu ? [run.cpu] : [])].join(', ');
}

/** the backend in a few words: its name, architectures, and model */
export function backendName(run: Pick<RunResults, 'backend' | 'cpu'>): string {
  return `${run.backend.name} (${archOf(run)})`;
}
