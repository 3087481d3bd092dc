// The remote backend: the Microkernel interface over the wire to a real
// microkernel (our firmware under QEMU). A syscall travels as registers —
// RAX and REG0..REG5 — and comes back as status and REG0..REG5, so the
// firmware decodes and refuses exactly as a Bareflank microkernel would.
// Every call blocks until the answer comes (WebAssembly imports are
// synchronous); the SyncWire's worker reads the socket meanwhile.
import { BF_STATUS_SUCCESS, BF_SYSCALLS, bf_reg_t, type MicrokernelCalls, type SyscallInfo, type SyscallName } from '../../abi/bf.js';
import { exitFlags, stops } from '../../../abi/wire.js';
import { messageName, type Frame } from '../../wire/frame.js';
import { TYPE } from '../../wire/messages.js';
import { allocatedOf, type GuestEvent, type Hello, type LateAnswer, type Microkernel, type OutputLine, type ResourceKind, type SlotState } from '../microkernel.js';
import { hex64, isStatus } from '../../abi/status.js';
import { LATE_KEPT, Link, LinkError } from './link.js';
import { parseState, type KernelState } from './state.js';

export interface RemoteTimeouts {
  /** a syscall, STATE, CPUID, PAGE_WRITE: the firmware answers these at once */
  requestMs: number;
  /** RUN: the guest runs until its next exit */
  runMs: number;
}

export const REMOTE_TIMEOUTS: RemoteTimeouts = { requestMs: 10_000, runMs: 60_000 };

/** the guest registers an EXIT frame carries, in its order */
const EXIT_REGS = [bf_reg_t.rax, bf_reg_t.rbx, bf_reg_t.rcx, bf_reg_t.rdx, bf_reg_t.rsi, bf_reg_t.rdi, bf_reg_t.rip];
const EXIT_BYTES = 88;
/** a CPUID exit's EXIT: then the processor's own answer to the guest's leaf and subleaf */
const CPUID_EXIT_BYTES = EXIT_BYTES + 16;
export const SYSCALL_BYTES = 64;
const RESULT_BYTES = 56;
const PAGE = 4096;
/** the most page bytes one PAGE_WRITE carries (12 bytes of it are its own header) */
const PAGE_CHUNK = 1008;
const WRITE_REG = BF_SYSCALLS.find((s) => s.name === 'bf_vps_op_write_reg')!;
const ADVANCE_RUN = BF_SYSCALLS.find((s) => s.name === 'bf_vps_op_advance_ip_and_run_current')!;

/** the registers of the last exit, served without a round trip while nothing else has been asked */
interface ExitCache {
  ppid: number;
  vpsid: number;
  regs: Map<number, bigint>;
  /** the handle that has read or written them */
  handle?: bigint;
  /** write_reg answered here, sent with the next frame: register → value, in order */
  dirty: Map<number, bigint>;
  /** advance_ip_and_run_current answered here, sent with RUN */
  advanceRun: boolean;
  /** a CPUID exit: the processor's own answer to the guest's leaf and subleaf, for the host's CPUID service */
  cpuid?: { leaf: number; subleaf: number; answer: [number, number, number, number] };
}

/** the longest the console's file goes unread while exits come that say nothing was written */
const CONSOLE_POLL_MS = 50;

/** RUN's prelude flag: advance_ip_and_run_current(vpsid) after the writes */
const RUN_ADVANCE = 1;

export interface RemoteParts {
  link: Link;
  /** the firmware's HELLO, already checked */
  hello: Hello;
  /** the guest console's new lines (COM1), read at each event */
  pollConsole: () => string[];
  timeouts?: Partial<RemoteTimeouts>;
}

// the syscall methods are made in the constructor, one per kernel syscall of the table
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Remote extends MicrokernelCalls {}

/** COM1 lines the firmware prints itself begin so: the rest is the guest's */
const FIRMWARE_LINE = /^bfx firmware: /;

