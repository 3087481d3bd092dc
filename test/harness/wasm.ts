// A small WebAssembly binary writer, for tests that need modules the
// AssemblyScript compiler would never make: a wrong import, a missing
// export, a memory of the wrong kind. Say what the module holds; bytes()
// encodes it. Function indices count imported functions first, as in
// WebAssembly itself, so imports are declared before functions.

export type ValType = 'i32' | 'i64' | 'f32' | 'f64';

export interface Sig {
  params: ValType[];
  results: ValType[];
}

export interface Limits {
  initial: number;
  maximum?: number;
  shared?: boolean;
}

type ExportKind = 'function' | 'table' | 'memory' | 'global';

const VAL: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c };
const KIND: Record<ExportKind, number> = { function: 0, table: 1, memory: 2, global: 3 };

/** shorthand for a signature: sig(['i32'], []) */
export function sig(params: ValType[], results: ValType[] = []): Sig {
  return { params, results };
}

export function u32(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** signed LEB128, as i32.const and i64.const take */
export function s32(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...u32(b.length), ...b];
}

function vec(items: number[][]): number[] {
  return [...u32(items.length), ...items.flat()];
}

function limits(l: Limits): number[] {
  const flags = (l.maximum !== undefined ? 1 : 0) | (l.shared ? 2 : 0);
  return [flags, ...u32(l.initial), ...(l.maximum !== undefined ? u32(l.maximum) : [])];
}

/** instructions, for function bodies */
export const op = {
  end: 0x0b,
  unreachable: 0x00,
  drop: 0x1a,
  i32Const: (n: number) => [0x41, ...s32(n)],
  i64Const: (n: number) => [0x42, ...s32(n)],
  call: (fn: number) => [0x10, ...u32(fn)],
  localGet: (i: number) => [0x20, ...u32(i)],
  globalGet: (i: number) => [0x23, ...u32(i)],
};

interface Func {
  type: number;
  body: number[];
}

export class WasmModule {
  private readonly types: Sig[] = [];
  private readonly imports: number[][] = [];
  private importedFuncs = 0;
  private importedGlobals = 0;
  private readonly funcs: Func[] = [];
  private readonly tables: number[][] = [];
  private readonly memories: number[][] = [];
  private readonly globals: number[][] = [];
  private readonly exports: number[][] = [];
  private readonly elems: number[][] = [];
  private readonly datas: number[][] = [];
  /** bytes appended after the last section, raw: to break a module on purpose */
  trailer: number[] = [];

  /** the index of a signature, added when new */
  type(s: Sig): number {
    const key = JSON.stringify(s);
    const i = this.types.findIndex((t) => JSON.stringify(t) === key);
    if (i >= 0) return i;
    this.types.push(s);
    return this.types.length - 1;
  }

  private noFuncsYet(what: string): void {
    if (this.funcs.length) throw new Error(`wasm writer: import ${what} before defining functions; function indices count imports first`);
  }

  /** an imported function; returns its function index */
  importFunc(module: string, field: string, s: Sig): number {
    this.noFuncsYet(`${module}.${field}`);
    this.imports.push([...name(module), ...name(field), 0x00, ...u32(this.type(s))]);
    return this.importedFuncs++;
  }

  importMemory(module: string, field: string, l: Limits): this {
    this.imports.push([...name(module), ...name(field), 0x02, ...limits(l)]);
    return this;
  }

  importTable(module: string, field: string, l: Limits): this {
    this.imports.push([...name(module), ...name(field), 0x01, 0x70, ...limits(l)]);
    return this;
  }

  /** an imported global; returns its global index */
  importGlobal(module: string, field: string, type: ValType, mutable = false): number {
    this.imports.push([...name(module), ...name(field), 0x03, VAL[type], mutable ? 1 : 0]);
    return this.importedGlobals++;
  }

  /** a function with a body of instructions (the final end is added); returns its function index */
  func(s: Sig, body: (number | number[])[] = []): number {
    this.funcs.push({ type: this.type(s), body: body.flat() });
    return this.importedFuncs + this.funcs.length - 1;
  }

