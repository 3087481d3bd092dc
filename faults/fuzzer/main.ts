// The typed fuzzer: an extension that, at every VM exit, makes a few
// syscalls chosen at random (from the seed in its configuration, "seed:<n>")
// with arguments at random around the IDs it holds, then handles the CPUID
// exit as the cpuid example does. It says each exit ("exit <n>"), so that
// the fault campaign can strike at a chosen one, and says "bad status" when
// a syscall returns anything that is not a bf_status_t — which must never
// happen, whatever the microkernel does.
import {
  BF_INVALID_ID, BF_SPEC_ID1_VAL, bf_callback_op_register_bootstrap, bf_callback_op_register_fail,
  bf_callback_op_register_vmexit, bf_callback_op_wait, bf_debug_op_write_str, bf_handle_op_open_handle,
  bf_last_status, bf_reg_t, bf_status_name, bf_status_t, bf_vm_op_create_vm, bf_vm_op_destroy_vm,
  bf_vp_op_create_vp, bf_vp_op_destroy_vp, bf_vps_op_advance_ip_and_run_current, bf_vps_op_create_vps,
  bf_vps_op_destroy_vps, bf_vps_op_init_as_root, bf_vps_op_read64, bf_vps_op_read_reg, bf_vps_op_run,
  bf_vps_op_write32, bf_vps_op_write_reg, bf_intrinsic_op_read_msr, bfx_config, bfx_cpuid,
} from '../../extensions/sdk';

let handle: u64 = 0;
let seed: u32 = 1;
let exits: u32 = 0;
let vm: u16 = BF_INVALID_ID;

/** mulberry32, as the campaign's own */
function random(): u32 {
  seed += 0x6d2b79f5;
  let t = seed;
  t = (t ^ (t >> 15)) * (t | 1);
  t ^= t + (t ^ (t >> 7)) * (t | 61);
  return t ^ (t >> 14);
}

function say(text: string): void {
  bf_debug_op_write_str(handle, text + '\n');
}

function check(what: string, status: bf_status_t): void {
  if (!bf_status_name(status).startsWith('BF_STATUS_')) say('bad status from ' + what + ': 0x' + status.toString(16));
}

/** an ID near those in use: at and past the pools' ends too */
function someId(): u16 {
  return <u16>(random() % 20);
}

function bootstrap(ppid: u16): void {
  vm = bf_vm_op_create_vm(handle);
  const vp = bf_vp_op_create_vp(handle, vm);
  const vps = bf_vps_op_create_vps(handle, vp, ppid);
  bf_vps_op_init_as_root(handle, vps);
  bf_vps_op_write32(handle, vps, 0x0c, 1 << 18); // intercept CPUID
  bf_vps_op_write32(handle, vps, 0x10, 1); // and VMRUN, as VMRUN requires
  bf_vps_op_write32(handle, vps, 0x58, 1); // guest ASID
  bf_vps_op_run(handle, vps, vp, vm);
}

/** one syscall at random, its status checked */
function fuzz(vpsid: u16): void {
  switch (random() % 9) {
    case 0: bf_vm_op_create_vm(handle); check('create_vm', bf_last_status()); break;
    case 1: check('destroy_vm', bf_vm_op_destroy_vm(handle, someId())); break;
    case 2: bf_vp_op_create_vp(handle, random() % 2 == 0 ? vm : someId()); check('create_vp', bf_last_status()); break;
    case 3: check('destroy_vp', bf_vp_op_destroy_vp(handle, someId())); break;
    case 4: bf_vps_op_create_vps(handle, someId(), 0); check('create_vps', bf_last_status()); break;
    case 5: if (someId() != vpsid) check('destroy_vps', bf_vps_op_destroy_vps(handle, someId())); break;
    case 6: bf_vps_op_read64(handle, random() % 2 == 0 ? vpsid : someId(), <u64>(random() % 0x400) * 8); check('read64', bf_last_status()); break;
    case 7: bf_vps_op_read_reg(handle, random() % 2 == 0 ? vpsid : someId(), <bf_reg_t>(random() % 80)); check('read_reg', bf_last_status()); break;
    default: bf_intrinsic_op_read_msr(handle, random() % 4 == 0 ? random() : 0x277); check('read_msr', bf_last_status()); break;
  }
}

function vmexit(vpsid: u16, reason: u64): void {
  exits++;
  say('exit ' + exits.toString());
  const n = random() % 4;
  for (let i: u32 = 0; i < n; i++) fuzz(vpsid);
  const r = bfx_cpuid(<u32>bf_vps_op_read_reg(handle, vpsid, bf_reg_t.rax), <u32>bf_vps_op_read_reg(handle, vpsid, bf_reg_t.rcx));
  bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rax, r.eax);
  bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rbx, r.ebx);
  bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rcx, r.ecx);
  bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rdx, r.edx);
  check('advance_ip_and_run_current', bf_vps_op_advance_ip_and_run_current(handle, vpsid));
}

function fail(status: u64): void {
  say('fail 0x' + status.toString(16));
}

export function ext_main_entry(version: u32): void {
  const text = bfx_config();
  if (text.startsWith('seed:')) seed = <u32>parseInt(text.substring(5));
  handle = bf_handle_op_open_handle(BF_SPEC_ID1_VAL);
  bf_callback_op_register_bootstrap(handle, bootstrap);
  bf_callback_op_register_vmexit(handle, vmexit);
  bf_callback_op_register_fail(handle, fail);
  bf_callback_op_wait(handle);
}
