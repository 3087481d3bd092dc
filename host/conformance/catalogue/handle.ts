// bf_handle_op_*: one handle per extension, the key to every other syscall.
import { expect } from '../expect.js';
import {
  BF_SPEC_ID1_MASK, BF_SPEC_ID1_VAL, BF_STATUS_FAILURE_INVALID_HANDLE, BF_STATUS_FAILURE_UNKNOWN,
  BF_STATUS_FAILURE_UNSUPPORTED, BF_STATUS_SUCCESS,
} from '../../abi/bf.js';
import type { Case } from './case.js';
import { sameBytes, state } from './fixture.js';
import { common } from './generic.js';

const SENTINEL = 0x5a5a5a5a5a5a5a5an;

export const cases: Case[] = [
  {
    id: 'handle.open_handle.success', syscall: 'bf_handle_op_open_handle', status: 'BF_STATUS_SUCCESS', clause: 'bf_handle_op_open_handle',
    rule: 'open_handle with BF_SPEC_ID1_VAL writes a handle the other syscalls accept',
    async run(ctx) {
      const d = await ctx.driver();
      const e = d.e;
      let handle = 0n;
      e.on.main = () => {
        e.ext.memory.u64[e.scratch(0) >>> 3] = SENTINEL;
        ctx.status(e.call('bf_handle_op_open_handle', BF_SPEC_ID1_VAL, e.scratch(0)), BF_STATUS_SUCCESS);
        handle = BigInt.asIntN(64, e.u64(e.scratch(0)));
      };
      d.start();
      expect(handle, 'the handle was written').not.toBe(BigInt.asIntN(64, SENTINEL));
      ctx.status(e.call('bf_debug_op_out', handle, 1n, 2n), BF_STATUS_SUCCESS, 'a syscall with the handle');
      ctx.status(e.call('bf_vm_op_create_vm', handle, e.scratch(1)), BF_STATUS_SUCCESS, 'a kernel syscall with the handle');
    },
  },
  {
    id: 'handle.open_handle.wrong-version', syscall: 'bf_handle_op_open_handle', status: 'BF_STATUS_FAILURE_UNSUPPORTED', clause: 'bf_handle_op_open_handle',
    rule: 'open_handle with a version other than BF_SPEC_ID1_VAL answers FAILURE_UNSUPPORTED and opens nothing',
    async run(ctx) {
      const d = await ctx.driver();
      const e = d.e;
      e.on.main = () => {
        for (const version of [0, BF_SPEC_ID1_MASK, BF_SPEC_ID1_VAL + 1, 0x32236642, 0xffffffff]) {
          e.ext.memory.u64[e.scratch(0) >>> 3] = SENTINEL;
          const before = state(d);
          ctx.status(e.call('bf_handle_op_open_handle', version, e.scratch(0)), BF_STATUS_FAILURE_UNSUPPORTED, `version 0x${(version >>> 0).toString(16)}`);
          expect(e.u64(e.scratch(0)), 'nothing written').toBe(SENTINEL);
          expect(sameBytes(before.mk, state(d).mk), 'no handle opened in the kernel').toBe(true);
        }
        // still none open: the right version works after the wrong ones
        ctx.status(e.call('bf_handle_op_open_handle', BF_SPEC_ID1_VAL, e.scratch(0)), BF_STATUS_SUCCESS, 'then the right version');
      };
      d.start();
    },
  },
  {
    id: 'handle.open_handle.second-open', syscall: 'bf_handle_op_open_handle', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'bf_handle_op_open_handle',
    rule: 'a second open_handle while one is open answers FAILURE_UNKNOWN; the first handle stays good',
    async run(ctx) {
      const d = await ctx.driver();
      const e = d.e;
      e.on.main = () => {
        const h = e.open();
        e.ext.memory.u64[e.scratch(0) >>> 3] = SENTINEL;
        const before = state(d);
        ctx.status(e.call('bf_handle_op_open_handle', BF_SPEC_ID1_VAL, e.scratch(0)), BF_STATUS_FAILURE_UNKNOWN, 'the second open');
        expect(e.u64(e.scratch(0)), 'nothing written').toBe(SENTINEL);
        expect(sameBytes(before.mk, state(d).mk), 'no second handle in the kernel').toBe(true);
        ctx.status(e.call('bf_debug_op_out', h, 0n, 0n), BF_STATUS_SUCCESS, 'the first handle');
      };
      d.start();
    },
  },
  {
    id: 'handle.open_handle.reopen-after-close', syscall: 'bf_handle_op_open_handle', status: 'BF_STATUS_SUCCESS', clause: 'bf_handle_op_open_handle',
    rule: 'after close_handle, open_handle opens a handle again',
    async run(ctx) {
      const d = await ctx.driver();
      const e = d.e;
      e.on.main = () => {
        const h = e.open();
        e.ok('bf_handle_op_close_handle', h);
        ctx.status(e.call('bf_handle_op_open_handle', BF_SPEC_ID1_VAL, e.scratch(0)), BF_STATUS_SUCCESS, 'the reopen');
        const h2 = BigInt.asIntN(64, e.u64(e.scratch(0)));
        ctx.status(e.call('bf_debug_op_out', h2, 0n, 0n), BF_STATUS_SUCCESS, 'the new handle');
      };
      d.start();
    },
  },
  {
    id: 'handle.close_handle.success', syscall: 'bf_handle_op_close_handle', status: 'BF_STATUS_SUCCESS', clause: 'bf_handle_op_close_handle',
    rule: 'close_handle succeeds, and every syscall with that handle then answers FAILURE_INVALID_HANDLE',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      const vm = e.createVm();
      ctx.status(e.call('bf_handle_op_close_handle', e.handle), BF_STATUS_SUCCESS);
      ctx.status(e.call('bf_debug_op_out', e.handle, 0n, 0n), BF_STATUS_FAILURE_INVALID_HANDLE, 'out after close');
      ctx.status(e.call('bf_debug_op_dump_vm', e.handle, vm), BF_STATUS_FAILURE_INVALID_HANDLE, 'dump_vm after close');
      ctx.status(e.call('bf_vm_op_create_vm', e.handle, e.scratch(0)), BF_STATUS_FAILURE_INVALID_HANDLE, 'create_vm after close');
    },
  },
  {
    id: 'handle.close_handle.other-extensions-handle', syscall: 'bf_handle_op_close_handle', status: 'BF_STATUS_FAILURE_INVALID_HANDLE', clause: 'handles',
    rule: "another extension's handle answers FAILURE_INVALID_HANDLE: a handle is good only for the extension it was given to",
    async run(ctx) {
      const d = (await ctx.driver({}, [{}, {}])).start();
      const [a, b] = d.exts;
      expect(a.handle).not.toBe(b.handle);
      ctx.status(a.call('bf_handle_op_close_handle', b.handle), BF_STATUS_FAILURE_INVALID_HANDLE, "close_handle with b's handle");
      ctx.status(a.call('bf_vm_op_create_vm', b.handle, a.scratch(0)), BF_STATUS_FAILURE_INVALID_HANDLE, "create_vm with b's handle");
      ctx.status(b.call('bf_debug_op_out', b.handle, 0n, 0n), BF_STATUS_SUCCESS, "b's handle is still open");
    },
  },
  ...common('handle'),
];
