// Faults on the wire, for real: the fault proxy (qemu/faults.ts) sits
// between the firmware under QEMU and the host, and does one thing to the
// traffic of one syscall — a read of r8 the test extension makes at its 2nd
// exit, which the host must send over the wire. Each case says what the
// extension sees and what the host does: the request fails (FAILURE_UNKNOWN)
// with the link up, or the microkernel goes down and comes back. The host
// never crashes, and the guest always runs to its end.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BF_SYSCALLS } from '../../host/abi/bf.js';
import { bootQemu } from '../../host/backend/remote/boot.js';
import { RestartableRemote } from '../../host/backend/remote/restartable.js';
import { load } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { Host } from '../../host/run/host.js';
import type { FaultRule } from '../../qemu/faults.js';

const survivor = load(join(ROOT, 'test', 'qemu', 'fixtures', 'survivor'));
const READ_REG = BF_SYSCALLS.find((s) => s.name === 'bf_vps_op_read_reg')!.rax.toString(16);
const REQUEST_MS = 300;

async function withFault(rule: Omit<FaultRule, 'rax'>, rax = READ_REG, ends = 'halted') {
  const lines: string[] = [];
  let first = true;
  const boot = async () => {
    // the fault on the first microkernel only: one that comes back is left alone
    const t = await bootQemu({ guest: 'cpuid-loop:300', name: `bfx-faults-${process.pid}`, timeouts: { requestMs: REQUEST_MS }, faults: first ? [{ ...rule, rax }] : undefined });
    first = false;
    return { remote: t.remote, session: t.session, end: async () => { await t.shutdown(); } };
  };
  const mk = new RestartableRemote(await boot(), boot);
  const proxy = mk.current.session.proxy!;
  const host = new Host(mk, { onOutput: (l) => lines.push(l.source === 'extension' ? l.text : `${l.source}: ${l.text}`) });
  const ext = host.add(await survivor, { config: 'probe:2', budgetMs: 5000 });
  let injected: Record<string, number>;
  let vms: string[];
  try {
    await host.runAsync();
    injected = proxy.report().injected;
    vms = mk.resources('vm');
  } finally {
    mk.close();
    await mk.end();
    await ext.dispose();
  }
  expect(host.pps[0].state, lines.join('\n')).toBe(ends);
  return { lines, mk, injected, vms, errors: mk.remote.link.firmwareErrors.map((e) => `${e.name}: ${e.text}`), audit: host.env.audit.records.map((r) => `${r.kind}: ${r.message.split('\n')[0]}`) };
}

