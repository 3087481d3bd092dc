// bfx supervise: extensions under the supervisor, each as its manifest
// says — started in dependency order, restarted by policy — with their
// output and the supervisor's events as they come, then the status.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { SIM_DEFAULTS } from '../backend/sim/sim.js';
import { load, LoadError } from '../loader/load.js';
import { Ledger } from '../supervisor/ledger.js';
import { loadManifests, ManifestError } from '../supervisor/manifest.js';
import { DependencyError } from '../supervisor/order.js';
import { fitMemory, Supervisor, type DaemonSpec } from '../supervisor/runtime.js';
import { formatStatus, iso, statusJson } from '../supervisor/status.js';
import { EXIT, interruptible, type Io, oneOf, parse, UsageError } from './common.js';
import { cpuOption, linePrinter, openTarget, requestTimeoutOption, TARGETS } from './target.js';
import { REMOTE_TIMEOUTS } from '../backend/remote/remote.js';

const HELP = `Usage: bfx supervise <manifest|folder...> [options]

Runs extensions under the supervisor, each as its manifest says
(docs/manifest.md): started in dependency order, each end of an instance
judged by its restart policy, restarts after their backoff and within their
intensity, what a crashed instance owned released as its state policy says.
It goes on until no processor runs a guest and no restart is due, then
prints the status: each extension's state, restarts and last crash, and the
resources left.

Options:
  --target <t>      sim (default), qemu or bochs, as for bfx run
  --cpu <model>     with --target bochs: the CPU model (default
                    corei7_skylake_x), as for bfx run
  --guest <name>    the root guest (default ${SIM_DEFAULTS.guest})
  --request-timeout <ms>
                    with --target qemu or bochs: how long a syscall waits
                    for the firmware's answer before it fails with
                    FAILURE_UNKNOWN (default ${REMOTE_TIMEOUTS.requestMs}), as for bfx run
  --config <text>   text every extension reads with bfx_config()
  --ledger <file>   append the resources' intervals to this JSON-lines file
                    (bfx ledger <file> summarises it)
  --status <file>   keep the status in this file as it changes (bfx status <file>)
  --json            the final status as one JSON object, nothing else on stdout
  --quiet           only the final status
  -h, --help        this help

Exit status: 0 no extension ended Failed; 1 one did, or the microkernel did
not come up; 2 the command line was wrong; 3 a manifest or an extension
could not be loaded; 130 interrupted.
`;

export async function supervise(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    target: { type: 'string' },
    cpu: { type: 'string' },
    guest: { type: 'string' },
    'request-timeout': { type: 'string' },
    config: { type: 'string' },
    ledger: { type: 'string' },
    status: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (!positionals.length) throw new UsageError('name at least one manifest, or a folder of them, e.g. bfx supervise manifests/');
  const target = oneOf('target', values.target, TARGETS) ?? 'sim';
  const cpu = cpuOption(values.cpu, target);
  const requestTimeout = requestTimeoutOption(values['request-timeout'], target);
  const json = values.json === true;
  const say = (text: string) => !json && io.err(`${text}\n`);

  let specs: DaemonSpec[];
  try {
    const manifests = loadManifests(positionals);
    specs = [];
    for (const m of manifests) {
      const loaded = await load(m.module, { onCompile: (t) => say(`bfx: compiling ${relative(process.cwd(), t.entry)} …`) });
      specs.push({ manifest: m, config: values.config, loaded: fitMemory(m, loaded) });
    }
  } catch (e) {
    if (!(e instanceof ManifestError || e instanceof LoadError || e instanceof DependencyError)) throw e;
    if (json) io.out(`${JSON.stringify({ ok: false, error: e.message })}\n`);
    else io.err(`bfx supervise: ${e.message}\n`);
    return EXIT.load;
  }

  const opened = await openTarget({ target, cpu: cpu?.model, guest: values.guest ?? SIM_DEFAULTS.guest, requestTimeoutMs: requestTimeout }, say);
  if ('error' in opened) {
    if (json) io.out(`${JSON.stringify({ ok: false, error: opened.error })}\n`);
    else io.err(`bfx supervise: ${opened.error}\n`);
    return EXIT.failed;
  }
  const { mk, qemu } = opened;
  const width = Math.max(6, ...specs.map((s) => s.manifest.name.length));
  const show = linePrinter(io, width, { json, quiet: values.quiet });
  const supervisor = new Supervisor(mk, specs, {
    ledger: values.ledger ? new Ledger(values.ledger, Date.now) : undefined,
    onOutput: show,
    onEvent: (e) => !json && !values.quiet && io.err(`${'bfx'.padEnd(width)} | ${e.subject}: ${e.text}\n`),
    onStatus: values.status === undefined ? undefined : (s) => writeFileSync(values.status!, `${JSON.stringify(statusJson(s), null, 2)}\n`),
  });
  let interrupted: string | undefined;
  try {
    interrupted = (await interruptible((stop) => supervisor.run(stop))).signal;
  } finally {
    mk.close();
    await qemu?.shutdown();
  }
  const status = supervisor.status();
  const failed = status.extensions.filter((e) => e.state === 'Failed');
  if (json) io.out(`${JSON.stringify({ ok: failed.length === 0, target, ...statusJson(status), ...(interrupted ? { interrupted } : {}) }, null, 2)}\n`);
  else io.out(`── status at ${iso(status.at)}: ${failed.length ? `${failed.map((e) => e.name).join(', ')} FAILED` : 'ok'}${interrupted ? ` (interrupted: ${interrupted})` : ''}\n${formatStatus(status)}`);
  if (interrupted) return EXIT.interrupted;
  return failed.length ? EXIT.failed : EXIT.ok;
}
