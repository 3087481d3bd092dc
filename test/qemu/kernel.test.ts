// The firmware's microkernel under QEMU, driven over the wire frame by frame:
// syscalls decoded from registers and answered with the reference
// microkernel's statuses, its tables (STATE) byte for byte, the page pool,
// real MSRs, the dumps as CONSOLE frames, and the wire's own refusals.
import { parseState, type KernelState } from '../../host/backend/remote/state.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BF_SPEC_ID1_VAL, BF_STATUS_FAILURE_INVALID_HANDLE, BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_FAILURE_UNSUPPORTED,
  BF_STATUS_INVALID_PARAMS0, BF_STATUS_INVALID_PARAMS1, BF_STATUS_INVALID_PARAMS2, BF_STATUS_INVALID_PARAMS3,
  BF_STATUS_SUCCESS, BF_SYSCALLS, bf_reg_t, type SyscallName,
} from '../../host/abi/bf.js';
import { statusName } from '../../host/abi/status.js';
import { Link, LinkError } from '../../host/backend/remote/link.js';
import { ROOT } from '../../host/paths.js';
import type { Frame } from '../../host/wire/frame.js';
import { TYPE, u64 } from '../../host/wire/messages.js';
import { boot, detectAccel, start, type Session } from '../../qemu/qemu.js';

const IMAGE = join(ROOT, 'firmware', 'build', 'bfx.elf');
const T = 10_000;
const OK = BF_STATUS_SUCCESS;
const P0 = BF_STATUS_INVALID_PARAMS0;
const P1 = BF_STATUS_INVALID_PARAMS1;
const P2 = BF_STATUS_INVALID_PARAMS2;
const P3 = BF_STATUS_INVALID_PARAMS3;
const UNKNOWN = BF_STATUS_FAILURE_UNKNOWN;
const UNSUPPORTED = BF_STATUS_FAILURE_UNSUPPORTED;
const BAD_HANDLE = BF_STATUS_FAILURE_INVALID_HANDLE;
const PAGE_VIRT = 0x0000600000000000n;

const raxOf = (name: SyscallName): bigint => BF_SYSCALLS.find((s) => s.name === name)!.rax;

interface Answer {
  status: bigint;
  out: bigint[];
  /** the CONSOLE lines the firmware sent before the answer */
  console: string[];
}

/** STATE read by the host's own reader, with its bytes */
type State = KernelState & { bytes: Uint8Array };

/** a firmware in wire mode and the host's end of its link */
class Firmware {
  /** CONSOLE frames as they come: [ppid, text] */
  private readonly consoleLines: [number, string][] = [];

  private constructor(readonly session: Session, readonly link: Link) {
    link.onConsole = (ppid, text) => void this.consoleLines.push([ppid, text]);
  }

  static async boot(args = ''): Promise<Firmware> {
    const s = await start({ image: IMAGE, append: `wire${args ? ` ${args}` : ''}`, wire: true, timeoutMs: 60_000, name: `bfx-test-kernel-${process.pid}-${Date.now()}` });
    const fw = new Firmware(s, new Link(s.wire!));
    fw.hello = fw.link.hello(T);
    return fw;
  }

  hello!: ReturnType<Link['hello']>;

  /** a syscall by its register-level RAX */
  raw(rax: bigint, regs: bigint[] = [], ppid = 0): Answer {
    const p = new Uint8Array(64);
    const v = new DataView(p.buffer);
    v.setBigUint64(0, BigInt.asUintN(64, rax), true);
    regs.forEach((r, i) => v.setBigUint64(8 + 8 * i, BigInt.asUintN(64, r), true));
    v.setUint16(56, ppid, true);
    this.consoleLines.length = 0;
    const f = this.link.request(TYPE.SYSCALL, p, TYPE.SYSCALL_RESULT, T);
    expect(f.payload.length).toBe(56);
    const r = new DataView(f.payload.buffer, f.payload.byteOffset, 56);
    // the CONSOLE frames of a request come before its answer: all are in by now
    const console = this.consoleLines.map(([pp, text]) => {
      expect(pp, 'the processor the syscall ran on').toBe(ppid);
      return text;
    });
    return { status: r.getBigUint64(0, true), out: Array.from({ length: 6 }, (_, i) => r.getBigUint64(8 + 8 * i, true)), console };
  }

  call(name: SyscallName, ...regs: (bigint | number)[]): Answer {
    return this.raw(raxOf(name), regs.map(BigInt));
  }

  /** asserts the status, naming it on failure; the answer */
  expect(status: bigint, name: SyscallName, ...regs: (bigint | number)[]): Answer {
    const a = this.call(name, ...regs);
    expect(statusName(a.status), `${name}(${regs.join(', ')})`).toBe(statusName(status));
    return a;
  }

