// bf_vps_op_*: the guest state of a VP on one physical processor, its
// fields (a VMCB by byte offset on AMD, a VMCS by encoding on Intel), its
// registers, and running it from a callback.
import { expect } from '../expect.js';
import {
  BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_INVALID_PARAMS1, BF_STATUS_INVALID_PARAMS2,
  BF_STATUS_INVALID_PERM_DENIED, BF_STATUS_SUCCESS, bf_reg_t, type SyscallName,
} from '../../abi/bf.js';
import type { SimOptions } from '../../backend/sim/sim.js';
import type { Driver, DriverExt } from '../driver/driver.js';
import type { Case, Ctx } from './case.js';
import {
  arch, exitReason, field, intercepts, make, running, sameBytes, state, VMCB_GUEST_ASID, VMCB_INTERCEPT_MISC1,
  VMCS_EXIT_REASON, VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_RIP, VMCS_PRIMARY_PROC_CONTROLS, VMCS_TSC_OFFSET, world,
} from './fixture.js';
import { common } from './generic.js';

type Width = 1 | 2 | 4 | 8;
const WIDTHS: Width[] = [1, 2, 4, 8];
const read = (w: Width) => `bf_vps_op_read${w * 8}` as SyscallName;
const write = (w: Width) => `bf_vps_op_write${w * 8}` as SyscallName;
const mask = (w: Width, v: bigint) => BigInt.asUintN(w * 8, v);
const PATTERN = 0x8877665544332211n;

/** a fresh driver, started, and fn run in a bootstrap callback on ppid */
async function inBootstrap<T>(ctx: Ctx, opts: SimOptions, fn: (e: DriverExt, d: Driver) => T, ppid = 0): Promise<{ d: Driver; r: T }> {
  const d = (await ctx.driver(opts)).start();
  const r = d.inCallback(() => fn(d.e, d), ppid);
  return { d, r };
}

/** readN of a field through a pointer whose neighbouring bytes hold a sentinel: the value, and whether only N bytes were written */
function readField(ctx: Ctx, e: DriverExt, w: Width, vps: number, index: bigint, expected = BF_STATUS_SUCCESS): { value: bigint; clean: boolean } {
  const at = e.scratch(8);
  e.ext.memory.u64.fill(0xa5a5a5a5a5a5a5a5n, (at >>> 3) - 1, (at >>> 3) + 2);
  ctx.status(e.call(read(w), e.handle, vps, index, at), expected, `${read(w)} at 0x${index.toString(16)}`);
  const u8 = e.ext.memory.u8;
  let value = 0n;
  for (let i = w - 1; i >= 0; i--) value = (value << 8n) | BigInt(u8[at + i]);
  const clean = u8.subarray(at - 8, at).every((b) => b === 0xa5) && u8.subarray(at + w, at + 16).every((b) => b === 0xa5);
  return { value, clean };
}

// ---- fields: success, and the index rules of each architecture ----

