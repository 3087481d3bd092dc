// bf_vp_op_*
import { BF_STATUS_INVALID_PARAMS2, BF_STATUS_SUCCESS } from '../../abi/bf.js';
import { BAD_HANDLE, handleOk, owned } from '../check.js';
import type { Caller, Env } from '../context.js';
import { create, destroy } from '../lifecycle.js';
import { NONE } from '../records.js';

export function vpImports(env: Env, ext: Caller) {
  const { mk, records } = env;
  const mem = ext.memory;
  return {
    bf_vp_op_create_vp(handle: bigint, vmid: number, vpid_out: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = owned(records.vm, vmid, 1, ext);
      if (st !== BF_STATUS_SUCCESS) return st;
      if (!mem.outOk(vpid_out, 2)) return BF_STATUS_INVALID_PARAMS2;
      const r = create(env, ext, 'vp', 'bf_vp_op_create_vp', handle, vmid, NONE, () => mk.bf_vp_op_create_vp(handle, vmid));
      if (r.status === BF_STATUS_SUCCESS) mem.write(vpid_out, 2, BigInt(r.id));
      return r.status;
    },

    bf_vp_op_destroy_vp(handle: bigint, vpid: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      return destroy(env, ext, 'vp', handle, vpid);
    },
  };
}
