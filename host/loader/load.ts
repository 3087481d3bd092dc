// Loading an extension: a .wasm file, or AssemblyScript (an entry .ts or a
// folder with main.ts) compiled first. Nothing of the module runs here;
// every problem the checks find is reported at once, naming the module.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { checkModule } from './check.js';
import { compile, CompileError, stale, target, type Target } from './compile.js';
import { exportGlobals, GlobalsError, type ExportedGlobals, type StateGlobal } from './globals.js';
import { FormatError, inspect, type ModuleInfo } from './inspect.js';

export const DEFAULT_MAX_PAGES = 1024; // 64 MiB

export class LoadError extends Error {
  constructor(readonly module: string, readonly problems: string[]) {
    super(problems.length === 1 ? `${module}: ${problems[0]}` : `${module}: ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface LoadedModule {
  name: string;
  /** the .wasm file */
  path: string;
  /** compiled from the module with its mutable globals exported (globals.ts) */
  module: WebAssembly.Module;
  /** what the module says of itself, read from its own bytes (without those exports) */
  info: ModuleInfo;
  /** the mutable globals it defines, which a checkpoint of an instance reads and writes with its memory */
  stateGlobals: StateGlobal[];
  /** WebAssembly pages the host gives it: its declared maximum, all at once */
  pages: number;
  /** bytes [start, end) the module leaves unused, where bf_mem_op_alloc_page puts pages */
  pool: [number, number];
}

export interface LoadOptions {
  maxPages?: number;
  /** import namespaces beyond bf, bfx and env, for benchmarks and test drivers */
  extraNamespaces?: readonly string[];
  /** called before an AssemblyScript extension is compiled */
  onCompile?: (t: Target) => void;
  /** compile even when the wasm is newer than its sources */
  rebuild?: boolean;
}

export function loadBytes(bytes: Uint8Array, name: string, path: string, opts: LoadOptions = {}): LoadedModule {
  let info: ModuleInfo;
  try {
    info = inspect(bytes);
  } catch (e) {
    if (e instanceof FormatError) throw new LoadError(name, [`not a WebAssembly module: ${e.message}`]);
    throw e;
  }
  // the module is compiled with its globals exported; the checks read the module as it was written
  let exported: ExportedGlobals | undefined;
  let globalsProblem: string | undefined;
  try {
    exported = exportGlobals(bytes, info);
  } catch (e) {
    if (!(e instanceof GlobalsError || e instanceof FormatError)) throw e;
    globalsProblem = e.message;
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module((exported?.bytes ?? bytes) as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new LoadError(name, [`invalid WebAssembly: ${invalidWhy(bytes, exported?.bytes, e as Error)}`]);
  }
  const problems = checkModule(info, { maxPages: opts.maxPages ?? DEFAULT_MAX_PAGES, extraNamespaces: opts.extraNamespaces });
  if (globalsProblem) problems.push(globalsProblem);
  if (problems.length) throw new LoadError(name, problems);
  const mem = info.imports.find((i) => i.module === 'env' && i.name === 'memory')!;
  const pages = mem.desc.kind === 'memory' ? mem.desc.limits.maximum! : 0;
  // the pool lies below the first data segment; with no data (or data placed
  // by an expression) where the module's own memory starts is unknown: no pool
  const dataStart = info.dataOffsetUnknown || !info.dataOffsets.length ? 0 : Math.min(pages * 65536, ...info.dataOffsets);
  return { name, path, module, info, stateGlobals: exported?.globals ?? [], pages, pool: [4096, dataStart] };
}

/**
 * The engine's words for an invalid module name byte offsets; say them of
 * the bytes the author made, not of the copy whose offsets the added exports moved.
 */
function invalidWhy(original: Uint8Array, rewritten: Uint8Array | undefined, e: Error): string {
  if (!rewritten || rewritten === original) return e.message;
  try {
    new WebAssembly.Module(original as Uint8Array<ArrayBuffer>);
  } catch (o) {
    return (o as Error).message;
  }
  return `${e.message} (only once bfx exported its mutable globals: a fault of bfx's rewrite, not of the module)`;
}

/** a .wasm, an AssemblyScript entry .ts, or a folder with main.ts */
export async function load(path: string, opts: LoadOptions = {}): Promise<LoadedModule> {
  const p = resolve(path);
  if (!existsSync(p)) throw new LoadError(path, ['no such file or folder']);
  let wasm = p;
  let name = basename(p, '.wasm');
  if (statSync(p).isDirectory() || p.endsWith('.ts')) {
    const t = target(p);
    name = t.name;
    wasm = t.outFile;
    if (opts.rebuild || stale(t)) {
      opts.onCompile?.(t);
      try {
        await compile(t);
      } catch (e) {
        if (e instanceof CompileError) throw new LoadError(name, [e.message]);
        throw e;
      }
    }
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(wasm);
  } catch (e) {
    throw new LoadError(name, [`cannot read ${wasm}: ${(e as Error).message}`]);
  }
  return loadBytes(bytes, name, wasm, opts);
}
