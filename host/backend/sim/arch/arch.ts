// One interface over the two virtualization architectures: how a VPS's
// control block is laid out, which accesses a guest makes are intercepted,
// and how an exit is recorded.
import type { Arch } from '../../microkernel.js';
import type { ArchSizes, SimState } from '../state.js';

/** something a guest instruction does that a hypervisor may intercept */
export type Access =
  | { kind: 'cpuid' }
  | { kind: 'hlt' }
  | { kind: 'io'; port: number; size: 1 | 2 | 4; input: boolean; string: boolean; rep: boolean; immediate: boolean }
  | { kind: 'msr'; msr: number; write: boolean }
  | { kind: 'vmcall' }
  | { kind: 'shutdown' }
  /** not a guest access: the VPS could not be entered at all */
  | { kind: 'invalid' };

/** reads a byte of a page the extension mapped (an intercept bitmap); undefined when phys is no such page */
export type PageReader = (phys: bigint) => Uint8Array | undefined;

/**
 * The microkernel's own zeroed page: intercept bitmaps it sets up itself
 * point here, and intercept nothing until an extension points them elsewhere.
 */
export const ZERO_PAGE_PHYS = 0x00000000000ff000n;
export const ZERO_PAGE: Uint8Array = new Uint8Array(4096);

export interface ArchModel {
  readonly arch: Arch;
  readonly sizes: ArchSizes;
  /** sets up a new VPS's control block as the microkernel does when it creates one */
  initVps(vps: number): void;
  /** a field of the control block by index (VMCB offset or VMCS encoding); undefined when index is not a field of that width */
  readField(vps: number, index: bigint, bytes: 1 | 2 | 4 | 8): bigint | undefined;
  /** false when index is not a writable field of that width */
  writeField(vps: number, index: bigint, bytes: 1 | 2 | 4 | 8, value: bigint): boolean;
  readReg(vps: number, reg: number): bigint;
  writeReg(vps: number, reg: number, value: bigint): void;
  /** loads the root guest's state: the processor as it was when the hypervisor started */
  initRoot(vps: number, ppid: number, entry: bigint): void;
  intercepted(vps: number, access: Access, pages: PageReader): boolean;
  /** writes the exit into the control block; returns the exit reason the extension's callback gets */
  recordExit(vps: number, access: Access, length: number, rip: bigint): bigint;
  /** why the VPS cannot be entered, or undefined when it can */
  entryCheck(vps: number): string | undefined;
  /** what the last exit's instruction length was, as the hardware reports it */
  exitLength(vps: number): number;
  /** (info1, info2) of the last exit, for the exit log */
  exitInfo(vps: number): [bigint, bigint];
  /** the VPS fields worth printing in a dump, name and value */
  dumpFields(vps: number): [string, bigint][];
}

export type ArchFactory = (state: SimState) => ArchModel;

/** bit n of a bitmap spread over pages from the extension; a missing page reads as all ones */
export function bitmapBit(base: bigint, bit: number, pages: PageReader): boolean {
  const byte = Math.floor(bit / 8);
  const page = pages(base + BigInt(Math.floor(byte / 4096) * 4096));
  if (!page) return true;
  return ((page[byte % 4096] >> (bit % 8)) & 1) === 1;
}

/** an aligned view of the whole control-block area in each width */
export class BlockViews {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly u64: BigUint64Array;

  constructor(s: SimState) {
    const b = s.block;
    this.u8 = b;
    this.u16 = new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
    this.u32 = new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    this.u64 = new BigUint64Array(b.buffer, b.byteOffset, b.byteLength / 8);
  }

  read(at: number, bytes: 1 | 2 | 4 | 8): bigint {
    switch (bytes) {
      case 1: return BigInt(this.u8[at]);
      case 2: return BigInt(this.u16[at >> 1]);
      case 4: return BigInt(this.u32[at >> 2]);
      case 8: return this.u64[at >> 3];
    }
  }

  write(at: number, bytes: 1 | 2 | 4 | 8, value: bigint): void {
    switch (bytes) {
      case 1: this.u8[at] = Number(value & 0xffn); break;
      case 2: this.u16[at >> 1] = Number(value & 0xffffn); break;
      case 4: this.u32[at >> 2] = Number(value & 0xffffffffn); break;
      case 8: this.u64[at >> 3] = BigInt.asUintN(64, value); break;
    }
  }
}
