// Host services: the "bfx" import namespace. Not syscalls: no microkernel
// implements them; the host answers them itself.
import type { Arch } from '../backend/microkernel.js';
import type { FuncType } from '../loader/inspect.js';
import type { Caller, Env } from './context.js';
import { describe } from './guard.js';

export const BFX_ARCH: Record<Arch, number> = { amd: 1, intel: 2 };

export const BFX_SERVICES: Record<string, FuncType & { doc: string }> = {
  arch: { params: [], results: ['i32'], doc: 'the architecture the microkernel reported: 1 AMD, 2 Intel' },
  ppid: { params: [], results: ['i32'], doc: "the physical processor the code runs on (Bareflank's bf_tls_ppid)" },
  cpuid: { params: ['i32', 'i32', 'i32'], results: ['i32'], doc: '(leaf, subleaf, out): CPUID on the current processor, natively; writes eax, ebx, ecx, edx as four u32 at out; returns 0, 1 when out is not a 4-aligned pointer to 16 bytes, or 2 when the microkernel could not answer (it is down): out is then zeros' },
  config: { params: ['i32', 'i32'], results: ['i32'], doc: '(buf, len): copies up to len bytes of the configuration text to buf; returns its whole length' },
  checkpoint: { params: [], results: ['i32'], doc: 'asks the supervisor to checkpoint the extension (its memory and globals) when the call it is in returns; returns 1 when it will, 0 when no supervisor runs it' },
  resumed: { params: [], results: ['i32'], doc: 'how many times the extension was resumed after a crash (state resume): 0 in its first instance' },
  exit_status: { params: ['i64'], results: [], doc: '(status): what the next bf_control_op_exit reports: 0 (the default) a clean exit, any other value an exit with failure, which a supervisor judges as a crash' },
};

export function bfxImports(env: Env, ext: Caller) {
  const text = new TextEncoder().encode(ext.config);
  return {
    arch: (): number => BFX_ARCH[env.mk.hello.arch],
    ppid: (): number => env.current.ppid,
    cpuid(leaf: number, subleaf: number, out: number): number {
      if (!ext.memory.outOk(out, 4) || (out >>> 0) + 16 > ext.memory.size) return 1;
      let regs: [number, number, number, number];
      try {
        regs = env.mk.cpuid(leaf >>> 0, subleaf >>> 0);
      } catch (e) {
        // the microkernel's failure, not the extension's: contained like a syscall's
        env.audit.record({ kind: 'exception', extension: ext.name, message: `bfx.cpuid: ${describe(e)}` });
        ext.memory.u32.fill(0, (out >>> 0) >>> 2, ((out >>> 0) >>> 2) + 4);
        return 2;
      }
      ext.memory.u32.set(regs, (out >>> 0) >>> 2);
      return 0;
    },
    checkpoint(): number {
      if (!ext.supervised) return 0;
      ext.checkpointWanted = true;
      return 1;
    },
    resumed: (): number => ext.resumes,
    exit_status(status: bigint): void {
      ext.exitStatus = BigInt.asUintN(64, status);
    },
    config(buf: number, len: number): number {
      const p = buf >>> 0;
      const n = Math.min(len >>> 0, text.length);
      if (n > 0 && p !== 0 && p + n <= ext.memory.size) ext.memory.u8.set(text.subarray(0, n), p);
      return text.length;
    },
  };
}
