// Drives the real host, boundary and backend from a conformance case: the
// driver extension (see source.ts) is a real WebAssembly module whose
// exports are the raw syscall imports, and whose callbacks call back into
// the case.
import {
  BF_SPEC_ID1_VAL, BF_STATUS_SUCCESS, BF_SYSCALLS, type SyscallName,
} from '../../abi/bf.js';
import { statusName } from '../../abi/status.js';
import type { Microkernel } from '../../backend/microkernel.js';
import type { SimOptions } from '../../backend/sim/sim.js';
import { ExtensionExit } from '../../boundary/guard.js';
import { Host, type OutputLine } from '../../run/host.js';
import type { Extension, ExtensionOptions } from '../../sandbox/extension.js';
import { ExtensionAbort } from '../../sandbox/trap.js';
import type { Backend } from '../backends.js';
import { driverModule } from './build.js';
import { DRIVER_NAMESPACE } from './source.js';

const wasmTypes = new Map(BF_SYSCALLS.map((s) => [s.name, s.wasm]));

type Handlers = {
  main?: (version: number) => void;
  bootstrap?: (ppid: number) => void;
  vmexit?: (vpsid: number, reason: bigint) => void;
  fail?: (status: bigint) => void;
};

export class DriverExt {
  readonly on: Handlers = {};
  ext!: Extension;
  handle = 0n;

  get x(): Record<string, (...args: unknown[]) => unknown> {
    return this.ext.instance!.exports as Record<string, (...args: unknown[]) => unknown>;
  }

  /** a global the driver exports: a callback's table slot, or SCRATCH */
  slot(name: 'BOOTSTRAP' | 'VMEXIT' | 'FAIL' | 'WRONG_ARITY' | 'SWAPPED_TYPES' | 'SCRATCH'): number {
    return (this.ext.instance!.exports[name] as WebAssembly.Global).value as number;
  }

  /** 256 bytes for outputs; scratch(n) is 8-aligned slot n */
  scratch(n = 0): number {
    return this.slot('SCRATCH') + 8 * n;
  }

  /** a syscall through the driver's WebAssembly export; numbers become BigInt where the ABI passes i64 */
  call(name: SyscallName, ...args: (number | bigint)[]): bigint {
    const types = wasmTypes.get(name)!;
    const conv = args.map((a, i) => (types[i] === 'i64' ? BigInt(a) : Number(a)));
    return BigInt.asUintN(64, this.x[`${name}_impl`](...conv) as bigint);
  }

  u8(ptr: number): number { return this.ext.memory.u8[ptr]; }
  u16(ptr: number): number { return this.ext.memory.u16[ptr >>> 1]; }
  u32(ptr: number): number { return this.ext.memory.u32[ptr >>> 2]; }
  u64(ptr: number): bigint { return this.ext.memory.u64[ptr >>> 3]; }

  /** the call must succeed; returns its first output as a number (IDs) */
  ok(name: SyscallName, ...args: (number | bigint)[]): void {
    const st = this.call(name, ...args);
    if (st !== BF_STATUS_SUCCESS) throw new Error(`${name} returned ${statusName(st)}`);
  }

  /** the call must fail with exactly this status */
  fails(name: SyscallName, status: bigint, ...args: (number | bigint)[]): void {
    const st = this.call(name, ...args);
    if (st !== status) throw new Error(`${name} returned ${statusName(st)}, not ${statusName(status)}`);
  }

  /** bytes into the extension's memory at ptr */
  write(ptr: number, bytes: Uint8Array): void {
    this.ext.memory.u8.set(bytes, ptr);
  }

  /** a NUL-terminated UTF-8 string into the extension's memory at ptr */
  cstr(ptr: number, text: string): void {
    this.write(ptr, new Uint8Array([...new TextEncoder().encode(text), 0]));
  }

  /** opens the handle and nothing more: what an entry point that registers callbacks itself starts with */
  open(): bigint {
    this.ok('bf_handle_op_open_handle', BF_SPEC_ID1_VAL, this.scratch(6));
    this.handle = BigInt.asIntN(64, this.u64(this.scratch(6)));
    return this.handle;
  }

  createVm(): number {
    this.ok('bf_vm_op_create_vm', this.handle, this.scratch(7));
    return this.u16(this.scratch(7));
  }

  createVp(vmid: number): number {
    this.ok('bf_vp_op_create_vp', this.handle, vmid, this.scratch(7));
    return this.u16(this.scratch(7));
  }

  createVps(vpid: number, ppid: number): number {
    this.ok('bf_vps_op_create_vps', this.handle, vpid, ppid, this.scratch(7));
    return this.u16(this.scratch(7));
  }

  readReg(vpsid: number, reg: number): bigint {
    this.ok('bf_vps_op_read_reg', this.handle, vpsid, reg, this.scratch(7));
    return this.u64(this.scratch(7));
  }

