// What a person reads: a progress line per case as it ends (stderr), and at
// the end a table by ABI area with what failed and where.
import type { CaseResult } from '../runner.js';
import { backendName, byArea, count, ok, type RunResults } from './tally.js';

/** 12 ms, 0.8 s */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * "[ 12/484] vps.read16.success ok 0.8 s", and a failure's message indented
 * under it; with several targets, the target's name in the brackets
 * ("[ 12/484 qemu] …"), so that each line says where it ran
 */
export function progressLine(i: number, n: number, r: CaseResult, target?: string): string {
  const width = String(n).length;
  const head = `[${String(i).padStart(width)}/${n}${target ? ` ${target}` : ''}] ${r.case.id} ${r.result === 'pass' ? 'ok' : 'FAIL'} ${duration(r.ms)}`;
  if (r.result !== 'fail') return `${head}\n`;
  return `${head}\n${indent(failure(r), ' '.repeat(width * 2 + 4))}\n`;
}

/** the failure's message, and where in the catalogue it failed */
export function failure(r: CaseResult): string {
  return `${r.message ?? 'failed'}${r.at ? `\n(at ${r.at})` : ''}`;
}

function indent(text: string, by: string): string {
  return text.split('\n').map((l) => `${by}${l}`).join('\n');
}

const HEAD = ['area', 'passed', 'failed', 'not applicable'];

/** the verdict, the table by area, what failed, and where to read why cases do not apply */
export function summary(run: RunResults): string {
  const all = count(run.results);
  const rows = [...byArea(run.results).map((a) => [a.area, a.passed, a.failed, a.notApplicable]), ['all', all.passed, all.failed, all.notApplicable]]
    .map((r) => r.map(String));
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ').trimEnd();
  const verdict = run.interrupted ? 'INTERRUPTED' : ok(run) ? 'PASS' : 'FAIL';
  const out = [
    `── conformance: ${verdict} ── ${backendName(run)}, ${duration(run.durationMs)}: ${all.passed} passed, ${all.failed} failed, ${all.notApplicable} not applicable`
      + `${run.filter !== undefined ? ` (--filter ${run.filter}: ${run.chosen} of ${run.catalogued} cases)` : ''}`,
    line(HEAD),
    ...rows.slice(0, -1).map(line),
    '-'.repeat(widths.reduce((a, b) => a + b + 2, -2)),
    line(rows[rows.length - 1]),
  ];
  if (run.interrupted) out.push(`interrupted (${run.interrupted}) after ${run.results.length} of ${run.chosen} cases: the rest did not run`);
  const failed = run.results.filter((r) => r.result === 'fail');
  if (failed.length) {
    out.push('', `failed (${failed.length}):`);
    for (const r of failed) out.push(`  ${r.case.id}: ${r.case.rule}`, indent(failure(r), '    '));
  }
  if (all.notApplicable) out.push('', `${all.notApplicable === 1 ? '1 case does' : `${all.notApplicable} cases do`} not apply to ${run.backend.name}: bfx conformance --list --target ${run.backend.name}${run.cpu ? ` --cpu ${run.cpu}` : ''} says why`);
  return `${out.join('\n')}\n`;
}

/** a summary per target, and with several a last line with the verdict over them all */
export function summaries(runs: readonly RunResults[]): string {
  const each = runs.map(summary);
  if (runs.length === 1) return each[0];
  const word = (run: RunResults) => (run.interrupted ? 'INTERRUPTED' : ok(run) ? 'PASS' : 'FAIL');
  const all = runs.some((r) => r.interrupted) ? 'INTERRUPTED' : runs.every(ok) ? 'PASS' : 'FAIL';
  return `${each.join('\n')}\n══ conformance on ${runs.length} targets: ${all} ══ ${runs.map((r) => `${r.backend.name} ${word(r)}`).join(', ')}\n`;
}
