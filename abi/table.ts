// The bf syscall ABI, once. Everything else that names a status, an opcode,
// a syscall, a register or an exit reason is generated from this file
// (npm run gen) or reads it. Values are the facts of shared ABI.md.

export interface Status {
  name: string;
  value: bigint;
  doc: string;
}

export const statuses: readonly Status[] = [
  { name: 'BF_STATUS_SUCCESS', value: 0x0000000000000000n, doc: 'the syscall succeeded' },
  { name: 'BF_STATUS_FAILURE_UNKNOWN', value: 0xdead000000010001n, doc: 'an unexpected error, a hardware exception included; for a create, nothing changed' },
  { name: 'BF_STATUS_FAILURE_INVALID_HANDLE', value: 0xdead000000020001n, doc: 'the handle is not the one open_handle gave this extension' },
  { name: 'BF_STATUS_FAILURE_UNSUPPORTED', value: 0xdead000000040001n, doc: 'the microkernel does not implement this syscall or version' },
  { name: 'BF_STATUS_INVALID_PERM_EXT', value: 0xdead000000010002n, doc: 'the extension may not make this syscall' },
  { name: 'BF_STATUS_INVALID_PERM_DENIED', value: 0xdead000000020002n, doc: 'the resource belongs to another extension' },
  { name: 'BF_STATUS_INVALID_PARAMS0', value: 0xdead000000010003n, doc: 'argument 0 is invalid' },
  { name: 'BF_STATUS_INVALID_PARAMS1', value: 0xdead000000020003n, doc: 'argument 1 is invalid' },
  { name: 'BF_STATUS_INVALID_PARAMS2', value: 0xdead000000040003n, doc: 'argument 2 is invalid' },
  { name: 'BF_STATUS_INVALID_PARAMS3', value: 0xdead000000080003n, doc: 'argument 3 is invalid' },
  { name: 'BF_STATUS_INVALID_PARAMS4', value: 0xdead000000100003n, doc: 'argument 4 is invalid' },
  { name: 'BF_STATUS_INVALID_PARAMS5', value: 0xdead000000200003n, doc: 'argument 5 is invalid' },
];

/** Register-level encoding of RAX for a syscall, and the masks to take it apart. */
export const encoding = {
  BF_SYSCALL_SIG_VAL: 0x6642000000000000n,
  BF_SYSCALL_SIG_MASK: 0xffff000000000000n,
  BF_SYSCALL_FLAGS_MASK: 0x0000ffff00000000n,
  BF_SYSCALL_OP_MASK: 0xffff0000ffff0000n,
  BF_SYSCALL_OP_NOSIG_MASK: 0x00000000ffff0000n,
  BF_SYSCALL_INDEX_MASK: 0x000000000000ffffn,
  BF_STATUS_SIG_MASK: 0xffff000000000000n,
  BF_STATUS_FLAGS_MASK: 0x0000ffffffff0000n,
  BF_STATUS_VALUE_MASK: 0x000000000000ffffn,
  BF_STATUS_FAILURE_SIG_VAL: 0xdead000000000000n,
} as const;

export const constants = {
  /** what open_handle takes: the version of the spec the extension speaks */
  BF_SPEC_ID1_VAL: 0x31236642,
  /** the bit of the entry point's version argument that says spec 1 is supported */
  BF_SPEC_ID1_MASK: 0x2,
  /** no VM, VP, VPS or PP has this ID */
  BF_INVALID_ID: 0xffff,
  /** the size of a page bf_mem_op_alloc_page gives */
  BF_PAGE_SIZE: 4096,
} as const;

/** Which role an argument plays: the boundary validates by role. */
export type Role =
  | 'handle' | 'version' | 'vmid' | 'vpid' | 'vpsid' | 'ppid' | 'reg' | 'index'
  | 'value' | 'msr' | 'char' | 'cstr' | 'callback' | 'virt';

/** Widths as in the ABI; WebAssembly carries u64 as i64 and the rest as i32. */
export type Width = 'u8' | 'u16' | 'u32' | 'u64';

export interface Param {
  name: string;
  width: Width;
  role: Role;
}

export type Callback = 'bootstrap' | 'vmexit' | 'fail';

export interface Syscall {
  name: string;
  group: string;
  op: number;
  idx: number;
  inputs: readonly Param[];
  outputs: readonly Param[];
  /** 'host' syscalls are answered by the ABI boundary itself; 'kernel' ones reach the microkernel */
  where: 'host' | 'kernel';
  doc: string;
  /** register_* syscalls: which callback they register */
  callback?: Callback;
}

export interface Group {
  name: string;
  op: number;
  constant: string;
}

