// cpuid: the equivalent of Bareflank's default example. On every physical
// processor it puts the running OS (the root guest) into a VM, intercepts
// CPUID, and answers leaf 0x40000000 with its own hypervisor signature,
// which the guest then prints. Run it with:  npx bfx run extensions/cpuid
import {
  BF_INVALID_ID, BF_SPEC_ID1_MASK, BF_SPEC_ID1_VAL, BF_STATUS_SUCCESS, BFX_ARCH_AMD,
  bf_callback_op_register_bootstrap, bf_callback_op_register_fail, bf_callback_op_register_vmexit,
  bf_callback_op_wait, bf_control_op_exit, bf_debug_op_dump_vps, bf_debug_op_write_str,
  bf_handle_op_open_handle, bf_last_status, bf_reg_t, bf_status_name, bf_vm_op_create_vm, bf_vp_op_create_vp,
  bf_vps_op_advance_ip_and_run_current, bf_vps_op_create_vps, bf_vps_op_init_as_root,
  bf_vps_op_promote, bf_vps_op_read_reg, bf_vps_op_run, bf_vps_op_write32, bf_vps_op_write_reg,
  bfx_arch, bfx_cpuid, bfx_exit, bfx_exit_kind, bfx_ppid,
} from '../sdk';

/** what CPUID(0x40000000) answers in EBX, ECX and EDX: 12 characters */
const SIGNATURE = 'BfxHyperWasm';
const HYPERVISOR_LEAF: u32 = 0x40000000;
const HYPERVISOR_PRESENT: u32 = 1 << 31; // CPUID(1).ECX bit 31

// AMD only exits on CPUID when asked to, through the VMCB (Intel always exits):
const VMCB_INTERCEPT_MISC1: u64 = 0x0c;
const VMCB_INTERCEPT_MISC2: u64 = 0x10;
const VMCB_GUEST_ASID: u64 = 0x58;
const INTERCEPT_CPUID: u32 = 1 << 18;
const INTERCEPT_VMRUN: u32 = 1 << 0; // VMRUN refuses a VMCB without it

let handle: u64 = 0;
let vmid: u16 = BF_INVALID_ID;
// the VPS each physical processor runs, for the fail callback
const vpsOfPp = new StaticArray<u16>(256);

/** four characters of SIGNATURE as a register holds them */
function chars(at: i32): u32 {
  let v: u32 = 0;
  for (let i = 3; i >= 0; i--) v = (v << 8) | <u32>SIGNATURE.charCodeAt(at + i);
  return v;
}

/** when the last syscall failed: say which, and stop the extension */
function check(what: string): void {
  if (bf_last_status() == BF_STATUS_SUCCESS) return;
  bf_debug_op_write_str(handle, 'cpuid: ' + what + ' failed: ' + bf_status_name(bf_last_status()) + '\n');
  bf_control_op_exit(handle);
}

// Called once per physical processor, with its ID.
function bootstrap(ppid: u16): void {
  if (ppid == 0) { // one VM for all processors: the root VM
    vmid = bf_vm_op_create_vm(handle);
    check('bf_vm_op_create_vm');
  }
  const vpid = bf_vp_op_create_vp(handle, vmid);
  check('bf_vp_op_create_vp');
  const vpsid = bf_vps_op_create_vps(handle, vpid, ppid);
  check('bf_vps_op_create_vps');
  vpsOfPp[ppid] = vpsid;

  // the VPS starts as the OS that was running on this processor
  bf_vps_op_init_as_root(handle, vpsid);
  check('bf_vps_op_init_as_root');

  if (bfx_arch() == BFX_ARCH_AMD) {
    bf_vps_op_write32(handle, vpsid, VMCB_INTERCEPT_MISC1, INTERCEPT_CPUID);
    bf_vps_op_write32(handle, vpsid, VMCB_INTERCEPT_MISC2, INTERCEPT_VMRUN);
    bf_vps_op_write32(handle, vpsid, VMCB_GUEST_ASID, 1);
    check('bf_vps_op_write32');
  }

  // the guest runs once this callback returns
  bf_vps_op_run(handle, vpsid, vpid, vmid);
  check('bf_vps_op_run');
}

// Called on every VM exit of a VPS this extension created.
function vmexit(vpsid: u16, exit_reason: u64): void {
  if (bfx_exit_kind(exit_reason) != bfx_exit.cpuid) {
    bf_debug_op_write_str(handle, 'cpuid: unexpected exit 0x' + exit_reason.toString(16) + '\n');
    bf_debug_op_dump_vps(handle, vpsid);
    bf_control_op_exit(handle);
    return;
  }

  // what the guest asked: leaf in EAX, subleaf in ECX
  const leaf = <u32>bf_vps_op_read_reg(handle, vpsid, bf_reg_t.rax);
  const subleaf = <u32>bf_vps_op_read_reg(handle, vpsid, bf_reg_t.rcx);

  // start from the processor's own answer, then change what we want seen
  const r = bfx_cpuid(leaf, subleaf);
  if (leaf == HYPERVISOR_LEAF) {
    r.eax = HYPERVISOR_LEAF; // the highest hypervisor leaf we answer
    r.ebx = chars(0);
    r.ecx = chars(4);
    r.edx = chars(8);
  } else if (leaf == 1) {
    r.ecx |= HYPERVISOR_PRESENT;
  }
  bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rax, r.eax);
  bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rbx, r.ebx);
  bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rcx, r.ecx);
  bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rdx, r.edx);

  // past the CPUID instruction, and back to the guest when we return
  bf_vps_op_advance_ip_and_run_current(handle, vpsid);
}

// Called when one of our callbacks failed on a processor: give that
// processor back to its OS, without a hypervisor, rather than stop it.
function fail(status: u64): void {
  bf_debug_op_write_str(handle, 'cpuid: a callback failed (' + bf_status_name(status) + '); giving the processor back to its OS\n');
  bf_vps_op_promote(handle, vpsOfPp[bfx_ppid()]);
}

export function ext_main_entry(version: u32): void {
  if ((version & BF_SPEC_ID1_MASK) == 0) return;
  handle = bf_handle_op_open_handle(BF_SPEC_ID1_VAL);
  if (bf_last_status() != BF_STATUS_SUCCESS) return;

  bf_callback_op_register_bootstrap(handle, bootstrap);
  check('bf_callback_op_register_bootstrap');
  bf_callback_op_register_vmexit(handle, vmexit);
  check('bf_callback_op_register_vmexit');
  bf_callback_op_register_fail(handle, fail);
  check('bf_callback_op_register_fail');

  // callbacks start when we return
  bf_callback_op_wait(handle);
}
