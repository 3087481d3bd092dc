// bfx run --target qemu: the unchanged cpuid example on our firmware under
// QEMU TCG handles real SVM CPUID exits, and the root guest prints the
// signature the extension put in its registers.
import { execa, execaSync } from 'execa';
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

  it('QEMU killed mid-run: the microkernel goes down and comes back, the extension bootstraps again, the run says so and fails', async () => {
    const child = execa('node', [BIN, 'run', 'extensions/cpuid', '--target', 'qemu', '--guest', 'cpuid-loop:2000'], { cwd: ROOT, reject: false, timeout: 60_000 });
    const name = `bfx-run-${child.pid}`;
    // once the first guest is exiting to the extension, kill its QEMU as a crash would
    await new Promise<void>((ok) => {
      child.stderr!.on('data', (d: Buffer) => {
        if (d.toString().includes('said hello')) setTimeout(ok, 300);
      });
    });
    expect(execaSync('pkill', ['-KILL', '-f', '--', `-name ${name} `], { reject: false }).exitCode).toBe(0);
    const r = await child;
    expect(r.stderr).toMatch(/bfx +\| the microkernel went down \(.+\): what it held is gone; each extension's fail callback is called\n/);
    expect(r.stderr).toContain("the microkernel is back (restart 1): each extension's bootstrap is called again");
    // the second guest, on the microkernel that came back, ran to its end with the extension's signature
    expect(r.stdout).toMatch(/guest0 +\| cpuid-loop done: signature=BfxHyperWasm/);
    expect(r.stdout).toMatch(/pp0: guest halted after \d+ exits/);
    expect(r.stdout).toContain('microkernel: went down 1 time, came back 1; up at the end');
    // the extension is not blamed for what the microkernel did: its fail callback ran once, it did not fault
    expect(r.stdout).not.toContain('fault in');
    expect(r.stdout.split('\n').filter((l) => l.includes('a callback failed (BF_STATUS_FAILURE_UNKNOWN)'))).toHaveLength(1);
    expect(r.stdout).toContain('── summary: FAILED');
    expect(r.exitCode).toBe(1);
    expect(qemuRunning(name)).toBe(false);
  });
});