describe('a fault on the wire, injected by the proxy between QEMU and the host', () => {
  it('rewrite (a well-formed answer whose status is no bf_status_t): the read fails, the link stays up, an audit record says why', async () => {
    const { lines, mk, audit } = await withFault({ dir: 'up', action: 'rewrite', at: 0, bytes: [0x34, 0x12, 0, 0, 0, 0, 0, 0] });
    expect(lines).toContain('read r8: BF_STATUS_FAILURE_UNKNOWN');
    expect(audit.some((a) => /^exception: .*the firmware answered bf_vps_op_read_reg with 0x0000000000001234, which is no bf_status_t/.test(a)), audit.join('\n')).toBe(true);
    expect(mk.health()).toMatchObject({ state: 'active', epoch: 0 });
  });

  it('rewrite a create\'s answer to an ID out of range: the create fails, and what the microkernel made is rolled back', async () => {
    const createVm = BF_SYSCALLS.find((s) => s.name === 'bf_vm_op_create_vm')!.rax.toString(16);
    // REG0 is the answer's bytes 8..15: the VM ID, now 0x10000, past any pool
    // with no VM, the extension has no guest to run: its processor stays idle
    const { lines, audit, vms } = await withFault({ dir: 'up', action: 'rewrite', at: 10, bytes: [1] }, createVm, 'idle');
    expect(lines).toContain('new vps 65535: BF_STATUS_INVALID_PARAMS1');
    expect(audit, audit.join('\n')).toContain('disagreement: the microkernel answered vm id 65536, which is out of range');
    expect(audit).toContain('rollback: destroyed vm 0, left by the failed create: BF_STATUS_SUCCESS');
    expect(vms.filter((v) => v !== 'free')).toEqual([]);
  });

  it('duplicate (the answer comes twice): the read succeeds, the second copy is ignored and audited', async () => {
    const { lines, mk, audit, injected } = await withFault({ dir: 'up', action: 'duplicate' });
    expect(injected).toEqual({ duplicate: 1 });
    expect(lines).toContain('read r8: BF_STATUS_SUCCESS');
    expect(audit).toContainEqual(expect.stringMatching(/^disagreement: the microkernel sent SYSCALL_RESULT \d+, which answers no request the host was waiting for/));
    expect(mk.health().epoch).toBe(0);
  });

  it('duplicate the request (a create sent twice): the firmware takes it once and refuses the repeat', async () => {
    const createVm = BF_SYSCALLS.find((s) => s.name === 'bf_vm_op_create_vm')!.rax.toString(16);
    const { lines, injected, vms, errors } = await withFault({ dir: 'down', action: 'duplicate' }, createVm);
    expect(injected).toEqual({ duplicate: 1 });
    expect(lines).toContain('new vps 0: BF_STATUS_SUCCESS');
    expect(errors).toContain('BAD_STATE: a seq not past the last frame taken: a repeat');
    // one VM, not two
    expect(vms.filter((v) => v !== 'free')).toEqual(['live']);
  });

  it('drop the answer: the read times out (FAILURE_UNKNOWN), the microkernel stays up', async () => {
    const { lines, mk, injected } = await withFault({ dir: 'up', action: 'drop' });
    expect(injected).toEqual({ drop: 1 });
    expect(lines).toContain('read r8: BF_STATUS_FAILURE_UNKNOWN');
    expect(mk.health().epoch).toBe(0);
  });

  it('drop the request: the same, seen from the other side', async () => {
    const { lines, mk, injected } = await withFault({ dir: 'down', action: 'drop' });
    expect(injected).toEqual({ drop: 1 });
    expect(lines).toContain('read r8: BF_STATUS_FAILURE_UNKNOWN');
    expect(mk.health().epoch).toBe(0);
  });

  it('delay the answer past the timeout: FAILURE_UNKNOWN, then the late answer is settled', async () => {
    const { lines, audit, mk } = await withFault({ dir: 'up', action: 'delay', ms: REQUEST_MS + 100 });
    expect(lines).toContain('read r8: BF_STATUS_FAILURE_UNKNOWN');
    expect(audit).toContain('late: bf_vps_op_read_reg answered after the host had given up waiting (its caller was told FAILURE_UNKNOWN): BF_STATUS_SUCCESS');
    expect(mk.health().epoch).toBe(0);
  });

  it('reorder (the answer held back until the next frame): FAILURE_UNKNOWN, then settled late', async () => {
    const { lines, audit, injected } = await withFault({ dir: 'up', action: 'reorder' });
    expect(injected).toEqual({ reorder: 1 });
    expect(lines).toContain('read r8: BF_STATUS_FAILURE_UNKNOWN');
    expect(audit).toContain('late: bf_vps_op_read_reg answered after the host had given up waiting (its caller was told FAILURE_UNKNOWN): BF_STATUS_SUCCESS');
  });

  for (const action of ['corrupt', 'truncate'] as const) {
    it(`${action} (a frame that is not one): the microkernel is down, is restarted, and the extension bootstraps again`, async () => {
      const { lines, mk } = await withFault({ dir: 'up', action });
      expect(lines).toContain('read r8: BF_STATUS_FAILURE_UNKNOWN');
      expect(lines).toContainEqual(expect.stringMatching(/^host: the microkernel went down \(.+\)/));
      expect(lines).toContain('old vps 0: BF_STATUS_FAILURE_INVALID_HANDLE');
      expect(mk.health()).toMatchObject({ state: 'active', epoch: 1, restarts: 1 });
    });
  }
});
