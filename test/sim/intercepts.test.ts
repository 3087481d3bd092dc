// The reference microkernel's guest model honours the intercepts an
// extension sets, on both architectures, including bitmaps in pages the
// extension got from bf_mem_op_alloc_page through the boundary.
import { describe, expect, it } from 'vitest';
import {
  BF_SVM_EXIT_HLT, BF_SVM_EXIT_IO, BF_SVM_EXIT_RDMSR, BF_SVM_EXIT_VMCALL, BF_VMX_EXIT_CPUID, BF_VMX_EXIT_HLT,
  BF_VMX_EXIT_RDMSR, BF_VMX_EXIT_WRMSR, bf_reg_t,
} from '../../host/abi/bf.js';
import type { SimOptions } from '../../host/backend/sim/sim.js';
import { sim } from '../../host/conformance/backends.js';
import { Driver, type DriverExt } from '../../host/conformance/driver/driver.js';
import {
  intercepts, MISC1_HLT, MISC1_IOIO_PROT, MISC1_MSR_PROT, MISC2_VMMCALL, MISC2_VMRUN, PROC_HLT_EXITING,
  PROC_USE_MSR_BITMAPS, VMCB_EXITINFO1, VMCB_IOPM_BASE_PA, VMCB_MSRPM_BASE_PA, VMCS_PRIMARY_PROC_CONTROLS, world,
} from '../../host/conformance/catalogue/fixture.js';

const IA32_PAT = 0x277;
const IA32_TSC_AUX = 0xc0000103;
const VMCS_MSR_BITMAP = 0x2004n;

interface Exit {
  reason: bigint;
  rax: bigint;
  rip: bigint;
  info1?: bigint;
}

/**
 * Runs the root guest `guest` in a VPS set up by `setup` (after
 * init_as_root), handling each exit with `handle` (default: advance and
 * resume), and returns the exits and the driver.
 */
async function run(opts: SimOptions, setup: (e: DriverExt, d: Driver, vps: number) => void, handle?: (e: DriverExt, vps: number, x: Exit) => void) {
  const d = (await Driver.create(sim, opts)).start();
  const e = d.e;
  const amd = (opts.arch ?? 'amd') === 'amd';
  d.bootstrap(() => {
    const w = world(e);
    setup(e, d, w.vps);
    e.ok('bf_vps_op_run', e.handle, w.vps, w.vp, w.vm);
  });
  const exits: Exit[] = [];
  e.on.vmexit = (vps, reason) => {
    const x: Exit = { reason, rax: e.readReg(vps, bf_reg_t.rax), rip: e.readReg(vps, bf_reg_t.rip) };
    if (amd) {
      e.ok('bf_vps_op_read64', e.handle, vps, VMCB_EXITINFO1, e.scratch(10));
      x.info1 = e.u64(e.scratch(10));
    }
    exits.push(x);
    if (handle) handle(e, vps, x);
    else e.ok('bf_vps_op_advance_ip_and_run_current', e.handle, vps);
  };
  d.loop();
  d.check();
  return { d, e, exits };
}

/** an intercept bitmap page from alloc_page, with the given bits set */
function bitmap(e: DriverExt, bits: number[]): bigint {
  const p = e.allocPage();
  for (const b of bits) e.ext.memory.u8[p.virt + (b >> 3)] |= 1 << (b & 7);
  return p.phys;
}

