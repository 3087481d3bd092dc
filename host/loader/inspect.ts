// Reads what a WebAssembly module says of itself before anything runs:
// imports with their types and limits, exports with their types, and where
// its data segments sit. WebAssembly.Module.imports() gives none of the
// types or limits, so the sections are read here.

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

export interface Limits {
  initial: number;
  maximum: number | undefined;
  shared: boolean;
}

export type ImportDesc =
  | { kind: 'function'; type: FuncType }
  | { kind: 'table'; limits: Limits }
  | { kind: 'memory'; limits: Limits }
  | { kind: 'global'; type: ValType; mutable: boolean };

export interface Import {
  module: string;
  name: string;
  desc: ImportDesc;
}

export interface Export {
  name: string;
  /** 'other' for a kind this reader does not know */
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag' | 'other';
  /** for a function: its type */
  type?: FuncType;
}

/** a global the module defines itself; index counts imported globals first */
export interface Global {
  index: number;
  type: ValType;
  mutable: boolean;
}

export interface ModuleInfo {
  imports: Import[];
  exports: Export[];
  /** memories the module defines itself (not imported) */
  memories: Limits[];
  /** offsets of active data segments, where they are constants */
  dataOffsets: number[];
  /** an active data segment whose offset is not a constant */
  dataOffsetUnknown: boolean;
  /** the type of the function in each slot of table 0 that element segments fill */
  tableTypes: Map<number, FuncType>;
  /** an element segment this reader cannot place (an expression offset, or expressions for elements) */
  tableTypesUnknown: boolean;
  /** the globals it defines (not imported ones) */
  globals: Global[];
  /** why the global section could not be read, when it could not: then globals holds those before it */
  globalsUnreadable?: string;
}

export class FormatError extends Error {}

const VALTYPES: Record<number, ValType> = {
  0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref',
};
const KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;

