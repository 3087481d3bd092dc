// Booting a multiboot image under Bochs, unattended: the Intel VMX (or AMD
// SVM) of a CPU model Bochs emulates, which QEMU's TCG does not have. Bochs
// has no -kernel: the image boots from a GRUB rescue ISO, made once per
// image and command line and cached. Bochs cannot exit with the image's
// status either: the firmware writes "bfx-exit NNN" to port 0xE9, which
// Bochs prints on its stdout. A time limit, the console line by line, the
// log of a run that did not pass kept, and no Bochs left behind on any path.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { SyncWire } from '../host/backend/remote/sync-wire.js';
import { ROOT } from '../host/paths.js';
import { ConsoleFile, DEFAULT_TIMEOUT_MS, type Accel, type BootResult, type Session, type Verdict } from './qemu.js';

/** the emulator itself: Debian's bochs-bin, with its debugger built in (bochs is a wrapper script around it) */
export const BOCHS = 'bochs-bin';
export const BOCHS_BIOS = '/usr/share/bochs/BIOS-bochs-latest';
export const VGA_BIOS = '/usr/share/vgabios/vgabios.bin';

export interface BochsCpu {
  /** Bochs' name for it (cpu: model=…) */
  model: string;
  vendor: 'intel' | 'amd';
  /** what it offers a hypervisor, in words */
  what: string;
}

/** the models bfx runs on, as measured on Bochs 2.7 (see PLATFORM.md); Bochs has more, without VMX or SVM */
export const BOCHS_CPUS: readonly BochsCpu[] = [
  { model: 'corei7_skylake_x', vendor: 'intel', what: 'VMX with EPT and VPID' },
  { model: 'corei7_haswell_4770', vendor: 'intel', what: 'VMX with EPT and VPID' },
  { model: 'corei7_icelake_u', vendor: 'intel', what: 'VMX with EPT and VPID' },
  { model: 'tigerlake', vendor: 'intel', what: 'VMX with EPT and VPID' },
  { model: 'core2_penryn_t9600', vendor: 'intel', what: 'VMX without EPT: runs no guest' },
  { model: 'ryzen', vendor: 'amd', what: 'SVM with NPT, NRIP save, ASID flush' },
  { model: 'zambezi', vendor: 'amd', what: 'SVM with NPT' },
];

export const DEFAULT_BOCHS_CPU = 'corei7_skylake_x';

export class BochsCpuError extends Error {}

/** the model by name; an unknown one is an error that lists those there are */
export function bochsCpu(model: string = DEFAULT_BOCHS_CPU): BochsCpu {
  const cpu = BOCHS_CPUS.find((c) => c.model === model);
  if (!cpu) throw new BochsCpuError(`unknown Bochs CPU model "${model}": the models are ${BOCHS_CPUS.map((c) => `${c.model} (${c.vendor})`).join(', ')}`);
  return cpu;
}

/** the Accel a BootResult carries: Bochs and its model */
export function bochsAccel(cpu: BochsCpu): Accel {
  return { kind: 'bochs', cpu: cpu.model, why: `Bochs emulates ${cpu.what} on ${cpu.model}` };
}

export interface BochsBootOptions {
  image: string;
  /** the image's command line after its path, as QEMU's -append gives it */
  append?: string;
  /** the CPU model (default corei7_skylake_x) */
  cpu?: string;
  timeoutMs?: number;
  /** each line of the serial console, as it comes */
  onSerial?: (line: string) => void;
  /** where the log of a run that did not pass is kept */
  logDir?: string;
  /** a name in the run's folder, which is on Bochs' command line: to find the process */
  name?: string;
  /** the wire to the firmware: COM2 connects to a TCP port on loopback the host listens on */
  wire?: boolean;
  /** where the ISOs are cached (default build/bochs-iso) */
  isoCache?: string;
  /** instructions per emulated second (default BOCHS_IPS) */
  ips?: number;
}

// ── the ISO ────────────────────────────────────────────────────────────────

