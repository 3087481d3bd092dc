// npm run faults, at the size that fits in CI: the real command, a fixed
// seed, the firmware under QEMU. Its table must say that faults were
// injected and syscalls made, and that nothing broke. And its checks can
// fail: a ledger with an interval doubled or lost is caught.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { checkLedger } from '../../faults/typed.js';
import { newTally } from '../../faults/tally.js';
import { ROOT } from '../../host/paths.js';

describe('npm run faults', () => {
  it('a seeded campaign at CI size: faults injected, syscalls made, no host crash, no violation, no leak', async () => {
    const r = await execa('node', [join(ROOT, 'dist', 'faults', 'run.js'), '--seed', '20261122', '--json'], { cwd: ROOT, reject: false, timeout: 600_000 });
    const t = JSON.parse(r.stdout);
    expect(t.problems, t.problems.join('\n')).toEqual([]);
    expect(t).toMatchObject({ ok: true, hostCrashes: 0, violations: 0, leaks: 0 });
    expect(Object.values(t.injected as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10);
    expect(t.syscalls.raw).toBeGreaterThan(1000);
    expect(t.syscalls.typed).toBeGreaterThan(1000);
    expect(r.exitCode).toBe(0);
  });

  it('without --json: the table, every row of it', async () => {
    const r = await execa('node', [join(ROOT, 'dist', 'faults', 'run.js'), '--rounds', '2', '--seed', '5'], { cwd: ROOT, reject: false, timeout: 300_000 });
    expect(r.stdout).toMatch(/^bfx faults: seed 5, 3 rounds, [\d.]+ s — ok$/m);
    for (const row of ['syscalls made, raw (register level)', 'syscalls made, typed (from WebAssembly)', 'host crashes (must be 0)', 'invariant violations (must be 0)', 'resources leaked outside the zombie rules (must be 0)']) {
      expect(r.stdout).toContain(row);
    }
    expect(r.exitCode).toBe(0);
  });

  it('a wrong command line: exit 2, saying what', async () => {
    const r = await execa('node', [join(ROOT, 'dist', 'faults', 'run.js'), '--rounds', 'many'], { cwd: ROOT, reject: false });
    expect(r.stderr).toContain('--rounds takes a whole number, not "many"');
    expect(r.exitCode).toBe(2);
  });
});

describe('the ledger check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bfx-ledger-check-'));
  const check = (lines: object[]) => {
    const file = join(dir, `l${Math.random()}.jsonl`);
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    const t = newTally(0);
    const open = checkLedger(file, t);
    return { open: [...open], problems: t.problems };
  };

  it('passes intervals that alternate, and says which are open', () => {
    expect(check([{ op: 'open', resource: 'vm 0' }, { op: 'close', resource: 'vm 0' }, { op: 'open', resource: 'vm 0' }])).toEqual({ open: ['vm 0'], problems: [] });
  });

  it('catches an interval opened twice, and one closed that was not open', () => {
    expect(check([{ op: 'open', resource: 'vm 0' }, { op: 'open', resource: 'vm 0' }, { op: 'close', resource: 'vp 1' }]).problems)
      .toEqual(['violation: ledger: vm 0 opened twice', 'violation: ledger: vp 1 closed while not open']);
    rmSync(dir, { recursive: true, force: true });
  });
});