function fieldCases(w: Width): Case[] {
  const r = read(w);
  const wr = write(w);
  const bits = w * 8;
  const cases: Case[] = [
    {
      id: `vps.${wr.slice(10)}.success`, syscall: wr, status: 'BF_STATUS_SUCCESS', clause: wr,
      rule: `write${bits} sets a ${bits}-bit field, and read${bits} gives it back`,
      needs: w === 1 ? ['amd'] : undefined, // a VMCS has no 8-bit field
      async run(ctx) {
        await inBootstrap(ctx, {}, (e, d) => {
          const vps = world(e).vps;
          const index = field(arch(d), w);
          ctx.status(e.call(wr, e.handle, vps, index, w === 8 ? PATTERN : Number(mask(w, PATTERN))), BF_STATUS_SUCCESS);
          expect(readField(ctx, e, w, vps, index).value).toBe(mask(w, PATTERN));
        });
      },
    },
    {
      id: `vps.${r.slice(10)}.success`, syscall: r, status: 'BF_STATUS_SUCCESS', clause: r,
      rule: `read${bits} writes exactly ${w} byte(s) of the field's value at the output pointer`,
      needs: w === 1 ? ['amd'] : undefined,
      async run(ctx) {
        await inBootstrap(ctx, {}, (e, d) => {
          const vps = world(e).vps;
          const index = field(arch(d), w);
          e.ok(wr, e.handle, vps, index, w === 8 ? PATTERN : Number(mask(w, PATTERN)));
          const got = readField(ctx, e, w, vps, index);
          expect(got.value).toBe(mask(w, PATTERN));
          expect(got.clean, 'bytes beside the output were written').toBe(true);
        });
      },
    },
    {
      id: `vps.${r.slice(10)}.amd-index-outside-vmcb`, syscall: r, status: 'BF_STATUS_INVALID_PARAMS2', clause: `${r} inputs`,
      rule: `on AMD, a byte offset past the 4 KiB VMCB answers INVALID_PARAMS2`,
      needs: ['amd'],
      async run(ctx) {
        await inBootstrap(ctx, {}, (e) => {
          const vps = world(e).vps;
          for (const index of [0x1000n, 0x1000n + BigInt(w), 0x10000000000000n + VMCB_GUEST_ASID, 0xfffffffffffffff8n]) {
            readField(ctx, e, w, vps, index, BF_STATUS_INVALID_PARAMS2);
          }
          readField(ctx, e, w, vps, 0x1000n - BigInt(w)); // the last field of the width is fine
        });
      },
    },
    {
      id: `vps.${wr.slice(10)}.amd-index-outside-vmcb`, syscall: wr, status: 'BF_STATUS_INVALID_PARAMS2', clause: `${wr} inputs`,
      rule: `on AMD, writing at a byte offset past the 4 KiB VMCB answers INVALID_PARAMS2 and changes nothing`,
      needs: ['amd'],
      async run(ctx) {
        await inBootstrap(ctx, {}, (e, d) => {
          const vps = world(e).vps;
          for (const index of [0x1000n, 0x10000000000000n + VMCB_GUEST_ASID, 0xfffffffffffffff8n]) {
            const before = state(d);
            ctx.status(e.call(wr, e.handle, vps, index, w === 8 ? -1n : -1), BF_STATUS_INVALID_PARAMS2, `${wr} at 0x${index.toString(16)}`);
            expect(sameBytes(before.mk, state(d).mk)).toBe(true);
          }
        });
      },
    },
  ];
  if (w > 1) {
    cases.push(
      {
        id: `vps.${r.slice(10)}.amd-index-misaligned`, syscall: r, status: 'BF_STATUS_INVALID_PARAMS2', clause: `${r} inputs`,
        rule: `on AMD, a byte offset that is not ${w}-aligned answers INVALID_PARAMS2`,
        needs: ['amd'],
        async run(ctx) {
          await inBootstrap(ctx, {}, (e) => {
            const vps = world(e).vps;
            for (let off = 1; off < w; off++) readField(ctx, e, w, vps, VMCB_GUEST_ASID + BigInt(off), BF_STATUS_INVALID_PARAMS2);
          });
        },
      },
      {
        id: `vps.${wr.slice(10)}.amd-index-misaligned`, syscall: wr, status: 'BF_STATUS_INVALID_PARAMS2', clause: `${wr} inputs`,
        rule: `on AMD, writing at a byte offset that is not ${w}-aligned answers INVALID_PARAMS2 and changes nothing`,
        needs: ['amd'],
        async run(ctx) {
          await inBootstrap(ctx, {}, (e, d) => {
            const vps = world(e).vps;
            const before = state(d);
            ctx.status(e.call(wr, e.handle, vps, VMCB_GUEST_ASID + 1n, w === 8 ? -1n : -1), BF_STATUS_INVALID_PARAMS2);
            expect(sameBytes(before.mk, state(d).mk)).toBe(true);
          });
        },
      },
    );
  }
  // Intel: a VMCS encoding, of the access's width
  const other: Record<Width, bigint> = { 1: VMCS_GUEST_ES_SELECTOR, 2: VMCS_PRIMARY_PROC_CONTROLS, 4: VMCS_TSC_OFFSET, 8: VMCS_GUEST_ES_SELECTOR };
  cases.push(
    {
      id: `vps.${r.slice(10)}.intel-width-mismatch`, syscall: r, status: 'BF_STATUS_INVALID_PARAMS2', clause: `${r} inputs`,
      rule: `on Intel, read${bits} of a VMCS field that is not ${bits} bits wide, or of no field, answers INVALID_PARAMS2`,
      needs: ['intel'],
      async run(ctx) {
        await inBootstrap(ctx, {}, (e) => {
          const vps = world(e).vps;
          readField(ctx, e, w, vps, other[w], BF_STATUS_INVALID_PARAMS2);
          readField(ctx, e, w, vps, 0x0002n, BF_STATUS_INVALID_PARAMS2); // encodes no field
          readField(ctx, e, w, vps, 0x10000n + VMCS_GUEST_ES_SELECTOR, BF_STATUS_INVALID_PARAMS2); // not a 16-bit encoding
        });
      },
    },
    {
      id: `vps.${wr.slice(10)}.intel-width-mismatch`, syscall: wr, status: 'BF_STATUS_INVALID_PARAMS2', clause: `${wr} inputs`,
      rule: `on Intel, write${bits} of a VMCS field that is not ${bits} bits wide answers INVALID_PARAMS2 and changes nothing`,
      needs: ['intel'],
      async run(ctx) {
        await inBootstrap(ctx, {}, (e, d) => {
          const vps = world(e).vps;
          const before = state(d);
          ctx.status(e.call(wr, e.handle, vps, other[w], w === 8 ? 1n : 1), BF_STATUS_INVALID_PARAMS2);
          expect(sameBytes(before.mk, state(d).mk)).toBe(true);
        });
      },
    },
  );
  if (w === 4 || w === 8) {
    const ro = w === 4 ? VMCS_EXIT_REASON : 0x2400n; // exit reason; guest-physical address
    cases.push({
      id: `vps.${wr.slice(10)}.intel-read-only`, syscall: wr, status: 'BF_STATUS_INVALID_PARAMS2', clause: `${wr} inputs`,
      rule: `on Intel, write${bits} of a read-only VMCS field answers INVALID_PARAMS2; reading it works`,
      needs: ['intel'],
      async run(ctx) {
        await inBootstrap(ctx, {}, (e, d) => {
          const vps = world(e).vps;
          const before = state(d);
          ctx.status(e.call(wr, e.handle, vps, ro, w === 8 ? 1n : 1), BF_STATUS_INVALID_PARAMS2);
          expect(sameBytes(before.mk, state(d).mk)).toBe(true);
          readField(ctx, e, w, vps, ro);
        });
      },
    });
  }
  return cases;
}

