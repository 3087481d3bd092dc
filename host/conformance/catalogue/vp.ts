// bf_vp_op_*: VPs belong to a VM named at creation.
import { expect } from '../expect.js';
import {
  BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_INVALID_PARAMS1, BF_STATUS_SUCCESS,
} from '../../abi/bf.js';
import type { Case } from './case.js';
import { make, sameBytes } from './fixture.js';
import { common, succeed } from './generic.js';

const SENTINEL = 0xbeef;

export const cases: Case[] = [
  {
    id: 'vp.create_vp.success', syscall: 'bf_vp_op_create_vp', status: 'BF_STATUS_SUCCESS', clause: 'bf_vp_op_create_vp',
    rule: 'create_vp writes the ID of a new VP of the VM, and the VM is then in use',
    async run(ctx) {
      const { d, m } = await succeed(ctx, 'bf_vp_op_create_vp');
      const e = d.e;
      const vm = Number(m.args[1]);
      const vp = e.u16(Number(m.args[2]));
      expect(vp).toBeLessThan(d.mk.hello.limits.vps);
      expect(d.mk.allocated('vp')).toEqual([vp]);
      ctx.status(e.call('bf_debug_op_dump_vp', e.handle, vp), BF_STATUS_SUCCESS, 'dump_vp of the new VP');
      ctx.status(e.call('bf_vm_op_destroy_vm', e.handle, vm), BF_STATUS_FAILURE_UNKNOWN, 'its VM is in use');
    },
  },
  {
    id: 'vp.create_vp.exhausted', syscall: 'bf_vp_op_create_vp', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'creation guarantee',
    rule: 'create_vp with the pool exhausted answers FAILURE_UNKNOWN and writes nothing',
    needs: ['limits'],
    async run(ctx) {
      const d = await ctx.driver({ vps: 1 });
      const m = make(d, 'bf_vp_op_create_vp', (a, dd) => {
        dd.e.createVp(Number(a[1]));
        dd.e.ext.memory.u16[Number(a[2]) >>> 1] = SENTINEL;
      });
      ctx.status(m.status, BF_STATUS_FAILURE_UNKNOWN);
      expect(d.e.u16(Number(m.args[2])), 'nothing written').toBe(SENTINEL);
      expect(sameBytes(m.before.mk, m.after.mk)).toBe(true);
    },
  },
  {
    id: 'vp.destroy_vp.success', syscall: 'bf_vp_op_destroy_vp', status: 'BF_STATUS_SUCCESS', clause: 'bf_vp_op_destroy_vp',
    rule: 'destroy_vp of a VP not in use frees it, and its VM can then be destroyed',
    async run(ctx) {
      const d = await ctx.driver();
      let vm = -1;
      const m = make(d, 'bf_vp_op_destroy_vp', () => void (vm = d.mk.allocated('vm')[0]));
      ctx.status(m.status, BF_STATUS_SUCCESS);
      const e = d.e;
      const vp = Number(m.args[1]);
      expect(d.mk.allocated('vp')).not.toContain(vp);
      ctx.status(e.call('bf_debug_op_dump_vp', e.handle, vp), BF_STATUS_INVALID_PARAMS1, 'dump_vp of the destroyed VP');
      ctx.status(e.call('bf_vm_op_destroy_vm', e.handle, vm), BF_STATUS_SUCCESS, 'its VM is no longer in use');
    },
  },
  {
    id: 'vp.destroy_vp.in-use-makes-zombie', syscall: 'bf_vp_op_destroy_vp', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'zombies',
    rule: 'destroy_vp of a VP with a VPS answers FAILURE_UNKNOWN and leaves it a zombie that keeps its VM in use',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      const vm = e.createVm();
      const vp = e.createVp(vm);
      const vps = e.createVps(vp, 0);
      ctx.status(e.call('bf_vp_op_destroy_vp', e.handle, vp), BF_STATUS_FAILURE_UNKNOWN);
      expect(d.mk.allocated('vp')).toContain(vp);
      ctx.status(e.call('bf_vps_op_create_vps', e.handle, vp, 0, e.scratch(0)), BF_STATUS_INVALID_PARAMS1, 'create_vps in the zombie');
      ctx.status(e.call('bf_vp_op_destroy_vp', e.handle, vp), BF_STATUS_INVALID_PARAMS1, 'destroying it again');
      // the VPS goes; the zombie VP does not, so its VM stays in use
      ctx.status(e.call('bf_vps_op_destroy_vps', e.handle, vps), BF_STATUS_SUCCESS, 'destroy its VPS');
      ctx.status(e.call('bf_vm_op_destroy_vm', e.handle, vm), BF_STATUS_FAILURE_UNKNOWN, 'destroy its VM');
      expect(d.mk.allocated('vm')).toContain(vm);
    },
  },
  ...common('vp'),
];
