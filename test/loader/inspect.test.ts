// What inspect.ts reads from a module before anything of it runs, on real
// compiled examples and on modules the test writer makes; and where the
// loader puts the pages bf_mem_op_alloc_page hands out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_SUCCESS, BF_SYSCALLS } from '../../host/abi/bf.js';
import { BFX_SERVICES } from '../../host/boundary/services.js';
import { ENTRY_TYPE, ENV_FUNCTIONS, syscallType } from '../../host/loader/check.js';
import { inspect, signature } from '../../host/loader/inspect.js';
import { load, loadBytes } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { ExtensionMemory, PAGE } from '../../host/sandbox/memory.js';
import { backends } from '../../host/conformance/backends.js';
import { Driver } from '../../host/conformance/driver/driver.js';
import { extension, op, sig, WasmModule } from '../harness/wasm.js';

const asconfig = JSON.parse(readFileSync(join(ROOT, 'asconfig.json'), 'utf8')).options as {
  initialMemory: number; maximumMemory: number; memoryBase: number;
};
const wasmOf = (name: string) => join(ROOT, 'extensions', name, 'build', `${name}.wasm`);
const syscalls = new Map(BF_SYSCALLS.map((s) => [s.name as string, s]));

describe('inspect, on the compiled cpuid example', () => {
  const info = inspect(readFileSync(wasmOf('cpuid')));

  it('imports the memory from env: shared, sized by asconfig.json', () => {
    const mem = info.imports.filter((i) => i.desc.kind === 'memory');
    expect(mem).toEqual([{
      module: 'env', name: 'memory',
      desc: { kind: 'memory', limits: { initial: asconfig.initialMemory, maximum: asconfig.maximumMemory, shared: true } },
    }]);
    expect(info.memories).toEqual([]);
  });

  it('imports the syscalls it calls, each with the type of the ABI', () => {
    const bf = info.imports.filter((i) => i.module === 'bf');
    const names = bf.map((i) => i.name).sort();
    for (const n of ['bf_handle_op_open_handle', 'bf_callback_op_register_bootstrap', 'bf_callback_op_register_vmexit',
      'bf_callback_op_register_fail', 'bf_callback_op_wait', 'bf_vm_op_create_vm', 'bf_vp_op_create_vp',
      'bf_vps_op_create_vps', 'bf_vps_op_init_as_root', 'bf_vps_op_write32', 'bf_vps_op_run', 'bf_vps_op_read_reg',
      'bf_vps_op_write_reg', 'bf_vps_op_advance_ip_and_run_current', 'bf_vps_op_promote', 'bf_control_op_exit']) {
      expect(names).toContain(n);
    }
    // only what it uses: nothing of mem, intrinsic or the destroys
    expect(names.filter((n) => /_op_(alloc_page|read_msr|destroy_)/.test(n))).toEqual([]);
    for (const i of bf) {
      expect(i.desc.kind).toBe('function');
      if (i.desc.kind === 'function') expect(signature(i.desc.type)).toBe(signature(syscallType(syscalls.get(i.name)!)));
    }
    // e.g. create_vps: handle i64, vpid i32, ppid i32, the output pointer i32; the status i64
    const vps = bf.find((i) => i.name === 'bf_vps_op_create_vps')!;
    expect(vps.desc).toEqual({ kind: 'function', type: { params: ['i64', 'i32', 'i32', 'i32'], results: ['i64'] } });
  });

  it('imports the host services and env.abort with their types', () => {
    const bfx = info.imports.filter((i) => i.module === 'bfx');
    expect(bfx.map((i) => i.name).sort()).toEqual(['arch', 'cpuid', 'ppid']);
    for (const i of bfx) {
      const want = BFX_SERVICES[i.name];
      expect(i.desc).toEqual({ kind: 'function', type: { params: want.params, results: want.results } });
    }
    const abort = info.imports.find((i) => i.module === 'env' && i.name === 'abort')!;
    expect(abort.desc).toEqual({ kind: 'function', type: ENV_FUNCTIONS.abort });
  });

  it('exports the entry point with its type, and the function table', () => {
    expect(info.exports.find((e) => e.name === 'ext_main_entry')).toEqual({ name: 'ext_main_entry', kind: 'function', type: ENTRY_TYPE });
    expect(info.exports.find((e) => e.name === 'table')).toEqual({ name: 'table', kind: 'table' });
  });

  it('puts its data at memoryBase and above, at constant offsets', () => {
    expect(info.dataOffsetUnknown).toBe(false);
    expect(info.dataOffsets.length).toBeGreaterThan(0);
    expect(Math.min(...info.dataOffsets)).toBe(asconfig.memoryBase);
    expect([...info.dataOffsets].sort((a, b) => a - b)).toEqual(info.dataOffsets);
  });
});

