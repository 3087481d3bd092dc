// Vitest global setup: builds the example extensions and the conformance
// driver once, so that test files running in parallel only read them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { driverModule } from '../../host/conformance/driver/build.js';
import { compile, stale, target } from '../../host/loader/compile.js';
import { ROOT } from '../../host/paths.js';

export default async function setup(): Promise<void> {
  for (const dir of ['hello', 'cpuid', 'faulty'].map((n) => join(ROOT, 'extensions', n))) {
    if (!existsSync(join(dir, 'main.ts'))) continue;
    const t = target(dir);
    if (stale(t)) await compile(t);
  }
  await driverModule();
}
