// bfx conformance --target sim,qemu --report: one run fills the case ×
// target matrix, and the page is read the way a person reads it, in a real
// browser: Debian's chromium, headless (qemu/deps.sh installs it). A page
// of ours loads the report in a frame and reads the DOM the browser built
// from it; a second load with JavaScript off shows the matrix needs none.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firmware } from '../../host/conformance/backends.js';
import { catalogue } from '../../host/conformance/catalogue/index.js';
import { caseFilter } from '../../host/conformance/select.js';
import { readPage } from '../harness/chromium.js';
import { bfx, type Result } from './bfx.js';

const tmp = mkdtempSync(join(tmpdir(), 'bfx-cli-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** four cases in two areas; on QEMU two cannot apply (a fault injected into the sim, a syscall it pretends not to have) */
const FILTER = '/^(handle\\.open_handle\\.(success|backend-throws)|vm\\.create_vm\\.(success|unsupported))$/';
const CHOSEN = catalogue.filter(caseFilter(FILTER));

interface Cell { target: string; result: string; text: string; reason: string }
interface Matrix { area: string; targets: string[]; rows: { id: string; rule: string; cells: Cell[] }[] }
interface Seen {
  matrices: Matrix[];
  /** the filter form: the report's script shows it */
  formHidden: boolean;
  /** rows left showing after the filter was given "create_vm", when it could be */
  filtered?: number;
}

/** what the browser built from the report, read in the page: the matrices, and the filter tried where the script showed it */
const READ = `(d) => {
  const text = (e) => (e ? e.textContent.trim() : '');
  const seen = {
    matrices: [...d.querySelectorAll('table.matrix')].map((t) => ({
      area: t.dataset.area,
      targets: [...t.querySelectorAll('thead th[data-target]')].map(text),
      rows: [...t.querySelectorAll('tbody tr')].map((tr) => ({
        id: tr.dataset.case,
        rule: text(tr.querySelector('td.rule')),
        cells: [...tr.querySelectorAll('td.cell')].map((td) => ({ target: td.dataset.target, result: td.dataset.result, text: text(td.querySelector('summary') ?? td), reason: text(td.querySelector('pre')) })),
      })),
    })),
    formHidden: d.getElementById('filter').hidden,
  };
  if (!seen.formHidden) {
    const form = d.getElementById('filter');
    form.elements.text.value = 'create_vm';
    form.dispatchEvent(new Event('input'));
    seen.filtered = [...d.querySelectorAll('table.matrix tbody tr')].filter((tr) => !tr.hidden).length;
  }
  return seen;
}`;

/** the report as the browser built it, with JavaScript on or off */
const browse = (javascript: boolean) => readPage<Seen>(join(tmp, 'r.html'), READ, { javascript });

let run: Result;
let withJs: Seen;
let withoutJs: Seen;
beforeAll(async () => {
  run = await bfx(['conformance', '--target', 'sim,qemu', '--filter', FILTER, '--report', join(tmp, 'r.html')]);
  [withJs, withoutJs] = await Promise.all([browse(true), browse(false)]);
}, 120_000);

describe('bfx conformance --target sim,qemu --report', () => {
  it('runs the cases on each target in turn, says which in its progress, and exits 0', () => {
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('bfx: 4 of 4 cases apply to sim\n');
    expect(run.stderr).toContain('bfx: 2 of 4 cases apply to qemu; each boots the firmware under QEMU\n');
    expect(run.stderr).toMatch(/\[1\/2 qemu\] handle\.open_handle\.success ok /);
    expect(run.stderr).toContain(`bfx: the report written to ${join(tmp, 'r.html')}\n`);
    expect(run.stdout).toMatch(/^── conformance: PASS ── sim \(amd, intel\)/);
    expect(run.stdout).toContain('\n── conformance: PASS ── qemu (');
    expect(run.stdout).toMatch(/\n══ conformance on 2 targets: PASS ══ sim PASS, qemu PASS\n$/);
  });

  it('in the browser: a matrix per area, a column per target, pass on sim and n/a on qemu with the reason', () => {
    const { matrices } = withJs;
    expect(matrices.map((m) => m.area)).toEqual(['handle', 'vm']);
    for (const m of matrices) expect(m.targets).toEqual(['sim', 'qemu']);
    expect(matrices.flatMap((m) => m.rows.map((r) => r.id))).toEqual(CHOSEN.map((c) => c.id));
    const row = matrices[1].rows.find((r) => r.id === 'vm.create_vm.unsupported')!;
    expect(row.rule).toBe(CHOSEN.find((c) => c.id === row.id)!.rule);
    expect(row.cells).toEqual([
      { target: 'sim', result: 'pass', text: '✓ pass', reason: '' },
      { target: 'qemu', result: 'not-applicable', text: '– n/a', reason: `needs unsupported (${firmware('qemu').lacks?.unsupported})` },
    ]);
    expect(matrices[0].rows.find((r) => r.id === 'handle.open_handle.success')!.cells.map((c) => c.result)).toEqual(['pass', 'pass']);
  });

  it('the page needs nothing from outside, shows the same matrix with JavaScript off, and its script only adds a filter', () => {
    const page = readFileSync(join(tmp, 'r.html'), 'utf8');
    expect(page).not.toMatch(/\b(src|href)="(?!#)/);
    expect(page).not.toMatch(/@import|url\(/);
    expect(withoutJs.matrices).toEqual(withJs.matrices);
    expect(withoutJs.formHidden).toBe(true);
    expect(withJs.formHidden).toBe(false);
    expect(withJs.filtered).toBe(2);
  });

  it('--json: { ok, targets } with one document per target; --tap: a subtest per target', async () => {
    const [json, tap] = await Promise.all([
      bfx(['conformance', '--target', 'sim,qemu', '--filter', FILTER, '--json']),
      bfx(['conformance', '--target', 'sim,qemu', '--filter', FILTER, '--tap']),
    ]);
    expect([json.exitCode, tap.exitCode]).toEqual([0, 0]);
    const doc = JSON.parse(json.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.targets.map((t: { target: string; totals: object }) => [t.target, t.totals])).toEqual([
      ['sim', { catalogued: catalogue.length, chosen: 4, passed: 4, failed: 0, notApplicable: 0 }],
      ['qemu', { catalogued: catalogue.length, chosen: 4, passed: 2, failed: 0, notApplicable: 2 }],
    ]);
    const lines = tap.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(['TAP version 14', '1..2', '# Subtest: sim (amd, intel)']);
    expect(lines.filter((l) => /^(not )?ok /.test(l))).toEqual(['ok 1 - sim (amd, intel)', `ok 2 - qemu (${firmware('qemu').arch[0]})`]);
    expect(lines.filter((l) => /^ {4}ok \d+ - .* # SKIP does not apply: needs (faults|unsupported) /.test(l))).toHaveLength(2);
  });
});
