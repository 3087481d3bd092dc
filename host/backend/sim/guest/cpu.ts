// What the modelled processor answers when nothing intercepts: CPUID leaves,
// MSRs and I/O ports of a plain machine of each vendor.
import type { Arch } from '../../microkernel.js';
import { bf_reg_t } from '../../../abi/bf.js';

const str = (s: string): number => s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);

/** [eax, ebx, ecx, edx] of CPUID(leaf, subleaf) on bare metal */
export function nativeCpuid(arch: Arch, leaf: number, _subleaf: number): [number, number, number, number] {
  if (arch === 'amd') {
    switch (leaf) {
      case 0x0: return [0x10, str('Auth'), str('cAMD'), str('enti')];
      case 0x1: return [0x00a20f10, 0x00020800, 0x7ed8320b & 0x7fffffff, 0x178bfbff];
      case 0x80000000: return [0x8000001f, str('Auth'), str('cAMD'), str('enti')];
      case 0x80000001: return [0x00a20f10, 0, 1 << 2 /* SVM */, 0x2fd3fbff];
      case 0x8000000a: return [1 /* revision */, 16 /* ASIDs */, 0, 1 /* nested paging, no NRIP save: as QEMU TCG */];
      default: return [0, 0, 0, 0];
    }
  }
  switch (leaf) {
    case 0x0: return [0x16, str('Genu'), str('ntel'), str('ineI')];
    case 0x1: return [0x000906ea, 0x00020800, (0x7ffafbbf & 0x7fffffff) | (1 << 5) /* VMX */, 0xbfebfbff];
    case 0x80000000: return [0x80000008, 0, 0, 0];
    default: return [0, 0, 0, 0];
  }
}

/** MSRs that are part of the guest's state: a guest reads and writes its VPS's copy */
export const GUEST_STATE_MSRS = new Map<number, number>([
  [0x174, bf_reg_t.ia32_sysenter_cs], [0x175, bf_reg_t.ia32_sysenter_esp], [0x176, bf_reg_t.ia32_sysenter_eip],
  [0x1d9, bf_reg_t.ia32_debugctl], [0x277, bf_reg_t.ia32_pat],
  [0xc0000080, bf_reg_t.ia32_efer], [0xc0000081, bf_reg_t.ia32_star], [0xc0000082, bf_reg_t.ia32_lstar],
  [0xc0000083, bf_reg_t.ia32_cstar], [0xc0000084, bf_reg_t.ia32_fmask], [0xc0000100, bf_reg_t.ia32_fs_base],
  [0xc0000101, bf_reg_t.ia32_gs_base], [0xc0000102, bf_reg_t.ia32_kernel_gs_base],
]);

/** the physical processor's own MSRs, with their values at boot; any other MSR raises #GP */
export function hostMsrs(arch: Arch): [number, bigint][] {
  const common: [number, bigint][] = [
    [0x10, 0n], // TSC
    [0x1b, 0xfee00900n], // APIC base: enabled, BSP
    [0xfe, 0x508n], // MTRR capabilities
    [0x2ff, 0xc06n], // MTRR default type
    [0xc0000103, 0n], // TSC_AUX
    ...[...GUEST_STATE_MSRS.keys()].map((m): [number, bigint] => [m, 0n]),
  ];
  if (arch === 'amd') return [...common, [0xc0010114, 0n] /* VM_CR */, [0xc0010117, 0n] /* VM_HSAVE_PA */];
  return [...common, [0x3a, 0x5n] /* FEATURE_CONTROL: locked, VMX outside SMX */, [0x480, 0x00da040000000004n] /* VMX_BASIC */];
}

/** what reading a port returns on the modelled machine */
export function nativeIn(port: number): number {
  if (port === 0x61) return 0x20; // system control port B: refresh toggles
  return 0xff; // nothing decodes it: the bus floats high
}
