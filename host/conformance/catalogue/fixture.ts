// What the cases share: a way to reach a state (a VM, VP and VPS on a
// processor; a zombie of each kind), a recipe per syscall for a call that
// succeeds, and `make`, which makes that call where it must be made, with an
// argument spoiled when a case asks.
import {
  BF_EXIT_REASONS, BF_SPEC_ID1_VAL, BF_STATUS_FAILURE_UNKNOWN, BF_SYSCALLS, BF_SVM_EXIT_INVALID, BF_VMX_EXIT_INVALID,
  bf_reg_t, type ParamInfo, type SyscallInfo, type SyscallName,
} from '../../abi/bf.js';
import type { Arch, ResourceKind } from '../../backend/microkernel.js';
import { ExtensionExit } from '../../boundary/guard.js';
import type { Driver, DriverExt } from '../driver/driver.js';

export type Args = (number | bigint)[];

export const info = (name: SyscallName): SyscallInfo => BF_SYSCALLS.find((s) => s.name === name)!;

// ---- AMD VMCB and Intel VMCS fields the cases use (AMD APM vol. 2 app. B; Intel SDM vol. 3 app. B) ----
export const VMCB_INTERCEPT_MISC1 = 0x00cn;
export const VMCB_INTERCEPT_MISC2 = 0x010n;
export const VMCB_IOPM_BASE_PA = 0x040n;
export const VMCB_MSRPM_BASE_PA = 0x048n;
export const VMCB_GUEST_ASID = 0x058n;
export const VMCB_EXITINFO1 = 0x078n;
export const MISC1_CPUID = 1 << 18;
export const MISC1_HLT = 1 << 24;
export const MISC1_IOIO_PROT = 1 << 27;
export const MISC1_MSR_PROT = 1 << 28;
export const MISC2_VMRUN = 1 << 0;
export const MISC2_VMMCALL = 1 << 1;
export const VMCS_GUEST_ES_SELECTOR = 0x0800n; // 16-bit
export const VMCS_TSC_OFFSET = 0x2010n; // 64-bit
export const VMCS_LINK_POINTER = 0x2800n; // 64-bit
export const VMCS_PRIMARY_PROC_CONTROLS = 0x4002n; // 32-bit
export const VMCS_EXIT_REASON = 0x4402n; // 32-bit, read-only
export const VMCS_GUEST_RIP = 0x681en; // natural width
export const PROC_HLT_EXITING = 1 << 7;
export const PROC_USE_MSR_BITMAPS = 1 << 28;

export const arch = (d: Driver): Arch => d.mk.hello.arch;

/** VMEXIT_INVALID on AMD, a VM-entry failure for invalid guest state on Intel */
export const invalidExit = (d: Driver): bigint => (arch(d) === 'amd' ? BF_SVM_EXIT_INVALID : BF_VMX_EXIT_INVALID);

/** the exit reason of a named exit on the backend's architecture */
export function exitReason(d: Driver, name: string): bigint {
  const found = BF_EXIT_REASONS.find((x) => x.name === name);
  if (!found) throw new Error(`no exit reason ${name}`);
  return arch(d) === 'amd' ? found.svm : found.vmx;
}

/**
 * A field of each width the architecture has, that a case may read and
 * write freely. A VMCS has no 8-bit field: for 1 byte on Intel this is the
 * 16-bit VPID, which read8/write8 refuse; only cases that fail before the
 * index matters use it (the success cases of read8 and write8 need AMD).
 */
export function field(a: Arch, bytes: 1 | 2 | 4 | 8): bigint {
  if (a === 'amd') return VMCB_GUEST_ASID; // aligned for every width
  switch (bytes) {
    case 1: return 0x0000n;
    case 2: return VMCS_GUEST_ES_SELECTOR;
    case 4: return VMCS_PRIMARY_PROC_CONTROLS;
    case 8: return VMCS_TSC_OFFSET;
  }
}

export interface World {
  vm: number;
  vp: number;
  vps: number;
}

/** a VM, a VP in it and a VPS of the VP on ppid, loaded with the root guest (when init) */
export function world(e: DriverExt, ppid = 0, init = true): World {
  const vm = e.createVm();
  const vp = e.createVp(vm);
  const vps = e.createVps(vp, ppid);
  if (init) e.ok('bf_vps_op_init_as_root', e.handle, vps);
  return { vm, vp, vps };
}

/**
 * Makes a VPS the root guest was loaded into ready to enter with CPUID
 * exiting: on AMD, Bareflank's own example (CPUID intercept, the VMRUN
 * intercept VMRUN demands, a non-zero ASID); Intel always exits on CPUID.
 */
export function intercepts(e: DriverExt, d: Driver, vps: number, misc1 = MISC1_CPUID, misc2 = MISC2_VMRUN): void {
  if (arch(d) !== 'amd') return;
  e.ok('bf_vps_op_write32', e.handle, vps, VMCB_INTERCEPT_MISC1, misc1);
  e.ok('bf_vps_op_write32', e.handle, vps, VMCB_INTERCEPT_MISC2, misc2);
  e.ok('bf_vps_op_write32', e.handle, vps, VMCB_GUEST_ASID, 1);
}

