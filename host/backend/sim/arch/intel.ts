// Intel VMX: a VPS is a VMCS addressed by field encoding (Intel SDM vol. 3,
// appendix B), plus the registers VM entry and exit do not switch. The
// width of an access must match the field's width (bits 14:13 of the
// encoding); read-only fields (bits 11:10 = 1) refuse writes.
import {
  bf_reg_t, BF_VMX_EXIT_CPUID, BF_VMX_EXIT_HLT, BF_VMX_EXIT_INVALID, BF_VMX_EXIT_IO,
  BF_VMX_EXIT_RDMSR, BF_VMX_EXIT_SHUTDOWN, BF_VMX_EXIT_VMCALL, BF_VMX_EXIT_WRMSR,
} from '../../../abi/bf.js';
import type { SimState } from '../state.js';
import { bitmapBit, ZERO_PAGE_PHYS, type ArchModel, type PageReader } from './arch.js';
import { rootState } from './root.js';

export const VMCS_IO_BITMAP_A = 0x2000;
export const VMCS_IO_BITMAP_B = 0x2002;
export const VMCS_MSR_BITMAP = 0x2004;
export const VMCS_GUEST_PHYSICAL_ADDRESS = 0x2400;
export const VMCS_LINK_POINTER = 0x2800;
export const VMCS_PRIMARY_PROC_CONTROLS = 0x4002;
export const VMCS_EXIT_REASON = 0x4402;
export const VMCS_EXIT_INSTRUCTION_LENGTH = 0x440c;
export const VMCS_EXIT_QUALIFICATION = 0x6400;

export const PROC_HLT_EXITING = 1 << 7;
export const PROC_UNCONDITIONAL_IO_EXITING = 1 << 24;
export const PROC_USE_IO_BITMAPS = 1 << 25;
export const PROC_USE_MSR_BITMAPS = 1 << 28;

const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'];

/** every field the model keeps, by encoding, with the bf_reg_t it holds if any */
function fields(): [number, string | undefined][] {
  const f: [number, string | undefined][] = [
    [0x0000, undefined], // VPID
    ...SEGS.map((s, i): [number, string] => [0x0800 + 2 * i, `${s}_selector`]),
    ...[0, 1, 2, 3, 4, 5, 6].map((i): [number, undefined] => [0x0c00 + 2 * i, undefined]), // host selectors
    [0x2000, undefined], [0x2002, undefined], [0x2004, undefined], [0x2006, undefined], [0x2008, undefined],
    [0x200a, undefined], [0x2010, undefined], [0x201a, undefined], // controls: bitmaps, MSR areas, TSC offset, EPTP
    [0x2400, undefined], // guest-physical address (read-only)
    [0x2800, undefined], [0x2802, 'ia32_debugctl'], [0x2804, 'ia32_pat'], [0x2806, 'ia32_efer'],
    [0x2c00, undefined], [0x2c02, undefined], // host PAT, EFER
    ...[0x4000, 0x4002, 0x4004, 0x4006, 0x4008, 0x400a, 0x400c, 0x400e, 0x4010, 0x4012, 0x4014, 0x4016, 0x4018, 0x401a, 0x401e]
      .map((e): [number, undefined] => [e, undefined]), // 32-bit controls
    ...[0x4400, 0x4402, 0x4404, 0x4406, 0x4408, 0x440a, 0x440c, 0x440e].map((e): [number, undefined] => [e, undefined]), // exit information (read-only)
    ...SEGS.map((s, i): [number, string] => [0x4800 + 2 * i, `${s}_limit`]),
    [0x4810, 'gdtr_limit'], [0x4812, 'idtr_limit'],
    ...SEGS.map((s, i): [number, string] => [0x4814 + 2 * i, `${s}_attributes`]),
    [0x4824, undefined], [0x4826, undefined], [0x4828, undefined], [0x482a, 'ia32_sysenter_cs'],
    [0x4c00, undefined], // host SYSENTER_CS
    [0x6000, undefined], [0x6002, undefined], [0x6004, undefined], [0x6006, undefined], // CR masks and shadows
    [0x6400, undefined], [0x640a, undefined], // exit qualification, guest-linear address (read-only)
    [0x6800, 'cr0'], [0x6802, 'cr3'], [0x6804, 'cr4'],
    ...SEGS.map((s, i): [number, string] => [0x6806 + 2 * i, `${s}_base_addr`]),
    [0x6816, 'gdtr_base_addr'], [0x6818, 'idtr_base_addr'], [0x681a, 'dr7'], [0x681c, 'rsp'], [0x681e, 'rip'],
    [0x6820, 'rflags'], [0x6822, undefined], [0x6824, 'ia32_sysenter_esp'], [0x6826, 'ia32_sysenter_eip'],
    ...[0x6c00, 0x6c02, 0x6c04, 0x6c06, 0x6c08, 0x6c0a, 0x6c0c, 0x6c0e, 0x6c10, 0x6c12, 0x6c14, 0x6c16]
      .map((e): [number, undefined] => [e, undefined]), // host state
  ];
  return f;
}

