// The restart decision: every policy against every way an instance can end,
// the intensity limit over its sliding window, and the backoff's growth, cap
// and reset. The clock is a number the test chooses.
import { describe, expect, it } from 'vitest';
import {
  backoffDelay, CRASH_CLASSES, decide, DEFAULT_RESTART, describeEnd, fromFault, isCrash, newHistory, RESTART_POLICIES, started,
  type CrashClass, type End, type RestartHistory, type RestartPolicy, type RestartSpec,
} from '../../host/supervisor/policy.js';

const CRASHES: Record<CrashClass, End> = {
  trap: { kind: 'trap', trap: 'unreachable', message: 'unreachable' },
  abort: { kind: 'abort', message: 'counter overflow', file: 'main.ts', line: 12, column: 5 },
  'exit-failure': { kind: 'exit-failure', message: 'bf_control_op_exit reported a failure' },
  deadline: { kind: 'deadline', callback: 'vmexit', budgetMs: 50 },
  'memory-limit': { kind: 'memory-limit', message: 'needs 17 pages, 16 allowed' },
  'host-fault': { kind: 'host-fault', message: 'TypeError: x is undefined' },
};
const CLEAN: End = { kind: 'exit' };

const spec = (policy: RestartPolicy, over: Partial<RestartSpec> = {}): RestartSpec => ({ ...DEFAULT_RESTART, policy, ...over });

describe('every crash class is a crash, a clean exit is not', () => {
  it('the table above has every class the policy knows', () => {
    expect(Object.keys(CRASHES).sort()).toEqual([...CRASH_CLASSES].sort());
    for (const c of CRASH_CLASSES) expect(isCrash(CRASHES[c])).toBe(true);
    expect(isCrash(CLEAN)).toBe(false);
  });
});

describe('each policy × each end, on the first end of a fresh extension', () => {
  // what the policy promises: restart (true) or not, for a crash and for a clean exit
  const promise: Record<RestartPolicy, { crash: boolean; clean: boolean }> = {
    never: { crash: false, clean: false },
    once: { crash: true, clean: false },
    always: { crash: true, clean: true },
    'on-failure': { crash: true, clean: false },
  };
  const ends: [string, End][] = [...CRASH_CLASSES.map((c): [string, End] => [c, CRASHES[c]]), ['clean exit', CLEAN]];
  for (const policy of RESTART_POLICIES) {
    for (const [what, end] of ends) {
      const crash = isCrash(end);
      const restarts = crash ? promise[policy].crash : promise[policy].clean;
      it(`${policy} after ${what}: ${restarts ? 'restarts' : `does not restart (${crash ? 'Failed' : 'Stopped'})`}`, () => {
        const { decision, history } = decide(spec(policy), end, newHistory(0), 1000);
        if (restarts) {
          expect(decision.action).toBe('restart');
          expect(history.total).toBe(1);
          expect(history.restarts).toEqual([1000]);
        } else {
          expect(decision).toMatchObject({ action: 'stop', state: crash ? 'Failed' : 'Stopped' });
          expect(history.total).toBe(0);
        }
        expect(decision.reason).toContain(policy);
      });
    }
  }

  it('the policies the tests cover are all there are', () => {
    expect([...RESTART_POLICIES].sort()).toEqual(Object.keys(promise).sort());
  });
});

describe('once restarts at most once over the daemon\'s life', () => {
  for (const c of CRASH_CLASSES) {
    it(`a second ${c} is not restarted, even long after the window`, () => {
      const first = decide(spec('once'), CRASHES[c], newHistory(0), 10);
      expect(first.decision.action).toBe('restart');
      // an hour later: the intensity window has long forgotten the first restart, once has not
      const second = decide(spec('once'), CRASHES[c], started(first.history, 20), 3_600_000);
      expect(second.decision).toEqual({ action: 'stop', state: 'Failed', reason: 'once has already restarted it once' });
    });
  }
});

