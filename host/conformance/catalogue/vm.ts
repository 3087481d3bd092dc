// bf_vm_op_*: VMs from a fixed pool; destroying one in use makes a zombie.
import { expect } from '../expect.js';
import {
  BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_INVALID_PARAMS1, BF_STATUS_SUCCESS,
} from '../../abi/bf.js';
import type { Case } from './case.js';
import { make, sameBytes, state } from './fixture.js';
import { common, succeed } from './generic.js';

const SENTINEL = 0xbeef;

export const cases: Case[] = [
  {
    id: 'vm.create_vm.success', syscall: 'bf_vm_op_create_vm', status: 'BF_STATUS_SUCCESS', clause: 'bf_vm_op_create_vm',
    rule: 'create_vm writes the ID of a new VM in the pool, which the kernel now holds and the extension may use',
    async run(ctx) {
      const { d, m } = await succeed(ctx, 'bf_vm_op_create_vm');
      const e = d.e;
      const vm = e.u16(Number(m.args[1]));
      expect(vm).toBeLessThan(d.mk.hello.limits.vms);
      expect(d.mk.allocated('vm')).toEqual([vm]);
      ctx.status(e.call('bf_debug_op_dump_vm', e.handle, vm), BF_STATUS_SUCCESS, 'dump_vm of the new VM');
      ctx.status(e.call('bf_vm_op_create_vm', e.handle, e.scratch(1)), BF_STATUS_SUCCESS, 'a second create_vm');
      expect(e.u16(e.scratch(1)), 'a second VM has another ID').not.toBe(vm);
    },
  },
  {
    id: 'vm.create_vm.exhausted', syscall: 'bf_vm_op_create_vm', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'creation guarantee',
    rule: 'create_vm with the pool exhausted answers FAILURE_UNKNOWN and writes nothing',
    needs: ['limits'],
    async run(ctx) {
      const d = await ctx.driver({ vms: 2 });
      const m = make(d, 'bf_vm_op_create_vm', (a, dd) => {
        dd.e.createVm();
        dd.e.createVm();
        dd.e.ext.memory.u16[Number(a[1]) >>> 1] = SENTINEL;
      });
      ctx.status(m.status, BF_STATUS_FAILURE_UNKNOWN);
      expect(d.e.u16(Number(m.args[1])), 'nothing written').toBe(SENTINEL);
      expect(sameBytes(m.before.mk, m.after.mk)).toBe(true);
    },
  },
  {
    id: 'vm.destroy_vm.success', syscall: 'bf_vm_op_destroy_vm', status: 'BF_STATUS_SUCCESS', clause: 'bf_vm_op_destroy_vm',
    rule: 'destroy_vm of a VM not in use frees it: the kernel no longer holds it and its ID is invalid',
    async run(ctx) {
      const { d, m } = await succeed(ctx, 'bf_vm_op_destroy_vm');
      const e = d.e;
      const vm = Number(m.args[1]);
      expect(d.mk.allocated('vm')).not.toContain(vm);
      ctx.status(e.call('bf_debug_op_dump_vm', e.handle, vm), BF_STATUS_INVALID_PARAMS1, 'dump_vm of the destroyed VM');
      ctx.status(e.call('bf_vm_op_destroy_vm', e.handle, vm), BF_STATUS_INVALID_PARAMS1, 'destroying it again');
    },
  },
  {
    id: 'vm.destroy_vm.freed-id-is-reusable', syscall: 'bf_vm_op_destroy_vm', status: 'BF_STATUS_SUCCESS', clause: 'bf_vm_op_destroy_vm',
    rule: 'a destroyed VM leaves its slot to a later create: a full pool has room again',
    needs: ['limits'],
    async run(ctx) {
      const d = (await ctx.driver({ vms: 1 })).start();
      const e = d.e;
      const vm = e.createVm();
      ctx.status(e.call('bf_vm_op_create_vm', e.handle, e.scratch(0)), BF_STATUS_FAILURE_UNKNOWN, 'the pool is full');
      ctx.status(e.call('bf_vm_op_destroy_vm', e.handle, vm), BF_STATUS_SUCCESS);
      ctx.status(e.call('bf_vm_op_create_vm', e.handle, e.scratch(0)), BF_STATUS_SUCCESS, 'create_vm after the destroy');
    },
  },
  {
    id: 'vm.destroy_vm.in-use-makes-zombie', syscall: 'bf_vm_op_destroy_vm', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'zombies',
    rule: 'destroy_vm of a VM with a VP answers FAILURE_UNKNOWN and leaves it a zombie the kernel still holds',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      const vm = e.createVm();
      const vp = e.createVp(vm);
      ctx.status(e.call('bf_vm_op_destroy_vm', e.handle, vm), BF_STATUS_FAILURE_UNKNOWN);
      expect(d.mk.allocated('vm')).toContain(vm);
      ctx.status(e.call('bf_debug_op_dump_vm', e.handle, vm), BF_STATUS_INVALID_PARAMS1, 'dump_vm of the zombie');
      ctx.status(e.call('bf_vp_op_create_vp', e.handle, vm, e.scratch(0)), BF_STATUS_INVALID_PARAMS1, 'create_vp in the zombie');
      ctx.status(e.call('bf_debug_op_dump_vp', e.handle, vp), BF_STATUS_SUCCESS, 'its VP lives on');
    },
  },
  {
    id: 'vm.destroy_vm.zombie-destroy-ignored', syscall: 'bf_vm_op_destroy_vm', status: 'BF_STATUS_INVALID_PARAMS1', clause: 'zombies',
    rule: 'destroy_vm of a zombie VM answers INVALID_PARAMS1 and changes nothing, even once its VP is gone',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      const vm = e.createVm();
      const vp = e.createVp(vm);
      e.fails('bf_vm_op_destroy_vm', BF_STATUS_FAILURE_UNKNOWN, e.handle, vm);
      e.ok('bf_vp_op_destroy_vp', e.handle, vp);
      const before = state(d);
      ctx.status(e.call('bf_vm_op_destroy_vm', e.handle, vm), BF_STATUS_INVALID_PARAMS1);
      const after = state(d);
      expect(sameBytes(before.mk, after.mk)).toBe(true);
      expect(after.records).toBe(before.records);
      expect(d.mk.allocated('vm'), 'a zombie is never freed').toContain(vm);
    },
  },
  ...common('vm'),
];