  ok(name: SyscallName, ...regs: (bigint | number)[]): bigint {
    return this.expect(OK, name, ...regs).out[0];
  }

  state(): State {
    const bytes = this.link.request(TYPE.STATE, undefined, TYPE.STATE, T).payload;
    return { ...parseState(bytes), bytes };
  }

  /** a request the firmware must refuse with an ERROR of this name */
  refused(type: number, payload: Uint8Array | undefined, error: string): void {
    expect(() => this.link.request(type, payload, TYPE.DONE, T)).toThrow(new RegExp(`refused frame \\d+: ${error}`));
  }

  pageWrite(phys: bigint, offset: number, bytes: Uint8Array, count = bytes.length): Frame {
    const p = new Uint8Array(12 + bytes.length);
    const v = new DataView(p.buffer);
    v.setBigUint64(0, phys, true);
    v.setUint16(8, offset, true);
    v.setUint16(10, count, true);
    p.set(bytes, 12);
    return this.link.request(TYPE.PAGE_WRITE, p, TYPE.DONE, T);
  }

  /** RUN: the guest runs until an EXIT or STOPPED, with the CONSOLE lines sent before it */
  run(ppid = 0): Run {
    this.consoleLines.length = 0;
    const f = this.link.request(TYPE.RUN, new Uint8Array([ppid & 0xff, ppid >> 8]), [TYPE.EXIT, TYPE.STOPPED], 60_000);
    const v = new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.length);
    const console = this.consoleLines.map(([, text]) => text);
    expect(v.getUint16(0, true), 'the processor').toBe(ppid);
    if (f.type === TYPE.STOPPED) {
      expect(f.payload.at(-1), 'why ends with a NUL').toBe(0);
      return { kind: 'stopped', vps: v.getUint16(2, true), how: f.payload[4], why: new TextDecoder().decode(f.payload.subarray(6, -1)), console };
    }
    const q = (i: number) => v.getBigUint64(8 + 8 * i, true);
    // a CPUID exit carries the processor's own answer to the guest's leaf and subleaf
    expect(f.payload.length).toBe(q(0) === 0x72n ? 104 : 88);
    const native = f.payload.length === 104 ? [0, 1, 2, 3].map((i) => v.getUint32(88 + 4 * i, true)) : undefined;
    return { kind: 'exit', vps: v.getUint16(2, true), reason: q(0), info1: q(1), info2: q(2), rax: q(3), rbx: q(4), rcx: q(5), rdx: q(6), rsi: q(7), rdi: q(8), rip: q(9), native, console };
  }

  async bye(): Promise<string[]> {
    this.link.bye();
    const r = await this.session.result;
    expect(r.verdict, r.serial.join('\n')).toBe('pass');
    return r.serial;
  }
}

type Run =
  | { kind: 'exit'; vps: number; reason: bigint; info1: bigint; info2: bigint; rax: bigint; rbx: bigint; rcx: bigint; rdx: bigint; rsi: bigint; rdi: bigint; rip: bigint; native?: number[]; console: string[] }
  | { kind: 'stopped'; vps: number; how: number; why: string; console: string[] };

const u32s = (...n: number[]): Uint8Array => new Uint8Array(new Uint32Array(n).buffer);

