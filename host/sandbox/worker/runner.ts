// The host's side of an extension's worker: it starts the thread, asks it to
// instantiate and to call, serves each import the instance makes with the
// host's own import (in this thread, as if the instance were here), and
// keeps each call's CPU budget. The time the host spends serving an import
// is the host's, not the call's: only the extension's own time counts.
import { receiveMessageOnPort, MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { StateGlobal } from '../../loader/globals.js';
import { GlobalAccessError, type Callable, type Runner, type SlotTable } from '../runner.js';
import type { GlobalValue } from '../snapshot.js';
import { DeadlineExceeded, WorkerError, WorkerGone } from '../trap.js';
import { workerBody, type InstantiateMessage, type WorkerData } from './body.js';
import { CTL, HOST_OP, LAYOUT, MAX_GLOBALS, MAX_VALUES, SPIN, WORKER_OP, type ErrorInfo, type Ready } from './mailbox.js';

// a transpiler that keeps function names wraps them in __name(): the worker has none of its helpers
const SOURCE = `var __name = (f) => f;\n(${workerBody.toString()})()`;

/** how long a new worker may take to say it is ready */
const START_MS = 10_000;

/** one worker thread, which holds one instance at a time; a restart after a trap puts the next in the same thread */
export class ExtensionWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly ctl: Int32Array;
  private readonly tags: Int32Array;
  private readonly f64: Float64Array;
  private readonly i64: BigInt64Array;
  readonly gf64: Float64Array;
  readonly gi64: BigInt64Array;
  private seen: number;
  /** false once terminated (or its thread ended) */
  alive = true;
  private readonly exited: Promise<void>;

  constructor() {
    const sab = new SharedArrayBuffer(LAYOUT.bytes);
    this.ctl = new Int32Array(sab, 0, CTL.words);
    this.tags = new Int32Array(sab, LAYOUT.tagsAt, MAX_VALUES);
    this.f64 = new Float64Array(sab, LAYOUT.valuesAt, MAX_VALUES);
    this.i64 = new BigInt64Array(sab, LAYOUT.valuesAt, MAX_VALUES);
    this.gf64 = new Float64Array(sab, LAYOUT.globalsAt, MAX_GLOBALS);
    this.gi64 = new BigInt64Array(sab, LAYOUT.globalsAt, MAX_GLOBALS);
    this.seen = 0;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: WorkerData = { sab, port: port2, CTL, HOST_OP, WORKER_OP, LAYOUT, SPIN };
    this.worker = new Worker(SOURCE, { eval: true, workerData: data, transferList: [port2] });
    // an extension's worker never keeps the host's process alive
    this.worker.unref();
    this.exited = new Promise((ok) => this.worker.once('exit', () => {
      this.alive = false;
      ok();
    }));
    this.worker.on('error', () => { this.alive = false; });
    const op = this.await(START_MS);
    if (op !== WORKER_OP.ready) {
      this.kill();
      throw new WorkerGone(op === undefined ? `its worker did not start within ${START_MS / 1000} s` : `its worker said ${op} instead of ready`);
    }
  }

  private post(op: number): void {
    this.ctl[CTL.hostOp] = op;
    Atomics.add(this.ctl, CTL.toWorker, 1);
    Atomics.notify(this.ctl, CTL.toWorker);
  }

  /** the worker's next op, or undefined when none came within ms */
  private await(ms: number): number | undefined {
    const ctl = this.ctl;
    const seen = this.seen;
    for (let i = 0; i < SPIN && Atomics.load(ctl, CTL.toHost) === seen; i++);
    if (Atomics.load(ctl, CTL.toHost) === seen) {
      const end = performance.now() + ms;
      for (;;) {
        const left = end - performance.now();
        if (left <= 0) return undefined;
        Atomics.wait(ctl, CTL.toHost, seen, left);
        if (Atomics.load(ctl, CTL.toHost) !== seen) break;
      }
    }
    this.seen = Atomics.load(ctl, CTL.toHost);
    return ctl[CTL.workerOp];
  }

  private putValues(values: readonly unknown[]): void {
    this.ctl[CTL.count] = values.length;
    values.forEach((v, i) => {
      if (typeof v === 'bigint') {
        this.tags[i] = 1;
        this.i64[i] = v;
      } else if (v === undefined) {
        this.tags[i] = 2;
      } else {
        this.tags[i] = 0;
        this.f64[i] = Number(v);
      }
    });
  }

  private getValues(): (number | bigint)[] {
    const out: (number | bigint)[] = [];
    for (let i = 0; i < this.ctl[CTL.count]; i++) out.push(this.tags[i] === 1 ? this.i64[i] : this.f64[i]);
    return out;
  }

  private received<T>(): T {
    const m = receiveMessageOnPort(this.port);
    if (!m) throw new WorkerGone('its worker reported a fault but sent no description');
    return m.message as T;
  }

  set mirror(on: boolean) {
    this.ctl[CTL.mirror] = on ? 1 : 0;
  }

  /**
   * Posts op and serves the worker until it is done: each import it makes is
   * answered with imports[n]'s result, or ends the call with what that threw.
   * budgetMs bounds the worker's own time; past it the worker is terminated
   * and DeadlineExceeded thrown.
   */
  exchange(op: number, imports: readonly Callable[], budgetMs: number): void {
    if (!this.alive) throw new WorkerGone('its worker was stopped');
    this.post(op);
    let left = budgetMs;
    let thrown: unknown;
    for (;;) {
      const t0 = performance.now();
      const got = this.await(left);
      if (got === undefined) {
        this.kill();
        throw new DeadlineExceeded(budgetMs);
      }
      left -= performance.now() - t0;
      switch (got) {
        case WORKER_OP.done: return;
        case WORKER_OP.hostThrow: throw thrown;
        case WORKER_OP.fault: throw new WorkerError(this.received<ErrorInfo>());
        case WORKER_OP.import: {
          const fn = imports[this.ctl[CTL.target]];
          let value: unknown;
          try {
            value = fn(...this.getValues());
          } catch (e) {
            thrown = e;
            this.post(HOST_OP.importThrow);
            break;
          }
          this.putValues([value]);
          this.post(HOST_OP.importReturn);
          break;
        }
        default:
          this.kill();
          throw new WorkerGone(`its worker sent op ${got}, which the host does not know`);
      }
    }
  }

  /** what the worker holds from its last instantiation */
  private module: WebAssembly.Module | undefined;
  private memory: WebAssembly.Memory | undefined;

  instantiate(m: InstantiateMessage, imports: readonly Callable[], budgetMs: number): Ready {
    // a restart's module and memory are the ones the worker has: they do not cross again
    const same = { module: m.module === this.module ? undefined : m.module, memory: m.memory === this.memory ? undefined : m.memory };
    this.module = m.module;
    this.memory = m.memory;
    this.port.postMessage({ ...m, ...same });
    this.exchange(HOST_OP.instantiate, imports, budgetMs);
    return this.received<Ready>();
  }

  call(target: number, args: readonly (number | bigint)[], imports: readonly Callable[], budgetMs: number): void {
    this.ctl[CTL.target] = target;
    this.putValues(args);
    this.exchange(HOST_OP.call, imports, budgetMs);
  }

  kill(): void {
    if (!this.alive) return;
    this.alive = false;
    // held until its thread has ended, so that whoever awaits settled() sees it end
    this.worker.ref();
    void this.worker.terminate();
  }

  /** ends it between two calls, politely */
  quit(): void {
    if (!this.alive) return;
    this.worker.ref();
    this.post(HOST_OP.quit);
    this.alive = false;
  }

  settled(): Promise<void> {
    return this.exited;
  }
}

