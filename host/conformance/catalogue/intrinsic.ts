// bf_intrinsic_op_*: MSRs of the current physical processor, within the
// extension's allowed MSRs.
import { expect } from '../expect.js';
import {
  BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_INVALID_PERM_DENIED, BF_STATUS_SUCCESS,
} from '../../abi/bf.js';
import type { Case } from './case.js';
import { IA32_APIC_BASE, IA32_PAT, IA32_TSC_AUX, make, NO_SUCH_MSR, sameBytes, state } from './fixture.js';
import { common } from './generic.js';

export const cases: Case[] = [
  {
    id: 'intrinsic.read_msr.success', syscall: 'bf_intrinsic_op_read_msr', status: 'BF_STATUS_SUCCESS', clause: 'bf_intrinsic_op_read_msr',
    rule: 'read_msr writes the MSR as 8 bytes: IA32_APIC_BASE has its enable bit (11) set and its base page-aligned',
    async run(ctx) {
      const d = await ctx.driver();
      const m = make(d, 'bf_intrinsic_op_read_msr', (a, dd) => {
        a[1] = IA32_APIC_BASE;
        dd.e.ext.memory.u64[Number(a[2]) >>> 3] = 0n;
      });
      ctx.status(m.status, BF_STATUS_SUCCESS);
      const v = d.e.u64(Number(m.args[2]));
      expect(v & (1n << 11n), 'APIC global enable').toBe(1n << 11n);
      expect(v & 0xfffff000n, 'an APIC base').not.toBe(0n);
    },
  },
  {
    id: 'intrinsic.write_msr.success', syscall: 'bf_intrinsic_op_write_msr', status: 'BF_STATUS_SUCCESS', clause: 'bf_intrinsic_op_write_msr',
    rule: 'write_msr sets the MSR: read_msr then gives the value back',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      for (const v of [0x1234n, 0xabcdn]) {
        ctx.status(e.call('bf_intrinsic_op_write_msr', e.handle, IA32_TSC_AUX, v), BF_STATUS_SUCCESS, `write 0x${v.toString(16)}`);
        e.ok('bf_intrinsic_op_read_msr', e.handle, IA32_TSC_AUX, e.scratch(0));
        expect(e.u64(e.scratch(0))).toBe(v);
      }
    },
  },
  ...(['bf_intrinsic_op_read_msr', 'bf_intrinsic_op_write_msr'] as const).flatMap((name): Case[] => [
    {
      id: `intrinsic.${name.slice(16)}.msr-not-allowed`, syscall: name, status: 'BF_STATUS_INVALID_PERM_DENIED', clause: `${name} inputs`,
      rule: "an MSR outside the extension's allowed MSRs answers INVALID_PERM_DENIED; one inside works",
      async run(ctx) {
        const d = (await ctx.driver({}, [{ msrs: [IA32_PAT] }])).start();
        const e = d.e;
        const args = (msr: number) => (name === 'bf_intrinsic_op_read_msr' ? [e.handle, msr, e.scratch(0)] : [e.handle, msr, 0x0007040600070406n]);
        const before = state(d);
        ctx.status(e.call(name, ...args(IA32_TSC_AUX)), BF_STATUS_INVALID_PERM_DENIED, 'IA32_TSC_AUX');
        ctx.status(e.call(name, ...args(NO_SUCH_MSR)), BF_STATUS_INVALID_PERM_DENIED, 'an MSR that does not exist');
        expect(sameBytes(before.mk, state(d).mk)).toBe(true);
        ctx.status(e.call(name, ...args(IA32_PAT)), BF_STATUS_SUCCESS, 'IA32_PAT, which is allowed');
      },
    },
    {
      id: `intrinsic.${name.slice(16)}.no-such-msr`, syscall: name, status: 'BF_STATUS_FAILURE_UNKNOWN', clause: `${name} inputs`,
      rule: 'an MSR the processor does not have (#GP on hardware) answers FAILURE_UNKNOWN and changes nothing',
      needs: ['msr-gp'],
      async run(ctx) {
        const d = await ctx.driver();
        const m = make(d, name, (a) => void (a[1] = NO_SUCH_MSR));
        ctx.status(m.status, BF_STATUS_FAILURE_UNKNOWN);
        expect(sameBytes(m.before.mk, m.after.mk)).toBe(true);
      },
    },
  ]),
  ...common('intrinsic'),
];
