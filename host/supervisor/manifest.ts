// An extension's manifest: the JSON file that says what to run and how the
// supervisor treats it — restart policy, intensity, backoff, state,
// dependencies, memory, CPU budget, and the MSRs and syscalls it may use.
// Every problem is reported at once, each naming the file, the JSON path of
// the field and what the field allows. docs/manifest.md is the reference.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { BF_SYSCALLS, type SyscallName } from '../abi/bf.js';
import { ON_RESTART, startOrder, type Dependency } from './order.js';
import { DEFAULT_BACKOFF, DEFAULT_INTENSITY, RESTART_POLICIES, type RestartSpec } from './policy.js';

export const STATE_POLICIES = ['fresh', 'checkpoint', 'resume'] as const;
/** what a restarted instance starts from: new memory, the last checkpoint, or the memory and resources the last one left */
export type StatePolicy = (typeof STATE_POLICIES)[number];

export const DEFAULT_CALLBACK_BUDGET_MS = 1000;
/** WebAssembly's own limit for a 32-bit memory */
export const MAX_MEMORY_PAGES = 65536;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface Manifest {
  /** the manifest file, as it was named to the loader */
  file: string;
  name: string;
  description?: string;
  /** the .wasm, AssemblyScript entry .ts or extension folder, resolved from the manifest's folder */
  module: string;
  restart: RestartSpec;
  state: StatePolicy;
  dependencies: Dependency[];
  /** the memory's size in 64 KiB pages, fixed; undefined: the maximum the module declares */
  memoryPages?: number;
  /** how long one callback may run before its worker is terminated */
  callbackBudgetMs: number;
  /** undefined: no restriction */
  allow: { msrs?: number[]; syscalls?: SyscallName[] };
}

export interface Problem {
  /** the JSON path of the field, e.g. restart.backoff.cap_ms or dependencies[1].on_restart; empty for the whole manifest */
  path: string;
  /** the problem, starting with the path */
  message: string;
}

export class ManifestError extends Error {
  constructor(readonly file: string, readonly problems: readonly Problem[]) {
    super(problems.map((p) => `manifest ${file}: ${p.message}`).join('\n'));
  }
}

const FIELDS = {
  manifest: ['name', 'description', 'module', 'restart', 'state', 'dependencies', 'memory_pages', 'callback_budget_ms', 'allow'],
  restart: ['policy', 'intensity', 'backoff'],
  intensity: ['max_restarts', 'window_seconds'],
  backoff: ['initial_ms', 'factor', 'cap_ms', 'reset_after_ms'],
  dependency: ['name', 'on_restart'],
  allow: ['msrs', 'syscalls'],
} as const;

const SYSCALL_NAMES: readonly string[] = BF_SYSCALLS.map((s) => s.name);

type Obj = Record<string, unknown>;

/** a value as a message shows it: strings quoted, containers by their kind */
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  if (v !== null && typeof v === 'object') return 'an object';
  return String(v);
}

function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** the one name a typo most likely meant, if one is close */
function closest(word: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const n of names) {
    const d = distance(word.toLowerCase(), n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best;
}

const hex = (n: number) => `0x${n.toString(16)}`;
const at = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** walks the parsed JSON, collecting problems rather than stopping at the first */
class Reader {
  readonly problems: Problem[] = [];

  /** a problem with the field at path; the text follows its path */
  fail(path: string, text: string): undefined {
    return this.problem(path, path ? `${path} ${text}` : text);
  }

  problem(path: string, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }

  /** an object holding only the named fields; unknown fields are reported, by name */
  object(v: unknown, path: string, fields: readonly string[]): Obj | undefined {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      if (!path) return this.fail(path, `the manifest must be a JSON object, not ${show(v)}`);
      return this.fail(path, `must be an object with the fields ${fields.join(', ')}, not ${show(v)}`);
    }
    for (const k of Object.keys(v)) {
      if (fields.includes(k)) continue;
      const guess = closest(k, fields);
      this.problem(at(path, k), `unknown field ${at(path, k)}${guess ? ` (did you mean ${at(path, guess)}?)` : ''}; the fields of ${path || 'a manifest'} are ${fields.join(', ')}`);
    }
    return v as Obj;
  }

  string(v: unknown, path: string): string | undefined {
    if (typeof v !== 'string' || v === '') return this.fail(path, `must be a non-empty string, not ${v === '' ? 'an empty one' : show(v)}`);
    return v;
  }

  oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T | undefined {
    if (typeof v === 'string' && allowed.includes(v as T)) return v as T;
    return this.fail(path, `must be one of ${allowed.join(', ')}, not ${show(v)}`);
  }

  whole(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    return this.fail(path, `must be a whole number, ${range}, not ${show(v)}`);
  }

  number(v: unknown, path: string, min: number, exclusive: boolean): number | undefined {
    if (typeof v === 'number' && Number.isFinite(v) && (exclusive ? v > min : v >= min)) return v;
    return this.fail(path, `must be a number ${exclusive ? 'greater than' : 'of at least'} ${min}, not ${show(v)}`);
  }

  array(v: unknown, path: string, of: string): unknown[] | undefined {
    if (!Array.isArray(v)) return this.fail(path, `must be an array of ${of}, not ${show(v)}`);
    return v;
  }
}