export const ISO_CACHE = join(ROOT, 'build', 'bochs-iso');
/** ISOs kept in the cache, the most recently used; each is about 1 MB */
export const ISO_KEPT = 32;
/** what GRUB writes to port 0xE9 when the image did not boot (no multiboot header, say): Bochs ends, and the verdict is error */
export const GRUB_FAILED = 'bfx-grub: the image did not boot';
// only what grub.cfg needs: a smaller ISO that GRUB loads faster (~1 MB, not ~10)
const GRUB_MODULES = 'multiboot normal iorw echo';

/** a word of GRUB's script, quoted so that it reaches the image as it is */
function grubWord(w: string): string {
  return `'${w.replace(/'/g, "'\\''")}'`;
}

/**
 * The ISO's grub.cfg. GRUB's multiboot drops the file name from the command
 * line, and QEMU's -kernel puts the image's path before -append: the path
 * is given twice so that the image sees "PATH ARGS" under both. After the
 * boot, which returns only when it failed, GRUB says so on 0xE9 and shuts
 * Bochs down, rather than wait at its prompt for the time limit.
 */
export function grubConfig(append = ''): string {
  const words = append.split(/\s+/).filter(Boolean).map(grubWord);
  const say = [...Buffer.from(`${GRUB_FAILED}\n`)].map((b) => `outb 0xe9 0x${b.toString(16)}`);
  const shutdown = [...Buffer.from('Shutdown')].map((b) => `outb 0x8900 0x${b.toString(16)}`);
  return ['set timeout=0', `multiboot /boot/bfx.elf /boot/bfx.elf ${words.join(' ')}`.trimEnd(), 'boot', ...say, ...shutdown, ''].join('\n');
}

export interface IsoInfo {
  path: string;
  /** false when it came from the cache */
  built: boolean;
  ms: number;
}

