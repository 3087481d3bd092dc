// bfx with --target bochs, as a user runs it: the firmware under Bochs
// (Intel VMX by default, AMD SVM with --cpu ryzen) for bfx run, bfx
// supervise and bfx boot, and the command lines that are wrong.
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../host/paths.js';
import { cpuOption } from '../../host/cli/target.js';
import { bfx, staleDist } from './bfx.js';

const IMAGE = join(ROOT, 'firmware', 'build', 'bfx.elf');
const tmp = mkdtempSync(join(tmpdir(), 'bfx-cli-bochs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bfx run --target bochs', () => {
  it('the dist/ the CLI runs is built from the current sources', () => {
    expect(staleDist()).toEqual([]);
  });

  it('--cpu ryzen: the cpuid example on the firmware under Bochs, AMD SVM, real CPUID exits', async () => {
    const r = await bfx(['run', 'extensions/cpuid', '--target', 'bochs', '--cpu', 'ryzen', '--request-timeout', '20000']);
    expect(r.stderr).toContain('bfx: booting the firmware under Bochs (ryzen) …');
    expect(r.stderr).toMatch(/bfx: bfx-firmware [\d.]+ said hello \(amd\) under Bochs \(ryzen\) after \d+ ms/);
    expect(r.stdout).toMatch(/── summary: ok ── bfx-firmware [\d.]+ \(amd, 1 pp\)/);
    expect(r.stdout).toMatch(/pp0: guest halted after 3 exits/);
    expect(r.stdout).toMatch(/exits handled: cpuid \(0x72\) ×3/);
    // whole lines: the firmware writes the guest's REP OUTSB at the pace of Bochs' UART
    expect(r.stdout).toMatch(/guest0 +\| cpuid\(0\) vendor=AuthenticAMD max-leaf=0x[0-9a-f]+\n/);
    expect(r.stdout).toMatch(/guest0 +\| cpuid\(0x40000000\) signature=BfxHyperWasm max-leaf=0x40000000\n/);
    expect(r.stdout).toContain('emulator (bochs): ended when the host said bye');
    expect(r.exitCode).toBe(0);
  });

  it('by default Intel VMX on corei7_skylake_x; --json says so', async () => {
    const r = await bfx(['run', 'extensions/cpuid', '--target', 'bochs', '--json']);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: true, target: 'bochs', arch: 'intel', emulator: { verdict: 'pass', accel: 'bochs' } });
    expect(j.exits['cpuid (10)']).toBe(3);
    const guest = j.output.filter((l: { source: string }) => l.source === 'guest').map((l: { text: string }) => l.text);
    expect(guest).toContain('cpuid(0) vendor=GenuineIntel max-leaf=0x16');
    expect(guest).toContain('cpuid(0x40000000) signature=BfxHyperWasm max-leaf=0x40000000');
    expect(r.exitCode).toBe(0);
  });
});

describe('bfx supervise --target bochs', () => {
  it('the cpuid example under the supervisor, on the firmware under Bochs', async () => {
    const manifest = join(tmp, 'cpuid.json');
    writeFileSync(manifest, JSON.stringify({ name: 'cpuid', module: join(ROOT, 'extensions', 'cpuid') }));
    const r = await bfx(['supervise', manifest, '--target', 'bochs', '--cpu', 'ryzen']);
    expect(r.stderr).toContain('bfx: booting the firmware under Bochs (ryzen) …');
    expect(r.stdout).toMatch(/── status at .*: ok/);
    expect(r.exitCode).toBe(0);
  });
});

