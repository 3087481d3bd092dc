// bfx conformance --list: every case (or those --filter chose) with its
// area, clause and rule, and whether it applies to the target, and why not.
import { AREA_NAMES, AREAS, areaOf } from '../areas.js';
import type { Backend } from '../backends.js';
import type { Case } from '../catalogue/case.js';
import { notApplicable } from '../runner.js';

export interface Listed {
  id: string;
  area: string;
  clause: string;
  syscall?: string;
  /** the status the case asserts the syscall answers */
  status?: string;
  rule: string;
  /** what it asks of the backend beyond the ABI */
  needs: string[];
  applies: boolean;
  /** when it does not apply: what it needs that the target lacks, and why */
  why?: string;
}

export function listed(cases: readonly Case[], backend: Backend): Listed[] {
  return cases.map((c) => {
    const why = notApplicable(backend, c);
    return {
      id: c.id, area: areaOf(c), clause: c.clause, syscall: c.syscall, status: c.status, rule: c.rule,
      needs: [...(c.needs ?? [])], applies: why === undefined, ...(why !== undefined ? { why } : {}),
    };
  });
}

/** by area: a heading, then a line per case (ID, [clause], rule), and under one that does not apply, why */
export function listText(items: readonly Listed[], backend: Backend): string {
  const out: string[] = [];
  for (const area of AREA_NAMES) {
    const mine = items.filter((x) => x.area === area);
    if (!mine.length) continue;
    const width = Math.max(...mine.map((x) => x.id.length));
    out.push(`${area} — ${AREAS[area]} (${mine.length} cases)`);
    for (const x of mine) {
      out.push(`  ${x.id.padEnd(width)}  [${x.clause}] ${x.rule}`);
      if (!x.applies) out.push(`  ${' '.repeat(width)}  not on ${backend.name}: ${x.why}`);
    }
    out.push('');
  }
  const applying = items.filter((x) => x.applies).length;
  out.push(`${items.length} cases; ${applying} apply to ${backend.name}, ${items.length - applying} do not`);
  return `${out.join('\n')}\n`;
}
