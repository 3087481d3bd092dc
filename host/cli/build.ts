// bfx build: AssemblyScript extensions to WebAssembly.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { compile, CompileError, stale, target } from '../loader/compile.js';
import { ROOT } from '../paths.js';
import { EXIT, parse, type Io } from './common.js';

const HELP = `Usage: bfx build [paths...] [options]

Compiles each extension (a folder with main.ts, or an AssemblyScript .ts
file) to <folder>/build/<name>.wasm, with the options the bf ABI needs
(asconfig.json). Without paths: every extension under ./extensions when
there is such a folder, otherwise bfx's own examples.

Options:
  --force      compile even when the .wasm is newer than its sources
  --quiet      say nothing unless something fails
  --json       one JSON object: what was built, skipped, or failed
  -h, --help   this help
`;

/** the extension folders below a folder: those that hold a main.ts */
function extensionsIn(dir: string): string[] {
  return readdirSync(dir)
    .map((d) => join(dir, d))
    .filter((d) => statSync(d).isDirectory() && existsSync(join(d, 'main.ts')));
}

export async function build(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    force: { type: 'boolean' },
    quiet: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  const local = join(process.cwd(), 'extensions');
  const paths = positionals.length ? positionals : extensionsIn(existsSync(local) ? local : join(ROOT, 'extensions'));
  const results: { name: string; entry: string; wasm: string; result: 'built' | 'up-to-date' | 'failed'; ms?: number; error?: string }[] = [];
  for (const p of paths) {
    if (!existsSync(p)) {
      results.push({ name: basename(p, '.ts'), entry: resolve(p), wasm: '', result: 'failed', error: 'no such file or folder' });
      if (!values.json) io.err(`bfx build: ${p}: no such file or folder\n`);
      continue;
    }
    const t = target(p);
    const show = relative(process.cwd(), t.outFile) || t.outFile;
    if (!values.force && !stale(t)) {
      results.push({ name: t.name, entry: t.entry, wasm: t.outFile, result: 'up-to-date' });
      if (!values.quiet && !values.json) io.out(`${t.name}: up to date (${show})\n`);
      continue;
    }
    if (!values.quiet && !values.json) io.out(`${t.name}: compiling ${relative(process.cwd(), t.entry)} …\n`);
    const start = performance.now();
    try {
      await compile(t);
      const ms = Math.round(performance.now() - start);
      results.push({ name: t.name, entry: t.entry, wasm: t.outFile, result: 'built', ms });
      if (!values.quiet && !values.json) io.out(`${t.name}: built ${show} (${(statSync(t.outFile).size / 1024).toFixed(1)} KiB, ${ms} ms)\n`);
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      results.push({ name: t.name, entry: t.entry, wasm: t.outFile, result: 'failed', error: e.output });
      if (!values.json) io.err(`${e.message}\n`);
    }
  }
  if (values.json) io.out(`${JSON.stringify({ ok: results.every((r) => r.result !== 'failed'), results }, null, 2)}\n`);
  return results.some((r) => r.result === 'failed') ? EXIT.load : EXIT.ok;
}
