// An instance's state is its memory, its mutable globals and the free page
// list: captured from one instance, it restores into a new one (over a new
// memory, or the same one), and an older state rolls everything back. The
// counter fixture keeps one counter in a module-level `let` and one in a
// heap object, which only survive together with the runtime's own globals.
import { InlineRunner } from '../../host/sandbox/runner.js';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sim } from '../../host/backend/sim/sim.js';
import { load, type LoadedModule } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { Host } from '../../host/run/host.js';
import type { Extension } from '../../host/sandbox/extension.js';
import { ExtensionMemory, PAGE } from '../../host/sandbox/memory.js';
import { capture, CHUNK, restore, SnapshotError, type InstanceState } from '../../host/sandbox/snapshot.js';

const FIXTURE = join(ROOT, 'test', 'sandbox', 'fixtures', 'counter');

interface Counter {
  bump(): void;
  globalCount(): number;
  heapCount(): number;
  historyCheck(): number;
  wideValue(): bigint;
  halfValue(): number;
  ratioValue(): number;
}

let loaded: LoadedModule;
let host: Host;

beforeAll(async () => {
  loaded = await load(FIXTURE); // compiles the fixture when its wasm is older than its source
  host = new Host(new Sim());
});

/** a new instance of the fixture over a new memory, as the host makes one; started unless said */
function instance(start = true): Extension {
  const ext = host.add(loaded);
  expect(ext.instance, 'the fixture instantiates').toBeDefined();
  if (start) expect(ext.start()).toEqual({ kind: 'returned' });
  return ext;
}

const api = (i: WebAssembly.Instance) => i.exports as unknown as Counter;

function bump(i: WebAssembly.Instance, n: number): void {
  for (let k = 0; k < n; k++) api(i).bump();
}

/** both counters, and whether the heap's history is whole */
function counts(i: WebAssembly.Instance): [number, number, number] {
  const c = api(i);
  return [c.globalCount(), c.heapCount(), c.historyCheck()];
}

const take = (ext: Extension) => capture(ext.runner!, ext.memory, loaded.stateGlobals);
const give = (ext: Extension, s: InstanceState) => restore(ext.runner!, ext.memory, loaded.stateGlobals, s);

describe('the fixture', () => {
  it('has its lets and the runtime state as state globals, of every number type', () => {
    // five lets of the fixture, and the runtime's: GC (itcms), allocator root (tlsf), stack pointer
    expect(loaded.stateGlobals.length).toBeGreaterThan(5);
    expect(new Set(loaded.stateGlobals.map((g) => g.type))).toEqual(new Set(['i32', 'i64', 'f32', 'f64']));
  });

  it('counts in both places, and a new instance starts from nothing', () => {
    const a = instance();
    bump(a.instance!, 4);
    expect(counts(a.instance!)).toEqual([4, 4, 4]);
    expect(counts(instance().instance!)).toEqual([0, 0, 0]);
  });
});

describe('capture, then restore into a new instance', () => {
  it('over a new memory: both counters, and the other globals, come back and go on counting', () => {
    const a = instance();
    bump(a.instance!, 5);
    const s = take(a);
    // not started: a restarted extension is given its checkpoint instead of running its entry again
    const b = instance(false);
    give(b, s);
    expect(counts(b.instance!)).toEqual([5, 5, 5]);
    const c = api(b.instance!);
    expect([c.wideValue(), c.halfValue(), c.ratioValue()]).toEqual([5n * 0x100000001n, 2.5, 1.25]);
    bump(b.instance!, 1);
    expect(counts(b.instance!)).toEqual([6, 6, 6]);
    // the old instance is its own: the new one's counting did not touch it
    expect(counts(a.instance!)).toEqual([5, 5, 5]);
  });

  it('over the same memory, after a new instance was made over it (its data and start code ran again)', () => {
    const a = instance();
    bump(a.instance!, 7);
    const s = take(a);
    const again = new WebAssembly.Instance(loaded.module, {
      env: { memory: a.memory.memory, abort: () => { throw new Error('abort'); } },
    });
    // the new instance's globals are fresh; the memory under it is the old one's, now inconsistent with them
    expect(api(again).globalCount()).toBe(0);
    restore(new InlineRunner(again), a.memory, loaded.stateGlobals, s);
    expect(counts(again)).toEqual([7, 7, 7]);
    bump(again, 2);
    expect(counts(again)).toEqual([9, 9, 9]);
  });

  it('keeps the heap working: thousands of allocations and collections after the restore stay consistent', () => {
    const a = instance();
    bump(a.instance!, 300);
    const b = instance(false);
    give(b, take(a));
    bump(b.instance!, 20_000);
    expect(counts(b.instance!)).toEqual([20_300, 20_300, 20_300]);
  });

  it('needs the globals: the memory alone gives the heap back but loses the let and the pointer to the object', () => {
    const a = instance();
    bump(a.instance!, 3);
    const s = take(a);
    const b = instance(false);
    s.chunks.forEach((at, i) => b.memory.u8.set(s.bytes.subarray(i * CHUNK, (i + 1) * CHUNK), at));
    expect(api(b.instance!).globalCount()).toBe(0);
    expect(() => api(b.instance!).heapCount()).toThrow(); // tally is null in this instance's globals
  });
});

