// All of the reference microkernel's mutable state lives in typed arrays
// over one buffer, sized once from the limits: fixed pools, nothing
// allocated after boot, and a snapshot is a copy of the bytes.
import type { Limits } from '../microkernel.js';

export const FREE = 0;
export const LIVE = 1;
export const ZOMBIE = 2;
export const NONE = 0xffff;

/** what a physical processor is doing */
export const PP_IDLE = 0; // no guest yet
export const PP_READY = 1; // a guest is set to run when the host resumes it
export const PP_EXITED = 2; // the guest exited to the host
export const PP_PROMOTE = 3; // promote was asked: the guest runs on without a hypervisor
export const PP_DONE = 4; // halted, shut down or promoted to its end

/** VM exits each VP remembers for dump_vmexit_log */
export const EXIT_LOG = 16;
/** fields of one exit log entry: vpsid, reason, info1, info2, rip */
export const EXIT_LOG_FIELDS = 5;
/** bytes of console text a guest can have in flight in one string instruction */
export const PRINT_MAX = 256;

type Ctor<T> = { new (buffer: ArrayBufferLike, offset: number, length: number): T; BYTES_PER_ELEMENT: number };

/** Lays typed arrays out one after another in a buffer, each aligned to 8 bytes. */
class Layout {
  private size = 0;
  private readonly parts: { at: number; make: (b: ArrayBufferLike) => void }[] = [];

  add<T>(ctor: Ctor<T>, length: number, set: (view: T) => void): void {
    const at = this.size;
    this.size += Math.ceil((length * ctor.BYTES_PER_ELEMENT) / 8) * 8;
    this.parts.push({ at, make: (b) => set(new ctor(b, at, length)) });
  }

  build(): ArrayBuffer {
    const buffer = new ArrayBuffer(this.size);
    for (const p of this.parts) p.make(buffer);
    return buffer;
  }
}

export interface ArchSizes {
  /** bytes of control block (VMCB or VMCS image) per VPS */
  block: number;
  /** saved registers that are not in the control block, per VPS */
  saved: number;
}

export class SimState {
  readonly buffer: ArrayBuffer;
  // handles: 1 when open, by slot
  handles!: Uint8Array;
  vmState!: Uint8Array;
  vpState!: Uint8Array;
  vpVm!: Uint16Array;
  vpsState!: Uint8Array;
  vpsVp!: Uint16Array;
  vpsPp!: Uint16Array;
  /** the length of the instruction the VPS last exited on: what advance_ip adds */
  vpsExitLen!: Uint8Array;
  /** console text of a string instruction in flight, and how far it got */
  vpsPrint!: Uint8Array;
  vpsPrintLen!: Uint16Array;
  vpsPrintAt!: Uint16Array;
  /** the control block (VMCB bytes, or VMCS field slots) of each VPS */
  block!: Uint8Array;
  saved!: BigUint64Array;
  ppState!: Uint8Array;
  ppVm!: Uint16Array;
  ppVp!: Uint16Array;
  ppVps!: Uint16Array;
  msrs!: BigUint64Array;
  exitLog!: BigUint64Array;
  exitLogNext!: Uint16Array;
  exitLogCount!: Uint16Array;
  pages!: Uint8Array;

  constructor(readonly limits: Limits, readonly arch: ArchSizes, readonly msrCount: number, readonly maxHandles: number) {
    const l = new Layout();
    l.add(Uint8Array, maxHandles, (v) => (this.handles = v));
    l.add(Uint8Array, limits.vms, (v) => (this.vmState = v));
    l.add(Uint8Array, limits.vps, (v) => (this.vpState = v));
    l.add(Uint16Array, limits.vps, (v) => (this.vpVm = v));
    l.add(Uint8Array, limits.vpss, (v) => (this.vpsState = v));
    l.add(Uint16Array, limits.vpss, (v) => (this.vpsVp = v));
    l.add(Uint16Array, limits.vpss, (v) => (this.vpsPp = v));
    l.add(Uint8Array, limits.vpss, (v) => (this.vpsExitLen = v));
    l.add(Uint8Array, limits.vpss * PRINT_MAX, (v) => (this.vpsPrint = v));
    l.add(Uint16Array, limits.vpss, (v) => (this.vpsPrintLen = v));
    l.add(Uint16Array, limits.vpss, (v) => (this.vpsPrintAt = v));
    l.add(Uint8Array, limits.vpss * arch.block, (v) => (this.block = v));
    l.add(BigUint64Array, limits.vpss * arch.saved, (v) => (this.saved = v));
    l.add(Uint8Array, limits.pps, (v) => (this.ppState = v));
    l.add(Uint16Array, limits.pps, (v) => (this.ppVm = v));
    l.add(Uint16Array, limits.pps, (v) => (this.ppVp = v));
    l.add(Uint16Array, limits.pps, (v) => (this.ppVps = v));
    l.add(BigUint64Array, limits.pps * msrCount, (v) => (this.msrs = v));
    l.add(BigUint64Array, limits.vps * EXIT_LOG * EXIT_LOG_FIELDS, (v) => (this.exitLog = v));
    l.add(Uint16Array, limits.vps, (v) => (this.exitLogNext = v));
    l.add(Uint16Array, limits.vps, (v) => (this.exitLogCount = v));
    l.add(Uint8Array, limits.pages, (v) => (this.pages = v));
    this.buffer = l.build();
    this.ppVm.fill(NONE);
    this.ppVp.fill(NONE);
    this.ppVps.fill(NONE);
  }

  snapshot(): Uint8Array {
    return new Uint8Array(this.buffer).slice();
  }

  /** zeroes everything a VPS holds, so that a freed slot leaves no trace */
  clearVps(vpsid: number): void {
    this.block.fill(0, vpsid * this.arch.block, (vpsid + 1) * this.arch.block);
    this.saved.fill(0n, vpsid * this.arch.saved, (vpsid + 1) * this.arch.saved);
    this.vpsExitLen[vpsid] = 0;
    this.vpsPrint.fill(0, vpsid * PRINT_MAX, (vpsid + 1) * PRINT_MAX);
    this.vpsPrintLen[vpsid] = 0;
    this.vpsPrintAt[vpsid] = 0;
  }

  clearVpLog(vpid: number): void {
    const n = EXIT_LOG * EXIT_LOG_FIELDS;
    this.exitLog.fill(0n, vpid * n, (vpid + 1) * n);
    this.exitLogNext[vpid] = 0;
    this.exitLogCount[vpid] = 0;
  }
}