export class Remote implements Microkernel {
  readonly hello: Hello;
  readonly out = new BigUint64Array(6);
  readonly link: Link;
  private readonly timeouts: RemoteTimeouts;
  private readonly pollConsole: () => string[];
  private sink: (line: OutputLine) => void = () => {};
  private pp = 0;
  private cache: ExitCache | undefined;
  private readonly handles = new Set<bigint>();
  /** pages of extension memory the firmware must see (intercept bitmaps), with what it has of each */
  private readonly pages = new Map<bigint, { bytes: Uint8Array; sent: Uint8Array }>();
  private readonly payload = new Uint8Array(SYSCALL_BYTES);
  private readonly view = new DataView(this.payload.buffer);
  /** RUN's payload: ppid, and the prelude of at most every register an EXIT carries */
  private readonly runBytes = new Uint8Array(14 + 9 * EXIT_REGS.length);
  private readonly runView = new DataView(this.runBytes.buffer);
  /** syscalls given up on (timed out), by seq: what a late answer answers */
  private readonly timedOut = new Map<number, { s: SyscallInfo; regs: bigint[] }>();
  private lateListener: (a: LateAnswer) => void = () => {};
  private settling = false;

  constructor(parts: RemoteParts) {
    this.link = parts.link;
    this.hello = parts.hello;
    this.pollConsole = parts.pollConsole;
    this.timeouts = { ...REMOTE_TIMEOUTS, ...parts.timeouts };
    this.link.onConsole = (ppid, text) => {
      for (const line of text.replace(/\n$/, '').split('\n')) this.sink({ source: 'kernel', ppid, text: line });
    };
    for (const s of BF_SYSCALLS) {
      if (s.where !== 'kernel') continue;
      (this as unknown as Record<string, unknown>)[s.name] = (...args: (number | bigint)[]) => this.syscall(s, args);
    }
  }

  // ---- syscalls ----

  /** one syscall, as registers, to the firmware and back */
  private syscall(s: SyscallInfo, args: (number | bigint)[]): bigint {
    const answered = this.cached(s.name, args);
    if (answered !== undefined) return answered;
    this.settleLate();
    this.flushPending();
    if (s.name !== 'bf_vps_op_write_reg') this.cache = undefined; // anything else may change what the cache holds
    this.flushConsole();
    const status = this.exchange(s, args.map(reg), this.pp);
    if (status === BF_STATUS_SUCCESS) this.noteSuccess(s.name, args);
    return status;
  }

  /** a SYSCALL frame and its SYSCALL_RESULT: the status, and the outputs into `out` */
  private exchange(s: SyscallInfo, regs: readonly bigint[], ppid: number): bigint {
    encodeSyscall(this.view, s.rax, regs, ppid);
    let f: Frame;
    try {
      f = this.link.request(TYPE.SYSCALL, this.payload, TYPE.SYSCALL_RESULT, this.timeouts.requestMs);
    } catch (e) {
      if (e instanceof LinkError && e.seq !== undefined) {
        if (this.timedOut.size >= LATE_KEPT) this.timedOut.delete(this.timedOut.keys().next().value!);
        this.timedOut.set(e.seq, { s, regs: [...regs] });
      }
      throw e;
    }
    const r = decodeResult(f.payload);
    if (!r) throw new LinkError(`the firmware answered ${s.name} with a SYSCALL_RESULT of ${f.payload.length} bytes, not ${RESULT_BYTES}`, 'BAD_PAYLOAD');
    // checked before it is used: the request fails, the link stays up
    if (!isStatus(r.status)) throw new LinkError(`the firmware answered ${s.name} with ${hex64(r.status)}, which is no bf_status_t`, 'BAD_PAYLOAD');
    this.out.set(r.out);
    return r.status;
  }

