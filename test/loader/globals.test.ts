// The loader exports every mutable global a module defines, so that the
// host can checkpoint an instance's globals with its memory: the module
// stays valid and behaves the same, the right globals (and only those) are
// exported, and a name the module already uses is refused.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportGlobals, GlobalsError, STATE_GLOBAL_PREFIX } from '../../host/loader/globals.js';
import { inspect } from '../../host/loader/inspect.js';
import { load, LoadError, loadBytes } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { extension, op, s32, sig, u32, WasmModule } from '../harness/wasm.js';

const globalSet = (i: number) => [0x24, ...u32(i)];
const I32_ADD = 0x6a;
const I64_ADD = 0x7c;

const compileable = (b: Uint8Array) => new WebAssembly.Module(b as Uint8Array<ArrayBuffer>);
const exportsOf = (b: Uint8Array) => WebAssembly.Module.exports(compileable(b)).map((e) => `${e.kind} ${e.name}`);

/**
 * Two imported globals (mutable 0, immutable 1), then its own: mutable i32
 * 2, immutable i32 3, mutable i64 4; functions that count in them and read them.
 */
function counting(): WasmModule {
  const m = new WasmModule();
  m.importGlobal('host', 'shared', 'i32', true);
  m.importGlobal('host', 'fixed', 'i32');
  const n = m.global('i32', 10, true);
  const k = m.global('i32', 7);
  const w = m.global('i64', 1, true);
  m.export('inc', 'function', m.func(sig([]), [op.globalGet(n), op.i32Const(1), I32_ADD, globalSet(n)]));
  m.export('get', 'function', m.func(sig([], ['i32']), [op.globalGet(n)]));
  m.export('widen', 'function', m.func(sig([]), [op.globalGet(w), op.globalGet(w), I64_ADD, globalSet(w)]));
  m.export('wide', 'function', m.func(sig([], ['i64']), [op.globalGet(w)]));
  m.export('sum', 'function', m.func(sig([], ['i32']), [op.globalGet(0), op.globalGet(1), I32_ADD, op.globalGet(k), I32_ADD]));
  m.export('bump', 'function', m.func(sig([]), [op.globalGet(0), op.i32Const(3), I32_ADD, globalSet(0)]));
  m.export('k', 'global', k);
  return m;
}

function countingImports(): WebAssembly.Imports {
  return { host: { shared: new WebAssembly.Global({ value: 'i32', mutable: true }, 100), fixed: new WebAssembly.Global({ value: 'i32' }, 1000) } };
}

/** a module of raw sections: the header, then each [id, payload] as given */
function raw(sections: [number, number[]][]): Uint8Array {
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flatMap(([id, body]) => [id, ...u32(body.length), ...body])]);
}

describe('inspect reads the globals a module defines', () => {
  it('with their index after the imported ones, their type and mutability', () => {
    expect(inspect(counting().bytes()).globals).toEqual([
      { index: 2, type: 'i32', mutable: true },
      { index: 3, type: 'i32', mutable: false },
      { index: 4, type: 'i64', mutable: true },
    ]);
  });

  it('past initial values of every constant kind', () => {
    const globals = [
      [0x7d, 1, 0x43, 0, 0, 0x80, 0x3f, 0x0b], // f32.const 1
      [0x7c, 0, 0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x0b], // f64.const 1
      [0x7b, 1, 0xfd, 12, ...new Array(16).fill(0), 0x0b], // v128.const 0
      [0x7f, 1, 0x23, 0, 0x0b], // global.get 0 (the imported i32)
      [0x70, 1, 0xd0, 0x70, 0x0b], // ref.null func
      [0x7e, 1, 0x42, ...s32(-5), 0x0b], // i64.const -5
    ];
    const name = (s: string) => [s.length, ...new TextEncoder().encode(s)];
    const bytes = raw([[2, [1, ...name('m'), ...name('g'), 0x03, 0x7f, 0]], [6, [...u32(globals.length), ...globals.flat()]]]);
    expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
    const info = inspect(bytes);
    expect(info.globalsUnreadable).toBeUndefined();
    expect(info.globals.map((g) => `${g.index} ${g.mutable ? 'mut ' : ''}${g.type}`)).toEqual([
      '1 mut f32', '2 f64', '3 mut v128', '4 mut i32', '5 mut funcref', '6 mut i64',
    ]);
    expect(exportsOf(exportGlobals(bytes).bytes)).toEqual([1, 3, 4, 5, 6].map((n) => `global bfx:global:${n}`));
  });

  it('and says, without throwing, when it cannot read one', () => {
    // 0xfb: a GC-proposal instruction, which this reader does not know
    const info = inspect(raw([[6, [2, 0x7f, 1, 0x41, 1, 0x0b, 0x7f, 1, 0xfb, 0x00, 0x0b]]]));
    expect(info.globals).toEqual([{ index: 0, type: 'i32', mutable: true }]);
    expect(info.globalsUnreadable).toMatch(/^unsupported instruction 0xfb in a constant expression at byte \d+$/);
  });
});

