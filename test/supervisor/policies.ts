// Each restart policy × each way an instance ends, made to happen for real
// by the faulty example: one definition, run on every backend that can (the
// sim, and the firmware under QEMU).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { load, type LoadedModule } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { manifestFrom } from '../../host/supervisor/manifest.js';
import { Supervisor } from '../../host/supervisor/runtime.js';
import type { StateBackend } from './states.js';

/** how each end is made to happen by the faulty example, every instance */
export const ENDS = {
  trap: 'unreachable@vmexit',
  abort: 'abort@vmexit',
  'exit-failure': 'exit-failure@vmexit', // bfx_exit_status(1), then bf_control_op_exit
  deadline: 'runaway@vmexit', // a loop that never ends, stopped at the budget below
  'memory-limit': 'out-of-memory@vmexit', // allocates until the fixed memory is full
  exit: 'bad-args', // makes its syscalls in its entry point, then bf_control_op_exit: a clean end
} as const;

/** the CPU budget of each call in these tests: what a runaway runs before its worker is terminated */
export const BUDGET_MS = 200;

let faulty: Promise<LoadedModule> | undefined;

export function policyCases(backend: StateBackend): void {
  describe(`each policy × each end on ${backend.name}: restarts exactly as the policy says, and the intensity stops the loop`, () => {
    const expected: Record<string, Record<keyof typeof ENDS, [number, string]>> = {
      never: { trap: [0, 'Failed'], abort: [0, 'Failed'], 'exit-failure': [0, 'Failed'], deadline: [0, 'Failed'], 'memory-limit': [0, 'Failed'], exit: [0, 'Stopped'] },
      once: { trap: [1, 'Failed'], abort: [1, 'Failed'], 'exit-failure': [1, 'Failed'], deadline: [1, 'Failed'], 'memory-limit': [1, 'Failed'], exit: [0, 'Stopped'] },
      always: { trap: [3, 'Failed'], abort: [3, 'Failed'], 'exit-failure': [3, 'Failed'], deadline: [3, 'Failed'], 'memory-limit': [3, 'Failed'], exit: [3, 'Failed'] },
      'on-failure': { trap: [3, 'Failed'], abort: [3, 'Failed'], 'exit-failure': [3, 'Failed'], deadline: [3, 'Failed'], 'memory-limit': [3, 'Failed'], exit: [0, 'Stopped'] },
    };
    for (const [policy, row] of Object.entries(expected)) {
      for (const [end, [restarts, state]] of Object.entries(row) as [keyof typeof ENDS, [number, string]][]) {
        it(`${policy} after ${end}: ${restarts} restart${restarts === 1 ? '' : 's'}, then ${state}`, async () => {
          // a clock the test moves: each backoff is waited out at once, and counted
          let t = 1_000_000;
          const slept: number[] = [];
          faulty ??= load(join(ROOT, 'extensions', 'faulty'));
          const manifest = manifestFrom({
            name: 'f', module: 'faulty', callback_budget_ms: BUDGET_MS,
            restart: { policy, intensity: { max_restarts: 3, window_seconds: 3600 }, backoff: { initial_ms: 10, factor: 2, cap_ms: 25, reset_after_ms: 600_000 } },
          }, 'f.json');
          const { mk, end: shut } = await backend.boot('cpuid');
          try {
            const s = new Supervisor(mk, [{ manifest, loaded: await faulty, config: ENDS[end] }], {
              now: () => t, sleep: async (ms) => { slept.push(ms); t += ms; },
            });
            await s.run();
            const st = s.status().extensions[0];
            expect(st.restarts).toBe(restarts);
            expect(st.state).toBe(state);
            if (end !== 'exit') expect(st.lastCrash?.class).toBe(end);
            // a restart waits its backoff: 10 ms, then 20, then the 25 ms cap
            expect(slept).toEqual([10, 20, 25].slice(0, restarts));
          } finally {
            await shut();
          }
        });
      }
    }
  });
}
