// faulty: an extension that goes wrong on purpose, to show what the host
// does when one does. Every way a WebAssembly program can crash ends only
// the call the host made into it (the entry point, or one callback on one
// processor): the host records what kind of crash it was, gives the fail
// callback its chance, and goes on with every other processor and every
// other extension. Choose the crash, and where it happens, with --config:
//
//   npx bfx run extensions/faulty --config divide-by-zero@vmexit
//
// <mode>[@<where>]: where is main (the entry point; the default), bootstrap
// (each processor's bootstrap callback, once its guest is set up) or vmexit
// (each processor's first VM exit). After a crash in a callback, the fail
// callback below gives that processor back to its OS. The modes are below,
// in crash(); bad-args is the one that does not crash: it makes syscalls
// with bad arguments, once, and prints the status each one returns.
// runaway never returns: only a CPU budget stops it (`bfx supervise`, or
// `bfx run --budget`). exit-failure ends the extension with
// bf_control_op_exit after bfx_exit_status(1): an exit that reports failure.
import {
  BF_INVALID_ID, BF_SPEC_ID1_MASK, BF_SPEC_ID1_VAL, BF_STATUS_SUCCESS, BFX_ARCH_AMD,
  bf_callback_op_register_bootstrap, bf_callback_op_register_fail, bf_callback_op_register_vmexit,
  bf_callback_op_register_vmexit_impl, bf_callback_op_wait, bf_control_op_exit, bf_debug_op_out,
  bf_debug_op_write_str, bf_debug_op_write_str_impl, bf_handle_op_open_handle,
  bf_handle_op_open_handle_impl, bf_last_status, bf_reg_t, bf_status_name, bf_status_t, bf_vm_op_create_vm,
  bf_vm_op_create_vm_impl, bf_vm_op_destroy_vm, bf_vp_op_create_vp, bf_vp_op_destroy_vp,
  bf_vps_op_advance_ip_and_run_current, bf_vps_op_create_vps, bf_vps_op_destroy_vps,
  bf_vps_op_init_as_root, bf_vps_op_promote, bf_vps_op_read_reg, bf_vps_op_read_reg_impl,
  bf_vps_op_run, bf_vps_op_write32, bf_vps_op_write_reg, bfx_arch, bfx_config, bfx_cpuid, bfx_exit,
  bfx_exit_kind, bfx_exit_status, bfx_ppid,
} from '../sdk';

const MODES = 'unreachable, out-of-bounds, divide-by-zero, stack-overflow, null-call, abort, out-of-memory, runaway, exit-failure, bad-args';
const PLACES = 'main, bootstrap, vmexit';

// AMD only exits on CPUID when asked to, through the VMCB (Intel always exits):
const VMCB_INTERCEPT_MISC1: u64 = 0x0c;
const VMCB_INTERCEPT_MISC2: u64 = 0x10;
const VMCB_GUEST_ASID: u64 = 0x58;
const INTERCEPT_CPUID: u32 = 1 << 18;
const INTERCEPT_VMRUN: u32 = 1 << 0; // VMRUN refuses a VMCB without it

let handle: u64 = 0;
/** what to do and where, from the configuration text */
let mode = '';
let where = 'main';
let vmid: u16 = BF_INVALID_ID;
// the VPS each physical processor runs, for the fail callback
const vpsOfPp = new StaticArray<u16>(256).fill(BF_INVALID_ID);
// bad-args says its piece once, however many processors get there
let badArgsDone = false;

/** text to the debug output (bfx run shows it as "faulty | ...") */
function say(text: string): void {
  bf_debug_op_write_str(handle, 'faulty: ' + text + '\n');
}

/** when the last syscall failed: say which, and stop the extension */
function check(what: string): void {
  if (bf_last_status() == BF_STATUS_SUCCESS) return;
  say(what + ' failed: ' + bf_status_name(bf_last_status()));
  bf_control_op_exit(handle);
}

/** "mode" or "mode@where" → mode and where; what is wrong with it, or "" */
function parse(config: string): string {
  const text = config.trim();
  const at = text.indexOf('@');
  mode = at < 0 ? text : text.substring(0, at);
  where = at < 0 ? 'main' : text.substring(at + 1);
  if (text.length == 0) return 'no mode given';
  if (!MODES.split(', ').includes(mode)) return 'unknown mode "' + mode + '"';
  if (!PLACES.split(', ').includes(where)) return 'unknown place "' + where + '"';
  return '';
}

// ---- the crashes ----
// Each one below is a different WebAssembly trap (or an AssemblyScript
// abort), and the host names it differently: see Fault in the host's
// sandbox/trap.ts. Nothing after a crash in the same call runs.

// A variable, not a literal 0: with a literal the compiler would see the
// crash coming, and refuse the code or turn it into a different trap. And
// results go to a global, so that the compiler cannot drop an unused one.
let zero: i32 = 0;
let sink: i32 = 0;

