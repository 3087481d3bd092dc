// The supervisor at work on the reference microkernel, with the real
// examples: faulty crashes as its configuration says, every time, so each
// of its instances ends the same way — a crash loop the policy must judge.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sim } from '../../host/backend/sim/sim.js';
import { load, type LoadedModule } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { Ledger } from '../../host/supervisor/ledger.js';
import { BUDGET_MS, ENDS, policyCases } from './policies.js';
import { triggerSequence } from './reconcile.js';
import { stateCases } from './states.js';
import { manifestFrom } from '../../host/supervisor/manifest.js';
import { fitMemory, Supervisor, type DaemonSpec } from '../../host/supervisor/runtime.js';

const modules = new Map<string, Promise<LoadedModule>>();
const example = (name: string) => {
  if (!modules.has(name)) modules.set(name, load(join(ROOT, 'extensions', name)));
  return modules.get(name)!;
};

/** a clock the test moves: each backoff is waited out at once, and counted */
function clock() {
  let t = 1_000_000;
  const slept: number[] = [];
  return { now: () => t, sleep: async (ms: number) => { slept.push(ms); t += ms; }, slept, advance: (ms: number) => (t += ms) };
}

async function daemon(name: string, ext: string, config: string, manifest: Record<string, unknown> = {}): Promise<DaemonSpec> {
  return { manifest: manifestFrom({ name, module: ext, ...manifest }, `${name}.json`), loaded: await example(ext), config };
}

const restart = (policy: string, max = 3) => ({ restart: { policy, intensity: { max_restarts: max, window_seconds: 3600 }, backoff: { initial_ms: 10, factor: 2, cap_ms: 25, reset_after_ms: 600_000 } } });

const sim = { name: 'sim', boot: async (guest: string) => ({ mk: new Sim({ guest }), end: async () => {} }) };

policyCases(sim);

describe('the intensity window', () => {
  it('the intensity counts restarts within its window only: spaced out, a crash loop goes on', async () => {
    const c = clock();
    // one restart allowed per window; a 1 s window and a 2 s backoff: no two restarts in one window
    const spec = await daemon('f', 'faulty', ENDS.trap, {
      restart: { policy: 'always', intensity: { max_restarts: 1, window_seconds: 1 }, backoff: { initial_ms: 2000, factor: 1, cap_ms: 2000 } },
    });
    let sleeps = 0;
    const s = new Supervisor(new Sim(), [spec], { now: c.now, sleep: async (ms) => { await c.sleep(ms); if (++sleeps === 6) ac.abort('enough'); } });
    const ac = new AbortController();
    await s.run(ac.signal);
    expect(s.status().extensions[0].restarts).toBeGreaterThanOrEqual(5);
    expect(s.status().extensions[0].state).not.toBe('Failed');
  });
});

describe('a runaway loop', () => {
  it('in a vmexit callback is stopped at its budget by terminating its worker; the host and the other extension go on', async () => {
    const c = clock();
    const out: string[] = [];
    const counter = await load(join(ROOT, 'test', 'supervisor', 'fixtures', 'counter'));
    // two processors: faulty's VPS on pp 0 loops in its first exit; the counter takes pp 1 (its bootstrap comes last)
    const s = new Supervisor(new Sim({ pps: 2 }), [
      await daemon('runaway', 'faulty', ENDS.deadline, { ...restart('never'), callback_budget_ms: BUDGET_MS }),
      { manifest: manifestFrom({ name: 'counter', module: 'counter', dependencies: ['runaway'] }, 'counter.json'), loaded: counter, config: '0,0,pp:1' },
    ], { now: c.now, sleep: c.sleep, onOutput: (l) => out.push(l.source === 'guest' ? `guest ${l.ppid} ${l.text}` : l.source === 'extension' ? `${l.extension} ${l.text}` : l.text) });
    const started = performance.now();
    await s.run();
    const took = performance.now() - started;
    const [runaway, other] = s.status().extensions;
    expect(runaway).toMatchObject({ name: 'runaway', state: 'Failed', lastCrash: { class: 'deadline' } });
    expect(runaway.lastCrash?.cause).toBe(`deadline: the vmexit callback ran past its ${BUDGET_MS} ms budget`);
    // it did run its whole budget: the loop really ran, and was not refused up front
    expect(took).toBeGreaterThanOrEqual(BUDGET_MS);
    // the counter served every exit of its guest on pp 1, after the runaway was stopped on pp 0
    expect(other).toMatchObject({ name: 'counter', state: 'Running', restarts: 0 });
    // (the host names an extension by its module: faulty)
    const stopped = out.findIndex((l) => /^faulty: vmexit callback on pp 0 failed: deadline/.test(l));
    expect(stopped, out.join('\n')).toBeGreaterThanOrEqual(0);
    expect(out.slice(stopped)).toContain('guest 1 cpuid(1) hypervisor-bit=0');
    expect(out).toContain('counter exit 3 resumed 0');
  });
});

