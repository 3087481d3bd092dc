#!/usr/bin/env node
// The bfx command. The code lives in dist/, built by `npm run build`
// (which `npm ci` and `npm install` run for you).
import { existsSync } from 'node:fs';

const main = new URL('../dist/host/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('bfx: not built yet: run `npm run build` (or `npm ci`) in the bfx folder first\n');
  process.exit(2);
}
// stacks name the TypeScript sources (dist/ has their maps): a conformance
// failure says where in the catalogue, an internal error where in bfx
process.setSourceMapsEnabled(true);
// a reader that stopped reading (bfx … | head) is not an error of bfx's
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
