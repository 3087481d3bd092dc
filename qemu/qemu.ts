// Booting a multiboot image under QEMU, unattended: TCG with SVM and nested
// paging by default, KVM where the host exposes nested virtualization; a
// time limit; the status of isa-debug-exit read as kvm-unit-tests read it;
// the serial console line by line; and no QEMU left behind on any path.
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { SyncWire } from '../host/backend/remote/sync-wire.js';
import { FaultProxy, type FaultRule } from './faults.js';

export const QEMU = 'qemu-system-x86_64';

/** how an image runs: QEMU's accelerator and -cpu, or Bochs and its CPU model (qemu/bochs.ts) */
export interface Accel {
  kind: 'tcg' | 'kvm' | 'bochs';
  /** the -cpu QEMU gets; Bochs' cpu model */
  cpu: string;
  /** why this one, in words */
  why: string;
  /** the virtualization the firmware will find: TCG emulates SVM; KVM gives the host's own */
  arch?: 'amd' | 'intel';
}

/** the accelerators QEMU itself takes */
export type QemuAccel = Accel & { kind: 'tcg' | 'kvm' };

/**
 * KVM only when /dev/kvm exists and the host's KVM module says it nests
 * (a KVM that does not nest cannot run our hypervisor). `root` lets a test
 * point at a made-up /dev and /sys.
 */
export function detectAccel(root = '/'): QemuAccel {
  const tcg = (why: string): QemuAccel => ({ kind: 'tcg', cpu: 'qemu64,+svm,+npt', arch: 'amd', why });
  if (!existsSync(join(root, 'dev/kvm'))) return tcg('no /dev/kvm: TCG emulates SVM with nested paging');
  for (const mod of ['kvm_amd', 'kvm_intel']) {
    const file = join(root, 'sys/module', mod, 'parameters/nested');
    if (!existsSync(file)) continue;
    const nested = readFileSync(file, 'utf8').trim();
    if (nested === '1' || nested === 'Y') return { kind: 'kvm', cpu: 'host', arch: mod === 'kvm_amd' ? 'amd' : 'intel', why: `/dev/kvm with ${mod} nested=${nested}: the host's own ${mod === 'kvm_amd' ? 'SVM' : 'VMX'}` };
    return tcg(`/dev/kvm exists but ${mod} does not nest (nested=${nested}): TCG emulates SVM`);
  }
  return tcg('/dev/kvm exists but no nesting KVM module is loaded: TCG emulates SVM');
}

/**
 * pass: the image wrote 0 to isa-debug-exit; fail: it wrote another code;
 * crash: QEMU ended without the image saying (a triple fault, with
 * -no-reboot); timeout: the time limit ran out; error: QEMU could not run it;
 * stopped: the host ended it (after the firmware broke the wire, say).
 */
export type Verdict = 'pass' | 'fail' | 'crash' | 'timeout' | 'error' | 'stopped';

export interface BootOptions {
  image: string;
  /** the image's command line (multiboot) */
  append?: string;
  timeoutMs?: number;
  accel?: QemuAccel;
  /** each line of the serial console, as it comes */
  onSerial?: (line: string) => void;
  /** where the serial log of a run that did not pass is kept */
  logDir?: string;
  /** a name for the QEMU process (-name), to find it */
  name?: string;
  /** the wire to the firmware: COM2 on a unix socket the host listens on */
  wire?: boolean;
  /** with the wire: put the fault proxy between QEMU and the host, with these rules to start with (qemu/faults.ts) */
  faults?: FaultRule[];
  /** with the wire: guest RAM in a file the host can read and write (the shared-memory transport); Session.memory names it */
  sharedMemory?: boolean;
}

/** guest RAM, in MiB */
export const RAM_MIB = 128;

