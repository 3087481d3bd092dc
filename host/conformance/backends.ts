// The implementations of the bf ABI the conformance catalogue runs against:
// the embedded reference microkernel, our firmware under QEMU or Bochs over
// the wire, and an implementation someone else started that speaks the wire
// (connect:). Each says what it cannot be asked for beyond the ABI, and
// why, so that a case needing that does not apply to it instead of lying.
import { join } from 'node:path';
import type { Arch, Microkernel } from '../backend/microkernel.js';
import { bootFirmware, transportOf, type Emulator, type FirmwareTarget, type Transport } from '../backend/remote/boot.js';
import { connectRemote, type Connection } from '../backend/remote/connect.js';
import { addressText, parseAddress } from '../backend/remote/sync-wire.js';
import { Sim, type SimOptions } from '../backend/sim/sim.js';
import { ROOT } from '../paths.js';
import { detectAccel } from '../../qemu/qemu.js';
import { bochsCpu, DEFAULT_BOCHS_CPU } from '../../qemu/bochs.js';

/**
 * What a backend can be asked for beyond the ABI itself. A conformance case
 * that needs one says so, and does not run on a backend that lacks it (the
 * backend says why it lacks it).
 * - faults: SimOptions.faults (host-side exceptions injected into a syscall)
 * - unsupported: SimOptions.unsupported (pretending not to implement a syscall)
 * - limits: SimOptions.vms/vps/vpss/pages (chosen pool sizes)
 * - smp: SimOptions.pps above 1 (more than one physical processor)
 * - amd, intel: SimOptions.arch (a microkernel of that architecture)
 * - guest: SimOptions.guest and the scripted root guests (what the guest executes)
 * - msr-gp: the processor raises #GP for an MSR it does not have
 * - wire: register-level requests over the wire protocol (raw RAX and registers)
 */
export type Capability = 'faults' | 'unsupported' | 'limits' | 'smp' | 'amd' | 'intel' | 'guest' | 'msr-gp' | 'wire';

export const CAPABILITIES: readonly Capability[] = ['faults', 'unsupported', 'limits', 'smp', 'amd', 'intel', 'guest', 'msr-gp', 'wire'];

export interface Backend {
  name: string;
  /** the architectures it runs (a case that needs the other does not apply) */
  arch: readonly Arch[];
  /** what it cannot be asked for, and why */
  lacks?: Partial<Record<Capability, string>>;
  create(opts: SimOptions): Microkernel | Promise<Microkernel>;
  /** ends what create started (an emulator) */
  dispose?(mk: Microkernel): Promise<void>;
}

export function provides(backend: Backend, c: Capability): boolean {
  return backend.lacks?.[c] === undefined;
}

/** which options use which capability */
export function used(opts: SimOptions): Capability[] {
  const out: Capability[] = [];
  if (opts.faults?.length) out.push('faults');
  if (opts.unsupported?.length) out.push('unsupported');
  if (opts.arch === 'amd') out.push('amd');
  if (opts.arch === 'intel') out.push('intel');
  if (opts.guest !== undefined || opts.budget !== undefined) out.push('guest');
  if (['vms', 'vps', 'vpss', 'pages'].some((k) => opts[k as keyof SimOptions] !== undefined)) out.push('limits');
  if ((opts.pps ?? 1) > 1) out.push('smp');
  return out;
}

export const sim: Backend = {
  name: 'sim', arch: ['amd', 'intel'], create: (o) => new Sim(o),
  lacks: { wire: 'the sim is called through typed imports: a register-level request never reaches it' },
};

const FIRMWARE_LACKS = {
  faults: 'host-side exceptions are injected into the sim\'s code; the firmware is another machine',
  unsupported: 'the sim can pretend not to implement a syscall; the firmware implements them all',
  smp: 'the firmware runs on the bootstrap processor only (pps 1)',
} as const;

export interface FirmwareOptions {
  /** with bochs: the CPU model (default corei7_skylake_x, Intel VMX) */
  cpu?: string;
  /** a multiboot image that speaks the wire protocol (default: bfx's firmware) */
  image?: string;
  /** how frames travel (default: shm under QEMU, uart under Bochs); shm must be had, not fallen back from */
  transport?: Transport;
}

const targets = new Map<Microkernel, FirmwareTarget>();

