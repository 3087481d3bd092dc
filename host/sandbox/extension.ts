// One running extension: its memory (the host's), its instance, its
// callbacks, and every call into it contained, so that whatever it does ends
// that call and never the host.
import { BF_SPEC_ID1_MASK, BF_SYSCALLS, type CallbackKind, type SyscallName } from '../abi/bf.js';
import type { Caller, Env, MappedPage } from '../boundary/context.js';
import { ExtensionExit } from '../boundary/guard.js';
import { bfImports } from '../boundary/imports.js';
import { bfxImports } from '../boundary/services.js';
import { ENTRY } from '../loader/check.js';
import type { LoadedModule } from '../loader/load.js';
import { ExtensionMemory } from './memory.js';
import { InlineRunner, type Runner, type SlotTable } from './runner.js';
import { ExtensionWorker, WorkerRunner } from './worker/runner.js';
import { capture, restore, SnapshotError, type InstanceState } from './snapshot.js';
import { classify, ExtensionAbort, type Fault } from './trap.js';

export interface ExtensionOptions {
  /** text the extension reads with bfx_config() */
  config?: string;
  /** the syscalls it may make; the others answer INVALID_PERM_EXT. All when undefined. */
  syscalls?: SyscallName[];
  /** the MSRs it may read and write; the others answer INVALID_PERM_DENIED. All when undefined. */
  msrs?: number[];
  /** the memory, when it is not to be a new one: a restarted instance's (the supervisor resets or restores it) */
  memory?: ExtensionMemory;
  /** more import namespaces, for benchmarks that measure against a baseline */
  extraImports?: Record<string, Record<string, (...args: never[]) => unknown>>;
  /**
   * Each call into the extension's CPU budget, in milliseconds: the instance
   * then runs in a worker thread of its own, which is terminated when a call
   * runs past it. Undefined: the instance runs in the host's thread, unbounded.
   */
  budgetMs?: number;
  /** the worker a restarted instance runs in: its last instance's, when that one is done with */
  worker?: ExtensionWorker;
  /** keep the state globals known after every call, even one that had to be stopped (state resume) */
  mirrorGlobals?: boolean;
}

/**
 * loaded: instantiated, entry not called; running: in its entry point;
 * waiting: the entry returned after bf_callback_op_wait, callbacks flow;
 * returned: the entry returned without waiting; exited: bf_control_op_exit;
 * faulted: the entry point (or its start code) faulted.
 */
export type ExtensionState = 'loaded' | 'running' | 'waiting' | 'returned' | 'exited' | 'faulted';

export type Outcome = { kind: 'returned' } | { kind: 'exited' } | { kind: 'fault'; fault: Fault };

export interface RecordedFault {
  /** where it happened: the entry point or a callback */
  where: 'start' | 'main' | CallbackKind;
  ppid: number;
  fault: Fault;
}

export type ExtensionOutput = (name: string, text: string) => void;

/** an instance's state and what the host keeps of it: what a new instance takes over (checkpoint, resume) */
export interface Carried {
  state: InstanceState;
  handle: bigint | undefined;
  slots: Caller['callbackSlots'];
  /** pages from bf_mem_op_alloc_page, by address in extension memory */
  pages: Map<number, MappedPage>;
  resumes: number;
}

export class Extension implements Caller {
  readonly name: string;
  readonly memory: ExtensionMemory;
  handle: bigint | undefined = undefined;
  readonly table: SlotTable | undefined;
  readonly tableTypes: Caller['tableTypes'];
  readonly callbacks: Caller['callbacks'] = {};
  readonly callbackSlots: Caller['callbackSlots'] = {};
  supervised = false;
  checkpointWanted = false;
  resumes = 0;
  exitStatus = 0n;
  waiting = false;
  readonly calls = new Float64Array(BF_SYSCALLS.length);
  readonly pages = new Map<number, MappedPage>();
  readonly msrs: ReadonlySet<number> | undefined;
  readonly config: string;
  state: ExtensionState = 'loaded';
  readonly faults: RecordedFault[] = [];
  /** VM exits delivered to it, by exit reason */
  readonly exits = new Map<bigint, number>();
  readonly runner: Runner | undefined;
  private line = '';

  constructor(readonly id: number, readonly loaded: LoadedModule, env: Env, opts: ExtensionOptions, private readonly output: ExtensionOutput) {
    this.name = loaded.name;
    this.config = opts.config ?? '';
    this.msrs = opts.msrs ? new Set(opts.msrs) : undefined;
    this.tableTypes = loaded.info.tableTypesUnknown ? undefined : loaded.info.tableTypes;
    this.memory = opts.memory ?? new ExtensionMemory(loaded.pages, loaded.pool);
    const imports: WebAssembly.Imports = {
      ...opts.extraImports,
      bf: bfImports(env, this, opts.syscalls ? new Set(opts.syscalls) : undefined),
      bfx: bfxImports(env, this),
      env: {
        memory: this.memory.memory,
        abort: (msg: number, file: number, line: number, column: number) => {
          throw new ExtensionAbort(this.memory.readAsString(msg) ?? '(no message)', this.memory.readAsString(file), line, column);
        },
        trace: (msg: number, n: number, ...args: number[]) => {
          this.debug(`trace: ${this.memory.readAsString(msg) ?? ''}${args.slice(0, n).map((a) => ` ${a}`).join('')}\n`);
        },
      },
    };
    try {
      // the module's start function (AssemblyScript's top-level code) runs here
      this.runner = opts.budgetMs === undefined
        ? new InlineRunner(loaded.module, imports)
        : new WorkerRunner(loaded.module, imports, this.memory.memory, opts.budgetMs, {
          exports: [ENTRY], globals: loaded.stateGlobals, mirror: opts.mirrorGlobals ?? false, worker: opts.worker,
        });
      this.table = this.runner.table;
    } catch (e) {
      this.state = e instanceof ExtensionExit ? 'exited' : 'faulted';
      if (!(e instanceof ExtensionExit)) this.faults.push({ where: 'start', ppid: 0, fault: classify(e) });
    }
  }