describe('always restarts after any end, clean or not, until the intensity stops it', () => {
  it('clean exits in a loop: restarted five times, the sixth within the minute gives up', () => {
    let h = newHistory(0);
    const actions: string[] = [];
    for (let i = 1; i <= 6; i++) {
      const r = decide(spec('always'), CLEAN, h, i * 1000);
      actions.push(r.decision.action);
      h = started(r.history, i * 1000 + 1);
    }
    expect(actions).toEqual(['restart', 'restart', 'restart', 'restart', 'restart', 'give-up']);
  });
});

/** ends the extension `times` times, at the given moments, starting each new instance at once */
function loop(s: RestartSpec, at: number[], end: End = CRASHES.trap): { actions: string[]; history: RestartHistory; reasons: string[] } {
  let h = newHistory(0);
  const actions: string[] = [];
  const reasons: string[] = [];
  for (const t of at) {
    const r = decide(s, end, h, t);
    actions.push(r.decision.action);
    reasons.push(r.decision.reason);
    h = r.decision.action === 'restart' ? started(r.history, t) : r.history;
  }
  return { actions, history: h, reasons };
}

describe('intensity: more than max restarts within the sliding window gives up', () => {
  it('the default is 5 in 60 s', () => {
    expect(DEFAULT_RESTART.intensity).toEqual({ maxRestarts: 5, windowMs: 60_000 });
  });

  for (const c of CRASH_CLASSES) {
    it(`a ${c} loop, one a second: five restarts, the sixth crash goes to Failed`, () => {
      const { actions, reasons } = loop(spec('on-failure'), [1000, 2000, 3000, 4000, 5000, 6000], CRASHES[c]);
      expect(actions).toEqual(['restart', 'restart', 'restart', 'restart', 'restart', 'give-up']);
      expect(reasons[5]).toBe('6 restarts within 60 s is more than the 5 allowed');
    });
  }

  it('the same six crashes spread wider than the window all restart', () => {
    // 13 s apart: at most five of them are ever inside one 60 s window
    const { actions } = loop(spec('on-failure'), [0, 13_000, 26_000, 39_000, 52_000, 65_000, 78_000, 91_000].map((t) => t + 1));
    expect(actions.every((a) => a === 'restart')).toBe(true);
  });

  it('the window slides: a restart exactly windowMs ago is outside it', () => {
    const s = spec('on-failure', { intensity: { maxRestarts: 1, windowMs: 10_000 } });
    expect(loop(s, [1, 10_000]).actions).toEqual(['restart', 'give-up']); // the first is 9 999 ms back: inside
    expect(loop(s, [1, 10_001]).actions).toEqual(['restart', 'restart']); // exactly 10 s back: outside
  });

  it('the history keeps only the restarts inside the window', () => {
    const s = spec('always', { intensity: { maxRestarts: 3, windowMs: 1000 } });
    const { history } = loop(s, [0, 500, 2000, 2100]);
    expect(history.restarts).toEqual([2000, 2100]);
    expect(history.total).toBe(4);
  });

  it('max_restarts 0: the first end that the policy would restart gives up', () => {
    const s = spec('always', { intensity: { maxRestarts: 0, windowMs: 60_000 } });
    expect(loop(s, [5], CLEAN).actions).toEqual(['give-up']);
  });

  it('a policy that does not restart is not counted: never stops, it does not give up', () => {
    const s = spec('never', { intensity: { maxRestarts: 0, windowMs: 60_000 } });
    expect(decide(s, CRASHES.trap, newHistory(0), 5).decision).toEqual({ action: 'stop', state: 'Failed', reason: 'never restarts' });
  });
});