/** bytes of a field from its encoding: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural width */
function fieldBytes(encoding: number): 2 | 4 | 8 {
  return ([2, 8, 4, 8] as const)[(encoding >> 13) & 3];
}

function readOnly(encoding: number): boolean {
  return ((encoding >> 10) & 3) === 1;
}

/** bf_reg_t names for a field another name already holds */
const ALIASES: Record<string, string> = { ia32_fs_base: 'fs_base_addr', ia32_gs_base: 'gs_base_addr' };

/** registers VM entry and exit leave alone: kept beside the VMCS */
const SAVED_REGS = [
  'rax', 'rbx', 'rcx', 'rdx', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
  'cr2', 'dr6', 'ia32_star', 'ia32_lstar', 'ia32_cstar', 'ia32_fmask', 'ia32_kernel_gs_base',
];

export function createIntel(s: SimState): ArchModel {
  const list = fields();
  const slotOf = new Map<number, number>(list.map(([e], i) => [e, i]));
  const widthOf = list.map(([e]) => fieldBytes(e));
  const n = list.length;
  const vmcs = new BigUint64Array(s.block.buffer, s.block.byteOffset, s.block.byteLength / 8);
  // bf_reg_t → VMCS slot, or a saved slot (as -1 - slot)
  const regSlot = Int16Array.from(Object.keys(bf_reg_t), (name) => {
    const saved = SAVED_REGS.indexOf(name);
    if (saved >= 0) return -1 - saved;
    const i = list.findIndex(([, r]) => r === (ALIASES[name] ?? name));
    if (i < 0) throw new Error(`sim intel: no place for bf_reg_t ${name}`);
    return i;
  });
  const savedCount = SAVED_REGS.length;
  const get = (vps: number, encoding: number) => vmcs[vps * n + slotOf.get(encoding)!];
  const set = (vps: number, encoding: number, value: bigint) => {
    vmcs[vps * n + slotOf.get(encoding)!] = value;
  };
  const mask = (bytes: number, value: bigint) => BigInt.asUintN(bytes * 8, value);

  const model: ArchModel = {
    arch: 'intel',
    sizes: { block: n * 8, saved: savedCount },

    // as a microkernel does for a new VMCS: MSR bitmaps on, pointing at its
    // zeroed page, so that the guest's MSR accesses exit only when asked
    initVps(vps) {
      set(vps, VMCS_PRIMARY_PROC_CONTROLS, BigInt(PROC_USE_MSR_BITMAPS));
      set(vps, VMCS_MSR_BITMAP, ZERO_PAGE_PHYS);
    },

    readField(vps, index, bytes) {
      const slot = index >= 0n && index <= 0xffffn ? slotOf.get(Number(index)) : undefined;
      if (slot === undefined || widthOf[slot] !== bytes) return undefined;
      return vmcs[vps * n + slot];
    },

    writeField(vps, index, bytes, value) {
      const slot = index >= 0n && index <= 0xffffn ? slotOf.get(Number(index)) : undefined;
      if (slot === undefined || widthOf[slot] !== bytes || readOnly(Number(index))) return false;
      vmcs[vps * n + slot] = mask(bytes, value);
      return true;
    },

    readReg(vps, reg) {
      const slot = regSlot[reg];
      return slot < 0 ? s.saved[vps * savedCount - 1 - slot] : vmcs[vps * n + slot];
    },

    writeReg(vps, reg, value) {
      const slot = regSlot[reg];
      if (slot < 0) s.saved[vps * savedCount - 1 - slot] = BigInt.asUintN(64, value);
      else vmcs[vps * n + slot] = mask(widthOf[slot], value);
    },

    initRoot(vps, ppid, entry) {
      for (const [name, value] of rootState('intel', ppid, entry)) model.writeReg(vps, bf_reg_t[name], value);
      set(vps, VMCS_LINK_POINTER, 0xffffffffffffffffn);
    },

    intercepted(vps, a, pages: PageReader) {
      const proc = Number(get(vps, VMCS_PRIMARY_PROC_CONTROLS));
      switch (a.kind) {
        case 'cpuid': case 'vmcall': case 'shutdown': case 'invalid': return true; // VMX always exits on these
        case 'hlt': return (proc & PROC_HLT_EXITING) !== 0;
        case 'io': {
          if ((proc & PROC_USE_IO_BITMAPS) === 0) return (proc & PROC_UNCONDITIONAL_IO_EXITING) !== 0;
          for (let p = a.port; p < a.port + a.size; p++) {
            const base = get(vps, p < 0x8000 ? VMCS_IO_BITMAP_A : VMCS_IO_BITMAP_B);
            if (bitmapBit(base, p & 0x7fff, pages)) return true;
          }
          return false;
        }
        case 'msr': {
          if ((proc & PROC_USE_MSR_BITMAPS) === 0) return true;
          const low = a.msr <= 0x1fff;
          const high = a.msr >= 0xc0000000 && a.msr <= 0xc0001fff;
          if (!low && !high) return true;
          const byte = (a.write ? 2048 : 0) + (high ? 1024 : 0);
          return bitmapBit(get(vps, VMCS_MSR_BITMAP), byte * 8 + (a.msr & 0x1fff), pages);
        }
      }
    },

    recordExit(vps, a, length, _rip) {
      let reason: bigint;
      let qualification = 0n;
      switch (a.kind) {
        case 'cpuid': reason = BF_VMX_EXIT_CPUID; break;
        case 'hlt': reason = BF_VMX_EXIT_HLT; break;
        case 'vmcall': reason = BF_VMX_EXIT_VMCALL; break;
        case 'shutdown': reason = BF_VMX_EXIT_SHUTDOWN; break;
        case 'invalid': reason = BF_VMX_EXIT_INVALID; break;
        case 'msr': reason = a.write ? BF_VMX_EXIT_WRMSR : BF_VMX_EXIT_RDMSR; break;
        case 'io':
          reason = BF_VMX_EXIT_IO;
          qualification = BigInt(a.size - 1) | (a.input ? 1n << 3n : 0n) | (a.string ? 1n << 4n : 0n)
            | (a.rep ? 1n << 5n : 0n) | (a.immediate ? 1n << 6n : 0n) | (BigInt(a.port) << 16n);
          break;
      }
      set(vps, VMCS_EXIT_REASON, reason);
      set(vps, VMCS_EXIT_QUALIFICATION, qualification);
      set(vps, VMCS_EXIT_INSTRUCTION_LENGTH, BigInt(length));
      s.vpsExitLen[vps] = length;
      return reason;
    },

    entryCheck(vps) {
      if (get(vps, VMCS_LINK_POINTER) !== 0xffffffffffffffffn) return 'the VMCS link pointer (0x2800) is not all ones';
      return undefined;
    },

    exitLength(vps) {
      return Number(get(vps, VMCS_EXIT_INSTRUCTION_LENGTH));
    },

    exitInfo(vps) {
      return [get(vps, VMCS_EXIT_QUALIFICATION), get(vps, VMCS_GUEST_PHYSICAL_ADDRESS)];
    },

    dumpFields(vps) {
      return [
        ['primary proc controls (0x4002)', get(vps, VMCS_PRIMARY_PROC_CONTROLS)],
        ['exit reason (0x4402)', get(vps, VMCS_EXIT_REASON)],
        ['exit qualification (0x6400)', get(vps, VMCS_EXIT_QUALIFICATION)],
        ['exit instruction length (0x440c)', get(vps, VMCS_EXIT_INSTRUCTION_LENGTH)],
      ];
    },
  };
  return model;
}

export const INTEL_SIZES = { block: fields().length * 8, saved: SAVED_REGS.length };