function readRestart(r: Reader, v: unknown): RestartSpec {
  const spec: RestartSpec = { policy: 'on-failure', intensity: { ...DEFAULT_INTENSITY }, backoff: { ...DEFAULT_BACKOFF } };
  if (v === undefined) return spec;
  const o = r.object(v, 'restart', FIELDS.restart);
  if (!o) return spec;
  if (o.policy !== undefined) spec.policy = r.oneOf(o.policy, 'restart.policy', RESTART_POLICIES) ?? spec.policy;
  if (o.intensity !== undefined) {
    const i = r.object(o.intensity, 'restart.intensity', FIELDS.intensity);
    if (i?.max_restarts !== undefined) spec.intensity.maxRestarts = r.whole(i.max_restarts, 'restart.intensity.max_restarts', 0) ?? spec.intensity.maxRestarts;
    if (i?.window_seconds !== undefined) {
      const s = r.number(i.window_seconds, 'restart.intensity.window_seconds', 0, true);
      if (s !== undefined) spec.intensity.windowMs = s * 1000;
    }
  }
  if (o.backoff !== undefined) {
    const b = r.object(o.backoff, 'restart.backoff', FIELDS.backoff);
    const bo = spec.backoff;
    // the two compared below: only when both are valid numbers is their order worth a message
    let comparable = true;
    if (b?.initial_ms !== undefined) {
      const initial = r.whole(b.initial_ms, 'restart.backoff.initial_ms', 0);
      comparable = initial !== undefined;
      bo.initialMs = initial ?? bo.initialMs;
    }
    if (b?.factor !== undefined) bo.factor = r.number(b.factor, 'restart.backoff.factor', 1, false) ?? bo.factor;
    if (b?.cap_ms !== undefined) {
      const cap = r.whole(b.cap_ms, 'restart.backoff.cap_ms', 0);
      comparable &&= cap !== undefined;
      bo.capMs = cap ?? bo.capMs;
    }
    if (b?.reset_after_ms !== undefined) bo.resetAfterMs = r.whole(b.reset_after_ms, 'restart.backoff.reset_after_ms', 0) ?? bo.resetAfterMs;
    if (b && comparable && bo.capMs < bo.initialMs) {
      // blame the field the author wrote: a cap they set, or a first delay past the default cap
      if (b.cap_ms !== undefined) r.fail('restart.backoff.cap_ms', `(${bo.capMs}) must be at least initial_ms (${bo.initialMs}): the cap is the longest delay`);
      else r.fail('restart.backoff.initial_ms', `(${bo.initialMs}) must be at most cap_ms (${bo.capMs}, the default): set cap_ms too`);
    }
  }
  return spec;
}

