// The remote backend on our firmware under QEMU: boot the image with the
// wire, take its hello, and hand back a Remote; shut it all down after.
import { join } from 'node:path';
import { ROOT } from '../../paths.js';
import { start, type Accel, type BootResult, type Session } from '../../../qemu/qemu.js';
import type { FaultRule } from '../../../qemu/faults.js';
import { Link, HELLO_TIMEOUT_MS } from './link.js';
import { Remote, type RemoteTimeouts } from './remote.js';

export const FIRMWARE_IMAGE = join(ROOT, 'firmware', 'build', 'bfx.elf');

export interface QemuTargetOptions {
  image?: string;
  /** the image's mode, the first word of its command line (default wire; the tests use others) */
  mode?: string;
  /** a name for the QEMU process, to find it */
  name?: string;
  /** the root guest: a scenario name, optionally ":arg" */
  guest?: string;
  /** pool limits below the image's own (its HELLO says what they are) */
  vms?: number;
  vps?: number;
  vpss?: number;
  pages?: number;
  pps?: number;
  /** QEMU's own time limit, for the whole run */
  timeoutMs?: number;
  helloTimeoutMs?: number;
  timeouts?: Partial<RemoteTimeouts>;
  accel?: Accel;
  /** where the serial log of a run that did not end well is kept */
  logDir?: string;
  /** the fault proxy on the wire, with these rules to start with (qemu/faults.ts) */
  faults?: FaultRule[];
}

export interface QemuTarget {
  remote: Remote;
  session: Session;
  /** says bye, waits for QEMU to end (stops it after graceMs) and says how it ended */
  shutdown(graceMs?: number): Promise<BootResult>;
}

/** the image's command line for these options (QEMU puts the image's path before it) */
export function firmwareArgs(o: QemuTargetOptions): string {
  const words = [o.mode ?? 'wire'];
  for (const k of ['vms', 'vps', 'vpss', 'pages', 'pps'] as const) if (o[k] !== undefined) words.push(`${k}=${o[k]}`);
  if (o.guest !== undefined) words.push(`guest=${o.guest}`);
  return words.join(' ');
}

export async function bootQemu(o: QemuTargetOptions = {}): Promise<QemuTarget> {
  const session = await start({
    image: o.image ?? FIRMWARE_IMAGE, append: firmwareArgs(o), wire: true, timeoutMs: o.timeoutMs, accel: o.accel, logDir: o.logDir, name: o.name ?? 'bfx-remote', faults: o.faults,
  });
  const link = new Link(session.wire!);
  const shutdown = async (graceMs = 5000): Promise<BootResult> => {
    // the wire closes with QEMU (start() sees to it): closing it now could lose the BYE
    remote?.close();
    // a failed link has said no bye: nothing will end QEMU but us
    const timer = setTimeout(() => session.stop(), link.failed ? 0 : graceMs);
    try {
      return await session.result;
    } finally {
      clearTimeout(timer);
    }
  };
  let remote: Remote | undefined;
  try {
    const hello = link.hello(o.helloTimeoutMs ?? HELLO_TIMEOUT_MS);
    remote = new Remote({
      link, pollConsole: session.pollConsole, timeouts: o.timeouts,
      hello: { name: hello.firmware, arch: hello.arch, limits: hello.limits },
    });
  } catch (e) {
    session.stop();
    await session.result;
    throw e;
  }
  return { remote, session, shutdown };
}
