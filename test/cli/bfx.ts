// Runs the real bfx command, as a user would: node bin/bfx.js, which
// imports dist/. The tests read its exit code, stdout and stderr.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../../host/paths.js';

export const BIN = join(ROOT, 'bin', 'bfx.js');

export interface Result {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** bfx with these arguments, from the root of bfx unless cwd says otherwise */
export async function bfx(args: string[], cwd = ROOT): Promise<Result> {
  const r = await execa('node', [BIN, ...args], { cwd, reject: false, stripFinalNewline: false, timeout: 60_000, env: { NO_COLOR: '1' } });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The host sources newer than what dist/ holds of them: the CLI runs dist/,
 * so a test of it would test old code. Refresh with `npx tsc -p tsconfig.json`.
 */
export function staleDist(): string[] {
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.name.endsWith('.ts')) {
        const out = join(ROOT, 'dist', relative(ROOT, p)).replace(/\.ts$/, '.js');
        let built = 0;
        try {
          built = statSync(out).mtimeMs;
        } catch { /* not built */ }
        if (statSync(p).mtimeMs > built) stale.push(relative(ROOT, p));
      }
    }
  };
  walk(join(ROOT, 'host'));
  return stale;
}
