// Argument checks the syscalls share. Each answers BF_STATUS_SUCCESS when
// the argument is good, or the status the syscall must return.
import {
  BF_REG_T_COUNT, BF_STATUS_FAILURE_INVALID_HANDLE, BF_STATUS_INVALID_PERM_DENIED,
  BF_STATUS_SUCCESS, type bf_status_t,
} from '../abi/bf.js';
import { INVALID_PARAMS } from '../abi/status.js';
import type { Caller } from './context.js';
import { LIVE, LOST, type Table } from './records.js';

export const OK = BF_STATUS_SUCCESS;

export function handleOk(ext: Caller, handle: bigint): boolean {
  return ext.handle !== undefined && handle === ext.handle;
}

export const BAD_HANDLE = BF_STATUS_FAILURE_INVALID_HANDLE;

/**
 * A VM, VP or VPS named by argument n: in range and live (a zombie or a
 * free ID is invalid: INVALID_PARAMSn), and the caller's own (PERM_DENIED).
 * One its owner lost with a microkernel that went down answers
 * FAILURE_INVALID_HANDLE, once: it is then free.
 */
export function owned(table: Table, id: number, n: number, ext: Caller): bf_status_t {
  if (!(id >= 0 && id < table.size)) return INVALID_PARAMS[n];
  if (table.state[id] === LOST && table.owner[id] === ext.id) {
    table.free(id);
    return BF_STATUS_FAILURE_INVALID_HANDLE;
  }
  if (table.state[id] !== LIVE) return INVALID_PARAMS[n];
  if (table.owner[id] !== ext.id) return BF_STATUS_INVALID_PERM_DENIED;
  return OK;
}

/** a bf_reg_t as a number, or -1 when it names no register (a Number compare is cheaper than two BigInt ones) */
export function regIndex(reg: bigint): number {
  const r = Number(reg);
  return r >= 0 && r < BF_REG_T_COUNT ? r : -1;
}

export function idInRange(id: number, size: number): boolean {
  return id >= 0 && id < size;
}
