// Runs the example extensions as bfx run does: the real loader, the real
// host, the embedded reference microkernel. The examples are compiled once
// by the vitest global setup; load() only reads them here.
import { join } from 'node:path';
import type { SimOptions } from '../../host/backend/sim/sim.js';
import { Sim } from '../../host/backend/sim/sim.js';
import { load, type LoadedModule } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { Host, type OutputLine } from '../../host/run/host.js';
import { report, type RunReport } from '../../host/run/report.js';
import type { Extension } from '../../host/sandbox/extension.js';

const modules = new Map<string, Promise<LoadedModule>>();

export function example(name: string): Promise<LoadedModule> {
  let m = modules.get(name);
  if (!m) {
    m = load(join(ROOT, 'extensions', name));
    modules.set(name, m);
  }
  return m;
}

export class Run {
  readonly output: OutputLine[] = [];
  readonly host: Host;

  constructor(sim: SimOptions) {
    this.host = new Host(new Sim(sim), { onOutput: (l) => this.output.push(l) });
  }

  /** adds an example extension to the host, with its --config text */
  async add(name: string, config?: string): Promise<Extension> {
    return this.host.add(await example(name), { config });
  }

  run(): RunReport {
    this.host.run();
    return this.report();
  }

  report(): RunReport {
    return report(this.host, 0);
  }

  /** what an extension wrote to its debug output */
  lines(extension: string): string[] {
    return this.output.flatMap((l) => (l.source === 'extension' && l.extension === extension ? [l.text] : []));
  }

  /** what the guest of a processor printed on its console */
  guest(ppid: number): string[] {
    return this.output.flatMap((l) => (l.source === 'guest' && l.ppid === ppid ? [l.text] : []));
  }

  /** what the host itself said (faults it contained) */
  hostLines(): string[] {
    return this.output.flatMap((l) => (l.source === 'host' ? [l.text] : []));
  }
}

/** a run of extensions (name, or [name, config]) on a fresh sim */
export async function run(sim: SimOptions, ...exts: (string | [string, string])[]): Promise<Run & { result: RunReport }> {
  const r = new Run(sim);
  for (const e of exts) {
    if (typeof e === 'string') await r.add(e);
    else await r.add(e[0], e[1]);
  }
  return Object.assign(r, { result: r.run() });
}
