// bf_debug_op_*: text for the extension's debug output, and dumps of what
// the microkernel holds.
import { BF_STATUS_INVALID_PARAMS1, BF_STATUS_SUCCESS } from '../../abi/bf.js';
import { hex64 } from '../../abi/status.js';
import { BAD_HANDLE, handleOk, owned } from '../check.js';
import type { Caller, Env } from '../context.js';
import type { Table } from '../records.js';

/** the longest string bf_debug_op_write_str reads before it gives up looking for the NUL */
export const WRITE_STR_MAX = 65536;

export function debugImports(env: Env, ext: Caller) {
  const { mk, records } = env;
  /** a dump of what argument 1 names, when the caller may see it */
  const dump = (table: Table, call: (handle: bigint, id: number) => bigint) => (handle: bigint, id: number): bigint => {
    if (!handleOk(ext, handle)) return BAD_HANDLE;
    const st = owned(table, id, 1, ext);
    return st !== BF_STATUS_SUCCESS ? st : call(handle, id);
  };
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

    bf_debug_op_dump_vm: dump(records.vm, (h, id) => mk.bf_debug_op_dump_vm(h, id)),
    bf_debug_op_dump_vp: dump(records.vp, (h, id) => mk.bf_debug_op_dump_vp(h, id)),
    bf_debug_op_dump_vps: dump(records.vps, (h, id) => mk.bf_debug_op_dump_vps(h, id)),
    bf_debug_op_dump_vmexit_log: dump(records.vp, (h, id) => mk.bf_debug_op_dump_vmexit_log(h, id)),
  };
}
