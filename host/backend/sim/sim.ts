// The reference microkernel: the bf ABI implemented in-process, faithfully
// and deterministically, with every failure the ABI defines. Fixed pools
// sized at construction; a scripted root guest per physical processor that
// really executes, so that run produces real exits.
import {
  BF_REG_T_COUNT, BF_SPEC_ID1_VAL, BF_STATUS_FAILURE_INVALID_HANDLE, BF_STATUS_FAILURE_UNKNOWN,
  BF_STATUS_FAILURE_UNSUPPORTED, BF_STATUS_INVALID_PARAMS1, BF_STATUS_INVALID_PARAMS2,
  BF_STATUS_INVALID_PARAMS3, BF_STATUS_SUCCESS, BF_SYSCALLS, bf_reg_t, type bf_status_t,
  type SyscallName,
} from '../../abi/bf.js';
import { hex64 } from '../../abi/status.js';
import {
  allocatedOf, type Arch, type GuestEvent, type Hello, type Limits, type Microkernel, type OutputLine, type ResourceKind, type SlotState,
} from '../microkernel.js';
import { ZERO_PAGE, ZERO_PAGE_PHYS, type Access, type ArchModel } from './arch/arch.js';
import { AMD_SIZES, createAmd } from './arch/amd.js';
import { createIntel, INTEL_SIZES } from './arch/intel.js';
import { GUEST_STATE_MSRS, hostMsrs, nativeCpuid, nativeIn } from './guest/cpu.js';
import { assemble, COM1, format, length, RAX, RCX, RDX, type Program } from './guest/program.js';
import { findScenario } from './guest/scenarios.js';
import {
  EXIT_LOG, EXIT_LOG_FIELDS, FREE, LIVE, NONE, PP_DONE, PP_EXITED, PP_PROMOTE, PP_READY,
  PRINT_MAX, SimState, ZOMBIE,
} from './state.js';

export interface SimFault {
  /** the syscall that throws */
  syscall: SyscallName;
  /** throw before it does anything, or after it has changed the state */
  when: 'before' | 'after';
}

export interface SimOptions {
  arch?: Arch;
  pps?: number;
  vms?: number;
  vps?: number;
  vpss?: number;
  pages?: number;
  /** the root guest: a scenario name, optionally ":arg" */
  guest?: string;
  /** syscalls this kernel pretends not to implement */
  unsupported?: SyscallName[];
  /** test-only: host-side exceptions to inject, to show the boundary contains them */
  faults?: SimFault[];
  /** instructions a guest may execute between exits before the sim gives up on it */
  budget?: number;
  /**
   * test-only: one rule of the ABI this kernel breaks on purpose, the
   * conformance suite's negative control (host/conformance/controls.ts):
   * - zombies: destroying a resource still in use frees it, as if it were not
   * - fields: a VPS field index that names no field of that width reads as
   *   0 and takes writes (read-only ones too), rather than INVALID_PARAMS2
   */
  breaks?: SimBreak;
}

export type SimBreak = 'zombies' | 'fields';
export const SIM_BREAKS: readonly SimBreak[] = ['zombies', 'fields'];

export const SIM_DEFAULTS = { arch: 'amd' as Arch, pps: 1, vms: 16, vps: 16, vpss: 16, pages: 64, guest: 'cpuid', budget: 10_000_000 };

const MAX_HANDLES = 8;
const MAX_HANDLE = BigInt(MAX_HANDLES);
/** where the kernel maps the pages it hands out, and their physical addresses */
const PAGE_VIRT_BASE = 0x0000600000000000n;
const PAGE_PHYS_BASE = 0x0000000100000000n;
const RIP = bf_reg_t.rip;
const ZF = 1n << 6n;

const P1 = BF_STATUS_INVALID_PARAMS1;
const P2 = BF_STATUS_INVALID_PARAMS2;
const P3 = BF_STATUS_INVALID_PARAMS3;
const OK = BF_STATUS_SUCCESS;
const UNKNOWN = BF_STATUS_FAILURE_UNKNOWN;

/** guest code ends without an exit: the processor triple-faults */
class TripleFault {
  constructor(readonly why: string) {}
}