  /** a funcref table; returns its table index */
  table(l: Limits): number {
    this.tables.push([0x70, ...limits(l)]);
    return this.tables.length - 1;
  }

  /** the module's own memory; returns its memory index */
  memory(l: Limits): number {
    this.memories.push(limits(l));
    return this.memories.length - 1;
  }

  /** a global with a constant initial value; returns its global index */
  global(type: ValType, value: number, mutable = false): number {
    const init = type === 'i64' ? op.i64Const(value) : op.i32Const(value);
    this.globals.push([VAL[type], mutable ? 1 : 0, ...init, op.end]);
    return this.importedGlobals + this.globals.length - 1;
  }

  export(field: string, kind: ExportKind, index: number): this {
    this.exports.push([...name(field), KIND[kind], ...u32(index)]);
    return this;
  }

  /** functions placed in table 0 from slot `offset` on */
  elem(offset: number, funcs: number[]): this {
    this.elems.push([0x00, ...op.i32Const(offset), op.end, ...vec(funcs.map((f) => u32(f)))]);
    return this;
  }

  /** an active data segment at a constant offset, or at the value of a global (an offset the reader cannot know) */
  data(offset: number | { global: number }, bytes: ArrayLike<number>): this {
    const at = typeof offset === 'number' ? op.i32Const(offset) : op.globalGet(offset.global);
    this.datas.push([0x00, ...at, op.end, ...u32(bytes.length), ...Array.from(bytes)]);
    return this;
  }

  /** a passive data segment (memory.init copies it; it has no offset) */
  passiveData(bytes: ArrayLike<number>): this {
    this.datas.push([0x01, ...u32(bytes.length), ...Array.from(bytes)]);
    return this;
  }

  bytes(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, items: number[][]) => {
      if (!items.length) return;
      const body = vec(items);
      out.push(id, ...u32(body.length), ...body);
    };
    section(1, this.types.map((t) => [0x60, ...vec(t.params.map((p) => [VAL[p]])), ...vec(t.results.map((r) => [VAL[r]]))]));
    section(2, this.imports);
    section(3, this.funcs.map((f) => u32(f.type)));
    section(4, this.tables);
    section(5, this.memories);
    section(6, this.globals);
    section(7, this.exports);
    section(9, this.elems);
    section(10, this.funcs.map((f) => {
      const code = [0x00 /* no locals */, ...f.body, op.end];
      return [...u32(code.length), ...code];
    }));
    section(11, this.datas);
    out.push(...this.trailer);
    return new Uint8Array(out);
  }
}

/** a body that returns zeros of the result types: a valid function of any signature */
export function zeros(s: Sig): number[] {
  return s.results.flatMap((r) => (r === 'i64' ? op.i64Const(0) : r === 'i32' ? op.i32Const(0) : r === 'f32' ? [0x43, 0, 0, 0, 0] : [0x44, 0, 0, 0, 0, 0, 0, 0, 0]));
}

export interface ExtensionShape {
  /** pages of the imported shared memory (initial and maximum); 2 when not said */
  pages?: number;
  /** the imported memory's limits instead, or false for none */
  memory?: Limits | false;
  /** the entry point's signature, or false for none */
  entry?: Sig | false;
  /** more to declare before the functions are: imports, mostly */
  setup?: (m: WasmModule) => void;
}

/**
 * The smallest module the loader accepts as an extension: it imports a
 * shared memory and bf_control_op_exit, and exports ext_main_entry. A test
 * changes one thing of it and sees the loader say so.
 */
export function extension(shape: ExtensionShape = {}): WasmModule {
  const m = new WasmModule();
  const pages = shape.pages ?? 2;
  if (shape.memory !== false) m.importMemory('env', 'memory', shape.memory ?? { initial: pages, maximum: pages, shared: true });
  m.importFunc('bf', 'bf_control_op_exit', sig(['i64'], ['i64']));
  shape.setup?.(m);
  if (shape.entry !== false) {
    const entry = shape.entry ?? sig(['i32']);
    m.export('ext_main_entry', 'function', m.func(entry, zeros(entry)));
  }
  return m;
}