function readDependencies(r: Reader, v: unknown, self: string | undefined): Dependency[] {
  if (v === undefined) return [];
  const list = r.array(v, 'dependencies', 'extension names, or objects with name and on_restart');
  if (!list) return [];
  const deps: Dependency[] = [];
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const path = `dependencies[${i}]`;
    let dep: Dependency | undefined;
    if (typeof item === 'string') {
      if (r.string(item, path) !== undefined) dep = { name: item, onRestart: 'notify' };
    } else if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      const o = r.object(item, path, FIELDS.dependency)!;
      const name = o.name === undefined ? r.fail(`${path}.name`, 'is required: the name of the extension depended on') : r.string(o.name, `${path}.name`);
      const onRestart = o.on_restart === undefined ? 'notify' : r.oneOf(o.on_restart, `${path}.on_restart`, ON_RESTART);
      if (name !== undefined && onRestart !== undefined) dep = { name, onRestart };
    } else r.fail(path, `must be an extension's name, or an object with name and on_restart, not ${show(item)}`);
    if (!dep) return;
    if (dep.name === self) return r.fail(path, `names this extension itself, "${self}"; an extension cannot depend on itself`);
    if (seen.has(dep.name)) return r.fail(path, `names "${dep.name}" again (it is dependencies[${seen.get(dep.name)}] too)`);
    seen.set(dep.name, i);
    deps.push(dep);
  });
  return deps;
}

function readMsr(r: Reader, v: unknown, path: string): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
  if (typeof v === 'string' && /^0x[0-9a-f]{1,8}$/i.test(v)) return Number.parseInt(v.slice(2), 16);
  return r.fail(path, `must be an MSR address: a whole number from 0 to 0xffffffff, or a hex string like "0xc0000080", not ${show(v)}`);
}

function readAllow(r: Reader, v: unknown): Manifest['allow'] {
  const allow: Manifest['allow'] = {};
  if (v === undefined) return allow;
  const o = r.object(v, 'allow', FIELDS.allow);
  if (o?.msrs !== undefined) {
    const list = r.array(o.msrs, 'allow.msrs', 'MSR addresses');
    if (list) {
      const seen = new Map<number, number>();
      allow.msrs = [];
      list.forEach((item, i) => {
        const msr = readMsr(r, item, `allow.msrs[${i}]`);
        if (msr === undefined) return;
        if (seen.has(msr)) return r.fail(`allow.msrs[${i}]`, `lists MSR ${hex(msr)} again (it is allow.msrs[${seen.get(msr)}] too)`);
        seen.set(msr, i);
        allow.msrs!.push(msr);
      });
    }
  }
  if (o?.syscalls !== undefined) {
    const list = r.array(o.syscalls, 'allow.syscalls', 'syscall names');
    if (list) {
      const seen = new Map<string, number>();
      allow.syscalls = [];
      list.forEach((item, i) => {
        const path = `allow.syscalls[${i}]`;
        if (typeof item !== 'string') return r.fail(path, `must be a syscall's name, such as bf_vps_op_run, not ${show(item)}`);
        if (!SYSCALL_NAMES.includes(item)) {
          const guess = SYSCALL_NAMES.includes(`bf_${item}`) ? `bf_${item}` : closest(item, SYSCALL_NAMES);
          return r.fail(path, `${show(item)} is not a syscall of the ABI${guess ? ` (did you mean ${guess}?)` : ''}; the syscalls are listed in docs/abi-mapping.md`);
        }
        if (seen.has(item)) return r.fail(path, `lists ${item} again (it is allow.syscalls[${seen.get(item)}] too)`);
        seen.set(item, i);
        allow.syscalls!.push(item as SyscallName);
      });
    }
  }
  return allow;
}

