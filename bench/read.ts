// A bench result read back, whatever state it is in — a run without Bochs,
// an older shape, a file cut short — into what the chart and the text
// summary show: each ratio next to its ceiling, the figures that have no
// ceiling, and what is missing and why. Nothing here trusts the input.
import { fixed, scaled, spread, whole, type Figure } from './figure.js';
import { BENCH_VERSION, ids, met, RESTART_TARGET, SYSCALL_TARGET, type Target } from './result.js';

/** how a ratio is written: 4.16× (of an empty call), 1.28% (of the firmware's rate), 0.0154 (of a cold start) */
export type Unit = 'times' | 'percent' | 'fraction';

export interface Ratio {
  id: string;
  label: string;
  /** the rounds over the ceiling's median */
  measured: Figure;
  /** the ceiling's own rounds over their median: its spread around 1 */
  ceiling: Figure;
  /** what the ceiling is, in words */
  ceilingLabel: string;
  unit: Unit;
  target?: Target;
  /** the absolute figures behind it, in words: the measured one, then the ceiling */
  absolute: [string, string];
}

/** a figure with no ceiling: drawn on its own scale */
export interface Plain {
  id: string;
  label: string;
  figure: Figure;
  unit: string;
  /** the figure in words */
  text: string;
}

export interface Missing {
  id: string;
  what: string;
  why: string;
}

export interface Group<T> {
  items: T[];
  missing: Missing[];
}

export interface Read {
  when?: string;
  node?: string;
  /** what is wrong with the result as a whole (not an object, another version) */
  problems: string[];
  syscall: Group<Ratio>;
  cpuid: Group<Ratio>;
  restart: Group<Ratio>;
  boot: Group<Plain>;
  other: Group<Plain>;
}

type Obj = Record<string, unknown>;

const obj = (x: unknown): Obj | undefined => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Obj) : undefined);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const objs = (x: unknown): Obj[] => (Array.isArray(x) ? x.map(obj).filter((o): o is Obj => o !== undefined) : []);

/** a Figure, or undefined when any of its numbers is missing or not finite (p99 may be: it is not drawn) */
function fig(x: unknown): Figure | undefined {
  const o = obj(x);
  const [median, min, max, q1, q3] = ['median', 'min', 'max', 'q1', 'q3'].map((k) => num(o?.[k]));
  if (median === undefined || min === undefined || max === undefined || q1 === undefined || q3 === undefined) return undefined;
  return { median, min, max, q1, q3, p99: num(o?.p99) ?? max };
}

/** a ceiling: a figure with a median above 0, as every ratio is over it */
const ceiling = (x: unknown): Figure | undefined => {
  const f = fig(x);
  return f && f.median > 0 ? f : undefined;
};

function target(x: unknown, fallback?: Target): Target | undefined {
  const o = obj(x);
  const value = num(o?.value);
  const sense = o?.sense;
  return value !== undefined && (sense === 'at-most' || sense === 'below' || sense === 'at-least') ? { value, sense } : fallback;
}

/** a ceiling's rounds in units of its median, which is 1 exactly */
const own = (f: Figure): Figure => ({ ...scaled(f, 1 / f.median), median: 1 });

/** three significant digits, no trailing zeros: a round number, a target, a tick */
export const short = (x: number): string => String(Number(x.toPrecision(3)));
/** three significant digits: a measured figure */
export const three = (x: number): string => (Math.abs(x) >= 1000 ? whole(x) : x.toPrecision(3));

export function ratioText(x: number, unit: Unit, n = three): string {
  return unit === 'times' ? `${n(x)}×` : unit === 'percent' ? `${n(x * 100)}%` : n(x);
}

const SIGN = { 'at-most': '≤', below: '<', 'at-least': '≥' } as const;

export function targetText(t: Target, unit: Unit): string {
  return `${SIGN[t.sense]} ${ratioText(t.value, unit, short)}`;
}

/** "4.16× the empty import call (middle half 4.05×–4.20×, all …); target ≤ 5×: met": the ratio in words */
export function ratioWords(r: Ratio): string {
  const m = r.measured;
  const t = r.target ? `; target ${targetText(r.target, r.unit)}: ${met(m.median, r.target) ? 'met' : 'NOT met'}` : '';
  return `${ratioText(m.median, r.unit)}${r.unit === 'times' ? '' : ' of'} ${r.ceilingLabel} (middle half ${ratioText(m.q1, r.unit)}–${ratioText(m.q3, r.unit)}, all ${ratioText(m.min, r.unit)}–${ratioText(m.max, r.unit)})${t}`;
}

const ns = (f: Figure) => spread(f, fixed(1), ' ns');
const perSecond = (f: Figure) => spread(f, whole, ' /s');
const ms = (f: Figure) => spread(f, fixed(1), ' ms');
const us = (f: Figure) => spread(f, whole, ' µs');
const msAsUs = (f: Figure) => spread(f, (x) => whole(x * 1000), ' µs');