/** the rescue ISO for this image and command line: from the cache, or made by grub-mkrescue (into the cache) */
export async function isoFor(image: string, append: string | undefined, cacheDir = ISO_CACHE): Promise<IsoInfo> {
  const started = performance.now();
  const cfg = grubConfig(append);
  const key = createHash('sha256').update(readFileSync(image)).update('\0').update(cfg).update('\0').update(GRUB_MODULES).digest('hex').slice(0, 32);
  const path = join(cacheDir, `${key}.iso`);
  if (existsSync(path)) {
    const now = new Date();
    utimesSync(path, now, now); // recently used: the last to be evicted
    return { path, built: false, ms: Math.round(performance.now() - started) };
  }
  mkdirSync(cacheDir, { recursive: true });
  // made aside and renamed into place: two runs making the same ISO at once each see a whole one
  const stage = mkdtempSync(join(cacheDir, 'stage-'));
  try {
    mkdirSync(join(stage, 'tree', 'boot', 'grub'), { recursive: true });
    writeFileSync(join(stage, 'tree', 'boot', 'bfx.elf'), readFileSync(image));
    writeFileSync(join(stage, 'tree', 'boot', 'grub', 'grub.cfg'), cfg);
    const r = await execa('grub-mkrescue', [
      '-o', join(stage, 'out.iso'), '--locales=', '--fonts=', '--themes=', `--install-modules=${GRUB_MODULES}`, join(stage, 'tree'),
    ], { reject: false, stdin: 'ignore', encoding: 'utf8' });
    if (r.failed) {
      const why = (r.code === 'ENOENT' ? 'grub-mkrescue is not installed' : String(r.stderr ?? '').trim()) || `exit status ${r.exitCode}`;
      throw new Error(`cannot make a GRUB rescue ISO of ${image}: ${why} (bash qemu/deps.sh installs grub-pc-bin, xorriso and mtools)`);
    }
    renameSync(join(stage, 'out.iso'), path);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  evict(cacheDir, path);
  return { path, built: true, ms: Math.round(performance.now() - started) };
}

/** the cache keeps the ISO_KEPT most recently used */
function evict(cacheDir: string, keep: string): void {
  const isos = readdirSync(cacheDir).filter((f) => f.endsWith('.iso')).map((f) => {
    const p = join(cacheDir, f);
    try {
      return { p, t: statSync(p).mtimeMs };
    } catch {
      return { p, t: 0 }; // gone meanwhile
    }
  });
  isos.sort((a, b) => b.t - a.t);
  for (const { p } of isos.slice(ISO_KEPT)) if (p !== keep) rmSync(p, { force: true });
}

// ── TCP_NODELAY for Bochs' wire ────────────────────────────────────────────

const NODELAY_SOURCE = join(ROOT, 'qemu', 'nodelay.c');
export const NODELAY_LIBRARY = join(ROOT, 'build', 'bochs-nodelay', 'nodelay.so');

/**
 * The preload that sets TCP_NODELAY on Bochs' wire (qemu/nodelay.c), built
 * by gcc when missing or older than its source. Without it the wire works,
 * a frame at a time ~40 ms slower: undefined then, with why in `problem`.
 */
export async function nodelayLibrary(): Promise<{ path?: string; problem?: string }> {
  try {
    if (existsSync(NODELAY_LIBRARY) && statSync(NODELAY_LIBRARY).mtimeMs >= statSync(NODELAY_SOURCE).mtimeMs) return { path: NODELAY_LIBRARY };
    mkdirSync(join(NODELAY_LIBRARY, '..'), { recursive: true });
    const tmp = `${NODELAY_LIBRARY}.${process.pid}.tmp`;
    const r = await execa('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-o', tmp, NODELAY_SOURCE, '-ldl'], { reject: false, stdin: 'ignore', encoding: 'utf8' });
    if (r.failed) return { problem: `gcc could not build ${NODELAY_SOURCE}: ${String(r.stderr ?? '').trim() || r.code || `exit status ${r.exitCode}`}` };
    renameSync(tmp, NODELAY_LIBRARY); // whole, for a run beside this one
    return { path: NODELAY_LIBRARY };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

// ── the run ────────────────────────────────────────────────────────────────

export interface BochsFiles {
  iso: string;
  console: string;
  log: string;
  /** COM2's TCP port on 127.0.0.1, with the wire */
  wirePort?: number;
  /** default BOCHS_IPS */
  ips?: number;
}

/**
 * Instructions per emulated second. Emulated time is all a UART's baud rate
 * and the BIOS's waits are counted in (clock: sync=none): at 200M a byte at
 * 115200 baud costs 14k instructions, a boot to hello ~1.8 s and a round
 * trip on the wire tens of ms; at 10M, ~0.8 s and ~5 ms (measured). The
 * guest's clock runs fast against the wall's: nothing in the firmware
 * measures time by it.
 */
export const BOCHS_IPS = 10_000_000;

/** the bochsrc of a run: nothing in it waits for a person */
export function bochsrc(cpu: BochsCpu, f: BochsFiles): string {
  return [
    `cpu: model=${cpu.model}, count=1, ips=${f.ips ?? BOCHS_IPS}, reset_on_triple_fault=0, ignore_bad_msrs=0`, // a triple fault panics (a crash), rather than reset and boot again; an MSR the model lacks raises #GP, as hardware does
    'memory: guest=128, host=128',
    `romimage: file=${BOCHS_BIOS}, options=fastboot`, // no boot menu delay
    `vgaromimage: file=${VGA_BIOS}`,
    `ata0-master: type=cdrom, path=${f.iso}, status=inserted`,
    'boot: cdrom',
    'clock: sync=none',
    // Debian's Bochs has no nogui: rfb without waiting for a viewer (it listens on the first free port of 5900-5949)
    'display_library: rfb, options="timeout=0"',
    `com1: enabled=1, mode=file, dev=${f.console}`,
    ...(f.wirePort !== undefined ? [`com2: enabled=1, mode=socket-client, dev=127.0.0.1:${f.wirePort}`] : []),
    'port_e9_hack: enabled=1', // the image's exit status comes this way (firmware/kernel/exit.c)
    'sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy', // no ALSA, and none of its complaints
    `log: ${f.log}`,
    'debugger_log: -',
    'panic: action=fatal',
    'error: action=report',
    '',
  ].join('\n');
}

const EXIT_LINE = /bfx-exit (\d+)\n/;
const EXITING = /Bochs is exiting with the following message:\n(\[[^\]]*\] .*)/;

/**
 * How Bochs ended → verdict. pass/fail: the image wrote its code to 0xE9;
 * crash: Bochs ended by itself without it — a processor's panic (a triple
 * fault), or the image shut it down saying nothing; error: anything else
 * that ended it (a bad configuration, no bootable device, GRUB could not
 * boot the image, Bochs missing).
 */
export function bochsVerdictOf(r: { stdout: string; stderr: string; exitStatus: number | undefined; timedOut: boolean }): { verdict: Verdict; code?: number; message?: string } {
  if (r.timedOut) return { verdict: 'timeout' };
  const exit = EXIT_LINE.exec(r.stdout);
  if (exit) {
    const code = Number(exit[1]);
    return { verdict: code === 0 ? 'pass' : 'fail', code };
  }
  if (r.stdout.includes(GRUB_FAILED)) return { verdict: 'error', message: 'GRUB could not boot the image (is it a multiboot image?)' };
  const message = EXITING.exec(r.stderr)?.[1];
  if (r.exitStatus === undefined || !message) return { verdict: 'error', message };
  if (/^\[CPU\d+\s*\]/.test(message) || /Shutdown port: shutdown requested/.test(message)) return { verdict: 'crash', message };
  return { verdict: 'error', message };
}

/** Bochs' stderr without the info lines of its start-up and the banners */
export function bochsComplaints(stderr: string): string {
  return stderr.split('\n').filter((l) => l.trim() && !/^\d{11}[a-z]\[/.test(l) && !/^=+$/.test(l)).join('\n');
}

/** boots an image and says how it ended */
export async function boot(o: BochsBootOptions): Promise<BootResult> {
  return (await start({ ...o, wire: false })).result;
}

/** boots an image and returns at once: with the wire connected when asked */
export async function start(o: BochsBootOptions): Promise<Session> {
  const cpu = bochsCpu(o.cpu);
  const iso = await isoFor(o.image, o.append, o.isoCache);
  const nodelay = o.wire ? await nodelayLibrary() : {};
  const wire = o.wire ? await SyncWire.listenTcp() : undefined;
  // the run's files; its name is on Bochs' command line, for pgrep
  const safeName = (o.name ?? 'run').replace(/[^A-Za-z0-9_.-]/g, '_');
  const dir = mkdtempSync(join(tmpdir(), `bfx-bochs-${safeName}-`));
  // the ISO by a plain name: bochsrc's values end at a comma, and the cache's path is the checkout's
  symlinkSync(iso.path, join(dir, 'boot.iso'));
  const files: BochsFiles = { iso: join(dir, 'boot.iso'), console: join(dir, 'com1.log'), log: join(dir, 'bochs.log'), wirePort: wire?.port, ips: o.ips };
  const consoleFile = new ConsoleFile(files.console);
  const rc = bochsrc(cpu, files);
  writeFileSync(join(dir, 'bochsrc'), rc);
  writeFileSync(join(dir, 'debugger.rc'), 'c\n'); // the built-in debugger would stop at its prompt: continue
  const args = ['-q', '-rc', join(dir, 'debugger.rc'), '-f', join(dir, 'bochsrc')];

  const started = performance.now();
  const child = execa(BOCHS, args, {
    cwd: dir,
    env: nodelay.path ? { LD_PRELOAD: [nodelay.path, process.env.LD_PRELOAD].filter(Boolean).join(' ') } : {},
    timeout: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    killSignal: 'SIGKILL', // SIGINT or SIGTERM would drop into its debugger
    cleanup: true, // killed with us, however we end
    reject: false,
    stdin: 'ignore',
    encoding: 'utf8',
  });
  let stopped = false;
  let ended = false;
  // COM1 goes to a file: without the wire nobody polls it, so it is polled here, as lines come
  const ticker = o.wire ? undefined : setInterval(() => consoleFile.poll(o.onSerial), 50);
  const result = child.then((r): BootResult => {
    ended = true;
    if (ticker) clearInterval(ticker);
    consoleFile.poll(o.onSerial, true);
    const stdout = String(r.stdout ?? '');
    const rawStderr = String(r.stderr ?? '');
    const exitStatus = r.exitCode;
    const judged = stopped ? { verdict: 'stopped' as const, message: undefined, code: undefined }
      : r.code === 'ENOENT' ? { verdict: 'error' as const, message: `${BOCHS} is not installed (bash qemu/deps.sh installs Debian's bochs)` }
        : bochsVerdictOf({ stdout, stderr: rawStderr, exitStatus, timedOut: r.timedOut });
    const out: BootResult = {
      verdict: judged.verdict, code: judged.code, message: judged.message, exitStatus, serial: consoleFile.lines,
      stderr: r.code === 'ENOENT' ? judged.message! : bochsComplaints(rawStderr), durationMs: Math.round(performance.now() - started),
      accel: bochsAccel(cpu), args,
    };
    if (out.verdict !== 'pass' && o.logDir) out.log = keepLog(o, out, rc, files.log, stdout);
    return out;
  }).finally(() => {
    wire?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const stop = () => {
    stopped = true;
    child.kill('SIGKILL');
  };
  const session: Session = { wire, result, stop, pid: child.pid, pollConsole: () => consoleFile.poll(o.onSerial) };
  if (!wire) return session;

  // Bochs connects COM2 as it sets its devices up, before the BIOS runs; when it cannot, it goes on without (mode null) and says so in its log
  const deadline = performance.now() + 10_000;
  while (!wire.waitConnected(0)) {
    const refused = !ended && existsSync(files.log) && /com2: connect\(\) failed/.test(readFileSync(files.log, 'utf8'));
    if (ended || refused || performance.now() > deadline) {
      if (!ended) stop();
      const r = await result;
      const why = refused ? 'COM2 could not connect to the host' : r.message ?? (r.stderr.trim() || `exit status ${r.exitStatus}`);
      throw new Error(`Bochs ${ended && !refused ? 'ended before it connected the wire' : 'did not connect the wire'}: ${why}`);
    }
    await new Promise((ok) => setTimeout(ok, 5));
  }
  return session;
}

/** the log of a run that did not pass: how it was run and ended, the console, the bochsrc, the E9 output, and Bochs' own log */
function keepLog(o: BochsBootOptions, r: BootResult, rc: string, bochsLog: string, stdout: string): string {
  mkdirSync(o.logDir!, { recursive: true });
  const log = join(o.logDir!, `${basename(o.image)}-bochs-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  let own = '';
  try {
    // the end says how it ended; a long run's whole log is too much to keep
    own = readFileSync(bochsLog, 'utf8').split('\n').slice(-2000).join('\n');
  } catch {
    own = '(Bochs wrote no log)';
  }
  writeFileSync(log, [
    `# ${BOCHS} ${r.args.join(' ')}`,
    `# ${o.cpu ?? DEFAULT_BOCHS_CPU}, command line "${o.append ?? ''}"`,
    `# verdict ${r.verdict}${r.code !== undefined ? `, code ${r.code}` : ''}${r.message ? `: ${r.message}` : ''}, ${r.durationMs} ms`,
    '# console (COM1):',
    ...r.serial,
    '# bochsrc:',
    rc.trimEnd(),
    '# stdout (the debugger, and port 0xE9):',
    stdout.trimEnd(),
    ...(r.stderr ? ['# stderr:', r.stderr] : []),
    '# the Bochs log (its end):',
    own,
    '',
  ].join('\n'));
  return log;
}
