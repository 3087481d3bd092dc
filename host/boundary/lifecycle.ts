// Creation and destruction, whatever the backend: a failed create leaves
// the microkernel as it was (rolled back when the backend threw midway);
// destroying something in use makes a zombie that is never reusable. A
// kernel that answers a create with an ID the records hold taken is not
// believed: the create fails and an audit record says so, and whatever the
// kernel holds that no record owns is destroyed, as after a create that
// threw; what it did with the ID it named is for reconciling with it.
import { BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_SUCCESS, type bf_status_t } from '../abi/bf.js';
import { statusName } from '../abi/status.js';
import type { ResourceKind } from '../backend/microkernel.js';
import { idInRange, owned } from './check.js';
import type { Caller, Env } from './context.js';
import { describe } from './guard.js';
import { FREE, LOST } from './records.js';

const destroyers = {
  vm: 'bf_vm_op_destroy_vm',
  vp: 'bf_vp_op_destroy_vp',
  vps: 'bf_vps_op_destroy_vps',
} as const;

function kernelDestroy(env: Env, kind: ResourceKind, handle: bigint, id: number): bf_status_t {
  return env.mk[destroyers[kind]](handle, id);
}

/** after a create threw: destroy whatever the kernel holds that the records do not */
function rollback(env: Env, ext: Caller, kind: ResourceKind, syscall: string, handle: bigint): void {
  const table = env.records.table(kind);
  let ids: number[];
  try {
    ids = env.mk.allocated(kind).filter((id) => !idInRange(id, table.size) || table.state[id] === FREE || table.state[id] === LOST);
  } catch (e) {
    env.audit.record({ kind: 'rollback', extension: ext.name, syscall, message: `could not list the kernel's ${kind}s to roll back: ${describe(e)}` });
    return;
  }
  for (const id of ids) {
    let result: string;
    try {
      result = statusName(kernelDestroy(env, kind, handle, id));
    } catch (e) {
      result = `an exception: ${describe(e)}`;
    }
    env.audit.record({ kind: 'rollback', extension: ext.name, syscall, message: `destroyed ${kind} ${id}, left by the failed create: ${result}` });
  }
}

/**
 * Runs a create on the kernel and records what it made. Returns the new ID,
 * or a status (as a bigint) when it failed.
 */
export function create(
  env: Env, ext: Caller, kind: ResourceKind, syscall: string, handle: bigint, parent: number, pp: number,
  call: () => bf_status_t,
): { status: bf_status_t; id: number } {
  const table = env.records.table(kind);
  let status: bf_status_t;
  try {
    status = call();
  } catch (e) {
    rollback(env, ext, kind, syscall, handle);
    throw e;
  }
  if (status !== BF_STATUS_SUCCESS) return { status, id: -1 };
  const id = Number(env.mk.out[0] & 0xffffn);
  // a microkernel that came back gives IDs out again: one the host lost with the old one is free
  if (idInRange(id, table.size) && table.state[id] === LOST && env.mk.out[0] <= 0xffffn) table.free(id);
  if (!idInRange(id, table.size) || table.state[id] !== FREE || env.mk.out[0] > 0xffffn) {
    env.audit.record({
      kind: 'disagreement', extension: ext.name, syscall,
      message: `the microkernel answered ${kind} id ${env.mk.out[0]}, which is ${idInRange(id, table.size) && env.mk.out[0] <= 0xffffn ? 'already allocated' : 'out of range'}`,
    });
    // the caller is told the create failed: what the microkernel did make, the records do not hold, and it goes
    rollback(env, ext, kind, syscall, handle);
    return { status: BF_STATUS_FAILURE_UNKNOWN, id: -1 };
  }
  table.add(id, ext.id, parent, pp);
  return { status, id };
}

/** destroy_vm / destroy_vp / destroy_vps: the ID is argument 1 */
export function destroy(env: Env, ext: Caller, kind: ResourceKind, handle: bigint, id: number): bf_status_t {
  const table = env.records.table(kind);
  const st = owned(table, id, 1, ext);
  if (st !== BF_STATUS_SUCCESS) return st;
  const inUse = env.records.inUse(kind, id);
  let status: bf_status_t;
  try {
    status = kernelDestroy(env, kind, handle, id);
  } catch (e) {
    table.zombie(id, true); // the outcome is unknown: never use it again
    throw e;
  }
  if (status === BF_STATUS_SUCCESS && !inUse) {
    table.free(id);
    return status;
  }
  table.zombie(id);
  if (status === BF_STATUS_SUCCESS || !inUse) {
    env.audit.record({
      kind: 'disagreement', extension: ext.name, syscall: destroyers[kind],
      message: `${kind} ${id}: the host records it ${inUse ? 'in use' : 'not in use'}, the microkernel answered ${statusName(status)}; it is now a zombie`,
    });
  }
  return BF_STATUS_FAILURE_UNKNOWN;
}