describe('exportGlobals', () => {
  it('exports every mutable global the module defines, and no immutable or imported one', () => {
    const before = counting().bytes();
    const { bytes, globals } = exportGlobals(before);
    expect(globals).toEqual([
      { name: 'bfx:global:2', index: 2, type: 'i32' },
      { name: 'bfx:global:4', index: 4, type: 'i64' },
    ]);
    expect(exportsOf(bytes)).toEqual([...exportsOf(before), 'global bfx:global:2', 'global bfx:global:4']);
    // what inspect reads of the result: the module's own exports first, unchanged
    expect(inspect(bytes).exports.slice(0, -2)).toEqual(inspect(before).exports);
  });

  it('keeps the module behaving the same: the same calls give the same answers', () => {
    const before = new WebAssembly.Instance(compileable(counting().bytes()), countingImports());
    const after = new WebAssembly.Instance(compileable(exportGlobals(counting().bytes()).bytes), countingImports());
    const run = (i: WebAssembly.Instance) => {
      const f = i.exports as Record<string, () => number | bigint | undefined>;
      const seen: (number | bigint | undefined)[] = [];
      for (const name of ['get', 'inc', 'inc', 'get', 'wide', 'widen', 'widen', 'widen', 'wide', 'sum', 'bump', 'sum']) seen.push(f[name]());
      return seen;
    };
    const seen = run(before);
    expect(seen.filter((v) => v !== undefined)).toEqual([10, 12, 1n, 8n, 1107, 1110]);
    expect(run(after)).toEqual(seen);
  });

  it('exports the globals themselves: what the host writes there, the module reads', () => {
    const { bytes, globals } = exportGlobals(counting().bytes());
    const i = new WebAssembly.Instance(compileable(bytes), countingImports());
    const n = i.exports[globals[0].name] as WebAssembly.Global;
    const w = i.exports[globals[1].name] as WebAssembly.Global;
    (i.exports.inc as () => void)();
    expect(n.value).toBe(11);
    n.value = 41;
    (i.exports.inc as () => void)();
    expect((i.exports.get as () => number)()).toBe(42);
    w.value = 2n ** 40n;
    expect((i.exports.wide as () => bigint)()).toBe(2n ** 40n);
  });

  it('makes an export section where there is none, in its place among the others', () => {
    // a table, memory, globals, elements, code and data, with no exports; a custom section at the end
    const m = new WasmModule();
    m.table({ initial: 1 });
    m.memory({ initial: 1 });
    const g = m.global('i32', 5, true);
    const f = m.func(sig([], ['i32']), [op.globalGet(g)]);
    m.elem(0, [f]);
    m.data(16, [1, 2, 3]);
    m.trailer = [0x00, 4, 3, ...new TextEncoder().encode('bfx')];
    const before = m.bytes();
    expect(inspect(before).exports).toEqual([]);
    const { bytes, globals } = exportGlobals(before);
    expect(globals).toEqual([{ name: 'bfx:global:0', index: 0, type: 'i32' }]);
    expect(exportsOf(bytes)).toEqual(['global bfx:global:0']);
    const i = new WebAssembly.Instance(compileable(bytes));
    (i.exports['bfx:global:0'] as WebAssembly.Global).value = 9;
    expect((i.exports['bfx:global:0'] as WebAssembly.Global).value).toBe(9);
    expect(WebAssembly.Module.customSections(compileable(bytes), 'bfx')).toHaveLength(1);

    // and at the end, when nothing comes after the globals
    const only = raw([[6, [1, 0x7e, 1, 0x42, 0, 0x0b]]]);
    expect(exportsOf(exportGlobals(only).bytes)).toEqual(['global bfx:global:0']);
  });

  it('leaves a module with no globals, or only immutable ones, as it is', () => {
    for (const m of [extension(), (() => { const e = extension(); e.global('i32', 1); return e; })()]) {
      const bytes = m.bytes();
      const out = exportGlobals(bytes);
      expect(out.globals).toEqual([]);
      expect(out.bytes).toBe(bytes);
    }
  });

  it('writes section sizes and counts past one LEB128 byte', () => {
    // 200 mutable globals, 200 long export names already: counts of two bytes, a section size of three
    const m = new WasmModule();
    for (let i = 0; i < 200; i++) m.global('i32', i, true);
    for (let i = 0; i < 200; i++) m.export(`x${'y'.repeat(100)}${i}`, 'global', i);
    const { bytes, globals } = exportGlobals(m.bytes());
    expect(globals).toHaveLength(200);
    const i = new WebAssembly.Instance(compileable(bytes));
    expect((i.exports['bfx:global:199'] as WebAssembly.Global).value).toBe(199);
    expect((i.exports[`x${'y'.repeat(100)}199`] as WebAssembly.Global).value).toBe(199);
    expect(Object.keys(i.exports)).toHaveLength(400);
  });

  it('refuses a module whose own export takes one of its names, saying which', () => {
    const m = counting();
    m.export(`${STATE_GLOBAL_PREFIX}4`, 'function', 0);
    m.export(`${STATE_GLOBAL_PREFIX}3`, 'global', 3); // global 3 is immutable: bfx does not export it, no clash
    expect(() => exportGlobals(m.bytes())).toThrow(GlobalsError);
    expect(() => exportGlobals(m.bytes())).toThrow(
      'export "bfx:global:4" (a function of the module) takes the name under which bfx exports mutable global 4 to checkpoint it: rename that export');
  });

  it('refuses a module whose globals it cannot read', () => {
    expect(() => exportGlobals(raw([[6, [1, 0x7f, 1, 0xfb, 0x00, 0x0b]]]))).toThrow(/^cannot read its globals to export them: unsupported instruction 0xfb/);
  });
});

