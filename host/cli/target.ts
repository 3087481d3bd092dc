// What bfx run and bfx supervise share: the microkernel they run on (the
// sim, or our firmware booted under QEMU) and how its output reaches the
// terminal.
import { join } from 'node:path';
import type { Arch, Microkernel } from '../backend/microkernel.js';
import { bootQemu, type QemuTarget } from '../backend/remote/boot.js';
import { Sim, type SimOptions } from '../backend/sim/sim.js';
import { ROOT } from '../paths.js';
import type { OutputLine } from '../run/host.js';
import type { Io } from './common.js';

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
}

/** the microkernel, or why it did not come up (a firmware under QEMU can fail to) */
export async function openTarget(o: TargetOptions, say: (text: string) => void): Promise<{ mk: Microkernel; qemu?: QemuTarget } | { error: string }> {
  if (o.target === 'sim') return { mk: new Sim({ arch: o.arch, pps: o.pps, guest: o.guest, ...o.pools }) };
  const start = performance.now();
  say(`bfx: booting ${o.image ?? 'the firmware'} under QEMU …`);
  let qemu: QemuTarget;
  try {
    qemu = await bootQemu({
      image: o.image, guest: o.guest, ...o.pools, timeoutMs: o.timeoutMs, logDir: join(ROOT, 'build', 'qemu-logs'), name: `bfx-run-${process.pid}`,
    });
  } catch (e) {
    return { error: `the microkernel did not come up under QEMU: ${(e as Error).message}` };
  }
  say(`bfx: ${qemu.remote.hello.name} said hello (${qemu.remote.hello.arch}) after ${Math.round(performance.now() - start)} ms`);
  return { mk: qemu.remote, qemu };
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
