// bfx conformance: the ABI conformance catalogue against an implementation
// of the bf ABI — the reference microkernel, a firmware under QEMU or
// Bochs, or one someone else started (connect:) — case by case, with progress as it runs and a table by area. Several
// targets (--target sim,qemu) run one after the other, so that one run fills
// the case × target matrix --report draws.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { FIRMWARE_IMAGE } from '../backend/remote/boot.js';
import { parseAddress } from '../backend/remote/sync-wire.js';
import { type Backend, CONNECT, connected, firmware, sim } from '../conformance/backends.js';
import type { Case } from '../conformance/catalogue/case.js';
import { catalogue } from '../conformance/catalogue/index.js';
import { driverModule } from '../conformance/driver/build.js';
import { jsonRuns } from '../conformance/output/json.js';
import { junit } from '../conformance/output/junit.js';
import { listed, listText } from '../conformance/output/list.js';
import { report } from '../conformance/output/report.js';
import { tapEnd, tapHead, tapNest, tapPoint, tapSubtest, tapSubtestEnd, tapTargets } from '../conformance/output/tap.js';
import { ok, type RunResults } from '../conformance/output/tally.js';
import { progressLine, summaries } from '../conformance/output/text.js';
import { notApplicable, runCase } from '../conformance/runner.js';
import { caseFilter, FilterError } from '../conformance/select.js';
import { LoadError } from '../loader/load.js';
import { BOCHS, DEFAULT_BOCHS_CPU } from '../../qemu/bochs.js';
import { QEMU } from '../../qemu/qemu.js';
import { EXIT, interruptible, oneOf, parse, UsageError, type Io } from './common.js';
import { cpuOption, emulated, imageOption, TARGETS, type Target } from './target.js';
import { version } from './version.js';

const HELP = `Usage: bfx conformance [options]

Runs the ABI conformance catalogue against an implementation of the bf ABI:
each case checks one rule (a status, a syscall's inputs or outputs, the
creation guarantee, zombies, callbacks, handles) through a real WebAssembly
extension, and passes, fails, or does not apply to the target (it needs
what the target cannot be asked for, and says why).

Options:
  --target <t>      sim (the embedded reference microkernel; default), qemu
                    (our firmware under QEMU, AMD SVM), bochs (our firmware
                    under Bochs: Intel VMX, or AMD SVM as --cpu says), or
                    connect:<path or host:port> (an implementation someone
                    else started, listening there, that speaks the wire
                    protocol and serves each connection with a microkernel
                    fresh from boot; bfx serve does so for our firmware);
                    several, comma-separated (sim,qemu,bochs), run one after
                    the other
  --cpu <model>     with --target bochs: the CPU model (default ${DEFAULT_BOCHS_CPU})
  --image <file>    with --target qemu or bochs: a multiboot image that speaks
                    the wire protocol (default: bfx's firmware)
  --filter <text>   only the cases whose ID contains the text, or matches
                    /regex/ (flags after the last slash)
  --list            list the cases (ID, area, clause, rule) and whether each
                    applies to the target, and why not; runs nothing
  --json            one JSON document at the end (with --list: an array)
  --tap             TAP version 13 on stdout, a test point per case as it ends
  --junit <file>    also write JUnit XML to the file
  --report <file>   also write an HTML page: per ABI area a matrix of case ×
                    target, pass, fail or n/a, with each failure's message
  -h, --help        this help

Progress goes to stderr as each case ends (not with --json or --tap), then
a table by ABI area to stdout.

Exit status: 0 every case that applies passed; 1 a case failed; 2 the
command line was wrong; 3 the target cannot be run (no firmware image, the
emulator not installed, nothing answering at a connect: address, the driver
extension not built); 4 bfx itself
failed (a bug: please report it); 130 interrupted (SIGINT or SIGTERM): the
run stops after the case that is running, and says what it did.
`;

