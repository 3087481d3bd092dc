// Makes an instance's globals reachable from the host. Module-level `let`s,
// and the AssemblyScript runtime's own state (stack pointer, heap, GC), live
// in mutable WebAssembly globals, outside linear memory and not exported; a
// checkpoint needs them as much as the memory. So every mutable global the
// module defines is exported under a name of the host's. Only the export
// section changes (it is made when there is none); everything after it
// moves by the bytes added. Nothing in a module refers to byte positions;
// the engine's messages do, so load.ts reports those of the original bytes.
import { FormatError, inspect, Reader, type ModuleInfo, type ValType } from './inspect.js';

export const STATE_GLOBAL_PREFIX = 'bfx:global:';

/** a mutable global the host reads and writes, and the export it does so through */
export interface StateGlobal {
  name: string;
  /** its index in the module's global index space (imported globals first) */
  index: number;
  type: ValType;
}

export interface ExportedGlobals {
  /** the module with the added exports; the bytes given, unchanged, when there is nothing to add */
  bytes: Uint8Array;
  globals: StateGlobal[];
}

/** the module's globals cannot be exported: a name clash, or a global section this reader cannot read */
export class GlobalsError extends Error {}

const EXPORT_SECTION = 7;
const EXPORT_GLOBAL = 0x03;
// the order sections stand in (a custom section, id 0, may stand anywhere)
const ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function concat(parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** where the export section is, or where one must be put */
function exportPlace(bytes: Uint8Array): { from: number; to: number; entries?: [number, number] } {
  const r = new Reader(bytes);
  r.pos = 8;
  let insertAt = bytes.length;
  while (r.pos < bytes.length) {
    const start = r.pos;
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (end > bytes.length) throw new FormatError(`section ${id} at byte ${start} runs past the end of the module`);
    if (id === EXPORT_SECTION) return { from: start, to: end, entries: [r.pos, end] };
    if (insertAt === bytes.length && ORDER.indexOf(id) > ORDER.indexOf(EXPORT_SECTION)) insertAt = start;
    r.pos = end;
  }
  return { from: insertAt, to: insertAt };
}

/** the module with every mutable global it defines exported as bfx:global:<index>, and those globals */
export function exportGlobals(bytes: Uint8Array, info: ModuleInfo = inspect(bytes)): ExportedGlobals {
  if (info.globalsUnreadable !== undefined) throw new GlobalsError(`cannot read its globals to export them: ${info.globalsUnreadable}`);
  const globals = info.globals.filter((g) => g.mutable).map((g) => ({ name: `${STATE_GLOBAL_PREFIX}${g.index}`, index: g.index, type: g.type }));
  if (!globals.length) return { bytes, globals };
  const ours = new Map(globals.map((g) => [g.name, g.index]));
  const clashes = info.exports.filter((e) => ours.has(e.name));
  if (clashes.length) {
    throw new GlobalsError(clashes.map((e) => `export "${e.name}" (a ${e.kind} of the module) takes the name under which bfx exports mutable global ${ours.get(e.name)} to checkpoint it: rename that export`).join('; '));
  }
  const place = exportPlace(bytes);
  let count = 0;
  let kept: Uint8Array = new Uint8Array(0);
  if (place.entries) {
    const s = new Reader(bytes, place.entries[1]);
    s.pos = place.entries[0];
    count = s.u32();
    kept = bytes.subarray(s.pos, place.entries[1]);
  }
  const utf8 = new TextEncoder();
  const added = globals.flatMap((g) => {
    const name = utf8.encode(g.name);
    return [...leb(name.length), ...name, EXPORT_GLOBAL, ...leb(g.index)];
  });
  const payload = concat([leb(count + globals.length), kept, added]);
  const section = concat([[EXPORT_SECTION], leb(payload.length), payload]);
  return { bytes: concat([bytes.subarray(0, place.from), section, bytes.subarray(place.to)]), globals };
}

/**
 * The globals' names, from the module's "name" section (its subsection 7),
 * by index: AssemblyScript's debug builds carry them. Empty when the module
 * has none, or they cannot be read (names are an aid, never a requirement).
 */
export function globalNames(module: WebAssembly.Module): Map<number, string> {
  const names = new Map<number, string>();
  for (const section of WebAssembly.Module.customSections(module, 'name')) {
    const bytes = new Uint8Array(section);
    try {
      const r = new Reader(bytes);
      while (r.pos < bytes.length) {
        const id = r.byte();
        const size = r.u32();
        const end = r.pos + size;
        if (id === 7) {
          const sub = new Reader(bytes, end);
          sub.pos = r.pos;
          for (let n = sub.u32(); n > 0; n--) {
            const index = sub.u32();
            names.set(index, sub.name());
          }
        }
        r.pos = end;
      }
    } catch {
      // a name section that does not read is no reason to refuse the module
    }
  }
  return names;
}

/** AssemblyScript's shadow stack pointer: a trap leaves it where the trapped call had moved it */
export const AS_STACK_POINTER = '~lib/memory/__stack_pointer';