describe('backoff: grows by its factor, is capped, starts over after a healthy run', () => {
  const backoff = { initialMs: 100, factor: 2, capMs: 1000, resetAfterMs: 5000 };
  const s = spec('on-failure', { intensity: { maxRestarts: 100, windowMs: 60_000 }, backoff });

  it('backoffDelay: initial × factor^step, never past the cap, even for huge steps', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(backoff, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(backoff, 5000)).toBe(1000);
    expect(backoffDelay({ ...backoff, factor: 1 }, 7)).toBe(100);
    expect(backoffDelay({ ...backoff, initialMs: 0 }, 3)).toBe(0);
    // no delay, however many restarts: 0 × factor^step is not NaN once factor^step overflows
    expect(backoffDelay({ ...backoff, initialMs: 0 }, 5000)).toBe(0);
  });

  it('consecutive crashes of short-lived instances wait 100, 200, 400, 800, then 1000 each time', () => {
    let h = newHistory(0);
    let now = 0;
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      now += 50; // each instance lives 50 ms: never healthy
      const r = decide(s, CRASHES.abort, h, now);
      if (r.decision.action !== 'restart') throw new Error(r.decision.reason);
      delays.push(r.decision.delayMs);
      now += r.decision.delayMs;
      h = started(r.history, now);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('an instance that ran resetAfterMs before it crashed was healthy: the next delay is initialMs again', () => {
    let h = newHistory(0);
    for (const t of [10, 20, 30]) h = started(decide(s, CRASHES.trap, h, t).history, t);
    expect(h.step).toBe(3); // the next delay would be 800
    const unhealthy = decide(s, CRASHES.trap, h, 30 + 4999);
    expect(unhealthy.decision).toMatchObject({ action: 'restart', delayMs: 800 });
    const healthy = decide(s, CRASHES.trap, h, 30 + 5000);
    expect(healthy.decision).toMatchObject({ action: 'restart', delayMs: 100 });
    expect(healthy.decision.reason).toContain('backoff reset after a healthy run');
    // and it grows again from there
    const next = decide(s, CRASHES.trap, started(healthy.history, 5100), 5200);
    expect(next.decision).toMatchObject({ action: 'restart', delayMs: 200 });
  });

  it('healthy time counts from when the instance started, not from the crash before it', () => {
    const h = started(decide(s, CRASHES.trap, newHistory(0), 0).history, 4000); // restarted at 4 s
    // 5.5 s after the crash, but only 1.5 s after the restart: not healthy
    expect(decide(s, CRASHES.trap, h, 5500).decision).toMatchObject({ delayMs: 200 });
  });
});

describe('ends in words, and from the sandbox\'s faults', () => {
  it('describeEnd names the class and what the end said', () => {
    expect(Object.fromEntries(CRASH_CLASSES.map((c) => [c, describeEnd(CRASHES[c])]))).toEqual({
      trap: 'trap unreachable: unreachable',
      abort: 'abort: counter overflow (main.ts:12:5)',
      'exit-failure': 'exit with failure: bf_control_op_exit reported a failure',
      deadline: 'deadline: the vmexit callback ran past its 50 ms budget',
      'memory-limit': 'memory limit: needs 17 pages, 16 allowed',
      'host-fault': 'host fault: TypeError: x is undefined',
    });
    expect(describeEnd(CLEAN)).toBe('clean exit');
  });

  it('fromFault: a trap keeps its kind, an abort its place, a host fault becomes host-fault', () => {
    expect(fromFault({ kind: 'trap', trap: 'divide-by-zero', message: 'divide by zero' })).toEqual({ kind: 'trap', trap: 'divide-by-zero', message: 'divide by zero' });
    expect(fromFault({ kind: 'trap', message: 'odd' })).toEqual({ kind: 'trap', trap: 'other', message: 'odd' });
    expect(fromFault({ kind: 'abort', message: 'no', file: 'a.ts', line: 3, column: 4 })).toEqual({ kind: 'abort', message: 'no', file: 'a.ts', line: 3, column: 4 });
    expect(fromFault({ kind: 'host', message: 'Error: boom' })).toEqual({ kind: 'host-fault', message: 'Error: boom' });
  });
});