export async function conformance(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    target: { type: 'string' },
    cpu: { type: 'string' },
    image: { type: 'string' },
    filter: { type: 'string' },
    list: { type: 'boolean' },
    json: { type: 'boolean' },
    tap: { type: 'boolean' },
    junit: { type: 'string' },
    report: { type: 'string' },
  });
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError(`it takes no arguments, but was given "${positionals.join(' ')}" (a case ID goes to --filter)`);
  const targets = targetsOption(values.target);
  // --cpu and --image are each for some of the targets: checked against the first that takes them
  const cpu = cpuOption(values.cpu, targets.includes('bochs') ? 'bochs' : targets[0]);
  const image = imageOption(values.image, targets.find(emulated) ?? targets[0]);
  if (values.json && values.tap) throw new UsageError('--json and --tap both write to stdout: choose one');
  const file = values.tap ? 'tap' : values.junit !== undefined ? 'junit' : values.report !== undefined ? 'report' : undefined;
  if (values.list && file) throw new UsageError(`--list runs nothing: --${file} is for a run`);
  if (values.list && targets.length > 1) throw new UsageError('--list shows one target at a time: run it for each, or --report for the matrix of several');
  if (values.junit !== undefined) folderOf('junit', values.junit);
  if (values.report !== undefined) folderOf('report', values.report);
  const cases = select(values.filter);
  const backends: Backend[] = [];
  for (const t of targets) {
    if (!t.startsWith(CONNECT)) {
      backends.push(t === 'sim' ? sim : firmware(t as 'qemu' | 'bochs', { cpu: cpu?.model, image }));
      continue;
    }
    const address = t.slice(CONNECT.length);
    try {
      backends.push(await connected(address));
    } catch (e) {
      io.err(`bfx conformance: --target ${t}: ${e instanceof Error ? e.message : String(e)}; is the implementation running and listening there? (bfx serve --listen ${address} serves bfx's firmware)\n`);
      return EXIT.load;
    }
  }

  if (values.list) {
    const items = listed(cases, backends[0]);
    io.out(values.json ? `${JSON.stringify(items, null, 2)}\n` : listText(items, backends[0]));
    return EXIT.ok;
  }

  for (const t of targets) {
    const missing = emulated(t) ? cannotRun(t, image) : undefined;
    if (missing) {
      io.err(`bfx conformance: ${missing}\n`);
      return EXIT.load;
    }
  }
  const quiet = values.json === true || values.tap === true;
  const say = (text: string) => !quiet && io.err(`bfx: ${text}\n`);
  try {
    await driverModule(() => say('compiling the conformance driver extension …'));
  } catch (e) {
    if (!(e instanceof LoadError)) throw e;
    io.err(`bfx conformance: the driver extension could not be built: ${e.message}\n`);
    return EXIT.load;
  }
  const runs: RunResults[] = backends.map((backend) => ({ backend, cpu: backend.name === 'bochs' ? cpu?.model : undefined, results: [], catalogued: catalogue.length, chosen: cases.length, filter: values.filter, durationMs: 0 }));
  if (values.filter !== undefined) say(`--filter ${values.filter} matched ${cases.length} of ${catalogue.length} cases`);
  const many = runs.length > 1;
  // several targets: each target's TAP stream is a subtest of one document, four spaces in
  const tap = (text: string) => values.tap && io.out(many ? tapNest(text) : text);
  if (values.tap && many) io.out(tapTargets(runs.length));

  const started = new Date();
  const { signal } = await interruptible(async (stop) => {
    for (const [i, run] of runs.entries()) {
      if (stop.aborted) break;
      const { backend } = run;
      const target = backend.name;
      const applying = cases.filter((c) => notApplicable(backend, c) === undefined).length;
      const each = emulated(target) ? `; each boots the firmware under ${target === 'qemu' ? 'QEMU' : 'Bochs'}` : target.startsWith(CONNECT) ? '; each connects anew' : '';
      say(`${applying} of ${cases.length} cases apply to ${target}${run.cpu ? ` (${run.cpu})` : ''}${each}`);
      if (values.tap) io.out(many ? tapSubtest(run) : tapHead(run));
      const start = performance.now();
      let ran = 0;
      for (const c of cases) {
        if (stop.aborted) break;
        const r = await runCase(backend, c);
        run.results.push(r);
        tap(tapPoint(run.results.length, r));
        if (!quiet && r.result !== 'not-applicable') io.err(progressLine(++ran, applying, r, many ? target : undefined));
      }
      run.durationMs = performance.now() - start;
      if (values.tap && many && !stop.aborted) io.out(tapSubtestEnd(i + 1, run));
    }
  });
  // a target the interrupt stopped, or kept from starting, did not run all its cases
  for (const run of runs) if (signal && run.results.length < run.chosen) run.interrupted = signal;
  if (values.junit !== undefined) writeFileSync(values.junit, junit(runs));
  if (values.report !== undefined) writeFileSync(values.report, report(runs, { started, version: version(), cases }));
  if (values.tap) io.out(many ? (signal ? `Bail out! interrupted (${signal})\n` : '') : tapEnd(runs[0]));
  else if (values.json) io.out(`${JSON.stringify(jsonRuns(runs), null, 2)}\n`);
  else io.out(summaries(runs));
  if (values.junit !== undefined) say(`JUnit XML written to ${values.junit}`);
  if (values.report !== undefined) say(`the report written to ${values.report}`);
  if (signal) return EXIT.interrupted;
  return runs.every(ok) ? EXIT.ok : EXIT.failed;
}

