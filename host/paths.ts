// Where bfx itself is installed: the asconfig, the SDK and the examples
// are found from here, whether the code runs from dist/ or from source.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'bfx') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('bfx: cannot find its own package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const ROOT = findRoot();
export const SDK_DIR = join(ROOT, 'extensions', 'sdk');
export const ASCONFIG = join(ROOT, 'asconfig.json');
