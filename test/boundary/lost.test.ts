// What a microkernel that went down leaves in the host's records: every
// resource lost, answering FAILURE_INVALID_HANDLE on its first use, in use
// by nothing, and free for the microkernel that came back to give out again
// — also when that answer comes late.
import { describe, expect, it } from 'vitest';
import { BF_SPEC_ID1_VAL, BF_STATUS_FAILURE_INVALID_HANDLE, BF_STATUS_INVALID_PARAMS1, BF_STATUS_SUCCESS } from '../../host/abi/bf.js';
import { Sim } from '../../host/backend/sim/sim.js';
import { owned } from '../../host/boundary/check.js';
import type { Caller } from '../../host/boundary/context.js';
import { settleLate } from '../../host/boundary/late.js';
import { FREE, LOST } from '../../host/boundary/records.js';
import { Host } from '../../host/run/host.js';

function lostWorld() {
  const host = new Host(new Sim());
  const r = host.env.records;
  const ext = { id: 0, name: 'x' } as Caller;
  r.vm.add(1, 0);
  r.vp.add(3, 0, 1);
  r.vps.add(2, 0, 3, 0);
  r.setActive(0, 1, 3, 2);
  r.loseAll();
  return { host, r, ext };
}

describe('records lost with the microkernel', () => {
  it('are all lost, and nothing is loaded on any processor', () => {
    const { r } = lostWorld();
    expect([r.vm.state[1], r.vp.state[3], r.vps.state[2]]).toEqual([LOST, LOST, LOST]);
    expect([r.activeVm[0], r.activeVp[0], r.activeVps[0]]).toEqual([0xffff, 0xffff, 0xffff]);
  });

  it('answer FAILURE_INVALID_HANDLE on their first use, then are free like any ID never made', () => {
    const { r, ext } = lostWorld();
    expect(owned(r.vps, 2, 1, ext)).toBe(BF_STATUS_FAILURE_INVALID_HANDLE);
    expect(r.vps.state[2]).toBe(FREE);
    expect(owned(r.vps, 2, 1, ext)).toBe(BF_STATUS_INVALID_PARAMS1);
  });

  it('are in use by nothing: a VM the new microkernel gives the same ID is not kept alive by a lost VP', () => {
    const { r } = lostWorld();
    r.vm.free(1);
    r.vm.add(1, 0);
    expect(r.inUse('vm', 1)).toBe(false);
  });

  it('a create answered late with a lost ID: the record is freed and what the microkernel made is destroyed', () => {
    const { host, r } = lostWorld();
    const mk = host.mk as Sim;
    // the microkernel (the sim, for real) made VMs 0 and 1 behind the host's back; the late answer names vm 1, which the host lost
    expect(mk.bf_handle_op_open_handle(BF_SPEC_ID1_VAL)).toBe(BF_STATUS_SUCCESS);
    const handle = mk.out[0];
    expect([mk.bf_vm_op_create_vm(handle), mk.bf_vm_op_create_vm(handle)]).toEqual([BF_STATUS_SUCCESS, BF_STATUS_SUCCESS]);
    settleLate(host.env, { request: 'SYSCALL 9', syscall: 'bf_vm_op_create_vm', regs: [handle, 0n, 0n, 0n, 0n, 0n], status: BF_STATUS_SUCCESS, out: [1n, 0n, 0n, 0n, 0n, 0n] });
    expect(r.vm.state[1]).toBe(FREE);
    expect(host.env.audit.records.map((a) => `${a.kind}: ${a.message}`)).toEqual([
      'rollback: bf_vm_op_create_vm answered after the host had given up waiting (its caller was told FAILURE_UNKNOWN): it made vm 1; destroyed it: BF_STATUS_SUCCESS',
    ]);
    expect(mk.resources('vm').slice(0, 2)).toEqual(['live', 'free']);
  });
});