describe('an older state', () => {
  it('rolls both counters back, in a new instance and in the one it was taken from', () => {
    const a = instance();
    bump(a.instance!, 3);
    const older = take(a);
    bump(a.instance!, 4);
    const newer = take(a);
    expect(counts(a.instance!)).toEqual([7, 7, 7]);

    const b = instance(false);
    give(b, newer);
    expect(counts(b.instance!)).toEqual([7, 7, 7]);
    give(b, older);
    expect(counts(b.instance!)).toEqual([3, 3, 3]);
    bump(b.instance!, 1);
    expect(counts(b.instance!)).toEqual([4, 4, 4]);

    give(a, older);
    expect(counts(a.instance!)).toEqual([3, 3, 3]);
  });

  it('is a copy: counting after the capture does not change it', () => {
    const a = instance();
    bump(a.instance!, 2);
    const s = take(a);
    const copy = { bytes: s.bytes.slice(), globals: structuredClone(s.globals) };
    bump(a.instance!, 50);
    expect(Buffer.compare(s.bytes, copy.bytes)).toBe(0);
    expect(s.globals).toEqual(copy.globals);
  });

  it('zeroes what was written after it, and copies no piece of zeros', () => {
    const a = instance();
    const s = take(a);
    // the fixture uses a few pieces of a 4 MiB memory; the rest is never written
    expect(s.chunks.length).toBeLessThan(a.memory.size / CHUNK / 4);
    expect(s.bytes.length).toBe(s.chunks.length * CHUNK);
    const zeros = Array.from({ length: a.memory.size / CHUNK }, (_, i) => i * CHUNK).filter((at) => !s.chunks.includes(at));
    const far = zeros[zeros.length - 1] + 8;
    a.memory.u8[far] = 0x5a;
    give(a, s);
    expect(a.memory.u8[far]).toBe(0);
  });
});

