// bfx conformance, as an implementer runs it: the list of cases, a run of
// some on the sim and on the firmware under QEMU, each output format, and
// the command lines that are wrong.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { firmware, sim } from '../../host/conformance/backends.js';
import { catalogue } from '../../host/conformance/catalogue/index.js';
import { notApplicable } from '../../host/conformance/runner.js';
import { BIN, bfx, staleDist } from './bfx.js';

const tmp = mkdtempSync(join(tmpdir(), 'bfx-cli-conformance-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** the IDs of the vm.create_vm.* cases: a handful, quick on the sim */
const CREATE_VM = catalogue.filter((c) => /^vm\.create_vm\./.test(c.id)).map((c) => c.id);
/** on QEMU, two that apply and one that cannot (the firmware implements every syscall) */
const ON_QEMU = '/^vm\\.create_vm\\.(success|bad-handle|unsupported)$/';

it('the dist/ the CLI runs is built from the current sources', () => {
  expect(staleDist()).toEqual([]);
});

describe.concurrent('bfx conformance --list', () => {
  it('shows every case with its area, clause and rule, and which do not apply to the sim (the register-level ones) and why', async ({ expect }) => {
    const r = await bfx(['conformance', '--list']);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    for (const c of catalogue) {
      expect(lines.some((l) => l.startsWith(`  ${c.id} `) && l.endsWith(`[${c.clause}] ${c.rule}`)), c.id).toBe(true);
    }
    expect(lines).toContain('vps — bf_vps_op_*: VPSs, their fields and registers, run, advance and promote (311 cases)');
    const not = catalogue.filter((c) => notApplicable(sim, c) !== undefined);
    expect(not.map((c) => c.id).every((id) => id.startsWith('raw.'))).toBe(true);
    expect(r.stdout).toContain(`\n${catalogue.length} cases; ${catalogue.length - not.length} apply to sim, ${not.length} do not\n`);
    expect(r.stdout.match(/\n +not on sim: needs wire \(/g)).toHaveLength(not.length);
  });

  it('--target qemu says under each case that does not apply what it needs and why the target lacks it', async ({ expect }) => {
    const r = await bfx(['conformance', '--list', '--target', 'qemu']);
    expect(r.exitCode).toBe(0);
    const qemu = firmware('qemu');
    const not = catalogue.filter((c) => notApplicable(qemu, c) !== undefined);
    expect(not.length).toBeGreaterThan(10);
    for (const c of not) expect(r.stdout, c.id).toMatch(new RegExp(`  ${c.id.replace(/\./g, '\\.')} .*\n +not on qemu: needs [a-z-]+ \\(.{10,}\\)`));
    expect(r.stdout).toContain(`${catalogue.length} cases; ${catalogue.length - not.length} apply to qemu, ${not.length} do not`);
  });

  it('--json: an array, a case an element', async ({ expect }) => {
    const r = await bfx(['conformance', '--list', '--json', '--filter', '/^guarantees\\./', '--target', 'qemu']);
    expect(r.exitCode).toBe(0);
    const items = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(items.map((x) => x.id)).toEqual(catalogue.filter((c) => c.id.startsWith('guarantees.')).map((c) => c.id));
    expect(items[0]).toMatchObject({ area: 'guarantees', clause: 'creation guarantee', applies: expect.any(Boolean), needs: expect.any(Array) });
    expect(items.find((x) => !x.applies)).toMatchObject({ why: expect.stringMatching(/^needs /) });
  });
});

describe.concurrent('bfx conformance on the sim', () => {
  it('--filter runs only the cases whose ID matches, says how many, and exits 0', async ({ expect }) => {
    const r = await bfx(['conformance', '--filter', 'vm.create_vm.']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`bfx: --filter vm.create_vm. matched ${CREATE_VM.length} of ${catalogue.length} cases\n`);
    const ran = [...r.stderr.matchAll(/^\[ *(\d+)\/(\d+)\] (\S+) ok \d+ ms$/gm)];
    expect(ran.map((m) => m[3])).toEqual(CREATE_VM);
    expect(ran.map((m) => Number(m[1]))).toEqual(CREATE_VM.map((_, i) => i + 1));
    expect(r.stdout).toMatch(new RegExp(`^── conformance: PASS ── sim \\(amd, intel\\), \\d+ ms: ${CREATE_VM.length} passed, 0 failed, 0 not applicable`));
    expect(r.stdout).toMatch(/\narea +passed +failed +not applicable\nvm +13 +0 +0\n-+\nall +13 +0 +0\n$/);
  });

  it('--json: one document with the target, the totals, the areas and each case\'s result; nothing on stderr', async ({ expect }) => {
    const r = await bfx(['conformance', '--filter', '/^(vm\\.create_vm|handle\\.open_handle)\\./', '--json']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout);
    const chosen = catalogue.filter((c) => /^(vm\.create_vm|handle\.open_handle)\./.test(c.id));
    expect(doc).toMatchObject({
      ok: true, target: 'sim', arch: ['amd', 'intel'], filter: '/^(vm\\.create_vm|handle\\.open_handle)\\./', durationMs: expect.any(Number),
      totals: { catalogued: catalogue.length, chosen: chosen.length, passed: chosen.length, failed: 0, notApplicable: 0 },
    });
    expect(doc.areas.map((a: { area: string }) => a.area)).toEqual(['handle', 'vm']);
    expect(doc.cases.map((c: { id: string }) => c.id)).toEqual(chosen.map((c) => c.id));
    expect(doc.cases[0]).toEqual({ id: chosen[0].id, area: 'handle', clause: chosen[0].clause, rule: chosen[0].rule, result: 'pass', durationMs: expect.any(Number) });
  });

  it('--tap: TAP version 13, the plan, then a numbered test point per case as it ends', async ({ expect }) => {
    const r = await bfx(['conformance', '--filter', 'vm.create_vm.', '--tap']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('TAP version 13');
    expect(lines).toContain(`1..${CREATE_VM.length}`);
    const points = lines.filter((l) => /^(not )?ok /.test(l));
    expect(points).toEqual(CREATE_VM.map((id, i) => `ok ${i + 1} - ${id}: ${catalogue.find((c) => c.id === id)!.rule}`));
    // everything else is a comment
    expect(lines.filter((l) => !points.includes(l) && !l.startsWith('# ') && l !== lines[0] && !/^1\.\.\d+$/.test(l))).toEqual([]);
  });

  it('--junit <file>: JUnit XML, a testsuite per area and a testcase per case, beside the usual output', async ({ expect }) => {
    const file = join(tmp, 'sim.xml');
    const r = await bfx(['conformance', '--filter', 'vm.create_vm.', '--junit', file]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('── conformance: PASS ──');
    expect(r.stderr).toContain(`bfx: JUnit XML written to ${file}\n`);
    const xml = readFileSync(file, 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="bfx conformance on sim \(amd, intel\)" tests="13" failures="0" errors="0" skipped="0" time="[\d.]+">\n  <testsuite name="vm" tests="13"/);
    expect([...xml.matchAll(/<testcase classname="bfx\.conformance\.vm" name="([^"]+)" time="[\d.]+"\/>/g)].map((m) => m[1])).toEqual(CREATE_VM);
    expect(xml.trimEnd().endsWith('</testsuites>')).toBe(true);
  });
});

it('--help: every option and the exit statuses, exit 0', async () => {
  const r = await bfx(['conformance', '--help']);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toContain('Usage: bfx conformance [options]');
  for (const o of ['--target <t>', '--cpu <model>', '--image <file>', '--filter <text>', '--list', '--json', '--tap', '--junit <file>', '--report <file>', '-h, --help']) expect(r.stdout).toContain(o);
  expect(r.stdout).toContain('Exit status: 0 every case that applies passed; 1 a case failed; 2 the');
});

describe.concurrent('a wrong command line exits 2 and says what is wrong', () => {
  it.each([
    [['--target', 'kvm'], '--target takes sim or qemu or bochs or connect:<path or host:port>, not "kvm"'],
    [['--target', 'sim,kvm'], '--target takes sim or qemu or bochs or connect:<path or host:port>, not "kvm"'],
    [['--target', 'sim,qemu,sim'], '--target names sim twice'],
    [['--list', '--target', 'sim,qemu'], '--list shows one target at a time'],
    [['--list', '--report', join(tmp, 'r.html')], '--list runs nothing: --report is for a run'],
    [['--report', join(tmp, 'no', 'such', 'folder', 'r.html')], 'there is no folder'],
    [['--target', 'sim,qemu', '--cpu', 'ryzen'], '--cpu is for --target bochs'],
    [['--filter', 'no-such-case'], `--filter no-such-case matched none of the ${catalogue.length} cases: bfx conformance --list shows their IDs`],
    [['--filter', '/(/'], '--filter /(/ is not a regular expression'],
    [['--json', '--tap'], '--json and --tap both write to stdout: choose one'],
    [['--list', '--tap'], '--list runs nothing: --tap is for a run'],
    [['--cpu', 'ryzen'], '--cpu is for --target bochs'],
    [['--image', 'x.elf'], '--image is for --target qemu or bochs'],
    [['--junit', join(tmp, 'no', 'such', 'folder', 'x.xml')], 'there is no folder'],
    [['vm.create_vm.success'], 'it takes no arguments, but was given "vm.create_vm.success" (a case ID goes to --filter)'],
    [['--nope'], "Unknown option '--nope'"],
  ])('%j', async (args, message) => {
    const r = await bfx(['conformance', ...args]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr.trimEnd().endsWith('(bfx conformance --help)')).toBe(true);
  });
});

it('a target this machine cannot run exits 3 and says what to do', async () => {
  // a PATH with node alone on it (node's own folder may hold QEMU too)
  const bin = join(tmp, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const r = await execa('node', [BIN, 'conformance', '--target', 'qemu'], { reject: false, env: { PATH: bin }, extendEnv: false, timeout: 20_000 });
  expect(r.exitCode).toBe(3);
  expect(r.stderr).toBe('bfx conformance: qemu-system-x86_64 is not installed: run bash qemu/deps.sh (it installs QEMU, Bochs and GRUB\'s tools)');
});

describe('bfx conformance --target qemu', () => {
  it('runs the chosen cases on the firmware under QEMU, each on a fresh boot; a case that cannot apply is not run and says why', async () => {
    const file = join(tmp, 'qemu.xml');
    const r = await bfx(['conformance', '--target', 'qemu', '--filter', ON_QEMU, '--junit', file]);
    expect(r.stderr).toContain('bfx: 2 of 3 cases apply to qemu; each boots the firmware under QEMU\n');
    expect(r.stderr).toMatch(/\[1\/2\] vm\.create_vm\.success ok [\d.]+ m?s\n\[2\/2\] vm\.create_vm\.bad-handle ok [\d.]+ m?s\n/);
    expect(r.stdout).toMatch(/^── conformance: PASS ── qemu \((amd|intel)\), [\d.]+ m?s: 2 passed, 0 failed, 1 not applicable/);
    expect(r.stdout).toContain('1 case does not apply to qemu: bfx conformance --list --target qemu says why');
    expect(r.exitCode).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/<testcase classname="bfx\.conformance\.vm" name="vm\.create_vm\.unsupported" time="0\.000">\n {6}<skipped message="does not apply: needs unsupported \(the sim can pretend/);
  });

  it('--tap: a case that cannot apply is "ok … # SKIP" with the reason, and runs nothing', async () => {
    const r = await bfx(['conformance', '--target', 'qemu', '--filter', '/^vm\\.create_vm\\.unsupported/', '--tap']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe([
      'TAP version 13',
      `# bfx conformance on qemu (${firmware('qemu').arch[0]})`,
      `# --filter /^vm\\.create_vm\\.unsupported/ matched 2 of ${catalogue.length} cases`,
      '1..2',
      'ok 1 - vm.create_vm.unsupported-handle-checked-first: a bad handle is reported before the syscall is refused as unsupported # SKIP does not apply: needs unsupported (the sim can pretend not to implement a syscall; the firmware implements them all)',
      'ok 2 - vm.create_vm.unsupported: a syscall the microkernel does not implement answers FAILURE_UNSUPPORTED # SKIP does not apply: needs unsupported (the sim can pretend not to implement a syscall; the firmware implements them all)',
      '',
    ].join('\n'));
  });
});
