// npm run bench: speed measured as ratios against a baseline measured in the
// same run, each figure the median of repeated rounds with its spread.
// Writes build/bench.json (result.ts says its shape) and build/bench.html
// (chart.ts), and prints the same figures as text (summary.ts).
//
// - syscall round trip (sim.ts): bf_vps_op_read_reg and write_reg against
//   an empty import call of the same WebAssembly type. Target: ≤ 5×.
// - restart latency under the supervisor against a cold start. Target: < 0.1.
// - the firmware under QEMU and Bochs (firmware.ts): boot to HELLO, a
//   heartbeat over the UART, and CPUID exits handled by the cpuid example in
//   WebAssembly over a transport next to the same exits inside the firmware.
// - the cpuid example's exit rate on the sim, in the host's thread and in a worker.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../host/paths.js';
import { nativeMapper } from '../host/backend/remote/mailbox-access.js';
import { chart } from './chart.js';
import { bootAndHeartbeat, cannotRun, cpuidExits, type CpuidRun } from './firmware.js';
import { BENCH_VERSION, ids, type BenchResult, type Emulator } from './result.js';
import { restarts, simExits, syscallRoundTrip } from './sim.js';
import { summary } from './summary.js';

/** the exits each emulator's cpuid figures take: Bochs is the slower over the UART */
const CPUID_RUNS: CpuidRun[] = [
  { emulator: 'qemu', transport: 'uart', exitsWasm: 400, exitsFirmware: 20_000 },
  // the target: at least 60% of the firmware's own rate; mapped by the native mapper, and through the file without it
  { emulator: 'qemu', transport: 'shm', exitsWasm: 20_000, exitsFirmware: 20_000, target: 0.6, boots: 5 },
  { emulator: 'qemu', transport: 'shm-file', exitsWasm: 20_000, exitsFirmware: 20_000, target: 0.6, boots: 5 },
  { emulator: 'bochs', transport: 'uart', exitsWasm: 200, exitsFirmware: 20_000 },
];

/** the firmware's figures on each emulator that can run here; what cannot is said in skipped */
async function firmwareFigures(result: BenchResult): Promise<void> {
  for (const emulator of ['qemu', 'bochs'] as const satisfies readonly Emulator[]) {
    const runs = CPUID_RUNS.filter((c) => c.emulator === emulator);
    const why = cannotRun(emulator);
    if (why) {
      result.skipped.push({ ids: [ids.boot(emulator), ids.heartbeat(emulator, 'uart'), ...runs.map((c) => ids.cpuid(emulator, c.transport))], why });
      continue;
    }
    for (const run of runs) {
      if (run.transport === 'shm' && !nativeMapper()) {
        result.skipped.push({ ids: [ids.cpuid(emulator, run.transport)], why: 'the native mailbox mapper was not built (npm install builds it: node native/build.mjs says why not)' });
        continue;
      }
      result.cpuidExits.push(await cpuidExits(run));
    }
    const { boot, heartbeat } = await bootAndHeartbeat(emulator, 5);
    result.boot.push(boot);
    result.heartbeat.push(heartbeat);
  }
}

async function measure(): Promise<BenchResult> {
  const when = new Date().toISOString();
  const syscall = await syscallRoundTrip();
  const sim = await simExits();
  const restart = await restarts(sim.workerStartMs.median);
  const result: BenchResult = { version: BENCH_VERSION, when, node: process.version, syscall, sim, boot: [], heartbeat: [], cpuidExits: [], restart, skipped: [] };
  await firmwareFigures(result);
  return result;
}

const result = await measure();
console.log(summary(result));
const dir = join(ROOT, 'build');
mkdirSync(dir, { recursive: true });
const json = join(dir, 'bench.json');
const page = join(dir, 'bench.html');
writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(page, chart(result));
console.log(`  figures written to ${relative(process.cwd(), json)}; the chart to ${relative(process.cwd(), page)}`);