/** an instance in a worker, with the CPU budget each call into it has */
export class WorkerRunner implements Runner {
  readonly table: SlotTable | undefined;
  readonly instance = undefined;
  private readonly fns: Callable[];
  private readonly exportNames: string[];
  private readonly globals: readonly StateGlobal[];
  private readonly slots = new Map<number, Callable>();
  private readonly mirrorOn: boolean;

  /**
   * worker: one whose last instance is done with (a restart's), or a new one.
   * mirror: the state globals are copied out after every call, so that they
   * are known even after a call that had to be stopped.
   */
  constructor(module: WebAssembly.Module, imports: WebAssembly.Imports, memory: WebAssembly.Memory, readonly budgetMs: number,
    opts: { exports: string[]; globals: readonly StateGlobal[]; mirror: boolean; worker?: ExtensionWorker }) {
    this.worker = opts.worker?.alive ? opts.worker : new ExtensionWorker();
    this.exportNames = opts.exports;
    this.globals = opts.globals;
    this.fns = [];
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== 'function') continue;
      const fn = (imports[imp.module] as Record<string, unknown> | undefined)?.[imp.name];
      this.fns.push(typeof fn === 'function' ? (fn as Callable) : () => { throw new TypeError(`the host gives no function ${imp.module}.${imp.name}`); });
    }
    this.mirrorOn = opts.mirror && this.globals.length <= MAX_GLOBALS;
    const bigints = this.globals.map((g) => ({ name: g.name, bigint: g.type === 'i64' }));
    this.worker.mirror = this.mirrorOn;
    let ready: Ready;
    try {
      // a new worker's first instantiation takes its start-up too: the module's start code gets the larger of the budget and the start-up allowance
      ready = this.worker.instantiate({ module, memory, exports: opts.exports, globals: bigints }, this.fns, Math.max(budgetMs, START_MS));
    } catch (e) {
      // no instance to hold: the thread ends rather than wait for one
      this.worker.quit();
      throw e;
    }
    const arities = ready.table;
    this.table = arities ? {
      length: arities.length,
      get: (i: number) => (arities[i] === undefined || arities[i] < 0 ? null : this.slot(i, arities[i])),
    } : undefined;
  }

  readonly worker: ExtensionWorker;

  /** a function that calls table slot i in the worker, of the arity the slot's has */
  private slot(i: number, arity: number): Callable {
    let f = this.slots.get(i);
    if (!f) {
      f = (...args: (number | bigint)[]) => this.worker.call(i, args, this.fns, this.budgetMs);
      Object.defineProperty(f, 'length', { value: arity });
      this.slots.set(i, f);
    }
    return f;
  }

  callExport(name: string, args: (number | bigint)[]): void {
    const at = this.exportNames.indexOf(name);
    if (at < 0) throw new Error(`worker runner: ${name} is not among the exports it calls (${this.exportNames.join(', ')})`);
    this.worker.call(-1 - at, args, this.fns, this.budgetMs);
  }

  /** where each global asked for lies in the global area */
  private places(globals: readonly StateGlobal[]): number[] {
    return globals.map((g) => {
      const at = this.globals.findIndex((x) => x.name === g.name);
      if (at < 0) throw new GlobalAccessError(`the instance exports no global "${g.name}": it was not made from the LoadedModule whose stateGlobals were given`);
      return at;
    });
  }

  readGlobals(globals: readonly StateGlobal[]): GlobalValue[] {
    const at = this.places(globals);
    // a stopped worker cannot answer: the mirror holds what its last finished call left
    if (this.worker.alive) this.worker.exchange(HOST_OP.readGlobals, this.fns, this.budgetMs);
    else if (!this.mirrorOn) throw new WorkerGone('its worker was stopped, and its globals were not kept');
    return at.map((i) => (this.globals[i].type === 'i64' ? this.worker.gi64[i] : this.worker.gf64[i]));
  }

  writeGlobals(globals: readonly StateGlobal[], values: readonly GlobalValue[]): void {
    const at = this.places(globals);
    // the others keep their values: read them first, so that writing all of them back changes only these
    if (globals.length !== this.globals.length) this.worker.exchange(HOST_OP.readGlobals, this.fns, this.budgetMs);
    values.forEach((v, j) => {
      const i = at[j];
      if (typeof v === 'bigint') this.worker.gi64[i] = v;
      else this.worker.gf64[i] = v;
    });
    this.worker.exchange(HOST_OP.writeGlobals, this.fns, this.budgetMs);
  }

  dispose(): void {
    this.worker.quit();
  }

  settled(): Promise<void> {
    return this.worker.settled();
  }
}