  writeReg(vpsid: number, reg: number, value: bigint): void {
    this.ok('bf_vps_op_write_reg', this.handle, vpsid, reg, value);
  }

  /** a page from bf_mem_op_alloc_page: its address in the extension's memory and its physical address */
  allocPage(): { virt: number; phys: bigint } {
    this.ok('bf_mem_op_alloc_page', this.handle, this.scratch(5), this.scratch(4));
    return { virt: Number(this.u64(this.scratch(5))), phys: this.u64(this.scratch(4)) };
  }

  /** what the default entry point does: open the handle, register every callback, wait */
  openAndWait(): void {
    this.open();
    this.ok('bf_callback_op_register_bootstrap', this.handle, this.slot('BOOTSTRAP'));
    this.ok('bf_callback_op_register_vmexit', this.handle, this.slot('VMEXIT'));
    this.ok('bf_callback_op_register_fail', this.handle, this.slot('FAIL'));
    this.ok('bf_callback_op_wait', this.handle);
  }
}

/**
 * Whether an exception thrown out of a test's handler is the test's own (a
 * failed expect, a failed ok()), as opposed to what a handler does on
 * purpose to the extension: exit, trap, abort.
 */
function testError(e: unknown): boolean {
  return !(e instanceof ExtensionExit) && !(e instanceof WebAssembly.RuntimeError) && !(e instanceof ExtensionAbort)
    && !(e instanceof RangeError && /call stack/.test(e.message));
}

export class Driver {
  readonly output: OutputLine[] = [];
  readonly host: Host;
  readonly exts: DriverExt[] = [];
  /**
   * Errors of the test thrown out of a handler (main, bootstrap, vmexit,
   * fail). The host contains them as faults of the extension, so a test
   * would never see them: check() throws the first.
   */
  readonly errors: unknown[] = [];

  private constructor(readonly mk: Microkernel, readonly backend: Backend) {
    this.host = new Host(mk, { onOutput: (l) => this.output.push(l) });
  }

  /** ends the backend (the emulator, for qemu); the output it still had comes first */
  async close(): Promise<void> {
    this.mk.close();
    await this.backend.dispose?.(this.mk);
  }

  /** a host on a fresh backend, with n driver extensions loaded (not started) */
  static async create(backend: Backend, opts: SimOptions = {}, exts: ExtensionOptions[] = [{}]): Promise<Driver> {
    const d = new Driver(await backend.create(opts), backend);
    const m = await driverModule();
    for (const o of exts) {
      const de = new DriverExt();
      const on = de.on;
      const noted = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A): void => {
        try {
          fn(...a);
        } catch (e) {
          if (testError(e)) d.errors.push(e);
          throw e;
        }
      };
      de.ext = d.host.add(m, {
        ...o,
        extraImports: {
          [DRIVER_NAMESPACE]: {
            main: noted((v: number) => (on.main ? on.main(v) : de.openAndWait())),
            bootstrap: noted((p: number) => on.bootstrap?.(p)),
            vmexit: noted((v: number, r: bigint) => on.vmexit?.(v, BigInt.asUintN(64, r))),
            fail: noted((s: bigint) => on.fail?.(BigInt.asUintN(64, s))),
          },
        },
      });
      d.exts.push(de);
    }
    return d;
  }

  /** throws the first error a handler of the test threw, if any */
  check(): void {
    if (this.errors.length) throw this.errors[0];
  }

  /** the first driver extension */
  get e(): DriverExt {
    return this.exts[0];
  }

  /** calls every entry point (the default one opens, registers and waits) */
  start(): this {
    this.host.start();
    return this;
  }

  /** runs fn as the bootstrap callback on every processor */
  bootstrap(fn: (ppid: number) => void, ext = this.e): this {
    ext.on.bootstrap = fn;
    this.host.bootstrap();
    return this;
  }

  /** runs fn inside a bootstrap callback on one processor, and returns what it returned */
  inCallback<T>(fn: () => T, ppid = 0, ext = this.e): T {
    let result: T | undefined;
    let error: unknown;
    ext.on.bootstrap = (p) => {
      if (p !== ppid) return;
      try {
        result = fn();
      } catch (e) {
        error = e;
      }
    };
    this.host.bootstrap();
    ext.on.bootstrap = undefined;
    if (error) throw error;
    return result as T;
  }

  /** resumes the processors that have a guest to run and delivers their exits, until none has */
  loop(): this {
    this.host.loop();
    return this;
  }

  /** lines the kernel printed (its dumps) */
  kernelLines(): string[] {
    return this.output.filter((l) => l.source === 'kernel').map((l) => l.text);
  }

  /** lines the driver extensions printed through bf_debug_op_* (they all have one name: tell them apart by what they print) */
  extensionLines(): string[] {
    return this.output.filter((l) => l.source === 'extension').map((l) => l.text);
  }

  guestLines(ppid = 0): string[] {
    return this.output.filter((l) => l.source === 'guest' && l.ppid === ppid).map((l) => l.text);
  }
}