const EMULATOR: Record<string, string> = { qemu: 'QEMU TCG', bochs: 'Bochs' };
const ARCH: Record<string, string> = { amd: 'AMD SVM', intel: 'Intel VMX' };
const TRANSPORT: Record<string, string> = { uart: 'over the UART', shm: 'over shared memory, mapped', 'shm-file': 'over shared memory, through the file (no native code)' };
const named = (table: Record<string, string>, key: string) => table[key] ?? key;

/** what a complete run of today's bench shows, so that a result without one says it is missing */
const EXPECTED = {
  emulators: ['qemu', 'bochs'],
  /** emulator and transport of each CPUID ratio */
  cpuid: [['qemu', 'uart'], ['qemu', 'shm'], ['qemu', 'shm-file'], ['bochs', 'uart']],
  states: ['fresh', 'checkpoint', 'resume'],
};

/** what a figure lacks, in words: the names of the parts that are not there */
const absent = (...parts: (string | false)[]) => parts.filter(Boolean).join(', ');

/** why an id is missing: what the bench said when it skipped it, else what the result lacks */
type Why = (id: string, lacking: string) => string;

function whyOf(result: Obj | undefined): Why {
  const skipped = objs(result?.skipped);
  return (id, lacking) => {
    const s = skipped.find((x) => Array.isArray(x.ids) && x.ids.includes(id));
    return str(s?.why) ?? `the result has no ${lacking}`;
  };
}

function syscall(r: Obj | undefined, why: Why): Group<Ratio> {
  const s = obj(r?.syscall);
  const empty = ceiling(s?.emptyImportNs);
  const g: Group<Ratio> = { items: [], missing: [] };
  for (const [op, abs, ratio] of [['read_reg', 'readRegNs', 'readRegOverEmpty'], ['write_reg', 'writeRegNs', 'writeRegOverEmpty']] as const) {
    const id = ids.syscall(op);
    const call = fig(s?.[abs]);
    const measured = fig(s?.[ratio]);
    const lacking = absent(!empty && 'syscall.emptyImportNs above 0', !call && `syscall.${abs}`, !measured && `syscall.${ratio}`);
    if (!empty || !call || !measured) {
      g.missing.push({ id, what: `bf_vps_op_${op} against the empty import call`, why: why(id, lacking) });
      continue;
    }
    g.items.push({
      id, label: `bf_vps_op_${op}`, measured, ceiling: own(empty), ceilingLabel: 'the empty import call', unit: 'times',
      target: target(s?.target, SYSCALL_TARGET), absolute: [`bf_vps_op_${op} ${ns(call)}`, `empty import call ${ns(empty)}`],
    });
  }
  return g;
}

function cpuidRatio(e: Obj, id: string, what: string): Ratio | string {
  const wasm = fig(e.wasmPerSecond);
  const fw = ceiling(e.firmwarePerSecond);
  const measured = fig(e.wasmOverFirmware);
  const lacking = absent(!wasm && 'wasmPerSecond', !fw && 'firmwarePerSecond above 0', !measured && 'wasmOverFirmware');
  if (!wasm || !fw || !measured) return `its entry in cpuidExits has no ${lacking}`;
  const t = num(e.target);
  return {
    id, label: what, measured, ceiling: own(fw), ceilingLabel: 'the firmware’s rate', unit: 'percent',
    target: t === undefined ? undefined : { value: t, sense: 'at-least' },
    absolute: [`in WebAssembly ${perSecond(wasm)}`, `in the firmware ${perSecond(fw)}`],
  };
}

function cpuid(r: Obj | undefined, why: Why): Group<Ratio> {
  const g: Group<Ratio> = { items: [], missing: [] };
  const seen = new Set<string>();
  for (const e of objs(r?.cpuidExits)) {
    const emulator = str(e.emulator) ?? '?';
    const transport = str(e.transport) ?? '?';
    const id = ids.cpuid(emulator, transport);
    const arch = str(e.arch);
    const what = `${named(EMULATOR, emulator)}${arch ? ` (${named(ARCH, arch)})` : ''}, ${named(TRANSPORT, transport)}`;
    seen.add(id);
    const ratio = cpuidRatio(e, id, what);
    if (typeof ratio === 'string') g.missing.push({ id, what: `CPUID exits under ${what}`, why: ratio });
    else g.items.push(ratio);
  }
  for (const [emulator, transport] of EXPECTED.cpuid) {
    const id = ids.cpuid(emulator, transport);
    if (!seen.has(id)) g.missing.push({ id, what: `CPUID exits under ${named(EMULATOR, emulator)}, ${named(TRANSPORT, transport)}`, why: why(id, `cpuidExits entry for ${emulator} over ${transport}`) });
  }
  return g;
}

