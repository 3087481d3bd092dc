// bfx build on a copy of an example, away from bfx's own folder: it writes
// build/<name>.wasm, knows when that is up to date, and says when a
// compile fails. And bfx guests.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarios } from '../../host/backend/sim/guest/scenarios.js';
import { loadBytes } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { bfx, staleDist } from './bfx.js';

const tmp = mkdtempSync(join(tmpdir(), 'bfx-cli-build-'));
const wasm = join(tmp, 'extensions', 'hello', 'build', 'hello.wasm');

beforeAll(() => {
  const stale = staleDist();
  if (stale.length) throw new Error(`dist/ is older than ${stale.join(', ')}: run npx tsc -p tsconfig.json before the CLI tests`);
  // an extension and the SDK beside it, as an author's project holds them (main.ts imports '../sdk')
  cpSync(join(ROOT, 'extensions', 'hello', 'main.ts'), join(tmp, 'extensions', 'hello', 'main.ts'));
  cpSync(join(ROOT, 'extensions', 'sdk'), join(tmp, 'extensions', 'sdk'), { recursive: true });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// in order: each step builds on the one before
describe('bfx build, on a copy of hello', () => {
  it('compiles it to build/<name>.wasm, a module the loader accepts', async () => {
    const r = await bfx(['build', 'extensions/hello'], tmp);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^hello: compiling extensions\/hello\/main\.ts …\nhello: built extensions\/hello\/build\/hello\.wasm \([\d.]+ KiB, \d+ ms\)\n$/);
    expect(r.stderr).toBe('');
    expect(existsSync(wasm)).toBe(true);
    const m = loadBytes(readFileSync(wasm), 'hello', wasm);
    expect(m.info.exports.map((e) => e.name)).toContain('ext_main_entry');
  });

  it('a second build says it is up to date, and leaves the file alone', async () => {
    const before = statSync(wasm).mtimeMs;
    const r = await bfx(['build', 'extensions/hello'], tmp);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('hello: up to date (extensions/hello/build/hello.wasm)\n');
    expect(statSync(wasm).mtimeMs).toBe(before);
  });

  it('the wasm it built runs without compiling again', async () => {
    const r = await bfx(['run', 'extensions/hello'], tmp);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('hello  | hello from an AssemblyScript extension\n');
    expect(r.stderr).not.toContain('compiling');
  });

  it('a source newer than the wasm makes it stale again; --force compiles regardless', async () => {
    // the wasm an hour old: its source is newer now
    const earlier = new Date(Date.now() - 3_600_000);
    utimesSync(wasm, earlier, earlier);
    const stale = await bfx(['build', 'extensions/hello'], tmp);
    expect(stale.stdout).toContain('hello: built extensions/hello/build/hello.wasm');
    const forced = await bfx(['build', 'extensions/hello', '--force'], tmp);
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout).toContain('hello: built extensions/hello/build/hello.wasm');
  });

  it('without paths: every extension under ./extensions (the SDK is not one); --json says what it did', async () => {
    const r = await bfx(['build', '--json'], tmp);
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    expect(j.results).toEqual([{ name: 'hello', entry: join(tmp, 'extensions', 'hello', 'main.ts'), wasm, result: 'up-to-date' }]);
  });

  it('--quiet says nothing when all is well', async () => {
    const r = await bfx(['build', '--quiet'], tmp);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  });
});

describe('bfx build, when it cannot', () => {
  it('a compile error: exit 3, the compiler\'s own words on stderr', async () => {
    const dir = join(tmp, 'broken');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.ts'), 'export function ext_main_entry(version: u32): void {\n  undefinedThing(version);\n}\n');
    const r = await bfx(['build', 'broken'], tmp);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('main.ts: AssemblyScript compilation failed');
    expect(r.stderr).toMatch(/TS2304: Cannot find name 'undefinedThing'/);
    const j = JSON.parse((await bfx(['build', 'broken', '--json'], tmp)).stdout);
    expect(j.ok).toBe(false);
    expect(j.results[0]).toMatchObject({ name: 'broken', result: 'failed' });
    expect(j.results[0].error).toMatch(/TS2304/);
  });

  it('a path that does not exist: exit 3, says so, compiles nothing', async () => {
    const r = await bfx(['build', 'nowhere'], tmp);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe('bfx build: nowhere: no such file or folder\n');
    expect(r.stdout).toBe('');
  });
});

describe('bfx guests', () => {
  it('lists every guest with what it does', async () => {
    const r = await bfx(['guests']);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(scenarios.map((s) => s.name));
    expect(lines[0]).toMatch(/^cpuid\s+asks CPUID for the vendor/);
  });

  it('--json: the names and docs', async () => {
    const r = await bfx(['guests', '--json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(scenarios.map(({ name, doc }) => ({ name, doc })));
  });
});
