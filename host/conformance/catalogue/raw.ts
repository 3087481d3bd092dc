// The register-level cases: requests over the wire protocol as a Bareflank
// microkernel receives them, RAX and REG0..REG5, with none of the host's
// checks in front. What only the implementation can get right: RAX's
// signature, flags, opcode and index, and a register wider than its
// argument. They apply to whatever speaks the wire (need 'wire'): the sim
// is called through typed imports, where no such request can be made.
import { expect } from '../expect.js';
import {
  BF_SPEC_ID1_VAL, BF_STATUS_FAILURE_INVALID_HANDLE, BF_STATUS_FAILURE_UNSUPPORTED, BF_STATUS_INVALID_PARAMS1, BF_STATUS_SUCCESS, BF_SYSCALLS,
  type SyscallName,
} from '../../abi/bf.js';
import { registerSyscall, stateBytes } from '../../backend/remote/registers.js';
import { Remote } from '../../backend/remote/remote.js';
import type { Driver } from '../driver/driver.js';
import type { Case, Ctx } from './case.js';
import { sameBytes } from './fixture.js';

const REQUEST_MS = 10_000;
const SIG = 0xffff000000000000n;
const FLAGS = 0x0000ffff00000000n;

function rax(name: SyscallName): bigint {
  return BF_SYSCALLS.find((s) => s.name === name)!.rax;
}

/** the wire of a backend that speaks it */
function wire(d: Driver): Remote {
  if (!(d.mk instanceof Remote)) throw new Error('a register-level case needs a backend that speaks the wire protocol');
  return d.mk;
}

/** one request as registers: the status and REG0..REG5 that came back */
function raw(d: Driver, r: bigint, regs: bigint[] = []): { status: bigint; out: bigint[] } {
  return registerSyscall(wire(d).link, r, regs, REQUEST_MS);
}

/** the implementation's tables, as its STATE answer has them */
function tables(d: Driver): Uint8Array {
  return stateBytes(wire(d).link, REQUEST_MS);
}

/** a fresh implementation with a handle of the case's own, opened by registers */
async function opened(ctx: Ctx): Promise<{ d: Driver; handle: bigint }> {
  const d = await ctx.driver();
  const r = raw(d, rax('bf_handle_op_open_handle'), [BigInt(BF_SPEC_ID1_VAL)]);
  ctx.status(r.status, BF_STATUS_SUCCESS, 'open_handle by registers');
  return { d, handle: r.out[0] };
}

/** each RAX answers FAILURE_UNSUPPORTED, writes no output and changes nothing */
function refusedRax(id: string, rule: string, clause: string, raxes: (handle: bigint) => [bigint, string][]): Case {
  return {
    id, syscall: undefined, status: 'BF_STATUS_FAILURE_UNSUPPORTED', clause, rule, needs: ['wire'],
    async run(ctx) {
      const { d, handle } = await opened(ctx);
      for (const [r, what] of raxes(handle)) {
        const before = tables(d);
        const got = raw(d, r, [handle]);
        ctx.status(got.status, BF_STATUS_FAILURE_UNSUPPORTED, `${what} (RAX 0x${r.toString(16)})`);
        expect(got.out, `${what}: no output`).toEqual([0n, 0n, 0n, 0n, 0n, 0n]);
        expect(sameBytes(before, tables(d)), `${what}: the tables changed`).toBe(true);
      }
    },
  };
}

const CREATE_VM = rax('bf_vm_op_create_vm');
/** the first opcode past the ABI's groups */
const NEXT_OP = Math.max(...BF_SYSCALLS.map((s) => s.op)) + 1;

