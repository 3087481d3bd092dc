// bf_handle_op_*: one handle per extension, opened on the microkernel.
import {
  BF_SPEC_ID1_VAL, BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_FAILURE_UNSUPPORTED,
  BF_STATUS_INVALID_PARAMS1, BF_STATUS_SUCCESS,
} from '../../abi/bf.js';
import { BAD_HANDLE, handleOk } from '../check.js';
import type { Caller, Env } from '../context.js';

export function handleImports(env: Env, ext: Caller) {
  const { mk } = env;
  const mem = ext.memory;
  return {
    bf_handle_op_open_handle(version: number, handle_out: number): bigint {
      if (version >>> 0 !== BF_SPEC_ID1_VAL) return BF_STATUS_FAILURE_UNSUPPORTED;
      if (!mem.outOk(handle_out, 8)) return BF_STATUS_INVALID_PARAMS1;
      if (ext.handle !== undefined) return BF_STATUS_FAILURE_UNKNOWN; // one handle per extension
      const status = mk.bf_handle_op_open_handle(version >>> 0);
      if (status !== BF_STATUS_SUCCESS) return status;
      ext.handle = BigInt.asIntN(64, mk.out[0]);
      mem.write(handle_out, 8, mk.out[0]);
      return status;
    },

    bf_handle_op_close_handle(handle: bigint): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const status = mk.bf_handle_op_close_handle(handle);
      if (status === BF_STATUS_SUCCESS) ext.handle = undefined;
      return status;
    },
  };
}
