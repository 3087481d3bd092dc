// bfx supervise: extensions under the supervisor, each as its manifest
// says — started in dependency order, restarted by policy — with their
// output and the supervisor's events as they come, then the status.
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Microkernel } from '../backend/microkernel.js';
import { bootQemu, type QemuTarget } from '../backend/remote/boot.js';
import { Sim, SIM_DEFAULTS } from '../backend/sim/sim.js';
import { load, LoadError } from '../loader/load.js';
import { ROOT } from '../paths.js';
import type { OutputLine } from '../run/host.js';
import { Ledger } from '../supervisor/ledger.js';
import { loadManifests, ManifestError } from '../supervisor/manifest.js';
import { DependencyError } from '../supervisor/order.js';
import { fitMemory, Supervisor, type DaemonSpec } from '../supervisor/runtime.js';
import { formatStatus, iso, statusJson } from '../supervisor/status.js';
import { EXIT, interruptible, oneOf, parse, UsageError, type Io } from './common.js';

const HELP = `Usage: bfx supervise <manifest|folder...> [options]

Runs extensions under the supervisor, each as its manifest says
(docs/manifest.md): started in dependency order, each end of an instance
judged by its restart policy, restarts after their backoff and within their
intensity, what a crashed instance owned released as its state policy says.
It goes on until no processor runs a guest and no restart is due, then
prints the status: each extension's state, restarts and last crash, and the
resources left.

Options:
  --target <t>      sim (default) or qemu, as for bfx run
  --guest <name>    the root guest (default ${SIM_DEFAULTS.guest})
  --config <text>   text every extension reads with bfx_config()
  --ledger <file>   append the resources' intervals to this JSON-lines file
                    (bfx ledger <file> summarises it)
  --status <file>   keep the status in this file as it changes (bfx status <file>)
  --json            the final status as one JSON object, nothing else on stdout
  --quiet           only the final status
  -h, --help        this help

Exit status: 0 no extension ended Failed; 1 one did; 2 the command line was
wrong; 3 a manifest or an extension could not be loaded; 130 interrupted.
`;

export async function supervise(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    target: { type: 'string' },
    guest: { type: 'string' },
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
  const target = oneOf('target', values.target, ['sim', 'qemu'] as const) ?? 'sim';
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

  let mk: Microkernel;
  let qemu: QemuTarget | undefined;
  if (target === 'qemu') {
    say('bfx: booting the firmware under QEMU …');
    qemu = await bootQemu({ guest: values.guest, logDir: join(ROOT, 'build', 'qemu-logs'), name: `bfx-run-${process.pid}` });
    mk = qemu.remote;
  } else {
    mk = new Sim({ guest: values.guest ?? SIM_DEFAULTS.guest });
  }
  const width = Math.max(6, ...specs.map((s) => s.manifest.name.length));
  const show = (l: OutputLine) => {
    if (json || values.quiet) return;
    if (l.source === 'host') io.err(`${'bfx'.padEnd(width)} | ${l.text}\n`);
    else if (l.source === 'extension') io.out(`${l.extension.padEnd(width)} | ${l.text}\n`);
    else io.out(`${`${l.source}${l.ppid}`.padEnd(width)} | ${l.text}\n`);
  };
  const supervisor = new Supervisor(mk, specs, {
    ledger: values.ledger ? new Ledger(values.ledger, Date.now) : undefined,
    onOutput: show,
    onEvent: (e) => !json && !values.quiet && io.err(`${'bfx'.padEnd(width)} | ${e.subject}: ${e.text}\n`),
    onStatus: (s) => values.status && writeFileSync(values.status, `${JSON.stringify(statusJson(s), null, 2)}\n`),
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
