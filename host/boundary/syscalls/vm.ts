// bf_vm_op_*
import { BF_STATUS_INVALID_PARAMS1, BF_STATUS_SUCCESS } from '../../abi/bf.js';
import { BAD_HANDLE, handleOk } from '../check.js';
import type { Caller, Env } from '../context.js';
import { create, destroy } from '../lifecycle.js';
import { NONE } from '../records.js';

export function vmImports(env: Env, ext: Caller) {
  const { mk } = env;
  const mem = ext.memory;
  return {
    bf_vm_op_create_vm(handle: bigint, vmid_out: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      if (!mem.outOk(vmid_out, 2)) return BF_STATUS_INVALID_PARAMS1;
      const r = create(env, ext, 'vm', 'bf_vm_op_create_vm', handle, NONE, NONE, () => mk.bf_vm_op_create_vm(handle));
      if (r.status === BF_STATUS_SUCCESS) mem.write(vmid_out, 2, BigInt(r.id));
      return r.status;
    },

    bf_vm_op_destroy_vm(handle: bigint, vmid: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      return destroy(env, ext, 'vm', handle, vmid);
    },
  };
}
