// An extension in a worker thread (host/sandbox/worker/): the same faults,
// named the same, as in the host's thread; the syscalls answered by the same
// boundary; a budget that counts only the extension's own time.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sim } from '../../host/backend/sim/sim.js';
import { load } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { Host } from '../../host/run/host.js';
import type { Extension } from '../../host/sandbox/extension.js';

const faulty = load(join(ROOT, 'extensions', 'faulty'));
const counter = load(join(ROOT, 'test', 'supervisor', 'fixtures', 'counter'));

/** faulty with a configuration, on the sim, in the host's thread (no budget) or in a worker */
async function runFaulty(config: string, budgetMs?: number): Promise<{ ext: Extension; host: Host; lines: string[] }> {
  const lines: string[] = [];
  const host = new Host(new Sim({ pps: 2 }), { onOutput: (l) => lines.push(l.source === 'host' ? `host: ${l.text}` : l.text) });
  const ext = host.add(await faulty, { config, budgetMs });
  host.run();
  await ext.dispose();
  return { ext, host, lines };
}

describe('in a worker, as in the host\'s thread', () => {
  const modes = ['unreachable', 'out-of-bounds', 'divide-by-zero', 'stack-overflow', 'null-call', 'abort', 'out-of-memory', 'bad-args'];
  for (const mode of modes) {
    for (const where of ['main', 'bootstrap', 'vmexit']) {
      it(`faulty ${mode}@${where}: the same faults, output, syscalls and processors`, async () => {
        const inline = await runFaulty(`${mode}@${where}`);
        const worker = await runFaulty(`${mode}@${where}`, 5000);
        expect(worker.ext.runner?.instance, 'it ran in a worker').toBeUndefined();
        expect(inline.ext.runner?.instance, 'it ran in the host\'s thread').toBeDefined();
        expect(worker.ext.faults).toEqual(inline.ext.faults);
        expect(worker.ext.state).toBe(inline.ext.state);
        expect(worker.lines).toEqual(inline.lines);
        expect(worker.ext.callCounts()).toEqual(inline.ext.callCounts());
        expect(worker.host.pps).toEqual(inline.host.pps);
      });
    }
  }
});

describe('the budget', () => {
  it('counts the extension\'s own time only: syscalls the host takes long to answer do not use it up', async () => {
    // a microkernel whose CPUID takes 150 ms to answer: three calls of it in one vmexit callback, against a budget of 100 ms
    const block = new Int32Array(new SharedArrayBuffer(4));
    class SlowSim extends Sim {
      override cpuid(leaf: number, subleaf: number): [number, number, number, number] {
        Atomics.wait(block, 0, 0, 150);
        return super.cpuid(leaf, subleaf);
      }
    }
    const lines: string[] = [];
    const host = new Host(new SlowSim({ guest: 'cpuid' }), { onOutput: (l) => lines.push(l.text) });
    const ext = host.add(await counter, { config: '0,0', budgetMs: 100 });
    host.run();
    await ext.dispose();
    expect(ext.faults).toEqual([]);
    expect(host.pps[0].state).toBe('halted');
    expect(lines).toContain('exit 3 resumed 0');
  });

  it('stops a call past it: a deadline fault, the instance gone, its fail callback not called', async () => {
    const { ext, host, lines } = await runFaulty('runaway@vmexit', 100);
    // pp 0's exit came first; with the instance gone, pp 1's exit has nobody to go to
    expect(ext.faults.map((f) => [f.where, f.ppid, f.fault.kind, f.fault.budgetMs])).toEqual([['vmexit', 0, 'deadline', 100]]);
    expect(ext.state).toBe('faulted');
    expect(lines.some((l) => /the vmexit callback on pp \d crashed/.test(l)), 'no fail callback ran').toBe(false);
    expect(host.pps.map((p) => p.state)).toEqual(['stopped', 'stopped']);
  });
});