/** calls itself forever: every call takes stack the engine has, until there is none */
function recurse(depth: i32): i32 {
  return recurse(depth + 1) + 1; // not a tail call: the "+ 1" waits for the answer
}

function crash(): void {
  if (mode == 'unreachable') {
    // the instruction that always traps; AssemblyScript emits it for unreachable()
    unreachable();
  } else if (mode == 'out-of-bounds') {
    // memory.size() is in 64 KiB pages: this is the first byte past the end.
    // The host fixed the memory's size up front, so no access there can succeed.
    store<u8>(<usize>memory.size() << 16, 1);
  } else if (mode == 'divide-by-zero') {
    // integer division by zero traps (floating-point division gives Infinity)
    sink = 1 / zero;
  } else if (mode == 'stack-overflow') {
    sink = recurse(0);
  } else if (mode == 'null-call') {
    // a call through the function table, as callbacks are called, to slot 0,
    // which AssemblyScript leaves empty so that a null function is never valid
    call_indirect<void>(0);
  } else if (mode == 'abort') {
    // AssemblyScript has no exceptions: a throw, a failed assert() and the
    // standard library's own checks (an array index out of range...) all
    // call abort(message, file, line, column), the host's env.abort
    throw new Error('faulty was asked to abort');
  } else if (mode == 'out-of-memory') {
    // the memory is fixed up front (the manifest's memory_pages, or the
    // module's declared maximum): allocating past it cannot grow it
    for (;;) hoard.push(new ArrayBuffer(1 << 20));
  } else if (mode == 'runaway') {
    // a loop that never ends: no trap comes, the call never returns. Only
    // the host can stop it, by the CPU budget each call into an extension has.
    for (;;) sink = sink + 1;
  } else if (mode == 'exit-failure') {
    // not a crash of the code: the extension ends itself and says it failed
    bfx_exit_status(1);
    bf_control_op_exit(handle);
  }
}

// what out-of-memory keeps, so that nothing it allocates can be collected
const hoard: ArrayBuffer[] = [];

// ---- bad arguments ----
// The host checks every argument before the microkernel sees it, and
// answers a status that names the bad one: BF_STATUS_INVALID_PARAMSn for
// argument n. The typed SDK functions cannot pass most bad values; the raw
// imports (the _impl functions) can, as a buggy or hostile extension would.

// 16 bytes for outputs, 8-aligned, as the SDK's own
const OUT: usize = memory.data(16, 8);

function report(what: string, status: bf_status_t): void {
  say('bad-args: ' + what + ' -> 0x' + status.toString(16) + ' ' + bf_status_name(status));
}

/** syscalls with one bad argument each, on a VPS of ours */
function badArgs(vpsid: u16): void {
  if (badArgsDone) return;
  badArgsDone = true;
  // a handle that is not the one open_handle gave us
  report('bf_debug_op_out with a wrong handle', bf_debug_op_out(handle + 1, 0, 0));
  // a version of the ABI nobody speaks
  report('bf_handle_op_open_handle of version 0x1234', bf_handle_op_open_handle_impl(0x1234, OUT));
  // outputs go through pointers: null, misaligned and past the end are refused
  report('bf_vm_op_create_vm to a null pointer', bf_vm_op_create_vm_impl(handle, 0));
  report('bf_vps_op_read_reg to a misaligned pointer', bf_vps_op_read_reg_impl(handle, vpsid, bf_reg_t.rax, OUT + 1));
  report('bf_vps_op_read_reg to a pointer past the end', bf_vps_op_read_reg_impl(handle, vpsid, bf_reg_t.rax, <usize>memory.size() << 16));
  // a register bf_reg_t does not have (it stops at 72, ia32_debugctl)
  report('bf_vps_op_read_reg of register 73', bf_vps_op_read_reg_impl(handle, vpsid, 73, OUT));
  // IDs are u16; the import takes a u32, so one can be out of range altogether
  report('bf_vps_op_read_reg of vpsid 0x10000', bf_vps_op_read_reg_impl(handle, 0x10000, bf_reg_t.rax, OUT));
  report('bf_vm_op_destroy_vm of BF_INVALID_ID', bf_vm_op_destroy_vm(handle, BF_INVALID_ID));
  // a string is a pointer too
  report('bf_debug_op_write_str of a null pointer', bf_debug_op_write_str_impl(handle, 0));
  // a callback is a slot of the exported table: one that holds no function
  report('bf_callback_op_register_vmexit of table slot 0xffff', bf_callback_op_register_vmexit_impl(handle, 0xffff));
}

