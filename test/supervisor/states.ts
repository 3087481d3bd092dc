// What a restarted instance starts from under each state policy, shown by
// a counter the test extension keeps in its memory: one definition, run on
// every backend that can (the sim, and the firmware under QEMU).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Microkernel } from '../../host/backend/microkernel.js';
import { load } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { manifestFrom } from '../../host/supervisor/manifest.js';
import { Supervisor, type DaemonSpec } from '../../host/supervisor/runtime.js';

export interface StateBackend {
  name: string;
  /** a microkernel whose root guest is `guest`, and how to end it */
  boot(guest: string): Promise<{ mk: Microkernel; end(): Promise<void> }>;
}

/** how the counter's instance ends: a trap, or a runaway loop its CPU budget stops */
const CRASHES = { trap: '', runaway: ',loop' } as const;

export function stateCases(backend: StateBackend): void {
  for (const [crash, suffix] of Object.entries(CRASHES)) stateCasesAfter(backend, crash, suffix);
}

function stateCasesAfter(backend: StateBackend, crash: string, suffix: string): void {
  describe(`state on ${backend.name} after a ${crash}: what a restarted instance starts from (a counter in extension memory shows it)`, () => {
    const counter = () => load(join(ROOT, 'test', 'supervisor', 'fixtures', 'counter'));
    async function run(state: string, config: string) {
      const lines: string[] = [];
      const spec: DaemonSpec = {
        manifest: manifestFrom({ name: 'counter', module: 'counter', state, restart: { policy: 'once', backoff: { initial_ms: 1 } }, callback_budget_ms: 200 }, 'counter.json'),
        loaded: await counter(), config: `${config.includes(',') ? config : `${config},0`}${suffix}`,
      };
      const { mk, end } = await backend.boot('cpuid-loop:8');
      try {
        const s = new Supervisor(mk, [spec], {
          onOutput: (l) => (l.source === 'extension' ? lines.push(l.text) : l.source === 'guest' && lines.push(`guest: ${l.text}`)),
        });
        await s.run();
        return { lines, status: s.status() };
      } finally {
        await end();
      }
    }
    const exits = (lines: string[]) => lines.filter((l) => l.startsWith('exit ')).map((l) => l.replace(/^exit /, ''));

    it('fresh: the count starts over in a new memory, and the new instance makes its own VPS', async () => {
      const { lines, status } = await run('fresh', '3');
      // crash at 3; the restarted instance counts from 1 again and crashes at 3 again (once: then Failed)
      expect(exits(lines)).toEqual(['1 resumed 0', '2 resumed 0', '3 resumed 0', '1 resumed 0', '2 resumed 0', '3 resumed 0']);
      expect(lines.filter((l) => l.startsWith('vps '))).toEqual(['vps 0', 'vps 1']);
      expect(status.extensions[0]).toMatchObject({ state: 'Failed', restarts: 1 });
    });

    it('checkpoint: the count goes back to the checkpoint it asked for, and its VPS is kept; the crashed call is made again', async () => {
      const { lines, status } = await run('checkpoint', '5,3');
      // checkpoint taken when exit 3's call returned; crash at 5; back to 3, the 5th exit handed again as the 4th
      expect(exits(lines)).toEqual(['1 resumed 0', '2 resumed 0', '3 resumed 0', '4 resumed 0', '5 resumed 0', '4 resumed 0', '5 resumed 0']);
      expect(lines.filter((l) => l.startsWith('vps '))).toEqual(['vps 0']);
      expect(status.extensions[0]).toMatchObject({ state: 'Failed', restarts: 1 });
      expect(status.events.items.map((e) => e.text)).toContain('restarted from its checkpoint (1 restart so far)');
    });

    it('checkpoint before any was asked for: the one taken after bootstrap, with the count at 0', async () => {
      const { lines } = await run('checkpoint', '2');
      expect(exits(lines)).toEqual(['1 resumed 0', '2 resumed 0', '1 resumed 0', '2 resumed 0']);
      expect(lines.filter((l) => l.startsWith('vps '))).toEqual(['vps 0']);
    });

    it('resume: the count goes on from the crash, told it resumes, its VPS kept; the guest finishes', async () => {
      const { lines, status } = await run('resume', '3');
      // the crashed 3rd exit is handed again to the resumed instance, which counts it as its 4th
      expect(exits(lines)).toEqual(['1 resumed 0', '2 resumed 0', '3 resumed 0', '4 resumed 1', '5 resumed 1', '6 resumed 1', '7 resumed 1', '8 resumed 1', '9 resumed 1']);
      expect(lines.filter((l) => l.startsWith('vps '))).toEqual(['vps 0']);
      expect(lines.some((l) => l.startsWith('guest: cpuid-loop done: signature=')), 'the guest ran to its end').toBe(true);
      expect(status.extensions[0]).toMatchObject({ state: 'Running', restarts: 1 });
      expect(status.resources.every((r) => r.state === 'Running')).toBe(true);
    });
  });
}