/** reads a module's bytes: LEB128 numbers, names, types; FormatError at the end it is given */
export class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array, private readonly end = b.length) {}

  byte(): number {
    if (this.pos >= this.end) throw new FormatError(`unexpected end at byte ${this.pos}`);
    return this.b[this.pos++];
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new FormatError(`bad LEB128 at byte ${this.pos}`);
    }
  }

  /** a signed LEB128 i32, as in i32.const */
  s32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    if (shift < 32 && b & 0x40) result |= ~0 << shift;
    return result;
  }

  name(): string {
    const len = this.u32();
    if (this.pos + len > this.end) throw new FormatError(`name runs past the end at byte ${this.pos}`);
    const s = new TextDecoder().decode(this.b.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  valtype(): ValType {
    const t = VALTYPES[this.byte()];
    if (!t) throw new FormatError(`unknown value type at byte ${this.pos - 1}`);
    return t;
  }

  limits(): Limits {
    const flags = this.byte();
    const initial = this.u32();
    const maximum = flags & 1 ? this.u32() : undefined;
    return { initial, maximum, shared: (flags & 2) !== 0 };
  }

  skip(n: number): void {
    this.pos += n;
  }

  /** passes a LEB128 of any width, signed or not */
  skipLeb(): void {
    while (this.byte() & 0x80) { /* continuation */ }
  }

  /** passes a constant expression (a global's initial value), through its end */
  skipConstExpr(): void {
    for (;;) {
      const op = this.byte();
      switch (op) {
        case 0x0b: return; // end
        case 0x41: case 0x42: case 0x23: case 0xd0: case 0xd2: this.skipLeb(); break; // i32/i64.const, global.get, ref.null, ref.func
        case 0x43: this.skip(4); break; // f32.const
        case 0x44: this.skip(8); break; // f64.const
        case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break; // extended-const add, sub, mul
        case 0xfd: // v128.const is the only constant of the SIMD prefix
          if (this.u32() !== 12) throw new FormatError(`unsupported instruction in a constant expression at byte ${this.pos - 1}`);
          this.skip(16);
          break;
        default:
          throw new FormatError(`unsupported instruction 0x${op.toString(16)} in a constant expression at byte ${this.pos - 1}`);
      }
    }
  }
}

export function inspect(bytes: Uint8Array): ModuleInfo {
  const r = new Reader(bytes);
  const magic = Array.from(bytes.subarray(0, 4));
  if (magic.join() !== '0,97,115,109') throw new FormatError('it does not start with the WebAssembly magic bytes \\0asm');
  if (bytes.length < 8) throw new FormatError(`it ends inside the 8-byte header, after ${bytes.length} bytes`);
  const version = new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getUint32(0, true);
  if (version !== 1) {
    // 0x0001000d: a component (the component model's layer 1), which wraps core modules
    throw new FormatError(version === 0x1000d
      ? 'it is a WebAssembly component; an extension is a core module'
      : `it is WebAssembly version ${version}; an extension is a version 1 module`);
  }
  r.skip(8);
  const types: FuncType[] = [];
  const imports: Import[] = [];
  const funcTypes: number[] = []; // type index of every function: imported ones first
  const exportsRaw: { name: string; kind: Export['kind']; index: number }[] = [];
  const memories: Limits[] = [];
  const dataOffsets: number[] = [];
  let dataOffsetUnknown = false;
  const elements: { offset: number; funcs: number[] }[] = [];
  let tableTypesUnknown = false;
  const globals: Global[] = [];
  let globalsUnreadable: string | undefined;

  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (end > bytes.length) {
      throw new FormatError(`it is cut short: section ${id} at byte ${r.pos} says it holds ${size} bytes, but the file ends after ${bytes.length - r.pos}`);
    }
    const s = new Reader(bytes, end);
    s.pos = r.pos;
    switch (id) {
      case 1: // types
        for (let n = s.u32(); n > 0; n--) {
          if (s.byte() !== 0x60) throw new FormatError(`unsupported type form at byte ${s.pos - 1}`);
          const params = Array.from({ length: s.u32() }, () => s.valtype());
          const results = Array.from({ length: s.u32() }, () => s.valtype());
          types.push({ params, results });
        }
        break;
      case 2: // imports
        for (let n = s.u32(); n > 0; n--) {
          const module = s.name();
          const name = s.name();
          const kind = s.byte();
          if (kind === 0) {
            const t = s.u32();
            funcTypes.push(t);
            imports.push({ module, name, desc: { kind: 'function', type: types[t] } });
          } else if (kind === 1) {
            s.byte();
            imports.push({ module, name, desc: { kind: 'table', limits: s.limits() } });
          } else if (kind === 2) {
            imports.push({ module, name, desc: { kind: 'memory', limits: s.limits() } });
          } else if (kind === 3) {
            const type = s.valtype();
            imports.push({ module, name, desc: { kind: 'global', type, mutable: s.byte() === 1 } });
          } else {
            throw new FormatError(`unknown import kind ${kind} at byte ${s.pos - 1}`);
          }
        }
        break;
      case 3: // functions
        for (let n = s.u32(); n > 0; n--) funcTypes.push(s.u32());
        break;
      case 5: // memories
        for (let n = s.u32(); n > 0; n--) memories.push(s.limits());
        break;
      case 6: { // globals, for the state a checkpoint keeps
        // what this reader cannot read is said, not thrown: the engine still judges validity, as before
        const first = imports.filter((i) => i.desc.kind === 'global').length;
        try {
          for (let n = s.u32(); n > 0; n--) {
            const type = s.valtype();
            const mutable = s.byte() === 1;
            s.skipConstExpr();
            globals.push({ index: first + globals.length, type, mutable });
          }
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
          globalsUnreadable = e.message;
        }
        break;
      }
      case 7: // exports
        for (let n = s.u32(); n > 0; n--) {
          const name = s.name();
          const kind = KINDS[s.byte()] ?? 'other';
          exportsRaw.push({ name, kind, index: s.u32() });
        }
        break;
      case 9: // elements: which function each table slot holds
        for (let n = s.u32(); n > 0; n--) {
          const flags = s.u32();
          const table = flags === 2 ? s.u32() : 0;
          if ((flags !== 0 && flags !== 2) || table !== 0 || s.byte() !== 0x41) {
            tableTypesUnknown = true; // passive, declarative, expressions, another table: not placed here
            break;
          }
          const offset = s.s32() >>> 0;
          if (s.byte() !== 0x0b) {
            tableTypesUnknown = true;
            break;
          }
          if (flags === 2) s.byte(); // elemkind: funcref
          elements.push({ offset, funcs: Array.from({ length: s.u32() }, () => s.u32()) });
        }
        break;
      case 11: // data
        for (let n = s.u32(); n > 0; n--) {
          const flags = s.u32();
          if (flags === 1) {
            s.skip(s.u32());
            continue;
          }
          if (flags === 2) s.u32(); // memory index
          const op = s.byte();
          if (op === 0x41) dataOffsets.push(s.s32() >>> 0);
          else dataOffsetUnknown = true;
          while (s.byte() !== 0x0b) { /* rest of the constant expression */ }
          s.skip(s.u32());
        }
        break;
      default:
        break;
    }
    r.pos = end;
  }
  const exports = exportsRaw.map(({ name, kind, index }) => ({
    name,
    kind,
    ...(kind === 'function' ? { type: types[funcTypes[index]] } : {}),
  }));
  const tableTypes = new Map<number, FuncType>();
  for (const e of elements) e.funcs.forEach((f, i) => tableTypes.set(e.offset + i, types[funcTypes[f]]));
  return {
    imports, exports, memories, dataOffsets, dataOffsetUnknown, tableTypes, tableTypesUnknown, globals,
    ...(globalsUnreadable !== undefined ? { globalsUnreadable } : {}),
  };
}

export function signature(t: FuncType): string {
  return `(${t.params.join(', ')}) -> ${t.results.length ? t.results.join(', ') : '()'}`;
}
