// Booting a multiboot image under QEMU, unattended: TCG with SVM and nested
// paging by default, KVM where the host exposes nested virtualization; a
// time limit; the status of isa-debug-exit read as kvm-unit-tests read it;
// the serial console line by line; and no QEMU left behind on any path.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';

export const QEMU = 'qemu-system-x86_64';

export interface Accel {
  kind: 'tcg' | 'kvm';
  /** the -cpu QEMU gets */
  cpu: string;
  /** why this one, in words */
  why: string;
}

/**
 * KVM only when /dev/kvm exists and the host's KVM module says it nests
 * (a KVM that does not nest cannot run our hypervisor). `root` lets a test
 * point at a made-up /dev and /sys.
 */
export function detectAccel(root = '/'): Accel {
  const tcg = (why: string): Accel => ({ kind: 'tcg', cpu: 'qemu64,+svm,+npt', why });
  if (!existsSync(join(root, 'dev/kvm'))) return tcg('no /dev/kvm: TCG emulates SVM with nested paging');
  for (const mod of ['kvm_amd', 'kvm_intel']) {
    const file = join(root, 'sys/module', mod, 'parameters/nested');
    if (!existsSync(file)) continue;
    const nested = readFileSync(file, 'utf8').trim();
    if (nested === '1' || nested === 'Y') return { kind: 'kvm', cpu: 'host', why: `/dev/kvm with ${mod} nested=${nested}: the host's own ${mod === 'kvm_amd' ? 'SVM' : 'VMX'}` };
    return tcg(`/dev/kvm exists but ${mod} does not nest (nested=${nested}): TCG emulates SVM`);
  }
  return tcg('/dev/kvm exists but no nesting KVM module is loaded: TCG emulates SVM');
}

/**
 * pass: the image wrote 0 to isa-debug-exit; fail: it wrote another code;
 * crash: QEMU ended without the image saying (a triple fault, with
 * -no-reboot); timeout: the time limit ran out; error: QEMU could not run it.
 */
export type Verdict = 'pass' | 'fail' | 'crash' | 'timeout' | 'error';

export interface BootOptions {
  image: string;
  /** the image's command line (multiboot) */
  append?: string;
  timeoutMs?: number;
  accel?: Accel;
  /** each line of the serial console, as it comes */
  onSerial?: (line: string) => void;
  /** where the serial log of a run that did not pass is kept */
  logDir?: string;
  /** a name for the QEMU process (-name), to find it */
  name?: string;
}

export interface BootResult {
  verdict: Verdict;
  /** what the image wrote to isa-debug-exit, when it did */
  code?: number;
  /** QEMU's exit status */
  exitStatus?: number;
  serial: string[];
  /** QEMU's own complaints */
  stderr: string;
  durationMs: number;
  accel: Accel;
  args: string[];
  /** the serial log, kept when the run did not pass */
  log?: string;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

export function qemuArgs(o: BootOptions, accel: Accel): string[] {
  return [
    '-accel', accel.kind, '-cpu', accel.cpu, '-m', '128',
    '-nodefaults', '-display', 'none', '-no-reboot', '-monitor', 'none',
    '-serial', 'stdio',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    ...(o.name ? ['-name', o.name] : []),
    '-kernel', o.image,
    ...(o.append !== undefined ? ['-append', o.append] : []),
  ];
}

/** QEMU status → verdict: (code << 1) | 1 from isa-debug-exit; 0 when it ended by itself */
export function verdictOf(exitStatus: number | undefined, stderr: string, timedOut: boolean): { verdict: Verdict; code?: number } {
  if (timedOut) return { verdict: 'timeout' };
  if (exitStatus === undefined) return { verdict: 'error' };
  if (exitStatus === 0) return { verdict: 'crash' };
  // QEMU itself fails with status 1 too, saying why on stderr ("qemu: ..." or "qemu-system-x86_64: ...")
  if (exitStatus === 1 && /^qemu(-system-\S+)?: /m.test(stderr)) return { verdict: 'error' };
  if (exitStatus % 2 === 1) {
    const code = exitStatus >> 1;
    return { verdict: code === 0 ? 'pass' : 'fail', code };
  }
  return { verdict: 'error' };
}

export async function boot(o: BootOptions): Promise<BootResult> {
  const accel = o.accel ?? detectAccel();
  const args = qemuArgs(o, accel);
  const serial: string[] = [];
  let partial = '';
  const start = performance.now();
  const child = execa(QEMU, args, {
    timeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    forceKillAfterDelay: 1000,
    cleanup: true, // killed with us, however we end
    reject: false,
    stdin: 'ignore',
    encoding: 'utf8',
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      const line = l.replace(/\r$/, '');
      serial.push(line);
      o.onSerial?.(line);
    }
  });
  const r = await child;
  if (partial) {
    serial.push(partial);
    o.onSerial?.(partial);
  }
  const stderr = String(r.stderr ?? '');
  const { verdict, code } = verdictOf(r.exitCode, stderr, r.timedOut);
  const result: BootResult = {
    verdict, code, exitStatus: r.exitCode, serial, stderr, durationMs: Math.round(performance.now() - start), accel, args,
  };
  if (verdict !== 'pass' && o.logDir) {
    mkdirSync(o.logDir, { recursive: true });
    const log = join(o.logDir, `${basename(o.image)}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    writeFileSync(log, [
      `# ${QEMU} ${args.join(' ')}`,
      `# verdict ${verdict}${code !== undefined ? `, code ${code}` : ''}, exit status ${r.exitCode ?? 'none'}, ${result.durationMs} ms`,
      ...serial,
      ...(stderr ? ['# stderr:', stderr] : []),
      '',
    ].join('\n'));
    result.log = log;
  }
  return result;
}