describe('sim on AMD: intercepts in the VMCB', () => {
  it('HLT exits (0x78) only with the HLT intercept', async () => {
    const on = await run({ guest: 'idle' }, (e, d, vps) => intercepts(e, d, vps, MISC1_HLT), () => {});
    expect(on.exits.map((x) => x.reason)).toEqual([BF_SVM_EXIT_HLT]);
    const off = await run({ guest: 'idle' }, (e, d, vps) => intercepts(e, d, vps, 0));
    expect(off.exits).toEqual([]);
    expect(off.d.host.pps[0].state).toBe('halted');
  });

  it('I/O exits (0x7B) for the ports set in the IOPM, with the port and direction in EXITINFO1', async () => {
    const POST = 0x80;
    const SYSCTL = 0x61;
    const { d, exits } = await run({ guest: 'io' }, (e, dd, vps) => {
      intercepts(e, dd, vps, MISC1_IOIO_PROT);
      e.ok('bf_vps_op_write64', e.handle, vps, VMCB_IOPM_BASE_PA, bitmap(e, [SYSCTL]));
    });
    expect(exits.map((x) => x.reason)).toEqual([BF_SVM_EXIT_IO]);
    expect(Number(exits[0].info1! >> 16n)).toBe(SYSCTL);
    expect(exits[0].info1! & 1n, 'IN').toBe(1n);
    // OUT 0x80 ran (not in the bitmap); the intercepted IN was skipped, so al stayed 0x42
    expect(d.guestLines()).toContain('out 0x80 <- 0x42');
    expect(d.guestLines()).toContain('in 0x61 -> 0x42');

    const out = await run({ guest: 'io' }, (e, dd, vps) => {
      intercepts(e, dd, vps, MISC1_IOIO_PROT);
      e.ok('bf_vps_op_write64', e.handle, vps, VMCB_IOPM_BASE_PA, bitmap(e, [POST]));
    });
    expect(out.exits.map((x) => [x.reason, Number(x.info1! >> 16n), x.info1! & 1n])).toEqual([[BF_SVM_EXIT_IO, POST, 0n]]);
    expect(out.d.guestLines(), 'the IN ran natively').toContain('in 0x61 -> 0x20');

    const none = await run({ guest: 'io' }, (e, dd, vps) => intercepts(e, dd, vps, 0));
    expect(none.exits).toEqual([]);
    expect(none.d.guestLines()).toContain('in 0x61 -> 0x20');
  });

  it('RDMSR/WRMSR exit (0x7C, EXITINFO1 0 or 1) for the bits set in the MSRPM', async () => {
    // MSRPM: two bits per MSR, read then write; MSRs 0xC0000000.. start at byte 0x800
    const readPat = IA32_PAT * 2;
    const writeTscAux = 0x800 * 8 + (IA32_TSC_AUX - 0xc0000000) * 2 + 1;
    const { d, exits } = await run({ guest: 'msr' }, (e, dd, vps) => {
      intercepts(e, dd, vps, MISC1_MSR_PROT);
      const a = e.allocPage();
      const b = e.allocPage();
      expect(b.phys - a.phys, 'the MSRPM is two contiguous pages').toBe(4096n);
      for (const bit of [readPat, writeTscAux]) e.ext.memory.u8[a.virt + (bit >> 3)] |= 1 << (bit & 7);
      e.ok('bf_vps_op_write64', e.handle, vps, VMCB_MSRPM_BASE_PA, a.phys);
    });
    expect(exits.map((x) => [x.reason, x.info1])).toEqual([[BF_SVM_EXIT_RDMSR, 0n], [BF_SVM_EXIT_RDMSR, 1n]]);
    // the intercepted WRMSR was skipped, not emulated: the RDMSR that follows (not intercepted) reads 0
    expect(d.guestLines()).toContain('wrmsr(IA32_TSC_AUX, 0x1234) then rdmsr=0x0');

    const none = await run({ guest: 'msr' }, (e, dd, vps) => intercepts(e, dd, vps, 0));
    expect(none.exits).toEqual([]);
    expect(none.d.guestLines()).toContain('wrmsr(IA32_TSC_AUX, 0x1234) then rdmsr=0x1234');
  });

  it('VMMCALL exits (0x81) with the intercept; the handler answers in rax; without it the guest triple-faults', async () => {
    const { d, exits } = await run({ guest: 'vmcall' }, (e, dd, vps) => intercepts(e, dd, vps, 0, MISC2_VMRUN | MISC2_VMMCALL), (e, vps) => {
      e.writeReg(vps, bf_reg_t.rax, 0x42n);
      e.ok('bf_vps_op_advance_ip_and_run_current', e.handle, vps);
    });
    expect(exits.map((x) => [x.reason, x.rax])).toEqual([[BF_SVM_EXIT_VMCALL, 0xbf01n]]);
    expect(d.guestLines()).toContain('vmcall(0xbf01) returned rax=0x42');

    const none = await run({ guest: 'vmcall' }, (e, dd, vps) => intercepts(e, dd, vps, 0));
    expect(none.exits).toEqual([]);
    expect(none.d.host.pps[0].state).toBe('shutdown');
  });

  it('a string OUT to an intercepted port exits once per byte; advance_ip moves RIP only after the last', async () => {
    const COM1 = 0x3f8;
    const chars: string[] = [];
    const rips: bigint[] = [];
    const { exits } = await run({ guest: 'cpuid' }, (e, dd, vps) => {
      intercepts(e, dd, vps, MISC1_IOIO_PROT);
      e.ok('bf_vps_op_write64', e.handle, vps, VMCB_IOPM_BASE_PA, bitmap(e, [COM1]));
    }, (e, vps, x) => {
      chars.push(String.fromCharCode(Number(x.rax & 0xffn)));
      rips.push(x.rip);
      e.ok('bf_vps_op_advance_ip_and_run_current', e.handle, vps);
    });
    const first = 'hello from pp 0\n';
    expect(chars.slice(0, first.length).join('')).toBe(first);
    expect(exits.every((x) => x.reason === BF_SVM_EXIT_IO)).toBe(true);
    // port, byte size, string and rep in EXITINFO1
    const info = exits[0].info1!;
    expect([Number(info >> 16n), Number((info >> 4n) & 7n), (info >> 2n) & 1n, (info >> 3n) & 1n]).toEqual([COM1, 1, 1n, 1n]);
    // every byte of the first print exits at the same RIP; the next exit is at the next instruction
    expect(new Set(rips.slice(0, first.length)).size).toBe(1);
    expect(rips[first.length]).toBeGreaterThan(rips[0]);
  });
});

