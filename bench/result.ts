// What npm run bench writes to build/bench.json, and what the chart
// (chart.ts) and the text summary read: every figure a Figure (median and
// spread of repeated rounds), every ratio next to what it is a ratio of.
import type { Figure } from './figure.js';

/** the shape's version: a reader of another one says so rather than misread it */
export const BENCH_VERSION = 1;

/** how a ratio's median must stand to its target */
export type Sense = 'at-most' | 'below' | 'at-least';

export interface Target {
  value: number;
  sense: Sense;
}

/** ≤ 5× the empty import call */
export const SYSCALL_TARGET: Target = { value: 5, sense: 'at-most' };
/** a warm restart under a tenth of a cold start */
export const RESTART_TARGET: Target = { value: 0.1, sense: 'below' };

export function met(median: number, t: Target): boolean {
  return t.sense === 'at-most' ? median <= t.value : t.sense === 'below' ? median < t.value : median >= t.value;
}

export type Emulator = 'qemu' | 'bochs';
/**
 * how an exit reaches the host: the emulated UART, or shared memory (QEMU
 * only) with the mailbox mapped by the native mapper (shm) or read and
 * written through the file, pure JavaScript (shm-file)
 */
export type Transport = 'uart' | 'shm' | 'shm-file';

export interface BenchResult {
  version: typeof BENCH_VERSION;
  /** when the run started (ISO 8601) */
  when: string;
  node: string;
  syscall: SyscallFigures;
  sim: SimExits;
  /** boot to HELLO, per emulator that is installed */
  boot: Boot[];
  heartbeat: Heartbeat[];
  /** CPUID exits handled in WebAssembly next to the firmware's own, per emulator and transport */
  cpuidExits: CpuidExits[];
  restart: Restarts;
  /** what was not measured, and why (an emulator that is not installed) */
  skipped: Skipped[];
}

export interface Skipped {
  /** the ids the chart would have shown: boot.bochs, cpuid.bochs.uart, … */
  ids: string[];
  why: string;
}

/** a syscall from AssemblyScript through the boundary to the sim and back, against an empty import call of the same WebAssembly type */
export interface SyscallFigures {
  calls: number;
  rounds: number;
  emptyImportNs: Figure;
  readRegNs: Figure;
  writeRegNs: Figure;
  /** each round's read_reg over the same round's empty call */
  readRegOverEmpty: Figure;
  writeRegOverEmpty: Figure;
  target: Target;
}

/** the cpuid example's exits on the sim */
export interface SimExits {
  /** the extension in the host's thread */
  perSecond: Figure;
  /** in a worker with a CPU budget (bfx run's default) */
  perSecondInWorker: Figure;
  /** starting that worker and instantiating in it */
  workerStartMs: Figure;
  exitsPerRound: number;
  rounds: number;
}

export interface Boot {
  emulator: Emulator;
  /** what the firmware's HELLO said it runs on */
  arch: string;
  /** from starting the emulator to the host's HELLO_ACK */
  toHelloMs: Figure;
  rounds: number;
}

export interface Heartbeat {
  emulator: Emulator;
  transport: Transport;
  roundTripUs: Figure;
  /** both frames */
  bytes: number;
  trips: number;
}

export interface CpuidExits {
  emulator: Emulator;
  arch: string;
  transport: Transport;
  /** handled by the cpuid example in WebAssembly, each exit over the transport */
  wasmPerSecond: Figure;
  /** handled inside the firmware (BENCH_CPUID), in the same boot: the ceiling */
  firmwarePerSecond: Figure;
  /** each boot's Wasm rate over its firmware rate, 0..1 */
  wasmOverFirmware: Figure;
  /** the least fraction wanted, where there is one */
  target?: number;
  exitsWasm: number;
  exitsFirmware: number;
  boots: number;
}

/** under the supervisor: from a crash seen to the new instance back in its callbacks, next to a cold first start */
export interface Restarts {
  /** compile, start the worker, instantiate, entry point, bootstrap */
  coldStartMs: Figure;
  warm: WarmRestart[];
  target: Target;
}

export interface WarmRestart {
  state: 'fresh' | 'checkpoint' | 'resume';
  ms: Figure;
  /** each restart over the cold start's median */
  overCold: Figure;
  /** its median over a cold start's less the worker's start (sim.workerStartMs), which a restart does not pay again: so that the worker alone does not make the target */
  overColdLessWorker: number;
  samples: number;
}

/** the ids of the chart's ratios and figures, shared by the bench that skips one and the chart that says it is missing */
export const ids = {
  syscall: (op: 'read_reg' | 'write_reg') => `syscall.${op}`,
  cpuid: (emulator: string, transport: string) => `cpuid.${emulator}.${transport}`,
  restart: (state: string) => `restart.${state}`,
  boot: (emulator: string) => `boot.${emulator}`,
  heartbeat: (emulator: string, transport: string) => `heartbeat.${emulator}.${transport}`,
};
