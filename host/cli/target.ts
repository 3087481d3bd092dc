// What bfx run and bfx supervise share: the microkernel they run on (the
// sim, or our firmware booted under QEMU or Bochs) and how its output
// reaches the terminal.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Arch, Microkernel } from '../backend/microkernel.js';
import { bootFirmware, type Transport } from '../backend/remote/boot.js';
import { RestartableRemote } from '../backend/remote/restartable.js';
import type { BootResult } from '../../qemu/qemu.js';
import { BochsCpuError, bochsCpu, BOCHS_CPUS, DEFAULT_BOCHS_CPU, type BochsCpu } from '../../qemu/bochs.js';
import { Sim, type SimOptions } from '../backend/sim/sim.js';
import { ROOT } from '../paths.js';
import type { OutputLine } from '../run/host.js';
import { integer, UsageError, type Io } from './common.js';

export const TARGETS = ['sim', 'qemu', 'bochs'] as const;
export type Target = (typeof TARGETS)[number];

export interface TargetOptions {
  target: Target;
  /** with bochs: the CPU model */
  cpu?: string;
  guest: string;
  arch?: Arch;
  pps?: number;
  pools?: Pick<SimOptions, 'vms' | 'vps' | 'vpss' | 'pages'>;
  /** with qemu or bochs: the image (default: bfx's firmware) */
  image?: string;
  /** with qemu or bochs: the emulator's own time limit */
  timeoutMs?: number;
  /** with qemu or bochs: how long a syscall waits for the firmware's answer before its caller gets FAILURE_UNKNOWN */
  requestTimeoutMs?: number;
  /** with qemu or bochs: how frames travel after the handshake */
  transport?: Transport;
}

/** the targets that boot our firmware in an emulator */
export function emulated(target: string): target is 'qemu' | 'bochs' {
  return target === 'qemu' || target === 'bochs';
}

/** --request-timeout, which bfx run and bfx supervise share: milliseconds, for --target qemu or bochs only */
export function requestTimeoutOption(value: string | undefined, target: Target): number | undefined {
  const ms = integer('request-timeout', value, 1, 3_600_000);
  if (!emulated(target) && ms !== undefined) throw new UsageError('--request-timeout is for --target qemu or bochs');
  return ms;
}

/** --image, which bfx run and bfx conformance share: a file that exists, for --target qemu or bochs only */
export function imageOption(value: string | undefined, target: string): string | undefined {
  if (value === undefined) return undefined;
  if (!emulated(target)) throw new UsageError('--image is for --target qemu or bochs');
  if (!existsSync(value)) throw new UsageError(`--image ${value}: no such file`);
  return value;
}

/**
 * --cpu, which bfx run, bfx supervise and bfx boot share: a Bochs CPU model,
 * for --target bochs only; an unknown one is a usage error naming those
 * there are. Without it, `arch` picks: intel → corei7_skylake_x, amd → ryzen.
 */
export function cpuOption(value: string | undefined, target: string, arch?: Arch): BochsCpu | undefined {
  if (target !== 'bochs') {
    if (value !== undefined) throw new UsageError(`--cpu is for --target bochs (a Bochs CPU model: ${BOCHS_CPUS.map((c) => c.model).join(', ')})`);
    return undefined;
  }
  let cpu: BochsCpu;
  try {
    cpu = bochsCpu(value ?? (arch === 'amd' ? 'ryzen' : DEFAULT_BOCHS_CPU));
  } catch (e) {
    if (e instanceof BochsCpuError) throw new UsageError(`--cpu: ${e.message}`);
    throw e;
  }
  if (arch !== undefined && arch !== cpu.vendor) throw new UsageError(`--cpu ${cpu.model} is ${cpu.vendor === 'amd' ? 'AMD (SVM)' : 'Intel (VMX)'}, not --arch ${arch}: leave out --arch, or name a model of that vendor`);
  return cpu;
}

/** the emulator, in the words the progress lines use */
function emulatorName(o: TargetOptions): string {
  return o.target === 'bochs' ? `Bochs (${o.cpu ?? DEFAULT_BOCHS_CPU})` : 'QEMU';
}

/** the microkernel, or why it did not come up (a firmware under an emulator can fail to) */
export async function openTarget(o: TargetOptions, say: (text: string) => void): Promise<{ mk: Microkernel; qemu?: { shutdown(): Promise<BootResult> } } | { error: string }> {
  if (o.target === 'sim') return { mk: new Sim({ arch: o.arch, pps: o.pps, guest: o.guest, ...o.pools }) };
  const emulator = o.target; // narrowed: qemu or bochs
  const start = performance.now();
  const under = emulatorName(o);
  say(`bfx: booting ${o.image ?? 'the firmware'} under ${under} …`);
  const bootOne = async () => {
    const target = await bootFirmware({
      emulator, cpu: emulator === 'bochs' ? o.cpu : undefined,
      image: o.image, guest: o.guest, ...o.pools, timeoutMs: o.timeoutMs, transport: o.transport,
      timeouts: o.requestTimeoutMs === undefined ? undefined : { requestMs: o.requestTimeoutMs }, logDir: join(ROOT, 'build', `${o.target}-logs`), name: `bfx-run-${process.pid}`,
    });
    return { remote: target.remote, target, end: async () => { await target.shutdown(); } };
  };
  let first: Awaited<ReturnType<typeof bootOne>>;
  try {
    first = await bootOne();
  } catch (e) {
    return { error: `the microkernel did not come up under ${under}: ${(e as Error).message}` };
  }
  // the architecture is the firmware's word: a Bochs model of one vendor, a firmware that serves the other, shows here
  say(`bfx: ${first.remote.hello.name} said hello (${first.remote.hello.arch}) under ${under} after ${Math.round(performance.now() - start)} ms`);
  if (first.target.transport === 'shm') say(`bfx: frames travel through shared memory (${first.target.access === 'mapped' ? 'mapped' : 'through the file: the native mapper was not built'})`);
  else if (o.transport === 'shm') say(`bfx: frames stay on the UART: ${first.target.fallback}`);
  // the microkernel is untrusted: when it goes down, it is booted again by the default restart policy
  const mk = new RestartableRemote(first, bootOne);
  return { mk, qemu: { shutdown: () => mk.current.target.shutdown() } };
}

/**
 * Each output line as it comes: the extensions' and the guests' on stdout
 * under their names, the host's on stderr; nothing with --quiet; kept in
 * `kept` instead with --json.
 */
export function linePrinter(io: Io, width: number, o: { json: boolean; quiet?: boolean; kept?: OutputLine[] }): (l: OutputLine) => void {
  return (l) => {
    if (o.json) {
      o.kept?.push(l);
      return;
    }
    if (o.quiet) return;
    if (l.source === 'host') io.err(`${'bfx'.padEnd(width)} | ${l.text}\n`);
    else if (l.source === 'extension') io.out(`${l.extension.padEnd(width)} | ${l.text}\n`);
    else io.out(`${`${l.source}${l.ppid}`.padEnd(width)} | ${l.text}\n`);
  };
}
