// bf_control_op_exit: the extension ends; the call does not return.
import { expect } from '../expect.js';
import { BF_STATUS_SUCCESS } from '../../abi/bf.js';
import type { Case } from './case.js';
import { common } from './generic.js';

export const cases: Case[] = [
  {
    id: 'control.exit.success-from-entry', syscall: 'bf_control_op_exit', status: 'BF_STATUS_SUCCESS', clause: 'bf_control_op_exit',
    rule: 'exit in the entry point does not return: the extension ends, exited, and no callback of it runs',
    async run(ctx) {
      const d = await ctx.driver();
      const e = d.e;
      let after = false;
      let bootstraps = 0;
      e.on.main = () => {
        e.openAndWait();
        e.call('bf_control_op_exit', e.handle);
        after = true;
      };
      e.on.bootstrap = () => void bootstraps++;
      d.start();
      expect(after, 'the code after exit ran').toBe(false);
      expect(e.ext.state).toBe('exited');
      expect(e.ext.faults).toEqual([]);
      d.host.bootstrap();
      expect(bootstraps, 'an exited extension gets no callbacks').toBe(0);
    },
  },
  {
    id: 'control.exit.success-from-callback', syscall: 'bf_control_op_exit', status: 'BF_STATUS_SUCCESS', clause: 'bf_control_op_exit',
    rule: 'exit in a callback does not return: the extension ends, exited, with no fault and no fail callback',
    needs: ['smp'],
    async run(ctx) {
      const d = (await ctx.driver({ pps: 2 })).start();
      const e = d.e;
      const seen: number[] = [];
      let after = false;
      let failed = false;
      e.on.fail = () => void (failed = true);
      d.bootstrap((pp) => {
        seen.push(pp);
        e.call('bf_control_op_exit', e.handle);
        after = true;
      });
      expect(after, 'the code after exit ran').toBe(false);
      expect(e.ext.state).toBe('exited');
      expect(e.ext.faults).toEqual([]);
      expect(failed, 'exit is not a failure: the fail callback must not run').toBe(false);
      expect(seen, 'no callback after exit, not even on the next processor').toEqual([0]);
    },
  },
  {
    id: 'control.exit.leaves-others-running', syscall: 'bf_control_op_exit', clause: 'bf_control_op_exit',
    rule: "one extension's exit leaves the host and the other extensions serving",
    async run(ctx) {
      const d = await ctx.driver({}, [{}, {}]);
      const [a, b] = d.exts;
      a.on.main = () => {
        a.open();
        a.call('bf_control_op_exit', a.handle);
      };
      d.start();
      expect(a.ext.state).toBe('exited');
      expect(b.ext.state).toBe('waiting');
      let vm = -1;
      d.bootstrap(() => void (vm = b.createVm()), b);
      expect(vm).toBeGreaterThanOrEqual(0);
      ctx.status(b.call('bf_debug_op_dump_vm', b.handle, vm), BF_STATUS_SUCCESS, 'the other extension after the exit');
    },
  },
  ...common('control'),
];