describe('fresh: what the crashed instance owned is released', () => {
  it('its VPS, still loaded on the processor, becomes a zombie with its VP and VM; the next instance makes its own', async () => {
    const c = clock();
    const s = new Supervisor(new Sim(), [await daemon('f', 'faulty', ENDS.trap, restart('once'))], { now: c.now, sleep: c.sleep });
    await s.run();
    const res = s.status().resources;
    // two instances, each made a VM, VP and VPS; each crash left its VPS loaded (a zombie), which keeps its VP and VM
    expect(res.filter((r) => r.state === 'Zombie').map((r) => r.resource).sort()).toEqual(['vm 0', 'vm 1', 'vp 0', 'vp 1', 'vps 0', 'vps 1']);
    expect(res.every((r) => r.owner === 'f')).toBe(true);
  });
});

describe('the ledger', () => {
  it('opens an interval per resource at boot and at restart, and closes each when a crash releases it', async () => {
    const c = clock();
    const file = join(mkdtempSync(join(tmpdir(), 'bfx-ledger-')), 'ledger.jsonl');
    const s = new Supervisor(new Sim(), [await daemon('f', 'faulty', ENDS.trap, restart('once'))], { now: c.now, sleep: c.sleep, ledger: new Ledger(file, c.now) });
    await s.run();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const opens = lines.filter((l) => l.op === 'open');
    expect(opens.map((l) => `${l.resource} ${l.reason}`)).toEqual(['vm 0 boot', 'vp 0 boot', 'vps 0 boot', 'vm 1 restart', 'vp 1 restart', 'vps 1 restart']);
    const closes = lines.filter((l) => l.op === 'close');
    expect(closes.map((l) => `${l.resource} ${l.reason}`).sort()).toEqual(['vm 0', 'vm 1', 'vp 0', 'vp 1', 'vps 0', 'vps 1'].map((r) => `${r} stop-crash`));
    expect(lines.every((l) => l.owner === 'f')).toBe(true);
  });
});

describe('several extensions', () => {
  it('start in dependency order; one crash-looping to Failed leaves the other serving its guest', async () => {
    const c = clock();
    const out: string[] = [];
    const s = new Supervisor(new Sim({ pps: 2 }), [
      // it crashes in its entry point, every instance: it never takes a processor from good
      await daemon('bad', 'faulty', 'unreachable', { ...restart('always', 2), dependencies: ['good'] }),
      await daemon('good', 'cpuid', ''),
    ], { now: c.now, sleep: c.sleep, onOutput: (l) => l.source === 'guest' && out.push(`${l.ppid} ${l.text}`) });
    await s.run();
    const [first, second] = s.status().extensions;
    expect([first.name, second.name], 'good first: bad depends on it').toEqual(['good', 'bad']);
    expect(second).toMatchObject({ state: 'Failed', restarts: 2 });
    expect(first).toMatchObject({ state: 'Running', restarts: 0 });
    expect(out).toContain('0 cpuid(0x40000000) signature=BfxHyperWasm max-leaf=0x40000000');
  });

  it('a dependency restarting restarts a dependent that asks for it, and notifies one that does not', async () => {
    const c = clock();
    const s = new Supervisor(new Sim(), [
      await daemon('base', 'faulty', 'unreachable', restart('once')),
      await daemon('r', 'cpuid', '', { dependencies: [{ name: 'base', on_restart: 'restart' }] }),
      await daemon('n', 'cpuid', '', { dependencies: ['base'] }),
    ], { now: c.now, sleep: c.sleep });
    await s.run();
    const by = Object.fromEntries(s.status().extensions.map((e) => [e.name, e]));
    expect(by.base.restarts).toBe(1);
    expect(by.r.restarts).toBe(1);
    expect(by.n.restarts).toBe(0);
    const events = s.status().events.items.map((e) => `${e.subject}: ${e.text}`);
    expect(events).toContain('n: its dependency base restarted');
    expect(events).toContain('r: restarted because its dependency base restarted');
  });
});

