// bfx run: extensions on a microkernel, their output and the guests'
// consoles as they come, then a summary.
import { relative } from 'node:path';
import type { Arch } from '../backend/microkernel.js';
import { findScenario } from '../backend/sim/guest/scenarios.js';
import { SIM_DEFAULTS } from '../backend/sim/sim.js';
import { load, LoadError, type LoadedModule } from '../loader/load.js';
import { Host, HOST_DEFAULTS, type OutputLine } from '../run/host.js';
import { renderReport, report, withEmulator } from '../run/report.js';
import { EXIT, integer, interruptible, oneOf, parse, UsageError, type Io } from './common.js';
import { cpuOption, emulated, imageOption, linePrinter, openTarget, requestTimeoutOption, TARGETS } from './target.js';
import { DEFAULT_CALLBACK_BUDGET_MS } from '../supervisor/manifest.js';
import { REMOTE_TIMEOUTS } from '../backend/remote/remote.js';
import { BOCHS_CPUS, DEFAULT_BOCHS_CPU } from '../../qemu/bochs.js';

const ARCHES = ['amd', 'intel'] as const;

const HELP = `Usage: bfx run <extension...> [options]

Runs extensions on a microkernel: calls each one's entry point, bootstraps
every physical processor, and hands VM exits to the extension that owns the
VPS, until no processor is left running (its guest halted, shut down or was
promoted, or the host had to stop it). An extension is a .wasm file, an
AssemblyScript .ts entry, or a folder with main.ts (built first if stale).

Options:
  --target <t>      the microkernel: sim (the embedded reference; default),
                    qemu (our firmware booted under QEMU, AMD SVM, over the
                    wire) or bochs (our firmware under Bochs: Intel VMX, or
                    AMD SVM, as --cpu says)
  --cpu <model>     with --target bochs: the CPU model Bochs emulates
                    (default ${DEFAULT_BOCHS_CPU}; ryzen with --arch amd):
${cpuList()}
  --guest <name>    the root guest (default ${SIM_DEFAULTS.guest}); bfx guests lists them
  --pps <n>         physical processors (default ${SIM_DEFAULTS.pps}; the firmware has 1)
  --arch <a>        amd (SVM, default) or intel (VMX): the sim's; qemu is
                    amd only; with bochs, the vendor of --cpu's model
  --pools <sizes>   the pools, e.g. vms=16,vps=16,vpss=16,pages=64
                    (the sim's defaults; the firmware's are its build's,
                    and --pools can only lower them)
  --image <file>    with --target qemu or bochs: the multiboot image
                    (default: bfx's firmware, firmware/build/bfx.elf)
  --config <text>   text each extension reads with bfx_config()
  --max-exits <n>   stop after n VM exits in all (default 10000000)
  --timeout <s>     stop resuming guests after s seconds (default 600)
  --transport <t>   with --target qemu or bochs: how frames travel after the
                    handshake: shm (a mailbox in guest RAM that QEMU shares
                    with the host; the default under QEMU) or uart (the
                    default under Bochs, which has no shared RAM: asked for
                    shm, it stays on the UART and says so)
  --request-timeout <ms>
                    with --target qemu or bochs: how long a syscall waits
                    for the firmware's answer before it fails with
                    FAILURE_UNKNOWN (default ${REMOTE_TIMEOUTS.requestMs}); a late answer is
                    still settled
  --budget <ms>     the CPU time one call into an extension (its entry point,
                    or one callback) may take (default ${DEFAULT_CALLBACK_BUDGET_MS}): each extension
                    runs in a worker thread, terminated when a call runs past
                    it; 0 runs them in bfx's own thread, faster, but nothing
                    then stops a call that never returns
  --json            one JSON object at the end, nothing else on stdout
  --quiet           only the summary
  -h, --help        this help

Exit status: 0 every guest finished and nothing failed; 1 an extension
faulted, a processor stopped, a guest shut down, or a limit was hit;
2 the command line was wrong; 3 an extension could not be built or loaded;
4 bfx itself failed (a bug: please report it); 130 interrupted (SIGINT or
SIGTERM): the run stops between two exits, the summary says what it did,
and the emulator is stopped.
`;

