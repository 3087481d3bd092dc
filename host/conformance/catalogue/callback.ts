// bf_callback_op_*: callbacks are registered once, by table index, with the
// arity the ABI gives them; they start when the entry point returns after wait.
import { expect } from '../expect.js';
import {
  BF_CALLBACK_WASM, BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_INVALID_PARAMS1, BF_STATUS_SUCCESS,
  type CallbackKind, type SyscallName,
} from '../../abi/bf.js';
import type { Case } from './case.js';
import { exitReason, running } from './fixture.js';
import { common } from './generic.js';
import type { DriverExt } from '../driver/driver.js';

const REGISTER: Record<CallbackKind, SyscallName> = {
  bootstrap: 'bf_callback_op_register_bootstrap',
  vmexit: 'bf_callback_op_register_vmexit',
  fail: 'bf_callback_op_register_fail',
};
const SLOT = { bootstrap: 'BOOTSTRAP', vmexit: 'VMEXIT', fail: 'FAIL' } as const;

/** an entry point that opens the handle, runs fn, registers whatever fn did not, and waits */
function entry(e: DriverExt, fn: () => void, skip: CallbackKind[] = []): void {
  e.on.main = () => {
    e.open();
    fn();
    for (const k of ['bootstrap', 'vmexit', 'fail'] as const) {
      if (!skip.includes(k) && !e.ext.callbacks[k]) e.ok(REGISTER[k], e.handle, e.slot(SLOT[k]));
    }
    e.ok('bf_callback_op_wait', e.handle);
  };
}

/** the failure cases every register_* has */
function registerFailures(kind: CallbackKind): Case[] {
  const name = REGISTER[kind];
  const id = `callback.register_${kind}`;
  const clause = `${name} inputs`;
  const otherArity = (['bootstrap', 'vmexit', 'fail'] as const).find((k) => BF_CALLBACK_WASM[k].length !== BF_CALLBACK_WASM[kind].length)!;
  return [
    {
      id: `${id}.index-out-of-table`, syscall: name, status: 'BF_STATUS_INVALID_PARAMS1', clause,
      rule: "an index past the end of the extension's function table answers INVALID_PARAMS1",
      async run(ctx) {
        const d = await ctx.driver();
        const e = d.e;
        entry(e, () => {
          const n = e.ext.table!.length;
          for (const index of [n, n + 1, 0x7fffffff, 0xffffffff]) {
            ctx.status(e.call(name, e.handle, index), BF_STATUS_INVALID_PARAMS1, `index ${index}`);
          }
          expect(e.ext.callbacks[kind], 'nothing registered').toBeUndefined();
        });
        d.start();
      },
    },
    {
      id: `${id}.null-slot`, syscall: name, status: 'BF_STATUS_INVALID_PARAMS1', clause,
      rule: 'a table slot that holds no function answers INVALID_PARAMS1',
      async run(ctx) {
        const d = await ctx.driver();
        const e = d.e;
        entry(e, () => {
          expect(e.ext.table!.get(0), 'slot 0 of the driver is null').toBeNull();
          ctx.status(e.call(name, e.handle, 0), BF_STATUS_INVALID_PARAMS1);
          expect(e.ext.callbacks[kind], 'nothing registered').toBeUndefined();
        });
        d.start();
      },
    },
    {
      id: `${id}.wrong-arity`, syscall: name, status: 'BF_STATUS_INVALID_PARAMS1', clause,
      rule: `a function that does not take the ${BF_CALLBACK_WASM[kind].length} argument(s) of a ${kind} callback answers INVALID_PARAMS1`,
      async run(ctx) {
        const d = await ctx.driver();
        const e = d.e;
        entry(e, () => {
          ctx.status(e.call(name, e.handle, e.slot('WRONG_ARITY')), BF_STATUS_INVALID_PARAMS1, 'a 3-argument function');
          ctx.status(e.call(name, e.handle, e.slot(SLOT[otherArity])), BF_STATUS_INVALID_PARAMS1, `the ${otherArity} callback`);
          expect(e.ext.callbacks[kind], 'nothing registered').toBeUndefined();
          // the right one is still accepted afterwards
          ctx.status(e.call(name, e.handle, e.slot(SLOT[kind])), BF_STATUS_SUCCESS, 'then the right function');
        });
        d.start();
      },
    },
    {
      id: `${id}.wrong-type`, syscall: name, status: 'BF_STATUS_INVALID_PARAMS1', clause,
      rule: `a function of the right number of arguments but not the WebAssembly types of a ${kind} callback (${BF_CALLBACK_WASM[kind].join(', ')}) answers INVALID_PARAMS1`,
      async run(ctx) {
        const d = await ctx.driver();
        const e = d.e;
        const impostor = kind === 'bootstrap' ? 'FAIL' : kind === 'fail' ? 'BOOTSTRAP' : 'SWAPPED_TYPES';
        entry(e, () => {
          ctx.status(e.call(name, e.handle, e.slot(impostor)), BF_STATUS_INVALID_PARAMS1);
          expect(e.ext.callbacks[kind], 'nothing registered').toBeUndefined();
        });
        d.start();
      },
    },
    {
      id: `${id}.second-registration`, syscall: name, status: 'BF_STATUS_FAILURE_UNKNOWN', clause: name,
      rule: `a second register_${kind} answers FAILURE_UNKNOWN and keeps the first`,
      async run(ctx) {
        const d = await ctx.driver();
        const e = d.e;
        entry(e, () => {
          e.ok(name, e.handle, e.slot(SLOT[kind]));
          const first = e.ext.callbacks[kind];
          ctx.status(e.call(name, e.handle, e.slot(SLOT[kind])), BF_STATUS_FAILURE_UNKNOWN, 'the same function again');
          expect(e.ext.callbacks[kind]).toBe(first);
        });
        d.start();
        expect(e.ext.state).toBe('waiting');
      },
    },
  ];
}