stateCases(sim);

describe('memory: sized up front by the manifest, never grown', () => {
  it('an extension that allocates past its memory ends as memory-limit, which the policy judges as a crash', async () => {
    const c = clock();
    const spec = await daemon('f', 'faulty', 'out-of-memory', restart('once'));
    const s = new Supervisor(new Sim(), [{ ...spec, loaded: fitMemory(spec.manifest, spec.loaded) }], { now: c.now, sleep: c.sleep });
    await s.run();
    expect(s.status().extensions[0]).toMatchObject({ state: 'Failed', restarts: 1, lastCrash: { class: 'memory-limit' } });
  });

  it('memory_pages gives the memory that size; fewer than the module needs at start, or more than its maximum, is refused naming the field', async () => {
    const loaded = await example('faulty');
    const sized = (pages: number) => fitMemory(manifestFrom({ name: 'f', module: 'faulty', memory_pages: pages }, 'f.json'), loaded);
    expect(sized(8).pages).toBe(8);
    expect(loaded.pages).toBe(64);
    expect(() => sized(1)).toThrow(/manifest f\.json: memory_pages 1 is less than the 2 pages the module needs at start/);
    expect(() => sized(65)).toThrow(/manifest f\.json: memory_pages 65 is more than the 64 pages the module declares as its maximum/);
    // a smaller memory fills sooner: the same allocation loop ends sooner, as memory-limit all the same
    const c = clock();
    const s = new Supervisor(new Sim(), [{ manifest: manifestFrom({ name: 'f', module: 'faulty', memory_pages: 8, ...restart('never') }, 'f.json'), loaded: sized(8), config: 'out-of-memory' }], { now: c.now, sleep: c.sleep });
    await s.run();
    expect(s.status().extensions[0].lastCrash?.class).toBe('memory-limit');
    expect(s.host.extensions[0].memory.size).toBe(8 * 65536);
  });
});

describe('records and reconciliation', () => {
  it('running → a stop that fails midway leaves Error while the kernel holds it alive → start: Running, one open interval; reconciling again changes nothing', async () => {
    const c = clock();
    const file = join(mkdtempSync(join(tmpdir(), 'bfx-ledger-')), 'ledger.jsonl');
    // the kernel's destroy_vps throws before it does anything: the VPS stays alive, the host cannot know
    const sim = new Sim({ guest: 'idle', faults: [{ syscall: 'bf_vps_op_destroy_vps', when: 'before' }] });
    const s = new Supervisor(sim, [await daemon('c', 'cpuid', '')], { now: c.now, sleep: c.sleep, ledger: new Ledger(file, c.now) });
    await s.run();
    await triggerSequence(s, 'c', file, sim);
  });
});

describe('resume, again and again', () => {
  it('a trap leaves the shadow stack where the crashed call had it; the resumed instance gets it back at its top, so 1200 resumes still serve', async () => {
    const c = clock();
    const loaded = await load(join(ROOT, 'test', 'supervisor', 'fixtures', 'counter'));
    const manifest = manifestFrom({ name: 'counter', module: 'counter', state: 'resume', restart: { policy: 'always', intensity: { max_restarts: 100_000 }, backoff: { initial_ms: 0 } } }, 'counter.json');
    const crashes: string[] = [];
    const s = new Supervisor(new Sim({ guest: 'cpuid-loop:2400' }), [{ manifest, loaded, config: 'every:3' }], {
      now: c.now, sleep: c.sleep, onEvent: (e) => /trap|abort/.test(e.text) && crashes.push(e.text.split(':')[0]),
    });
    await s.run();
    // a crash at every 3rd exit, each resumed: the guest's 2400 CPUIDs take 1199 resumes
    expect(s.status().extensions[0]).toMatchObject({ state: 'Running', restarts: 1199 });
    expect(new Set(crashes)).toEqual(new Set(['trap unreachable']));
  });
});
