// An extension instance's state, as the host keeps it to checkpoint and to
// restore (DESIGN decision 3): its linear memory, its mutable globals (the
// module-level `let`s, and the AssemblyScript runtime's stack pointer, heap
// and GC state, which live outside the memory), and the free page list the
// host keeps for that memory. Restoring into a new instance of the same
// module, over the same memory or a new one, gives it back exactly; that is
// how a restarted extension gets its checkpoint.
//
// Both must be called while no code of the instance runs: the memory is
// shared, and a copy taken mid-call would be torn.
import type { StateGlobal } from '../loader/globals.js';
import type { ValType } from '../loader/inspect.js';
import type { ExtensionMemory } from './memory.js';
import { GlobalAccessError, type Runner } from './runner.js';
import { WorkerGone } from './trap.js';

/**
 * The memory is copied in pieces of this many bytes (a WebAssembly page),
 * and pieces of zeros are not copied: most of an extension's memory is never
 * written, so a capture reads it (fast) but copies little, and a restore into
 * a new memory writes only what was written.
 */
export const CHUNK = 65536;

export type GlobalValue = number | bigint;

export interface InstanceState {
  /** bytes in the memory it was taken from: it restores only into a memory of that size */
  size: number;
  /** offsets of the CHUNK-byte pieces of the memory that were not all zeros, ascending */
  chunks: number[];
  /** those pieces, back to back; every other byte of the memory was zero */
  bytes: Uint8Array;
  /** the value of each state global, in the order of the list it was captured with */
  globals: { index: number; type: ValType; value: GlobalValue }[];
  /** the memory's free pages for bf_mem_op_alloc_page (ExtensionMemory.freePageList) */
  freePages: number[];
}

/** a state that cannot be taken or given back, and why */
export class SnapshotError extends Error {}

const ZEROS = new Uint8Array(CHUNK);

/** the types whose values JavaScript reads and that mean the same in another instance */
const CARRIED: Record<ValType, 'number' | 'bigint' | undefined> = {
  i32: 'number', i64: 'bigint', f32: 'number', f64: 'number', v128: undefined, funcref: undefined, externref: undefined,
};

/** refuses a global whose value cannot be carried to another instance */
function checkType(g: StateGlobal): void {
  if (!CARRIED[g.type]) {
    throw new SnapshotError(`global ${g.index} is a ${g.type}: ${g.type === 'v128' ? 'JavaScript cannot read its value' : 'a reference means nothing in another instance'}, so the instance's state cannot be kept`);
  }
}

/** reads and writes an instance's state globals, wherever the instance runs (host/sandbox/runner.ts) */
export type GlobalAccess = Pick<Runner, 'readGlobals' | 'writeGlobals'>;

function access<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof GlobalAccessError || e instanceof WorkerGone) throw new SnapshotError(e.message);
    throw e;
  }
}

function view(memory: ExtensionMemory): Buffer {
  return Buffer.from(memory.u8.buffer, memory.u8.byteOffset, memory.u8.byteLength);
}

function isZero(buf: Buffer, at: number): boolean {
  return buf.compare(ZEROS, 0, CHUNK, at, at + CHUNK) === 0;
}

/** the instance's state now: a copy, which later calls into the instance do not change */
export function capture(instance: GlobalAccess, memory: ExtensionMemory, globals: readonly StateGlobal[]): InstanceState {
  globals.forEach(checkType);
  const read = access(() => instance.readGlobals(globals));
  const values = globals.map((g, i) => ({ index: g.index, type: g.type, value: read[i] }));
  const buf = view(memory);
  const chunks: number[] = [];
  for (let at = 0; at < memory.size; at += CHUNK) if (!isZero(buf, at)) chunks.push(at);
  const bytes = new Uint8Array(chunks.length * CHUNK);
  chunks.forEach((at, i) => bytes.set(memory.u8.subarray(at, at + CHUNK), i * CHUNK));
  return { size: memory.size, chunks, bytes, globals: values, freePages: memory.freePageList };
}

/**
 * Puts a captured state into an instance of the module it was captured from
 * (a new one, or the same) and the memory that instance imports. Everything
 * is checked before anything is written: a refused state changes nothing.
 */
export function restore(instance: GlobalAccess, memory: ExtensionMemory, globals: readonly StateGlobal[], state: InstanceState): void {
  if (state.size !== memory.size) {
    throw new SnapshotError(`the state is of a memory of ${state.size} bytes; this memory has ${memory.size}`);
  }
  const inOrder = state.chunks.every((at, i) => at % CHUNK === 0 && at + CHUNK <= state.size && (i === 0 || at > state.chunks[i - 1]));
  if (!inOrder || state.bytes.length !== state.chunks.length * CHUNK) {
    throw new SnapshotError(`the state's memory pieces are damaged: ${state.chunks.length} offsets, ascending by ${CHUNK} within ${state.size} bytes, must come with ${state.chunks.length * CHUNK} bytes (it has ${state.bytes.length})`);
  }
  const shape = (gs: readonly { index: number; type: ValType }[]) => gs.map((g) => `${g.index}:${g.type}`).join(' ');
  if (shape(state.globals) !== shape(globals)) {
    throw new SnapshotError(`the state holds globals [${shape(state.globals)}] but this module's are [${shape(globals)}]: it was captured from another module`);
  }
  globals.forEach((g, i) => {
    checkType(g);
    const { value } = state.globals[i];
    if (typeof value !== CARRIED[g.type]) throw new SnapshotError(`global ${g.index} is a ${g.type}, but the state holds ${typeof value} ${String(value)} for it`);
  });
  try {
    memory.freePageList = state.freePages; // checks every page before it sets the list
  } catch (e) {
    if (e instanceof RangeError) throw new SnapshotError(`the state's ${e.message}`);
    throw e;
  }

  const buf = view(memory);
  let next = 0;
  for (let at = 0; at < memory.size; at += CHUNK) {
    if (state.chunks[next] === at) {
      memory.u8.set(state.bytes.subarray(next * CHUNK, (next + 1) * CHUNK), at);
      next++;
    } else if (!isZero(buf, at)) {
      // zeros only where something was written: a new memory's untouched pages stay uncommitted
      memory.u8.fill(0, at, at + CHUNK);
    }
  }
  access(() => instance.writeGlobals(globals, state.globals.map((g) => g.value)));
}