  /** the instance, when it runs in the host's thread */
  get instance(): WebAssembly.Instance | undefined {
    return this.runner?.instance;
  }

  /** the worker it runs in, while that worker can take another instance */
  get worker(): ExtensionWorker | undefined {
    return this.runner instanceof WorkerRunner && this.runner.worker.alive ? this.runner.worker : undefined;
  }

  /** ends its worker, if it has one; resolves once that thread is gone */
  dispose(): Promise<void> {
    this.runner?.dispose();
    return this.settled();
  }

  /** resolves once no code of it runs any more: a stopped worker's thread has ended */
  settled(): Promise<void> {
    return this.runner?.settled() ?? Promise.resolve();
  }

  debug(text: string): void {
    const lines = (this.line + text).split('\n');
    this.line = lines.pop()!;
    for (const l of lines) this.output(this.name, l);
  }

  flush(): void {
    if (this.line) this.debug('\n');
  }

  private call(fn: () => unknown): Outcome {
    try {
      fn();
      return { kind: 'returned' };
    } catch (e) {
      if (e instanceof ExtensionExit) return { kind: 'exited' };
      const fault = classify(e);
      // its worker was terminated: nothing of this instance can be called again
      if (fault.kind === 'deadline') this.state = 'faulted';
      return { kind: 'fault', fault };
    }
  }

  /** calls the entry point, as Bareflank's loader does, with the spec versions the host speaks */
  start(): Outcome {
    const runner = this.runner;
    if (this.state !== 'loaded' || !runner) return { kind: 'returned' };
    this.state = 'running';
    const outcome = this.call(() => runner.callExport(ENTRY, [BF_SPEC_ID1_MASK]));
    if (outcome.kind === 'exited') this.state = 'exited';
    else if (outcome.kind === 'fault') {
      this.state = 'faulted';
      this.faults.push({ where: 'main', ppid: 0, fault: outcome.fault });
    } else this.state = this.waiting ? 'waiting' : 'returned';
    return outcome;
  }

  /** calls one of its callbacks; a fault ends that callback and is recorded */
  invoke(kind: CallbackKind, ppid: number, args: (number | bigint)[]): Outcome {
    const fn = this.callbacks[kind] as ((...a: (number | bigint)[]) => unknown) | undefined;
    if (!fn) return { kind: 'returned' };
    const outcome = this.call(() => fn(...args));
    if (outcome.kind === 'exited') this.state = 'exited';
    if (outcome.kind === 'fault') this.faults.push({ where: kind, ppid, fault: outcome.fault });
    return outcome;
  }

  /** what a new instance needs of this one to take its place: its state, and what the host keeps of it */
  carry(): Carried {
    if (!this.runner) throw new SnapshotError(`${this.name} has no instance to take a state from`);
    return {
      state: capture(this.runner, this.memory, this.loaded.stateGlobals),
      handle: this.handle,
      slots: { ...this.callbackSlots },
      pages: new Map(this.pages),
      resumes: this.resumes,
    };
  }

  /**
   * Takes the place of an instance that is gone: its memory and globals,
   * its handle, its callbacks (found again by their table slots), its pages.
   * The entry point is not called again: the instance waits for callbacks.
   */
  adopt(c: Carried, mapPage: (phys: bigint, bytes: Uint8Array) => void): void {
    if (!this.runner || this.state !== 'loaded') throw new SnapshotError(`${this.name} cannot take a state: it is ${this.state}`);
    restore(this.runner, this.memory, this.loaded.stateGlobals, c.state);
    this.handle = c.handle;
    for (const [kind, slot] of Object.entries(c.slots) as [CallbackKind, number][]) {
      const fn = this.table?.get(slot) as ((...args: never[]) => unknown) | null;
      if (typeof fn !== 'function') throw new SnapshotError(`${this.name}: its ${kind} callback's slot ${slot} holds no function in the new instance`);
      this.callbacks[kind] = fn;
      this.callbackSlots[kind] = slot;
    }
    for (const [at, page] of c.pages) {
      this.pages.set(at, page);
      mapPage(page.phys, this.memory.pageView(at));
    }
    this.resumes = c.resumes;
    this.waiting = true;
    this.state = 'waiting';
  }

  /** syscalls made, by name, leaving out those never made */
  callCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    BF_SYSCALLS.forEach((s) => this.calls[s.id] && (out[s.name] = this.calls[s.id]));
    return out;
  }
}
