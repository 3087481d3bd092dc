// The state of a root guest: a 64-bit kernel as it was when the
// hypervisor started on a physical processor. Both architectures load it;
// only segment attribute formats and EFER.SVME differ.
import type { Arch } from '../../microkernel.js';
import { bf_reg_t } from '../../../abi/bf.js';

type RegName = keyof typeof bf_reg_t;

const CODE = 0x9b; // present, ring 0, code, readable, accessed
const DATA = 0x93; // present, ring 0, data, writable, accessed
const TSS = 0x8b; // present, 64-bit TSS, busy

/** segment attributes: AMD packs flags above the access byte (bits 11:8), Intel keeps them at 15:12 */
function attributes(arch: Arch, access: number, flags: number): bigint {
  if (access === 0) return arch === 'amd' ? 0n : 0x10000n; // unusable
  return BigInt(arch === 'amd' ? (flags << 8) | access : (flags << 12) | access);
}

export const EFER_SVME = 1n << 12n;

export function rootState(arch: Arch, ppid: number, entry: bigint): [RegName, bigint][] {
  const seg = (name: string, selector: number, access: number, flags: number, limit: bigint, base = 0n): [RegName, bigint][] => [
    [`${name}_selector` as RegName, BigInt(selector)],
    [`${name}_base_addr` as RegName, base],
    [`${name}_limit` as RegName, limit],
    [`${name}_attributes` as RegName, attributes(arch, access, flags)],
  ];
  return [
    ['rip', entry],
    ['rsp', 0x80000n + BigInt(ppid) * 0x1000n],
    ['rflags', 0x2n],
    ['cr0', 0x80050033n],
    ['cr3', 0x1000n],
    ['cr4', 0x6f8n],
    ['dr6', 0xffff0ff0n],
    ['dr7', 0x400n],
    ['ia32_efer', 0xd01n | (arch === 'amd' ? EFER_SVME : 0n)],
    ['ia32_pat', 0x0007040600070406n],
    ['gdtr_base_addr', 0x5000n],
    ['gdtr_limit', 0x1fn],
    ['idtr_base_addr', 0x6000n],
    ['idtr_limit', 0xfffn],
    ...seg('cs', 0x08, CODE, 0xa, 0xffffffffn),
    ...seg('ss', 0x10, DATA, 0xc, 0xffffffffn),
    ...seg('ds', 0x10, DATA, 0xc, 0xffffffffn),
    ...seg('es', 0x10, DATA, 0xc, 0xffffffffn),
    ...seg('fs', 0, 0, 0, 0n),
    ...seg('gs', 0, 0, 0, 0n),
    ...seg('ldtr', 0, 0, 0, 0n),
    ...seg('tr', 0x18, TSS, 0, 0x67n, 0x7000n + BigInt(ppid) * 0x100n),
  ];
}
