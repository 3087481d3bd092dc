// AMD SVM: a VPS is a 4 KiB VMCB addressed by byte offset (AMD APM vol. 2,
// appendix B), plus the GPRs VMRUN does not save. Exits behave as under
// QEMU TCG: no NRIP save, so advance_ip uses the decoded instruction length.
import { bf_reg_t } from '../../../abi/bf.js';
import { BF_SVM_EXIT_INVALID, BF_SVM_EXIT_CPUID, BF_SVM_EXIT_HLT, BF_SVM_EXIT_IO, BF_SVM_EXIT_RDMSR, BF_SVM_EXIT_VMCALL, BF_SVM_EXIT_SHUTDOWN } from '../../../abi/bf.js';
import type { SimState } from '../state.js';
import { bitmapBit, BlockViews, type ArchModel, type PageReader } from './arch.js';
import { EFER_SVME, rootState } from './root.js';

const VMCB = 4096;

/** control area */
export const VMCB_INTERCEPT_MISC1 = 0x00c;
export const VMCB_INTERCEPT_MISC2 = 0x010;
export const VMCB_IOPM_BASE_PA = 0x040;
export const VMCB_MSRPM_BASE_PA = 0x048;
export const VMCB_GUEST_ASID = 0x058;
export const VMCB_EXITCODE = 0x070;
export const VMCB_EXITINFO1 = 0x078;
export const VMCB_EXITINFO2 = 0x080;
export const VMCB_NP_ENABLE = 0x090;
export const VMCB_NRIP = 0x0c8;

export const MISC1_CPUID = 1 << 18;
export const MISC1_HLT = 1 << 24;
export const MISC1_IOIO_PROT = 1 << 27;
export const MISC1_MSR_PROT = 1 << 28;
export const MISC1_SHUTDOWN = 1 << 31;
export const MISC2_VMRUN = 1 << 0;
export const MISC2_VMMCALL = 1 << 1;

const SEGMENTS: Record<string, number> = {
  es: 0x400, cs: 0x410, ss: 0x420, ds: 0x430, fs: 0x440, gs: 0x450, ldtr: 0x470, tr: 0x490,
};

/** where each bf_reg_t lives: a VMCB offset and width, or a saved-GPR slot */
type Place = { off: number; bytes: 2 | 4 | 8 } | { saved: number };

