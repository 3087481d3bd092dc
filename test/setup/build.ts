// Vitest global setup: builds the example extensions and the test driver
// once, so that test files running in parallel only read them.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { compile, stale, target } from '../../host/loader/compile.js';
import { ROOT } from '../../host/paths.js';
import { driverSource } from '../harness/driver-source.js';

export const DRIVER_DIR = join(ROOT, 'build', 'test-driver');

export default async function setup(): Promise<void> {
  mkdirSync(DRIVER_DIR, { recursive: true });
  const main = join(DRIVER_DIR, 'main.ts');
  const source = driverSource('../../extensions/sdk');
  if (!existsSync(main) || readFileSync(main, 'utf8') !== source) writeFileSync(main, source);
  for (const dir of ['hello', 'cpuid', 'faulty'].map((n) => join(ROOT, 'extensions', n)).concat(DRIVER_DIR)) {
    if (!existsSync(join(dir, 'main.ts'))) continue;
    const t = target(dir);
    if (stale(t)) await compile(t);
  }
}
