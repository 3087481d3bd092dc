// How bfx conformance writes a run that failed, which the reference
// microkernel never gives it: TAP's not ok with its YAML block, JUnit's
// <failure>, the summary's list of failures, the JSON's message; and the
// filter's two forms; the same over several targets, and the HTML report.
import { describe, expect, it } from 'vitest';
import { firmware, sim } from '../../host/conformance/backends.js';
import type { Case } from '../../host/conformance/catalogue/case.js';
import { jsonDocument, jsonRuns } from '../../host/conformance/output/json.js';
import { junit } from '../../host/conformance/output/junit.js';
import { html, report } from '../../host/conformance/output/report.js';
import { tapEnd, tapHead, tapNest, tapPoint, tapSubtest, tapSubtestEnd, tapTargets } from '../../host/conformance/output/tap.js';
import { ok, type RunResults } from '../../host/conformance/output/tally.js';
import { summaries, summary } from '../../host/conformance/output/text.js';
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
    const xml = junit([run]);
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

/** the same cases on a second target, where the failure passes */
const qemu: RunResults = { backend: firmware('qemu'), results: [results[0], { ...results[1], result: 'pass', message: undefined, at: undefined }, results[2]], catalogued: 620, chosen: 3, durationMs: 900 };

describe('a run on several targets', () => {
  it('the summary: one per target, then the verdict over them all', () => {
    const text = summaries([run, qemu]);
    expect(text.startsWith(summary(run))).toBe(true);
    expect(text).toContain(`\n${summary(qemu)}`);
    expect(text.endsWith('\n══ conformance on 2 targets: FAIL ══ sim FAIL, qemu PASS\n')).toBe(true);
    expect(summaries([run])).toBe(summary(run));
  });

  it('JSON: one target keeps its document; several are { ok, targets: [one document each] }', () => {
    expect(jsonRuns([run])).toEqual(jsonDocument(run));
    expect(jsonRuns([run, qemu])).toEqual({ ok: false, targets: [jsonDocument(run), jsonDocument(qemu)] });
  });

  it('TAP: one TAP 14 document, a target a subtest four spaces in and a point of the parent', () => {
    const arch = firmware('qemu').arch[0];
    const doc = tapTargets(2) + tapSubtest(run) + results.map((r, i) => tapNest(tapPoint(i + 1, r))).join('') + tapSubtestEnd(1, run)
      + tapSubtest(qemu) + tapNest(tapPoint(1, qemu.results[0])) + tapSubtestEnd(2, qemu);
    const lines = doc.split('\n');
    expect(lines.slice(0, 6)).toEqual(['TAP version 14', '1..2', '# Subtest: sim (amd, intel)', '    # bfx conformance on sim (amd, intel)', '    1..3', '    ok 1 - vm.create_vm.success: a rule \\# with a hash & <markup>']);
    expect(lines).toContain('        a zombie is never freed: got [], wanted');
    expect(lines).toContain('not ok 1 - sim (amd, intel)');
    expect(lines).toContain(`# Subtest: qemu (${arch})`);
    expect(lines.at(-2)).toBe(`ok 2 - qemu (${arch})`);
  });

  it('JUnit: a testsuite per target and area, named target.area', () => {
    const xml = junit([run, qemu]);
    expect(xml).toContain(`<testsuites name="bfx conformance on sim (amd, intel), qemu (${firmware('qemu').arch[0]})" tests="6" failures="1" errors="0" skipped="2" time="2.403">`);
    expect([...xml.matchAll(/<testsuite name="([^"]+)"/g)].map((m) => m[1])).toEqual(['sim.vm', 'sim.guarantees', 'qemu.vm', 'qemu.guarantees']);
    expect(xml).toContain('<testcase classname="bfx.conformance.qemu.vm" name="vm.destroy_vm.zombie"');
  });
});

describe('the HTML report', () => {
  const page = report([run, qemu], { started: new Date('2026-01-02T03:04:05.678Z'), version: '9.8.7', cases: results.map((r) => r.case) });

  it('escapes what it is given: a rule\'s markup, a message\'s quotes', () => {
    expect(html(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    expect(page).not.toContain('<markup>');
    expect(page).toContain('<td class="rule">a rule # with a hash &amp; &lt;markup&gt;</td>');
  });

  it('the header: when, the version, the targets; the totals per target', () => {
    expect(page).toContain('<time datetime="2026-01-02T03:04:05.678Z">2026-01-02 03:04:05 UTC</time>');
    expect(page).toContain('bfx <span class="version">9.8.7</span>');
    expect(page).toContain('<title>bfx conformance: sim, qemu — FAIL</title>');
    expect(page).toMatch(/<tr data-target="sim"><th>sim<\/th><td>amd, intel<\/td><td class="num">1<\/td><td class="num">1<\/td><td class="num">1<\/td>/);
  });

  it('a matrix per area, a column per target; a failing cell carries its message and place, an n/a cell its reason', () => {
    expect([...page.matchAll(/<table class="matrix" data-area="(\w+)">/g)].map((m) => m[1])).toEqual(['vm', 'guarantees']);
    expect(page).toContain('<th data-target="sim" title="sim (amd, intel)">sim</th><th data-target="qemu"');
    const row = /<tr id="case-vm\.destroy_vm\.zombie"[\s\S]*?<\/tr>/.exec(page)![0];
    expect(row).toContain('<td class="cell fail" data-target="sim" data-result="fail" title="a zombie is never freed: got [], wanted\na collection containing 0\n(at host/conformance/catalogue/vm.ts:98)"><details><summary>✗ fail</summary><pre>a zombie is never freed');
    expect(row).toMatch(/<td class="cell pass" data-target="qemu" data-result="pass" title="1.5 s">✓ pass<\/td><\/tr>$/);
    expect(page).toContain('<td class="cell na" data-target="sim" data-result="not-applicable" title="needs smp (one processor &lt;only&gt;)"><details><summary>– n/a</summary><pre>needs smp (one processor &lt;only&gt;)</pre>');
  });

  it('a case a target did not reach (the run was interrupted) is "not run"', () => {
    const cut = report([run, { ...qemu, results: [], interrupted: 'SIGINT' }], { started: new Date(0), version: '1', cases: results.map((r) => r.case) });
    expect(cut).toContain('<td class="cell not-run" data-target="qemu" data-result="not-run">· not run</td>');
    expect(cut).toContain('! INTERRUPTED');
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
