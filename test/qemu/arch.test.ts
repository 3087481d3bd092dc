// The firmware's SVM half, end to end under QEMU TCG: the image's archtest
// mode runs the root guest's scenarios in VPSs of the pool, handles their
// exits itself (as an extension would) and prints a PASS/FAIL line per check.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../host/paths.js';
import { boot } from '../../qemu/qemu.js';

const IMAGE = join(ROOT, 'firmware', 'build', 'bfx.elf');

describe('archtest: the SVM half of the firmware', () => {
  it('passes every check, and says so in its status', async () => {
    const r = await boot({ image: IMAGE, append: 'archtest', timeoutMs: 60_000 });
    const results = r.serial.filter((l) => /^(PASS|FAIL|SKIP): /.test(l));
    expect(results.filter((l) => !l.startsWith('PASS: ')), r.serial.join('\n')).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(40);
    expect(r.serial).toContain(`SUMMARY: ${results.length} tests, 0 failures`);
    expect(r).toMatchObject({ verdict: 'pass', code: 0, exitStatus: 1 });
  });

  it('covers what the brief names: CPUID exits and the signature, HLT, bounds, lengths, NPF, VMEXIT_INVALID, the bench', async () => {
    const r = await boot({ image: IMAGE, append: 'archtest', timeoutMs: 60_000 });
    const passed = r.serial.filter((l) => l.startsWith('PASS: ')).join('\n');
    for (const what of [
      'SVM on', 'rootState', 'signature=BfxHyperWasm', 'ARCH_HALT', 'an index past the VMCB is refused', 'a misaligned index is refused',
      'instruction lengths', 'REP OUTSB exits once per byte', 'nested page fault (0x400)', 'ASID 0: VMRUN refuses the VMCB, VMEXIT_INVALID',
      'ARCH_PROMOTED', 'bench: cpuid-loop:1000 makes 1000 CPUID exits',
    ]) expect(passed).toContain(what);
    // guests that are not intercepted write the console themselves, as the sim's guests print
    expect(r.serial).toContain('hello from pp 0');
    expect(r.serial).toContain('cpuid-loop done: signature=BfxHyperWasm');
    expect(r.serial).toContain('about to run off the end');
  });
});
