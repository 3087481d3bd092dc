// The "no trace" guarantees compare snapshots: they mean something only if
// every kind of state the sim keeps shows in its snapshot, and a freed
// resource leaves no trace in it.
import { describe, expect, it } from 'vitest';
import { BF_SPEC_ID1_VAL, BF_STATUS_SUCCESS, bf_reg_t } from '../../host/abi/bf.js';
import { Sim } from '../../host/backend/sim/sim.js';

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

function opened() {
  const mk = new Sim();
  expect(mk.bf_handle_op_open_handle(BF_SPEC_ID1_VAL)).toBe(BF_STATUS_SUCCESS);
  return { mk, h: mk.out[0] };
}

/** creates a VM, VP and VPS on pp 0 */
function world(mk: Sim, h: bigint) {
  expect(mk.bf_vm_op_create_vm(h)).toBe(BF_STATUS_SUCCESS);
  const vm = Number(mk.out[0]);
  expect(mk.bf_vp_op_create_vp(h, vm)).toBe(BF_STATUS_SUCCESS);
  const vp = Number(mk.out[0]);
  expect(mk.bf_vps_op_create_vps(h, vp, 0)).toBe(BF_STATUS_SUCCESS);
  return { vm, vp, vps: Number(mk.out[0]) };
}

describe('sim snapshot', () => {
  it('shows every kind of change a syscall makes', () => {
    const { mk, h } = opened();
    const w = world(mk, h);
    const changes: [string, () => bigint][] = [
      ['open_handle', () => mk.bf_handle_op_open_handle(BF_SPEC_ID1_VAL)],
      ['create_vm', () => mk.bf_vm_op_create_vm(h)],
      ['create_vp', () => mk.bf_vp_op_create_vp(h, w.vm)],
      ['create_vps', () => mk.bf_vps_op_create_vps(h, w.vp, 0)],
      ['init_as_root', () => mk.bf_vps_op_init_as_root(h, w.vps)],
      ['write_reg (a saved GPR)', () => mk.bf_vps_op_write_reg(h, w.vps, bf_reg_t.rbx, 7n)],
      ['write_reg (in the VMCB)', () => mk.bf_vps_op_write_reg(h, w.vps, bf_reg_t.rip, 7n)],
      ['write8', () => mk.bf_vps_op_write8(h, w.vps, 0xfffn, 1)],
      ['write_msr', () => mk.bf_intrinsic_op_write_msr(h, 0xc0000103, 9n)],
      ['alloc_page', () => mk.bf_mem_op_alloc_page(h)],
      ['run', () => mk.bf_vps_op_run(h, w.vps, w.vp, w.vm)],
      ['destroy_vps of the active VPS (a zombie)', () => mk.bf_vps_op_destroy_vps(h, w.vps)],
    ];
    for (const [what, change] of changes) {
      const before = mk.snapshot();
      change();
      expect(same(before, mk.snapshot()), `${what} did not show in the snapshot`).toBe(false);
    }
  });

  it('a VM, VP and VPS created, used and destroyed leave it as it was', () => {
    const { mk, h } = opened();
    const before = mk.snapshot();
    const w = world(mk, h);
    expect(mk.bf_vps_op_init_as_root(h, w.vps)).toBe(BF_STATUS_SUCCESS);
    expect(mk.bf_vps_op_write64(h, w.vps, 0x58n, 0xffffn)).toBe(BF_STATUS_SUCCESS);
    expect(mk.bf_vps_op_destroy_vps(h, w.vps)).toBe(BF_STATUS_SUCCESS);
    expect(mk.bf_vp_op_destroy_vp(h, w.vp)).toBe(BF_STATUS_SUCCESS);
    expect(mk.bf_vm_op_destroy_vm(h, w.vm)).toBe(BF_STATUS_SUCCESS);
    expect(same(before, mk.snapshot())).toBe(true);
  });

  it('is a copy: changing the sim later does not change a snapshot taken', () => {
    const { mk, h } = opened();
    const snap = mk.snapshot();
    const copy = snap.slice();
    world(mk, h);
    expect(same(snap, copy)).toBe(true);
  });
});