describe('inspect, on the compiled hello example', () => {
  it('imports exactly the four syscalls it makes, the memory and abort', () => {
    const info = inspect(readFileSync(wasmOf('hello')));
    expect(info.imports.map((i) => `${i.module}.${i.name}`).sort()).toEqual([
      'bf.bf_control_op_exit', 'bf.bf_debug_op_out', 'bf.bf_debug_op_write_str', 'bf.bf_handle_op_open_handle',
      'env.abort', 'env.memory',
    ]);
  });
});

describe('inspect, on modules the writer makes', () => {
  it('reads every kind of import, with limits and the shared flag', () => {
    const m = new WasmModule();
    m.importMemory('env', 'memory', { initial: 3, maximum: 9, shared: true });
    m.importTable('env', 'table', { initial: 4 });
    m.importGlobal('env', 'g', 'i64', true);
    m.importFunc('bf', 'bf_vm_op_create_vm', sig(['i64', 'i32'], ['i64']));
    const info = inspect(m.bytes());
    expect(info.imports).toEqual([
      { module: 'env', name: 'memory', desc: { kind: 'memory', limits: { initial: 3, maximum: 9, shared: true } } },
      { module: 'env', name: 'table', desc: { kind: 'table', limits: { initial: 4, maximum: undefined, shared: false } } },
      { module: 'env', name: 'g', desc: { kind: 'global', type: 'i64', mutable: true } },
      { module: 'bf', name: 'bf_vm_op_create_vm', desc: { kind: 'function', type: { params: ['i64', 'i32'], results: ['i64'] } } },
    ]);
  });

  it('gives exported functions their types, counting imported functions first', () => {
    const m = new WasmModule();
    m.importFunc('a', 'x', sig(['f64']));
    m.importFunc('a', 'y', sig([], ['f32']));
    const f = m.func(sig(['i32', 'i64'], ['i32']), [op.i32Const(1)]);
    const g = m.func(sig([]));
    expect([f, g]).toEqual([2, 3]);
    m.export('f', 'function', f).export('g', 'function', g).export('y', 'function', 1);
    m.export('mem', 'memory', m.memory({ initial: 1 })).export('k', 'global', m.global('i32', 5));
    const info = inspect(m.bytes());
    expect(info.exports).toEqual([
      { name: 'f', kind: 'function', type: { params: ['i32', 'i64'], results: ['i32'] } },
      { name: 'g', kind: 'function', type: { params: [], results: [] } },
      { name: 'y', kind: 'function', type: { params: [], results: ['f32'] } },
      { name: 'mem', kind: 'memory' },
      { name: 'k', kind: 'global' },
    ]);
    expect(info.memories).toEqual([{ initial: 1, maximum: undefined, shared: false }]);
    // and the engine agrees it is a valid module
    expect(WebAssembly.Module.exports(new WebAssembly.Module(m.bytes() as Uint8Array<ArrayBuffer>)).map((e) => e.name)).toEqual(['f', 'g', 'y', 'mem', 'k']);
  });

  it('reads data offsets: large ones unsigned, passive segments left out, a global offset flagged', () => {
    const m = new WasmModule();
    const base = m.importGlobal('env', '__memory_base', 'i32');
    m.importMemory('env', 'memory', { initial: 1, maximum: 1, shared: true });
    m.data(0x2000, [1, 2, 3]).data(0x1000, [4]).passiveData([5, 6]).data(0x80000000, [7]);
    const info = inspect(m.bytes());
    expect(info.dataOffsets).toEqual([0x2000, 0x1000, 0x80000000]);
    expect(info.dataOffsetUnknown).toBe(false);
    m.data({ global: base }, [8]);
    const withGlobal = inspect(m.bytes());
    expect(withGlobal.dataOffsetUnknown).toBe(true);
    expect(withGlobal.dataOffsets).toEqual([0x2000, 0x1000, 0x80000000]);
  });
});