/** the syscalls that name a VPS the kernel must find on the current processor */
const LOCAL: SyscallName[] = [
  'bf_vps_op_init_as_root', ...WIDTHS.flatMap((w) => [read(w), write(w)]), 'bf_vps_op_read_reg', 'bf_vps_op_write_reg',
  'bf_vps_op_run', 'bf_vps_op_advance_ip', 'bf_vps_op_advance_ip_and_run_current', 'bf_vps_op_promote',
];

const otherPp = (name: SyscallName): Case => ({
  id: `vps.${name.slice(10)}.vps-of-another-pp`, syscall: name, status: 'BF_STATUS_INVALID_PARAMS1', clause: `${name} inputs`,
  rule: 'a VPS assigned to another physical processor than the current one answers INVALID_PARAMS1',
  needs: ['smp'],
  async run(ctx) {
    const d = await ctx.driver({ pps: 2 });
    const m = make(d, name, (a, dd) => {
      const e = dd.e;
      const vm = e.createVm();
      const vp = e.createVp(vm);
      a[1] = e.createVps(vp, 1);
      if (name === 'bf_vps_op_run') {
        a[2] = vp;
        a[3] = vm;
      }
    });
    ctx.status(m.status, BF_STATUS_INVALID_PARAMS1);
    expect(sameBytes(m.before.mk, m.after.mk), "the kernel's state changed").toBe(true);
  },
});

type W = { vm: number; vp: number; vps: number };

/** the call outside any callback (from the entry point, and after it returned) answers FAILURE_UNKNOWN */
const outsideCallback = (name: SyscallName, args: (e: DriverExt, w: W) => (number | bigint)[]): Case => ({
  id: `vps.${name.slice(10)}.outside-callback`, syscall: name, status: 'BF_STATUS_FAILURE_UNKNOWN', clause: name,
  rule: `${name.slice(10)} outside a callback (in the entry point, or from no extension code) answers FAILURE_UNKNOWN`,
  async run(ctx) {
    const d = await ctx.driver();
    const e = d.e;
    let a: (number | bigint)[] = [];
    e.on.main = () => {
      e.openAndWait();
      a = args(e, world(e));
      ctx.status(e.call(name, ...a), BF_STATUS_FAILURE_UNKNOWN, 'in the entry point');
    };
    d.start();
    expect(a.length, 'the entry point made the call').toBeGreaterThan(0);
    const before = state(d);
    ctx.status(e.call(name, ...a), BF_STATUS_FAILURE_UNKNOWN, 'after the entry point returned');
    expect(sameBytes(before.mk, state(d).mk)).toBe(true);
    expect(state(d).records).toBe(before.records);
  },
});