/** bad-args in the entry point: a VPS to name, made for it and destroyed after */
function badArgsInMain(): void {
  const vm = bf_vm_op_create_vm(handle);
  check('bf_vm_op_create_vm');
  const vp = bf_vp_op_create_vp(handle, vm);
  check('bf_vp_op_create_vp');
  const vps = bf_vps_op_create_vps(handle, vp, 0);
  check('bf_vps_op_create_vps');
  badArgs(vps);
  // children first: destroying a VM that still has a VP would leave a zombie
  bf_vps_op_destroy_vps(handle, vps);
  bf_vp_op_destroy_vp(handle, vp);
  bf_vm_op_destroy_vm(handle, vm);
  check('destroying what badArgsInMain made');
}

/** what the configuration asks for, here; returns only for bad-args */
function misbehave(vpsid: u16): void {
  if (mode == 'bad-args') {
    badArgs(vpsid);
    return;
  }
  say(mode + ' in ' + where + (where == 'main' ? '' : ' on pp ' + bfx_ppid().toString()));
  crash();
}

// ---- a guest to crash in ----
// As in the cpuid example: the running OS goes into a VM on every processor,
// with CPUID intercepted, so that VM exits happen.

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
  bf_vps_op_init_as_root(handle, vpsid);
  check('bf_vps_op_init_as_root');
  if (bfx_arch() == BFX_ARCH_AMD) {
    bf_vps_op_write32(handle, vpsid, VMCB_INTERCEPT_MISC1, INTERCEPT_CPUID);
    bf_vps_op_write32(handle, vpsid, VMCB_INTERCEPT_MISC2, INTERCEPT_VMRUN);
    bf_vps_op_write32(handle, vpsid, VMCB_GUEST_ASID, 1);
    check('bf_vps_op_write32');
  }

  // after the VM, VP and VPS exist: a crash does not take them with it (the
  // host owns them), and the fail callback can still hand the VPS on
  if (where == 'bootstrap') misbehave(vpsid);

  bf_vps_op_run(handle, vpsid, vpid, vmid);
  check('bf_vps_op_run');
}

// Called on every VM exit of a VPS this extension created.
function vmexit(vpsid: u16, exit_reason: u64): void {
  if (where == 'vmexit') misbehave(vpsid);

  // Not crashing: emulate CPUID just enough for the guest to go on (the
  // processor's own answer, unchanged), past the instruction, and resume.
  if (bfx_exit_kind(exit_reason) != bfx_exit.cpuid) {
    say('exit 0x' + exit_reason.toString(16) + ' is not CPUID, the only one this example handles; giving the processor back to its OS');
    bf_vps_op_promote(handle, vpsid);
    return;
  }
  const leaf = <u32>bf_vps_op_read_reg(handle, vpsid, bf_reg_t.rax);
  const subleaf = <u32>bf_vps_op_read_reg(handle, vpsid, bf_reg_t.rcx);
  const r = bfx_cpuid(leaf, subleaf);
  bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rax, r.eax);
  bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rbx, r.ebx);
  bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rcx, r.ecx);
  bf_vps_op_write_reg(handle, vpsid, bf_reg_t.rdx, r.edx);
  bf_vps_op_advance_ip_and_run_current(handle, vpsid);
}

// Called after one of our callbacks crashed on a processor (status is
// BF_STATUS_FAILURE_UNKNOWN; bfx_ppid() says which processor): the host has
// already recorded the crash, and the VM, VP and VPS are intact. As in the
// cpuid example, we give the processor back to its OS without a hypervisor
// (promote) rather than leave it stopped.
function fail(status: u64): void {
  const ppid = bfx_ppid();
  say('the ' + where + ' callback on pp ' + ppid.toString() + ' crashed (' + mode + '), status 0x' + status.toString(16)
    + '; giving the processor back to its OS');
  const vpsid = vpsOfPp[ppid];
  if (vpsid != BF_INVALID_ID) bf_vps_op_promote(handle, vpsid);
}

export function ext_main_entry(version: u32): void {
  if ((version & BF_SPEC_ID1_MASK) == 0) return;
  handle = bf_handle_op_open_handle(BF_SPEC_ID1_VAL);
  if (bf_last_status() != BF_STATUS_SUCCESS) return;

  const wrong = parse(bfx_config());
  if (wrong.length) {
    say(wrong + ': say how to fail with --config <mode>[@<where>]; the modes are ' + MODES
      + '; where is ' + PLACES + ' (main when not said)');
    bf_control_op_exit(handle);
    return;
  }

  if (where == 'main') {
    if (mode == 'bad-args') {
      badArgsInMain();
      bf_control_op_exit(handle); // done, and nothing crashed
      return;
    }
    misbehave(BF_INVALID_ID); // no VPS here: only bad-args names one
    return;
  }

  bf_callback_op_register_bootstrap(handle, bootstrap);
  check('bf_callback_op_register_bootstrap');
  bf_callback_op_register_vmexit(handle, vmexit);
  check('bf_callback_op_register_vmexit');
  bf_callback_op_register_fail(handle, fail);
  check('bf_callback_op_register_fail');
  bf_callback_op_wait(handle);
}