export const groups: readonly Group[] = [
  { name: 'control', op: 0x0, constant: 'BF_CONTROL_OP_VAL' },
  { name: 'handle', op: 0x1, constant: 'BF_HANDLE_OP_VAL' },
  { name: 'debug', op: 0x2, constant: 'BF_DEBUG_OP_VAL' },
  { name: 'callback', op: 0x3, constant: 'BF_CALLBACK_OP_VAL' },
  { name: 'vm', op: 0x4, constant: 'BF_VM_OP_VAL' },
  { name: 'vp', op: 0x5, constant: 'BF_VP_OP_VAL' },
  { name: 'vps', op: 0x6, constant: 'BF_VPS_OP_VAL' },
  { name: 'intrinsic', op: 0x7, constant: 'BF_INTRINSIC_OP_VAL' },
  { name: 'mem', op: 0x8, constant: 'BF_MEM_OP_VAL' },
];

const handle: Param = { name: 'handle', width: 'u64', role: 'handle' };
const vmid: Param = { name: 'vmid', width: 'u16', role: 'vmid' };
const vpid: Param = { name: 'vpid', width: 'u16', role: 'vpid' };
const vpsid: Param = { name: 'vpsid', width: 'u16', role: 'vpsid' };
const ppid: Param = { name: 'ppid', width: 'u16', role: 'ppid' };
const index: Param = { name: 'index', width: 'u64', role: 'index' };
const reg: Param = { name: 'reg', width: 'u64', role: 'reg' };
const value = (width: Width): Param => ({ name: 'value', width, role: 'value' });

type Def = Omit<Syscall, 'group' | 'op'>;

function group(name: string, defs: Def[]): Syscall[] {
  const g = groups.find((x) => x.name === name);
  if (!g) throw new Error(`abi/table: no group ${name}`);
  return defs.map((d) => ({ ...d, group: name, op: g.op }));
}

const rw = (width: Width, i: number): Def[] => [
  { name: `bf_vps_op_read${width.slice(1)}`, idx: 0x3 + i, inputs: [handle, vpsid, index], outputs: [value(width)], where: 'kernel', doc: `reads a ${width.slice(1)}-bit field of the VPS at index (a VMCB byte offset on AMD, a VMCS encoding on Intel)` },
  { name: `bf_vps_op_write${width.slice(1)}`, idx: 0x7 + i, inputs: [handle, vpsid, index, value(width)], outputs: [], where: 'kernel', doc: `writes a ${width.slice(1)}-bit field of the VPS at index` },
];

