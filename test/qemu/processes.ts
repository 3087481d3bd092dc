// Whether a QEMU the tests started is still there: found by the -name it
// was given (qemu/qemu.ts passes it), so a test can show none is left.
import { spawnSync } from 'node:child_process';

/** a QEMU process with -name `name` is running (pgrep's pattern ends at the name, so bfx-run-12 is not bfx-run-123) */
export function qemuRunning(name: string): boolean {
  const r = spawnSync('pgrep', ['-f', '--', `-name ${name} `]);
  if (r.status !== 0 && r.status !== 1) throw new Error(`pgrep failed (status ${r.status}): ${r.stderr}`);
  return r.status === 0;
}
