// Host services: what the bfx host offers an extension beyond the bf ABI.
// They live in their own import namespace, "bfx", so that nothing here is
// mistaken for a syscall a microkernel implements.
import {
  BF_SVM_EXIT_CPUID, BF_SVM_EXIT_HLT, BF_SVM_EXIT_IO, BF_SVM_EXIT_NPF, BF_SVM_EXIT_RDMSR,
  BF_SVM_EXIT_SHUTDOWN, BF_SVM_EXIT_INVALID, BF_SVM_EXIT_VMCALL, BF_VMX_EXIT_CPUID,
  BF_VMX_EXIT_HLT, BF_VMX_EXIT_IO, BF_VMX_EXIT_NPF, BF_VMX_EXIT_RDMSR, BF_VMX_EXIT_WRMSR,
  BF_VMX_EXIT_SHUTDOWN, BF_VMX_EXIT_INVALID, BF_VMX_EXIT_VMCALL,
} from './bf';

/** the microkernel runs on AMD SVM */
export const BFX_ARCH_AMD: u32 = 1;
/** the microkernel runs on Intel VMX */
export const BFX_ARCH_INTEL: u32 = 2;

@external("bfx", "arch")
declare function bfx_arch_impl(): u32;

@external("bfx", "ppid")
declare function bfx_ppid_impl(): u32;

@external("bfx", "config")
declare function bfx_config_impl(buf: usize, len: u32): u32;

/** the architecture the microkernel reported: BFX_ARCH_AMD or BFX_ARCH_INTEL */
export function bfx_arch(): u32 {
  return bfx_arch_impl();
}

/** the physical processor this code runs on (Bareflank's bf_tls_ppid) */
export function bfx_ppid(): u16 {
  return <u16>bfx_ppid_impl();
}

/** the configuration text the extension was started with (bfx run --config), or "" */
export function bfx_config(): string {
  const len = bfx_config_impl(0, 0);
  if (len == 0) return '';
  const buf = new ArrayBuffer(<i32>len);
  bfx_config_impl(changetype<usize>(buf), len);
  return String.UTF8.decode(buf);
}

@external("bfx", "checkpoint")
declare function bfx_checkpoint_impl(): u32;

@external("bfx", "resumed")
declare function bfx_resumed_impl(): u32;

@external("bfx", "exit_status")
declare function bfx_exit_status_impl(status: u64): void;

/**
 * What this extension's next bf_control_op_exit reports: 0 (the default) a
 * clean exit, any other value an exit with failure — which a supervisor
 * judges as a crash (class exit-failure), and restarts as its policy says.
 */
export function bfx_exit_status(status: u64): void {
  bfx_exit_status_impl(status);
}

/**
 * Asks the supervisor to checkpoint this extension — its memory and
 * globals — when the call it is in returns: an extension whose manifest
 * says `"state": "checkpoint"` restarts from its last checkpoint. false when
 * no supervisor runs it (bfx run).
 */
export function bfx_checkpoint(): bool {
  return bfx_checkpoint_impl() == 1;
}

/**
 * How many times this extension was resumed after a crash (`"state":
 * "resume"`): 0 in its first instance. A resumed instance has the memory,
 * globals, handle and resources the crash left; its entry point is not
 * called again, and the callback that crashed is called again.
 */
export function bfx_resumed(): u32 {
  return bfx_resumed_impl();
}

/** what a VM exit was, whatever the architecture numbers it */
export enum bfx_exit {
  cpuid,
  hlt,
  io,
  msr,
  vmcall,
  npf,
  shutdown,
  invalid,
  other,
}

/** names the exit reason a vmexit callback received, on AMD or Intel alike */
export function bfx_exit_kind(reason: u64): bfx_exit {
  if (bfx_arch() == BFX_ARCH_AMD) {
    if (reason == BF_SVM_EXIT_CPUID) return bfx_exit.cpuid;
    if (reason == BF_SVM_EXIT_HLT) return bfx_exit.hlt;
    if (reason == BF_SVM_EXIT_IO) return bfx_exit.io;
    if (reason == BF_SVM_EXIT_RDMSR) return bfx_exit.msr;
    if (reason == BF_SVM_EXIT_VMCALL) return bfx_exit.vmcall;
    if (reason == BF_SVM_EXIT_NPF) return bfx_exit.npf;
    if (reason == BF_SVM_EXIT_SHUTDOWN) return bfx_exit.shutdown;
    if (reason == BF_SVM_EXIT_INVALID) return bfx_exit.invalid;
    return bfx_exit.other;
  }
  const basic = reason & 0xffff;
  if (reason == BF_VMX_EXIT_INVALID) return bfx_exit.invalid;
  if (basic == BF_VMX_EXIT_CPUID) return bfx_exit.cpuid;
  if (basic == BF_VMX_EXIT_HLT) return bfx_exit.hlt;
  if (basic == BF_VMX_EXIT_IO) return bfx_exit.io;
  if (basic == BF_VMX_EXIT_RDMSR || basic == BF_VMX_EXIT_WRMSR) return bfx_exit.msr;
  if (basic == BF_VMX_EXIT_VMCALL) return bfx_exit.vmcall;
  if (basic == BF_VMX_EXIT_NPF) return bfx_exit.npf;
  if (basic == BF_VMX_EXIT_SHUTDOWN) return bfx_exit.shutdown;
  return bfx_exit.other;
}

/** the four registers CPUID answers */
export class bfx_cpuid_result {
  eax: u32 = 0;
  ebx: u32 = 0;
  ecx: u32 = 0;
  edx: u32 = 0;
}

@external("bfx", "cpuid")
declare function bfx_cpuid_impl(leaf: u32, subleaf: u32, out: usize): u32;

// one result, reused: a CPUID emulation allocates nothing per exit
const cpuid_result = new bfx_cpuid_result();

/**
 * CPUID(leaf, subleaf) as the current physical processor answers it. An
 * exit handler that emulates CPUID starts from this and changes what it
 * wants the guest to see. The result is overwritten by the next call.
 */
export function bfx_cpuid(leaf: u32, subleaf: u32): bfx_cpuid_result {
  bfx_cpuid_impl(leaf, subleaf, changetype<usize>(cpuid_result));
  return cpuid_result;
}
