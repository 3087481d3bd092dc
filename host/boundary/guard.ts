// Every import the boundary gives an extension runs inside a guard: it
// counts the call, and turns any exception from the host or the backend into
// BF_STATUS_FAILURE_UNKNOWN plus an audit record. The host never crashes
// because a syscall did. Only ExtensionExit passes through: it is how
// bf_control_op_exit ends the extension.
import { BF_STATUS_FAILURE_UNKNOWN, type SyscallInfo } from '../abi/bf.js';
import type { Caller, Env } from './context.js';

/** thrown out of the extension by bf_control_op_exit, caught where the host called in */
export class ExtensionExit {
  constructor(readonly extension: string) {}
}

export type ImportFn = (...args: never[]) => bigint;

export function describe(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return String(e);
}

export function guard(env: Env, ext: Caller, s: SyscallInfo, fn: ImportFn): ImportFn {
  const id = s.id;
  const calls = ext.calls;
  const contain = (e: unknown): bigint => {
    if (e instanceof ExtensionExit) throw e;
    env.audit.record({ kind: 'exception', extension: ext.name, syscall: s.name, message: describe(e) });
    return BF_STATUS_FAILURE_UNKNOWN;
  };
  const f = fn as (...args: unknown[]) => bigint;
  // a wrapper of the exact arity: no rest arguments on the syscall path
  switch (s.wasm.length) {
    case 0: return () => { calls[id]++; try { return f(); } catch (e) { return contain(e); } };
    case 1: return ((a: unknown) => { calls[id]++; try { return f(a); } catch (e) { return contain(e); } }) as ImportFn;
    case 2: return ((a: unknown, b: unknown) => { calls[id]++; try { return f(a, b); } catch (e) { return contain(e); } }) as ImportFn;
    case 3: return ((a: unknown, b: unknown, c: unknown) => { calls[id]++; try { return f(a, b, c); } catch (e) { return contain(e); } }) as ImportFn;
    case 4: return ((a: unknown, b: unknown, c: unknown, d: unknown) => { calls[id]++; try { return f(a, b, c, d); } catch (e) { return contain(e); } }) as ImportFn;
    case 5: return ((a: unknown, b: unknown, c: unknown, d: unknown, g: unknown) => { calls[id]++; try { return f(a, b, c, d, g); } catch (e) { return contain(e); } }) as ImportFn;
    default: return ((...args: unknown[]) => { calls[id]++; try { return f(...args); } catch (e) { return contain(e); } }) as ImportFn;
  }
}
