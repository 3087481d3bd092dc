// The areas of the ABI the catalogue is grouped by: one per syscall group
// of abi/table.ts, and the guarantees that span syscalls. A case's area is
// the first word of its ID.
import type { Case } from './catalogue/case.js';
import { groups } from './catalogue/index.js';

export const AREAS: Readonly<Record<string, string>> = {
  control: 'bf_control_op_exit: an extension ends itself',
  handle: 'bf_handle_op_*: the handle every other syscall takes',
  debug: 'bf_debug_op_*: debug output and the kernel\'s dumps',
  callback: 'bf_callback_op_*: bootstrap, vmexit and fail callbacks, and wait',
  vm: 'bf_vm_op_*: creating and destroying VMs',
  vp: 'bf_vp_op_*: creating and destroying VPs',
  vps: 'bf_vps_op_*: VPSs, their fields and registers, run, advance and promote',
  intrinsic: 'bf_intrinsic_op_*: reading and writing MSRs',
  mem: 'bf_mem_op_*: pages for the extension',
  guarantees: 'across syscalls: the creation guarantee, exceptions contained, zombies and their cascade, exit, traps, real VM exits',
  raw: 'register-level requests over the wire protocol: RAX\'s signature, flags, opcode and index, registers wider than their argument',
};

export function areaOf(c: Case): string {
  return c.id.split('.')[0];
}

/** the areas in the catalogue's order */
export const AREA_NAMES: readonly string[] = Object.keys(groups);