describe('the free page list', () => {
  it('is kept with the memory: pages taken after the capture are free again once it is restored', () => {
    const a = instance();
    const before = a.memory.freePageList;
    expect(before.length).toBeGreaterThan(2);
    const page = a.memory.takePage()!;
    a.memory.u8[page] = 0x77;
    const s = take(a);
    expect(s.freePages).toEqual(before.slice(0, -1));

    const b = instance(false);
    expect(b.memory.freePageList).toEqual(before);
    give(b, s);
    expect(b.memory.freePageList).toEqual(before.slice(0, -1));
    expect(b.memory.u8[page]).toBe(0x77); // the page's content travels in the memory

    a.memory.takePage();
    give(a, s);
    expect(a.memory.freePageList).toEqual(before.slice(0, -1));
  });

  it('is given as a copy, and refuses pages that are not this pool\'s', () => {
    const m = new ExtensionMemory(2, [4096, 65536]);
    const list = m.freePageList;
    list.pop();
    expect(m.freePageList.length).toBe(list.length + 1);
    expect(() => (m.freePageList = [PAGE + 1])).toThrow(/free page list: 4097 is not a page of this memory's pool \[0x1000, 0x10000\)/);
    expect(() => (m.freePageList = [0])).toThrow(/0 is not a page of this memory's pool/);
    expect(() => (m.freePageList = [65536])).toThrow(/65536 is not a page of this memory's pool/);
    expect(() => (m.freePageList = [PAGE, PAGE])).toThrow(/page 0x1000 is in it twice/);
    m.freePageList = [2 * PAGE, PAGE];
    expect(m.takePage()).toBe(PAGE);
    expect(m.takePage()).toBe(2 * PAGE);
    expect(m.takePage()).toBeUndefined();
  });
});

describe('a state that does not fit', () => {
  /** the instance's counters and memory are as they were */
  function untouched(ext: Extension, refuse: () => void, why: RegExp): void {
    const before = counts(ext.instance!);
    // after counts(): the fixture's calls write its shadow stack, in the memory
    const mem = ext.memory.u8.slice();
    const free = ext.memory.freePageList;
    expect(refuse).toThrow(SnapshotError);
    expect(refuse).toThrow(why);
    expect(ext.memory.freePageList).toEqual(free);
    expect(Buffer.compare(ext.memory.u8, mem)).toBe(0);
    expect(counts(ext.instance!)).toEqual(before);
  }

  it('is refused, naming what does not fit, and changes nothing', async () => {
    const a = instance();
    bump(a.instance!, 2);
    const s = take(a);
    const b = instance();
    bump(b.instance!, 9);

    const small = new ExtensionMemory(loaded.pages / 2, loaded.pool);
    expect(() => restore(b.runner!, small, loaded.stateGlobals, s)).toThrow(`the state is of a memory of ${b.memory.size} bytes; this memory has ${small.size}`);

    const hello = await load(join(ROOT, 'extensions', 'hello'));
    untouched(b, () => give(b, { ...s, globals: s.globals.slice(1) }), /the state holds globals \[.*\] but this module's are \[0:i32 .*\]: it was captured from another module/);
    untouched(b, () => restore(b.runner!, b.memory, hello.stateGlobals, s), /captured from another module/);
    untouched(b, () => give(b, { ...s, freePages: [...s.freePages, 3] }), /the state's free page list: 3 is not a page of this memory's pool/);
    untouched(b, () => give(b, { ...s, chunks: [...s.chunks].reverse() }), /the state's memory pieces are damaged/);
    untouched(b, () => give(b, { ...s, bytes: s.bytes.subarray(CHUNK) }), /the state's memory pieces are damaged/);
    const wrong = s.globals.map((g, i) => (i === 0 ? { ...g, value: 1n } : g));
    untouched(b, () => give(b, { ...s, globals: wrong }), /global 0 is a i32, but the state holds bigint 1 for it/);
    expect(counts(b.instance!)).toEqual([9, 9, 9]);
  });

  it('cannot be taken from an instance of another module, or of globals JavaScript cannot carry', async () => {
    const a = instance();
    const hello = await load(join(ROOT, 'extensions', 'hello'));
    const h = new WebAssembly.Instance(hello.module, { env: { memory: a.memory.memory, abort: () => {} }, bf: stubs(hello.module) });
    expect(() => capture(new InlineRunner(h), a.memory, loaded.stateGlobals)).toThrow(/the instance exports no global "bfx:global:\d+": it was not made from the LoadedModule whose stateGlobals were given/);
    expect(() => capture(a.runner!, a.memory, [{ name: 'bfx:global:0', index: 0, type: 'v128' }])).toThrow('global 0 is a v128: JavaScript cannot read its value');
    expect(() => capture(a.runner!, a.memory, [{ name: 'bfx:global:0', index: 0, type: 'funcref' }])).toThrow('global 0 is a funcref: a reference means nothing in another instance');
  });
});

/** a function for each bf import of a module, for instantiating it without a host */
function stubs(module: WebAssembly.Module): Record<string, () => bigint> {
  return Object.fromEntries(WebAssembly.Module.imports(module).filter((i) => i.module === 'bf').map((i) => [i.name, () => 0n]));
}
