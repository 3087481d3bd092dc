// bf_mem_op_*: pages the kernel allocates appear in the extension's own
// memory, with a physical address the extension can hand to the hardware.
import { expect } from '../expect.js';
import {
  BF_PAGE_SIZE, BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_INVALID_PARAMS1, BF_STATUS_SUCCESS, type SyscallName,
} from '../../abi/bf.js';
import type { Case } from './case.js';
import { make, sameBytes, state } from './fixture.js';
import { common } from './generic.js';

const PAGE = BF_PAGE_SIZE;

/** addresses that are not a page alloc_page gave, relative to one that is */
const notPages = (virt: number, scratch: number, size: number): [string, bigint][] => [
  ['0', 0n],
  ['inside the page', BigInt(virt + 8)],
  ['the next page', BigInt(virt + PAGE)],
  ["the extension's data", BigInt(scratch & ~(PAGE - 1))],
  ['past the end of memory', BigInt(size)],
  ['the page plus 2^32', BigInt(virt) + 0x100000000n],
  ['-1', -1n],
];

export const cases: Case[] = [
  {
    id: 'mem.alloc_page.success', syscall: 'bf_mem_op_alloc_page', status: 'BF_STATUS_SUCCESS', clause: 'bf_mem_op_alloc_page',
    rule: "alloc_page gives a zeroed, page-aligned page inside the extension's memory that it can write, and its physical address",
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      const mem = e.ext.memory;
      const got: { virt: number; phys: bigint }[] = [];
      for (let i = 0; i < 2; i++) {
        ctx.status(e.call('bf_mem_op_alloc_page', e.handle, e.scratch(0), e.scratch(1)), BF_STATUS_SUCCESS, `alloc_page ${i}`);
        got.push({ virt: Number(e.u64(e.scratch(0))), phys: e.u64(e.scratch(1)) });
      }
      for (const { virt, phys } of got) {
        expect(virt % PAGE).toBe(0);
        expect(virt).toBeGreaterThan(0);
        expect(virt + PAGE).toBeLessThanOrEqual(mem.size);
        expect(phys % BigInt(PAGE)).toBe(0n);
        expect(phys).not.toBe(0n);
        expect(mem.u8.subarray(virt, virt + PAGE).every((b) => b === 0), 'zeroed').toBe(true);
      }
      expect(got[0].virt).not.toBe(got[1].virt);
      expect(got[0].phys).not.toBe(got[1].phys);
      expect(Math.abs(got[0].virt - got[1].virt)).toBeGreaterThanOrEqual(PAGE);
      // the extension writes its page; the write stays in the page
      mem.u8.fill(0xcc, got[0].virt, got[0].virt + PAGE);
      expect(mem.u8.subarray(got[1].virt, got[1].virt + PAGE).every((b) => b === 0)).toBe(true);
      // it does not overlap the extension's own data
      const scratch = e.scratch(0);
      expect(scratch < got[0].virt || scratch >= got[0].virt + PAGE).toBe(true);
    },
  },
  {
    id: 'mem.alloc_page.zeroed-again', syscall: 'bf_mem_op_alloc_page', status: 'BF_STATUS_SUCCESS', clause: 'bf_mem_op_alloc_page',
    rule: 'a page freed dirty and allocated again is zeroed',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      const mem = e.ext.memory;
      const pages = Array.from({ length: 3 }, () => e.allocPage());
      for (const p of pages) {
        mem.u8.fill(0xdd, p.virt, p.virt + PAGE);
        e.ok('bf_mem_op_free_page', e.handle, p.virt);
      }
      for (let i = 0; i < 3; i++) {
        ctx.status(e.call('bf_mem_op_alloc_page', e.handle, e.scratch(0), e.scratch(1)), BF_STATUS_SUCCESS);
        const virt = Number(e.u64(e.scratch(0)));
        expect(mem.u8.subarray(virt, virt + PAGE).every((b) => b === 0), `page at 0x${virt.toString(16)} zeroed`).toBe(true);
      }
    },
  },
  {
    id: 'mem.alloc_page.kernel-exhausted', syscall: 'bf_mem_op_alloc_page', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'bf_mem_op_alloc_page',
    rule: "alloc_page with the kernel's pages exhausted answers FAILURE_UNKNOWN, writes nothing, and changes nothing",
    needs: ['limits'],
    async run(ctx) {
      const d = await ctx.driver({ pages: 2 });
      const m = make(d, 'bf_mem_op_alloc_page', (a, dd) => {
        dd.e.allocPage();
        dd.e.allocPage();
        dd.e.ext.memory.u64[Number(a[1]) >>> 3] = 0xaaaan;
      });
      ctx.status(m.status, BF_STATUS_FAILURE_UNKNOWN);
      expect(d.e.u64(Number(m.args[1]))).toBe(0xaaaan);
      expect(sameBytes(m.before.mk, m.after.mk)).toBe(true);
    },
  },
  {
    id: 'mem.alloc_page.memory-exhausted', syscall: 'bf_mem_op_alloc_page', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'bf_mem_op_alloc_page',
    rule: "alloc_page with no room left in the extension's memory answers FAILURE_UNKNOWN and leaves the kernel untouched",
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      let n = 0;
      while (e.call('bf_mem_op_alloc_page', e.handle, e.scratch(0), e.scratch(1)) === BF_STATUS_SUCCESS) {
        n++;
        if (n > 1000) throw new Error('alloc_page never ran out');
      }
      expect(n, "the kernel's pool is larger than the room in the extension").toBeLessThan(d.mk.hello.limits.pages);
      const before = state(d);
      ctx.status(e.call('bf_mem_op_alloc_page', e.handle, e.scratch(0), e.scratch(1)), BF_STATUS_FAILURE_UNKNOWN);
      expect(sameBytes(before.mk, state(d).mk), 'the kernel allocated a page it could not map').toBe(true);
    },
  },
  {
    id: 'mem.free_page.success', syscall: 'bf_mem_op_free_page', status: 'BF_STATUS_SUCCESS', clause: 'bf_mem_op_free_page',
    rule: 'free_page frees the page: it is no longer a page (virt_to_phys, free_page answer INVALID_PARAMS1) and its room comes back',
    needs: ['limits'],
    async run(ctx) {
      const d = await ctx.driver({ pages: 1 });
      const m = make(d, 'bf_mem_op_free_page');
      ctx.status(m.status, BF_STATUS_SUCCESS);
      const e = d.e;
      ctx.status(e.call('bf_mem_op_virt_to_phys', e.handle, m.args[1], e.scratch(0)), BF_STATUS_INVALID_PARAMS1, 'virt_to_phys of the freed page');
      ctx.status(e.call('bf_mem_op_free_page', e.handle, m.args[1]), BF_STATUS_INVALID_PARAMS1, 'freeing it again');
      ctx.status(e.call('bf_mem_op_alloc_page', e.handle, e.scratch(0), e.scratch(1)), BF_STATUS_SUCCESS, 'the only kernel page is free again');
    },
  },
  {
    id: 'mem.virt_to_phys.success', syscall: 'bf_mem_op_virt_to_phys', status: 'BF_STATUS_SUCCESS', clause: 'bf_mem_op_virt_to_phys',
    rule: 'virt_to_phys of a page from alloc_page gives the physical address alloc_page gave',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      for (const p of [e.allocPage(), e.allocPage()]) {
        ctx.status(e.call('bf_mem_op_virt_to_phys', e.handle, p.virt, e.scratch(0)), BF_STATUS_SUCCESS);
        expect(e.u64(e.scratch(0))).toBe(p.phys);
      }
    },
  },
  ...(['bf_mem_op_free_page', 'bf_mem_op_virt_to_phys'] as SyscallName[]).map((name): Case => ({
    id: `mem.${name.slice(10)}.not-a-page`, syscall: name, status: 'BF_STATUS_INVALID_PARAMS1', clause: `${name} inputs`,
    rule: 'an address that is not a page alloc_page gave answers INVALID_PARAMS1 and changes nothing',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      const p = e.allocPage();
      for (const [what, virt] of notPages(p.virt, e.scratch(0), e.ext.memory.size)) {
        const before = state(d);
        const args = name === 'bf_mem_op_free_page' ? [e.handle, virt] : [e.handle, virt, e.scratch(0)];
        ctx.status(e.call(name, ...args), BF_STATUS_INVALID_PARAMS1, what);
        expect(sameBytes(before.mk, state(d).mk), what).toBe(true);
      }
      ctx.status(e.call('bf_mem_op_virt_to_phys', e.handle, p.virt, e.scratch(0)), BF_STATUS_SUCCESS, 'the page itself');
    },
  })),
  {
    id: 'mem.free_page.other-extensions-page', syscall: 'bf_mem_op_free_page', status: 'BF_STATUS_INVALID_PARAMS1', clause: 'bf_mem_op_free_page inputs',
    rule: "another extension's page is not a page of this one: INVALID_PARAMS1",
    async run(ctx) {
      const d = (await ctx.driver({}, [{}, {}])).start();
      const [a, b] = d.exts;
      const p = b.allocPage();
      expect(a.ext.pages.has(p.virt), 'a has no page there').toBe(false);
      ctx.status(a.call('bf_mem_op_free_page', a.handle, p.virt), BF_STATUS_INVALID_PARAMS1);
      ctx.status(b.call('bf_mem_op_virt_to_phys', b.handle, p.virt, b.scratch(0)), BF_STATUS_SUCCESS, "b's page is still b's");
    },
  },
  ...common('mem'),
];
