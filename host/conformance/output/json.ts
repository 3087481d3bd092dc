// bfx conformance --json: the run as one JSON document; with several
// targets, one such document per target under `targets`.
import { areaOf } from '../areas.js';
import { byArea, count, ok, type RunResults } from './tally.js';

export function jsonDocument(run: RunResults): object {
  const totals = count(run.results);
  return {
    ok: ok(run),
    target: run.backend.name,
    arch: run.backend.arch,
    ...(run.cpu ? { cpu: run.cpu } : {}),
    ...(run.filter !== undefined ? { filter: run.filter } : {}),
    ...(run.interrupted ? { interrupted: run.interrupted } : {}),
    durationMs: Math.round(run.durationMs * 10) / 10,
    totals: { catalogued: run.catalogued, chosen: run.chosen, ...totals },
    areas: byArea(run.results),
    cases: run.results.map((r) => ({
      id: r.case.id,
      area: areaOf(r.case),
      clause: r.case.clause,
      rule: r.case.rule,
      result: r.result,
      durationMs: Math.round(r.ms * 10) / 10,
      ...(r.message !== undefined ? { message: r.message } : {}),
      ...(r.at !== undefined ? { at: r.at } : {}),
      ...(r.why !== undefined ? { why: r.why } : {}),
    })),
  };
}

/** one target: its document, as it always was; several: { ok, targets: [its document per target] } */
export function jsonRuns(runs: readonly RunResults[]): object {
  if (runs.length === 1) return jsonDocument(runs[0]);
  return { ok: runs.every(ok), targets: runs.map(jsonDocument) };
}