/** a manifest from its already-parsed JSON; `file` names it in errors and is where `module` is found from */
export function manifestFrom(json: unknown, file: string): Manifest {
  const r = new Reader();
  const o = r.object(json, '', FIELDS.manifest);
  if (!o) throw new ManifestError(file, r.problems);
  let name: string | undefined;
  if (o.name === undefined) r.fail('name', 'is required: the name the supervisor, the ledger and other manifests know the extension by');
  else if (typeof o.name !== 'string' || !NAME.test(o.name)) {
    r.fail('name', `must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, not ${show(o.name)}`);
  } else name = o.name;
  const description = o.description === undefined ? undefined : r.string(o.description, 'description');
  let module: string | undefined;
  if (o.module === undefined) r.fail('module', "is required: the extension's .wasm file, AssemblyScript entry .ts or folder, from the manifest's folder");
  else module = r.string(o.module, 'module');
  const restart = readRestart(r, o.restart);
  const state = o.state === undefined ? 'fresh' : r.oneOf(o.state, 'state', STATE_POLICIES);
  const dependencies = readDependencies(r, o.dependencies, name);
  const memoryPages = o.memory_pages === undefined ? undefined : r.whole(o.memory_pages, 'memory_pages', 1, MAX_MEMORY_PAGES);
  const callbackBudgetMs = o.callback_budget_ms === undefined ? DEFAULT_CALLBACK_BUDGET_MS : r.whole(o.callback_budget_ms, 'callback_budget_ms', 1);
  const allow = readAllow(r, o.allow);
  if (r.problems.length) throw new ManifestError(file, r.problems);
  return {
    file,
    name: name!,
    ...(description !== undefined && { description }),
    module: resolve(dirname(file), module!),
    restart,
    state: state!,
    dependencies,
    ...(memoryPages !== undefined && { memoryPages }),
    callbackBudgetMs: callbackBudgetMs!,
    allow,
  };
}

/** where a JSON.parse message says the text went wrong, as line and column */
function jsonProblem(text: string, e: Error): string {
  const m = /at position (\d+)/.exec(e.message);
  const message = e.message.replace(/\s*\(line \d+ column \d+\)$/, '').replace(/ in JSON at position \d+$/, '');
  if (!m) return `is not valid JSON: ${message}`;
  const before = text.slice(0, Number(m[1])).split('\n');
  return `is not valid JSON: ${message} (line ${before.length}, column ${before[before.length - 1].length + 1})`;
}

/** a manifest from its text */
export function parseManifest(text: string, file: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(file, [{ path: '', message: jsonProblem(text, e as Error) }]);
  }
  return manifestFrom(json, file);
}

/** a manifest file, read and checked, its module checked to be there */
export function loadManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder, not a file' : (e as Error).message;
    throw new ManifestError(file, [{ path: '', message: `cannot be read: ${why}` }]);
  }
  const m = parseManifest(text, file);
  // what the loader accepts (host/loader/load.ts): a .wasm, an entry .ts, or a folder with main.ts
  const problem = !existsSync(m.module) ? 'does not exist'
    : statSync(m.module).isDirectory() ? (existsSync(join(m.module, 'main.ts')) ? undefined : 'is a folder without main.ts')
    : /\.(wasm|ts)$/.test(m.module) ? undefined : 'is neither a .wasm file, an AssemblyScript .ts file nor an extension folder';
  if (problem) throw new ManifestError(file, [{ path: 'module', message: `module "${relative(dirname(file), m.module) || '.'}" ${problem} (looked for ${m.module})` }]);
  return m;
}

/**
 * Manifests loaded together must name their extensions differently and may
 * depend only on each other, without a cycle (order.ts says which and where).
 */
export function checkSet(manifests: readonly Manifest[]): void {
  const first = new Map<string, Manifest>();
  for (const m of manifests) {
    const earlier = first.get(m.name);
    if (earlier) throw new ManifestError(m.file, [{ path: 'name', message: `name "${m.name}" is already the name of the extension in ${earlier.file}` }]);
    first.set(m.name, m);
  }
  startOrder(manifests);
}

/**
 * Several manifests: each path a manifest file, or a folder whose *.json
 * files are all manifests (in name order). Returned in the order given;
 * startOrder() says the order to start them in.
 */
export function loadManifests(paths: readonly string[]): Manifest[] {
  const files = paths.flatMap((p) => {
    if (!existsSync(p) || !statSync(p).isDirectory()) return [p];
    const found = readdirSync(p).filter((f) => f.endsWith('.json')).sort().map((f) => join(p, f));
    if (!found.length) throw new ManifestError(p, [{ path: '', message: 'is a folder without manifests: no *.json files in it' }]);
    return found;
  });
  const manifests = files.map(loadManifest);
  checkSet(manifests);
  return manifests;
}