/** in a bootstrap callback where no guest was run on the processor, the call answers FAILURE_UNKNOWN */
const nothingActive = (name: SyscallName, args: (e: DriverExt, w: W) => (number | bigint)[]): Case => ({
  id: `vps.${name.slice(10)}.nothing-active`, syscall: name, status: 'BF_STATUS_FAILURE_UNKNOWN', clause: name,
  rule: `${name.slice(10)} on a processor where no VPS was run answers FAILURE_UNKNOWN`,
  async run(ctx) {
    await inBootstrap(ctx, {}, (e) => {
      const w = world(e);
      ctx.status(e.call(name, ...args(e, w)), BF_STATUS_FAILURE_UNKNOWN);
    });
  },
});

/** the VPS loaded on the processor is another extension's: the call answers INVALID_PERM_DENIED */
const activeOfOther = (name: SyscallName, args: (e: DriverExt, w: W) => (number | bigint)[]): Case => ({
  id: `vps.${name.slice(10)}.active-vps-of-other-extension`, syscall: name, status: 'BF_STATUS_INVALID_PERM_DENIED', clause: name,
  rule: `${name.slice(10)} where the VPS loaded on the processor belongs to another extension answers INVALID_PERM_DENIED`,
  async run(ctx) {
    const d = (await ctx.driver({}, [{}, {}])).start();
    const [a, b] = d.exts;
    a.on.bootstrap = () => void running(a, d);
    let st = -1n;
    b.on.bootstrap = () => {
      const w = world(b);
      st = b.call(name, ...args(b, w));
    };
    d.host.bootstrap();
    ctx.status(st, BF_STATUS_INVALID_PERM_DENIED);
  },
});

/** the VPS loaded on the processor was destroyed while active (a zombie): the call answers FAILURE_UNKNOWN */
const activeZombie = (name: SyscallName, args: (e: DriverExt, w: W) => (number | bigint)[]): Case => ({
  id: `vps.${name.slice(10)}.active-vps-zombie`, syscall: name, status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'zombies',
  rule: `${name.slice(10)} where the VPS loaded on the processor is a zombie answers FAILURE_UNKNOWN`,
  async run(ctx) {
    await inBootstrap(ctx, {}, (e, d) => {
      const w = running(e, d);
      e.fails('bf_vps_op_destroy_vps', BF_STATUS_FAILURE_UNKNOWN, e.handle, w.vps);
      const other = world(e);
      ctx.status(e.call(name, ...args(e, other)), BF_STATUS_FAILURE_UNKNOWN);
    });
  },
});

/** a guest set running with CPUID exiting, and the exits it makes, handled by onExit */
async function guest(ctx: Ctx, onExit: (e: DriverExt, d: Driver, vps: number, reason: bigint, n: number) => void, opts: SimOptions = {}) {
  const d = (await ctx.driver(opts)).start();
  const e = d.e;
  let w: W = { vm: -1, vp: -1, vps: -1 };
  d.bootstrap(() => void (w = running(e, d)));
  const reasons: bigint[] = [];
  e.on.vmexit = (vps, reason) => {
    reasons.push(reason);
    onExit(e, d, vps, reason, reasons.length);
  };
  d.loop();
  return { d, e, w, reasons };
}

