// The microkernel is untrusted: QEMU killed for real in the middle of a run.
// The syscall in flight and every one after it fail with FAILURE_UNKNOWN,
// every extension's fail callback runs, the host restarts the image by its
// restart policy and takes its hello again, the extension's handle stays
// valid, and what the lost microkernel held answers FAILURE_INVALID_HANDLE
// on its first use. The host never crashes.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootQemu } from '../../host/backend/remote/boot.js';
import { RestartableRemote, type KernelBoot } from '../../host/backend/remote/restartable.js';
import { load } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { Host } from '../../host/run/host.js';
import { manifestFrom } from '../../host/supervisor/manifest.js';
import { Supervisor } from '../../host/supervisor/runtime.js';
import type { RestartSpec } from '../../host/supervisor/policy.js';
import { qemuRunning } from './processes.js';

const survivor = load(join(ROOT, 'test', 'qemu', 'fixtures', 'survivor'));

let boots = 0;
/** a firmware under QEMU, with a name to find its process by */
async function bootOne(guest: string): Promise<KernelBoot & { pid: number | undefined; name: string }> {
  const name = `bfx-down-${process.pid}-${boots++}`;
  const t = await bootQemu({ guest, name });
  return { remote: t.remote, pid: t.session.pid, name, end: async () => { await t.shutdown(); } };
}

const policy = (p: RestartSpec['policy'], max = 3): RestartSpec => ({
  policy: p, intensity: { maxRestarts: max, windowMs: 60_000 }, backoff: { initialMs: 10, factor: 2, capMs: 100, resetAfterMs: 60_000 },
});

async function runKilled(spec: RestartSpec, killAt: number[]) {
  const lines: string[] = [];
  const booted: { pid: number | undefined; name: string }[] = [];
  const boot = async () => {
    const b = await bootOne('cpuid-loop:6');
    booted.push(b);
    return b;
  };
  const mk = new RestartableRemote(await boot(), boot, spec);
  let kills = 0;
  const host = new Host(mk, {
    onOutput: (l) => {
      lines.push(l.source === 'extension' ? l.text : `${l.source}: ${l.text}`);
      // the kill, for real, the moment the extension says it is there (the host is inside its vmexit callback)
      if (l.source === 'extension' && l.text === 'kill point' && kills < killAt.length) process.kill(booted[booted.length - 1].pid!, 'SIGKILL');
      if (l.source === 'extension' && l.text === 'kill point') kills++;
    },
  });
  const ext = host.add(await survivor, { config: `kill-at:${killAt[0]}`, budgetMs: 5000 });
  try {
    await host.runAsync();
  } finally {
    mk.close();
    await mk.end();
    await ext.dispose();
  }
  return { lines, host, mk, booted, ext };
}

describe('a microkernel that dies (QEMU killed) in the middle of a run', () => {
  it('fails the syscall in flight and the ones after, calls fail, restarts, and the lost VPS says FAILURE_INVALID_HANDLE once', async () => {
    const { lines, host, mk, booted } = await runKilled(policy('on-failure'), [3]);
    const at = lines.indexOf('kill point');
    expect(at, lines.join('\n')).toBeGreaterThan(0);
    // the syscall in flight when QEMU died
    expect(lines[at + 1]).toBe('read r8 after the kill: BF_STATUS_FAILURE_UNKNOWN');
    expect(lines).toContainEqual(expect.stringMatching(/^host: the microkernel went down \(.+\): what it held is gone; each extension's fail callback is called$/));
    // the fail callback ran, and what it asked of a microkernel that is down failed too
    expect(lines).toContain('fail 0xdead000000010001 on pp 0');
    expect(lines).toContain('create_vm while it is down: BF_STATUS_FAILURE_UNKNOWN');
    expect(lines).toContain('host: the microkernel is back (restart 1): each extension\'s bootstrap is called again');
    // the VPS of the microkernel that went down: gone, said once; then an ID like any free one
    expect(lines).toContain('old vps 0: BF_STATUS_FAILURE_INVALID_HANDLE');
    expect(lines).toContain('old vps again: BF_STATUS_INVALID_PARAMS1');
    // the handle it opened before still works: the new VPS is made with it, and the new guest runs to its end
    expect(lines.filter((l) => l.startsWith('new vps '))).toEqual(['new vps 0: BF_STATUS_SUCCESS', 'new vps 0: BF_STATUS_SUCCESS']);
    expect(lines).toContainEqual(expect.stringMatching(/^guest: cpuid-loop done/));
    expect(host.pps[0].state).toBe('halted');
    expect(mk.health()).toMatchObject({ state: 'active', epoch: 1, restarts: 1 });
    expect(booted.length).toBe(2);
    for (const b of booted) expect(qemuRunning(b.name), `${b.name} is not left running`).toBe(false);
  });

  it('past its restart policy it stays down: the processors stop, the host does not crash', async () => {
    const { lines, host, mk, booted } = await runKilled(policy('never'), [2]);
    expect(lines).toContain('fail 0xdead000000010001 on pp 0');
    expect(lines).toContainEqual(expect.stringMatching(/^host: the microkernel stays down: .*not restarted: never restarts$/));
    expect(mk.health().state).toBe('failed');
    expect(host.pps[0].state).toBe('stopped');
    expect(host.pps[0].why).toMatch(/^the microkernel went down/);
    expect(booted.length).toBe(1);
    expect(qemuRunning(booted[0].name)).toBe(false);
  });

  it('under the supervisor, a fail callback that traps while the microkernel is down is a crash its policy judges', async () => {
    const boot = () => bootOne('cpuid-loop:6');
    const first = await boot();
    const mk = new RestartableRemote(first, boot, policy('on-failure'));
    let killed = false;
    const s = new Supervisor(mk, [{
      manifest: manifestFrom({ name: 'survivor', module: 'survivor', restart: { policy: 'once', backoff: { initial_ms: 1 } } }, 'survivor.json'),
      loaded: await survivor, config: 'kill-at:3,fail-trap',
    }], {
      onOutput: (l) => {
        if (l.source === 'extension' && l.text === 'kill point' && !killed) {
          killed = true;
          process.kill(first.pid!, 'SIGKILL');
        }
      },
    });
    try {
      await s.run();
    } finally {
      mk.close();
      await mk.end();
    }
    const st = s.status().extensions[0];
    expect(st.lastCrash).toMatchObject({ class: 'trap' });
    expect(st.restarts).toBe(1);
    expect(s.status().events.items.map((e) => e.text)).toContainEqual(expect.stringMatching(/^trap unreachable: .*: once restarts after its first crash/));
    expect(mk.health()).toMatchObject({ state: 'active', restarts: 1 });
  });
});