describe('the page pool of bf_mem_op_alloc_page', () => {
  it('lies below the first data segment of a compiled example', async () => {
    const m = await load(join(ROOT, 'extensions', 'cpuid'));
    const first = Math.min(...m.info.dataOffsets);
    expect(m.pool).toEqual([PAGE, first]);
    const mem = new ExtensionMemory(m.pages, m.pool);
    const pages: number[] = [];
    for (let p = mem.takePage(); p !== undefined; p = mem.takePage()) pages.push(p);
    expect(pages.length).toBe((first - PAGE) / PAGE);
    for (const p of pages) {
      expect(p % PAGE).toBe(0);
      expect(p).toBeGreaterThanOrEqual(PAGE); // never page 0: a null pointer stays null
      expect(p + PAGE).toBeLessThanOrEqual(first);
    }
  });

  it('ends at the page boundary below the data, and is empty when where the data starts is not known', () => {
    const at = (offset: number | { global: number }) => {
      const w = extension({ pages: 1, setup: (x) => x.importGlobal('test', 'base', 'i32') }).data(offset, [1]);
      const m = loadBytes(w.bytes(), 'pool', 'pool.wasm', { extraNamespaces: ['test'] });
      return { pool: m.pool, free: new ExtensionMemory(m.pages, m.pool).pagesFree };
    };
    expect(at(0x3000)).toEqual({ pool: [PAGE, 0x3000], free: 2 });
    expect(at(0x2800)).toEqual({ pool: [PAGE, 0x2800], free: 1 });
    expect(at(0x800)).toEqual({ pool: [PAGE, 0x800], free: 0 });
    expect(at({ global: 0 })).toEqual({ pool: [PAGE, 0], free: 0 });
    // no data at all: nothing says where the module's own memory starts, so no pool
    const bare = loadBytes(extension({ pages: 1 }).bytes(), 'bare', 'bare.wasm');
    expect(bare.pool).toEqual([PAGE, 0]);
    expect(new ExtensionMemory(bare.pages, bare.pool).pagesFree).toBe(0);
  });

  it.each(backends)('through the syscall on $name: every page below the data, which it never touches', async (backend) => {
    const d = (await Driver.create(backend)).start();
    onTestFinished(() => d.close());
    const e = d.e;
    const first = Math.min(...e.ext.loaded.info.dataOffsets);
    // the data as it is, but for the driver's scratch, where the syscall writes its outputs
    const scratch = e.slot('SCRATCH');
    const data = () => {
      const bytes = e.ext.memory.u8.slice(first, first + 4 * PAGE);
      bytes.fill(0, scratch - first, scratch - first + 256);
      return bytes;
    };
    const before = data();
    const pages = d.inCallback(() => {
      const got: number[] = [];
      for (;;) {
        const st = e.call('bf_mem_op_alloc_page', e.handle, e.scratch(0), e.scratch(1));
        if (st !== BF_STATUS_SUCCESS) {
          // the pool is used up: the extension's memory has no more room below its data
          expect(st).toBe(BF_STATUS_FAILURE_UNKNOWN);
          return got;
        }
        const virt = Number(e.u64(e.scratch(0)));
        got.push(virt);
        e.ext.memory.u8.fill(0xff, virt, virt + PAGE); // scribble over all of it
      }
    });
    expect(pages.length).toBe((first - PAGE) / PAGE);
    expect(new Set(pages).size).toBe(pages.length);
    for (const p of pages) {
      expect(p % PAGE).toBe(0);
      expect(p).toBeGreaterThanOrEqual(PAGE);
      expect(p + PAGE).toBeLessThanOrEqual(first);
    }
    expect(data()).toEqual(before);
  });
});