export const cases: Case[] = [
  {
    id: 'callback.wait.success', syscall: 'bf_callback_op_wait', status: 'BF_STATUS_SUCCESS', clause: 'bf_callback_op_wait',
    rule: 'wait in the entry point succeeds and callbacks start when it returns',
    async run(ctx) {
      const d = await ctx.driver();
      const e = d.e;
      const calls: number[] = [];
      e.on.main = () => {
        e.open();
        e.ok('bf_callback_op_register_bootstrap', e.handle, e.slot('BOOTSTRAP'));
        ctx.status(e.call('bf_callback_op_wait', e.handle), BF_STATUS_SUCCESS);
      };
      e.on.bootstrap = (pp) => void calls.push(pp);
      d.start();
      expect(e.ext.state).toBe('waiting');
      d.host.bootstrap();
      expect(calls).toEqual([0]);
    },
  },
  {
    id: 'callback.wait.without-wait-no-callbacks', syscall: 'bf_callback_op_wait', clause: 'bf_callback_op_wait',
    rule: 'an entry point that returns without wait gets no callbacks',
    async run(ctx) {
      const d = await ctx.driver();
      const e = d.e;
      let calls = 0;
      e.on.main = () => {
        e.open();
        e.ok('bf_callback_op_register_bootstrap', e.handle, e.slot('BOOTSTRAP'));
      };
      e.on.bootstrap = () => void calls++;
      d.start();
      expect(e.ext.state).toBe('returned');
      d.host.bootstrap();
      expect(calls).toBe(0);
    },
  },
  {
    id: 'callback.wait.outside-entry', syscall: 'bf_callback_op_wait', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'bf_callback_op_wait',
    rule: "wait outside the extension's own entry point (in a callback, after it returned, in another's) answers FAILURE_UNKNOWN",
    async run(ctx) {
      const d = await ctx.driver({}, [{}, {}]);
      const [a, b] = d.exts;
      b.on.main = () => {
        b.openAndWait();
        ctx.status(a.call('bf_callback_op_wait', a.handle), BF_STATUS_FAILURE_UNKNOWN, "a's wait in b's entry point");
      };
      d.start();
      ctx.status(a.call('bf_callback_op_wait', a.handle), BF_STATUS_FAILURE_UNKNOWN, 'after the entry point returned');
      const st = d.inCallback(() => a.call('bf_callback_op_wait', a.handle));
      ctx.status(st, BF_STATUS_FAILURE_UNKNOWN, 'in a bootstrap callback');
    },
  },
  {
    id: 'callback.register_bootstrap.success', syscall: 'bf_callback_op_register_bootstrap', status: 'BF_STATUS_SUCCESS', clause: 'bf_callback_op_register_bootstrap',
    rule: 'the registered bootstrap runs once per physical processor, with its ID',
    needs: ['smp'],
    async run(ctx) {
      const d = await ctx.driver({ pps: 3 });
      const e = d.e;
      const seen: number[] = [];
      entry(e, () => ctx.status(e.call('bf_callback_op_register_bootstrap', e.handle, e.slot('BOOTSTRAP')), BF_STATUS_SUCCESS));
      e.on.bootstrap = (pp) => void seen.push(pp);
      d.start();
      d.host.bootstrap();
      expect(seen).toEqual([0, 1, 2]);
    },
  },
  {
    id: 'callback.register_vmexit.success', syscall: 'bf_callback_op_register_vmexit', status: 'BF_STATUS_SUCCESS', clause: 'bf_callback_op_register_vmexit',
    rule: 'the registered vmexit runs on a VM exit of a VPS the extension owns, with its ID and the exit reason',
    needs: ['guest'],
    async run(ctx) {
      const d = await ctx.driver();
      const e = d.e;
      const seen: [number, bigint][] = [];
      entry(e, () => ctx.status(e.call('bf_callback_op_register_vmexit', e.handle, e.slot('VMEXIT')), BF_STATUS_SUCCESS));
      e.on.vmexit = (vps, reason) => void seen.push([vps, reason]);
      d.start();
      let vps = -1;
      d.bootstrap(() => void (vps = running(e, d).vps));
      d.loop();
      expect(seen).toEqual([[vps, exitReason(d, 'cpuid')]]);
    },
  },
  {
    id: 'callback.register_fail.success', syscall: 'bf_callback_op_register_fail', status: 'BF_STATUS_SUCCESS', clause: 'bf_callback_op_register_fail',
    rule: 'the registered fail runs with FAILURE_UNKNOWN when a callback of the extension faults',
    async run(ctx) {
      const d = await ctx.driver();
      const e = d.e;
      const seen: bigint[] = [];
      entry(e, () => ctx.status(e.call('bf_callback_op_register_fail', e.handle, e.slot('FAIL')), BF_STATUS_SUCCESS));
      e.on.fail = (st) => void seen.push(st);
      d.start();
      d.bootstrap(() => e.x.trap_unreachable());
      expect(seen).toEqual([BF_STATUS_FAILURE_UNKNOWN]);
    },
  },
  {
    id: 'callback.register_fail.none-registered', syscall: 'bf_callback_op_register_fail', clause: 'bf_callback_op_register_fail',
    rule: 'without a fail callback a faulting callback only ends itself: the fault is recorded, nothing else runs',
    async run(ctx) {
      const d = await ctx.driver();
      const e = d.e;
      let failed = false;
      entry(e, () => {}, ['fail']);
      e.on.fail = () => void (failed = true);
      d.start();
      d.bootstrap(() => e.x.trap_unreachable());
      expect(failed).toBe(false);
      expect(e.ext.faults.map((f) => f.where)).toEqual(['bootstrap']);
    },
  },
  ...registerFailures('bootstrap'),
  ...registerFailures('vmexit'),
  ...registerFailures('fail'),
  ...common('callback'),
];
