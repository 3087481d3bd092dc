// What runs an extension's WebAssembly: an instance in the host's own
// thread (fastest, but nothing can stop a call that never returns), or one
// in a worker thread of its own, whose calls have a CPU budget: a call past
// it is stopped by terminating the worker (host/sandbox/worker/). The
// extension, the boundary and the supervisor see the same Runner either way.
import type { StateGlobal } from '../loader/globals.js';
import type { GlobalValue } from './snapshot.js';

export type Callable = (...args: (number | bigint)[]) => unknown;

/** the instance's exported function table, as the boundary reads it to register callbacks */
export interface SlotTable {
  readonly length: number;
  /** the function in a slot (its length is its arity), or null */
  get(index: number): Callable | null;
}

export interface Runner {
  readonly table: SlotTable | undefined;
  /** the instance in this thread, when it is here (benchmarks call its exports) */
  readonly instance: WebAssembly.Instance | undefined;
  /** calls an export; throws what ended it, as a call into WebAssembly does */
  callExport(name: string, args: (number | bigint)[]): void;
  /** the state globals' values, in the list's order (between two calls) */
  readGlobals(globals: readonly StateGlobal[]): GlobalValue[];
  writeGlobals(globals: readonly StateGlobal[], values: readonly GlobalValue[]): void;
  /** ends it: a worker is terminated */
  dispose(): void;
  /** resolves once nothing of it runs any more (a terminated worker's thread has ended) */
  settled(): Promise<void>;
}

/** a state global the instance does not export as the loader said it would */
export class GlobalAccessError extends Error {}

function exportedGlobal(exports: WebAssembly.Exports, g: StateGlobal): WebAssembly.Global {
  const e = exports[g.name];
  if (!(e instanceof WebAssembly.Global)) {
    throw new GlobalAccessError(`the instance exports no global "${g.name}": it was not made from the LoadedModule whose stateGlobals were given`);
  }
  return e;
}

/** the instance in the host's thread */
export class InlineRunner implements Runner {
  readonly instance: WebAssembly.Instance;
  readonly table: SlotTable | undefined;

  constructor(module: WebAssembly.Module | WebAssembly.Instance, imports: WebAssembly.Imports = {}) {
    // the module's start function (AssemblyScript's top-level code) runs here
    this.instance = module instanceof WebAssembly.Instance ? module : new WebAssembly.Instance(module, imports);
    const t = this.instance.exports.table;
    this.table = t instanceof WebAssembly.Table ? (t as unknown as SlotTable) : undefined;
  }

  callExport(name: string, args: (number | bigint)[]): void {
    (this.instance.exports[name] as Callable)(...args);
  }

  readGlobals(globals: readonly StateGlobal[]): GlobalValue[] {
    return globals.map((g) => exportedGlobal(this.instance.exports, g).value as GlobalValue);
  }

  writeGlobals(globals: readonly StateGlobal[], values: readonly GlobalValue[]): void {
    const targets = globals.map((g) => exportedGlobal(this.instance.exports, g));
    targets.forEach((t, i) => (t.value = values[i]));
  }

  dispose(): void {}

  settled(): Promise<void> {
    return Promise.resolve();
  }
}
