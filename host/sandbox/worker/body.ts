// What an extension's worker thread runs. It holds the extension's
// WebAssembly instance and nothing else: every import is a stub that posts
// the call to the host's thread through the mailbox and waits for the
// answer, so the boundary, the records and the microkernel stay with the
// host. The host can then stop a runaway call by terminating this thread;
// the memory, shared and the host's, outlives it.
//
// The function is sent to the worker as source text (a worker can be
// started from a string, which works the same from TypeScript under test
// and from the built JavaScript), so it must be whole in itself: it refers
// to nothing outside its own body but what workerData brings.
import type { CTL as CtlT, HOST_OP as HostOpT, LAYOUT as LayoutT, WORKER_OP as WorkerOpT } from './mailbox.js';

export interface WorkerData {
  sab: SharedArrayBuffer;
  port: import('node:worker_threads').MessagePort;
  CTL: typeof CtlT;
  HOST_OP: typeof HostOpT;
  WORKER_OP: typeof WorkerOpT;
  LAYOUT: typeof LayoutT;
  SPIN: number;
}

/** the message that comes with HOST_OP.instantiate */
export interface InstantiateMessage {
  /** undefined: the one of the last instantiation (each module or memory that crosses is a new object to the worker's heap) */
  module?: WebAssembly.Module;
  memory?: WebAssembly.Memory;
  /** the exports a CALL names by -1 - index */
  exports: string[];
  /** the state globals' export names, in the order of the global area */
  globals: { name: string; bigint: boolean }[];
}