  private noteSuccess(name: SyscallName, args: (number | bigint)[]): void {
    if (name === 'bf_handle_op_open_handle') this.handles.add(this.out[0]);
    else if (name === 'bf_handle_op_close_handle') this.handles.delete(reg(args[0]));
    else if (name === 'bf_vps_op_write_reg' && this.cache) {
      const [handle, vpsid, r, value] = args;
      if (this.handles.has(reg(handle)) && Number(vpsid) === this.cache.vpsid && this.cache.regs.has(Number(r))) {
        this.cache.regs.set(Number(r), reg(value));
      }
    }
  }

  /**
   * The common case of an exit handler, answered without a round trip:
   * read_reg and write_reg of a register the last EXIT carried, of the VPS
   * that exited, on its processor, with an open handle; then
   * advance_ip_and_run_current of that VPS. Nothing but these can have run
   * since the exit (any other call sends what is pending and clears the
   * cache), so the firmware's answer is known: it checks the same handle,
   * the same VPS loaded on the same processor, the same registers. Writes
   * and the advance travel with the next frame — RUN's prelude in the common
   * case. A firmware that then disagrees (it refuses what its EXIT said it
   * would take) fails the request that carried them: the extension was told
   * SUCCESS already, so the microkernel lied, and the audit says so.
   */
  private cached(name: SyscallName, args: (number | bigint)[]): bigint | undefined {
    const c = this.cache;
    if (!c || c.ppid !== this.pp || c.advanceRun) return undefined;
    const handle = reg(args[0]);
    if (Number(args[1]) !== c.vpsid || !this.handles.has(handle) || (c.handle !== undefined && c.handle !== handle)) return undefined;
    if (name === 'bf_vps_op_advance_ip_and_run_current') {
      c.handle = handle;
      c.advanceRun = true;
      return BF_STATUS_SUCCESS;
    }
    if (name !== 'bf_vps_op_read_reg' && name !== 'bf_vps_op_write_reg') return undefined;
    const r = Number(args[2]);
    const value = c.regs.get(r);
    if (value === undefined) return undefined;
    c.handle = handle;
    if (name === 'bf_vps_op_read_reg') {
      this.out[0] = value;
    } else {
      const v = reg(args[3]);
      c.regs.set(r, v);
      c.dirty.delete(r); // the last write of a register is the one that counts, in its place
      c.dirty.set(r, v);
    }
    return BF_STATUS_SUCCESS;
  }

  /** what was answered here and not yet sent, as the syscalls themselves, before any other frame */
  private flushPending(): void {
    const c = this.cache;
    if (!c || (!c.dirty.size && !c.advanceRun)) return;
    const { handle, vpsid, dirty, advanceRun } = c;
    this.cache = undefined;
    const send = (s: SyscallInfo, args: bigint[]) => {
      const status = this.exchange(s, args, c.ppid);
      if (status !== BF_STATUS_SUCCESS) {
        throw new LinkError(`the firmware answered ${s.name} of vps ${vpsid} with ${status}, after the host had answered it success on what the firmware said at the exit`, 'BAD_PAYLOAD');
      }
    };
    for (const [r, value] of dirty) send(WRITE_REG, [handle!, BigInt(vpsid), BigInt(r), value]);
    if (advanceRun) send(ADVANCE_RUN, [handle!, BigInt(vpsid)]);
  }

  /**
   * The answers that came after their request was given up on, to the late
   * listener, oldest first. Between two requests only: the listener may
   * make syscalls of its own (a rollback).
   */
  private settleLate(): void {
    if (this.settling || (!this.link.late.length && !this.link.unsolicited.length)) return;
    this.settling = true;
    try {
      while (this.link.unsolicited.length) {
        const f = this.link.unsolicited.shift()!;
        this.lateListener({ request: `${messageName(f.type)} ${f.seq}`, unsolicited: true });
      }
      while (this.link.late.length) {
        const f = this.link.late.shift()!;
        const request = `${messageName(f.type === TYPE.SYSCALL_RESULT ? TYPE.SYSCALL : f.type)} ${f.seq}`;
        const call = this.timedOut.get(f.seq);
        this.timedOut.delete(f.seq);
        const r = f.type === TYPE.SYSCALL_RESULT ? decodeResult(f.payload) : undefined;
        if (!r || !call) {
          this.lateListener({ request });
          continue;
        }
        this.lateListener({ request, syscall: call.s.name, regs: call.regs, status: r.status, out: r.out });
      }
    } finally {
      this.settling = false;
    }
  }

