// bfx run --target qemu: the unchanged cpuid example on our firmware under
// QEMU TCG handles real SVM CPUID exits, and the root guest prints the
// signature the extension put in its registers.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../host/paths.js';
import { BIN, bfx, staleDist } from '../cli/bfx.js';
import { qemuRunning } from './processes.js';

describe('bfx run --target qemu', () => {
  it('the dist/ the CLI runs is built from the current sources', () => {
    expect(staleDist()).toEqual([]);
  });

  it('runs the cpuid example on the firmware: real CPUID exits, the injected signature in the guest', async () => {
    const r = await bfx(['run', 'extensions/cpuid', '--target', 'qemu']);
    expect(r.stderr).toMatch(/said hello \(amd\)/);
    expect(r.stdout).toMatch(/guest0 +\| cpuid\(0x40000000\) signature=BfxHyperWasm/);
    expect(r.stdout).toMatch(/guest0 +\| cpuid\(1\) hypervisor-bit=1/);
    expect(r.stdout).toMatch(/exits handled: cpuid \(0x72\) ×\d+/);
    expect(r.stdout).toMatch(/pp0: guest halted after \d+ exits/);
    expect(r.stdout).toContain('emulator (tcg): ended when the host said bye');
    expect(r.exitCode).toBe(0);
  });

  it('--json: one object, the exits counted, the emulator\'s end', async () => {
    const r = await bfx(['run', 'extensions/cpuid', '--target', 'qemu', '--guest', 'tour', '--json']);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: true, target: 'qemu', arch: 'amd', guest: 'tour', emulator: { verdict: 'pass' } });
    expect(j.exits['cpuid (0x72)']).toBe(3);
    const guest = j.output.filter((l: { source: string }) => l.source === 'guest').map((l: { text: string }) => l.text);
    expect(guest).toContain('cpuid(0x40000000) signature=BfxHyperWasm max-leaf=0x40000000');
    expect(guest.some((l: string) => l.startsWith('rdmsr(IA32_PAT)='))).toBe(true);
    expect(r.exitCode).toBe(0);
  });

  it('an interrupt stops the run between two exits: the summary, exit 130, and QEMU ended', async () => {
    const child = execa('node', [BIN, 'run', 'extensions/cpuid', '--target', 'qemu', '--guest', 'cpuid-loop:1000000'], { cwd: ROOT, reject: false, timeout: 60_000 });
    // once the guest is exiting to the extension, interrupt
    await new Promise<void>((ok) => {
      child.stderr!.on('data', (d: Buffer) => {
        if (d.toString().includes('said hello')) setTimeout(ok, 500);
      });
    });
    expect(qemuRunning(`bfx-run-${child.pid}`)).toBe(true);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain('bfx: SIGINT: the run stopped; stopping QEMU');
    expect(r.stdout).toMatch(/pp0: stopped after \d+ exits: the run was interrupted \(SIGINT\)/);
    expect(r.stdout).toContain('emulator (tcg): ended when the host said bye');
    expect(qemuRunning(`bfx-run-${child.pid}`)).toBe(false);
  });
});
