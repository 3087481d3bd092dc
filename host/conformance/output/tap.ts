// bfx conformance --tap: TAP version 13. A test point per case, in the
// catalogue's order; a case that cannot apply to the target is "ok … #
// SKIP" with the reason (it is not a test we chose to skip: it cannot
// apply, and the directive says why); a failure carries a YAML block.
// Several targets make one TAP 14 document: a subtest per target (its own
// stream, indented four spaces) and a test point for it in the parent's plan,
// rather than several documents one after the other, which parsers refuse.
import type { CaseResult } from '../runner.js';
import { backendName, ok, type RunResults } from './tally.js';

/** a description may not hold a # (it starts a directive) or a line break */
function escape(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/#/g, '\\#').replace(/\s*\n\s*/g, ' ');
}

/** a YAML block scalar, indented under its key */
function block(text: string, indent: string): string {
  return `|\n${text.split('\n').map((l) => `${indent}  ${l}`).join('\n')}`;
}

/** the test point of the n-th case */
export function tapPoint(n: number, r: CaseResult): string {
  const desc = `${n} - ${escape(`${r.case.id}: ${r.case.rule}`)}`;
  if (r.result === 'not-applicable') return `ok ${desc} # SKIP does not apply: ${escape(r.why ?? '')}\n`;
  if (r.result === 'pass') return `ok ${desc}\n`;
  const yaml = [
    '  ---',
    `  message: ${block(r.message ?? 'failed', '  ')}`,
    ...(r.at ? [`  at: ${JSON.stringify(r.at)}`] : []),
    `  clause: ${JSON.stringify(r.case.clause)}`,
    `  duration_ms: ${r.ms.toFixed(1)}`,
    '  ...',
  ];
  return `not ok ${desc}\n${yaml.join('\n')}\n`;
}

/** the version, what runs where, and the plan: written before the first case runs, so the points stream */
export function tapHead(run: Pick<RunResults, 'backend' | 'cpu' | 'filter' | 'catalogued' | 'chosen'>): string {
  const lines = ['TAP version 13', `# bfx conformance on ${backendName(run)}`];
  if (run.filter !== undefined) lines.push(`# --filter ${run.filter.replace(/\s*\n\s*/g, ' ')} matched ${run.chosen} of ${run.catalogued} cases`);
  lines.push(`1..${run.chosen}`);
  return `${lines.join('\n')}\n`;
}

/** a run that stopped before its plan was done says so */
export function tapEnd(run: RunResults): string {
  return run.interrupted ? `Bail out! interrupted (${run.interrupted}) after ${run.results.length} of ${run.chosen} cases\n` : '';
}

/** several targets: the parent document's version and plan, a test point per target */
export function tapTargets(n: number): string {
  return `TAP version 14\n1..${n}\n`;
}

/** a subtest's lines, four spaces in */
export function tapNest(text: string): string {
  return text.replace(/^(?=.)/gm, '    ');
}

/** a target's subtest, before its first point: its name, then its stream's head without the version line */
export function tapSubtest(run: Pick<RunResults, 'backend' | 'cpu' | 'filter' | 'catalogued' | 'chosen'>): string {
  return `# Subtest: ${escape(backendName(run))}\n${tapNest(tapHead(run).replace(/^TAP version 13\n/, ''))}`;
}

/** after a target's last point: its test point in the parent */
export function tapSubtestEnd(i: number, run: RunResults): string {
  return `${ok(run) ? 'ok' : 'not ok'} ${i} - ${escape(backendName(run))}\n`;
}