export const syscalls: readonly Syscall[] = [
  ...group('control', [
    { name: 'bf_control_op_exit', idx: 0x0, inputs: [handle], outputs: [], where: 'host', doc: 'ends the extension; it does not return' },
  ]),
  ...group('handle', [
    { name: 'bf_handle_op_open_handle', idx: 0x0, inputs: [{ name: 'version', width: 'u32', role: 'version' }], outputs: [{ name: 'handle', width: 'u64', role: 'handle' }], where: 'kernel', doc: 'opens the handle every other syscall takes; version must be BF_SPEC_ID1_VAL' },
    { name: 'bf_handle_op_close_handle', idx: 0x1, inputs: [handle], outputs: [], where: 'kernel', doc: 'closes the handle' },
  ]),
  ...group('debug', [
    { name: 'bf_debug_op_out', idx: 0x0, inputs: [handle, { name: 'val1', width: 'u64', role: 'value' }, { name: 'val2', width: 'u64', role: 'value' }], outputs: [], where: 'host', doc: 'prints two values in hex to the debug output' },
    { name: 'bf_debug_op_dump_vm', idx: 0x1, inputs: [handle, vmid], outputs: [], where: 'kernel', doc: 'prints the state of a VM' },
    { name: 'bf_debug_op_dump_vp', idx: 0x2, inputs: [handle, vpid], outputs: [], where: 'kernel', doc: 'prints the state of a VP' },
    { name: 'bf_debug_op_dump_vps', idx: 0x3, inputs: [handle, vpsid], outputs: [], where: 'kernel', doc: 'prints the state of a VPS' },
    { name: 'bf_debug_op_dump_vmexit_log', idx: 0x4, inputs: [handle, vpid], outputs: [], where: 'kernel', doc: 'prints the last VM exits of a VP' },
    { name: 'bf_debug_op_write_c', idx: 0x5, inputs: [handle, { name: 'c', width: 'u8', role: 'char' }], outputs: [], where: 'host', doc: 'writes one character to the debug output' },
    { name: 'bf_debug_op_write_str', idx: 0x6, inputs: [handle, { name: 'str', width: 'u64', role: 'cstr' }], outputs: [], where: 'host', doc: 'writes a NUL-terminated string to the debug output' },
  ]),
  ...group('callback', [
    { name: 'bf_callback_op_wait', idx: 0x0, inputs: [handle], outputs: [], where: 'host', doc: 'says the entry point is done: callbacks start when it returns' },
    { name: 'bf_callback_op_register_bootstrap', idx: 0x2, inputs: [handle, { name: 'callback', width: 'u64', role: 'callback' }], outputs: [], where: 'host', callback: 'bootstrap', doc: 'registers bootstrap(ppid: u16), called once per physical processor' },
    { name: 'bf_callback_op_register_vmexit', idx: 0x3, inputs: [handle, { name: 'callback', width: 'u64', role: 'callback' }], outputs: [], where: 'host', callback: 'vmexit', doc: 'registers vmexit(vpsid: u16, exit_reason: u64), called on each VM exit of a VPS the extension owns' },
    { name: 'bf_callback_op_register_fail', idx: 0x4, inputs: [handle, { name: 'callback', width: 'u64', role: 'callback' }], outputs: [], where: 'host', callback: 'fail', doc: 'registers fail(status: u64), called when a callback of the extension failed' },
  ]),
  ...group('vm', [
    { name: 'bf_vm_op_create_vm', idx: 0x0, inputs: [handle], outputs: [{ name: 'vmid', width: 'u16', role: 'vmid' }], where: 'kernel', doc: 'creates a VM' },
    { name: 'bf_vm_op_destroy_vm', idx: 0x1, inputs: [handle, vmid], outputs: [], where: 'kernel', doc: 'destroys a VM; one still in use becomes a zombie' },
  ]),
  ...group('vp', [
    { name: 'bf_vp_op_create_vp', idx: 0x0, inputs: [handle, vmid], outputs: [{ name: 'vpid', width: 'u16', role: 'vpid' }], where: 'kernel', doc: 'creates a VP in a VM' },
    { name: 'bf_vp_op_destroy_vp', idx: 0x1, inputs: [handle, vpid], outputs: [], where: 'kernel', doc: 'destroys a VP; one still in use becomes a zombie' },
  ]),
  ...group('vps', [
    { name: 'bf_vps_op_create_vps', idx: 0x0, inputs: [handle, vpid, ppid], outputs: [{ name: 'vpsid', width: 'u16', role: 'vpsid' }], where: 'kernel', doc: 'creates a VPS for a VP, assigned to a physical processor' },
    { name: 'bf_vps_op_destroy_vps', idx: 0x1, inputs: [handle, vpsid], outputs: [], where: 'kernel', doc: 'destroys a VPS; one still in use becomes a zombie' },
    { name: 'bf_vps_op_init_as_root', idx: 0x2, inputs: [handle, vpsid], outputs: [], where: 'kernel', doc: 'loads the state of the root guest of the current physical processor into the VPS' },
    ...rw('u8', 0), ...rw('u16', 1), ...rw('u32', 2), ...rw('u64', 3),
    { name: 'bf_vps_op_read_reg', idx: 0xb, inputs: [handle, vpsid, reg], outputs: [value('u64')], where: 'kernel', doc: 'reads a guest register (bf_reg_t)' },
    { name: 'bf_vps_op_write_reg', idx: 0xc, inputs: [handle, vpsid, reg, value('u64')], outputs: [], where: 'kernel', doc: 'writes a guest register (bf_reg_t)' },
    { name: 'bf_vps_op_run', idx: 0xd, inputs: [handle, vpsid, vpid, vmid], outputs: [], where: 'kernel', doc: 'runs the VPS on the current physical processor once the callback returns' },
    { name: 'bf_vps_op_run_current', idx: 0xe, inputs: [handle], outputs: [], where: 'kernel', doc: 'resumes the VPS that exited, once the callback returns' },
    { name: 'bf_vps_op_advance_ip', idx: 0xf, inputs: [handle, vpsid], outputs: [], where: 'kernel', doc: 'moves the guest past the instruction that caused the exit' },
    { name: 'bf_vps_op_advance_ip_and_run_current', idx: 0x10, inputs: [handle, vpsid], outputs: [], where: 'kernel', doc: 'advance_ip, then run_current' },
    { name: 'bf_vps_op_promote', idx: 0x11, inputs: [handle, vpsid], outputs: [], where: 'kernel', doc: 'hands the physical processor to the VPS state without a hypervisor, once the callback returns' },
  ]),
  ...group('intrinsic', [
    { name: 'bf_intrinsic_op_read_msr', idx: 0x0, inputs: [handle, { name: 'msr', width: 'u32', role: 'msr' }], outputs: [value('u64')], where: 'kernel', doc: 'reads an MSR of the current physical processor' },
    { name: 'bf_intrinsic_op_write_msr', idx: 0x1, inputs: [handle, { name: 'msr', width: 'u32', role: 'msr' }, value('u64')], outputs: [], where: 'kernel', doc: 'writes an MSR of the current physical processor' },
  ]),
  ...group('mem', [
    { name: 'bf_mem_op_alloc_page', idx: 0x0, inputs: [handle], outputs: [{ name: 'virt', width: 'u64', role: 'virt' }, { name: 'phys', width: 'u64', role: 'value' }], where: 'kernel', doc: 'allocates a zeroed page: its address in extension memory and its physical address' },
    { name: 'bf_mem_op_free_page', idx: 0x1, inputs: [handle, { name: 'virt', width: 'u64', role: 'virt' }], outputs: [], where: 'kernel', doc: 'frees a page from bf_mem_op_alloc_page' },
    { name: 'bf_mem_op_virt_to_phys', idx: 0x6, inputs: [handle, { name: 'virt', width: 'u64', role: 'virt' }], outputs: [{ name: 'phys', width: 'u64', role: 'value' }], where: 'kernel', doc: 'the physical address of a page from bf_mem_op_alloc_page' },
  ]),
];

