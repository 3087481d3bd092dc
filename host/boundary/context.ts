// What the ABI boundary works with: the extension making the call, and the
// host's state around it (the microkernel, the records, where execution is).
import type { CallbackKind } from '../abi/bf.js';
import type { Limits, Microkernel } from '../backend/microkernel.js';
import type { FuncType } from '../loader/inspect.js';
import type { ExtensionMemory } from '../sandbox/memory.js';
import type { SlotTable } from '../sandbox/runner.js';
import type { Audit } from './audit.js';
import type { Records } from './records.js';

/** a page bf_mem_op_alloc_page gave: its kernel address and its physical one */
export interface MappedPage {
  kvirt: bigint;
  phys: bigint;
}

/** the extension as the boundary sees it */
export interface Caller {
  readonly id: number;
  readonly name: string;
  readonly memory: ExtensionMemory;
  /** what open_handle gave, as the i64 the extension passes back; undefined when closed */
  handle: bigint | undefined;
  /** the exported function table callbacks are registered from */
  readonly table: SlotTable | undefined;
  /** the WebAssembly type of each table slot, as the module's element segments say; undefined when they cannot tell */
  readonly tableTypes: ReadonlyMap<number, FuncType> | undefined;
  readonly callbacks: { [K in CallbackKind]?: (...args: never[]) => unknown };
  /** the table slot each callback was registered from: a new instance of the extension finds them there */
  readonly callbackSlots: { [K in CallbackKind]?: number };
  /** a supervisor runs it: bfx_checkpoint means something */
  supervised: boolean;
  /** bfx_checkpoint asked for a checkpoint when the call it is in returns */
  checkpointWanted: boolean;
  /** how many times the extension was resumed after a crash (state resume) */
  resumes: number;
  /** what its bf_control_op_exit reports (bfx_exit_status): 0 a clean exit, anything else an exit with failure */
  exitStatus: bigint;
  /** bf_callback_op_wait was called in the entry point */
  waiting: boolean;
  /** syscalls made, by BF_SYSCALL_ID */
  readonly calls: Float64Array;
  /** pages from bf_mem_op_alloc_page, by their address in extension memory */
  readonly pages: Map<number, MappedPage>;
  /** the MSRs the extension may read and write; undefined for all */
  readonly msrs: ReadonlySet<number> | undefined;
  /** the configuration text it was started with */
  readonly config: string;
  /** text for the extension's debug output */
  debug(text: string): void;
}

/** where execution is: which processor, which extension, inside which callback */
export class Current {
  ppid = 0;
  ext: Caller | undefined = undefined;
  kind: 'main' | CallbackKind | 'none' = 'none';
  /** what the callback asked the processor to do when it returns */
  resume: 'none' | 'run' | 'promote' = 'none';

  enter(ext: Caller, kind: 'main' | CallbackKind, ppid: number): void {
    this.ext = ext;
    this.kind = kind;
    this.ppid = ppid;
    this.resume = 'none';
  }

  leave(): void {
    this.ext = undefined;
    this.kind = 'none';
  }

  /** inside a callback on a processor: where run and promote make sense */
  get inCallback(): boolean {
    return this.kind === 'bootstrap' || this.kind === 'vmexit' || this.kind === 'fail';
  }
}

export interface Env {
  readonly mk: Microkernel;
  readonly records: Records;
  readonly audit: Audit;
  readonly current: Current;
  readonly limits: Limits;
}
