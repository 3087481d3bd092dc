// Reading bf_status_t values: names for people, validity for the boundary.
import {
  BF_STATUS_INVALID_PARAMS0, BF_STATUS_INVALID_PARAMS1, BF_STATUS_INVALID_PARAMS2,
  BF_STATUS_INVALID_PARAMS3, BF_STATUS_INVALID_PARAMS4, BF_STATUS_INVALID_PARAMS5,
  type bf_status_t,
} from './bf.js';
import * as bf from './bf.js';

/** BF_STATUS_INVALID_PARAMSn, by n */
export const INVALID_PARAMS: readonly bf_status_t[] = [
  BF_STATUS_INVALID_PARAMS0, BF_STATUS_INVALID_PARAMS1, BF_STATUS_INVALID_PARAMS2,
  BF_STATUS_INVALID_PARAMS3, BF_STATUS_INVALID_PARAMS4, BF_STATUS_INVALID_PARAMS5,
];

const names = new Map<bigint, string>(
  Object.entries(bf)
    .filter(([k, v]) => k.startsWith('BF_STATUS_') && typeof v === 'bigint' && !k.endsWith('_MASK') && !k.endsWith('_SIG_VAL'))
    .map(([k, v]) => [v as bigint, k]),
);

/** the value as the ABI names it, or its hex when it is not a bf_status_t */
export function statusName(status: bigint): string {
  const v = BigInt.asUintN(64, status);
  return names.get(v) ?? `0x${v.toString(16).padStart(16, '0')}`;
}

/** whether the value is one the ABI defines */
export function isStatus(status: bigint): boolean {
  return names.has(BigInt.asUintN(64, status));
}

export function hex64(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16).padStart(16, '0')}`;
}
