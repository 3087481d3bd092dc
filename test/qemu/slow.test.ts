// The microkernel is untrusted: slow is not dead. QEMU stopped (SIGSTOP)
// while a syscall waits for its answer: the syscall times out and its caller
// gets FAILURE_UNKNOWN, the microkernel stays up, and when QEMU goes on
// (SIGCONT) the late answer is still settled: a create the caller was told
// had failed is rolled back, so the microkernel's tables are as before it;
// a destroy whose outcome was unknown frees its record.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootQemu } from '../../host/backend/remote/boot.js';
import { RestartableRemote } from '../../host/backend/remote/restartable.js';
import { load } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { Host } from '../../host/run/host.js';

const survivor = load(join(ROOT, 'test', 'qemu', 'fixtures', 'survivor'));

/** what a syscall waits at most in these tests: a stall of QEMU past it times the syscall out */
const REQUEST_MS = 300;

async function runStalled(config: string, forGood = false) {
  const lines: string[] = [];
  const boot = async () => {
    const t = await bootQemu({ guest: 'cpuid-loop:6', name: `bfx-slow-${process.pid}`, timeouts: { requestMs: REQUEST_MS } });
    return { remote: t.remote, pid: t.session.pid!, end: async () => { await t.shutdown(); } };
  };
  const mk = new RestartableRemote(await boot(), boot);
  const host = new Host(mk, {
    onOutput: (l) => {
      lines.push(l.source === 'extension' ? l.text : `${l.source}: ${l.text}`);
      // QEMU stopped while the extension is in its vmexit callback, and let go once the call it made has timed out
      if (l.source === 'extension' && l.text === 'stall point') process.kill(mk.current.pid, 'SIGSTOP');
      if (l.source === 'extension' && / in the stall: /.test(l.text) && !forGood) process.kill(mk.current.pid, 'SIGCONT');
    },
  });
  const ext = host.add(await survivor, { config, budgetMs: 5000 });
  let vms: string[];
  try {
    await host.runAsync();
    vms = mk.resources('vm');
  } finally {
    mk.close();
    await mk.end();
    await ext.dispose();
  }
  return { lines, host, mk, vms, audit: host.env.audit.records.map((r) => `${r.kind}: ${r.message}`) };
}

describe('a microkernel that stalls (QEMU stopped) while a syscall waits', () => {
  it('a create: FAILURE_UNKNOWN to its caller, the microkernel stays up, and what it made late is destroyed', async () => {
    const { lines, host, mk, vms, audit } = await runStalled('stall-create:2');
    expect(lines).toContain('create_vm in the stall: BF_STATUS_FAILURE_UNKNOWN');
    // slow is not dead: the next syscall is answered, nothing went down, the guest ran to its end
    expect(lines).toContain('read r8 after the stall: BF_STATUS_SUCCESS');
    expect(lines.some((l) => l.includes('went down'))).toBe(false);
    expect(mk.health()).toMatchObject({ state: 'active', epoch: 0 });
    expect(host.pps[0].state).toBe('halted');
    // the late answer: the microkernel made VM 1; the host destroyed it, as the caller was told it failed
    expect(audit).toContain('rollback: bf_vm_op_create_vm answered after the host had given up waiting (its caller was told FAILURE_UNKNOWN): it made vm 1; destroyed it: BF_STATUS_SUCCESS');
    // the creation guarantee: the microkernel holds the extension's own VM and nothing else
    expect(vms.slice(0, 3)).toEqual(['live', 'free', 'free']);
    expect(host.env.records.vm.allocated()).toEqual([0]);
  });

  it('a destroy: FAILURE_UNKNOWN and a record in doubt, until the late answer says it happened and frees it', async () => {
    const { lines, host, vms, audit } = await runStalled('stall-destroy:2');
    expect(lines).toContain('spare vm 1: BF_STATUS_SUCCESS');
    expect(lines).toContain('destroy_vm in the stall: BF_STATUS_FAILURE_UNKNOWN');
    expect(lines).toContain('read r8 after the stall: BF_STATUS_SUCCESS');
    expect(audit).toContain('late: bf_vm_op_destroy_vm answered after the host had given up waiting (its caller was told FAILURE_UNKNOWN): vm 1 was destroyed after all; its record is free');
    expect(host.env.records.vm.allocated()).toEqual([0]);
    expect(vms.slice(0, 3)).toEqual(['live', 'free', 'free']);
  });

  it('for good (QEMU never goes on): after three requests and a heartbeat go unanswered it is down, and is restarted', async () => {
    const { lines, host, mk } = await runStalled('stall-create:2', true);
    expect(lines).toContain('create_vm in the stall: BF_STATUS_FAILURE_UNKNOWN');
    expect(lines).toContainEqual(expect.stringMatching(/^host: the microkernel went down \(it stopped answering: 3 requests in a row and a heartbeat went unanswered/));
    expect(lines).toContain('fail 0xdead000000010001 on pp 0');
    expect(lines).toContain("host: the microkernel is back (restart 1): each extension's bootstrap is called again");
    expect(lines).toContain('old vps 0: BF_STATUS_FAILURE_INVALID_HANDLE');
    expect(mk.health()).toMatchObject({ state: 'active', epoch: 1, restarts: 1 });
    expect(host.pps[0].state).toBe('halted');
  });
});