describe('sim on Intel: VMX controls', () => {
  const intel: SimOptions = { arch: 'intel' };

  it('CPUID always exits (reason 10), with no control set', async () => {
    const { exits } = await run({ ...intel, guest: 'cpuid' }, () => {});
    expect(exits.map((x) => [x.reason, x.rax & 0xffffffffn])).toEqual([[BF_VMX_EXIT_CPUID, 0n], [BF_VMX_EXIT_CPUID, 0x40000000n], [BF_VMX_EXIT_CPUID, 1n]]);
  });

  it('HLT exits (reason 12) only with HLT exiting', async () => {
    // the HLT is the guest's last instruction: the handler does not resume it
    const on = await run({ ...intel, guest: 'idle' }, (e, _d, vps) => e.ok('bf_vps_op_write32', e.handle, vps, VMCS_PRIMARY_PROC_CONTROLS, PROC_HLT_EXITING), () => {});
    expect(on.exits.map((x) => x.reason)).toEqual([BF_VMX_EXIT_HLT]);
    const off = await run({ ...intel, guest: 'idle' }, () => {});
    expect(off.exits).toEqual([]);
    expect(off.d.host.pps[0].state).toBe('halted');
  });

  it('a new VPS has MSR bitmaps on, at the kernel\'s zeroed page: no MSR exits until an extension asks', async () => {
    const fresh = await run({ ...intel, guest: 'msr' }, (e, _d, vps) => {
      expect(e.call('bf_vps_op_read32', e.handle, vps, VMCS_PRIMARY_PROC_CONTROLS, e.scratch(0))).toBe(0n);
      expect(e.u32(e.scratch(0)) & PROC_USE_MSR_BITMAPS).toBe(PROC_USE_MSR_BITMAPS);
    });
    expect(fresh.exits).toEqual([]);
    expect(fresh.d.guestLines()).toContain('wrmsr(IA32_TSC_AUX, 0x1234) then rdmsr=0x1234');
  });

  it('RDMSR/WRMSR exit (31/32) when MSR bitmaps are off, and not for MSRs clear in the bitmap', async () => {
    const off = await run({ ...intel, guest: 'msr' }, (e, _d, vps) => e.ok('bf_vps_op_write32', e.handle, vps, VMCS_PRIMARY_PROC_CONTROLS, 0));
    expect(off.exits.map((x) => x.reason)).toEqual([BF_VMX_EXIT_RDMSR, BF_VMX_EXIT_WRMSR, BF_VMX_EXIT_RDMSR]);

    const clear = await run({ ...intel, guest: 'msr' }, (e, _d, vps) => {
      e.ok('bf_vps_op_write32', e.handle, vps, VMCS_PRIMARY_PROC_CONTROLS, PROC_USE_MSR_BITMAPS);
      e.ok('bf_vps_op_write64', e.handle, vps, VMCS_MSR_BITMAP, bitmap(e, []));
    });
    expect(clear.exits).toEqual([]);
    expect(clear.d.guestLines()).toContain('wrmsr(IA32_TSC_AUX, 0x1234) then rdmsr=0x1234');

    // write bitmap for high MSRs at byte 3072: only the WRMSR of IA32_TSC_AUX exits
    const some = await run({ ...intel, guest: 'msr' }, (e, _d, vps) => {
      e.ok('bf_vps_op_write32', e.handle, vps, VMCS_PRIMARY_PROC_CONTROLS, PROC_USE_MSR_BITMAPS);
      e.ok('bf_vps_op_write64', e.handle, vps, VMCS_MSR_BITMAP, bitmap(e, [3072 * 8 + (IA32_TSC_AUX & 0x1fff)]));
    });
    expect(some.exits.map((x) => x.reason)).toEqual([BF_VMX_EXIT_WRMSR]);
  });
});
