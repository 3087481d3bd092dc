// The catalogue covers the ABI: every syscall has a success case and a case
// for each failure status it can return. The statuses below are read off the
// boundary (host/boundary/syscalls/*.ts, imports.ts, guard.ts, lifecycle.ts)
// and the reference kernel, and written down here so that a syscall gaining
// or losing a status is a decision someone makes, not an accident.
import { describe, expect, it } from 'vitest';
import { BF_SYSCALLS, type SyscallName } from '../../host/abi/bf.js';
import { groups as abiGroups } from '../../abi/table.js';
import type { StatusName } from '../../host/conformance/catalogue/case.js';
import { catalogue, groups } from '../../host/conformance/catalogue/index.js';

const HANDLE = 'BF_STATUS_FAILURE_INVALID_HANDLE';
const UNKNOWN = 'BF_STATUS_FAILURE_UNKNOWN';
const UNSUPPORTED = 'BF_STATUS_FAILURE_UNSUPPORTED';
const PERM_EXT = 'BF_STATUS_INVALID_PERM_EXT';
const DENIED = 'BF_STATUS_INVALID_PERM_DENIED';
const P1 = 'BF_STATUS_INVALID_PARAMS1';
const P2 = 'BF_STATUS_INVALID_PARAMS2';
const P3 = 'BF_STATUS_INVALID_PARAMS3';

/**
 * Every syscall can answer PERM_EXT (imports.ts: not in the extension's
 * allowed list). Every one with a handle can answer INVALID_HANDLE. Every
 * kernel syscall can answer UNSUPPORTED (imports.ts: the backend lacks it)
 * and UNKNOWN (guard.ts: the backend threw). The rest is each syscall's own.
 */
const host = (...own: StatusName[]): StatusName[] => [PERM_EXT, HANDLE, ...own];
const kernel = (...own: StatusName[]): StatusName[] => [PERM_EXT, HANDLE, UNSUPPORTED, UNKNOWN, ...own];
/** an ID that must be live and the caller's: INVALID_PARAMSn, or PERM_DENIED */
const id = (p: StatusName): StatusName[] => [p, DENIED];

const FAILURES: Record<SyscallName, StatusName[]> = {
  bf_control_op_exit: host(),
  // version wrong → UNSUPPORTED; output pointer → P1; already open → UNKNOWN; no handle to check
  bf_handle_op_open_handle: [PERM_EXT, UNSUPPORTED, UNKNOWN, P1],
  bf_handle_op_close_handle: kernel(),
  bf_debug_op_out: host(),
  bf_debug_op_dump_vm: kernel(...id(P1)),
  bf_debug_op_dump_vp: kernel(...id(P1)),
  bf_debug_op_dump_vps: kernel(...id(P1)),
  bf_debug_op_dump_vmexit_log: kernel(...id(P1)),
  bf_debug_op_write_c: host(),
  // null, outside memory, or no NUL → P1
  bf_debug_op_write_str: host(P1),
  // outside the entry point → UNKNOWN
  bf_callback_op_wait: host(UNKNOWN),
  // bad index, null slot, wrong arity → P1; second registration → UNKNOWN
  bf_callback_op_register_bootstrap: host(P1, UNKNOWN),
  bf_callback_op_register_vmexit: host(P1, UNKNOWN),
  bf_callback_op_register_fail: host(P1, UNKNOWN),
  // pointer → P1; pool exhausted → UNKNOWN
  bf_vm_op_create_vm: kernel(P1),
  // in use → UNKNOWN (zombie)
  bf_vm_op_destroy_vm: kernel(...id(P1)),
  bf_vp_op_create_vp: kernel(...id(P1), P2),
  bf_vp_op_destroy_vp: kernel(...id(P1)),
  // vp → P1/DENIED; ppid → P2; pointer → P3
  bf_vps_op_create_vps: kernel(...id(P1), P2, P3),
  bf_vps_op_destroy_vps: kernel(...id(P1)),
  // not on the current processor → P1 (kernel)
  bf_vps_op_init_as_root: kernel(...id(P1)),
  // index → P2 (kernel); pointer → P3
  bf_vps_op_read8: kernel(...id(P1), P2, P3),
  bf_vps_op_read16: kernel(...id(P1), P2, P3),
  bf_vps_op_read32: kernel(...id(P1), P2, P3),
  bf_vps_op_read64: kernel(...id(P1), P2, P3),
  // index, width, read-only → P2 (kernel)
  bf_vps_op_write8: kernel(...id(P1), P2),
  bf_vps_op_write16: kernel(...id(P1), P2),
  bf_vps_op_write32: kernel(...id(P1), P2),
  bf_vps_op_write64: kernel(...id(P1), P2),
  // reg → P2; pointer → P3
  bf_vps_op_read_reg: kernel(...id(P1), P2, P3),
  bf_vps_op_write_reg: kernel(...id(P1), P2),
  // vps/vp/vm → P1/P2/P3 (and DENIED); outside a callback → UNKNOWN
  bf_vps_op_run: kernel(...id(P1), P2, P3),
  // outside a callback, nothing loaded, a zombie loaded → UNKNOWN; another's loaded → DENIED
  bf_vps_op_run_current: kernel(DENIED),
  bf_vps_op_advance_ip: kernel(...id(P1)),
  bf_vps_op_advance_ip_and_run_current: kernel(...id(P1)),
  bf_vps_op_promote: kernel(...id(P1)),
  // MSR not allowed → DENIED; no such MSR → UNKNOWN; pointer → P2
  bf_intrinsic_op_read_msr: kernel(DENIED, P2),
  bf_intrinsic_op_write_msr: kernel(DENIED),
  // pointers → P1, P2; no room or no page → UNKNOWN
  bf_mem_op_alloc_page: kernel(P1, P2),
  // not a page → P1
  bf_mem_op_free_page: kernel(P1),
  bf_mem_op_virt_to_phys: kernel(P1, P2),
};