export function workerBody(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wt = require('node:worker_threads') as typeof import('node:worker_threads');
  const data = wt.workerData as WorkerData;
  const { CTL, HOST_OP, WORKER_OP, LAYOUT, SPIN, port } = data;
  const ctl = new Int32Array(data.sab, 0, CTL.words);
  const tags = new Int32Array(data.sab, LAYOUT.tagsAt, (LAYOUT.valuesAt - LAYOUT.tagsAt) / 4);
  const f64 = new Float64Array(data.sab, LAYOUT.valuesAt, (LAYOUT.globalsAt - LAYOUT.valuesAt) / 8);
  const i64 = new BigInt64Array(data.sab, LAYOUT.valuesAt, f64.length);
  const gf64 = new Float64Array(data.sab, LAYOUT.globalsAt, (LAYOUT.bytes - LAYOUT.globalsAt) / 8);
  const gi64 = new BigInt64Array(data.sab, LAYOUT.globalsAt, gf64.length);

  /** thrown through the extension's frames when an import threw on the host's side */
  const HOST_THROW = new Error('the host ended this call from an import');

  let instance: WebAssembly.Instance | undefined;
  let table: WebAssembly.Table | undefined;
  let exportNames: string[] = [];
  let globals: { g: WebAssembly.Global; bigint: boolean }[] = [];
  let seen = Atomics.load(ctl, CTL.toWorker);
  let module: WebAssembly.Module | undefined;
  let memory: WebAssembly.Memory | undefined;

  function post(op: number): void {
    ctl[CTL.workerOp] = op;
    Atomics.add(ctl, CTL.toHost, 1);
    Atomics.notify(ctl, CTL.toHost);
  }

  /** the host's next op: read the mailbox for a while, then sleep on it */
  function next(): number {
    for (let i = 0; i < SPIN && Atomics.load(ctl, CTL.toWorker) === seen; i++);
    while (Atomics.load(ctl, CTL.toWorker) === seen) Atomics.wait(ctl, CTL.toWorker, seen);
    seen = Atomics.load(ctl, CTL.toWorker);
    return ctl[CTL.hostOp];
  }

  function putValues(values: readonly unknown[]): void {
    ctl[CTL.count] = values.length;
    values.forEach((v, i) => {
      if (typeof v === 'bigint') { tags[i] = 1; i64[i] = v; } else if (v === undefined) { tags[i] = 2; } else { tags[i] = 0; f64[i] = Number(v); }
    });
  }

  function getValues(): (number | bigint | undefined)[] {
    const out: (number | bigint | undefined)[] = [];
    for (let i = 0; i < ctl[CTL.count]; i++) out.push(tags[i] === 1 ? i64[i] : tags[i] === 2 ? undefined : f64[i]);
    return out;
  }

  function readGlobals(): void {
    globals.forEach((x, i) => { if (x.bigint) gi64[i] = x.g.value as bigint; else gf64[i] = x.g.value as number; });
  }

  function writeGlobals(): void {
    globals.forEach((x, i) => { x.g.value = x.bigint ? gi64[i] : gf64[i]; });
  }

  /** an import: the call goes to the host's thread, which answers with a value or an end */
  function stub(index: number) {
    return (...args: unknown[]): unknown => {
      putValues(args);
      ctl[CTL.target] = index;
      post(WORKER_OP.import);
      for (;;) {
        const op = next();
        if (op === HOST_OP.importReturn) return getValues()[0];
        if (op === HOST_OP.importThrow) throw HOST_THROW;
        // the host answers an import only with one of those two
        throw new Error(`worker: op ${op} came while an import waited for its answer`);
      }
    };
  }

  /** runs fn; tells the host how it ended */
  function attempt(fn: () => void, after?: () => void): void {
    try {
      fn();
      after?.();
      post(WORKER_OP.done);
    } catch (e) {
      after?.();
      if (e === HOST_THROW) {
        post(WORKER_OP.hostThrow);
        return;
      }
      const err = e instanceof Error ? e : new Error(String(e));
      port.postMessage({ name: err.name, message: err.message, stack: err.stack, trap: e instanceof WebAssembly.RuntimeError });
      post(WORKER_OP.fault);
    }
  }

  function instantiate(m: InstantiateMessage): void {
    module = m.module ?? module;
    memory = m.memory ?? memory;
    const imports: Record<string, Record<string, unknown>> = {};
    let n = 0;
    for (const imp of WebAssembly.Module.imports(module!)) {
      imports[imp.module] ??= {};
      if (imp.kind === 'memory') imports[imp.module][imp.name] = memory;
      else if (imp.kind === 'function') {
        imports[imp.module][imp.name] = stub(n++);
      }
    }
    attempt(() => {
      instance = new WebAssembly.Instance(module!, imports as WebAssembly.Imports);
      const t = instance.exports.table;
      table = t instanceof WebAssembly.Table ? t : undefined;
      exportNames = m.exports;
      globals = m.globals.map((x) => ({ g: instance!.exports[x.name] as WebAssembly.Global, bigint: x.bigint }));
      const arities: number[] = [];
      if (table) {
        for (let i = 0; i < table.length; i++) {
          const f = table.get(i) as unknown;
          arities.push(typeof f === 'function' ? (f as (...a: unknown[]) => unknown).length : -1);
        }
      }
      port.postMessage({ table: table ? arities : null });
    });
  }

  function call(): void {
    const target = ctl[CTL.target];
    const args = getValues();
    let fn: unknown;
    if (target >= 0) fn = table?.get(target);
    else fn = instance?.exports[exportNames[-1 - target]];
    if (typeof fn !== 'function') {
      port.postMessage({ name: 'Error', message: `worker: nothing to call at ${target >= 0 ? `table slot ${target}` : exportNames[-1 - target]}`, trap: false });
      post(WORKER_OP.fault);
      return;
    }
    const f = fn as (...a: unknown[]) => unknown;
    attempt(() => { f(...args); }, ctl[CTL.mirror] ? readGlobals : undefined);
  }

  post(WORKER_OP.ready);
  for (;;) {
    const op = next();
    if (op === HOST_OP.quit) break;
    if (op === HOST_OP.instantiate) instantiate(wt.receiveMessageOnPort(port)!.message as InstantiateMessage);
    else if (op === HOST_OP.call) call();
    else if (op === HOST_OP.readGlobals) attempt(readGlobals);
    else if (op === HOST_OP.writeGlobals) attempt(writeGlobals);
    else {
      port.postMessage({ name: 'Error', message: `worker: unknown op ${op}`, trap: false });
      post(WORKER_OP.fault);
    }
  }
  port.close();
}
