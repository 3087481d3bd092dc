// bfx conformance --junit <file>: JUnit XML, as CI servers read it. A
// testsuite per ABI area, a testcase per case; a case that cannot apply to
// the target is <skipped> with the reason, a failure <failure> with its message.
// With several targets, a testsuite per target and area ("qemu.vm"), so that
// a case's name stays unique within its classname.
import { areaOf } from '../areas.js';
import type { CaseResult } from '../runner.js';
import { backendName, byArea, count, type RunResults } from './tally.js';

function xml(text: string): string {
  // characters XML 1.0 cannot hold at all are dropped; the five it reserves are escaped
  return text.replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function testcase(r: CaseResult, suite: string): string {
  const head = `    <testcase classname="bfx.conformance.${xml(suite)}" name="${xml(r.case.id)}" time="${seconds(r.ms)}"`;
  if (r.result === 'pass') return `${head}/>`;
  const inner = r.result === 'not-applicable'
    ? `<skipped message="${xml(`does not apply: ${r.why ?? ''}`)}"/>`
    : `<failure message="${xml((r.message ?? 'failed').split('\n')[0])}" type="${xml(r.case.clause)}">${xml(`${r.case.rule}\n${r.message ?? ''}${r.at ? `\nat ${r.at}` : ''}`)}</failure>`;
  return `${head}>\n      ${inner}\n    </testcase>`;
}

export function junit(runs: readonly RunResults[]): string {
  const results = runs.flatMap((run) => run.results);
  const all = count(results);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(`bfx conformance on ${runs.map(backendName).join(', ')}`)}" tests="${results.length}" failures="${all.failed}" errors="0" skipped="${all.notApplicable}" time="${seconds(runs.reduce((t, run) => t + run.durationMs, 0))}">`,
  ];
  for (const run of runs) {
    for (const a of byArea(run.results)) {
      const suite = runs.length > 1 ? `${run.backend.name}.${a.area}` : a.area;
      const mine = run.results.filter((r) => areaOf(r.case) === a.area);
      const time = mine.reduce((t, r) => t + r.ms, 0);
      lines.push(`  <testsuite name="${xml(suite)}" tests="${mine.length}" failures="${a.failed}" errors="0" skipped="${a.notApplicable}" time="${seconds(time)}">`);
      lines.push(...mine.map((r) => testcase(r, suite)), '  </testsuite>');
    }
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
