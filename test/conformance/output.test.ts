// How bfx conformance writes a run that failed, which the reference
// microkernel never gives it: TAP's not ok with its YAML block, JUnit's
// <failure>, the summary's list of failures, the JSON's message; and the
// filter's two forms.
import { describe, expect, it } from 'vitest';
import { sim } from '../../host/conformance/backends.js';
import type { Case } from '../../host/conformance/catalogue/case.js';
import { jsonDocument } from '../../host/conformance/output/json.js';
import { junit } from '../../host/conformance/output/junit.js';
import { tapEnd, tapHead, tapPoint } from '../../host/conformance/output/tap.js';
import { ok, type RunResults } from '../../host/conformance/output/tally.js';
import { summary } from '../../host/conformance/output/text.js';
import type { CaseResult } from '../../host/conformance/runner.js';
import { caseFilter } from '../../host/conformance/select.js';

const aCase = (id: string, rule = 'a rule # with a hash & <markup>'): Case => ({ id, syscall: undefined, rule, clause: 'zombies', run: () => {} });

const results: CaseResult[] = [
  { case: aCase('vm.create_vm.success'), result: 'pass', ms: 3.2 },
  { case: aCase('vm.destroy_vm.zombie'), result: 'fail', ms: 1500, message: 'a zombie is never freed: got [], wanted\na collection containing 0', at: 'host/conformance/catalogue/vm.ts:98' },
  { case: aCase('guarantees.smp.x'), result: 'not-applicable', ms: 0, why: 'needs smp (one processor <only>)' },
];
const run: RunResults = { backend: sim, results, catalogued: 620, chosen: 3, durationMs: 1503.2 };

describe('a run with a failure', () => {
  it('is not ok, and neither is one that was interrupted', () => {
    expect(ok(run)).toBe(false);
    expect(ok({ ...run, results: [results[0], results[2]] })).toBe(true);
    expect(ok({ ...run, results: [results[0]], interrupted: 'SIGINT' })).toBe(false);
  });

  it('TAP: not ok with the message, where, clause and time in a YAML block; # in a description escaped', () => {
    expect(tapHead(run) + results.map((r, i) => tapPoint(i + 1, r)).join('') + tapEnd(run)).toBe([
      'TAP version 13',
      '# bfx conformance on sim (amd, intel)',
      '1..3',
      'ok 1 - vm.create_vm.success: a rule \\# with a hash & <markup>',
      'not ok 2 - vm.destroy_vm.zombie: a rule \\# with a hash & <markup>',
      '  ---',
      '  message: |',
      '    a zombie is never freed: got [], wanted',
      '    a collection containing 0',
      '  at: "host/conformance/catalogue/vm.ts:98"',
      '  clause: "zombies"',
      '  duration_ms: 1500.0',
      '  ...',
      'ok 3 - guarantees.smp.x: a rule \\# with a hash & <markup> # SKIP does not apply: needs smp (one processor <only>)',
      '',
    ].join('\n'));
    expect(tapEnd({ ...run, interrupted: 'SIGTERM' })).toBe('Bail out! interrupted (SIGTERM) after 3 of 3 cases\n');
  });

  it('JUnit: a <failure> with its first line as the message, <skipped> with the reason, all escaped', () => {
    const xml = junit(run);
    expect(xml).toContain('<testsuites name="bfx conformance on sim (amd, intel)" tests="3" failures="1" errors="0" skipped="1" time="1.503">');
    expect(xml).toContain('<testsuite name="vm" tests="2" failures="1" errors="0" skipped="0" time="1.503">');
    expect(xml).toContain('<failure message="a zombie is never freed: got [], wanted" type="zombies">a rule # with a hash &amp; &lt;markup&gt;\na zombie is never freed: got [], wanted\na collection containing 0\nat host/conformance/catalogue/vm.ts:98</failure>');
    expect(xml).toContain('<skipped message="does not apply: needs smp (one processor &lt;only&gt;)"/>');
  });

  it('the summary: FAIL, the table by area, and each failure with its rule, message and place', () => {
    const text = summary(run);
    expect(text).toBe([
      '── conformance: FAIL ── sim (amd, intel), 1.5 s: 1 passed, 1 failed, 1 not applicable',
      'area        passed  failed  not applicable',
      'vm               1       1               0',
      'guarantees       0       0               1',
      '------------------------------------------',
      'all              1       1               1',
      '',
      'failed (1):',
      '  vm.destroy_vm.zombie: a rule # with a hash & <markup>',
      '    a zombie is never freed: got [], wanted',
      '    a collection containing 0',
      '    (at host/conformance/catalogue/vm.ts:98)',
      '',
      '1 case does not apply to sim: bfx conformance --list --target sim says why',
      '',
    ].join('\n'));
  });

  it('JSON: the failure\'s message and place, the reason a case does not apply', () => {
    const doc = jsonDocument(run) as { ok: boolean; cases: unknown[] };
    expect(doc.ok).toBe(false);
    expect(doc.cases[1]).toEqual({ id: 'vm.destroy_vm.zombie', area: 'vm', clause: 'zombies', rule: results[1].case.rule, result: 'fail', durationMs: 1500, message: results[1].message, at: results[1].at });
    expect(doc.cases[2]).toMatchObject({ result: 'not-applicable', why: 'needs smp (one processor <only>)' });
  });
});

describe('--filter', () => {
  it('a text the ID contains, or a /regex/ with its flags', () => {
    expect(caseFilter('create_vm')(aCase('vm.create_vm.success'))).toBe(true);
    expect(caseFilter('^vm')(aCase('vm.create_vm.success'))).toBe(false);
    expect(caseFilter('/^VM\\./i')(aCase('vm.create_vm.success'))).toBe(true);
    // g would make test() start the next ID where the last match ended
    const g = caseFilter('/vm/g');
    expect([g(aCase('vm.a')), g(aCase('vm.b'))]).toEqual([true, true]);
    expect(() => caseFilter('/[/')).toThrow(/is not a regular expression/);
  });
});
