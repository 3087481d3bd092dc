// A conformance case: one rule of the bf ABI, checked through the Driver and
// the boundary on whatever backend the runner gives it. Cases are data, so
// that the runner (bfx conformance, and the tests that wrap it) and the
// coverage check read the same catalogue.
import { expect } from '../expect.js';
import * as bf from '../../abi/bf.js';
import type { bf_status_t, SyscallName } from '../../abi/bf.js';
import { statusName } from '../../abi/status.js';
import type { SimOptions } from '../../backend/sim/sim.js';
import type { ExtensionOptions } from '../../sandbox/extension.js';
import { used, type Backend, type Capability } from '../backends.js';
import { Driver } from '../driver/driver.js';

/** the name of a bf_status_t constant, as host/abi/bf.ts exports it */
export type StatusName =
  | 'BF_STATUS_SUCCESS'
  | 'BF_STATUS_FAILURE_UNKNOWN'
  | 'BF_STATUS_FAILURE_INVALID_HANDLE'
  | 'BF_STATUS_FAILURE_UNSUPPORTED'
  | 'BF_STATUS_INVALID_PERM_EXT'
  | 'BF_STATUS_INVALID_PERM_DENIED'
  | 'BF_STATUS_INVALID_PARAMS0'
  | 'BF_STATUS_INVALID_PARAMS1'
  | 'BF_STATUS_INVALID_PARAMS2'
  | 'BF_STATUS_INVALID_PARAMS3'
  | 'BF_STATUS_INVALID_PARAMS4'
  | 'BF_STATUS_INVALID_PARAMS5';

/** the value of a status by its name: the constant host/abi/bf.ts exports */
export function statusValue(name: StatusName): bf_status_t {
  return bf[name];
}

/** what a case gets: the backend, a way to make a Driver on it, and the status assertion */
export interface Ctx {
  readonly backend: Backend;
  /**
   * A host on a fresh backend with these options and driver extensions
   * (loaded, not started). Options beyond the ABI must be among the case's
   * `needs`, so that a backend lacking them skips the case instead of lying.
   */
  driver(opts?: SimOptions, exts?: ExtensionOptions[]): Promise<Driver>;
  /** asserts that a syscall answered exactly `expected`; the runner checks that the case asserted the status it declares */
  status(actual: bigint, expected: bf_status_t, what?: string): void;
}

export interface Case {
  /** stable: "<group>.<syscall without its bf_<group>_op_ prefix>.<what>", or "guarantees.<topic>.<what>" */
  id: string;
  /** the syscall the case is about, when it is about one */
  syscall: SyscallName | undefined;
  /** the status the case asserts the syscall answers */
  status?: StatusName;
  /** the rule, in one line */
  rule: string;
  /** the part of the ABI the rule comes from: 'status codes', 'bf_vm_op_create_vm inputs', 'zombies', ... */
  clause: string;
  /** what the case asks of the backend beyond the ABI */
  needs?: readonly Capability[];
  run(ctx: Ctx): Promise<void> | void;
}

/** syscalls whose success is that they do not return: a case about their success asserts no status */
export const NO_RETURN: ReadonlySet<SyscallName> = new Set(['bf_control_op_exit']);

/**
 * The context the runner gives one case: `asserted` collects the statuses it
 * asserted, `drivers` the drivers it made (the runner then checks that no
 * handler of the case threw: the host would have taken that for a fault).
 */
export function context(backend: Backend, c: Case, asserted: Set<bigint>, drivers: Driver[] = []): Ctx {
  return {
    backend,
    async driver(opts = {}, exts = [{}]) {
      const missing = used(opts).filter((n) => !(c.needs ?? []).includes(n));
      if (missing.length) throw new Error(`case ${c.id} uses ${missing.join(', ')} without declaring it in needs`);
      // a case that needs one architecture gets it without saying so in every driver
      const arch = c.needs?.includes('intel') ? 'intel' : c.needs?.includes('amd') ? 'amd' : undefined;
      const d = await Driver.create(backend, arch && !opts.arch ? { arch, ...opts } : opts, exts);
      drivers.push(d);
      return d;
    },
    status(actual, expected, what) {
      asserted.add(expected);
      const got = BigInt.asUintN(64, actual);
      expect(got, `${what ?? 'status'}: got ${statusName(got)}, expected ${statusName(expected)}`).toBe(expected);
    },
  };
}

/** the short name of a syscall in case IDs: bf_vm_op_create_vm → create_vm */
export function short(name: SyscallName): string {
  return name.replace(/^bf_[a-z]+_op_/, '');
}
