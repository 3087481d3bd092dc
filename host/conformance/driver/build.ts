// Builds the driver extension where bfx keeps what it builds (build/ under
// its root), from the source source.ts writes: compiled when the source,
// the SDK or the config is newer than the wasm, so that `bfx conformance`
// works from a fresh clone and the tests' global setup builds it once.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Target } from '../../loader/compile.js';
import { load, type LoadedModule } from '../../loader/load.js';
import { ROOT, SDK_DIR } from '../../paths.js';
import { DRIVER_NAMESPACE, driverSource } from './source.js';

export const DRIVER_DIR = join(ROOT, 'build', 'conformance-driver');

/** writes main.ts only when it changed: an unchanged source leaves the wasm up to date */
function writeSource(): void {
  mkdirSync(DRIVER_DIR, { recursive: true });
  const main = join(DRIVER_DIR, 'main.ts');
  const source = driverSource(relative(DRIVER_DIR, SDK_DIR).split(sep).join('/'));
  if (!existsSync(main) || readFileSync(main, 'utf8') !== source) writeFileSync(main, source);
}

let loaded: Promise<LoadedModule> | undefined;

/** the driver module, built first when stale; once a process */
export function driverModule(onCompile?: (t: Target) => void): Promise<LoadedModule> {
  loaded ??= (async () => {
    writeSource();
    return load(DRIVER_DIR, { extraNamespaces: [DRIVER_NAMESPACE], onCompile });
  })();
  return loaded;
}