export const cases: Case[] = [
  refusedRax('raw.rax.bad-signature', 'a RAX whose bits 63:48 are not the signature 0x6642 ("Bf") answers FAILURE_UNSUPPORTED and does nothing', 'syscall encoding', () => [
    [CREATE_VM & ~SIG, 'create_vm without a signature'],
    [(CREATE_VM & ~SIG) | 0x6643000000000000n, 'create_vm with signature 0x6643'],
    [(CREATE_VM & ~SIG) | 0xdead000000000000n, 'create_vm with a status\'s signature'],
  ]),
  refusedRax('raw.rax.flags', 'a RAX with any of its FLAGS bits (47:32) set answers FAILURE_UNSUPPORTED and does nothing', 'syscall encoding', () => [
    [CREATE_VM | 0x0000000100000000n, 'create_vm with flag bit 32'],
    [CREATE_VM | 0x0000800000000000n, 'create_vm with flag bit 47'],
    [CREATE_VM | FLAGS, 'create_vm with every flag'],
  ]),
  refusedRax('raw.rax.unknown-opcode', 'a RAX whose opcode names no syscall group answers FAILURE_UNSUPPORTED and does nothing', 'syscall encoding', () => [
    [0x6642000000000000n | (BigInt(NEXT_OP) << 16n), `opcode 0x${NEXT_OP.toString(16)}, past the last group`],
    [0x6642000012340000n, 'opcode 0x1234'],
    [0x66420000ffff0000n, 'opcode 0xffff'],
  ]),
  refusedRax('raw.rax.unknown-index', 'a RAX whose index names no syscall of its group answers FAILURE_UNSUPPORTED and does nothing', 'syscall encoding', () => [
    [CREATE_VM + 2n, 'vm group, index 2'],
    [rax('bf_vps_op_create_vps') + 0x12n, 'vps group, index 0x12'],
    [rax('bf_handle_op_open_handle') + 0xffffn, 'handle group, index 0xffff'],
    [rax('bf_callback_op_wait') + 1n, 'callback group, index 1 (no syscall)'],
  ]),
  refusedRax('raw.rax.host-syscalls', 'the syscalls an extension\'s host answers itself (exit, wait, callbacks, debug out and write) answer FAILURE_UNSUPPORTED at the microkernel and do nothing', 'wire protocol', () =>
    BF_SYSCALLS.filter((s) => s.where === 'host').map((s): [bigint, string] => [s.rax, s.name])),
  {
    id: 'raw.registers.wide-id', syscall: 'bf_vm_op_destroy_vm', status: 'BF_STATUS_INVALID_PARAMS1', clause: 'syscall encoding',
    rule: 'an ID register with bits set above its 16 bits is an invalid argument, not the ID its low bits name: INVALID_PARAMS1, and nothing destroyed',
    needs: ['wire'],
    async run(ctx) {
      const { d, handle } = await opened(ctx);
      const made = raw(d, CREATE_VM, [handle]);
      ctx.status(made.status, BF_STATUS_SUCCESS, 'create_vm by registers');
      const vm = made.out[0];
      const before = tables(d);
      for (const wide of [vm | 0x10000n, vm | 0x8000000000000000n]) {
        ctx.status(raw(d, rax('bf_vm_op_destroy_vm'), [handle, wide]).status, BF_STATUS_INVALID_PARAMS1, `destroy_vm(0x${wide.toString(16)})`);
      }
      expect(sameBytes(before, tables(d)), 'the tables changed').toBe(true);
      ctx.status(raw(d, rax('bf_vm_op_destroy_vm'), [handle, vm]).status, BF_STATUS_SUCCESS, 'destroy_vm of the ID itself');
    },
  },
  {
    id: 'raw.registers.wide-handle', syscall: 'bf_vm_op_create_vm', status: 'BF_STATUS_FAILURE_INVALID_HANDLE', clause: 'handles',
    rule: 'a handle register is compared whole: the handle with a high bit set is no handle, FAILURE_INVALID_HANDLE, and nothing created',
    needs: ['wire'],
    async run(ctx) {
      const { d, handle } = await opened(ctx);
      const before = tables(d);
      ctx.status(raw(d, CREATE_VM, [handle | 0x8000000000000000n]).status, BF_STATUS_FAILURE_INVALID_HANDLE, 'create_vm with the handle\'s bit 63 set');
      expect(sameBytes(before, tables(d)), 'the tables changed').toBe(true);
    },
  },
];