export interface BootResult {
  verdict: Verdict;
  /** what the image wrote to isa-debug-exit, when it did */
  code?: number;
  /** QEMU's exit status (Bochs': 1 however it ended, so the verdict does not come from it) */
  exitStatus?: number;
  serial: string[];
  /** QEMU's own complaints; Bochs' stderr without its info lines */
  stderr: string;
  /** Bochs: what it said as it ended ("[CPU0  ] exception(): 3rd (13) exception with no resolution") */
  message?: string;
  durationMs: number;
  accel: Accel;
  args: string[];
  /** the serial log, kept when the run did not pass */
  log?: string;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * wirePath: COM2 on that unix socket. consolePath: COM1 into that file
 * rather than stdout — a host blocked on the wire does not drain a pipe, and
 * QEMU would stall on a full one.
 */
export function qemuArgs(o: BootOptions, accel: QemuAccel, wirePath?: string, consolePath?: string, memoryPath?: string): string[] {
  return [
    '-accel', accel.kind, '-cpu', accel.cpu, '-m', String(RAM_MIB),
    // guest RAM in a file QEMU shares with the host: the mailbox of the shared-memory transport lies in it
    ...(memoryPath ? ['-object', `memory-backend-file,id=ram0,size=${RAM_MIB}M,mem-path=${memoryPath},share=on`, '-machine', 'memory-backend=ram0'] : []),
    '-nodefaults', '-display', 'none', '-no-reboot', '-monitor', 'none',
    '-serial', consolePath ? `file:${consolePath}` : 'stdio', // COM1: the console
    // COM2: the wire; QEMU connects to the host's socket before the guest runs, so nothing is lost
    ...(wirePath ? ['-chardev', `socket,id=wire,path=${wirePath}`, '-serial', 'chardev:wire'] : []),
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

export interface Session {
  /** the wire, connected, when asked for */
  wire?: SyncWire;
  /** with the wire: COM1's lines that have come since the last call (also given to onSerial) */
  pollConsole(): string[];
  /** how the run ended */
  result: Promise<BootResult>;
  /** ends QEMU now (the result then says stopped) */
  stop(): void;
  /** QEMU's process, for a test that kills or stalls it as a fault would */
  pid: number | undefined;
  /** the fault proxy on the wire, when asked for */
  proxy?: FaultProxy;
  /** with sharedMemory: the file that holds guest RAM */
  memory?: string;
}

/** boots an image and returns at once: with the wire connected when asked */
export async function start(o: BootOptions): Promise<Session> {
  if (!o.wire) return { ...run(o), pollConsole: () => [] };
  const dir = mkdtempSync(join(tmpdir(), 'bfx-wire-'));
  const path = join(dir, 'wire.sock');
  const wire = await SyncWire.listen(path);
  const consoleFile = new ConsoleFile(join(dir, 'com1.log'));
  // with faults, QEMU connects to the proxy, which connects to the host
  const proxy = o.faults ? await FaultProxy.start(join(dir, 'proxy.sock'), path, o.faults) : undefined;
  const memory = o.sharedMemory ? sharedMemoryFile() : undefined;
  const s = run(o, proxy ? join(dir, 'proxy.sock') : path, consoleFile, memory?.file);
  let ended = false;
  const result = s.result.finally(() => {
    ended = true;
    wire.close();
    proxy?.close();
    rmSync(dir, { recursive: true, force: true });
    if (memory) rmSync(memory.dir, { recursive: true, force: true });
  });
  // QEMU connects before the guest runs, or ends without connecting
  while (!wire.waitConnected(0)) {
    if (ended) {
      const r = await result;
      throw new Error(`QEMU ended before it connected the wire: ${r.stderr.trim() || `exit status ${r.exitStatus}`}`);
    }
    await new Promise((ok) => setTimeout(ok, 5));
  }
  return { wire, result, stop: s.stop, pid: s.pid, proxy, memory: memory?.file, pollConsole: () => consoleFile.poll(o.onSerial) };
}

/** a file for guest RAM, in /dev/shm where there is one (memory, not disk), made at its size before QEMU opens it */
function sharedMemoryFile(): { dir: string; file: string } {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'bfx-ram-'));
  const file = join(dir, 'ram');
  const fd = openSync(file, 'w');
  try {
    ftruncateSync(fd, RAM_MIB << 20);
  } finally {
    closeSync(fd);
  }
  return { dir, file };
}

/** COM1 written to a file by the emulator, read in whole lines as they come */
export class ConsoleFile {
  private offset = 0;
  private partial = '';
  private readonly decoder = new TextDecoder();
  // opened once: the host polls at every syscall and exit, and an open and a buffer each time would cost on that path
  private fd: number | undefined;
  private readonly buf = Buffer.alloc(65536);
  readonly lines: string[] = [];

