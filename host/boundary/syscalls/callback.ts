// bf_callback_op_*: the host keeps each extension's callbacks and calls
// them; registering one names a slot of the extension's exported table.
import {
  BF_CALLBACK_WASM, BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_INVALID_PARAMS1, BF_STATUS_SUCCESS,
  type CallbackKind,
} from '../../abi/bf.js';
import { BAD_HANDLE, handleOk } from '../check.js';
import type { Caller, Env } from '../context.js';

export function callbackImports(env: Env, ext: Caller) {
  const register = (kind: CallbackKind) => (handle: bigint, callback: number): bigint => {
    if (!handleOk(ext, handle)) return BAD_HANDLE;
    const index = callback >>> 0;
    const table = ext.table;
    if (!table || index >= table.length) return BF_STATUS_INVALID_PARAMS1;
    const fn = table.get(index) as ((...args: never[]) => unknown) | null;
    const want = BF_CALLBACK_WASM[kind];
    if (typeof fn !== 'function' || fn.length !== want.length) return BF_STATUS_INVALID_PARAMS1;
    // the exact type, where the module's element segments tell it: a bootstrap
    // (i32) is not a fail callback (i64), though both take one argument
    const type = ext.tableTypes?.get(index);
    if (ext.tableTypes && (!type || type.results.length !== 0 || type.params.join() !== want.join())) return BF_STATUS_INVALID_PARAMS1;
    if (ext.callbacks[kind]) return BF_STATUS_FAILURE_UNKNOWN; // registered once
    ext.callbacks[kind] = fn;
    ext.callbackSlots[kind] = index;
    return BF_STATUS_SUCCESS;
  };
  return {
    bf_callback_op_wait(handle: bigint): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      // only the entry point waits; callbacks start when it returns
      if (env.current.kind !== 'main' || env.current.ext !== ext) return BF_STATUS_FAILURE_UNKNOWN;
      ext.waiting = true;
      return BF_STATUS_SUCCESS;
    },
    bf_callback_op_register_bootstrap: register('bootstrap'),
    bf_callback_op_register_vmexit: register('vmexit'),
    bf_callback_op_register_fail: register('fail'),
  };
}
