// What a fault campaign counts, and the table it ends with.

export interface Tally {
  seed: number;
  rounds: number;
  /** faults injected, by kind */
  injected: Record<string, number>;
  syscalls: { raw: number; typed: number };
  /** calls into the host that threw: each one a host crash */
  hostCrashes: number;
  /** properties that did not hold, each with what and where (the first ones kept) */
  violations: number;
  /** resources the microkernel holds that no record owns, outside the zombie rules */
  leaks: number;
  /** rounds whose microkernel no longer answered at the end, so that what it held could not be compared */
  unchecked: number;
  /** the first problems, said */
  problems: string[];
  durationMs: number;
}

export function newTally(seed: number): Tally {
  return { seed, rounds: 0, injected: {}, syscalls: { raw: 0, typed: 0 }, hostCrashes: 0, violations: 0, leaks: 0, unchecked: 0, problems: [], durationMs: 0 };
}

const KEPT = 20;

export function problem(t: Tally, kind: 'hostCrashes' | 'violations' | 'leaks', text: string): void {
  t[kind]++;
  if (t.problems.length < KEPT) t.problems.push(`${kind === 'hostCrashes' ? 'host crash' : kind === 'leaks' ? 'leak' : 'violation'}: ${text}`);
}

export function injected(t: Tally, kind: string, n = 1): void {
  if (n > 0) t.injected[kind] = (t.injected[kind] ?? 0) + n;
}

export function ok(t: Tally): boolean {
  return t.hostCrashes === 0 && t.violations === 0 && t.leaks === 0;
}

export function renderTally(t: Tally): string {
  const rows: [string, string][] = [
    ...Object.entries(t.injected).sort().map(([k, n]): [string, string] => [`faults injected: ${k}`, String(n)]),
    ['faults injected, in all', String(Object.values(t.injected).reduce((a, b) => a + b, 0))],
    ['syscalls made, raw (register level)', String(t.syscalls.raw)],
    ['syscalls made, typed (from WebAssembly)', String(t.syscalls.typed)],
    ['host crashes (must be 0)', String(t.hostCrashes)],
    ['invariant violations (must be 0)', String(t.violations)],
    ['resources leaked outside the zombie rules (must be 0)', String(t.leaks)],
    ...(t.unchecked ? [['rounds whose microkernel did not answer at the end (not compared)', String(t.unchecked)] as [string, string]] : []),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return [
    `bfx faults: seed ${t.seed}, ${t.rounds} rounds, ${(t.durationMs / 1000).toFixed(1)} s — ${ok(t) ? 'ok' : 'FAILED'}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v.padStart(7)}`),
    ...t.problems.map((p) => `  ${p}`),
  ].join('\n');
}
