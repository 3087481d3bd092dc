// A syscall as registers, straight over the link: RAX and REG0..REG5 out,
// the status and REG0..REG5 back, none of the host's checks in front. For
// what must reach the implementation alone: the register-level conformance
// cases and the raw fuzzer.
import { TYPE } from '../../wire/messages.js';
import type { Link } from './link.js';
import { decodeResult, encodeSyscall, SYSCALL_BYTES } from './remote.js';

export function registerSyscall(link: Link, rax: bigint, regs: readonly bigint[], timeoutMs: number): { status: bigint; out: bigint[] } {
  const payload = new Uint8Array(SYSCALL_BYTES);
  encodeSyscall(new DataView(payload.buffer), rax, regs, 0);
  const f = link.request(TYPE.SYSCALL, payload, TYPE.SYSCALL_RESULT, timeoutMs);
  const r = decodeResult(f.payload);
  if (!r) throw new Error(`a SYSCALL_RESULT of ${f.payload.length} bytes`);
  return r;
}

/** the implementation's tables, as its STATE answer has them: equal bytes, equal state */
export function stateBytes(link: Link, timeoutMs: number): Uint8Array {
  return link.request(TYPE.STATE, undefined, TYPE.STATE, timeoutMs).payload.slice();
}

/** two STATE answers (or any bytes) alike */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
