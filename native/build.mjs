// npm install runs this: builds the optional native mapper (native/mmap.c)
// with node-gyp, which npm brings, into native/build/. A machine that
// cannot build it loses nothing but speed: the shared-memory transport then
// reads and writes the file instead. Quiet when it builds; one line when it
// does not.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { delimiter, dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

/** npm's own node-gyp: npm names it to the scripts it runs; by hand, found next to npm */
function nodeGyp() {
  const named = process.env.npm_config_node_gyp;
  if (named && existsSync(named)) return named;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const npm = join(dir, 'npm');
    if (!existsSync(npm)) continue;
    const gyp = join(dirname(dirname(realpathSync(npm))), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(gyp)) return gyp;
  }
  return undefined;
}

/** Node's own headers, where this Node was installed with them: no download */
function nodeDir() {
  const named = process.env.npm_config_nodedir;
  if (named && existsSync(join(named, 'include', 'node', 'node_api.h'))) return named;
  const prefix = dirname(dirname(realpathSync(process.execPath)));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

const gyp = nodeGyp();
const dir = nodeDir();
const r = gyp ? spawnSync(process.execPath, [gyp, 'rebuild', ...(dir ? [`--nodedir=${dir}`] : [])], { cwd: here, encoding: 'utf8' }) : undefined;
if (!r || r.status !== 0) {
  const said = r && `${r.stderr}`.split('\n').filter((l) => /error/i.test(l)).slice(0, 2).join('; ');
  const why = !r ? 'npm\'s node-gyp was not found' : r.error?.message ?? (said || `node-gyp exit status ${r.status}`);
  process.stderr.write(`bfx: the native mailbox mapper did not build (${why}); the shared-memory transport will use pread and pwrite instead\n`);
}
