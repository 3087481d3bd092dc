// The manifest: what a valid one gives, the defaults, and every way one is
// refused — each message naming the file, the field's JSON path and what
// the field allows.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BF_SYSCALLS } from '../../host/abi/bf.js';
import { ROOT } from '../../host/paths.js';
import {
  checkSet, DEFAULT_CALLBACK_BUDGET_MS, loadManifest, loadManifests, ManifestError, manifestFrom, parseManifest, type Manifest,
} from '../../host/supervisor/manifest.js';
import { DependencyError } from '../../host/supervisor/order.js';

const tmp = mkdtempSync(join(tmpdir(), 'bfx-manifest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MINIMAL = { name: 'cpuid', module: 'cpuid.wasm' };

/** the ManifestError this JSON value gives as ext.json; fails the test when it is accepted */
function refused(json: unknown, file = 'ext.json'): ManifestError {
  try {
    manifestFrom(json, file);
  } catch (e) {
    if (e instanceof ManifestError) return e;
    throw e;
  }
  throw new Error('the manifest was accepted, but it should have been refused');
}

/** the one problem a manifest with these fields over MINIMAL has: its path, and its whole message */
function one(fields: Record<string, unknown>): { path: string; message: string } {
  const e = refused({ ...MINIMAL, ...fields });
  expect(e.problems).toHaveLength(1);
  expect(e.message).toBe(`manifest ext.json: ${e.problems[0].message}`);
  return e.problems[0];
}

describe('a valid manifest', () => {
  it('every field, as the reference\'s example writes it', () => {
    const m = parseManifest(JSON.stringify({
      name: 'cpuid',
      description: 'answers CPUID for the hypervisor leaves',
      module: '../extensions/cpuid',
      restart: {
        policy: 'always',
        intensity: { max_restarts: 3, window_seconds: 30 },
        backoff: { initial_ms: 50, factor: 3, cap_ms: 5000, reset_after_ms: 20000 },
      },
      state: 'checkpoint',
      dependencies: ['log', { name: 'net', on_restart: 'restart' }],
      memory_pages: 16,
      callback_budget_ms: 50,
      allow: { msrs: [0x10, '0xC0000080'], syscalls: ['bf_intrinsic_op_read_msr', 'bf_vps_op_run'] },
    }), join('manifests', 'cpuid.json'));
    expect(m).toEqual<Manifest>({
      file: join('manifests', 'cpuid.json'),
      name: 'cpuid',
      description: 'answers CPUID for the hypervisor leaves',
      module: join(process.cwd(), 'extensions', 'cpuid'),
      restart: {
        policy: 'always',
        intensity: { maxRestarts: 3, windowMs: 30_000 },
        backoff: { initialMs: 50, factor: 3, capMs: 5000, resetAfterMs: 20_000 },
      },
      state: 'checkpoint',
      dependencies: [{ name: 'log', onRestart: 'notify' }, { name: 'net', onRestart: 'restart' }],
      memoryPages: 16,
      callbackBudgetMs: 50,
      allow: { msrs: [0x10, 0xc0000080], syscalls: ['bf_intrinsic_op_read_msr', 'bf_vps_op_run'] },
    });
  });

  it('name and module alone: the defaults for the rest', () => {
    expect(manifestFrom(MINIMAL, 'ext.json')).toEqual<Manifest>({
      file: 'ext.json',
      name: 'cpuid',
      module: join(process.cwd(), 'cpuid.wasm'),
      restart: {
        policy: 'on-failure',
        intensity: { maxRestarts: 5, windowMs: 60_000 },
        backoff: { initialMs: 100, factor: 2, capMs: 30_000, resetAfterMs: 60_000 },
      },
      state: 'fresh',
      dependencies: [],
      callbackBudgetMs: DEFAULT_CALLBACK_BUDGET_MS,
      allow: {},
    });
  });

  it('part of a group given: the rest of the group keeps its defaults', () => {
    const m = manifestFrom({ ...MINIMAL, restart: { backoff: { cap_ms: 500 }, intensity: { window_seconds: 0.5 } } }, 'ext.json');
    expect(m.restart).toEqual({
      policy: 'on-failure',
      intensity: { maxRestarts: 5, windowMs: 500 },
      backoff: { initialMs: 100, factor: 2, capMs: 500, resetAfterMs: 60_000 },
    });
  });

  it('empty allow lists allow nothing; absent ones, everything', () => {
    expect(manifestFrom({ ...MINIMAL, allow: { msrs: [], syscalls: [] } }, 'ext.json').allow).toEqual({ msrs: [], syscalls: [] });
    expect(manifestFrom({ ...MINIMAL, allow: {} }, 'ext.json').allow).toEqual({});
  });

  it('every syscall of the ABI is a name allow.syscalls takes', () => {
    const all = BF_SYSCALLS.map((s) => s.name);
    expect(manifestFrom({ ...MINIMAL, allow: { syscalls: all } }, 'ext.json').allow.syscalls).toEqual(all);
  });

  it('the module is found from the manifest\'s folder', () => {
    expect(manifestFrom({ ...MINIMAL, module: 'build/x.wasm' }, join(tmp, 'sub', 'm.json')).module).toBe(join(tmp, 'sub', 'build', 'x.wasm'));
  });
});

describe('refused, naming the file and the field\'s path', () => {
  // each case changes one field of the minimal manifest: the path, and the whole problem
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['a policy that is not one', { restart: { policy: 'sometimes' } }, 'restart.policy', 'restart.policy must be one of never, once, always, on-failure, not "sometimes"'],
    ['an unknown field', { colour: 'red' }, 'colour', 'unknown field colour; the fields of a manifest are name, description, module, restart, state, dependencies, memory_pages, callback_budget_ms, allow'],
    ['an unknown nested field', { restart: { polcy: 'always' } }, 'restart.polcy', 'unknown field restart.polcy (did you mean restart.policy?); the fields of restart are policy, intensity, backoff'],
    ['a name of the wrong type', { name: 12 }, 'name', 'name must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, not 12'],
    ['a name with a space', { name: 'my ext' }, 'name', 'name must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, not "my ext"'],
    ['a name too long', { name: 'x'.repeat(65) }, 'name', `name must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, not "${'x'.repeat(65)}"`],
    ['an empty description', { description: '' }, 'description', 'description must be a non-empty string, not an empty one'],
    ['a module that is not a string', { module: ['a.wasm'] }, 'module', 'module must be a non-empty string, not an array'],
    ['restart not an object', { restart: 'always' }, 'restart', 'restart must be an object with the fields policy, intensity, backoff, not "always"'],
    ['intensity not an object', { restart: { intensity: 5 } }, 'restart.intensity', 'restart.intensity must be an object with the fields max_restarts, window_seconds, not 5'],
    ['max_restarts not whole', { restart: { intensity: { max_restarts: 1.5 } } }, 'restart.intensity.max_restarts', 'restart.intensity.max_restarts must be a whole number, 0 or more, not 1.5'],
    ['max_restarts negative', { restart: { intensity: { max_restarts: -1 } } }, 'restart.intensity.max_restarts', 'restart.intensity.max_restarts must be a whole number, 0 or more, not -1'],
    ['a zero window', { restart: { intensity: { window_seconds: 0 } } }, 'restart.intensity.window_seconds', 'restart.intensity.window_seconds must be a number greater than 0, not 0'],
    ['a window as text', { restart: { intensity: { window_seconds: '60' } } }, 'restart.intensity.window_seconds', 'restart.intensity.window_seconds must be a number greater than 0, not "60"'],
    ['an unknown intensity field', { restart: { intensity: { max: 3 } } }, 'restart.intensity.max', 'unknown field restart.intensity.max; the fields of restart.intensity are max_restarts, window_seconds'],
    ['a negative first delay', { restart: { backoff: { initial_ms: -5 } } }, 'restart.backoff.initial_ms', 'restart.backoff.initial_ms must be a whole number, 0 or more, not -5'],
    ['a factor below 1', { restart: { backoff: { factor: 0.5 } } }, 'restart.backoff.factor', 'restart.backoff.factor must be a number of at least 1, not 0.5'],
    ['a cap under the first delay', { restart: { backoff: { initial_ms: 200, cap_ms: 100 } } }, 'restart.backoff.cap_ms', 'restart.backoff.cap_ms (100) must be at least initial_ms (200): the cap is the longest delay'],
    ['a first delay past the default cap', { restart: { backoff: { initial_ms: 60000 } } }, 'restart.backoff.initial_ms', 'restart.backoff.initial_ms (60000) must be at most cap_ms (30000, the default): set cap_ms too'],
    ['a cap that is not a number', { restart: { backoff: { cap_ms: null } } }, 'restart.backoff.cap_ms', 'restart.backoff.cap_ms must be a whole number, 0 or more, not null'],
    ['reset_after_ms as text', { restart: { backoff: { reset_after_ms: '1m' } } }, 'restart.backoff.reset_after_ms', 'restart.backoff.reset_after_ms must be a whole number, 0 or more, not "1m"'],
    ['an unknown backoff field', { restart: { backoff: { max_ms: 1 } } }, 'restart.backoff.max_ms', 'unknown field restart.backoff.max_ms (did you mean restart.backoff.cap_ms?); the fields of restart.backoff are initial_ms, factor, cap_ms, reset_after_ms'],
    ['a state policy that is not one', { state: 'keep' }, 'state', 'state must be one of fresh, checkpoint, resume, not "keep"'],
    ['dependencies not a list', { dependencies: 'log' }, 'dependencies', 'dependencies must be an array of extension names, or objects with name and on_restart, not "log"'],
    ['a dependency that is a number', { dependencies: ['log', 7] }, 'dependencies[1]', "dependencies[1] must be an extension's name, or an object with name and on_restart, not 7"],
    ['an empty dependency name', { dependencies: [''] }, 'dependencies[0]', 'dependencies[0] must be a non-empty string, not an empty one'],
    ['a dependency without its name', { dependencies: [{ on_restart: 'restart' }] }, 'dependencies[0].name', 'dependencies[0].name is required: the name of the extension depended on'],
    ['on_restart that is not one', { dependencies: [{ name: 'log', on_restart: 'ignore' }] }, 'dependencies[0].on_restart', 'dependencies[0].on_restart must be one of notify, restart, not "ignore"'],
    ['an unknown dependency field', { dependencies: [{ name: 'log', onRestart: 'notify' }] }, 'dependencies[0].onRestart', 'unknown field dependencies[0].onRestart (did you mean dependencies[0].on_restart?); the fields of dependencies[0] are name, on_restart'],
    ['a dependency named twice', { dependencies: ['log', { name: 'log', on_restart: 'restart' }] }, 'dependencies[1]', 'dependencies[1] names "log" again (it is dependencies[0] too)'],
    ['a dependency on itself', { dependencies: ['cpuid'] }, 'dependencies[0]', 'dependencies[0] names this extension itself, "cpuid"; an extension cannot depend on itself'],
    ['no memory pages', { memory_pages: 0 }, 'memory_pages', 'memory_pages must be a whole number, from 1 to 65536, not 0'],
    ['more memory pages than WebAssembly has', { memory_pages: 65537 }, 'memory_pages', 'memory_pages must be a whole number, from 1 to 65536, not 65537'],
    ['a zero budget', { callback_budget_ms: 0 }, 'callback_budget_ms', 'callback_budget_ms must be a whole number, 1 or more, not 0'],
    ['allow not an object', { allow: ['bf_vps_op_run'] }, 'allow', 'allow must be an object with the fields msrs, syscalls, not an array'],
    ['an unknown allow field', { allow: { ports: [] } }, 'allow.ports', 'unknown field allow.ports; the fields of allow are msrs, syscalls'],
    ['msrs not a list', { allow: { msrs: 16 } }, 'allow.msrs', 'allow.msrs must be an array of MSR addresses, not 16'],
    ['an MSR that is not an address', { allow: { msrs: ['IA32_EFER'] } }, 'allow.msrs[0]', 'allow.msrs[0] must be an MSR address: a whole number from 0 to 0xffffffff, or a hex string like "0xc0000080", not "IA32_EFER"'],
    ['an MSR past 32 bits', { allow: { msrs: [0x100000000] } }, 'allow.msrs[0]', 'allow.msrs[0] must be an MSR address: a whole number from 0 to 0xffffffff, or a hex string like "0xc0000080", not 4294967296'],
    ['an MSR listed twice, once in hex', { allow: { msrs: [0xc0000080, '0xc0000080'] } }, 'allow.msrs[1]', 'allow.msrs[1] lists MSR 0xc0000080 again (it is allow.msrs[0] too)'],
    ['syscalls not a list', { allow: { syscalls: 'all' } }, 'allow.syscalls', 'allow.syscalls must be an array of syscall names, not "all"'],
    ['a misspelt syscall', { allow: { syscalls: ['bf_vps_op_rum'] } }, 'allow.syscalls[0]', 'allow.syscalls[0] "bf_vps_op_rum" is not a syscall of the ABI (did you mean bf_vps_op_run?); the syscalls are listed in docs/abi-mapping.md'],
    ['a syscall without its bf_', { allow: { syscalls: ['vps_op_run'] } }, 'allow.syscalls[0]', 'allow.syscalls[0] "vps_op_run" is not a syscall of the ABI (did you mean bf_vps_op_run?); the syscalls are listed in docs/abi-mapping.md'],
    ['a syscall nothing is like', { allow: { syscalls: ['open'] } }, 'allow.syscalls[0]', 'allow.syscalls[0] "open" is not a syscall of the ABI; the syscalls are listed in docs/abi-mapping.md'],
    ['a syscall that is not a string', { allow: { syscalls: [3] } }, 'allow.syscalls[0]', "allow.syscalls[0] must be a syscall's name, such as bf_vps_op_run, not 3"],
    ['a syscall listed twice', { allow: { syscalls: ['bf_vps_op_run', 'bf_vps_op_run'] } }, 'allow.syscalls[1]', 'allow.syscalls[1] lists bf_vps_op_run again (it is allow.syscalls[0] too)'],
  ];
  it.for(cases)('%s', ([, fields, path, message]) => {
    expect(one(fields)).toEqual({ path, message });
  });

  it('a misspelt field: the one it likely meant, beside the fields there are', () => {
    const e = refused({ module: 'x.wasm', nmae: 'x' });
    expect(e.problems.map((p) => p.path)).toEqual(['nmae', 'name']);
    expect(e.problems[0].message).toBe('unknown field nmae (did you mean name?); the fields of a manifest are name, description, module, restart, state, dependencies, memory_pages, callback_budget_ms, allow');
  });

  it('the example of the issue, word for word', () => {
    expect(refused({ ...MINIMAL, restart: { policy: 'sometimes' } }).message).toBe('manifest ext.json: restart.policy must be one of never, once, always, on-failure, not "sometimes"');
  });

  it('a missing name and module: both said, each saying what it is for', () => {
    const e = refused({});
    expect(e.problems.map((p) => p.path)).toEqual(['name', 'module']);
    expect(e.message).toBe([
      'manifest ext.json: name is required: the name the supervisor, the ledger and other manifests know the extension by',
      "manifest ext.json: module is required: the extension's .wasm file, AssemblyScript entry .ts or folder, from the manifest's folder",
    ].join('\n'));
  });

  it('every problem at once, one line each, in the order of the fields', () => {
    const e = refused({ name: 'a b', module: 'x.wasm', state: 'old', memory_pages: -1, allow: { syscalls: ['nope'] } });
    expect(e.problems.map((p) => p.path)).toEqual(['name', 'state', 'memory_pages', 'allow.syscalls[0]']);
    expect(e.message.split('\n')).toHaveLength(4);
  });

  it('a bad first delay is not also blamed on the cap', () => {
    expect(refused({ ...MINIMAL, restart: { backoff: { initial_ms: -5, cap_ms: 50 } } }).problems.map((p) => p.path)).toEqual(['restart.backoff.initial_ms']);
  });

  it('not an object', () => {
    expect(refused([MINIMAL]).message).toBe('manifest ext.json: the manifest must be a JSON object, not an array');
    expect(refused(null).message).toBe('manifest ext.json: the manifest must be a JSON object, not null');
  });

  it('not JSON: where, by line and column', () => {
    expect(() => parseManifest('{\n  "name": "a",\n}', 'ext.json')).toThrow(/^manifest ext\.json: is not valid JSON: Expected double-quoted property name \(line 3, column 1\)$/);
    expect(() => parseManifest('', 'ext.json')).toThrow('manifest ext.json: is not valid JSON: Unexpected end of JSON input');
  });
});

/** writes files under a fresh folder of tmp: {relative path: text}, folders made as needed */
function tree(name: string, files: Record<string, string>): string {
  const root = join(tmp, name);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

const manifest = (m: Record<string, unknown>) => JSON.stringify({ module: 'ext.wasm', ...m });

describe('loading manifest files', () => {
  it('a file whose module is there', () => {
    const root = tree('one', { 'a.json': manifest({ name: 'a' }), 'ext.wasm': '' });
    const m = loadManifest(join(root, 'a.json'));
    expect(m.name).toBe('a');
    expect(m.module).toBe(join(root, 'ext.wasm'));
  });

  it('a module folder with main.ts, or an entry .ts', () => {
    const root = tree('kinds', { 'f.json': manifest({ name: 'f', module: 'src' }), 'src/main.ts': '', 't.json': manifest({ name: 't', module: 'src/main.ts' }) });
    expect(loadManifest(join(root, 'f.json')).module).toBe(join(root, 'src'));
    expect(loadManifest(join(root, 't.json')).module).toBe(join(root, 'src', 'main.ts'));
  });

  it('a missing file', () => {
    expect(() => loadManifest(join(tmp, 'none.json'))).toThrow(`manifest ${join(tmp, 'none.json')}: cannot be read: no such file`);
  });

  it('a module that is not there, a folder without main.ts, a file of another kind', () => {
    const root = tree('modules', {
      'gone.json': manifest({ name: 'gone', module: 'build/gone.wasm' }),
      'empty.json': manifest({ name: 'empty', module: 'empty' }), 'empty/notes.txt': '',
      'odd.json': manifest({ name: 'odd', module: 'odd.so' }), 'odd.so': '',
    });
    const problem = (f: string) => {
      try {
        loadManifest(join(root, f));
      } catch (e) {
        if (!(e instanceof ManifestError)) throw e;
        expect(e.problems[0].path).toBe('module');
        return e.message;
      }
      throw new Error(`${f} was accepted`);
    };
    expect(problem('gone.json')).toBe(`manifest ${join(root, 'gone.json')}: module "build/gone.wasm" does not exist (looked for ${join(root, 'build', 'gone.wasm')})`);
    expect(problem('empty.json')).toContain('module "empty" is a folder without main.ts');
    expect(problem('odd.json')).toContain('module "odd.so" is neither a .wasm file, an AssemblyScript .ts file nor an extension folder');
  });

  it('a folder of manifests: its *.json files in name order, checked together', () => {
    const root = tree('set', {
      'b.json': manifest({ name: 'net', dependencies: ['log'] }), 'a.json': manifest({ name: 'log' }),
      'ext.wasm': '', 'README.md': 'not a manifest',
    });
    expect(loadManifests([root]).map((m) => m.name)).toEqual(['log', 'net']);
  });

  it('a list of files and folders, in the order given', () => {
    const root = tree('list', { 'z.json': manifest({ name: 'z' }), 'more/y.json': manifest({ name: 'y', module: '../ext.wasm' }), 'ext.wasm': '' });
    expect(loadManifests([join(root, 'z.json'), join(root, 'more')]).map((m) => m.name)).toEqual(['z', 'y']);
  });

  it('a folder without manifests', () => {
    const root = tree('bare', { 'notes.txt': '' });
    expect(() => loadManifests([root])).toThrow(`manifest ${root}: is a folder without manifests: no *.json files in it`);
  });

  it('two manifests of one name: the second is refused, naming the first', () => {
    const root = tree('dup', { 'a.json': manifest({ name: 'x' }), 'b.json': manifest({ name: 'x' }), 'ext.wasm': '' });
    expect(() => loadManifests([root])).toThrow(`manifest ${join(root, 'b.json')}: name "x" is already the name of the extension in ${join(root, 'a.json')}`);
  });

  it('an unknown dependency and a cycle are refused when the manifests are loaded', () => {
    const unknown = tree('unknown', { 'a.json': manifest({ name: 'a', dependencies: ['logr'] }), 'ext.wasm': '' });
    expect(() => loadManifests([unknown])).toThrow(`extension "a" (${join(unknown, 'a.json')}) depends on "logr", which is not among the extensions loaded (a)`);
    const cycle = tree('cycle', { 'a.json': manifest({ name: 'a', dependencies: ['b'] }), 'b.json': manifest({ name: 'b', dependencies: ['a'] }), 'ext.wasm': '' });
    expect(() => loadManifests([cycle])).toThrow(DependencyError);
    expect(() => loadManifests([cycle])).toThrow('dependency cycle: a → b → a');
  });

  it('checkSet, in memory: the same rules without files', () => {
    const m = (name: string, deps: string[] = []) => manifestFrom({ name, module: 'x.wasm', dependencies: deps }, `${name}.json`);
    expect(() => checkSet([m('a', ['b']), m('b')])).not.toThrow();
    expect(() => checkSet([m('a'), m('a')])).toThrow('manifest a.json: name "a" is already the name of the extension in a.json');
    expect(() => checkSet([m('a', ['b']), m('b', ['c']), m('c', ['a'])])).toThrow('dependency cycle: a → b → c → a (a.json, b.json, c.json)');
  });
});

describe('docs/manifest.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'manifest.md'), 'utf8');
  const examples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);

  it('its examples are manifests', () => {
    expect(examples).toHaveLength(2);
    for (const text of examples) expect(() => parseManifest(text, 'example.json')).not.toThrow();
  });

  it('its table of fields has a row for every field of the full example', () => {
    const paths = (v: unknown, at: string): string[] => {
      if (Array.isArray(v)) return at === 'dependencies' ? ['dependencies', 'dependencies[i].name', 'dependencies[i].on_restart'] : [at];
      if (v === null || typeof v !== 'object') return [at];
      return Object.entries(v).flatMap(([k, x]) => paths(x, at ? `${at}.${k}` : k));
    };
    for (const p of paths(JSON.parse(examples[0]), '')) expect(doc).toContain(`| \`${p}\` |`);
  });
});