describe('bfx boot --target bochs', () => {
  it('--tap: the selftest\'s points on Intel VMX, exit 0', async () => {
    const r = await bfx(['boot', IMAGE, '--target', 'bochs', '--append', 'selftest', '--tap']);
    expect(r.stdout).toMatch(/^TAP version 13\n/);
    expect(r.stdout).toContain('- VMX is offered (CPUID 1 ECX bit 5)\n');
    expect(r.stdout).not.toContain('not ok');
    expect(r.exitCode).toBe(0);
  });

  it('--cpu ryzen, a failing image: exit 1, the summary names Bochs and its model, the log kept', async () => {
    const r = await bfx(['boot', IMAGE, '--target', 'bochs', '--cpu', 'ryzen', '--append', 'fail', '--log-dir', join(tmp, 'logs')]);
    expect(r.stdout).toContain('bfx firmware: failing on purpose\n');
    expect(r.stdout).toMatch(/── boot: FAIL ── bfx\.elf \(bochs, cpu ryzen\), \d+ ms: the image wrote 1 to port 0xE9 \(bfx-exit\); 0 passed, 0 failed, 0 skipped/);
    const log = /serial log kept in (.*)\n/.exec(r.stdout)?.[1];
    expect(log && existsSync(log)).toBe(true);
    expect(r.exitCode).toBe(1);
  });

  it('--json, --timeout: a hang is a timeout', async () => {
    const r = await bfx(['boot', IMAGE, '--target', 'bochs', '--append', 'hang', '--timeout', '3', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, verdict: 'timeout', accel: { kind: 'bochs', cpu: 'corei7_skylake_x' } });
    expect(r.exitCode).toBe(1);
  });
});

describe.concurrent('wrong command lines about Bochs exit 2', () => {
  it.for<[string[], string]>([
    [['run', 'extensions/cpuid', '--cpu', 'ryzen'], 'bfx run: --cpu is for --target bochs (a Bochs CPU model: corei7_skylake_x, '],
    [['run', 'extensions/cpuid', '--target', 'qemu', '--cpu', 'ryzen'], 'bfx run: --cpu is for --target bochs'],
    [['run', 'extensions/cpuid', '--target', 'bochs', '--cpu', 'pentium'], 'bfx run: --cpu: unknown Bochs CPU model "pentium": the models are corei7_skylake_x (intel), corei7_haswell_4770 (intel), corei7_icelake_u (intel), tigerlake (intel), core2_penryn_t9600 (intel), ryzen (amd), zambezi (amd) (bfx run --help)'],
    [['run', 'extensions/cpuid', '--target', 'bochs', '--cpu', 'ryzen', '--arch', 'intel'], 'bfx run: --cpu ryzen is AMD (SVM), not --arch intel'],
    [['run', 'extensions/cpuid', '--target', 'bochs', '--pps', '2'], 'bfx run: --target bochs has one physical processor'],
    [['supervise', 'x.json', '--cpu', 'ryzen'], 'bfx supervise: --cpu is for --target bochs'],
    [['supervise', 'x.json', '--target', 'bochs', '--cpu', 'k6'], 'bfx supervise: --cpu: unknown Bochs CPU model "k6"'],
    [['boot', 'x.elf', '--cpu', 'ryzen'], 'bfx boot: --cpu is for --target bochs'],
    [['boot', 'x.elf', '--target', 'bochs', '--cpu', 'nope'], 'bfx boot: --cpu: unknown Bochs CPU model "nope"'],
  ])('bfx %j', async ([args, message], { expect }) => {
    const r = await bfx(args);
    expect(r.stderr).toContain(message);
    expect(r.stderr.split('\n').length).toBeLessThanOrEqual(2);
    expect(r.exitCode).toBe(2);
  });

  it('bfx run --help lists the Bochs models with their vendor', async ({ expect }) => {
    const r = await bfx(['run', '--help']);
    expect(r.stdout).toMatch(/--cpu <model> +with --target bochs/);
    expect(r.stdout).toMatch(/corei7_skylake_x +intel +VMX with EPT and VPID/);
    expect(r.stdout).toMatch(/ryzen +amd +SVM with NPT/);
  });

  it('--arch with a model of the other vendor is wrong; --arch alone picks the model', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/cpuid', '--target', 'bochs', '--arch', 'amd', '--cpu', 'corei7_skylake_x']);
    expect(r.stderr).toContain('--cpu corei7_skylake_x is Intel (VMX), not --arch amd');
    expect(r.exitCode).toBe(2);
    expect(cpuOption(undefined, 'bochs', 'amd')?.model).toBe('ryzen');
    expect(cpuOption(undefined, 'bochs', 'intel')?.model).toBe('corei7_skylake_x');
    expect(cpuOption(undefined, 'bochs')?.model).toBe('corei7_skylake_x');
    expect(cpuOption(undefined, 'qemu')).toBeUndefined();
  });
});
