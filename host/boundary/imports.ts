// The "bf" import namespace an extension gets: one guarded function per
// syscall of the ABI, exactly as the table names them. A syscall the
// backend lacks answers FAILURE_UNSUPPORTED; one the extension may not make
// answers INVALID_PERM_EXT, decided once here rather than on every call.
import {
  BF_STATUS_FAILURE_UNSUPPORTED, BF_STATUS_INVALID_PERM_EXT, BF_SYSCALLS, type SyscallName,
} from '../abi/bf.js';
import { BAD_HANDLE, handleOk } from './check.js';
import type { Caller, Env } from './context.js';
import { guard, type ImportFn } from './guard.js';
import { callbackImports } from './syscalls/callback.js';
import { controlImports } from './syscalls/control.js';
import { debugImports } from './syscalls/debug.js';
import { handleImports } from './syscalls/handle.js';
import { intrinsicImports } from './syscalls/intrinsic.js';
import { memImports } from './syscalls/mem.js';
import { vmImports } from './syscalls/vm.js';
import { vpImports } from './syscalls/vp.js';
import { vpsImports } from './syscalls/vps.js';

export function bfImports(env: Env, ext: Caller, allowed?: ReadonlySet<SyscallName>): Record<SyscallName, ImportFn> {
  const impl: Partial<Record<SyscallName, ImportFn>> = {
    ...controlImports(env, ext),
    ...handleImports(env, ext),
    ...debugImports(env, ext),
    ...callbackImports(env, ext),
    ...vmImports(env, ext),
    ...vpImports(env, ext),
    ...vpsImports(env, ext),
    ...intrinsicImports(env, ext),
    ...memImports(env, ext),
  };
  const out = {} as Record<SyscallName, ImportFn>;
  for (const s of BF_SYSCALLS) {
    const fn = impl[s.name];
    if (!fn) throw new Error(`boundary: ${s.name} has no implementation`);
    // a refusal still checks the handle first, as every syscall does
    const refuse = (status: bigint): ImportFn => (s.inputs[0]?.role === 'handle'
      ? (handle: bigint) => (handleOk(ext, handle) ? status : BAD_HANDLE)
      : () => status) as ImportFn;
    if (allowed && !allowed.has(s.name)) out[s.name] = guard(env, ext, s, refuse(BF_STATUS_INVALID_PERM_EXT));
    else if (s.where === 'kernel' && !env.mk.supports(s.name)) out[s.name] = guard(env, ext, s, refuse(BF_STATUS_FAILURE_UNSUPPORTED));
    else out[s.name] = guard(env, ext, s, fn);
  }
  return out;
}