export class Sim implements Microkernel {
  readonly hello: Hello;
  readonly out = new BigUint64Array(6);
  private readonly s: SimState;
  private readonly a: ArchModel;
  private readonly limits: Limits;
  private readonly programs: Program[];
  private readonly msrIndex: Map<number, number>;
  private readonly unsupported: Set<string>;
  private readonly budget: number;
  private readonly breaks: SimBreak | undefined;
  private readonly pages = new Map<bigint, Uint8Array>();
  private readonly consoles: string[];
  private sink: (line: OutputLine) => void = () => {};
  private pp = 0;

  constructor(options: SimOptions = {}) {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SimOptions;
    // a VP and a VPS per processor is the least a root hypervisor needs
    const perPp = Math.max(SIM_DEFAULTS.vps, options.pps ?? SIM_DEFAULTS.pps);
    const o = { ...SIM_DEFAULTS, vps: perPp, vpss: perPp, ...defined };
    for (const k of ['pps', 'vms', 'vps', 'vpss', 'pages'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 1 || o[k] > 0xfffe) throw new Error(`sim: ${k} must be an integer from 1 to 65534, not ${o[k]}`);
    }
    this.limits = { vms: o.vms, vps: o.vps, vpss: o.vpss, pps: o.pps, pages: o.pages };
    this.hello = { name: 'sim', arch: o.arch, limits: this.limits };
    const msrs = hostMsrs(o.arch);
    this.msrIndex = new Map(msrs.map(([m], i) => [m, i]));
    this.s = new SimState(this.limits, o.arch === 'amd' ? AMD_SIZES : INTEL_SIZES, msrs.length, MAX_HANDLES);
    this.a = o.arch === 'amd' ? createAmd(this.s) : createIntel(this.s);
    for (let p = 0; p < o.pps; p++) msrs.forEach(([, v], i) => (this.s.msrs[p * msrs.length + i] = v));
    const { scenario, arg } = findScenario(o.guest);
    this.programs = Array.from({ length: o.pps }, (_, p) => assemble(scenario.program(p, arg)));
    this.consoles = Array.from({ length: o.pps }, () => '');
    this.unsupported = new Set(o.unsupported ?? []);
    this.budget = o.budget;
    this.breaks = o.breaks;
    for (const f of o.faults ?? []) this.inject(f);
  }

  // ---- lifecycle and host-facing ----

  setCurrentPp(ppid: number): void {
    this.pp = ppid;
  }

  supports(name: SyscallName): boolean {
    return !this.unsupported.has(name);
  }

  onOutput(sink: (line: OutputLine) => void): void {
    this.sink = sink;
  }

  snapshot(): Uint8Array {
    return this.s.snapshot();
  }

  cpuid(leaf: number, subleaf: number): [number, number, number, number] {
    return nativeCpuid(this.hello.arch, leaf >>> 0, subleaf >>> 0);
  }

  allocated(kind: ResourceKind): number[] {
    return allocatedOf(this.resources(kind));
  }

  resources(kind: ResourceKind): SlotState[] {
    const states = kind === 'vm' ? this.s.vmState : kind === 'vp' ? this.s.vpState : this.s.vpsState;
    return Array.from(states, (st) => (st === LIVE ? 'live' : st === ZOMBIE ? 'zombie' : 'free'));
  }

  mapPage(phys: bigint, bytes: Uint8Array | undefined): void {
    if (bytes) this.pages.set(phys, bytes);
    else this.pages.delete(phys);
  }

  close(): void {
    this.pages.clear();
  }

  // ---- validation shared by the syscalls ----

  /** the last handle found open: the common case costs one comparison */
  private knownHandle = -1n;

  private handleOk(handle: bigint): boolean {
    if (handle === this.knownHandle) return true;
    if (!(handle > 0n && handle <= MAX_HANDLE && this.s.handles[Number(handle) - 1] === 1)) return false;
    this.knownHandle = handle;
    return true;
  }

  private liveVm(id: number): boolean {
    return id >= 0 && id < this.limits.vms && this.s.vmState[id] === LIVE;
  }

