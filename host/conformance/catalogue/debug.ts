// bf_debug_op_*: text to the extension's debug output, dumps from the kernel.
import { expect } from '../expect.js';
import {
  BF_STATUS_INVALID_PARAMS1, BF_STATUS_SUCCESS, type SyscallName,
} from '../../abi/bf.js';
import type { Case } from './case.js';
import { make, running, WRITE_STR_AT } from './fixture.js';
import { common, succeed } from './generic.js';

/** a dump succeeds and the kernel prints something, which it did not before */
const dump = (name: SyscallName, what: string): Case => ({
  id: `debug.${name.replace('bf_debug_op_', '')}.success`, syscall: name, status: 'BF_STATUS_SUCCESS', clause: name,
  rule: `${name.replace('bf_debug_op_', '')} of a live ${what} the extension owns succeeds and prints to the kernel's output`,
  async run(ctx) {
    const d = await ctx.driver();
    // a kernel may print of itself before (the firmware says how it booted): the dump adds to it
    let before = -1;
    const m = make(d, name, () => void (before = d.kernelLines().length));
    ctx.status(m.status, BF_STATUS_SUCCESS);
    expect(before, 'counted before the call').toBeGreaterThanOrEqual(0);
    expect(d.kernelLines().length, 'the dump printed').toBeGreaterThan(before);
  },
});

export const cases: Case[] = [
  {
    id: 'debug.out.success', syscall: 'bf_debug_op_out', status: 'BF_STATUS_SUCCESS', clause: 'bf_debug_op_out',
    rule: 'out prints both values in hex, as one line',
    async run(ctx) {
      const { d } = await succeed(ctx, 'bf_debug_op_out');
      expect(d.extensionLines()).toEqual(['0x0000000000001234 0xfedcba9876543210']);
    },
  },
  {
    id: 'debug.write_c.success', syscall: 'bf_debug_op_write_c', status: 'BF_STATUS_SUCCESS', clause: 'bf_debug_op_write_c',
    rule: 'write_c writes one character; a newline ends the line',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      for (const c of 'ok!\n') ctx.status(e.call('bf_debug_op_write_c', e.handle, c.charCodeAt(0)), BF_STATUS_SUCCESS, `write_c '${c}'`);
      expect(d.extensionLines()).toEqual(['ok!']);
    },
  },
  {
    id: 'debug.write_str.success', syscall: 'bf_debug_op_write_str', status: 'BF_STATUS_SUCCESS', clause: 'bf_debug_op_write_str',
    rule: 'write_str writes the NUL-terminated string at the pointer',
    async run(ctx) {
      const { d } = await succeed(ctx, 'bf_debug_op_write_str');
      expect(d.extensionLines()).toEqual(['conformance']);
    },
  },
  {
    id: 'debug.write_str.null', syscall: 'bf_debug_op_write_str', status: 'BF_STATUS_INVALID_PARAMS1', clause: 'bf_debug_op_write_str inputs',
    rule: 'write_str of a null pointer answers INVALID_PARAMS1 and prints nothing',
    async run(ctx) {
      const d = await ctx.driver();
      ctx.status(make(d, 'bf_debug_op_write_str', (a) => void (a[1] = 0)).status, BF_STATUS_INVALID_PARAMS1);
      expect(d.extensionLines()).toEqual([]);
    },
  },
  {
    id: 'debug.write_str.out-of-memory', syscall: 'bf_debug_op_write_str', status: 'BF_STATUS_INVALID_PARAMS1', clause: 'bf_debug_op_write_str inputs',
    rule: "write_str of a pointer outside the extension's memory answers INVALID_PARAMS1",
    async run(ctx) {
      const d = await ctx.driver();
      ctx.status(make(d, 'bf_debug_op_write_str', (a, dd) => void (a[1] = dd.e.ext.memory.size)).status, BF_STATUS_INVALID_PARAMS1, 'at the end of memory');
      const d2 = await ctx.driver();
      ctx.status(make(d2, 'bf_debug_op_write_str', (a) => void (a[1] = 0xfffffff0)).status, BF_STATUS_INVALID_PARAMS1, 'at 4 GiB - 16');
    },
  },
  {
    id: 'debug.write_str.unterminated', syscall: 'bf_debug_op_write_str', status: 'BF_STATUS_INVALID_PARAMS1', clause: 'bf_debug_op_write_str inputs',
    rule: 'write_str of a string with no NUL before the end of memory answers INVALID_PARAMS1 and prints nothing',
    async run(ctx) {
      const d = await ctx.driver();
      const m = make(d, 'bf_debug_op_write_str', (a, dd) => {
        const mem = dd.e.ext.memory;
        mem.u8.fill(0x41, mem.size - 64);
        a[1] = mem.size - 64;
      });
      ctx.status(m.status, BF_STATUS_INVALID_PARAMS1);
      expect(d.extensionLines()).toEqual([]);
    },
  },
  {
    id: 'debug.write_str.empty', syscall: 'bf_debug_op_write_str', status: 'BF_STATUS_SUCCESS', clause: 'bf_debug_op_write_str',
    rule: 'write_str of an empty string succeeds and prints nothing',
    async run(ctx) {
      const d = await ctx.driver();
      const m = make(d, 'bf_debug_op_write_str', (_a, dd) => dd.e.cstr(dd.e.scratch(WRITE_STR_AT), ''));
      ctx.status(m.status, BF_STATUS_SUCCESS);
      d.host.extensions[0].flush();
      expect(d.extensionLines()).toEqual([]);
    },
  },
  dump('bf_debug_op_dump_vm', 'VM'),
  dump('bf_debug_op_dump_vp', 'VP'),
  dump('bf_debug_op_dump_vps', 'VPS'),
  dump('bf_debug_op_dump_vmexit_log', 'VP'),
  {
    id: 'debug.dump_vmexit_log.after-exits', syscall: 'bf_debug_op_dump_vmexit_log', status: 'BF_STATUS_SUCCESS', clause: 'bf_debug_op_dump_vmexit_log',
    rule: 'dump_vmexit_log of a VP whose VPS exited prints more than that of a VP that never ran',
    needs: ['guest'],
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      let w = { vm: -1, vp: -1, vps: -1 };
      d.bootstrap(() => void (w = running(e, d)));
      e.on.vmexit = (vps) => e.ok('bf_vps_op_advance_ip_and_run_current', e.handle, vps);
      d.loop();
      expect(e.ext.exits.size, 'the guest exited').toBeGreaterThan(0);
      const idle = e.createVp(w.vm);
      const count = (vp: number) => {
        const before = d.kernelLines().length;
        ctx.status(e.call('bf_debug_op_dump_vmexit_log', e.handle, vp), BF_STATUS_SUCCESS, `dump_vmexit_log of vp ${vp}`);
        return d.kernelLines().length - before;
      };
      expect(count(w.vp)).toBeGreaterThan(count(idle));
    },
  },
  ...common('debug'),
];