describe('the conformance catalogue', () => {
  it('lists every syscall of the ABI in the expected statuses, and nothing else', () => {
    expect(Object.keys(FAILURES).sort()).toEqual(BF_SYSCALLS.map((s) => s.name).sort());
  });

  // besides a file per group: the guarantees that span syscalls, and the register-level requests over the wire
  const SPANNING = ['guarantees', 'raw'];

  it('has one file per group of the ABI, the guarantees, and the register-level cases', () => {
    expect(Object.keys(groups).sort()).toEqual([...abiGroups.map((g) => g.name), ...SPANNING].sort());
  });

  it('has unique, well-formed ids, each in the file of its group and naming its syscall', () => {
    const ids = catalogue.map((c) => c.id);
    expect(ids.length).toBe(new Set(ids).size);
    for (const [group, cases] of Object.entries(groups)) {
      for (const c of cases) {
        expect(c.id, c.id).toMatch(/^[a-z]+\.[a-z0-9_]+\.[a-z0-9-]+$/);
        expect(c.id.split('.')[0], c.id).toBe(group);
        if (!SPANNING.includes(group)) {
          expect(c.syscall, `${c.id} names no syscall`).toBeDefined();
          expect(c.syscall!.startsWith(`bf_${group}_op_`), `${c.id} is about ${c.syscall}`).toBe(true);
          expect(`bf_${group}_op_${c.id.split('.')[1]}`, c.id).toBe(c.syscall);
        }
        expect(c.rule.length, `${c.id} states its rule`).toBeGreaterThan(10);
        expect(c.rule.includes('\n'), `${c.id}: a rule is one line`).toBe(false);
        expect(c.clause.length, `${c.id} names its clause`).toBeGreaterThan(0);
      }
    }
  });

  describe.each(BF_SYSCALLS.map((s) => s.name))('%s', (name) => {
    const mine = catalogue.filter((c) => c.syscall === name);
    const asserted = new Set(mine.map((c) => c.status).filter((s): s is StatusName => s !== undefined));

    it('has a success case', () => {
      expect(asserted.has('BF_STATUS_SUCCESS')).toBe(true);
    });

    it.each(FAILURES[name])('has a case for %s', (status) => {
      expect(asserted.has(status), `no case of ${name} asserts ${status}`).toBe(true);
    });

    it('asserts no status the table does not expect of it', () => {
      const expected = new Set<StatusName>(['BF_STATUS_SUCCESS', ...FAILURES[name]]);
      expect([...asserted].filter((s) => !expected.has(s))).toEqual([]);
    });
  });
});
