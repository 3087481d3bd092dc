// The remote backend on our firmware under an emulator — QEMU (AMD SVM) or
// Bochs (Intel VMX, or AMD SVM): boot the image with the wire, take its
// hello, and hand back a Remote; shut it all down after.
import { join } from 'node:path';
import { ROOT } from '../../paths.js';
import { start as startQemu, type BootResult, type QemuAccel, type Session } from '../../../qemu/qemu.js';
import { start as startBochs } from '../../../qemu/bochs.js';
import type { FaultRule } from '../../../qemu/faults.js';
import { Link, HELLO_TIMEOUT_MS } from './link.js';
import { Remote, REMOTE_TIMEOUTS, type RemoteTimeouts } from './remote.js';
import type { Access } from './mailbox-access.js';
import { moveToMailbox, ShmWire } from './shm-wire.js';

export const FIRMWARE_IMAGE = join(ROOT, 'firmware', 'build', 'bfx.elf');

export type Emulator = 'qemu' | 'bochs';

export interface FirmwareTargetOptions {
  /** the emulator (default qemu) */
  emulator?: Emulator;
  /** with bochs: the CPU model (qemu/bochs.ts BOCHS_CPUS; default corei7_skylake_x) */
  cpu?: string;
  image?: string;
  /** the image's mode, the first word of its command line (default wire; the tests use others) */
  mode?: string;
  /** a name for the emulator's process, to find it (QEMU's -name; in Bochs' run folder) */
  name?: string;
  /** the root guest: a scenario name, optionally ":arg" */
  guest?: string;
  /** pool limits below the image's own (its HELLO says what they are) */
  vms?: number;
  vps?: number;
  vpss?: number;
  pages?: number;
  pps?: number;
  /** the emulator's own time limit, for the whole run */
  timeoutMs?: number;
  helloTimeoutMs?: number;
  timeouts?: Partial<RemoteTimeouts>;
  /** with qemu: TCG or KVM (default: detectAccel()) */
  accel?: QemuAccel;
  /** where the serial log of a run that did not end well is kept */
  logDir?: string;
  /** with qemu: the fault proxy on the wire, with these rules to start with (qemu/faults.ts) */
  faults?: FaultRule[];
  /**
   * how frames travel after the handshake (default: transportOf): shm moves
   * them to a mailbox in guest RAM that QEMU shares with the host, and falls
   * back to the stream where there is none (Bochs, the fault proxy); the
   * target says which it got, and why
   */
  transport?: Transport;
  /** with shm: how the host reaches the mailbox (default mapped, where the native mapper was built; else file) */
  access?: Access;
}

export type Transport = 'uart' | 'shm';

export interface FirmwareTarget {
  remote: Remote;
  session: Session;
  /** how the frames travel */
  transport: Transport;
  /** when shm was asked for and the stream stayed: why */
  fallback?: string;
  /** with shm: how the host reaches the mailbox */
  access?: Access;
  /** says bye, waits for the emulator to end (stops it after graceMs) and says how it ended */
  shutdown(graceMs?: number): Promise<BootResult>;
}

/**
 * The transport asked for, or the default: shared memory under QEMU
 * without the fault proxy (some 30 times faster for exits), the UART
 * elsewhere. Asked for where it cannot be had, shm falls back and says why.
 */
export function transportOf(o: FirmwareTargetOptions): Transport {
  return o.transport ?? ((o.emulator ?? 'qemu') === 'qemu' && !o.faults ? 'shm' : 'uart');
}

/** the names from before Bochs joined */
export type QemuTargetOptions = FirmwareTargetOptions;
export type QemuTarget = FirmwareTarget;

/** the image's command line for these options (the emulator puts the image's path before it) */
export function firmwareArgs(o: FirmwareTargetOptions): string {
  const words = [o.mode ?? 'wire'];
  for (const k of ['vms', 'vps', 'vpss', 'pages', 'pps'] as const) if (o[k] !== undefined) words.push(`${k}=${o[k]}`);
  if (o.guest !== undefined) words.push(`guest=${o.guest}`);
  return words.join(' ');
}

/** the firmware under QEMU */
export function bootQemu(o: FirmwareTargetOptions = {}): Promise<FirmwareTarget> {
  return bootFirmware({ ...o, emulator: 'qemu' });
}

/** the firmware under Bochs, on o.cpu's model */
export function bootBochs(o: FirmwareTargetOptions = {}): Promise<FirmwareTarget> {
  return bootFirmware({ ...o, emulator: 'bochs' });
}

/** the emulator started on the image with the wire connected, nothing said on it yet (bfx serve relays it) */
export async function startFirmware(o: FirmwareTargetOptions = {}): Promise<Session> {
  const emulator = o.emulator ?? 'qemu';
  const common = { image: o.image ?? FIRMWARE_IMAGE, append: firmwareArgs(o), wire: true, timeoutMs: o.timeoutMs, logDir: o.logDir, name: o.name ?? 'bfx-remote' };
  if (emulator === 'bochs' && (o.accel || o.faults)) throw new Error(`${o.accel ? 'accel' : 'faults'} is for QEMU only: Bochs runs its CPU model (cpu), and its wire is TCP, which the fault proxy does not speak`);
  if (emulator === 'qemu' && o.cpu !== undefined) throw new Error('cpu is for Bochs only: QEMU runs qemu64,+svm,+npt (or the host\'s own with KVM)');
  return emulator === 'bochs'
    ? startBochs({ ...common, cpu: o.cpu })
    : startQemu({ ...common, accel: o.accel, faults: o.faults, sharedMemory: transportOf(o) === 'shm' && !o.faults });
}

export async function bootFirmware(o: FirmwareTargetOptions = {}): Promise<FirmwareTarget> {
  const session = await startFirmware(o);
  const link = new Link(session.wire!);
  const shutdown = async (graceMs = 5000): Promise<BootResult> => {
    // the wire closes with the emulator (start() sees to it): closing it now could lose the BYE
    remote?.close();
    // a failed link has said no bye: nothing will end the emulator but us
    const timer = setTimeout(() => session.stop(), link.failed ? 0 : graceMs);
    try {
      return await session.result;
    } finally {
      clearTimeout(timer);
    }
  };
  let remote: Remote | undefined;
  let fallback: string | undefined;
  try {
    const hello = link.hello(o.helloTimeoutMs ?? HELLO_TIMEOUT_MS);
    if (transportOf(o) === 'shm') {
      fallback = session.memory === undefined
        ? (o.faults ? 'the fault proxy sees the stream only' : `${o.emulator === 'bochs' ? 'Bochs' : 'the emulator'} shares no guest RAM with the host`)
        : moveToMailbox(link, session.wire!, session.memory, o.timeouts?.requestMs ?? REMOTE_TIMEOUTS.requestMs, o.access);
    }
    remote = new Remote({
      link, pollConsole: session.pollConsole, timeouts: o.timeouts,
      hello: { name: hello.firmware, arch: hello.arch, limits: hello.limits },
    });
  } catch (e) {
    session.stop();
    await session.result;
    throw e;
  }
  const pipe = link.pipe;
  return { remote, session, shutdown, transport: pipe instanceof ShmWire ? 'shm' : 'uart', fallback, access: pipe instanceof ShmWire ? pipe.access.kind : undefined };
}
