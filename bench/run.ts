// npm run bench: speed measured as ratios against a baseline measured in the
// same run, each figure the median of repeated rounds with its spread.
//
// - syscall round trip: bf_vps_op_read_reg from AssemblyScript through the
//   boundary to the sim and back, next to an empty import call of the same
//   WebAssembly type. Target: at most 5× the empty call.
// - VM exits handled by the cpuid example on the sim, per second.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sim } from '../host/backend/sim/sim.js';
import { compile, stale, target } from '../host/loader/compile.js';
import { load } from '../host/loader/load.js';
import { ROOT } from '../host/paths.js';
import { Host } from '../host/run/host.js';

const ROUNDS = 21;
const CALLS = 200_000;
const SYSCALL_TARGET = 5;

interface Figure {
  median: number;
  min: number;
  max: number;
  /** the middle half of the rounds */
  q1: number;
  q3: number;
}

function figure(samples: number[]): Figure {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
  return { median: at(0.5), min: s[0], max: s[s.length - 1], q1: at(0.25), q3: at(0.75) };
}

const ns = (f: Figure) => `${f.median.toFixed(1)} ns (middle half ${f.q1.toFixed(1)}–${f.q3.toFixed(1)})`;

async function extension(dir: string) {
  const t = target(dir);
  if (stale(t)) await compile(t);
  return load(dir, { extraNamespaces: ['bench'] });
}

async function syscallRoundTrip() {
  const sim = new Sim();
  const host = new Host(sim);
  const ext = host.add(await extension(join(ROOT, 'bench', 'extensions', 'syscall')), {
    extraImports: { bench: { nop: () => 0n } },
  });
  host.start();
  const x = ext.instance!.exports as Record<string, (n: number) => bigint>;
  const time = (fn: (n: number) => bigint) => {
    const t0 = process.hrtime.bigint();
    fn(CALLS);
    return Number(process.hrtime.bigint() - t0) / CALLS;
  };
  // warm up both paths so that both are optimized before timing
  for (let i = 0; i < 5; i++) [x.loop_nop, x.loop_read_reg, x.loop_write_reg].forEach(time);
  const nop: number[] = [];
  const read: number[] = [];
  const write: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // alternate, so that drift on a shared machine hits both alike
    const a = time(x.loop_nop);
    const b = time(x.loop_read_reg);
    write.push(time(x.loop_write_reg));
    nop.push(a);
    read.push(b);
    ratios.push(b / a);
  }
  return { emptyImport: figure(nop), readReg: figure(read), writeReg: figure(write), ratio: figure(ratios), calls: CALLS, rounds: ROUNDS };
}

async function exitRate() {
  const cpuid = await load(join(ROOT, 'extensions', 'cpuid'));
  const exits = 50_000;
  const rates: number[] = [];
  for (let r = 0; r < 7; r++) {
    const host = new Host(new Sim({ guest: `cpuid-loop:${exits}` }));
    host.add(cpuid);
    const t0 = performance.now();
    host.run();
    const ms = performance.now() - t0;
    if (host.pps[0].state !== 'halted') throw new Error(`bench: the cpuid loop did not finish: ${host.pps[0].why ?? host.pps[0].state}`);
    rates.push(host.pps[0].exits / (ms / 1000));
  }
  return { exitsPerSecond: figure(rates), exitsPerRound: exits + 3 };
}

const syscall = await syscallRoundTrip();
const exits = await exitRate();
const met = syscall.ratio.median <= SYSCALL_TARGET;
console.log('bfx bench (sim, in-process; medians of repeated rounds)');
console.log(`  empty import call          ${ns(syscall.emptyImport)}`);
console.log(`  bf_vps_op_read_reg         ${ns(syscall.readReg)}`);
console.log(`  bf_vps_op_write_reg        ${ns(syscall.writeReg)}`);
console.log(`  read_reg / empty call      ${syscall.ratio.median.toFixed(2)}× (middle half ${syscall.ratio.q1.toFixed(2)}–${syscall.ratio.q3.toFixed(2)}); target ≤ ${SYSCALL_TARGET}×: ${met ? 'met' : 'NOT met'}`);
console.log(`  cpuid exits handled (sim)  ${Math.round(exits.exitsPerSecond.median).toLocaleString('en')} /s (middle half ${Math.round(exits.exitsPerSecond.q1).toLocaleString('en')}–${Math.round(exits.exitsPerSecond.q3).toLocaleString('en')})`);
const out = join(ROOT, 'build', 'bench.json');
mkdirSync(join(ROOT, 'build'), { recursive: true });
writeFileSync(out, `${JSON.stringify({ when: new Date().toISOString(), node: process.version, syscall, exits, target: { syscallRatio: SYSCALL_TARGET, met } }, null, 2)}\n`);
console.log(`  figures written to build/bench.json`);