describe('the firmware microkernel: syscalls over the wire', () => {
  it('opens up to 8 handles, closes them, and checks the handle of every call', async () => {
    const fw = await Firmware.boot();
    fw.expect(UNSUPPORTED, 'bf_handle_op_open_handle', 0x1234);
    fw.expect(P0, 'bf_handle_op_open_handle', BigInt(BF_SPEC_ID1_VAL) | (1n << 32n));
    const opened = Array.from({ length: 8 }, () => fw.ok('bf_handle_op_open_handle', BF_SPEC_ID1_VAL));
    expect(opened).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
    fw.expect(UNKNOWN, 'bf_handle_op_open_handle', BF_SPEC_ID1_VAL);
    fw.ok('bf_handle_op_close_handle', 3);
    fw.expect(BAD_HANDLE, 'bf_handle_op_close_handle', 3);
    for (const h of [0n, 9n, 1n << 63n]) fw.expect(BAD_HANDLE, 'bf_handle_op_close_handle', h);
    fw.expect(BAD_HANDLE, 'bf_vm_op_create_vm', 3);
    fw.expect(BAD_HANDLE, 'bf_vm_op_destroy_vm', 3, 0x10000); // the handle is judged first
    expect(fw.ok('bf_handle_op_open_handle', BF_SPEC_ID1_VAL)).toBe(3n);
    expect(fw.state().handles).toEqual(Array(8).fill(true));
    await fw.bye();
  });

  it('creates and destroys VMs, VPs and VPSs; destroying one in use leaves a zombie that is never reused', async () => {
    const fw = await Firmware.boot();
    const h = fw.ok('bf_handle_op_open_handle', BF_SPEC_ID1_VAL);
    const empty = fw.state();
    expect(fw.ok('bf_vm_op_create_vm', h)).toBe(0n);
    expect(fw.ok('bf_vp_op_create_vp', h, 0)).toBe(0n);
    expect(fw.ok('bf_vps_op_create_vps', h, 0, 0)).toBe(0n);

    fw.expect(UNKNOWN, 'bf_vm_op_destroy_vm', h, 0); // it has a VP: a zombie
    fw.expect(P1, 'bf_vm_op_destroy_vm', h, 0); // a later destroy is ignored
    fw.expect(P1, 'bf_vp_op_create_vp', h, 0); // nothing is made in a zombie
    expect(fw.ok('bf_vm_op_create_vm', h)).toBe(1n); // and it is not reused

    fw.expect(UNKNOWN, 'bf_vp_op_destroy_vp', h, 0); // it has a VPS
    fw.expect(P1, 'bf_vps_op_create_vps', h, 0, 0);
    fw.ok('bf_vps_op_destroy_vps', h, 0); // not loaded anywhere: freed
    fw.expect(P1, 'bf_vps_op_destroy_vps', h, 0);
    fw.expect(P1, 'bf_vp_op_destroy_vp', h, 0);

    expect(fw.ok('bf_vp_op_create_vp', h, 1)).toBe(1n);
    fw.ok('bf_vp_op_destroy_vp', h, 1);
    expect(fw.ok('bf_vp_op_create_vp', h, 1)).toBe(1n); // a freed one is

    const s = fw.state();
    expect(s.vm.slice(0, 3)).toEqual([2, 1, 0]);
    expect(s.vp.slice(0, 3)).toEqual([{ state: 2, vm: 0 }, { state: 1, vm: 1 }, { state: 0, vm: 0 }]);
    expect(s.vps[0]).toEqual({ state: 0, vp: 0, pp: 0 });
    expect(s.pp).toEqual([{ state: 0, vm: 0xffff, vp: 0xffff, vps: 0xffff }]);
    expect(s.archCrc, 'a freed VPS leaves its control block as it found it').toBe(empty.archCrc);
    expect(fw.call('bf_debug_op_dump_vm', h, 0).console).toEqual(['vm 0: zombie, vps [0], active on pps []']);
    expect(fw.call('bf_debug_op_dump_vp', h, 0).console).toEqual(['vp 0: zombie, vm 0, vpss []']);
    await fw.bye();
  });

  it('answers INVALID_PARAMSn for the first bad argument, a wide register included', async () => {
    const fw = await Firmware.boot();
    const h = fw.ok('bf_handle_op_open_handle', BF_SPEC_ID1_VAL);
    const vm = fw.ok('bf_vm_op_create_vm', h);
    const vp = fw.ok('bf_vp_op_create_vp', h, vm);
    const vps = fw.ok('bf_vps_op_create_vps', h, vp, 0);
    const wide = 1n << 16n;
    const before = fw.state().bytes;

    for (const id of [5n, 0xffffn, wide | vm]) fw.expect(P1, 'bf_vp_op_create_vp', h, id);
    fw.expect(P1, 'bf_vps_op_create_vps', h, wide | vp, 0);
    fw.expect(P2, 'bf_vps_op_create_vps', h, vp, 1); // one processor
    fw.expect(P2, 'bf_vps_op_create_vps', h, vp, wide);
    fw.expect(P1, 'bf_vm_op_destroy_vm', h, wide | vm);
    fw.expect(P1, 'bf_vp_op_destroy_vp', h, wide | vp);
    fw.expect(P1, 'bf_vps_op_destroy_vps', h, wide | vps);
    fw.expect(P1, 'bf_vps_op_init_as_root', h, wide | vps);
    fw.expect(P1, 'bf_vps_op_read64', h, wide | vps, 0x58);
    fw.expect(P2, 'bf_vps_op_read64', h, vps, 4096);
    fw.expect(P2, 'bf_vps_op_read32', h, vps, 0x5a); // misaligned
    fw.expect(P2, 'bf_vps_op_read8', h, vps, 1n << 40n);
    fw.expect(P3, 'bf_vps_op_write32', h, vps, 0x58, 1n << 32n);
    fw.expect(P3, 'bf_vps_op_write8', h, vps, 0x58, 0x100);
    fw.expect(P2, 'bf_vps_op_write32', h, vps, 0x5a, 1n << 32n); // the index is argument 2: first
    fw.expect(P2, 'bf_vps_op_read_reg', h, vps, 73);
    fw.expect(P2, 'bf_vps_op_write_reg', h, vps, 1n << 40n, 0);
    fw.expect(P1, 'bf_vps_op_advance_ip', h, 9);
    fw.expect(P1, 'bf_vps_op_promote', h, wide | vps);

    fw.expect(P1, 'bf_vps_op_run', h, 9, vp, vm);
    fw.expect(P2, 'bf_vps_op_run', h, vps, 9, vm);
    fw.expect(P3, 'bf_vps_op_run', h, vps, vp, 9);
    fw.expect(P3, 'bf_vps_op_run', h, vps, vp, wide | vm);
    const vm2 = fw.ok('bf_vm_op_create_vm', h);
    const vp2 = fw.ok('bf_vp_op_create_vp', h, vm);
    fw.expect(P2, 'bf_vps_op_run', h, vps, vp, vm2); // the VP is not of that VM
    fw.expect(P1, 'bf_vps_op_run', h, vps, vp2, vm); // the VPS is not of that VP
    fw.ok('bf_vp_op_destroy_vp', h, vp2);
    fw.ok('bf_vm_op_destroy_vm', h, vm2);
    fw.expect(UNKNOWN, 'bf_vps_op_run_current', h); // nothing loaded
    fw.expect(P1, 'bf_vps_op_advance_ip_and_run_current', h, vps); // not what is loaded here

    fw.expect(P1, 'bf_intrinsic_op_read_msr', h, 1n << 32n);
    fw.expect(P1, 'bf_intrinsic_op_write_msr', h, (1n << 32n) | 0x277n, 0);
    fw.expect(P1, 'bf_mem_op_free_page', h, PAGE_VIRT);
    fw.expect(P1, 'bf_mem_op_virt_to_phys', h, 0x1234);
    fw.expect(P1, 'bf_debug_op_dump_vm', h, 7);
    fw.expect(P1, 'bf_debug_op_dump_vp', h, wide | vp);
    fw.expect(P1, 'bf_debug_op_dump_vps', h, 0xffff);
    fw.expect(P1, 'bf_debug_op_dump_vmexit_log', h, 3);
    expect(fw.state().bytes, 'no refusal changed anything').toEqual(before);
    await fw.bye();
  });

  it('answers FAILURE_UNSUPPORTED for what the host answers itself and for any unknown RAX', async () => {
    const fw = await Firmware.boot();
    const h = fw.ok('bf_handle_op_open_handle', BF_SPEC_ID1_VAL);
    const names: SyscallName[] = ['bf_control_op_exit', 'bf_debug_op_out', 'bf_debug_op_write_c', 'bf_debug_op_write_str',
      'bf_callback_op_wait', 'bf_callback_op_register_bootstrap', 'bf_callback_op_register_vmexit', 'bf_callback_op_register_fail'];
    for (const name of names) {
      expect(BF_SYSCALLS.find((s) => s.name === name)!.where).toBe('host');
      fw.expect(UNSUPPORTED, name, h, 0, 0);
    }
    const createVm = raxOf('bf_vm_op_create_vm');
    for (const rax of [
      0x6642000000090000n, // no op 9
      0x6642000000040005n, // no index 5 of op 4
      0x6642000000080002n, // a mem index the ABI skips
      createVm ^ (1n << 48n), // another signature
      createVm | (1n << 32n), // flags
      createVm & 0xffffffffn, // no signature
    ]) {
      expect(statusName(fw.raw(rax, [h]).status), `rax 0x${rax.toString(16)}`).toBe(statusName(UNSUPPORTED));
    }
    expect(fw.state().vm.every((s) => s === 0), 'nothing was created').toBe(true);
    await fw.bye();
  });

  it('lowers its limits from the command line, says so in the hello, and a failed create leaves STATE byte for byte', async () => {
    const fw = await Firmware.boot('vms=2 vps=3 pages=2');
    expect(fw.hello.limits).toEqual({ pps: 1, vms: 2, vps: 3, vpss: 16, pages: 2 });
    const h = fw.ok('bf_handle_op_open_handle', BF_SPEC_ID1_VAL);
    const fresh = fw.state();
    expect(fresh.limits).toEqual({ vms: 2, vps: 3, vpss: 16, pps: 1, pages: 2, handles: 8 });
    expect(fresh.bytes.length).toBe(12 + 8 + 2 + 3 * 3 + 5 * 16 + 7 * 1 + 2 + 8);
    expect(fw.ok('bf_vm_op_create_vm', h)).toBe(0n);
    expect(fw.ok('bf_vm_op_create_vm', h)).toBe(1n);
    const two = fw.state();
    expect(two.bytes).not.toEqual(fresh.bytes);
    fw.expect(UNKNOWN, 'bf_vm_op_create_vm', h);
    expect(fw.state().bytes).toEqual(two.bytes);
    for (let i = 0; i < 3; i++) fw.ok('bf_vp_op_create_vp', h, 1);
    const full = fw.state();
    fw.expect(UNKNOWN, 'bf_vp_op_create_vp', h, 1);
    fw.expect(P1, 'bf_vp_op_destroy_vp', h, 3); // past the limit in effect, though the pool has it
    fw.expect(P1, 'bf_debug_op_dump_vm', h, 2);
    fw.ok('bf_mem_op_alloc_page', h);
    fw.ok('bf_mem_op_alloc_page', h);
    const pages = fw.state();
    fw.expect(UNKNOWN, 'bf_mem_op_alloc_page', h);
    expect(fw.state().bytes).toEqual(pages.bytes);
    expect(pages.pages).toEqual([true, true]);
    expect(full.vp.map((v) => v.vm)).toEqual([1, 1, 1]);
    await fw.bye();
  });

  it('refuses a bad option on the console and ends with status 2', async () => {
    for (const [args, line] of [
      ['vms=0', 'bfx firmware: bad option "vms=0": the value must be a whole number from 1 to 16, the most the image is built for'],
      ['pages=65', 'bfx firmware: bad option "pages=65": the value must be a whole number from 1 to 64, the most the image is built for'],
      ['pps=2', 'bfx firmware: bad option "pps=2": the value must be a whole number from 1 to 1, the most the image is built for'],
      ['vpss=1x', 'bfx firmware: bad option "vpss=1x": the value must be a whole number from 1 to 16, the most the image is built for'],
      ['cows=3', 'bfx firmware: bad option "cows=3": no option has this name; the names are vms, vps, vpss, pages, pps, guest'],
      ['vms', 'bfx firmware: bad option "vms": an option is NAME=VALUE; the names are vms, vps, vpss, pages, pps, guest'],
    ]) {
      const r = await boot({ image: IMAGE, append: `wire vms=4 ${args}`, timeoutMs: 30_000 });
      expect([r.verdict, r.code], args).toEqual(['fail', 2]);
      expect(r.serial.at(-1)).toBe(line);
    }
  });

  it('hands out pages from its pool, takes bytes into them, and zeroes them when freed', async () => {
    const fw = await Firmware.boot();
    const h = fw.ok('bf_handle_op_open_handle', BF_SPEC_ID1_VAL);
    const fresh = fw.state();
    const a = fw.expect(OK, 'bf_mem_op_alloc_page', h).out;
    const b = fw.expect(OK, 'bf_mem_op_alloc_page', h).out;
    expect(a[0]).toBe(PAGE_VIRT);
    expect(b[0]).toBe(PAGE_VIRT + 4096n);
    expect(a[1] % 4096n).toBe(0n);
    expect(a[1]).toBeGreaterThan(0x100000n); // in the firmware's own memory
    expect(b[1]).toBe(a[1] + 4096n);
    expect(fw.ok('bf_mem_op_virt_to_phys', h, b[0])).toBe(b[1]);
    fw.expect(P1, 'bf_mem_op_virt_to_phys', h, b[0] + 8n);
    fw.expect(P1, 'bf_mem_op_virt_to_phys', h, PAGE_VIRT + 2n * 4096n); // not allocated
    const allocated = fw.state();
    expect(allocated.pages.slice(0, 3)).toEqual([true, true, false]);
    expect(allocated.pagesCrc).toBe(fresh.pagesCrc); // zeroed pages

    expect(fw.pageWrite(b[1], 4093, new Uint8Array([1, 2, 3])).payload.length).toBe(0);
    const written = fw.state();
    expect(written.pagesCrc).not.toBe(allocated.pagesCrc);
    fw.refused(TYPE.PAGE_WRITE, undefined, 'BAD_PAYLOAD');
    expect(() => fw.pageWrite(b[1], 4094, new Uint8Array([1, 2, 3]))).toThrow(/BAD_PAYLOAD/); // past its end
    expect(() => fw.pageWrite(b[1] + 4096n, 0, new Uint8Array([1]))).toThrow(/BAD_PAYLOAD/); // not allocated
    expect(() => fw.pageWrite(b[1] + 16n, 0, new Uint8Array([1]))).toThrow(/BAD_PAYLOAD/); // not a page's address
    expect(() => fw.pageWrite(0x1000n, 0, new Uint8Array([1]))).toThrow(/BAD_PAYLOAD/); // not the pool's
    expect(() => fw.pageWrite(b[1], 0, new Uint8Array([1, 2]), 3)).toThrow(/BAD_PAYLOAD/); // the count says 3
    expect(fw.state().bytes).toEqual(written.bytes);

    fw.ok('bf_mem_op_free_page', h, a[0]);
    fw.expect(P1, 'bf_mem_op_free_page', h, a[0]);
    fw.ok('bf_mem_op_free_page', h, b[0]);
    expect(fw.state().bytes, 'freed pages are zero again').toEqual(fresh.bytes);
    expect(fw.expect(OK, 'bf_mem_op_alloc_page', h).out).toEqual([a[0], a[1], 0n, 0n, 0n, 0n]);
    await fw.bye();
  });

  it('reads and writes the real MSRs; one the processor refuses answers FAILURE_UNKNOWN and the firmware stays up', async () => {
    const fw = await Firmware.boot();
    const h = fw.ok('bf_handle_op_open_handle', BF_SPEC_ID1_VAL);
    const efer = fw.ok('bf_intrinsic_op_read_msr', h, 0xc0000080);
    expect((efer >> 8n) & 1n, 'EFER.LME').toBe(1n);
    expect((efer >> 10n) & 1n, 'EFER.LMA').toBe(1n);
    const pat = fw.ok('bf_intrinsic_op_read_msr', h, 0x277);
    fw.ok('bf_intrinsic_op_write_msr', h, 0x277, pat);
    fw.ok('bf_intrinsic_op_write_msr', h, 0xc0000103, 0x1234); // IA32_TSC_AUX
    expect(fw.ok('bf_intrinsic_op_read_msr', h, 0xc0000103)).toBe(0x1234n);
    const hsave = fw.ok('bf_intrinsic_op_read_msr', h, 0xc0010117);
    fw.expect(UNKNOWN, 'bf_intrinsic_op_write_msr', h, 0xc0010117, 0x123); // VM_HSAVE_PA not page-aligned: #GP
    expect(fw.ok('bf_intrinsic_op_read_msr', h, 0xc0010117)).toBe(hsave);
    // an MSR no processor has (a KVM one): #GP on hardware; QEMU's TCG reads it as 0 and drops writes
    const noSuchMsr = 0x4b564d99;
    if (detectAccel().kind === 'tcg') expect(fw.expect(OK, 'bf_intrinsic_op_read_msr', h, noSuchMsr).out[0]).toBe(0n);
    else fw.expect(UNKNOWN, 'bf_intrinsic_op_read_msr', h, noSuchMsr);
    const f = fw.link.request(TYPE.HEARTBEAT, u64(7n), TYPE.HEARTBEAT, T);
    expect(f.payload).toEqual(u64(7n));
    const serial = await fw.bye();
    expect(serial.filter((l) => l.includes('exception'))).toEqual([]);
  });

  it('answers CPUID as the processor does', async () => {
    const fw = await Firmware.boot();
    const cpuid = (leaf: number, sub = 0) => Array.from(new Uint32Array(fw.link.request(TYPE.CPUID, u32s(leaf, sub), TYPE.CPUID, T).payload.slice().buffer));
    const [, ebx, ecx, edx] = cpuid(0);
    expect(new TextDecoder().decode(u32s(ebx, edx, ecx))).toBe('AuthenticAMD');
    expect((cpuid(0x80000001)[2] >> 2) & 1, 'SVM').toBe(1);
    expect(cpuid(0x8000000a)[3] & 1, 'nested paging').toBe(1);
    fw.refused(TYPE.CPUID, u32s(0), 'BAD_PAYLOAD');
    await fw.bye();
  });

  it('prints the dumps as CONSOLE frames before the answer, line for line as the sim', async () => {
    const fw = await Firmware.boot();
    const h = fw.ok('bf_handle_op_open_handle', BF_SPEC_ID1_VAL);
    const vm = fw.ok('bf_vm_op_create_vm', h);
    fw.ok('bf_vp_op_create_vp', h, vm);
    const vp = fw.ok('bf_vp_op_create_vp', h, vm);
    fw.ok('bf_vps_op_create_vps', h, vp, 0);
    const vps = fw.ok('bf_vps_op_create_vps', h, vp, 0);
    expect(fw.expect(OK, 'bf_debug_op_dump_vm', h, vm).console).toEqual(['vm 0: live, vps [0, 1], active on pps []']);
    expect(fw.expect(OK, 'bf_debug_op_dump_vp', h, vp).console).toEqual(['vp 1: live, vm 0, vpss [0, 1]']);
    expect(fw.expect(OK, 'bf_debug_op_dump_vmexit_log', h, vp).console).toEqual(['vmexit log of vp 1: last 0']);
    fw.ok('bf_vps_op_write_reg', h, vps, bf_reg_t.rbx, 0x1234);
    const lines = fw.expect(OK, 'bf_debug_op_dump_vps', h, vps).console;
    expect(lines[0]).toBe('vps 1: live, vp 1, pp 0');
    expect(lines[1]).toBe('  rax                  0x0000000000000000');
    expect(lines[2]).toBe('  rbx                  0x0000000000001234');
    expect(lines[73]).toMatch(/^ {2}ia32_debugctl {8}0x[0-9a-f]{16}$/);
    expect(lines.length, 'the arch adds its fields').toBeGreaterThan(74);
    for (const l of lines.slice(1)) expect(l).toMatch(/^ {2}.{20,} 0x[0-9a-f]{16}$/); // padEnd(20): longer names go unpadded
    expect(fw.expect(P1, 'bf_debug_op_dump_vps', h, 5).console).toEqual([]);
    await fw.bye();
  });

  it('refuses frames it cannot take: wrong sizes, a processor it lacks, RUN with nothing to run', async () => {
    const fw = await Firmware.boot();
    fw.refused(TYPE.SYSCALL, new Uint8Array(56), 'BAD_PAYLOAD');
    const p = new Uint8Array(64);
    new DataView(p.buffer).setBigUint64(0, raxOf('bf_vm_op_create_vm'), true);
    p[56] = 1; // ppid 1
    fw.refused(TYPE.SYSCALL, p, 'BAD_PAYLOAD');
    p[56] = 0;
    p[63] = 1; // the padding
    fw.refused(TYPE.SYSCALL, p, 'BAD_PAYLOAD');
    fw.refused(TYPE.RUN, new Uint8Array(2), 'BAD_STATE');
    fw.refused(TYPE.RUN, new Uint8Array([1, 0]), 'BAD_PAYLOAD');
    fw.refused(TYPE.RUN, new Uint8Array(4), 'BAD_PAYLOAD');
    fw.refused(TYPE.STATE, new Uint8Array(1), 'BAD_PAYLOAD');
    fw.refused(TYPE.BENCH_CPUID, new Uint8Array(8), 'BAD_PAYLOAD');
    fw.refused(TYPE.BYE, new Uint8Array(1), 'BAD_PAYLOAD');
    expect(fw.state().vm.every((s) => s === 0)).toBe(true);
    await fw.bye();
  });

  it('an exception in the firmware: a FAIL frame naming it, and status 3', async () => {
    const s = await start({ image: IMAGE, append: 'wire-fault', wire: true, timeoutMs: 30_000 });
    const link = new Link(s.wire!);
    let e: unknown;
    try {
      link.hello(T); // the FAIL may come in the same read as the HELLO
      link.request(TYPE.HEARTBEAT, u64(1n), TYPE.HEARTBEAT, T);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(LinkError);
    expect((e as LinkError).problem).toBe('FAILED');
    expect((e as LinkError).message).toMatch(/^the firmware failed: exception 6 \(error code 0x0\) at rip 0x[0-9a-f]+: #UD invalid opcode$/);
    const r = await s.result;
    expect([r.verdict, r.code]).toEqual(['fail', 3]);
    expect(r.serial.at(-1)).toMatch(/^bfx firmware: exception #UD invalid opcode, error code 0x0+, at rip 0x[0-9a-f]{16}; the firmware stops$/);
  });
});

/** a VM, a VP and a VPS on processor 0 with the root guest loaded */
function world(fw: Firmware) {
  const h = fw.ok('bf_handle_op_open_handle', BF_SPEC_ID1_VAL);
  const vm = fw.ok('bf_vm_op_create_vm', h);
  const vp = fw.ok('bf_vp_op_create_vp', h, vm);
  const vps = fw.ok('bf_vps_op_create_vps', h, vp, 0);
  fw.ok('bf_vps_op_init_as_root', h, vps);
  return { h, vm, vp, vps };
}

const VMCB_MISC1 = 0x00c;
const VMCB_MISC2 = 0x010;
const VMCB_ASID = 0x058;
const hex64 = (n: bigint) => `0x${n.toString(16).padStart(16, '0')}`;

describe('the firmware microkernel: the root guest under SVM', () => {
  it('RUN enters the guest: each CPUID exit an EXIT frame and an exit log entry, the halt a STOPPED frame', async () => {
    const fw = await Firmware.boot('guest=cpuid');
    const { h, vm, vp, vps } = world(fw);
    expect(fw.ok('bf_vps_op_read_reg', h, vps, bf_reg_t.rsp)).toBe(0x80000n);
    expect(fw.ok('bf_vps_op_read_reg', h, vps, bf_reg_t.cr3)).toBe(0x1000n);
    fw.ok('bf_vps_op_write32', h, vps, VMCB_MISC1, 1 << 18); // CPUID
    fw.ok('bf_vps_op_write32', h, vps, VMCB_MISC2, 1); // VMRUN
    fw.ok('bf_vps_op_write32', h, vps, VMCB_ASID, 1);
    expect(() => fw.run()).toThrow(/BAD_STATE/); // nothing is ready yet
    fw.ok('bf_vps_op_run', h, vps, vp, vm);
    expect(fw.state().pp).toEqual([{ state: 1, vm: Number(vm), vp: Number(vp), vps: Number(vps) }]);
    fw.refused(TYPE.BENCH_CPUID, u32s(10), 'BAD_STATE'); // not under a guest the host runs

    const leaves: bigint[] = [];
    const rips: bigint[] = [];
    let r = fw.run();
    while (r.kind === 'exit') {
      expect(r.vps).toBe(Number(vps));
      expect(hex64(r.reason)).toBe(hex64(0x72n));
      expect(fw.state().pp[0].state, 'exited').toBe(2);
      leaves.push(r.rax);
      rips.push(r.rip);
      // the answer that came with the exit is the one CPUID gives when asked
      const asked = fw.link.request(TYPE.CPUID, new Uint8Array(new Uint32Array([Number(r.rax), Number(r.rcx & 0xffffffffn)]).buffer), TYPE.CPUID, 10_000).payload;
      expect(r.native).toEqual([0, 1, 2, 3].map((i) => new DataView(asked.buffer, asked.byteOffset, 16).getUint32(4 * i, true)));
      fw.ok('bf_vps_op_advance_ip_and_run_current', h, vps);
      expect(fw.ok('bf_vps_op_read_reg', h, vps, bf_reg_t.rip)).toBe(r.rip + 2n);
      r = fw.run();
    }
    expect(leaves).toEqual([0n, 0x40000000n, 1n]);
    expect(r).toMatchObject({ kind: 'stopped', vps: Number(vps), how: 1 });
    expect(fw.state().pp[0].state, 'done').toBe(4);
    expect(() => fw.run()).toThrow(/BAD_STATE/);

    const log = fw.expect(OK, 'bf_debug_op_dump_vmexit_log', h, vp).console;
    expect(log[0]).toBe(`vmexit log of vp ${vp}: last 3`);
    expect(log.slice(1).map((l) => l.replace(/ info1 .* rip /, ' … rip '))).toEqual(rips.map((rip) => `  vps ${vps} reason ${hex64(0x72n)} … rip ${hex64(rip)}`));
    const dump = fw.expect(OK, 'bf_debug_op_dump_vps', h, vps).console;
    expect(dump).toContain(`  exitcode (0x070)     ${hex64(0x72n)}`);
    expect(fw.expect(OK, 'bf_debug_op_dump_vm', h, vm).console).toEqual([`vm ${vm}: live, vps [${vp}], active on pps [0]`]);

    fw.expect(UNKNOWN, 'bf_vps_op_destroy_vps', h, vps); // still loaded on the processor: a zombie
    expect(fw.state().vps[Number(vps)].state).toBe(2);
    const serial = await fw.bye();
    expect(serial).toContain('hello from pp 0');
  });

  it('a VMCB the processor refuses (ASID 0): an EXIT with VMEXIT_INVALID, said on the console and logged', async () => {
    const fw = await Firmware.boot('guest=cpuid');
    const { h, vm, vp, vps } = world(fw);
    fw.ok('bf_vps_op_write32', h, vps, VMCB_MISC2, 1);
    fw.ok('bf_vps_op_run', h, vps, vp, vm);
    const r = fw.run();
    expect(r).toMatchObject({ kind: 'exit', reason: 0xffffffffffffffffn, console: [`vps ${vps} cannot be entered: the guest ASID (VMCB 0x058) is 0`] });
    expect(fw.ok('bf_vps_op_read64', h, vps, 0x070)).toBe(0xffffffffffffffffn);
    expect(fw.expect(OK, 'bf_debug_op_dump_vmexit_log', h, vp).console[0]).toBe(`vmexit log of vp ${vp}: last 1`);
    await fw.bye();
  });

  it('promote: the guest runs on with no intercepts of the extension until it halts', async () => {
    const fw = await Firmware.boot('guest=cpuid');
    const { h, vps } = world(fw);
    fw.ok('bf_vps_op_promote', h, vps);
    expect(fw.state().pp[0].state).toBe(3);
    expect(fw.run()).toMatchObject({ kind: 'stopped', vps: Number(vps), how: 3 });
    expect(fw.state().pp[0].state).toBe(4);
    const serial = await fw.bye();
    expect(serial.some((l) => l.includes('AuthenticAMD')), serial.join('\n')).toBe(true);
  });

  it('BENCH_CPUID: the firmware answers the guest\'s CPUIDs itself and counts them', async () => {
    const fw = await Firmware.boot();
    const f = fw.link.request(TYPE.BENCH_CPUID, u32s(1000), TYPE.BENCH_CPUID, 60_000);
    expect(new DataView(f.payload.buffer, f.payload.byteOffset, 8).getBigUint64(0, true)).toBe(1000n);
    expect(fw.state().pp[0].state, 'the processor is left as it was').toBe(0);
    await fw.bye();
  });

  it('guest= names a scenario; an unknown one is refused like any bad option', async () => {
    const r = await boot({ image: IMAGE, append: 'wire guest=nonsense', timeoutMs: 30_000 });
    expect([r.verdict, r.code]).toEqual(['fail', 2]);
    expect(r.serial.at(-1)).toMatch(/^bfx firmware: bad option "guest=nonsense": .*nonsense/);
  });
});