/** world + intercepts + run, in a callback on ppid: the guest runs once the callback returns */
export function running(e: DriverExt, d: Driver, ppid = 0): World {
  const w = world(e, ppid);
  intercepts(e, d, w.vps);
  e.ok('bf_vps_op_run', e.handle, w.vps, w.vp, w.vm);
  return w;
}

/** an ID of the kind that is in range and was never created */
export function neverCreated(d: Driver, kind: ResourceKind): number {
  const id = limit(d, kind) - 1;
  if (d.mk.allocated(kind).includes(id)) throw new Error(`${kind} ${id} is allocated; the case cannot use it as never created`);
  return id;
}

export function limit(d: Driver, kind: ResourceKind): number {
  const l = d.mk.hello.limits;
  return kind === 'vm' ? l.vms : kind === 'vp' ? l.vps : l.vpss;
}

/**
 * A zombie of the kind, owned by e: a VM with a VP, a VP with a VPS, or a
 * VPS that was run on the current processor (so: in a callback), destroyed.
 */
export function zombie(e: DriverExt, kind: ResourceKind, ppid = 0): number {
  const h = e.handle;
  if (kind === 'vm') {
    const vm = e.createVm();
    e.createVp(vm);
    e.fails('bf_vm_op_destroy_vm', BF_STATUS_FAILURE_UNKNOWN, h, vm);
    return vm;
  }
  if (kind === 'vp') {
    const vp = e.createVp(e.createVm());
    e.createVps(vp, ppid);
    e.fails('bf_vp_op_destroy_vp', BF_STATUS_FAILURE_UNKNOWN, h, vp);
    return vp;
  }
  const w = world(e, ppid);
  e.ok('bf_vps_op_run', h, w.vps, w.vp, w.vm);
  e.fails('bf_vps_op_destroy_vps', BF_STATUS_FAILURE_UNKNOWN, h, w.vps);
  return w.vps;
}

/** one of the kind owned by another extension (o) */
export function foreign(o: DriverExt, kind: ResourceKind, ppid = 0): number {
  if (kind === 'vm') return o.createVm();
  if (kind === 'vp') return o.createVp(o.createVm());
  return o.createVps(o.createVp(o.createVm()), ppid);
}

// ---- state, for "nothing changed" ----

export interface State {
  mk: Uint8Array;
  records: string;
}

export function state(d: Driver): State {
  return { mk: d.mk.snapshot(), records: d.host.env.records.snapshot() };
}

export { sameBytes } from '../../backend/remote/registers.js';

// ---- recipes: a call of each syscall that succeeds ----

/** where a syscall is made: in the entry point, in a bootstrap callback on pp 0, or from outside any */
export type Where = 'main' | 'callback' | 'anywhere';

export interface Recipe {
  where: Where;
  /** sets up what the call needs, without making the syscall itself, and returns the arguments of a call that succeeds */
  args(e: DriverExt, d: Driver): Args;
}

const anywhere = (args: Recipe['args']): Recipe => ({ where: 'anywhere', args });
const callback = (args: Recipe['args']): Recipe => ({ where: 'callback', args });
const main = (args: Recipe['args']): Recipe => ({ where: 'main', args });
/** in the entry point, once the handle is open */
const opened = (args: Recipe['args']): Recipe => main((e, d) => {
  e.open();
  return args(e, d);
});

const readRecipe = (bytes: 1 | 2 | 4 | 8): Recipe => callback((e, d) => {
  const vps = world(e).vps;
  return [e.handle, vps, field(arch(d), bytes), e.scratch(0)];
});
const writeRecipe = (bytes: 1 | 2 | 4 | 8): Recipe => callback((e, d) => {
  const vps = world(e).vps;
  const v = bytes === 8 ? 0x0123456789abcdefn : 0x7f;
  return [e.handle, vps, field(arch(d), bytes), v];
});

export const WRITE_STR_AT = 16; // scratch slot of the string write_str prints

