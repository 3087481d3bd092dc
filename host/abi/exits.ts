// Exit reasons for people: the same name on both architectures, with the
// number the architecture uses.
import { BF_EXIT_REASONS } from './bf.js';
import type { Arch } from '../backend/microkernel.js';

/** "cpuid (0x72)": the name of an exit reason on an architecture, and its number */
export function exitReasonName(arch: Arch, reason: bigint): string {
  const hex = `0x${BigInt.asUintN(64, reason).toString(16)}`;
  if (arch === 'amd') {
    const all = BF_EXIT_REASONS.filter((r) => r.svm === reason);
    const name = all.length > 1 ? all.map((r) => r.name).join('/') : all[0]?.name;
    return name ? `${name} (${hex})` : hex;
  }
  const r = BF_EXIT_REASONS.find((x) => x.vmx === reason);
  return r ? `${r.name} (${reason})` : `exit ${reason}`;
}
