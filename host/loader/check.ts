// The checks a module passes before anything of it runs. Each problem is
// said in words that name the import or export and what to do about it.
import { BF_SYSCALLS, type SyscallInfo } from '../abi/bf.js';
import { BFX_SERVICES } from '../boundary/services.js';
import { signature, type FuncType, type ModuleInfo } from './inspect.js';

export const ENTRY = 'ext_main_entry';
export const ENTRY_TYPE: FuncType = { params: ['i32'], results: [] };

/** env imports besides the memory: the AssemblyScript runtime's */
export const ENV_FUNCTIONS: Record<string, FuncType> = {
  abort: { params: ['i32', 'i32', 'i32', 'i32'], results: [] },
  trace: { params: ['i32', 'i32', 'f64', 'f64', 'f64', 'f64', 'f64'], results: [] },
};

const HINTS: Record<string, string> = {
  'env.seed': 'AssemblyScript asks for it when Math.random is used; bfx offers no randomness to extensions',
};

export function syscallType(s: SyscallInfo): FuncType {
  return { params: [...s.wasm], results: ['i64'] };
}

const syscalls = new Map(BF_SYSCALLS.map((s) => [s.name as string, s]));

function same(a: FuncType, b: FuncType): boolean {
  return signature(a) === signature(b);
}

/** the syscall whose name is closest, for "did you mean" */
function closest(name: string): string | undefined {
  let best: [string, number] | undefined;
  for (const s of syscalls.keys()) {
    const d = distance(name, s);
    if (!best || d < best[1]) best = [s, d];
  }
  return best && best[1] <= Math.max(3, name.length / 4) ? best[0] : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

export interface CheckOptions {
  /** the most WebAssembly pages (64 KiB) the module may ask for */
  maxPages: number;
  /** more import namespaces to accept as they are (benchmarks and test drivers bring their own) */
  extraNamespaces?: readonly string[];
}

export function checkModule(info: ModuleInfo, opts: CheckOptions): string[] {
  const problems: string[] = [];
  let memory = false;
  for (const imp of info.imports) {
    const full = `${imp.module}.${imp.name}`;
    const d = imp.desc;
    if (imp.module === 'bf') {
      const s = syscalls.get(imp.name);
      if (!s) {
        const guess = closest(imp.name);
        problems.push(`unknown import "${full}": the bf ABI has no syscall of that name${guess ? ` (did you mean ${guess}?)` : ''}`);
      } else if (d.kind !== 'function') {
        problems.push(`import "${full}" is a ${d.kind}, but ${imp.name} is a syscall: import it as a function`);
      } else if (!same(d.type, syscallType(s))) {
        problems.push(`import "${full}" has the type ${signature(d.type)}, but the ABI's is ${signature(syscallType(s))}`);
      }
    } else if (imp.module === 'bfx') {
      const svc = BFX_SERVICES[imp.name];
      if (!svc) problems.push(`unknown import "${full}": the host services are ${Object.keys(BFX_SERVICES).map((k) => `bfx.${k}`).join(', ')}`);
      else if (d.kind !== 'function' || !same(d.type, svc)) problems.push(`import "${full}" must be a function of type ${signature(svc)}`);
    } else if (opts.extraNamespaces?.includes(imp.module)) {
      // supplied by whoever asked for the namespace
    } else if (imp.module === 'env' && imp.name === 'memory') {
      memory = true;
      if (d.kind !== 'memory') {
        problems.push(`import "env.memory" is a ${d.kind}; it must be the memory`);
      } else if (!d.limits.shared || d.limits.maximum === undefined) {
        problems.push('the imported memory is not shared: compile with --sharedMemory --enable threads and a --maximumMemory');
      } else if (d.limits.maximum > opts.maxPages) {
        problems.push(`the memory's maximum of ${d.limits.maximum} pages (${mib(d.limits.maximum)}) is larger than the ${opts.maxPages} pages (${mib(opts.maxPages)}) allowed`);
      }
    } else if (imp.module === 'env' && ENV_FUNCTIONS[imp.name]) {
      if (d.kind !== 'function' || !same(d.type, ENV_FUNCTIONS[imp.name])) {
        problems.push(`import "${full}" must be a function of type ${signature(ENV_FUNCTIONS[imp.name])}`);
      }
    } else {
      const hint = HINTS[full];
      problems.push(`unknown import "${full}": extensions import only from "bf" (the ABI), "bfx" (host services) and env's memory, abort and trace${hint ? `; ${hint}` : ''}`);
    }
  }
  if (!memory) {
    problems.push(info.memories.length
      ? 'the module defines its own memory; an extension imports it from the host: compile with --importMemory'
      : 'the module imports no memory: an extension imports "env.memory" from the host (compile with --importMemory)');
  }
  const entry = info.exports.find((e) => e.name === ENTRY);
  if (!entry) problems.push(`missing entry point: export a function ${ENTRY}(version: u32): void`);
  else if (entry.kind !== 'function' || !entry.type || !same(entry.type, ENTRY_TYPE)) {
    problems.push(`the entry point ${ENTRY} must be a function of type ${signature(ENTRY_TYPE)}${entry.type ? `, not ${signature(entry.type)}` : ''}`);
  }
  const registers = info.imports.some((i) => i.module === 'bf' && syscalls.get(i.name)?.callback);
  if (registers && !info.exports.some((e) => e.name === 'table' && e.kind === 'table')) {
    problems.push('the module registers callbacks but exports no function table named "table": compile with --exportTable');
  }
  return problems;
}

function mib(pages: number): string {
  return `${(pages * 64) / 1024} MiB`;
}
