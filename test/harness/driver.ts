// Drives the real host, boundary and backend from a test: the driver
// extension (see driver-source.ts) is a real WebAssembly module whose
// exports are the raw syscall imports, and whose callbacks call back into
// the test. Every ABI case runs against every backend in `backends`.
import { join } from 'node:path';
import {
  BF_SPEC_ID1_VAL, BF_STATUS_SUCCESS, BF_SYSCALLS, type SyscallName,
} from '../../host/abi/bf.js';
import { statusName } from '../../host/abi/status.js';
import type { Microkernel } from '../../host/backend/microkernel.js';
import { Sim, type SimOptions } from '../../host/backend/sim/sim.js';
import { load, type LoadedModule } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { Host, type OutputLine } from '../../host/run/host.js';
import type { Extension, ExtensionOptions } from '../../host/sandbox/extension.js';

export interface Backend {
  name: string;
  create(opts: SimOptions): Microkernel;
}

/** the backends every ABI case runs against; the remote backend joins them when it lands */
export const backends: Backend[] = [{ name: 'sim', create: (o) => new Sim(o) }];

let driverModule: Promise<LoadedModule> | undefined;
function driver(): Promise<LoadedModule> {
  driverModule ??= load(join(ROOT, 'build', 'test-driver'), { extraNamespaces: ['test'] });
  return driverModule;
}

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
  slot(name: 'BOOTSTRAP' | 'VMEXIT' | 'FAIL' | 'WRONG_ARITY' | 'SCRATCH'): number {
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

  /** what the default entry point does: open the handle, register every callback, wait */
  openAndWait(): void {
    this.ok('bf_handle_op_open_handle', BF_SPEC_ID1_VAL, this.scratch(6));
    this.handle = BigInt.asIntN(64, this.u64(this.scratch(6)));
    this.ok('bf_callback_op_register_bootstrap', this.handle, this.slot('BOOTSTRAP'));
    this.ok('bf_callback_op_register_vmexit', this.handle, this.slot('VMEXIT'));
    this.ok('bf_callback_op_register_fail', this.handle, this.slot('FAIL'));
    this.ok('bf_callback_op_wait', this.handle);
  }
}

export class Driver {
  readonly output: OutputLine[] = [];
  readonly host: Host;
  readonly exts: DriverExt[] = [];

  private constructor(readonly mk: Microkernel) {
    this.host = new Host(mk, { onOutput: (l) => this.output.push(l) });
  }

  /** a host on a fresh backend, with n driver extensions loaded (not started) */
  static async create(backend: Backend, opts: SimOptions = {}, exts: ExtensionOptions[] = [{}]): Promise<Driver> {
    const d = new Driver(backend.create(opts));
    const m = await driver();
    for (const o of exts) {
      const de = new DriverExt();
      const on = de.on;
      de.ext = d.host.add(m, {
        ...o,
        extraImports: {
          test: {
            main: (v: number) => (on.main ? on.main(v) : de.openAndWait()),
            bootstrap: (p: number) => on.bootstrap?.(p),
            vmexit: (v: number, r: bigint) => on.vmexit?.(v, BigInt.asUintN(64, r)),
            fail: (s: bigint) => on.fail?.(BigInt.asUintN(64, s)),
          },
        },
      });
      d.exts.push(de);
    }
    return d;
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

  guestLines(ppid = 0): string[] {
    return this.output.filter((l) => l.source === 'guest' && l.ppid === ppid).map((l) => l.text);
  }
}