export const recipes: Record<SyscallName, Recipe> = {
  bf_control_op_exit: opened((e) => [e.handle]),
  bf_handle_op_open_handle: main((e) => [BF_SPEC_ID1_VAL, e.scratch(0)]),
  bf_handle_op_close_handle: anywhere((e) => [e.handle]),
  bf_debug_op_out: anywhere((e) => [e.handle, 0x1234n, 0xfedcba9876543210n]),
  bf_debug_op_dump_vm: anywhere((e) => [e.handle, e.createVm()]),
  bf_debug_op_dump_vp: anywhere((e) => [e.handle, e.createVp(e.createVm())]),
  bf_debug_op_dump_vps: callback((e) => [e.handle, world(e).vps]),
  bf_debug_op_dump_vmexit_log: anywhere((e) => [e.handle, e.createVp(e.createVm())]),
  bf_debug_op_write_c: anywhere((e) => [e.handle, 0x41]),
  bf_debug_op_write_str: anywhere((e) => {
    e.cstr(e.scratch(WRITE_STR_AT), 'conformance\n');
    return [e.handle, e.scratch(WRITE_STR_AT)];
  }),
  bf_callback_op_wait: opened((e) => [e.handle]),
  bf_callback_op_register_bootstrap: opened((e) => [e.handle, e.slot('BOOTSTRAP')]),
  bf_callback_op_register_vmexit: opened((e) => [e.handle, e.slot('VMEXIT')]),
  bf_callback_op_register_fail: opened((e) => [e.handle, e.slot('FAIL')]),
  bf_vm_op_create_vm: anywhere((e) => [e.handle, e.scratch(0)]),
  bf_vm_op_destroy_vm: anywhere((e) => [e.handle, e.createVm()]),
  bf_vp_op_create_vp: anywhere((e) => [e.handle, e.createVm(), e.scratch(0)]),
  bf_vp_op_destroy_vp: anywhere((e) => [e.handle, e.createVp(e.createVm())]),
  bf_vps_op_create_vps: callback((e) => [e.handle, e.createVp(e.createVm()), 0, e.scratch(0)]),
  bf_vps_op_destroy_vps: callback((e) => [e.handle, world(e, 0, false).vps]),
  bf_vps_op_init_as_root: callback((e) => [e.handle, world(e, 0, false).vps]),
  bf_vps_op_read8: readRecipe(1),
  bf_vps_op_read16: readRecipe(2),
  bf_vps_op_read32: readRecipe(4),
  bf_vps_op_read64: readRecipe(8),
  bf_vps_op_write8: writeRecipe(1),
  bf_vps_op_write16: writeRecipe(2),
  bf_vps_op_write32: writeRecipe(4),
  bf_vps_op_write64: writeRecipe(8),
  bf_vps_op_read_reg: callback((e) => [e.handle, world(e).vps, bf_reg_t.rax, e.scratch(0)]),
  bf_vps_op_write_reg: callback((e) => [e.handle, world(e).vps, bf_reg_t.rax, 0x1234n]),
  bf_vps_op_run: callback((e, d) => {
    const w = world(e);
    intercepts(e, d, w.vps);
    return [e.handle, w.vps, w.vp, w.vm];
  }),
  bf_vps_op_run_current: callback((e, d) => {
    running(e, d);
    return [e.handle];
  }),
  bf_vps_op_advance_ip: callback((e) => [e.handle, world(e).vps]),
  bf_vps_op_advance_ip_and_run_current: callback((e, d) => [e.handle, running(e, d).vps]),
  bf_vps_op_promote: callback((e) => [e.handle, world(e).vps]),
  bf_intrinsic_op_read_msr: anywhere((e) => [e.handle, IA32_PAT, e.scratch(0)]),
  bf_intrinsic_op_write_msr: anywhere((e) => [e.handle, IA32_TSC_AUX, 0x1234n]),
  bf_mem_op_alloc_page: anywhere((e) => [e.handle, e.scratch(0), e.scratch(1)]),
  bf_mem_op_free_page: anywhere((e) => [e.handle, e.allocPage().virt]),
  bf_mem_op_virt_to_phys: anywhere((e) => [e.handle, e.allocPage().virt, e.scratch(0)]),
};

export const IA32_PAT = 0x277;
export const IA32_TSC_AUX = 0xc0000103;
export const IA32_APIC_BASE = 0x1b;
/** an MSR no x86 processor has */
export const NO_SUCH_MSR = 0x4b564d99;

/** changes the arguments of the call just before it is made; may make syscalls itself (it runs where the call runs) */
export type Spoil = (args: Args, d: Driver) => void;

export interface Made {
  status: bigint;
  args: Args;
  /** the kernel's and the boundary's state right before the call, and right after */
  before: State;
  after: State;
}

/**
 * Starts d (not started yet) and makes the recipe's call of `name` by its
 * first extension, where the syscall must be made, spoiled by `spoil`.
 */
export function make(d: Driver, name: SyscallName, spoil?: Spoil): Made {
  const r = recipes[name];
  const e = d.e;
  let made: Made | undefined;
  const go = () => {
    const args = r.args(e, d);
    spoil?.(args, d);
    const before = state(d);
    const status = e.call(name, ...args);
    made = { status, args, before, after: state(d) };
  };
  if (r.where === 'main') {
    let error: unknown;
    e.on.main = () => {
      try {
        go();
      } catch (err) {
        if (err instanceof ExtensionExit) throw err;
        error = err;
      }
    };
    d.start();
    if (error) throw error;
  } else {
    d.start();
    if (r.where === 'callback') d.inCallback(go);
    else go();
  }
  if (!made) throw new Error(`${name} did not return`);
  return made;
}

/** the kind of resource an ID parameter names */
export function kindOf(p: ParamInfo): ResourceKind | undefined {
  return p.role === 'vmid' ? 'vm' : p.role === 'vpid' ? 'vp' : p.role === 'vpsid' ? 'vps' : undefined;
}
