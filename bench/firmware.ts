// The bench's figures on our firmware under an emulator: boot to HELLO, a
// heartbeat's round trip, and CPUID exits handled by the cpuid example in
// WebAssembly next to the same exits handled inside the firmware.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { bootFirmware, type FirmwareTarget, type FirmwareTargetOptions } from '../host/backend/remote/boot.js';
import type { Link } from '../host/backend/remote/link.js';
import type { Remote } from '../host/backend/remote/remote.js';
import { load } from '../host/loader/load.js';
import { ROOT } from '../host/paths.js';
import { Host } from '../host/run/host.js';
import { TYPE, u64 } from '../host/wire/messages.js';
import { BOCHS } from '../qemu/bochs.js';
import { QEMU } from '../qemu/qemu.js';
import { figure, paired } from './figure.js';
import type { Boot, CpuidExits, Emulator, Heartbeat, Transport } from './result.js';

const COMMAND: Record<Emulator, string> = { qemu: QEMU, bochs: BOCHS };

/** why the emulator cannot run here, or undefined when it can */
export function cannotRun(emulator: Emulator): string | undefined {
  return spawnSync(COMMAND[emulator], ['--help']).error ? `${COMMAND[emulator]} is not installed (bash qemu/deps.sh installs it)` : undefined;
}

/** what bootFirmware needs to carry the exits over each transport */
function overTransport(transport: Transport): Partial<FirmwareTargetOptions> {
  if (transport === 'uart') return { transport };
  return { transport: 'shm', access: transport === 'shm' ? 'mapped' : 'file' };
}

/** the transport a booted firmware's frames really take, in the bench's words */
function taken(t: FirmwareTarget): Transport {
  return t.transport === 'uart' ? 'uart' : t.access === 'mapped' ? 'shm' : 'shm-file';
}

/** runs `use` on a booted firmware, then shuts it down; a firmware that does not end cleanly fails the bench */
async function booted<T>(o: FirmwareTargetOptions, use: (t: FirmwareTarget) => T): Promise<T> {
  const target = await bootFirmware(o);
  let out: T;
  try {
    out = use(target);
  } catch (e) {
    await target.shutdown();
    throw e;
  }
  const end = await target.shutdown();
  if (end.verdict !== 'pass') throw new Error(`bench: the firmware under ${o.emulator} did not end cleanly: ${end.message ?? end.verdict}`);
  return out;
}

/** µs a heartbeat's round trip, from a blocking caller */
function heartbeats(link: Link, n: number): number[] {
  const trips: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    link.request(TYPE.HEARTBEAT, u64(BigInt(i)), TYPE.HEARTBEAT, 10_000);
    trips.push((performance.now() - t) * 1000);
  }
  return trips;
}

/**
 * Boot to HELLO (from starting the emulator to the host's HELLO_ACK) and
 * heartbeats over the UART, a boot a round; after one boot untimed, which
 * may have to make Bochs' GRUB ISO for this command line.
 */
export async function bootAndHeartbeat(emulator: Emulator, rounds: number, trips = 200): Promise<{ boot: Boot; heartbeat: Heartbeat }> {
  const boots: number[] = [];
  const times: number[] = [];
  let arch = '';
  for (let r = -1; r < rounds; r++) {
    const t0 = performance.now();
    await booted({ emulator, timeoutMs: 120_000 }, (t) => {
      if (r < 0) return;
      boots.push(performance.now() - t0);
      arch = t.remote.hello.arch;
      times.push(...heartbeats(t.remote.link, trips));
    });
  }
  return {
    boot: { emulator, arch, toHelloMs: figure(boots), rounds },
    // HEARTBEAT carries a u64 each way, after a frame's 20-byte header
    heartbeat: { emulator, transport: 'uart', roundTripUs: figure(times), bytes: 2 * (20 + 8), trips: times.length },
  };
}

/** exits a second the firmware answers itself (BENCH_CPUID), timed from the host */
function firmwareRate(link: Link, exits: number): number {
  const p = new Uint8Array(4);
  new DataView(p.buffer).setUint32(0, exits, true);
  const t0 = performance.now();
  const answer = link.request(TYPE.BENCH_CPUID, p, TYPE.BENCH_CPUID, 120_000);
  const handled = new DataView(answer.payload.buffer, answer.payload.byteOffset, 8).getBigUint64(0, true);
  return Number(handled) / ((performance.now() - t0) / 1000);
}

/** exits a second the cpuid example handles, each carried to the host and back; the root guest's loop to its end */
function wasmRate(remote: Remote, cpuid: Awaited<ReturnType<typeof load>>, emulator: Emulator): number {
  const host = new Host(remote);
  host.add(cpuid);
  const t0 = performance.now();
  host.run();
  const ms = performance.now() - t0;
  if (host.pps[0].state !== 'halted') throw new Error(`bench: the cpuid loop under ${emulator} did not finish: ${host.pps[0].why ?? host.pps[0].state}`);
  return host.pps[0].exits / (ms / 1000);
}

export interface CpuidRun {
  emulator: Emulator;
  transport: Transport;
  /** the root guest's CPUID loop, each exit handled by the cpuid example */
  exitsWasm: number;
  /** the exits the firmware answers itself, first in the same boot */
  exitsFirmware: number;
  /** the least fraction of the firmware's rate wanted, where there is one */
  target?: number;
  boots?: number;
}

/** boots run first and not counted: the host's path through the transport is optimized by the engine by then, as the syscall figure's loops are warmed up first */
const WARM_BOOTS = 1;

/**
 * CPUID exits of the root guest under an emulator: answered by the cpuid
 * example in WebAssembly over the transport, next to the same exits
 * answered inside the firmware itself, in the same boot of the image.
 * QEMU TCG runs AMD SVM, Bochs its Intel model (VMX).
 */
export async function cpuidExits(o: CpuidRun): Promise<CpuidExits> {
  const cpuid = await load(join(ROOT, 'extensions', 'cpuid'));
  const boots = o.boots ?? 3;
  const wasm: number[] = [];
  const fw: number[] = [];
  let arch = '';
  for (let r = -WARM_BOOTS; r < boots; r++) {
    const boot = { emulator: o.emulator, guest: `cpuid-loop:${o.exitsWasm}`, timeoutMs: 300_000, ...overTransport(o.transport) };
    await booted(boot, (t) => {
      // a figure for a transport is measured on it, never on the one it fell back to
      if (taken(t) !== o.transport) throw new Error(`bench: asked for ${o.transport}, got ${taken(t)}${t.fallback ? `: ${t.fallback}` : ''}`);
      arch = t.remote.hello.arch;
      const native = firmwareRate(t.remote.link, o.exitsFirmware);
      const handled = wasmRate(t.remote, cpuid, o.emulator);
      if (r < 0) return;
      fw.push(native);
      wasm.push(handled);
    });
  }
  return {
    emulator: o.emulator, arch, transport: o.transport,
    wasmPerSecond: figure(wasm), firmwarePerSecond: figure(fw), wasmOverFirmware: paired(wasm, fw),
    ...(o.target === undefined ? {} : { target: o.target }),
    exitsWasm: o.exitsWasm, exitsFirmware: o.exitsFirmware, boots,
  };
}
