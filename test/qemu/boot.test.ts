// The firmware image, booted for real under QEMU, and the harness that
// boots it: verdicts from isa-debug-exit, time limits that leave no QEMU
// behind, kept logs, and KVM chosen only where the host nests.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../host/paths.js';
import { boot, detectAccel, verdictOf } from '../../qemu/qemu.js';
import { qemuRunning } from './processes.js';

const IMAGE = join(ROOT, 'firmware', 'build', 'bfx.elf');
const tmp = mkdtempSync(join(tmpdir(), 'bfx-qemu-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('choosing the accelerator', () => {
  const fake = (files: Record<string, string>) => {
    const root = mkdtempSync(join(tmp, 'root-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  };

  it('TCG with SVM and nested paging when there is no /dev/kvm', () => {
    expect(detectAccel(fake({}))).toMatchObject({ kind: 'tcg', cpu: 'qemu64,+svm,+npt', arch: 'amd' });
  });

  it('KVM with -cpu host when kvm_amd or kvm_intel nests', () => {
    expect(detectAccel(fake({ 'dev/kvm': '', 'sys/module/kvm_amd/parameters/nested': '1\n' }))).toMatchObject({ kind: 'kvm', cpu: 'host', arch: 'amd' });
    expect(detectAccel(fake({ 'dev/kvm': '', 'sys/module/kvm_intel/parameters/nested': 'Y\n' }))).toMatchObject({ kind: 'kvm', cpu: 'host', arch: 'intel' });
  });

  it('TCG when /dev/kvm is there but does not nest, saying why', () => {
    const a = detectAccel(fake({ 'dev/kvm': '', 'sys/module/kvm_amd/parameters/nested': '0\n' }));
    expect(a).toMatchObject({ kind: 'tcg', cpu: 'qemu64,+svm,+npt' });
    expect(a.why).toContain('kvm_amd does not nest (nested=0)');
    expect(detectAccel(fake({ 'dev/kvm': '' })).why).toContain('no nesting KVM module');
  });
});

describe('reading how QEMU ended', () => {
  it.each([
    [1, '', false, { verdict: 'pass', code: 0 }],
    [3, '', false, { verdict: 'fail', code: 1 }],
    [5, '', false, { verdict: 'fail', code: 2 }],
    [0, '', false, { verdict: 'crash' }],
    [undefined, '', true, { verdict: 'timeout' }],
    [1, 'qemu-system-x86_64: Error loading uncompressed kernel without PVH ELF Note\n', false, { verdict: 'error' }],
    [1, 'qemu: invalid kernel header', false, { verdict: 'error' }],
  ] as const)('status %s (stderr %j, timed out %s) is %j', (status, stderr, timedOut, want) => {
    expect(verdictOf(status, stderr, timedOut)).toEqual(want);
  });
});

describe('the firmware under QEMU', () => {
  it('is built', () => {
    expect(existsSync(IMAGE), 'npm run build makes firmware/build/bfx.elf').toBe(true);
  });

  it('boots into long mode, says hello on the serial console, and passes', async () => {
    const seen: string[] = [];
    const r = await boot({ image: IMAGE, onSerial: (l) => seen.push(l), timeoutMs: 30_000 });
    expect(r.verdict).toBe('pass');
    expect(r.code).toBe(0);
    expect(r.exitStatus).toBe(1);
    expect(r.serial).toEqual(['bfx firmware: in long mode; command line ""', 'bfx firmware: hello']);
    expect(seen).toEqual(r.serial);
    expect(r.log).toBeUndefined();
  });

  it('selftest: finds SVM and nested paging on the emulated processor', async () => {
    const r = await boot({ image: IMAGE, append: 'selftest', timeoutMs: 30_000 });
    expect(r.verdict).toBe('pass');
    expect(r.serial.filter((l) => l.startsWith('PASS: '))).toEqual([
      'PASS: long mode is active (EFER.LMA)',
      'PASS: SVM is offered (CPUID 0x80000001 ECX bit 2)',
      'PASS: SVM revision and ASIDs (CPUID 0x8000000A)',
      'PASS: nested paging is offered (CPUID 0x8000000A EDX bit 0)',
    ]);
    expect(r.serial).toContain('SUMMARY: 4 tests, 0 failures');
  });

  it('a failing image: verdict fail with its code, and the serial log kept', async () => {
    const r = await boot({ image: IMAGE, append: 'fail', timeoutMs: 30_000, logDir: join(tmp, 'logs') });
    expect(r).toMatchObject({ verdict: 'fail', code: 1, exitStatus: 3 });
    expect(r.log).toBeDefined();
    const log = readFileSync(r.log!, 'utf8');
    expect(log).toContain('bfx firmware: failing on purpose');
    expect(log).toContain('# verdict fail, code 1, exit status 3');
  });

  it('a triple fault: verdict crash', async () => {
    const r = await boot({ image: IMAGE, append: 'crash', timeoutMs: 30_000 });
    expect(r.verdict).toBe('crash');
    expect(r.serial).toContain('bfx firmware: crashing on purpose');
  });

  it('a hang: stopped at the time limit, and no QEMU is left', async () => {
    const name = `bfx-test-hang-${process.pid}-${Date.now()}`;
    const r = await boot({ image: IMAGE, append: 'hang', timeoutMs: 1500, name });
    expect(r.verdict).toBe('timeout');
    expect(r.serial).toContain('bfx firmware: hanging on purpose');
    expect(r.durationMs).toBeGreaterThanOrEqual(1500);
    expect(qemuRunning(name), 'pgrep finds no QEMU with our name').toBe(false);
  });

  it('a file that is not an image: verdict error, with what QEMU said', async () => {
    const junk = join(tmp, 'junk.elf');
    writeFileSync(junk, 'not an image');
    const r = await boot({ image: junk, timeoutMs: 30_000 });
    expect(r.verdict).toBe('error');
    expect(r.stderr).toBe('qemu: invalid kernel header');
  });
});

describe('bfx boot', () => {
  const bfx = (...args: string[]) => spawnSync('node', [join(ROOT, 'bin', 'bfx.js'), 'boot', ...args], { cwd: tmp, encoding: 'utf8' });

  it('--tap: one test point per PASS/SKIP line, exit 0', () => {
    const r = bfx(IMAGE, '--append', 'selftest', '--tap');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe([
      'TAP version 13',
      'ok 1 - long mode is active (EFER.LMA)',
      'ok 2 - SVM is offered (CPUID 0x80000001 ECX bit 2)',
      'ok 3 - SVM revision and ASIDs (CPUID 0x8000000A)',
      'ok 4 - nested paging is offered (CPUID 0x8000000A EDX bit 0)',
      'ok 5 - VMX (not an Intel processor) # SKIP',
      '1..5',
      '',
    ].join('\n'));
  });

  it('the console, then a summary; a failing image exits 1 and says where its log is', () => {
    const r = bfx(IMAGE, '--append', 'fail');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('bfx firmware: failing on purpose\n');
    expect(r.stdout).toMatch(/── boot: FAIL ── bfx\.elf \(tcg|kvm, -cpu .*\), \d+ ms: the image wrote 1 to isa-debug-exit; 0 passed, 0 failed, 0 skipped/);
    const log = /serial log kept in (.*)\n/.exec(r.stdout)?.[1];
    expect(log && existsSync(log)).toBe(true);
  });

  it('--json, --timeout: a hang is a timeout', () => {
    const r = bfx(IMAGE, '--append', 'hang', '--timeout', '1', '--json');
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: false, verdict: 'timeout', passed: 0, failed: 0 });
    expect(j.serial).toContain('bfx firmware: hanging on purpose');
  });

  it('a missing image exits 3; no image or a bad option exits 2', () => {
    expect(bfx(join(tmp, 'nowhere.elf'))).toMatchObject({ status: 3, stderr: expect.stringContaining('bfx boot: no such image:') });
    expect(bfx()).toMatchObject({ status: 2, stderr: expect.stringContaining('bfx boot: name one image to boot') });
    expect(bfx(IMAGE, '--target', 'nope')).toMatchObject({ status: 2, stderr: expect.stringContaining('--target takes qemu or bochs, not "nope"') });
  });

  it('the firmware builds from its Makefile with no warnings', () => {
    const out = execFileSync('make', ['-s', '-C', join(ROOT, 'firmware'), '-B', `OUT=${join(tmp, 'fw')}`], { encoding: 'utf8', stdio: 'pipe' });
    expect(out).toBe('');
    expect(existsSync(join(tmp, 'fw', 'bfx.elf'))).toBe(true);
  });
});
