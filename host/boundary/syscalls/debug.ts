// bf_debug_op_*: text for the extension's debug output, and dumps of what
// the microkernel holds.
import { BF_STATUS_INVALID_PARAMS1, BF_STATUS_SUCCESS } from '../../abi/bf.js';
import { hex64 } from '../../abi/status.js';
import { BAD_HANDLE, handleOk, owned } from '../check.js';
import type { Caller, Env } from '../context.js';

/** the longest string bf_debug_op_write_str reads before it gives up looking for the NUL */
export const WRITE_STR_MAX = 65536;

export function debugImports(env: Env, ext: Caller) {
  const { mk, records } = env;
  return {
    bf_debug_op_out(handle: bigint, val1: bigint, val2: bigint): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      ext.debug(`${hex64(val1)} ${hex64(val2)}\n`);
      return BF_STATUS_SUCCESS;
    },

    bf_debug_op_write_c(handle: bigint, c: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      ext.debug(String.fromCharCode(c & 0xff));
      return BF_STATUS_SUCCESS;
    },

    bf_debug_op_write_str(handle: bigint, str: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const text = ext.memory.readCString(str, WRITE_STR_MAX);
      if (text === undefined) return BF_STATUS_INVALID_PARAMS1;
      ext.debug(text);
      return BF_STATUS_SUCCESS;
    },

    bf_debug_op_dump_vm(handle: bigint, vmid: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = owned(records.vm, vmid, 1, ext);
      return st !== BF_STATUS_SUCCESS ? st : mk.bf_debug_op_dump_vm(handle, vmid);
    },

    bf_debug_op_dump_vp(handle: bigint, vpid: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = owned(records.vp, vpid, 1, ext);
      return st !== BF_STATUS_SUCCESS ? st : mk.bf_debug_op_dump_vp(handle, vpid);
    },

    bf_debug_op_dump_vps(handle: bigint, vpsid: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = owned(records.vps, vpsid, 1, ext);
      return st !== BF_STATUS_SUCCESS ? st : mk.bf_debug_op_dump_vps(handle, vpsid);
    },

    bf_debug_op_dump_vmexit_log(handle: bigint, vpid: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = owned(records.vp, vpid, 1, ext);
      return st !== BF_STATUS_SUCCESS ? st : mk.bf_debug_op_dump_vmexit_log(handle, vpid);
    },
  };
}
