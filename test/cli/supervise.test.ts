// bfx supervise and bfx status, as a user runs them: manifests in a folder,
// the supervisor's events and the extensions' output as they come, the
// status at the end and in its file.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { ROOT } from '../../host/paths.js';
import { bfx } from './bfx.js';

const tmp = mkdtempSync(join(tmpdir(), 'bfx-supervise-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function manifest(dir: string, m: Record<string, unknown>): string {
  const file = join(tmp, dir, `${m.name}.json`);
  rmSync(join(tmp, dir, `${m.name}.json`), { force: true });
  mkdirSync(join(tmp, dir), { recursive: true });
  writeFileSync(file, JSON.stringify(m));
  return file;
}

const faulty = { name: 'faulty', module: join(ROOT, 'extensions', 'faulty'), restart: { policy: 'on-failure', intensity: { max_restarts: 2, window_seconds: 60 }, backoff: { initial_ms: 10 } } };

describe.concurrent('bfx supervise', () => {
  it('a crash loop: each end judged and said, restarts within the intensity, then Failed and exit 1', async ({ expect }) => {
    const file = manifest('loop', faulty);
    const status = join(tmp, 'loop-status.json');
    const ledger = join(tmp, 'loop-ledger.jsonl');
    const r = await bfx(['supervise', file, '--config', 'unreachable@vmexit', '--status', status, '--ledger', ledger]);
    expect(r.stderr).toContain('faulty: trap unreachable: unreachable: on-failure restarts after a crash: restart 1 of 2 in 60 s, after 10 ms');
    expect(r.stderr).toContain('faulty: trap unreachable: unreachable: 3 restarts within 60 s is more than the 2 allowed');
    expect(r.stdout).toMatch(/── status at .*: faulty FAILED/);
    expect(r.stdout).toMatch(/faulty +Failed +2 +- +.* trap unreachable/);
    expect(r.exitCode).toBe(1);
    const s = await bfx(['status', status]);
    expect(s.stdout).toMatch(/faulty +Failed +2 /);
    expect(s.exitCode).toBe(0);
    const j = JSON.parse((await bfx(['status', status, '--json'])).stdout);
    expect(j.extensions[0]).toMatchObject({ name: 'faulty', state: 'Failed', restarts: 2, lastCrash: { class: 'trap' } });
    const l = await bfx(['ledger', ledger, '--json']);
    expect(JSON.parse(l.stdout).resources).toHaveLength(9);
  });

  it('--json: one object, ok when nothing ended Failed', async ({ expect }) => {
    const file = manifest('ok', { name: 'cpuid', module: join(ROOT, 'extensions', 'cpuid') });
    const r = await bfx(['supervise', file, '--json']);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: true, target: 'sim' });
    expect(j.extensions[0]).toMatchObject({ name: 'cpuid', state: 'Running', restarts: 0 });
    expect(r.exitCode).toBe(0);
  });

  it('a manifest with a bad field: exit 3, the field named', async ({ expect }) => {
    const file = manifest('bad', { ...faulty, restart: { policy: 'sometimes' } });
    const r = await bfx(['supervise', file]);
    expect(r.stderr).toContain('restart.policy must be one of never, once, always, on-failure');
    expect(r.exitCode).toBe(3);
  });

  it('a dependency cycle: exit 3, its path in the message', async ({ expect }) => {
    manifest('cycle', { name: 'a', module: join(ROOT, 'extensions', 'cpuid'), dependencies: ['b'] });
    manifest('cycle', { name: 'b', module: join(ROOT, 'extensions', 'cpuid'), dependencies: ['a'] });
    const r = await bfx(['supervise', join(tmp, 'cycle')]);
    expect(r.stderr).toMatch(/dependency cycle: (a → b → a|b → a → b)/);
    expect(r.exitCode).toBe(3);
  });

  it('no manifest: exit 2; a missing status file: exit 3', async ({ expect }) => {
    const r = await bfx(['supervise']);
    expect(r.stderr).toContain('bfx supervise: name at least one manifest, or a folder of them');
    expect(r.exitCode).toBe(2);
    const s = await bfx(['status', join(tmp, 'nope.json')]);
    expect(s.stderr).toContain(`bfx status: cannot read ${join(tmp, 'nope.json')}`);
    expect(s.exitCode).toBe(3);
  });
});