/** bf_reg_t, in order: the value of each name is its position. */
export const regs: readonly string[] = [
  'rax', 'rbx', 'rcx', 'rdx', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11',
  'r12', 'r13', 'r14', 'r15', 'rip', 'rsp', 'rflags',
  'gdtr_base_addr', 'gdtr_limit', 'idtr_base_addr', 'idtr_limit',
  ...['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'].flatMap((s) => [
    `${s}_selector`, `${s}_base_addr`, `${s}_limit`, `${s}_attributes`,
  ]),
  'cr0', 'cr2', 'cr3', 'cr4', 'dr6', 'dr7', 'ia32_efer', 'ia32_star',
  'ia32_lstar', 'ia32_cstar', 'ia32_fmask', 'ia32_fs_base', 'ia32_gs_base',
  'ia32_kernel_gs_base', 'ia32_sysenter_cs', 'ia32_sysenter_esp',
  'ia32_sysenter_eip', 'ia32_pat', 'ia32_debugctl',
];

export interface ExitReason {
  /** a name that hides the numbers, the same on both architectures */
  name: string;
  /** AMD SVM exit code */
  svm: bigint;
  /** Intel VMX basic exit reason */
  vmx: bigint;
  doc: string;
}

export const exitReasons: readonly ExitReason[] = [
  { name: 'cpuid', svm: 0x72n, vmx: 10n, doc: 'the guest executed CPUID' },
  { name: 'hlt', svm: 0x78n, vmx: 12n, doc: 'the guest executed HLT' },
  { name: 'io', svm: 0x7bn, vmx: 30n, doc: 'the guest executed IN or OUT' },
  { name: 'rdmsr', svm: 0x7cn, vmx: 31n, doc: 'the guest executed RDMSR (on AMD: EXITINFO1 = 0)' },
  { name: 'wrmsr', svm: 0x7cn, vmx: 32n, doc: 'the guest executed WRMSR (on AMD: the same code, EXITINFO1 = 1)' },
  { name: 'vmcall', svm: 0x81n, vmx: 18n, doc: 'the guest executed VMMCALL (AMD) or VMCALL (Intel)' },
  { name: 'npf', svm: 0x400n, vmx: 48n, doc: 'nested page fault (AMD) or EPT violation (Intel)' },
  { name: 'shutdown', svm: 0x7fn, vmx: 2n, doc: 'the guest shut down (a triple fault)' },
  { name: 'invalid', svm: 0xffffffffffffffffn, vmx: 0x80000021n, doc: 'the VPS state was not valid to run (VMEXIT_INVALID; VM-entry failure for invalid guest state)' },
];

/** Positions of the callback arguments, for the host and the SDK. */
export const callbackSignatures: Record<Callback, readonly Param[]> = {
  bootstrap: [ppid],
  vmexit: [vpsid, { name: 'exit_reason', width: 'u64', role: 'value' }],
  fail: [{ name: 'status', width: 'u64', role: 'value' }],
};

// ---- The WebAssembly calling convention (DESIGN decision 2) ----

export type WasmType = 'i32' | 'i64';

/** The WebAssembly type an input travels as: u64 as i64, the rest as i32; a string or callback as an i32 address or table index. */
export function wasmType(p: Param): WasmType {
  if (p.role === 'cstr' || p.role === 'callback') return 'i32';
  return p.width === 'u64' ? 'i64' : 'i32';
}

/**
 * The parameters of a syscall's import: its inputs, then one i32 pointer per
 * output. An argument's position here is the n of BF_STATUS_INVALID_PARAMSn.
 */
export function wasmParams(s: Syscall): WasmType[] {
  return [...s.inputs.map(wasmType), ...s.outputs.map((): WasmType => 'i32')];
}

/** RAX of a syscall at the register level: signature, no flags, op, index. */
export function syscallRax(s: Syscall): bigint {
  return encoding.BF_SYSCALL_SIG_VAL | (BigInt(s.op) << 16n) | BigInt(s.idx);
}