describe('the loader', () => {
  function withGlobals(): WasmModule {
    return extension({ setup: (m) => { m.global('i32', 1, true); m.global('i64', 2, true); m.global('i32', 3); } });
  }

  it('compiles the module with its globals exported, and says which they are; the checks read the module as written', () => {
    const m = loadBytes(withGlobals().bytes(), 'g', 'g.wasm');
    expect(m.stateGlobals).toEqual([
      { name: 'bfx:global:0', index: 0, type: 'i32' },
      { name: 'bfx:global:1', index: 1, type: 'i64' },
    ]);
    expect(WebAssembly.Module.exports(m.module).map((e) => e.name)).toEqual(['ext_main_entry', 'bfx:global:0', 'bfx:global:1']);
    expect(m.info.exports.map((e) => e.name)).toEqual(['ext_main_entry']);
    expect(loadBytes(extension().bytes(), 'none', 'none.wasm').stateGlobals).toEqual([]);
  });

  it('refuses a clash as a problem of the module, with the others', () => {
    const bytes = extension({ entry: false, setup: (m) => { m.global('i32', 1, true); m.export('bfx:global:0', 'global', 0); } }).bytes();
    const e = (() => { try { loadBytes(bytes, 'clash', 'clash.wasm'); } catch (err) { return err; } })();
    expect(e).toBeInstanceOf(LoadError);
    expect((e as LoadError).problems).toEqual([
      'missing entry point: export a function ext_main_entry(version: u32): void',
      'export "bfx:global:0" (a global of the module) takes the name under which bfx exports mutable global 0 to checkpoint it: rename that export',
    ]);
    expect((e as LoadError).message).toMatch(/^clash: 2 problems:/);
  });

  it('says what is invalid in the bytes the author made, not in the rewritten ones', () => {
    // i32.add with nothing on the stack, in a module with a mutable global: the offset must be the original's
    const bytes = extension({ setup: (m) => { m.global('i32', 1, true); m.func(sig([]), [I32_ADD]); } }).bytes();
    const own = (() => { try { compileable(bytes); } catch (err) { return (err as Error).message; } })();
    const moved = (() => { try { compileable(exportGlobals(bytes).bytes); } catch (err) { return (err as Error).message; } })();
    expect(own).toMatch(/@\+\d+/);
    expect(moved).not.toBe(own); // else this test would not see the difference
    expect(() => loadBytes(bytes, 'bad', 'bad.wasm')).toThrow(`bad: invalid WebAssembly: ${own}`);
    // and a global it cannot read in an invalid module: still the engine's words
    const unread = raw([[6, [1, 0x7f, 1, 0xfb, 0x00, 0x0b]]]);
    const why = (() => { try { compileable(unread); } catch (err) { return (err as Error).message; } })();
    expect(() => loadBytes(unread, 'gc', 'gc.wasm')).toThrow(`gc: invalid WebAssembly: ${why}`);
  });

  it('exports the AssemblyScript runtime\'s globals of the examples, and their own', async () => {
    for (const name of ['hello', 'cpuid', 'faulty']) {
      const m = await load(join(ROOT, 'extensions', name));
      const mutable = m.info.globals.filter((g) => g.mutable);
      expect(mutable.length, `${name}: at least the runtime's stack pointer`).toBeGreaterThan(0);
      expect(m.stateGlobals.map((g) => g.index)).toEqual(mutable.map((g) => g.index));
      const exported = WebAssembly.Module.exports(m.module).filter((e) => e.name.startsWith(STATE_GLOBAL_PREFIX));
      expect(exported).toEqual(m.stateGlobals.map((g) => ({ name: g.name, kind: 'global' })));
    }
  });
});
