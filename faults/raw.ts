// The raw fuzzer: syscalls as registers, straight to the firmware over the
// wire, none of the host's checks in front — RAX, REG0..REG5 chosen at
// random around the values that matter (the open handle, IDs at and past
// the pools' ends, bad signatures, flags and indexes). What must hold,
// whatever is sent: every answer's status is a bf_status_t; a create that
// fails leaves the microkernel's tables exactly as before; a zombie stays a
// zombie; and the firmware never fails.
import { BF_SPEC_ID1_VAL, BF_STATUS_SUCCESS, BF_SYSCALL_SIG_MASK, BF_SYSCALLS, type SyscallInfo } from '../host/abi/bf.js';
import { isStatus, statusName } from '../host/abi/status.js';
import { bootQemu } from '../host/backend/remote/boot.js';
import type { Link } from '../host/backend/remote/link.js';
import { registerSyscall, sameBytes, stateBytes } from '../host/backend/remote/registers.js';
import { parseState } from '../host/backend/remote/state.js';
import type { Random } from './random.js';
import { problem, type Tally } from './tally.js';

/** what the raw fuzzer sends: the kernel's syscalls, less those that would hand the processor away, rewrite the firmware's own MSRs, or close the one handle */
const SENT = BF_SYSCALLS.filter((s) => s.where === 'kernel' && !['bf_intrinsic_op_write_msr', 'bf_vps_op_promote', 'bf_handle_op_close_handle'].includes(s.name));
const REQUEST_MS = 10_000;

const send = (link: Link, rax: bigint, regs: bigint[]) => registerSyscall(link, rax, regs, REQUEST_MS);
/** one argument, by its role: mostly a value that means something, sometimes anything */
function arg(rng: Random, s: SyscallInfo, i: number, handle: bigint, limits: Record<'vms' | 'vps' | 'vpss', number>, pages: bigint[]): bigint {
  const role = s.inputs[i]?.role;
  if (rng.chance(0.08)) return rng.u64();
  switch (role) {
    case 'handle': return rng.chance(0.9) ? handle : BigInt(rng.int(0, 3));
    case 'version': return rng.chance(0.9) ? BigInt(BF_SPEC_ID1_VAL) : BigInt(rng.int(0, 0xffff));
    case 'vmid': return BigInt(rng.int(0, limits.vms + 1));
    case 'vpid': return BigInt(rng.int(0, limits.vps + 1));
    case 'vpsid': return BigInt(rng.int(0, limits.vpss + 1));
    case 'ppid': return BigInt(rng.chance(0.8) ? 0 : rng.int(1, 0xffff));
    case 'reg': return BigInt(rng.int(0, 80));
    case 'index': return BigInt(rng.chance(0.7) ? rng.int(0, 0xfff) : rng.int(0, 0xffff));
    case 'msr': return BigInt(rng.pick([0x10, 0x1b, 0x277, 0xc0000080, 0xc0000081, rng.int(0, 0xffffffff)]));
    case 'virt': return rng.chance(0.7) && pages.length ? rng.pick(pages) : rng.u64();
    default: return rng.chance(0.5) ? BigInt(rng.int(0, 0xff)) : rng.u64();
  }
}

/** a RAX: the syscall's own, or one with a bad signature, flags or index */
function rax(rng: Random, s: SyscallInfo): bigint {
  const r = rng.next();
  if (r < 0.04) return (rng.u64() & BF_SYSCALL_SIG_MASK) | (s.rax & ~BF_SYSCALL_SIG_MASK);
  if (r < 0.08) return s.rax | (BigInt(rng.int(1, 0xffff)) << 32n);
  if (r < 0.12) return s.rax | BigInt(rng.int(0x10, 0xffff));
  return s.rax;
}

/** one round: a new firmware, `calls` random syscalls, the properties checked after each */
export async function rawRound(rng: Random, calls: number, tally: Tally): Promise<void> {
  const t = await bootQemu({ guest: 'idle', name: `bfx-faults-raw-${process.pid}` });
  const link = t.remote.link;
  const { vms, vps, vpss } = t.remote.hello.limits;
  const limits = { vms, vps, vpss };
  const pages: bigint[] = [];
  let zombies = new Set<string>();

  /** one random syscall and the properties after it; false when the round cannot go on */
  const step = (handle: bigint, n: number): boolean => {
    const s = rng.pick(SENT);
    const regs = Array.from({ length: 6 }, (_, i) => arg(rng, s, i, handle, limits, pages));
    const creating = /_op_create_/.test(s.name);
    const before = creating ? stateBytes(link, REQUEST_MS) : undefined;
    const r = send(link, rax(rng, s), regs);
    tally.syscalls.raw++;
    if (!isStatus(r.status)) problem(tally, 'violations', `raw: ${s.name} answered ${statusName(r.status)}, which is no bf_status_t`);
    if (s.name === 'bf_mem_op_alloc_page' && r.status === BF_STATUS_SUCCESS) pages.push(r.out[0]);
    if (before && r.status !== BF_STATUS_SUCCESS && !sameBytes(before, stateBytes(link, REQUEST_MS))) {
      problem(tally, 'violations', `raw: ${s.name} failed with ${statusName(r.status)} but changed the microkernel's tables`);
    }
    // every so often: no zombie came back
    if (n % 16 === 15 || n === calls - 1) {
      const st = parseState(stateBytes(link, REQUEST_MS));
      const now = new Set<string>();
      st.vm.forEach((x, id) => x === 2 && now.add(`vm ${id}`));
      st.vp.forEach((x, id) => x.state === 2 && now.add(`vp ${id}`));
      st.vps.forEach((x, id) => x.state === 2 && now.add(`vps ${id}`));
      for (const z of zombies) if (!now.has(z)) problem(tally, 'violations', `raw: ${z} was a zombie and is not any more`);
      zombies = now;
    }
    if (!link.failed) return true;
    problem(tally, 'violations', `raw: the firmware failed after ${s.name}: ${link.failed.message}`);
    return false;
  };

  try {
    const opened = send(link, BF_SYSCALLS.find((s) => s.name === 'bf_handle_op_open_handle')!.rax, [BigInt(BF_SPEC_ID1_VAL)]);
    tally.syscalls.raw++;
    if (opened.status !== BF_STATUS_SUCCESS) {
      problem(tally, 'violations', `raw: open_handle answered ${statusName(opened.status)}`);
      return;
    }
    for (let n = 0; n < calls && step(opened.out[0], n); n++);
  } catch (e) {
    // no answer, or a firmware that failed instead of answering: the round ends, and says why
    problem(tally, 'violations', `raw: ${(e as Error).message}`);
  } finally {
    t.remote.close();
    const ended = await t.shutdown();
    if (ended.verdict !== 'pass') problem(tally, 'violations', `raw: QEMU ended ${ended.verdict}${ended.log ? ` (log ${ended.log})` : ''}`);
  }
}
