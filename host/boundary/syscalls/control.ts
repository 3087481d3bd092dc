// bf_control_op_exit: the extension is done. It does not return: the
// boundary unwinds the extension back to where the host called it.
import { BAD_HANDLE, handleOk } from '../check.js';
import type { Caller, Env } from '../context.js';
import { ExtensionExit } from '../guard.js';

export function controlImports(_env: Env, ext: Caller) {
  return {
    bf_control_op_exit(handle: bigint): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      throw new ExtensionExit(ext.name);
    },
  };
}
