// bf_intrinsic_op_*: MSRs of the processor the callback runs on. An
// extension may be limited to some MSRs; the others are denied.
import { BF_STATUS_INVALID_PARAMS2, BF_STATUS_INVALID_PERM_DENIED, BF_STATUS_SUCCESS } from '../../abi/bf.js';
import { BAD_HANDLE, handleOk } from '../check.js';
import type { Caller, Env } from '../context.js';

export function intrinsicImports(env: Env, ext: Caller) {
  const { mk } = env;
  const mem = ext.memory;
  const allowed = (msr: number) => ext.msrs === undefined || ext.msrs.has(msr);
  return {
    bf_intrinsic_op_read_msr(handle: bigint, msr: number, value_out: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      if (!allowed(msr >>> 0)) return BF_STATUS_INVALID_PERM_DENIED;
      if (!mem.outOk(value_out, 8)) return BF_STATUS_INVALID_PARAMS2;
      const status = mk.bf_intrinsic_op_read_msr(handle, msr >>> 0);
      if (status === BF_STATUS_SUCCESS) mem.write(value_out, 8, mk.out[0]);
      return status;
    },

    bf_intrinsic_op_write_msr(handle: bigint, msr: number, value: bigint): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      if (!allowed(msr >>> 0)) return BF_STATUS_INVALID_PERM_DENIED;
      return mk.bf_intrinsic_op_write_msr(handle, msr >>> 0, BigInt.asUintN(64, value));
    },
  };
}