function places(): Place[] {
  const at = new Map<string, Place>([
    ['rax', { off: 0x5f8, bytes: 8 }], ['rip', { off: 0x578, bytes: 8 }], ['rsp', { off: 0x5d8, bytes: 8 }],
    ['rflags', { off: 0x570, bytes: 8 }],
    ['gdtr_base_addr', { off: 0x468, bytes: 8 }], ['gdtr_limit', { off: 0x464, bytes: 4 }],
    ['idtr_base_addr', { off: 0x488, bytes: 8 }], ['idtr_limit', { off: 0x484, bytes: 4 }],
    ['cr0', { off: 0x558, bytes: 8 }], ['cr2', { off: 0x640, bytes: 8 }], ['cr3', { off: 0x550, bytes: 8 }],
    ['cr4', { off: 0x548, bytes: 8 }], ['dr6', { off: 0x568, bytes: 8 }], ['dr7', { off: 0x560, bytes: 8 }],
    ['ia32_efer', { off: 0x4d0, bytes: 8 }], ['ia32_star', { off: 0x600, bytes: 8 }],
    ['ia32_lstar', { off: 0x608, bytes: 8 }], ['ia32_cstar', { off: 0x610, bytes: 8 }],
    ['ia32_fmask', { off: 0x618, bytes: 8 }], ['ia32_fs_base', { off: 0x448, bytes: 8 }],
    ['ia32_gs_base', { off: 0x458, bytes: 8 }], ['ia32_kernel_gs_base', { off: 0x620, bytes: 8 }],
    ['ia32_sysenter_cs', { off: 0x628, bytes: 8 }], ['ia32_sysenter_esp', { off: 0x630, bytes: 8 }],
    ['ia32_sysenter_eip', { off: 0x638, bytes: 8 }], ['ia32_pat', { off: 0x668, bytes: 8 }],
    ['ia32_debugctl', { off: 0x670, bytes: 8 }],
  ]);
  for (const [seg, base] of Object.entries(SEGMENTS)) {
    at.set(`${seg}_selector`, { off: base, bytes: 2 });
    at.set(`${seg}_attributes`, { off: base + 2, bytes: 2 });
    at.set(`${seg}_limit`, { off: base + 4, bytes: 4 });
    at.set(`${seg}_base_addr`, { off: base + 8, bytes: 8 });
  }
  ['rbx', 'rcx', 'rdx', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15']
    .forEach((r, i) => at.set(r, { saved: i }));
  return Object.keys(bf_reg_t).map((name) => {
    const p = at.get(name);
    if (!p) throw new Error(`sim amd: no place for bf_reg_t ${name}`);
    return p;
  });
}

const SAVED = 14;

/** MSR permission map ranges: first MSR and byte offset of its 2-bit entries */
const MSRPM_RANGES: [number, number][] = [[0x00000000, 0x0000], [0xc0000000, 0x0800], [0xc0010000, 0x1000]];

export function createAmd(s: SimState): ArchModel {
  const v = new BlockViews(s);
  // flattened for the read_reg/write_reg hot path: saved slot, or -1 and an offset
  const map = places();
  const savedSlot = Int16Array.from(map, (p) => ('saved' in p ? p.saved : -1));
  const offset = Uint16Array.from(map, (p) => ('off' in p ? p.off : 0));
  const width = Uint8Array.from(map, (p) => ('bytes' in p ? p.bytes : 8));
  const u32 = (vps: number, off: number) => v.u32[(vps * VMCB + off) >> 2];
  const u64 = (vps: number, off: number) => v.u64[(vps * VMCB + off) >> 3];

  const model: ArchModel = {
    arch: 'amd',
    sizes: { block: VMCB, saved: SAVED },

    // a new VMCB is all zeroes: the extension sets the intercepts, VMRUN's and the ASID included
    initVps() {},

    readField(vps, index, bytes) {
      if (index < 0n || index > BigInt(VMCB - bytes) || index % BigInt(bytes) !== 0n) return undefined;
      return v.read(vps * VMCB + Number(index), bytes);
    },

    writeField(vps, index, bytes, value) {
      if (index < 0n || index > BigInt(VMCB - bytes) || index % BigInt(bytes) !== 0n) return false;
      v.write(vps * VMCB + Number(index), bytes, value);
      return true;
    },

    readReg(vps, reg) {
      const slot = savedSlot[reg];
      if (slot >= 0) return s.saved[vps * SAVED + slot];
      return v.read(vps * VMCB + offset[reg], width[reg] as 2 | 4 | 8);
    },

    writeReg(vps, reg, value) {
      const slot = savedSlot[reg];
      if (slot >= 0) s.saved[vps * SAVED + slot] = BigInt.asUintN(64, value);
      else v.write(vps * VMCB + offset[reg], width[reg] as 2 | 4 | 8, value);
    },

    initRoot(vps, ppid, entry) {
      for (const [name, value] of rootState('amd', ppid, entry)) model.writeReg(vps, bf_reg_t[name], value);
    },

    intercepted(vps, a, pages: PageReader) {
      const misc1 = u32(vps, VMCB_INTERCEPT_MISC1);
      const misc2 = u32(vps, VMCB_INTERCEPT_MISC2);
      switch (a.kind) {
        case 'cpuid': return (misc1 & MISC1_CPUID) !== 0;
        case 'hlt': return (misc1 & MISC1_HLT) !== 0;
        case 'vmcall': return (misc2 & MISC2_VMMCALL) !== 0;
        case 'shutdown': return (misc1 & MISC1_SHUTDOWN) !== 0;
        case 'invalid': return true;
        case 'io': {
          if ((misc1 & MISC1_IOIO_PROT) === 0) return false;
          const base = u64(vps, VMCB_IOPM_BASE_PA);
          for (let p = a.port; p < a.port + a.size; p++) if (bitmapBit(base, p, pages)) return true;
          return false;
        }
        case 'msr': {
          if ((misc1 & MISC1_MSR_PROT) === 0) return false;
          const range = MSRPM_RANGES.find(([first]) => a.msr >= first && a.msr < first + 0x2000);
          if (!range) return true;
          const bit = range[1] * 8 + (a.msr - range[0]) * 2 + (a.write ? 1 : 0);
          return bitmapBit(u64(vps, VMCB_MSRPM_BASE_PA), bit, pages);
        }
      }
    },

    recordExit(vps, a, length, rip) {
      let code: bigint;
      let info1 = 0n;
      let info2 = 0n;
      switch (a.kind) {
        case 'cpuid': code = BF_SVM_EXIT_CPUID; break;
        case 'hlt': code = BF_SVM_EXIT_HLT; break;
        case 'vmcall': code = BF_SVM_EXIT_VMCALL; break;
        case 'shutdown': code = BF_SVM_EXIT_SHUTDOWN; break;
        case 'invalid': code = BF_SVM_EXIT_INVALID; break;
        case 'msr': code = BF_SVM_EXIT_RDMSR; info1 = a.write ? 1n : 0n; break;
        case 'io':
          code = BF_SVM_EXIT_IO;
          info1 = (BigInt(a.port) << 16n) | (BigInt(a.size) << 4n) | (1n << 9n)
            | (a.rep ? 1n << 3n : 0n) | (a.string ? 1n << 2n : 0n) | (a.input ? 1n : 0n);
          info2 = rip + BigInt(length); // the rIP of the next instruction
          break;
      }
      v.write(vps * VMCB + VMCB_EXITCODE, 8, code);
      v.write(vps * VMCB + VMCB_EXITINFO1, 8, info1);
      v.write(vps * VMCB + VMCB_EXITINFO2, 8, info2);
      v.write(vps * VMCB + VMCB_NRIP, 8, 0n); // TCG has no NRIP save
      s.vpsExitLen[vps] = length;
      return code;
    },

    entryCheck(vps) {
      if ((u32(vps, VMCB_INTERCEPT_MISC2) & MISC2_VMRUN) === 0) return 'the VMRUN intercept (VMCB 0x010 bit 0) is not set';
      if (u32(vps, VMCB_GUEST_ASID) === 0) return 'the guest ASID (VMCB 0x058) is 0';
      if ((model.readReg(vps, bf_reg_t.ia32_efer) & EFER_SVME) === 0n) return 'EFER.SVME is clear in the guest state';
      return undefined;
    },

    exitLength(vps) {
      return s.vpsExitLen[vps];
    },

    exitInfo(vps) {
      return [u64(vps, VMCB_EXITINFO1), u64(vps, VMCB_EXITINFO2)];
    },

    dumpFields(vps) {
      return [
        ['intercept misc1 (0x00c)', BigInt(u32(vps, VMCB_INTERCEPT_MISC1))],
        ['intercept misc2 (0x010)', BigInt(u32(vps, VMCB_INTERCEPT_MISC2))],
        ['guest asid (0x058)', BigInt(u32(vps, VMCB_GUEST_ASID))],
        ['exitcode (0x070)', u64(vps, VMCB_EXITCODE)],
        ['exitinfo1 (0x078)', u64(vps, VMCB_EXITINFO1)],
        ['exitinfo2 (0x080)', u64(vps, VMCB_EXITINFO2)],
      ];
    },
  };
  return model;
}

export const AMD_SIZES = { block: VMCB, saved: SAVED };
