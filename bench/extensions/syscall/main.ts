// The benchmark's extension: loops that make one call each time round, so
// the host can time a syscall against an empty import of the same shape.
import {
  BF_SPEC_ID1_VAL, bf_handle_op_open_handle, bf_reg_t, bf_vm_op_create_vm, bf_vp_op_create_vp,
  bf_vps_op_create_vps, bf_vps_op_init_as_root, bf_vps_op_read_reg, bf_vps_op_write_reg,
} from '../../../extensions/sdk';

// the same WebAssembly type as bf_vps_op_read_reg: (i64, i32, i64, i32) -> i64
@external("bench", "nop")
declare function nop(handle: u64, vpsid: u32, reg: u64, out: usize): u64;

const OUT: usize = memory.data(8, 8);
let handle: u64 = 0;
let vpsid: u16 = 0;

export function ext_main_entry(version: u32): void {
  handle = bf_handle_op_open_handle(BF_SPEC_ID1_VAL);
  const vpid = bf_vp_op_create_vp(handle, bf_vm_op_create_vm(handle));
  vpsid = bf_vps_op_create_vps(handle, vpid, 0);
  bf_vps_op_init_as_root(handle, vpsid);
}

/** n empty import calls */
export function loop_nop(n: i32): u64 {
  let acc: u64 = 0;
  for (let i = 0; i < n; i++) acc += nop(handle, vpsid, <u64>bf_reg_t.rip, OUT);
  return acc;
}

/** n bf_vps_op_read_reg round trips, as an author writes them */
export function loop_read_reg(n: i32): u64 {
  let acc: u64 = 0;
  for (let i = 0; i < n; i++) acc += bf_vps_op_read_reg(handle, vpsid, bf_reg_t.rip);
  return acc;
}

/** n bf_vps_op_write_reg round trips */
export function loop_write_reg(n: i32): u64 {
  for (let i = 0; i < n; i++) bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rbx, <u64>i);
  return 0;
}
