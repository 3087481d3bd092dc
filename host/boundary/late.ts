// Answers that came after the host gave up waiting. The caller was told
// BF_STATUS_FAILURE_UNKNOWN ("may or may not have happened"); the answer
// says which, and the records follow it. A create the caller was told had
// failed must leave nothing behind (the creation guarantee), so what it
// made is destroyed; a destroy whose outcome was unknown frees its record
// when it did happen; anything else is an audit record.
import { BF_STATUS_SUCCESS, type SyscallName } from '../abi/bf.js';
import { statusName } from '../abi/status.js';
import type { LateAnswer, ResourceKind } from '../backend/microkernel.js';
import { idInRange } from './check.js';
import type { Env } from './context.js';
import { describe } from './guard.js';
import { FREE, LOST, ZOMBIE } from './records.js';

const CREATES: Partial<Record<SyscallName, ResourceKind>> = { bf_vm_op_create_vm: 'vm', bf_vp_op_create_vp: 'vp', bf_vps_op_create_vps: 'vps' };
const DESTROYS: Partial<Record<SyscallName, ResourceKind>> = { bf_vm_op_destroy_vm: 'vm', bf_vp_op_destroy_vp: 'vp', bf_vps_op_destroy_vps: 'vps' };
const DESTROYER = { vm: 'bf_vm_op_destroy_vm', vp: 'bf_vp_op_destroy_vp', vps: 'bf_vps_op_destroy_vps' } as const;

export function settleLate(env: Env, a: LateAnswer): void {
  if (a.unsolicited) {
    env.audit.record({ kind: 'disagreement', extension: '', message: `the microkernel sent ${a.request}, which answers no request the host was waiting for (never sent, or answered already); ignored` });
    return;
  }
  const late = `${a.syscall ?? a.request} answered after the host had given up waiting (its caller was told FAILURE_UNKNOWN)`;
  if (!a.syscall || a.status === undefined || !a.out || !a.regs) {
    env.audit.record({ kind: 'late', extension: '', message: `${a.request}: answered after the host had given up waiting; nothing waits for it now` });
    return;
  }
  const status = statusName(a.status);
  const created = CREATES[a.syscall];
  const destroyed = DESTROYS[a.syscall];
  if (created && a.status === BF_STATUS_SUCCESS) {
    const id = Number(a.out[0] & 0xffffn);
    const table = env.records.table(created);
    // an ID the host lost with an earlier microkernel is free for this one, as create() takes it
    if (idInRange(id, table.size) && table.state[id] === LOST && a.out[0] <= 0xffffn) table.free(id);
    if (!idInRange(id, table.size) || table.state[id] !== FREE) {
      env.audit.record({ kind: 'late', extension: '', syscall: a.syscall, message: `${late}: it made ${created} ${a.out[0]}, which the records hold taken; left for reconciling` });
      return;
    }
    // the caller was told it failed: it must leave the microkernel as it was
    let result: string;
    try {
      result = statusName(env.mk[DESTROYER[created]](a.regs[0], id));
    } catch (e) {
      result = `an exception: ${describe(e)}`;
    }
    env.audit.record({ kind: 'rollback', extension: '', syscall: a.syscall, message: `${late}: it made ${created} ${id}; destroyed it: ${result}` });
    return;
  }
  if (destroyed && a.status === BF_STATUS_SUCCESS) {
    const id = Number(a.regs[1] & 0xffffn);
    const table = env.records.table(destroyed);
    if (idInRange(id, table.size) && table.state[id] === ZOMBIE && table.unknown[id] && !env.records.inUse(destroyed, id)) {
      table.free(id);
      env.audit.record({ kind: 'late', extension: '', syscall: a.syscall, message: `${late}: ${destroyed} ${id} was destroyed after all; its record is free` });
      return;
    }
  }
  env.audit.record({ kind: 'late', extension: '', syscall: a.syscall, message: `${late}: ${status}` });
}