  private liveVp(id: number): boolean {
    return id >= 0 && id < this.limits.vps && this.s.vpState[id] === LIVE;
  }

  private liveVps(id: number): boolean {
    return id >= 0 && id < this.limits.vpss && this.s.vpsState[id] === LIVE;
  }

  /** a live VPS assigned to the processor the call executes on */
  private localVps(id: number): boolean {
    return this.liveVps(id) && this.s.vpsPp[id] === this.pp;
  }

  private activeOnAnyPp(table: Uint16Array, id: number): boolean {
    return table.includes(id);
  }

  // ---- handle ----

  bf_handle_op_open_handle(version: number): bf_status_t {
    if (version !== BF_SPEC_ID1_VAL) return BF_STATUS_FAILURE_UNSUPPORTED;
    const slot = this.s.handles.indexOf(0);
    if (slot < 0) return UNKNOWN;
    this.s.handles[slot] = 1;
    this.out[0] = BigInt(slot + 1);
    return OK;
  }

  bf_handle_op_close_handle(handle: bigint): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    this.s.handles[Number(handle) - 1] = 0;
    this.knownHandle = -1n;
    return OK;
  }

  // ---- debug ----

  private print(text: string): void {
    for (const line of text.split('\n')) this.sink({ source: 'kernel', ppid: this.pp, text: line });
  }

  bf_debug_op_dump_vm(handle: bigint, vmid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (vmid < 0 || vmid >= this.limits.vms || this.s.vmState[vmid] === FREE) return P1;
    const vps = [...this.s.vpVm.keys()].filter((vp) => this.s.vpState[vp] !== FREE && this.s.vpVm[vp] === vmid);
    const active = [...this.s.ppVm.keys()].filter((p) => this.s.ppVm[p] === vmid);
    this.print(`vm ${vmid}: ${stateName(this.s.vmState[vmid])}, vps [${vps.join(', ')}], active on pps [${active.join(', ')}]`);
    return OK;
  }

  bf_debug_op_dump_vp(handle: bigint, vpid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (vpid < 0 || vpid >= this.limits.vps || this.s.vpState[vpid] === FREE) return P1;
    const vpss = [...this.s.vpsVp.keys()].filter((v) => this.s.vpsState[v] !== FREE && this.s.vpsVp[v] === vpid);
    this.print(`vp ${vpid}: ${stateName(this.s.vpState[vpid])}, vm ${this.s.vpVm[vpid]}, vpss [${vpss.join(', ')}]`);
    return OK;
  }

  bf_debug_op_dump_vps(handle: bigint, vpsid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (vpsid < 0 || vpsid >= this.limits.vpss || this.s.vpsState[vpsid] === FREE) return P1;
    const lines = [`vps ${vpsid}: ${stateName(this.s.vpsState[vpsid])}, vp ${this.s.vpsVp[vpsid]}, pp ${this.s.vpsPp[vpsid]}`];
    const names = Object.keys(bf_reg_t);
    for (let r = 0; r < BF_REG_T_COUNT; r++) lines.push(`  ${names[r].padEnd(20)} ${hex64(this.a.readReg(vpsid, r))}`);
    for (const [name, v] of this.a.dumpFields(vpsid)) lines.push(`  ${name.padEnd(20)} ${hex64(v)}`);
    this.print(lines.join('\n'));
    return OK;
  }

  bf_debug_op_dump_vmexit_log(handle: bigint, vpid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (vpid < 0 || vpid >= this.limits.vps || this.s.vpState[vpid] === FREE) return P1;
    const count = this.s.exitLogCount[vpid];
    const lines = [`vmexit log of vp ${vpid}: last ${count}`];
    for (let i = 0; i < count; i++) {
      const slot = (this.s.exitLogNext[vpid] - count + i + EXIT_LOG) % EXIT_LOG;
      const e = this.s.exitLog.subarray((vpid * EXIT_LOG + slot) * EXIT_LOG_FIELDS);
      lines.push(`  vps ${e[0]} reason ${hex64(e[1])} info1 ${hex64(e[2])} info2 ${hex64(e[3])} rip ${hex64(e[4])}`);
    }
    this.print(lines.join('\n'));
    return OK;
  }

  // ---- vm ----

  bf_vm_op_create_vm(handle: bigint): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    const id = this.s.vmState.indexOf(FREE);
    if (id < 0) return UNKNOWN;
    this.s.vmState[id] = LIVE;
    this.out[0] = BigInt(id);
    return OK;
  }

  bf_vm_op_destroy_vm(handle: bigint, vmid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.liveVm(vmid)) return P1;
    const hasVps = this.s.vpState.some((st, vp) => st !== FREE && this.s.vpVm[vp] === vmid);
    if ((hasVps || this.activeOnAnyPp(this.s.ppVm, vmid)) && this.breaks !== 'zombies') {
      this.s.vmState[vmid] = ZOMBIE;
      return UNKNOWN;
    }
    this.s.vmState[vmid] = FREE;
    return OK;
  }

  // ---- vp ----

  bf_vp_op_create_vp(handle: bigint, vmid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.liveVm(vmid)) return P1;
    const id = this.s.vpState.indexOf(FREE);
    if (id < 0) return UNKNOWN;
    this.s.vpState[id] = LIVE;
    this.s.vpVm[id] = vmid;
    this.out[0] = BigInt(id);
    return OK;
  }

  bf_vp_op_destroy_vp(handle: bigint, vpid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.liveVp(vpid)) return P1;
    const hasVpss = this.s.vpsState.some((st, vps) => st !== FREE && this.s.vpsVp[vps] === vpid);
    if ((hasVpss || this.activeOnAnyPp(this.s.ppVp, vpid)) && this.breaks !== 'zombies') {
      this.s.vpState[vpid] = ZOMBIE;
      return UNKNOWN;
    }
    this.s.vpState[vpid] = FREE;
    this.s.vpVm[vpid] = 0;
    this.s.clearVpLog(vpid);
    return OK;
  }

  // ---- vps ----

  bf_vps_op_create_vps(handle: bigint, vpid: number, ppid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.liveVp(vpid)) return P1;
    if (ppid < 0 || ppid >= this.limits.pps) return P2;
    const id = this.s.vpsState.indexOf(FREE);
    if (id < 0) return UNKNOWN;
    this.s.vpsState[id] = LIVE;
    this.s.vpsVp[id] = vpid;
    this.s.vpsPp[id] = ppid;
    this.a.initVps(id);
    this.out[0] = BigInt(id);
    return OK;
  }

  bf_vps_op_destroy_vps(handle: bigint, vpsid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.liveVps(vpsid)) return P1;
    if (this.activeOnAnyPp(this.s.ppVps, vpsid) && this.breaks !== 'zombies') {
      this.s.vpsState[vpsid] = ZOMBIE;
      return UNKNOWN;
    }
    this.s.vpsState[vpsid] = FREE;
    this.s.vpsVp[vpsid] = 0;
    this.s.vpsPp[vpsid] = 0;
    this.s.clearVps(vpsid);
    return OK;
  }

  bf_vps_op_init_as_root(handle: bigint, vpsid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.localVps(vpsid)) return P1;
    this.a.initRoot(vpsid, this.pp, this.programs[this.pp].entry);
    this.s.vpsPrintLen[vpsid] = 0;
    this.s.vpsPrintAt[vpsid] = 0;
    return OK;
  }

  private read(handle: bigint, vpsid: number, index: bigint, bytes: 1 | 2 | 4 | 8): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.localVps(vpsid)) return P1;
    const v = this.a.readField(vpsid, index, bytes);
    if (v === undefined && this.breaks !== 'fields') return P2;
    this.out[0] = v ?? 0n;
    return OK;
  }

  private write(handle: bigint, vpsid: number, index: bigint, bytes: 1 | 2 | 4 | 8, value: bigint): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.localVps(vpsid)) return P1;
    return this.a.writeField(vpsid, index, bytes, value) || this.breaks === 'fields' ? OK : P2;
  }

  bf_vps_op_read8(handle: bigint, vpsid: number, index: bigint): bf_status_t { return this.read(handle, vpsid, index, 1); }
  bf_vps_op_read16(handle: bigint, vpsid: number, index: bigint): bf_status_t { return this.read(handle, vpsid, index, 2); }
  bf_vps_op_read32(handle: bigint, vpsid: number, index: bigint): bf_status_t { return this.read(handle, vpsid, index, 4); }
  bf_vps_op_read64(handle: bigint, vpsid: number, index: bigint): bf_status_t { return this.read(handle, vpsid, index, 8); }
  bf_vps_op_write8(handle: bigint, vpsid: number, index: bigint, value: number): bf_status_t { return this.write(handle, vpsid, index, 1, BigInt(value)); }
  bf_vps_op_write16(handle: bigint, vpsid: number, index: bigint, value: number): bf_status_t { return this.write(handle, vpsid, index, 2, BigInt(value)); }
  bf_vps_op_write32(handle: bigint, vpsid: number, index: bigint, value: number): bf_status_t { return this.write(handle, vpsid, index, 4, BigInt(value)); }
  bf_vps_op_write64(handle: bigint, vpsid: number, index: bigint, value: bigint): bf_status_t { return this.write(handle, vpsid, index, 8, value); }

  bf_vps_op_read_reg(handle: bigint, vpsid: number, reg: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.localVps(vpsid)) return P1;
    if (!(reg >= 0 && reg < BF_REG_T_COUNT)) return P2;
    this.out[0] = this.a.readReg(vpsid, reg);
    return OK;
  }

  bf_vps_op_write_reg(handle: bigint, vpsid: number, reg: number, value: bigint): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.localVps(vpsid)) return P1;
    if (!(reg >= 0 && reg < BF_REG_T_COUNT)) return P2;
    this.a.writeReg(vpsid, reg, value);
    return OK;
  }

  bf_vps_op_run(handle: bigint, vpsid: number, vpid: number, vmid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    const s = this.s;
    if (!this.localVps(vpsid)) return P1;
    if (!this.liveVp(vpid)) return P2;
    if (!this.liveVm(vmid)) return P3;
    if (s.vpsVp[vpsid] !== vpid) return P1;
    if (s.vpVm[vpid] !== vmid) return P2;
    for (let p = 0; p < this.limits.pps; p++) {
      if (p === this.pp) continue;
      if (s.ppVp[p] === vpid) return P2;
      if (s.ppVps[p] === vpsid) return P1;
    }
    s.ppVm[this.pp] = vmid;
    s.ppVp[this.pp] = vpid;
    s.ppVps[this.pp] = vpsid;
    s.ppState[this.pp] = PP_READY;
    return OK;
  }

  bf_vps_op_run_current(handle: bigint): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    const s = this.s;
    const p = this.pp;
    if (s.ppState[p] !== PP_EXITED && s.ppState[p] !== PP_READY) return UNKNOWN;
    if (!this.liveVps(s.ppVps[p]) || !this.liveVp(s.ppVp[p]) || !this.liveVm(s.ppVm[p])) return UNKNOWN;
    s.ppState[p] = PP_READY;
    return OK;
  }

  bf_vps_op_advance_ip(handle: bigint, vpsid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.localVps(vpsid)) return P1;
    this.advance(vpsid);
    return OK;
  }

  bf_vps_op_advance_ip_and_run_current(handle: bigint, vpsid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.localVps(vpsid) || this.s.ppVps[this.pp] !== vpsid) return P1; // it must name what is loaded here
    const status = this.bf_vps_op_run_current(handle);
    if (status !== OK) return status;
    this.advance(vpsid);
    return OK;
  }

  bf_vps_op_promote(handle: bigint, vpsid: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    if (!this.localVps(vpsid)) return P1;
    const s = this.s;
    s.ppVps[this.pp] = vpsid;
    s.ppVp[this.pp] = s.vpsVp[vpsid];
    s.ppVm[this.pp] = s.vpVm[s.vpsVp[vpsid]];
    s.ppState[this.pp] = PP_PROMOTE;
    return OK;
  }

  /** moves the guest past the instruction it exited on; a string instruction moves a byte at a time */
  private advance(vpsid: number): void {
    const s = this.s;
    if (s.vpsPrintLen[vpsid] > 0 && ++s.vpsPrintAt[vpsid] < s.vpsPrintLen[vpsid]) return;
    s.vpsPrintLen[vpsid] = 0;
    s.vpsPrintAt[vpsid] = 0;
    this.a.writeReg(vpsid, RIP, this.a.readReg(vpsid, RIP) + BigInt(this.a.exitLength(vpsid)));
  }

  // ---- intrinsic ----

  bf_intrinsic_op_read_msr(handle: bigint, msr: number): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    const i = this.msrIndex.get(msr);
    if (i === undefined) return UNKNOWN; // #GP in the kernel
    this.out[0] = this.s.msrs[this.pp * this.msrIndex.size + i];
    return OK;
  }

  bf_intrinsic_op_write_msr(handle: bigint, msr: number, value: bigint): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    const i = this.msrIndex.get(msr);
    if (i === undefined) return UNKNOWN;
    this.s.msrs[this.pp * this.msrIndex.size + i] = BigInt.asUintN(64, value);
    return OK;
  }

  // ---- mem ----

  private pageOf(virt: bigint): number {
    const off = virt - PAGE_VIRT_BASE;
    if (off < 0n || off % 4096n !== 0n || off / 4096n >= BigInt(this.limits.pages)) return -1;
    const i = Number(off / 4096n);
    return this.s.pages[i] === 1 ? i : -1;
  }

  bf_mem_op_alloc_page(handle: bigint): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    const i = this.s.pages.indexOf(0);
    if (i < 0) return UNKNOWN;
    this.s.pages[i] = 1;
    this.out[0] = PAGE_VIRT_BASE + BigInt(i) * 4096n;
    this.out[1] = PAGE_PHYS_BASE + BigInt(i) * 4096n;
    return OK;
  }

  bf_mem_op_free_page(handle: bigint, virt: bigint): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    const i = this.pageOf(virt);
    if (i < 0) return P1;
    this.s.pages[i] = 0;
    return OK;
  }

  bf_mem_op_virt_to_phys(handle: bigint, virt: bigint): bf_status_t {
    if (!this.handleOk(handle)) return BF_STATUS_FAILURE_INVALID_HANDLE;
    const i = this.pageOf(virt);
    if (i < 0) return P1;
    this.out[0] = PAGE_PHYS_BASE + BigInt(i) * 4096n;
    return OK;
  }

  // ---- the guest ----

  resume(ppid: number): GuestEvent {
    const s = this.s;
    const vpsid = s.ppVps[ppid];
    const state = s.ppState[ppid];
    if (vpsid === NONE || (state !== PP_READY && state !== PP_PROMOTE)) {
      throw new Error(`sim: pp ${ppid} has nothing to resume`);
    }
    const promoted = state === PP_PROMOTE;
    if (!promoted) {
      const why = this.a.entryCheck(vpsid);
      if (why !== undefined) {
        this.sink({ source: 'kernel', ppid, text: `vps ${vpsid} cannot be entered: ${why}` });
        s.ppState[ppid] = PP_EXITED;
        return { kind: 'exit', ppid, vpsid, reason: this.exit(vpsid, { kind: 'invalid' }, 0) };
      }
    }
    try {
      const exit = this.execute(ppid, vpsid, promoted);
      if (exit) {
        s.ppState[ppid] = PP_EXITED;
        return { kind: 'exit', ppid, vpsid, reason: exit };
      }
      s.ppState[ppid] = PP_DONE;
      return promoted ? { kind: 'promoted', ppid, vpsid } : { kind: 'halt', ppid, vpsid };
    } catch (e) {
      if (!(e instanceof TripleFault)) throw e;
      if (!promoted && this.a.intercepted(vpsid, { kind: 'shutdown' }, this.pageReader)) {
        s.ppState[ppid] = PP_EXITED;
        return { kind: 'exit', ppid, vpsid, reason: this.exit(vpsid, { kind: 'shutdown' }, 0) };
      }
      this.flushConsole(ppid);
      s.ppState[ppid] = PP_DONE;
      return { kind: 'shutdown', ppid, vpsid, why: e.why };
    }
  }

  private readonly pageReader = (phys: bigint) => (phys === ZERO_PAGE_PHYS ? ZERO_PAGE : this.pages.get(phys));

  private exit(vpsid: number, access: Access, len: number): bigint {
    const rip = this.a.readReg(vpsid, RIP);
    const reason = this.a.recordExit(vpsid, access, len, rip);
    const vp = this.s.vpsVp[vpsid];
    const [info1, info2] = this.a.exitInfo(vpsid);
    const e = this.s.exitLog.subarray((vp * EXIT_LOG + this.s.exitLogNext[vp]) * EXIT_LOG_FIELDS);
    e.set([BigInt(vpsid), BigInt.asUintN(64, reason), info1, info2, rip]);
    this.s.exitLogNext[vp] = (this.s.exitLogNext[vp] + 1) % EXIT_LOG;
    this.s.exitLogCount[vp] = Math.min(this.s.exitLogCount[vp] + 1, EXIT_LOG);
    return reason;
  }

  /** runs the guest until an intercepted access (its exit reason) or a halt (undefined) */
  private execute(ppid: number, vpsid: number, promoted: boolean): bigint | undefined {
    const a = this.a;
    const program = this.programs[ppid];
    const reg = (n: number) => a.readReg(vpsid, n);
    const set = (n: number, v: bigint) => a.writeReg(vpsid, n, v);
    const trap = (access: Access, len: number): bigint | undefined =>
      !promoted && a.intercepted(vpsid, access, this.pageReader) ? this.exit(vpsid, access, len) : undefined;
    for (let steps = 0; steps < this.budget; steps++) {
      const rip = reg(RIP);
      const insn = program.at.get(rip);
      if (!insn) throw new TripleFault(`the guest ran out of its code at rip ${hex64(rip)}`);
      const len = length(insn);
      const next = rip + BigInt(len);
      switch (insn.op) {
        case 'mov': set(insn.reg, insn.imm); break;
        case 'nop': break;
        case 'dec': {
          const v = BigInt.asUintN(64, reg(insn.reg) - 1n);
          set(insn.reg, v);
          const flags = reg(bf_reg_t.rflags);
          set(bf_reg_t.rflags, v === 0n ? flags | ZF : flags & ~ZF);
          break;
        }
        case 'jnz':
          if ((reg(bf_reg_t.rflags) & ZF) === 0n) {
            set(RIP, program.labels.get(insn.to)!);
            continue;
          }
          break;
        case 'cpuid': {
          const exit = trap({ kind: 'cpuid' }, len);
          if (exit !== undefined) return exit;
          const r = nativeCpuid(a.arch, Number(reg(RAX) & 0xffffffffn), Number(reg(RCX) & 0xffffffffn));
          r.forEach((v, i) => set([RAX, bf_reg_t.rbx, RCX, RDX][i], BigInt(v >>> 0)));
          break;
        }
        case 'rdmsr': case 'wrmsr': {
          const msr = Number(reg(RCX) & 0xffffffffn);
          const write = insn.op === 'wrmsr';
          const exit = trap({ kind: 'msr', msr, write }, len);
          if (exit !== undefined) return exit;
          this.guestMsr(ppid, vpsid, msr, write);
          break;
        }
        case 'in': case 'out': {
          const input = insn.op === 'in';
          const port = insn.port < 0x100 ? insn.port : Number(reg(RDX) & 0xffffn);
          const exit = trap({ kind: 'io', port, size: insn.size, input, string: false, rep: false, immediate: insn.port < 0x100 }, len);
          if (exit !== undefined) return exit;
          if (input) set(RAX, (reg(RAX) & ~0xffn) | BigInt(nativeIn(port)));
          break;
        }
        case 'hlt': {
          const exit = trap({ kind: 'hlt' }, len);
          if (exit !== undefined) return exit;
          set(RIP, next);
          this.flushConsole(ppid);
          return undefined;
        }
        case 'vmcall': {
          const exit = trap({ kind: 'vmcall' }, len);
          if (exit !== undefined) return exit;
          throw new TripleFault('the guest made a hypercall nobody intercepts: #UD with no IDT');
        }
        case 'print': {
          const exit = this.guestPrint(ppid, vpsid, insn.text, trap, len);
          if (exit !== undefined) return exit;
          break;
        }
        case 'label': break;
      }
      set(RIP, next);
    }
    throw new TripleFault(`the guest ran ${this.budget} instructions without an exit; the sim stopped it`);
  }

  /** REP OUTSB to COM1: straight to the console, or one exit per byte when COM1 is intercepted */
  private guestPrint(ppid: number, vpsid: number, text: string, trap: (a: Access, len: number) => bigint | undefined, len: number): bigint | undefined {
    const s = this.s;
    const base = vpsid * PRINT_MAX;
    if (s.vpsPrintLen[vpsid] === 0) {
      const bytes = new TextEncoder().encode(format(text, ppid, (n) => this.a.readReg(vpsid, n))).subarray(0, PRINT_MAX);
      s.vpsPrint.set(bytes, base);
      s.vpsPrintLen[vpsid] = bytes.length;
      s.vpsPrintAt[vpsid] = 0;
    }
    const access: Access = { kind: 'io', port: COM1, size: 1, input: false, string: true, rep: true, immediate: false };
    const at = s.vpsPrintAt[vpsid];
    const exit = trap(access, len);
    if (exit !== undefined) {
      // the byte the handler would emulate, where an OUT would have it
      this.a.writeReg(vpsid, RAX, (this.a.readReg(vpsid, RAX) & ~0xffn) | BigInt(s.vpsPrint[base + at]));
      return exit;
    }
    this.consoleWrite(ppid, new TextDecoder().decode(s.vpsPrint.subarray(base + at, base + s.vpsPrintLen[vpsid])));
    s.vpsPrintLen[vpsid] = 0;
    s.vpsPrintAt[vpsid] = 0;
    return undefined;
  }

  private guestMsr(ppid: number, vpsid: number, msr: number, write: boolean): void {
    const a = this.a;
    const value = ((a.readReg(vpsid, RDX) & 0xffffffffn) << 32n) | (a.readReg(vpsid, RAX) & 0xffffffffn);
    // the guest's own copy when the MSR is guest state, the processor's otherwise
    const own = GUEST_STATE_MSRS.get(msr);
    const i = this.msrIndex.get(msr);
    if (own === undefined && i === undefined) throw new TripleFault(`the guest touched MSR 0x${msr.toString(16)} that does not exist: #GP with no IDT`);
    const at = ppid * this.msrIndex.size + i!;
    if (write) {
      if (own !== undefined) a.writeReg(vpsid, own, value);
      else this.s.msrs[at] = value;
      return;
    }
    const v = own !== undefined ? a.readReg(vpsid, own) : this.s.msrs[at];
    a.writeReg(vpsid, RAX, v & 0xffffffffn);
    a.writeReg(vpsid, RDX, v >> 32n);
  }

  private consoleWrite(ppid: number, text: string): void {
    const lines = (this.consoles[ppid] + text).split('\n');
    this.consoles[ppid] = lines.pop()!;
    for (const line of lines) this.sink({ source: 'guest', ppid, text: line });
  }

  private flushConsole(ppid: number): void {
    if (this.consoles[ppid]) this.consoleWrite(ppid, '\n');
  }

  // ---- test-only faults ----

  private inject(f: SimFault): void {
    if (!BF_SYSCALLS.some((s) => s.name === f.syscall && s.where === 'kernel')) throw new Error(`sim: no kernel syscall ${f.syscall} to inject a fault into`);
    const self = this as unknown as Record<string, (...args: unknown[]) => bf_status_t>;
    const real = self[f.syscall].bind(this);
    self[f.syscall] = (...args: unknown[]) => {
      if (f.when === 'before') throw new Error(`sim: injected fault before ${f.syscall}`);
      real(...args);
      throw new Error(`sim: injected fault after ${f.syscall}`);
    };
  }
}

function stateName(st: number): string {
  return st === LIVE ? 'live' : st === ZOMBIE ? 'zombie' : 'free';
}