export const cases: Case[] = [
  // ---- create, destroy, init ----
  {
    id: 'vps.create_vps.success', syscall: 'bf_vps_op_create_vps', status: 'BF_STATUS_SUCCESS', clause: 'bf_vps_op_create_vps',
    rule: 'create_vps writes the ID of a new VPS of the VP, assigned to the physical processor named',
    needs: ['smp'],
    async run(ctx) {
      const d = (await ctx.driver({ pps: 2 })).start();
      const e = d.e;
      const vp = e.createVp(e.createVm());
      ctx.status(e.call('bf_vps_op_create_vps', e.handle, vp, 1, e.scratch(0)), BF_STATUS_SUCCESS);
      const vps = e.u16(e.scratch(0));
      expect(vps).toBeLessThan(d.mk.hello.limits.vpss);
      expect(d.mk.allocated('vps')).toEqual([vps]);
      ctx.status(d.inCallback(() => e.call('bf_vps_op_init_as_root', e.handle, vps), 1), BF_STATUS_SUCCESS, 'init_as_root on pp 1');
      ctx.status(d.inCallback(() => e.call('bf_vps_op_init_as_root', e.handle, vps), 0), BF_STATUS_INVALID_PARAMS1, 'init_as_root on pp 0');
      ctx.status(e.call('bf_vp_op_destroy_vp', e.handle, vp), BF_STATUS_FAILURE_UNKNOWN, 'its VP is in use');
    },
  },
  {
    id: 'vps.create_vps.bad-ppid', syscall: 'bf_vps_op_create_vps', status: 'BF_STATUS_INVALID_PARAMS2', clause: 'bf_vps_op_create_vps inputs',
    rule: 'a physical processor ID out of range answers INVALID_PARAMS2 and creates nothing',
    async run(ctx) {
      for (const ppid of [(d: Driver) => d.mk.hello.limits.pps, () => 0xffff]) {
        const d = await ctx.driver();
        const m = make(d, 'bf_vps_op_create_vps', (a) => void (a[2] = ppid(d)));
        ctx.status(m.status, BF_STATUS_INVALID_PARAMS2, `ppid ${m.args[2]}`);
        expect(sameBytes(m.before.mk, m.after.mk)).toBe(true);
      }
    },
  },
  {
    id: 'vps.create_vps.exhausted', syscall: 'bf_vps_op_create_vps', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'creation guarantee',
    rule: 'create_vps with the pool exhausted answers FAILURE_UNKNOWN and writes nothing',
    needs: ['limits'],
    async run(ctx) {
      const d = await ctx.driver({ vpss: 1 });
      const m = make(d, 'bf_vps_op_create_vps', (a, dd) => {
        dd.e.createVps(Number(a[1]), 0);
        dd.e.ext.memory.u16[Number(a[3]) >>> 1] = 0xbeef;
      });
      ctx.status(m.status, BF_STATUS_FAILURE_UNKNOWN);
      expect(d.e.u16(Number(m.args[3])), 'nothing written').toBe(0xbeef);
      expect(sameBytes(m.before.mk, m.after.mk)).toBe(true);
    },
  },
  {
    id: 'vps.destroy_vps.success', syscall: 'bf_vps_op_destroy_vps', status: 'BF_STATUS_SUCCESS', clause: 'bf_vps_op_destroy_vps',
    rule: 'destroy_vps of a VPS not active frees it, and its VP can then be destroyed',
    async run(ctx) {
      const d = await ctx.driver();
      const m = make(d, 'bf_vps_op_destroy_vps');
      ctx.status(m.status, BF_STATUS_SUCCESS);
      const e = d.e;
      const vps = Number(m.args[1]);
      expect(d.mk.allocated('vps')).not.toContain(vps);
      ctx.status(e.call('bf_debug_op_dump_vps', e.handle, vps), BF_STATUS_INVALID_PARAMS1, 'dump_vps of the destroyed VPS');
      ctx.status(e.call('bf_vp_op_destroy_vp', e.handle, d.mk.allocated('vp')[0]), BF_STATUS_SUCCESS, 'its VP');
    },
  },
  {
    id: 'vps.destroy_vps.active-makes-zombie', syscall: 'bf_vps_op_destroy_vps', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'zombies',
    rule: 'destroy_vps of a VPS active on a processor (it was run) answers FAILURE_UNKNOWN and leaves it a zombie',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      const w = d.inCallback(() => running(e, d));
      ctx.status(e.call('bf_vps_op_destroy_vps', e.handle, w.vps), BF_STATUS_FAILURE_UNKNOWN);
      expect(d.mk.allocated('vps')).toContain(w.vps);
      ctx.status(e.call('bf_debug_op_dump_vps', e.handle, w.vps), BF_STATUS_INVALID_PARAMS1, 'dump_vps of the zombie');
      ctx.status(e.call('bf_vps_op_destroy_vps', e.handle, w.vps), BF_STATUS_INVALID_PARAMS1, 'destroying it again');
    },
  },
  {
    id: 'vps.init_as_root.success', syscall: 'bf_vps_op_init_as_root', status: 'BF_STATUS_SUCCESS', clause: 'bf_vps_op_init_as_root',
    rule: 'init_as_root loads the state of the running root OS: a 64-bit kernel with paging, and somewhere to run',
    async run(ctx) {
      await inBootstrap(ctx, {}, (e) => {
        const vps = world(e, 0, false).vps;
        ctx.status(e.call('bf_vps_op_init_as_root', e.handle, vps), BF_STATUS_SUCCESS);
        const cr0 = e.readReg(vps, bf_reg_t.cr0);
        expect(cr0 & 0x80000001n, 'CR0.PG and CR0.PE').toBe(0x80000001n);
        expect(e.readReg(vps, bf_reg_t.ia32_efer) & (1n << 10n), 'EFER.LMA').toBe(1n << 10n);
        expect(e.readReg(vps, bf_reg_t.cs_selector), 'a code segment').not.toBe(0n);
        expect(e.readReg(vps, bf_reg_t.rip), 'an instruction pointer').not.toBe(0n);
      });
    },
  },
  // ---- fields ----
  ...WIDTHS.flatMap(fieldCases),
  {
    id: 'vps.read8.amd-little-endian-vmcb', syscall: 'bf_vps_op_read8', status: 'BF_STATUS_SUCCESS', clause: 'bf_vps_op_read8',
    rule: 'on AMD the widths are views of one little-endian VMCB: read8/16/64 see what write32 wrote',
    needs: ['amd'],
    async run(ctx) {
      await inBootstrap(ctx, {}, (e) => {
        const vps = world(e).vps;
        e.ok('bf_vps_op_write64', e.handle, vps, 0x8n, 0n);
        e.ok('bf_vps_op_write32', e.handle, vps, VMCB_INTERCEPT_MISC1, 0x11223344);
        expect(readField(ctx, e, 1, vps, VMCB_INTERCEPT_MISC1).value).toBe(0x44n);
        expect(readField(ctx, e, 1, vps, VMCB_INTERCEPT_MISC1 + 3n).value).toBe(0x11n);
        expect(readField(ctx, e, 2, vps, VMCB_INTERCEPT_MISC1 + 2n).value).toBe(0x1122n);
        expect(readField(ctx, e, 8, vps, 0x8n).value).toBe(0x1122334400000000n);
      });
    },
  },
  {
    id: 'vps.read64.fields-and-registers-agree', syscall: 'bf_vps_op_read64', status: 'BF_STATUS_SUCCESS', clause: 'bf_vps_op_read64',
    rule: "the guest RIP field (VMCB 0x578 on AMD, VMCS 0x681E on Intel) is the register read_reg and write_reg name",
    async run(ctx) {
      await inBootstrap(ctx, {}, (e, d) => {
        const vps = world(e).vps;
        const rip = arch(d) === 'amd' ? 0x578n : VMCS_GUEST_RIP;
        expect(readField(ctx, e, 8, vps, rip).value).toBe(e.readReg(vps, bf_reg_t.rip));
        e.writeReg(vps, bf_reg_t.rip, 0x123456n);
        expect(readField(ctx, e, 8, vps, rip).value).toBe(0x123456n);
        e.ok('bf_vps_op_write64', e.handle, vps, rip, 0x654321n);
        expect(e.readReg(vps, bf_reg_t.rip)).toBe(0x654321n);
      });
    },
  },
  // ---- registers ----
  {
    id: 'vps.write_reg.success', syscall: 'bf_vps_op_write_reg', status: 'BF_STATUS_SUCCESS', clause: 'bf_vps_op_write_reg',
    rule: 'write_reg sets a guest register to the full 64-bit value, and read_reg gives it back',
    async run(ctx) {
      await inBootstrap(ctx, {}, (e) => {
        const vps = world(e).vps;
        for (const [reg, v] of [[bf_reg_t.rax, 0xfedcba9876543210n], [bf_reg_t.r15, 1n], [bf_reg_t.rip, 0x100002n]] as const) {
          ctx.status(e.call('bf_vps_op_write_reg', e.handle, vps, reg, v), BF_STATUS_SUCCESS, `write_reg ${reg}`);
          expect(e.readReg(vps, reg)).toBe(v);
        }
      });
    },
  },
  {
    id: 'vps.read_reg.success', syscall: 'bf_vps_op_read_reg', status: 'BF_STATUS_SUCCESS', clause: 'bf_vps_op_read_reg',
    rule: 'read_reg writes the register as 8 bytes at the output pointer, and VPSs do not share registers',
    async run(ctx) {
      await inBootstrap(ctx, {}, (e) => {
        const a = world(e).vps;
        const b = world(e).vps;
        e.writeReg(a, bf_reg_t.rbx, 0x1111n);
        e.writeReg(b, bf_reg_t.rbx, 0x2222n);
        const at = e.scratch(9);
        ctx.status(e.call('bf_vps_op_read_reg', e.handle, a, bf_reg_t.rbx, at), BF_STATUS_SUCCESS);
        expect(e.u64(at)).toBe(0x1111n);
        expect(e.readReg(b, bf_reg_t.rbx)).toBe(0x2222n);
      });
    },
  },
  ...(['bf_vps_op_read_reg', 'bf_vps_op_write_reg'] as const).map((name): Case => ({
    id: `vps.${name.slice(10)}.unknown-register`, syscall: name, status: 'BF_STATUS_INVALID_PARAMS2', clause: `${name} inputs`,
    rule: 'a bf_reg_t past the last register (73 and up, all 64 bits of it) answers INVALID_PARAMS2',
    async run(ctx) {
      for (const reg of [73n, 0x100n, 0x100000000n, 0x100000000n + BigInt(bf_reg_t.rax), 0xffffffffffffffffn]) {
        const d = await ctx.driver();
        const m = make(d, name, (a) => void (a[2] = reg));
        ctx.status(m.status, BF_STATUS_INVALID_PARAMS2, `bf_reg_t 0x${reg.toString(16)}`);
        expect(sameBytes(m.before.mk, m.after.mk)).toBe(true);
      }
    },
  })),
  ...LOCAL.map(otherPp),
  // ---- run and its company ----
  {
    id: 'vps.run.success', syscall: 'bf_vps_op_run', status: 'BF_STATUS_SUCCESS', clause: 'bf_vps_op_run',
    rule: 'run in a callback succeeds, and once the callback returns the guest runs until its first VM exit',
    needs: ['guest'],
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      let vps = -1;
      d.bootstrap(() => {
        const w = world(e);
        intercepts(e, d, w.vps);
        ctx.status(e.call('bf_vps_op_run', e.handle, w.vps, w.vp, w.vm), BF_STATUS_SUCCESS);
        vps = w.vps;
      });
      expect(d.host.pps[0].state).toBe('running');
      const exits: [number, bigint][] = [];
      e.on.vmexit = (v, r) => void exits.push([v, r]);
      d.loop();
      expect(exits).toEqual([[vps, exitReason(d, 'cpuid')]]);
    },
  },
  {
    id: 'vps.run.vps-not-of-vp', syscall: 'bf_vps_op_run', status: 'BF_STATUS_INVALID_PARAMS1', clause: 'bf_vps_op_run inputs',
    rule: 'run of a VPS with a VP it does not belong to answers INVALID_PARAMS1',
    async run(ctx) {
      const d = await ctx.driver();
      const m = make(d, 'bf_vps_op_run', (a, dd) => {
        const vm = dd.e.createVm();
        a[2] = dd.e.createVp(vm);
        a[3] = vm;
      });
      ctx.status(m.status, BF_STATUS_INVALID_PARAMS1);
      expect(sameBytes(m.before.mk, m.after.mk)).toBe(true);
      expect(d.host.pps[0].state, 'nothing to resume').toBe('idle');
    },
  },
  {
    id: 'vps.run.vp-not-of-vm', syscall: 'bf_vps_op_run', status: 'BF_STATUS_INVALID_PARAMS2', clause: 'bf_vps_op_run inputs',
    rule: 'run with a VP that does not belong to the VM answers INVALID_PARAMS2',
    async run(ctx) {
      const d = await ctx.driver();
      const m = make(d, 'bf_vps_op_run', (a, dd) => void (a[3] = dd.e.createVm()));
      ctx.status(m.status, BF_STATUS_INVALID_PARAMS2);
      expect(sameBytes(m.before.mk, m.after.mk)).toBe(true);
      expect(d.host.pps[0].state, 'nothing to resume').toBe('idle');
    },
  },
  outsideCallback('bf_vps_op_run', (e, w) => [e.handle, w.vps, w.vp, w.vm]),
  {
    id: 'vps.run_current.success', syscall: 'bf_vps_op_run_current', status: 'BF_STATUS_SUCCESS', clause: 'bf_vps_op_run_current',
    rule: 'run_current in a vmexit callback resumes the guest where it exited: the same exit comes again',
    needs: ['guest'],
    async run(ctx) {
      const { d, e, w, reasons } = await guest(ctx, (e, _d, _vps, _r, n) => {
        if (n < 3) ctx.status(e.call('bf_vps_op_run_current', e.handle), BF_STATUS_SUCCESS, `run_current after exit ${n}`);
      });
      const cpuid = exitReason(d, 'cpuid');
      expect(reasons).toEqual([cpuid, cpuid, cpuid]);
      expect(e.readReg(w.vps, bf_reg_t.rax), 'still at the first CPUID: leaf 0').toBe(0n);
    },
  },
  outsideCallback('bf_vps_op_run_current', (e) => [e.handle]),
  nothingActive('bf_vps_op_run_current', (e) => [e.handle]),
  activeOfOther('bf_vps_op_run_current', (e) => [e.handle]),
  activeZombie('bf_vps_op_run_current', (e) => [e.handle]),
  {
    id: 'vps.advance_ip.success', syscall: 'bf_vps_op_advance_ip', status: 'BF_STATUS_SUCCESS', clause: 'bf_vps_op_advance_ip',
    rule: 'advance_ip after a CPUID exit moves RIP past the 2-byte instruction',
    needs: ['guest'],
    async run(ctx) {
      const rips: [bigint, bigint][] = [];
      await guest(ctx, (e, _d, vps, _r, n) => {
        const before = e.readReg(vps, bf_reg_t.rip);
        ctx.status(e.call('bf_vps_op_advance_ip', e.handle, vps), BF_STATUS_SUCCESS);
        rips.push([before, e.readReg(vps, bf_reg_t.rip)]);
        if (n < 2) e.ok('bf_vps_op_run_current', e.handle);
      });
      expect(rips.length).toBe(2);
      for (const [before, after] of rips) expect(after - before).toBe(2n);
      expect(rips[1][0], 'the guest went on from past the first CPUID').toBeGreaterThan(rips[0][1]);
    },
  },
  {
    id: 'vps.advance_ip_and_run_current.success', syscall: 'bf_vps_op_advance_ip_and_run_current', status: 'BF_STATUS_SUCCESS', clause: 'bf_vps_op_advance_ip_and_run_current',
    rule: 'advance_ip_and_run_current moves past the exiting instruction and resumes: the guest reaches its next CPUIDs and its end',
    needs: ['guest'],
    async run(ctx) {
      const leaves: bigint[] = [];
      const { d, reasons } = await guest(ctx, (e, _d, vps) => {
        leaves.push(e.readReg(vps, bf_reg_t.rax) & 0xffffffffn);
        ctx.status(e.call('bf_vps_op_advance_ip_and_run_current', e.handle, vps), BF_STATUS_SUCCESS);
      });
      expect(leaves).toEqual([0n, 0x40000000n, 1n]);
      expect(reasons.length).toBe(3);
      expect(d.host.pps[0].state).toBe('halted');
    },
  },
  outsideCallback('bf_vps_op_advance_ip_and_run_current', (e, w) => [e.handle, w.vps]),
  {
    id: 'vps.advance_ip_and_run_current.not-the-loaded-vps', syscall: 'bf_vps_op_advance_ip_and_run_current', status: 'BF_STATUS_INVALID_PARAMS1', clause: 'bf_vps_op_advance_ip_and_run_current inputs',
    rule: 'advance_ip_and_run_current resumes what is loaded on the processor, so naming another VPS (none loaded, or a different one) answers INVALID_PARAMS1',
    async run(ctx) {
      await inBootstrap(ctx, {}, (e, d) => {
        const idle = world(e);
        ctx.status(e.call('bf_vps_op_advance_ip_and_run_current', e.handle, idle.vps), BF_STATUS_INVALID_PARAMS1, 'nothing loaded');
        running(e, d);
        const before = state(d);
        ctx.status(e.call('bf_vps_op_advance_ip_and_run_current', e.handle, idle.vps), BF_STATUS_INVALID_PARAMS1, 'another VPS loaded');
        expect(sameBytes(before.mk, state(d).mk), 'the refused call changed the kernel').toBe(true);
      });
    },
  },
  {
    id: 'vps.advance_ip_and_run_current.loaded-vp-zombie', syscall: 'bf_vps_op_advance_ip_and_run_current', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'zombies',
    rule: 'advance_ip_and_run_current on the loaded VPS whose VP was made a zombie answers FAILURE_UNKNOWN: nothing runs on a zombie',
    async run(ctx) {
      await inBootstrap(ctx, {}, (e, d) => {
        const w = running(e, d);
        e.fails('bf_vp_op_destroy_vp', BF_STATUS_FAILURE_UNKNOWN, e.handle, w.vp);
        ctx.status(e.call('bf_vps_op_advance_ip_and_run_current', e.handle, w.vps), BF_STATUS_FAILURE_UNKNOWN);
      });
    },
  },
  {
    id: 'vps.promote.success', syscall: 'bf_vps_op_promote', status: 'BF_STATUS_SUCCESS', clause: 'bf_vps_op_promote',
    rule: 'promote hands the processor to the VPS state without a hypervisor: the guest runs to its end with no VM exit',
    needs: ['guest'],
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      d.bootstrap(() => {
        const w = world(e);
        intercepts(e, d, w.vps); // would exit on CPUID, were it not promoted
        ctx.status(e.call('bf_vps_op_promote', e.handle, w.vps), BF_STATUS_SUCCESS);
      });
      let exits = 0;
      e.on.vmexit = () => void exits++;
      d.loop();
      expect(exits).toBe(0);
      expect(d.host.pps[0].state).toBe('promoted');
      expect(d.guestLines().some((l) => l.startsWith('hello from pp 0')), 'the guest ran').toBe(true);
    },
  },
  outsideCallback('bf_vps_op_promote', (e, w) => [e.handle, w.vps]),
  ...common('vps'),
];
