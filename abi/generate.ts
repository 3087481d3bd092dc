// npm run gen: writes every file generated from abi/table.ts.
// With --check: writes nothing, lists the files that differ, exits 1 if any.
// With --root DIR: works on another copy of the tree.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitAssemblyScript } from './emit/assemblyscript.js';
import { emitC } from './emit/c.js';
import { emitTypeScript } from './emit/typescript.js';
import { emitWireC } from './emit/wire.js';

/** generated file (relative to the project root) → its content */
export function generated(): Map<string, string> {
  return new Map([
    ['host/abi/bf.ts', emitTypeScript()],
    ['extensions/sdk/bf.ts', emitAssemblyScript()],
    ['firmware/include/bf.h', emitC()],
    ['firmware/include/bfx_wire.h', emitWireC()],
  ]);
}

/** the generated files under root that differ from what the generator writes */
export function stale(root: string): string[] {
  const out: string[] = [];
  for (const [path, content] of generated()) {
    let current: string | undefined;
    try {
      current = readFileSync(join(root, path), 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== content) out.push(path);
  }
  return out;
}

export function write(root: string): string[] {
  const written: string[] = [];
  for (const [path, content] of generated()) {
    writeFileSync(join(root, path), content);
    written.push(path);
  }
  return written;
}

const here = dirname(fileURLToPath(import.meta.url));
const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const at = process.argv.indexOf('--root');
  const root = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : resolve(here, '..');
  if (process.argv.includes('--check')) {
    const bad = stale(root);
    for (const p of bad) console.error(`stale: ${p} differs from abi/table.ts; run npm run gen`);
    process.exit(bad.length ? 1 : 0);
  }
  for (const p of write(root)) console.log(`wrote ${p}`);
}
