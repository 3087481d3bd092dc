// The bench's figures on the sim, in this process: a syscall's round trip
// against an empty import call, the cpuid example's exit rate, and restart
// latency under the supervisor against a cold start.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sim } from '../host/backend/sim/sim.js';
import { compile, stale, target } from '../host/loader/compile.js';
import { load, loadBytes } from '../host/loader/load.js';
import { ROOT } from '../host/paths.js';
import { Host } from '../host/run/host.js';
import { DEFAULT_CALLBACK_BUDGET_MS, manifestFrom } from '../host/supervisor/manifest.js';
import { Supervisor, type DaemonSpec } from '../host/supervisor/runtime.js';
import { figure, paired, scaled } from './figure.js';
import { RESTART_TARGET, SYSCALL_TARGET, type Restarts, type SimExits, type SyscallFigures, type WarmRestart } from './result.js';

const ROUNDS = 21;
const CALLS = 200_000;

/** an extension of the bench or the tests, built when its wasm is stale */
export async function extension(dir: string) {
  const t = target(dir);
  if (stale(t)) await compile(t);
  return load(dir, { extraNamespaces: ['bench'] });
}

type Loop = (n: number) => bigint;

/** ns a call of one loop of the syscall extension */
function time(fn: Loop): number {
  const t0 = process.hrtime.bigint();
  fn(CALLS);
  return Number(process.hrtime.bigint() - t0) / CALLS;
}

export async function syscallRoundTrip(): Promise<SyscallFigures> {
  const host = new Host(new Sim());
  const ext = host.add(await extension(join(ROOT, 'bench', 'extensions', 'syscall')), {
    extraImports: { bench: { nop: () => 0n } },
  });
  host.start();
  const x = ext.instance!.exports as Record<string, Loop>;
  // warm up every path so that all are optimized before timing
  for (let i = 0; i < 5; i++) [x.loop_nop, x.loop_read_reg, x.loop_write_reg].forEach(time);
  const nop: number[] = [];
  const read: number[] = [];
  const write: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // alternate, so that drift on a shared machine hits all alike
    nop.push(time(x.loop_nop));
    read.push(time(x.loop_read_reg));
    write.push(time(x.loop_write_reg));
  }
  return {
    calls: CALLS, rounds: ROUNDS,
    emptyImportNs: figure(nop), readRegNs: figure(read), writeRegNs: figure(write),
    readRegOverEmpty: paired(read, nop), writeRegOverEmpty: paired(write, nop),
    target: SYSCALL_TARGET,
  };
}

export async function simExits(): Promise<SimExits> {
  const cpuid = await load(join(ROOT, 'extensions', 'cpuid'));
  const exits = 50_000;
  const rounds = 7;
  const rates: number[] = [];
  const inWorker: number[] = [];
  const workerStarts: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // in the host's thread, then in a worker with a budget (bfx run's default): rounds side by side
    for (const budgetMs of [undefined, DEFAULT_CALLBACK_BUDGET_MS]) {
      const host = new Host(new Sim({ guest: `cpuid-loop:${exits}` }));
      const t = performance.now();
      const ext = host.add(cpuid, { budgetMs });
      if (budgetMs) workerStarts.push(performance.now() - t);
      const t0 = performance.now();
      host.run();
      const ms = performance.now() - t0;
      await ext.dispose();
      if (host.pps[0].state !== 'halted') throw new Error(`bench: the cpuid loop did not finish: ${host.pps[0].why ?? host.pps[0].state}`);
      (budgetMs ? inWorker : rates).push(host.pps[0].exits / (ms / 1000));
    }
  }
  return { perSecond: figure(rates), perSecondInWorker: figure(inWorker), workerStartMs: figure(workerStarts), exitsPerRound: exits + 3, rounds };
}

// the test's counter extension: it crashes at every 3rd exit
const COUNTER = join(ROOT, 'test', 'supervisor', 'fixtures', 'counter');

type Loaded = Awaited<ReturnType<typeof extension>>;

function counterSpec(loaded: Loaded, state: string): DaemonSpec {
  return {
    manifest: manifestFrom({ name: 'counter', module: COUNTER, state, restart: { policy: 'always', intensity: { max_restarts: 100_000 }, backoff: { initial_ms: 0, cap_ms: 0 } } }, 'counter.json'),
    loaded, config: 'every:3',
  };
}

/** ms from nothing to the extension running: compile, start the worker, instantiate, entry point, bootstrap */
async function coldStarts(loaded: Loaded, rounds: number): Promise<number[]> {
  const bytes = readFileSync(loaded.path);
  const cold: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const fresh = loadBytes(bytes, 'counter', loaded.path);
    let up = 0;
    const s = new Supervisor(new Sim({ guest: 'idle' }), [counterSpec(fresh, 'fresh')], {
      onStatus: (st) => (up ||= st.extensions[0].state === 'Running' ? performance.now() : 0),
    });
    await s.run();
    cold.push(up - t0);
  }
  return cold;
}

/**
 * Restart latency under the supervisor, per state policy: from the crash
 * seen (a trap in a vmexit callback) to the new instance back in its
 * callbacks, the module already compiled; next to a cold first start of
 * the same extension in the same run. Target: a warm restart under a tenth
 * of a cold start.
 */
export async function restarts(workerStartMs: number): Promise<Restarts> {
  const loaded = await extension(COUNTER);
  const cold = figure(await coldStarts(loaded, 30));
  const warm: WarmRestart[] = [];
  for (const state of ['fresh', 'checkpoint', 'resume'] as const) {
    // a crash at every 3rd exit: some 500 restarts, each leaving fresh's VPS a zombie (loaded on its processor), so pools to match
    const s = new Supervisor(new Sim({ guest: 'cpuid-loop:1000', vms: 600, vps: 600, vpss: 600 }), [counterSpec(loaded, state)]);
    await s.run();
    const l = [...s.restartLatencies('counter')];
    const ms = figure(l);
    warm.push({ state, ms, overCold: scaled(ms, 1 / cold.median), overColdLessWorker: ms.median / (cold.median - workerStartMs), samples: l.length });
  }
  return { coldStartMs: cold, warm, target: RESTART_TARGET };
}