/** the Bochs models, for the help: one a line, with their vendor */
function cpuList(): string {
  return BOCHS_CPUS.map((c) => `                    ${c.model.padEnd(20)}${c.vendor.padEnd(6)}${c.what}`).join('\n');
}

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    target: { type: 'string' },
    cpu: { type: 'string' },
    guest: { type: 'string' },
    pps: { type: 'string' },
    arch: { type: 'string' },
    pools: { type: 'string' },
    config: { type: 'string' },
    image: { type: 'string' },
    'max-exits': { type: 'string' },
    budget: { type: 'string' },
    'request-timeout': { type: 'string' },
    transport: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (!positionals.length) throw new UsageError('name at least one extension to run, e.g. bfx run extensions/cpuid');
  const target = oneOf('target', values.target, TARGETS) ?? 'sim';
  const askedArch = oneOf('arch', values.arch, ARCHES);
  const cpu = cpuOption(values.cpu, target, askedArch);
  const arch: Arch = cpu?.vendor ?? askedArch ?? SIM_DEFAULTS.arch;
  const pps = integer('pps', values.pps, 1, 64) ?? SIM_DEFAULTS.pps;
  if (target === 'qemu' && arch !== 'amd') throw new UsageError('--target qemu runs AMD SVM (QEMU TCG has no VMX): leave out --arch intel, or use --target sim, or --target bochs for Intel VMX');
  if (emulated(target) && pps !== 1) throw new UsageError(`--target ${target} has one physical processor (the firmware runs on the bootstrap processor only): leave out --pps`);
  const image = imageOption(values.image, target);
  const maxExits = integer('max-exits', values['max-exits'], 1, Number.MAX_SAFE_INTEGER);
  const timeout = integer('timeout', values.timeout, 1, 86400);
  const requestTimeout = requestTimeoutOption(values['request-timeout'], target);
  const transport = oneOf('transport', values.transport, ['uart', 'shm'] as const);
  if (transport && !emulated(target)) throw new UsageError('--transport is for --target qemu or bochs: the sim is called in-process');
  const budget = integer('budget', values.budget, 0, 86_400_000) ?? DEFAULT_CALLBACK_BUDGET_MS;
  const pools = parsePools(values.pools);
  const guest = values.guest ?? SIM_DEFAULTS.guest;
  try {
    // the name, and its argument too (cpuid-loop:N): the sim would throw on a bad one later
    const { scenario, arg } = findScenario(guest);
    scenario.program(0, arg);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }

  const json = values.json === true;
  const say = (text: string) => !json && io.err(`${text}\n`);
  const modules: LoadedModule[] = [];
  for (const p of positionals) {
    try {
      modules.push(await load(p, { onCompile: (t) => say(`bfx: compiling ${relative(process.cwd(), t.entry)} …`) }));
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      // named as the user named it: the module's name alone may not say which file
      const problems = e.problems.length === 1 ? e.problems[0] : `${e.problems.length} problems:\n${e.problems.map((x) => `  - ${x}`).join('\n')}`;
      if (json) io.out(`${JSON.stringify({ ok: false, error: `${p}: ${problems}`, path: p, module: e.module, problems: e.problems })}\n`);
      else io.err(`bfx run: cannot load ${p}: ${problems}\n`);
      return EXIT.load;
    }
  }

  const width = Math.max(6, ...modules.map((m) => m.name.length));
  const lines: OutputLine[] = [];
  const show = linePrinter(io, width, { json, quiet: values.quiet, kept: lines });

  const start = performance.now();
  const opened = await openTarget({
    target, cpu: cpu?.model, guest, arch, pps, pools, image, requestTimeoutMs: requestTimeout, transport,
    timeoutMs: (timeout ?? HOST_DEFAULTS.timeoutMs / 1000) * 1000 + 30_000,
  }, say);
  if ('error' in opened) {
    if (json) io.out(`${JSON.stringify({ ok: false, error: opened.error })}\n`);
    else io.err(`bfx run: ${opened.error}\n`);
    return EXIT.failed;
  }
  const { mk, qemu } = opened;
  const host = new Host(mk, { maxExits, timeoutMs: timeout === undefined ? undefined : timeout * 1000, onOutput: show });
  for (const m of modules) host.add(m, { config: values.config, budgetMs: budget === 0 ? undefined : budget });
  let interrupted: string | undefined;
  try {
    interrupted = (await interruptible((stop) => host.runAsync(stop))).signal;
  } finally {
    mk.close();
    await Promise.all(host.extensions.map((e) => e.dispose()));
  }
  if (interrupted) say(`bfx: ${interrupted}: the run stopped; ${qemu ? `stopping ${target === 'bochs' ? 'Bochs' : 'QEMU'}` : 'here is what it did'}`);
  const ended = await qemu?.shutdown();
  let r = report(host, performance.now() - start);
  if (ended) r = withEmulator(r, { verdict: ended.verdict, code: ended.code, accel: ended.accel.kind, log: ended.log });
  if (json) io.out(`${JSON.stringify({ ...r, target, guest, output: lines }, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2)}\n`);
  else io.out(`${renderReport(r)}\n`);
  if (interrupted) return EXIT.interrupted;
  return r.ok ? EXIT.ok : EXIT.failed;
}

const POOLS = ['vms', 'vps', 'vpss', 'pages'] as const;

/** "vms=4,pages=128" → { vms: 4, pages: 128 } */
function parsePools(text: string | undefined): Partial<Record<(typeof POOLS)[number], number>> {
  if (text === undefined) return {};
  const out: Partial<Record<(typeof POOLS)[number], number>> = {};
  for (const part of text.split(',')) {
    const [key, value, extra] = part.split('=');
    const k = POOLS.find((p) => p === key.trim());
    if (!k || value === undefined || extra !== undefined) throw new UsageError(`--pools takes name=count pairs of ${POOLS.join(', ')}, e.g. vms=4,vpss=8; not "${part}"`);
    out[k] = integer(`pools ${k}`, value.trim(), 1, 0xfffe);
  }
  return out;
}