/** our firmware (or another image) under an emulator, through the wire; each create boots it anew */
export function firmware(emulator: Emulator, o: FirmwareOptions = {}): Backend {
  const cpu = emulator === 'bochs' ? bochsCpu(o.cpu ?? DEFAULT_BOCHS_CPU) : undefined;
  // QEMU: TCG emulates AMD SVM; KVM, where the host nests, gives the host's own
  const arch: Arch = cpu?.vendor ?? detectAccel().arch ?? 'amd';
  const other: Arch = arch === 'amd' ? 'intel' : 'amd';
  const lacks: Partial<Record<Capability, string>> = cpu
    ? { [other]: `this backend runs Bochs on ${cpu.model}, ${arch === 'intel' ? 'Intel (VMX)' : 'AMD (SVM)'}; ${other === 'amd' ? '--cpu ryzen runs AMD SVM' : 'the default model runs Intel VMX'}` }
    : {
      [other]: arch === 'amd' ? 'QEMU TCG emulates SVM only; VMX runs under Bochs' : 'QEMU runs KVM on this Intel host\'s own VMX',
      'msr-gp': 'QEMU TCG reads an MSR it does not have as 0 and drops writes to it, without #GP; test/qemu/kernel.test.ts shows the firmware\'s #GP path with a write TCG does refuse',
    };
  const name = emulator;
  return {
    name,
    arch: [arch],
    lacks: { ...FIRMWARE_LACKS, ...lacks },
    async create(opts) {
      const { arch: asked, pps, faults, unsupported, budget, ...rest } = opts;
      if ((asked !== undefined && asked !== arch) || (pps ?? 1) > 1 || faults?.length || unsupported?.length || budget !== undefined) {
        throw new Error(`the ${name} backend cannot be asked for ${JSON.stringify({ arch: asked, pps, faults, unsupported, budget })}`);
      }
      const target = await bootFirmware({ ...rest, emulator, cpu: cpu?.model, image: o.image, transport: o.transport, logDir: join(ROOT, 'build', `${name}-logs`) });
      // the shared-memory transport, asked for or QEMU's default, is had or the case does not run on a backend that says it is there
      if (transportOf({ emulator, transport: o.transport }) === 'shm' && target.transport !== 'shm') {
        await target.shutdown();
        throw new Error(`the ${name} backend was asked for the shared-memory transport and got the stream: ${target.fallback}`);
      }
      targets.set(target.remote, target);
      return target.remote;
    },
    async dispose(mk) {
      const target = targets.get(mk);
      targets.delete(mk);
      const r = await target?.shutdown();
      if (r && r.verdict !== 'pass') throw new Error(`${name} ended ${r.verdict}${r.log ? ` (serial log: ${r.log})` : ''}: ${r.serial.slice(-5).join(' | ')}`);
    },
  };
}

const connections = new Map<Microkernel, Connection>();

/** the prefix of a --target that attaches to an implementation someone else started */
export const CONNECT = 'connect:';

/**
 * An implementation someone else started, listening at `address` (a unix
 * socket's path, or host:port), that serves every connection with a
 * microkernel fresh from boot (docs/wire-protocol.md, "Serving
 * connections"). A first connection asks its HELLO for the architecture,
 * so that the cases of the other do not apply; every case then connects
 * anew. Nothing can be chosen at boot, so the cases that choose (a guest,
 * pool sizes, processors) do not apply.
 */
export async function connected(address: string): Promise<Backend> {
  const to = parseAddress(address);
  const where = addressText(to);
  const probe = await connectRemote(to);
  const { arch } = probe.hello;
  await probe.close();
  const other: Arch = arch === 'amd' ? 'intel' : 'amd';
  const chosen = 'is chosen when a microkernel boots; behind connect: the implementation booted it';
  const backend: Backend = {
    name: `${CONNECT}${address}`,
    arch: [arch],
    lacks: {
      faults: FIRMWARE_LACKS.faults,
      unsupported: 'the sim can pretend not to implement a syscall; an implementation behind connect: is what it is',
      limits: `a pool's size ${chosen} (its HELLO says them)`,
      smp: `the number of processors ${chosen}`,
      guest: `the root guest ${chosen}; the cases' scripted guests are bfx's own`,
      'msr-gp': 'whether the processor raises #GP for an MSR it lacks depends on what runs the implementation, which connect: cannot tell',
      [other]: `${where} said hello as ${arch === 'amd' ? 'AMD (SVM)' : 'Intel (VMX)'}`,
    },
    async create(opts) {
      const lacking = used(opts).filter((c) => !provides(backend, c));
      if (lacking.length) throw new Error(`a backend behind connect: cannot be asked for ${lacking.join(', ')}: ${JSON.stringify(opts)}`);
      const c = await connectRemote(to);
      connections.set(c.remote, c);
      return c.remote;
    },
    async dispose(mk) {
      const c = connections.get(mk);
      connections.delete(mk);
      await c?.close();
    },
  };
  return backend;
}

/** the backends every ABI case runs against in the tests: the sim, QEMU, and Bochs on its Intel model */
export const backends: Backend[] = [sim, firmware('qemu'), firmware('bochs')];
