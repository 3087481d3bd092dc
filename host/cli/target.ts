// What bfx run and bfx supervise share: the microkernel they run on (the
// sim, or our firmware booted under QEMU) and how its output reaches the
// terminal.
import { join } from 'node:path';
import type { Arch, Microkernel } from '../backend/microkernel.js';
import { bootQemu } from '../backend/remote/boot.js';
import { RestartableRemote } from '../backend/remote/restartable.js';
import type { BootResult } from '../../qemu/qemu.js';
import { Sim, type SimOptions } from '../backend/sim/sim.js';
import { ROOT } from '../paths.js';
import type { OutputLine } from '../run/host.js';
import { integer, UsageError, type Io } from './common.js';

export interface TargetOptions {
  target: 'sim' | 'qemu';
  guest: string;
  arch?: Arch;
  pps?: number;
  pools?: Pick<SimOptions, 'vms' | 'vps' | 'vpss' | 'pages'>;
  /** with qemu: the image (default: bfx's firmware) */
  image?: string;
  /** with qemu: QEMU's own time limit */
  timeoutMs?: number;
  /** with qemu: how long a syscall waits for the firmware's answer before its caller gets FAILURE_UNKNOWN */
  requestTimeoutMs?: number;
}

/** --request-timeout, which bfx run and bfx supervise share: milliseconds, for --target qemu only */
export function requestTimeoutOption(value: string | undefined, target: string): number | undefined {
  const ms = integer('request-timeout', value, 1, 3_600_000);
  if (target !== 'qemu' && ms !== undefined) throw new UsageError('--request-timeout is for --target qemu');
  return ms;
}

/** the microkernel, or why it did not come up (a firmware under QEMU can fail to) */
export async function openTarget(o: TargetOptions, say: (text: string) => void): Promise<{ mk: Microkernel; qemu?: { shutdown(): Promise<BootResult> } } | { error: string }> {
  if (o.target === 'sim') return { mk: new Sim({ arch: o.arch, pps: o.pps, guest: o.guest, ...o.pools }) };
  const start = performance.now();
  say(`bfx: booting ${o.image ?? 'the firmware'} under QEMU …`);
  const bootOne = async () => {
    const target = await bootQemu({
      image: o.image, guest: o.guest, ...o.pools, timeoutMs: o.timeoutMs,
      timeouts: o.requestTimeoutMs === undefined ? undefined : { requestMs: o.requestTimeoutMs }, logDir: join(ROOT, 'build', 'qemu-logs'), name: `bfx-run-${process.pid}`,
    });
    return { remote: target.remote, target, end: async () => { await target.shutdown(); } };
  };
  let first: Awaited<ReturnType<typeof bootOne>>;
  try {
    first = await bootOne();
  } catch (e) {
    return { error: `the microkernel did not come up under QEMU: ${(e as Error).message}` };
  }
  say(`bfx: ${first.remote.hello.name} said hello (${first.remote.hello.arch}) after ${Math.round(performance.now() - start)} ms`);
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
