// Every way the loader refuses a module, and what it says. Each message
// must name the module and the problem, in words that say what to do.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PAGES, load, LoadError, loadBytes, type LoadOptions } from '../../host/loader/load.js';
import { extension, op, sig, WasmModule } from '../harness/wasm.js';

const tmp = mkdtempSync(join(tmpdir(), 'bfx-loader-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** the LoadError loading these bytes as module `name` throws; fails the test when none is thrown */
function refused(bytes: Uint8Array, name = 'mod', opts: LoadOptions = {}): LoadError {
  try {
    loadBytes(bytes, name, `${name}.wasm`, opts);
  } catch (e) {
    if (e instanceof LoadError) return e;
    throw e;
  }
  throw new Error(`${name} loaded, but it should have been refused`);
}

async function refusedPath(path: string, opts: LoadOptions = {}): Promise<LoadError> {
  const e = await load(path, opts).then(() => undefined, (err: unknown) => err);
  if (e instanceof LoadError) return e;
  throw e ?? new Error(`${path} loaded, but it should have been refused`);
}

/** the error names the module first, says the problem, and holds it alone */
function expectOne(e: LoadError, name: string, problem: string | RegExp): void {
  expect(e.module).toBe(name);
  expect(e.problems).toHaveLength(1);
  expect(e.message.startsWith(`${name}: `)).toBe(true);
  if (typeof problem === 'string') expect(e.problems[0]).toContain(problem);
  else expect(e.problems[0]).toMatch(problem);
  expect(e.message).toContain(e.problems[0]);
}

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

describe('the module the other tests change one thing of', () => {
  it('loads: its problems below are each the one thing changed', () => {
    const m = loadBytes(extension().bytes(), 'minimal', 'minimal.wasm');
    expect(m.name).toBe('minimal');
    expect(m.pages).toBe(2);
    expect(m.info.exports.map((e) => e.name)).toEqual(['ext_main_entry']);
  });
});

describe('not WebAssembly at all', () => {
  it('a file of text: names the file and the magic bytes', async () => {
    const e = await refusedPath(file('notes.wasm', 'these are my notes, not a module\n'));
    expectOne(e, 'notes', 'not a WebAssembly module: it does not start with the WebAssembly magic bytes \\0asm');
  });

  it('an empty file', async () => {
    const e = await refusedPath(file('empty.wasm', new Uint8Array(0)));
    expectOne(e, 'empty', 'magic bytes');
  });

  it('the magic and no version', () => {
    expectOne(refused(new Uint8Array([0, 0x61, 0x73, 0x6d, 1])), 'mod', 'it ends inside the 8-byte header, after 5 bytes');
  });

  it('another version of the binary format, or a component', () => {
    const bytes = extension().bytes();
    bytes[4] = 2;
    expectOne(refused(bytes), 'mod', 'it is WebAssembly version 2; an extension is a version 1 module');
    const component = new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
    expectOne(refused(component, 'comp'), 'comp', 'it is a WebAssembly component; an extension is a core module');
  });
});

describe('broken WebAssembly', () => {
  it('a module cut short: says where it ends', () => {
    const whole = extension().bytes();
    const e = refused(whole.subarray(0, whole.length - 3), 'cut');
    expectOne(e, 'cut', /^not a WebAssembly module: it is cut short: section 10 at byte \d+ says it holds \d+ bytes, but the file ends after \d+$/);
  });

  it('a module whose code does not validate: the engine says why', () => {
    const m = new WasmModule();
    m.importMemory('env', 'memory', { initial: 1, maximum: 1, shared: true });
    // the entry returns nothing, but its body leaves an i32 on the stack
    m.export('ext_main_entry', 'function', m.func(sig(['i32']), [op.i32Const(7)]));
    const e = refused(m.bytes(), 'invalid');
    expectOne(e, 'invalid', /^invalid WebAssembly: WebAssembly\.Module\(\): Compiling function #0.* failed/);
  });

  it('a section header at the end with nothing after it', () => {
    const m = extension();
    m.trailer = [0x0b, 0x05]; // a data section of 5 bytes, and no bytes
    const e = refused(m.bytes(), 'tail');
    expectOne(e, 'tail', /^not a WebAssembly module: it is cut short: section 11 at byte \d+ says it holds 5 bytes, but the file ends after 0$/);
  });

  it('a section size that runs off the end', () => {
    const m = extension();
    m.trailer = [0x0b, 0xff]; // the size's LEB128 says more bytes follow; none do
    expectOne(refused(m.bytes(), 'tail'), 'tail', /^not a WebAssembly module: unexpected end at byte \d+$/);
  });
});

describe('imports', () => {
  it('an unknown bf import: names bf.<name> and suggests the closest syscall', () => {
    const m = extension({ setup: (w) => w.importFunc('bf', 'bf_vm_op_create_vmm', sig(['i64', 'i32'], ['i64'])) });
    expectOne(refused(m.bytes()), 'mod', 'unknown import "bf.bf_vm_op_create_vmm": the bf ABI has no syscall of that name (did you mean bf_vm_op_create_vm?)');
  });

  it('a misspelt syscall further off still gets its suggestion', () => {
    const m = extension({ setup: (w) => w.importFunc('bf', 'bf_debug_op_write_string', sig(['i64', 'i32'], ['i64'])) });
    expectOne(refused(m.bytes()), 'mod', '(did you mean bf_debug_op_write_str?)');
  });

  it('a bf import that resembles nothing gets no suggestion', () => {
    const m = extension({ setup: (w) => w.importFunc('bf', 'frobnicate', sig([], ['i64'])) });
    const e = refused(m.bytes());
    expectOne(e, 'mod', 'unknown import "bf.frobnicate": the bf ABI has no syscall of that name');
    expect(e.message).not.toContain('did you mean');
  });

  it('an import from an unknown namespace (WASI): names it and the namespaces allowed', () => {
    const m = extension({ setup: (w) => w.importFunc('wasi_snapshot_preview1', 'fd_write', sig(['i32', 'i32', 'i32', 'i32'], ['i32'])) });
    expectOne(refused(m.bytes()), 'mod', 'unknown import "wasi_snapshot_preview1.fd_write": extensions import only from "bf" (the ABI), "bfx" (host services) and env\'s memory, abort and trace');
  });

  it('env.seed (Math.random): says why there is none', () => {
    const m = extension({ setup: (w) => w.importFunc('env', 'seed', sig([], ['f64'])) });
    expectOne(refused(m.bytes()), 'mod', 'unknown import "env.seed"');
    expect(refused(m.bytes()).message).toContain('bfx offers no randomness to extensions');
  });

  it('a namespace the caller asked for is accepted as it is', () => {
    const m = extension({ setup: (w) => w.importFunc('bench', 'baseline', sig(['i32'], ['i32'])) });
    expect(refused(m.bytes()).problems[0]).toContain('unknown import "bench.baseline"');
    expect(() => loadBytes(m.bytes(), 'mod', 'mod.wasm', { extraNamespaces: ['bench'] })).not.toThrow();
  });

  it('a bf import with the wrong signature: both types', () => {
    const m = extension({ setup: (w) => w.importFunc('bf', 'bf_debug_op_out', sig(['i32', 'i32', 'i32'], ['i64'])) });
    expectOne(refused(m.bytes()), 'mod', 'import "bf.bf_debug_op_out" has the type (i32, i32, i32) -> i64, but the ABI\'s is (i64, i64, i64) -> i64');
  });

  it('a bf import without the status result', () => {
    const m = extension({ setup: (w) => w.importFunc('bf', 'bf_callback_op_wait', sig(['i64'])) });
    expectOne(refused(m.bytes()), 'mod', 'import "bf.bf_callback_op_wait" has the type (i64) -> (), but the ABI\'s is (i64) -> i64');
  });

  it('a syscall imported as a global', () => {
    const m = extension({ setup: (w) => w.importGlobal('bf', 'bf_vm_op_create_vm', 'i32') });
    expectOne(refused(m.bytes()), 'mod', 'import "bf.bf_vm_op_create_vm" is a global, but bf_vm_op_create_vm is a syscall: import it as a function');
  });

  it('an unknown host service, and one with the wrong type', () => {
    const unknown = extension({ setup: (w) => w.importFunc('bfx', 'random', sig([], ['i32'])) });
    expectOne(refused(unknown.bytes()), 'mod', 'unknown import "bfx.random": the host services are bfx.arch, bfx.ppid, bfx.cpuid, bfx.config');
    const wrong = extension({ setup: (w) => w.importFunc('bfx', 'arch', sig([], ['i64'])) });
    expectOne(refused(wrong.bytes()), 'mod', 'import "bfx.arch" must be a function of type () -> i32');
  });

  it('env.abort with the wrong type', () => {
    const m = extension({ setup: (w) => w.importFunc('env', 'abort', sig(['i32'])) });
    expectOne(refused(m.bytes()), 'mod', 'import "env.abort" must be a function of type (i32, i32, i32, i32) -> ()');
  });
});

describe('the entry point', () => {
  it('missing: says what to export', () => {
    expectOne(refused(extension({ entry: false }).bytes()), 'mod', 'missing entry point: export a function ext_main_entry(version: u32): void');
  });

  it('with a result: says the type it must have and the one it has', () => {
    expectOne(refused(extension({ entry: sig(['i32'], ['i32']) }).bytes()), 'mod',
      'the entry point ext_main_entry must be a function of type (i32) -> (), not (i32) -> i32');
  });

  it('without the version argument', () => {
    expectOne(refused(extension({ entry: sig([]) }).bytes()), 'mod', 'must be a function of type (i32) -> (), not () -> ()');
  });

  it('exported as a global', () => {
    const m = extension({ entry: false });
    m.export('ext_main_entry', 'global', m.global('i32', 0));
    expectOne(refused(m.bytes()), 'mod', 'the entry point ext_main_entry must be a function of type (i32) -> ()');
  });
});

describe('memory', () => {
  it('a module that defines its own memory: says to import it', () => {
    const m = extension({ memory: false });
    m.memory({ initial: 1, maximum: 1 });
    expectOne(refused(m.bytes()), 'mod', 'the module defines its own memory; an extension imports it from the host: compile with --importMemory');
  });

  it('a module with no memory at all', () => {
    expectOne(refused(extension({ memory: false }).bytes()), 'mod', 'the module imports no memory: an extension imports "env.memory" from the host');
  });

  it('an imported memory that is not shared', () => {
    const e = refused(extension({ memory: { initial: 2, maximum: 4 } }).bytes());
    expectOne(e, 'mod', 'the imported memory is not shared: compile with --sharedMemory --enable threads and a --maximumMemory');
  });

  it('an imported memory with no maximum', () => {
    expectOne(refused(extension({ memory: { initial: 2 } }).bytes()), 'mod', 'the imported memory is not shared');
  });

  it('env.memory imported as a table', () => {
    const m = extension({ memory: false, setup: (w) => w.importTable('env', 'memory', { initial: 1 }) });
    expectOne(refused(m.bytes()), 'mod', 'import "env.memory" is a table; it must be the memory');
  });

  it('a maximum larger than LoadOptions.maxPages: both sizes, in pages and MiB', () => {
    const bytes = extension({ pages: 64 }).bytes();
    expectOne(refused(bytes, 'big', { maxPages: 32 }), 'big',
      "the memory's maximum of 64 pages (4 MiB) is larger than the 32 pages (2 MiB) allowed");
    expect(loadBytes(bytes, 'big', 'big.wasm', { maxPages: 64 }).pages).toBe(64);
  });

  it(`by default, at most ${DEFAULT_MAX_PAGES} pages`, () => {
    expect(loadBytes(extension({ pages: DEFAULT_MAX_PAGES }).bytes(), 'm', 'm.wasm').pages).toBe(DEFAULT_MAX_PAGES);
    expectOne(refused(extension({ pages: DEFAULT_MAX_PAGES + 1 }).bytes()), 'mod',
      `maximum of ${DEFAULT_MAX_PAGES + 1} pages (64.0625 MiB) is larger than the ${DEFAULT_MAX_PAGES} pages (64 MiB) allowed`);
  });
});

describe('callbacks', () => {
  it('registered without an exported table: says to compile with --exportTable', () => {
    const m = extension({ setup: (w) => w.importFunc('bf', 'bf_callback_op_register_vmexit', sig(['i64', 'i32'], ['i64'])) });
    expectOne(refused(m.bytes()), 'mod', 'the module registers callbacks but exports no function table named "table": compile with --exportTable');
  });

  it('with the table exported, they load', () => {
    const m = extension({ setup: (w) => w.importFunc('bf', 'bf_callback_op_register_vmexit', sig(['i64', 'i32'], ['i64'])) });
    m.export('table', 'table', m.table({ initial: 1 }));
    expect(() => loadBytes(m.bytes(), 'mod', 'mod.wasm')).not.toThrow();
  });
});

describe('several problems at once', () => {
  it('are all reported together, one a line, with their count', () => {
    const m = extension({
      memory: { initial: 1, maximum: 1 },
      entry: false,
      setup: (w) => {
        w.importFunc('wasi_snapshot_preview1', 'proc_exit', sig(['i32']));
        w.importFunc('bf', 'bf_vps_op_runn', sig(['i64', 'i32', 'i32', 'i32'], ['i64']));
      },
    });
    const e = refused(m.bytes(), 'messy');
    expect(e.module).toBe('messy');
    expect(e.problems).toHaveLength(4);
    expect(e.problems[0]).toContain('the imported memory is not shared');
    expect(e.problems[1]).toContain('unknown import "wasi_snapshot_preview1.proc_exit"');
    expect(e.problems[2]).toContain('unknown import "bf.bf_vps_op_runn"');
    expect(e.problems[2]).toContain('did you mean bf_vps_op_run?');
    expect(e.problems[3]).toContain('missing entry point');
    expect(e.message.split('\n')).toEqual(['messy: 4 problems:', ...e.problems.map((p) => `  - ${p}`)]);
  });
});

describe('paths and AssemblyScript', () => {
  it('a path that does not exist: names the path', async () => {
    const p = join(tmp, 'nowhere', 'ext.wasm');
    const e = await refusedPath(p);
    expectOne(e, p, 'no such file or folder');
  });

  it('a folder without main.ts', async () => {
    const dir = join(tmp, 'nomain');
    mkdirSync(dir);
    expectOne(await refusedPath(dir), 'nomain', 'there is no main.ts here: an extension is a folder with a main.ts, or an AssemblyScript .ts file');
  });

  it('an AssemblyScript compile error: the LoadError carries the compiler output', async () => {
    const dir = join(tmp, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.ts'), 'export function ext_main_entry(version: u32): void {\n  const n: i32 = "text";\n}\n');
    const compiling: string[] = [];
    const e = await refusedPath(dir, { onCompile: (t) => compiling.push(t.name) });
    expect(compiling).toEqual(['broken']);
    expectOne(e, 'broken', 'main.ts: AssemblyScript compilation failed');
    // the compiler's own words: its error code, the message, and where
    expect(e.problems[0]).toMatch(/TS2322/);
    expect(e.problems[0]).toMatch(/Type '~lib\/string\/String' is not assignable to type 'i32'/);
    expect(e.problems[0]).toMatch(/main\.ts\(2,/);
  });

  it('an AssemblyScript entry file compiles under its own name', async () => {
    const entry = join(tmp, 'single.ts');
    writeFileSync(entry, 'export function ext_main_entry(version: u32): void {}\n');
    const m = await load(entry);
    expect(m.name).toBe('single');
    expect(m.path).toBe(join(tmp, 'build', 'single.wasm'));
    // up to date now: a second load does not compile
    let compiled = false;
    await load(entry, { onCompile: () => (compiled = true) });
    expect(compiled).toBe(false);
  });
});