  constructor(readonly path: string) {
    writeFileSync(path, '');
    this.fd = openSync(path, 'r');
  }

  /** the whole lines that have come; `end`: the run is over, so a last unfinished line counts too, and the file is closed */
  poll(each?: (line: string) => void, end = false): string[] {
    const out: string[] = [];
    if (this.fd !== undefined) {
      for (;;) {
        const n = readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.partial += this.decoder.decode(this.buf.subarray(0, n), { stream: true });
      }
      if (end) {
        closeSync(this.fd);
        this.fd = undefined;
      }
    }
    const lines = this.partial.split('\n');
    this.partial = lines.pop()!;
    if (end && this.partial) {
      lines.push(this.partial);
      this.partial = '';
    }
    for (const l of lines) {
      const line = l.replace(/\r$/, '');
      out.push(line);
      this.lines.push(line);
      each?.(line);
    }
    return out;
  }
}

export async function boot(o: BootOptions): Promise<BootResult> {
  return run(o).result;
}

function run(o: BootOptions, wirePath?: string, consoleFile?: ConsoleFile, memoryPath?: string): { result: Promise<BootResult>; stop(): void; pid: number | undefined } {
  const accel = o.accel ?? detectAccel();
  const args = qemuArgs(o, accel, wirePath, consoleFile?.path, memoryPath);
  const serial: string[] = [];
  let partial = '';
  const line = (l: string) => {
    serial.push(l);
    o.onSerial?.(l);
  };
  const started = performance.now();
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
    for (const l of lines) line(l.replace(/\r$/, ''));
  });
  let stopped = false;
  const result = child.then((r): BootResult => {
    if (partial) line(partial);
    if (consoleFile) {
      consoleFile.poll(o.onSerial, true);
      serial.push(...consoleFile.lines);
    }
    const stderr = String(r.stderr ?? '');
    const { verdict, code } = stopped ? { verdict: 'stopped' as const, code: undefined } : verdictOf(r.exitCode, stderr, r.timedOut);
    const out: BootResult = {
      verdict, code, exitStatus: r.exitCode, serial, stderr, durationMs: Math.round(performance.now() - started), accel, args,
    };
    if (verdict !== 'pass' && o.logDir) out.log = keepLog(o, out);
    return out;
  });
  return {
    result,
    stop: () => {
      stopped = true;
      child.kill('SIGKILL');
    },
    pid: child.pid,
  };
}

/** the serial log of a run that did not pass, with how it was run and how it ended */
function keepLog(o: BootOptions, r: BootResult): string {
  mkdirSync(o.logDir!, { recursive: true });
  const log = join(o.logDir!, `${basename(o.image)}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  writeFileSync(log, [
    `# ${QEMU} ${r.args.join(' ')}`,
    `# verdict ${r.verdict}${r.code !== undefined ? `, code ${r.code}` : ''}, exit status ${r.exitStatus ?? 'none'}, ${r.durationMs} ms`,
    ...r.serial,
    ...(r.stderr ? ['# stderr:', r.stderr] : []),
    '',
  ].join('\n'));
  return log;
}