  onLate(listener: (a: LateAnswer) => void): void {
    this.lateListener = listener;
  }

  // ---- the host's side ----

  setCurrentPp(ppid: number): void {
    this.pp = ppid;
  }

  supports(name: SyscallName): boolean {
    return BF_SYSCALLS.some((s) => s.name === name && s.where === 'kernel');
  }

  onOutput(sink: (line: OutputLine) => void): void {
    this.sink = sink;
  }

  resume(ppid: number): GuestEvent {
    this.settleLate();
    this.syncPages();
    const f = this.link.request(TYPE.RUN, this.runPayload(ppid), [TYPE.EXIT, TYPE.STOPPED], this.timeouts.runMs);
    // what came late while the guest ran, settled now: the run may be the last request of all
    this.settleLate();
    return this.event(ppid, f);
  }

  async resumeAsync(ppid: number): Promise<GuestEvent> {
    this.settleLate();
    this.syncPages();
    const f = await this.link.requestAsync(TYPE.RUN, this.runPayload(ppid), [TYPE.EXIT, TYPE.STOPPED], this.timeouts.runMs);
    this.settleLate();
    return this.event(ppid, f);
  }

  /** RUN's answer read */
  private event(ppid: number, f: Frame): GuestEvent {
    // the file is read when the EXIT says the guest wrote to it: a read at every exit costs a syscall each; now and then all the same, for what the flag cannot see
    const now = performance.now();
    if (f.type !== TYPE.EXIT || (f.payload[4] & exitFlags.CONSOLE) || now - this.consoleAt > CONSOLE_POLL_MS) {
      this.consoleAt = now;
      this.flushConsole();
    }
    const v = new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.length);
    if (f.type === TYPE.EXIT) {
      if (f.payload.length !== EXIT_BYTES && f.payload.length !== CPUID_EXIT_BYTES) throw new LinkError(`the firmware sent an EXIT of ${f.payload.length} bytes, not ${EXIT_BYTES} (or ${CPUID_EXIT_BYTES} for CPUID)`, 'BAD_PAYLOAD');
      const vpsid = v.getUint16(2, true);
      const regs = new Map<number, bigint>();
      for (let i = 0; i < EXIT_REGS.length; i++) regs.set(EXIT_REGS[i], v.getBigUint64(32 + 8 * i, true));
      this.cache = { ppid, vpsid, regs, dirty: new Map(), advanceRun: false };
      if (f.payload.length === CPUID_EXIT_BYTES) {
        const leaf = Number(BigInt.asUintN(32, regs.get(bf_reg_t.rax)!));
        const subleaf = Number(BigInt.asUintN(32, regs.get(bf_reg_t.rcx)!));
        const answer: [number, number, number, number] = [v.getUint32(EXIT_BYTES, true), v.getUint32(EXIT_BYTES + 4, true), v.getUint32(EXIT_BYTES + 8, true), v.getUint32(EXIT_BYTES + 12, true)];
        this.cache.cpuid = { leaf, subleaf, answer };
      }
      return { kind: 'exit', ppid, vpsid, reason: v.getBigUint64(8, true) };
    }
    if (f.payload.length < 7) throw new LinkError(`the firmware sent a STOPPED of ${f.payload.length} bytes; it has at least 7`, 'BAD_PAYLOAD');
    const vpsid = v.getUint16(2, true);
    const end = f.payload.indexOf(0, 6);
    const why = new TextDecoder().decode(f.payload.subarray(6, end < 0 ? f.payload.length : end));
    switch (f.payload[4]) {
      case stops.HALT: return { kind: 'halt', ppid, vpsid };
      case stops.PROMOTED: return { kind: 'promoted', ppid, vpsid };
      case stops.SHUTDOWN: return { kind: 'shutdown', ppid, vpsid, why };
      default: throw new LinkError(`the firmware sent a STOPPED that says ${f.payload[4]}, which is no way to stop`, 'BAD_PAYLOAD');
    }
  }

  /**
   * RUN: u16 ppid; then, when an exit handler's writes and advance wait to be
   * sent, its prelude: u16 vpsid, u8 flags, u8 n, u64 handle, n × (u8 reg,
   * u64 value) — the firmware makes those syscalls first, as write_reg and
   * advance_ip_and_run_current, and refuses the RUN if one fails.
   */
  private runPayload(ppid: number): Uint8Array {
    const c = this.cache;
    this.cache = undefined;
    const v = this.runView;
    if (!c || c.ppid !== ppid || (!c.dirty.size && !c.advanceRun)) {
      v.setUint16(0, ppid, true);
      return this.runBytes.subarray(0, 2);
    }
    // one buffer for every RUN: the link copies the payload into its frame
    const p = this.runBytes.subarray(0, 14 + 9 * c.dirty.size);
    v.setUint16(0, ppid, true);
    v.setUint16(2, c.vpsid, true);
    p[4] = c.advanceRun ? RUN_ADVANCE : 0;
    p[5] = c.dirty.size;
    v.setBigUint64(6, c.handle!, true);
    let at = 14;
    for (const [r, value] of c.dirty) {
      p[at] = r;
      v.setBigUint64(at + 1, value, true);
      at += 9;
    }
    return p;
  }

  cpuid(leaf: number, subleaf: number): [number, number, number, number] {
    // the processor's answer came with the CPUID exit: the common pass-through handler asks for exactly it
    const known = this.cache?.cpuid;
    if (known && known.leaf === leaf >>> 0 && known.subleaf === subleaf >>> 0) return [...known.answer];
    this.flushPending();
    const p = new Uint8Array(8);
    const v = new DataView(p.buffer);
    v.setUint32(0, leaf >>> 0, true);
    v.setUint32(4, subleaf >>> 0, true);
    const f = this.link.request(TYPE.CPUID, p, TYPE.CPUID, this.timeouts.requestMs);
    if (f.payload.length !== 16) throw new LinkError(`the firmware answered CPUID with ${f.payload.length} bytes, not 16`, 'BAD_PAYLOAD');
    const a = new DataView(f.payload.buffer, f.payload.byteOffset, 16);
    return [a.getUint32(0, true), a.getUint32(4, true), a.getUint32(8, true), a.getUint32(12, true)];
  }

  /** the firmware's tables, read */
  state(): KernelState {
    return parseState(this.snapshot());
  }

  allocated(kind: ResourceKind): number[] {
    return allocatedOf(this.resources(kind));
  }

  resources(kind: ResourceKind): SlotState[] {
    const s = this.state();
    const states = kind === 'vm' ? s.vm : kind === 'vp' ? s.vp.map((x) => x.state) : s.vps.map((x) => x.state);
    return states.map((st) => (st === 1 ? 'live' : st === 2 ? 'zombie' : 'free'));
  }

  snapshot(): Uint8Array {
    // the tables as they are once what came late is settled: an answer that came while STATE was awaited is settled, and STATE asked again
    for (let tries = 0; ; tries++) {
      this.settleLate();
      this.flushPending();
      this.flushConsole();
      const bytes = this.link.request(TYPE.STATE, undefined, TYPE.STATE, this.timeouts.requestMs).payload.slice();
      if (!this.link.late.length || tries === 2) return bytes;
    }
  }

  /** a HEARTBEAT answered: the firmware is there (a LinkError when it is not) */
  heartbeat(): void {
    const p = new Uint8Array(8);
    new DataView(p.buffer).setBigUint64(0, BigInt(Date.now()), true);
    this.link.request(TYPE.HEARTBEAT, p, TYPE.HEARTBEAT, this.timeouts.requestMs);
  }

  /**
   * Waits up to graceMs for the answers to requests given up on, and
   * settles what came: before the run ends, so that a create that completed
   * late does not outlive the run unowned.
   */
  settle(graceMs = this.timeouts.requestMs): void {
    if (this.link.failed) return;
    this.link.collectLate(graceMs);
    this.settleLate();
  }

  mapPage(phys: bigint, bytes: Uint8Array | undefined): void {
    if (bytes) this.pages.set(phys, { bytes, sent: new Uint8Array(PAGE) }); // alloc_page gave it zeroed
    else this.pages.delete(phys);
  }

  /** what the extension changed in its mapped pages, to the firmware before the guest runs */
  private syncPages(): void {
    // page bytes and an exit handler's pending register writes do not touch each other: those still go with RUN
    for (const [phys, page] of this.pages) {
      const { bytes, sent } = page;
      if (Buffer.compare(bytes, sent) === 0) continue; // the common case, at every run: unchanged
      for (let at = 0; at < PAGE;) {
        if (bytes[at] === sent[at]) {
          at++;
          continue;
        }
        const count = Math.min(PAGE_CHUNK, PAGE - at);
        const p = new Uint8Array(12 + count);
        const v = new DataView(p.buffer);
        v.setBigUint64(0, phys, true);
        v.setUint16(8, at, true);
        v.setUint16(10, count, true);
        p.set(bytes.subarray(at, at + count), 12);
        this.link.request(TYPE.PAGE_WRITE, p, TYPE.DONE, this.timeouts.requestMs);
        sent.set(bytes.subarray(at, at + count), at);
        at += count;
      }
    }
  }

  /** the guest's console lines and the firmware's own, from COM1 */
  private flushConsole(): void {
    for (const line of this.pollConsole()) {
      if (FIRMWARE_LINE.test(line)) this.sink({ source: 'kernel', ppid: this.pp, text: line });
      else this.sink({ source: 'guest', ppid: this.pp, text: line });
    }
  }

  private closed = false;
  /** when event() last read the console */
  private consoleAt = 0;

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.settle();
      this.flushPending();
    } catch {
      // what the firmware disagreed with no longer matters: the run is over
    }
    this.flushConsole();
    try {
      this.link.bye();
    } catch {
      // a link that already failed has nobody to say bye to
    }
  }
}

/** a SYSCALL_RESULT's payload read: the status and REG0..REG5; undefined when it is not RESULT_BYTES long */
export function decodeResult(payload: Uint8Array): { status: bigint; out: bigint[] } | undefined {
  if (payload.length !== RESULT_BYTES) return undefined;
  const v = new DataView(payload.buffer, payload.byteOffset, RESULT_BYTES);
  return { status: v.getBigUint64(0, true), out: Array.from({ length: 6 }, (_, i) => v.getBigUint64(8 + 8 * i, true)) };
}

/** a SYSCALL's payload (SYSCALL_BYTES) into v: RAX, REG0..REG5, the processor it executes on */
export function encodeSyscall(v: DataView, rax: bigint, regs: readonly bigint[], ppid: number): void {
  v.setBigUint64(0, rax, true);
  for (let i = 0; i < 6; i++) v.setBigUint64(8 + 8 * i, regs[i] ?? 0n, true);
  v.setUint16(56, ppid, true);
}

/** an argument as its register holds it: IDs and u32s zero-extended, u64s as they are */
function reg(a: number | bigint | undefined): bigint {
  if (a === undefined) return 0n;
  return typeof a === 'bigint' ? BigInt.asUintN(64, a) : BigInt(a >>> 0);
}