function restart(r: Obj | undefined, why: Why): Group<Ratio> {
  const s = obj(r?.restart);
  const cold = ceiling(s?.coldStartMs);
  const warm = objs(s?.warm);
  const g: Group<Ratio> = { items: [], missing: [] };
  for (const state of EXPECTED.states) {
    const id = ids.restart(state);
    const w = warm.find((x) => x.state === state);
    const latency = fig(w?.ms);
    const measured = fig(w?.overCold);
    if (!cold || !latency || !measured) {
      const lacking = absent(!cold && 'restart.coldStartMs above 0', !latency && `restart.warm ms of ${state}`, !measured && `restart.warm overCold of ${state}`);
      g.missing.push({ id, what: `a restart with state ${state} against a cold start`, why: why(id, lacking) });
      continue;
    }
    const less = num(w?.overColdLessWorker);
    g.items.push({
      id, label: `restart, state ${state}`, measured, ceiling: own(cold), ceilingLabel: 'a cold start', unit: 'fraction',
      target: target(s?.target, RESTART_TARGET),
      absolute: [`restart ${msAsUs(latency)}, p99 ${whole(latency.p99 * 1000)} µs over ${num(w?.samples) ?? '?'} restarts${less === undefined ? '' : `; ${three(less)} of a cold start less its worker’s start`}`, `cold start ${msAsUs(cold)}`],
    });
  }
  return g;
}

function boot(r: Obj | undefined, why: Why): Group<Plain> {
  const g: Group<Plain> = { items: [], missing: [] };
  const boots = objs(r?.boot);
  for (const emulator of new Set([...EXPECTED.emulators, ...boots.map((b) => str(b.emulator) ?? '?')])) {
    const id = ids.boot(emulator);
    const b = boots.find((x) => x.emulator === emulator);
    const f = fig(b?.toHelloMs);
    const arch = str(b?.arch);
    const label = `boot → HELLO, ${named(EMULATOR, emulator)}${arch ? ` (${named(ARCH, arch)})` : ''}`;
    if (f) g.items.push({ id, label, figure: f, unit: 'ms', text: `${ms(f)} over ${num(b?.rounds) ?? '?'} boots` });
    else g.missing.push({ id, what: `boot to HELLO under ${named(EMULATOR, emulator)}`, why: why(id, `boot entry for ${emulator} with toHelloMs`) });
  }
  return g;
}

/** the figures that are not ratios, each with the words it is told in */
function other(r: Obj | undefined, why: Why): Group<Plain> {
  const g: Group<Plain> = { items: [], missing: [] };
  const add = (id: string, label: string, x: unknown, unit: string, words: (f: Figure) => string) => {
    const f = fig(x);
    if (f) g.items.push({ id, label, figure: f, unit, text: words(f) });
    else g.missing.push({ id, what: label, why: why(id, id) });
  };
  const sim = obj(r?.sim);
  add('sim.perSecond', 'cpuid exits on the sim, the extension in the host’s thread', sim?.perSecond, '/s', perSecond);
  const inThread = fig(sim?.perSecond)?.median;
  const slower = (f: Figure) => (inThread ? `; ${three(inThread / f.median)}× slower, the price of a budget` : '');
  add('sim.perSecondInWorker', 'cpuid exits on the sim, in a worker (--budget)', sim?.perSecondInWorker, '/s', (f) => perSecond(f) + slower(f));
  add('sim.workerStartMs', 'worker start and instantiate', sim?.workerStartMs, 'ms', ms);
  for (const h of objs(r?.heartbeat)) {
    const emulator = str(h.emulator) ?? '?';
    const transport = str(h.transport) ?? '?';
    add(ids.heartbeat(emulator, transport), `heartbeat round trip, ${named(EMULATOR, emulator)}, ${named(TRANSPORT, transport)} (${num(h.bytes) ?? '?'} bytes)`, h.roundTripUs, 'µs', us);
  }
  add('restart.coldStartMs', 'cold first start (compile, worker, instantiate, entry point, bootstrap)', obj(r?.restart)?.coldStartMs, 'ms', ms);
  return g;
}

export function read(input: unknown): Read {
  const r = obj(input);
  const problems: string[] = [];
  if (!r) problems.push(`the result is not a JSON object (${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input})`);
  else if (r.version !== BENCH_VERSION) problems.push(`the result is version ${JSON.stringify(r.version ?? null)}, not ${BENCH_VERSION}: what has this version's shape is shown, the rest is missing`);
  const why = whyOf(r);
  return {
    when: str(r?.when), node: str(r?.node), problems,
    syscall: syscall(r, why), cpuid: cpuid(r, why), restart: restart(r, why), boot: boot(r, why), other: other(r, why),
  };
}