type ConformanceTarget = Target | `${typeof CONNECT}${string}`;

/** --target: one target, or several comma-separated, each once */
function targetsOption(value: string | undefined): ConformanceTarget[] {
  const targets = (value ?? 'sim').split(',').map((text): ConformanceTarget => {
    const t = text.trim();
    if (!t.startsWith(CONNECT)) return oneOf('target', t, [...TARGETS, `${CONNECT}<path or host:port>`]) as Target;
    if (t === CONNECT) throw new UsageError(`--target ${CONNECT} needs where the implementation listens: ${CONNECT}<unix socket path> or ${CONNECT}<host:port>`);
    try {
      parseAddress(t.slice(CONNECT.length));
    } catch (e) {
      throw new UsageError(`--target ${t}: ${(e as Error).message}`);
    }
    return t as ConformanceTarget;
  });
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice) throw new UsageError(`--target names ${twice} twice`);
  return targets;
}

/** the catalogue, or the cases --filter chose: none is a mistake in the command line */
function select(filter: string | undefined): readonly Case[] {
  if (filter === undefined) return catalogue;
  let chosen: Case[];
  try {
    chosen = catalogue.filter(caseFilter(filter));
  } catch (e) {
    if (e instanceof FilterError) throw new UsageError(e.message);
    throw e;
  }
  if (!chosen.length) throw new UsageError(`--filter ${filter} matched none of the ${catalogue.length} cases: bfx conformance --list shows their IDs`);
  return chosen;
}

/** the file must go into a folder that exists: found now, not after the run */
function folderOf(option: string, file: string): void {
  const dir = dirname(resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--${option} ${file}: there is no folder ${dirname(file)} to write it in`);
}

/** what a firmware target lacks on this machine, in words that say what to do */
function cannotRun(target: Exclude<Target, 'sim'>, image: string | undefined): string | undefined {
  if (image === undefined && !existsSync(FIRMWARE_IMAGE)) return `there is no firmware image at ${relative(process.cwd(), FIRMWARE_IMAGE)}: run npm run build (it builds the firmware), or name an image with --image`;
  const emulator = target === 'qemu' ? QEMU : BOCHS;
  if (!onPath(emulator)) return `${emulator} is not installed: run bash qemu/deps.sh (it installs QEMU, Bochs and GRUB's tools)`;
  return undefined;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}
