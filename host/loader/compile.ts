// Compiling an AssemblyScript extension with the options the ABI needs
// (asconfig.json at the root of bfx: imported shared memory, an exported
// table, and 60 KiB below the data for bf_mem_op_alloc_page). An extension
// folder may carry its own asconfig.json that extends it.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import asc from 'assemblyscript/asc';
import { ASCONFIG, SDK_DIR } from '../paths.js';

export class CompileError extends Error {
  constructor(readonly entry: string, readonly output: string) {
    super(`${entry}: AssemblyScript compilation failed\n${output.trimEnd()}`);
  }
}

/** what an AssemblyScript entry compiles to, and under which name */
export interface Target {
  name: string;
  entry: string;
  outFile: string;
  config: string;
}

/** an extension folder (holding main.ts) or an entry file → where its wasm goes */
export function target(path: string): Target {
  const p = resolve(path);
  const isDir = existsSync(p) && statSync(p).isDirectory();
  const entry = isDir ? join(p, 'main.ts') : p;
  const dir = dirname(entry);
  const name = isDir || basename(entry) === 'main.ts' ? basename(dir) : basename(entry, '.ts');
  const own = join(dir, 'asconfig.json');
  return { name, entry, outFile: join(dir, 'build', `${name}.wasm`), config: existsSync(own) ? own : ASCONFIG };
}

function newest(dir: string): number {
  let t = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, f.name);
    if (f.isDirectory()) {
      if (f.name !== 'build' && f.name !== 'node_modules') t = Math.max(t, newest(p));
    } else if (f.name.endsWith('.ts') || f.name === 'asconfig.json') {
      t = Math.max(t, statSync(p).mtimeMs);
    }
  }
  return t;
}

/** true when the wasm is older than a source of the extension, the SDK or the config */
export function stale(t: Target): boolean {
  if (!existsSync(t.outFile)) return true;
  const built = statSync(t.outFile).mtimeMs;
  return newest(dirname(t.entry)) > built || newest(SDK_DIR) > built || statSync(t.config).mtimeMs > built || statSync(ASCONFIG).mtimeMs > built;
}

export async function compile(t: Target): Promise<void> {
  if (!existsSync(t.entry)) throw new CompileError(t.entry, `there is no ${basename(t.entry)} here: an extension is a folder with a main.ts, or an AssemblyScript .ts file`);
  mkdirSync(dirname(t.outFile), { recursive: true });
  const { error, stderr } = await asc.main([t.entry, '--outFile', t.outFile, '--config', t.config, '--target', 'release'], {});
  if (error) throw new CompileError(t.entry, stderr.toString() || error.message);
}
