// Whether an extension that ended comes back, and when: the restart policy,
// the intensity limit (restarts in a sliding window) and the backoff delay.
// Pure functions of the policy, how the instance ended, what happened before
// and the time — the supervisor's clock is passed in, in milliseconds, so
// that a test decides what time it is.
import type { Fault, TrapKind } from '../sandbox/trap.js';

export const RESTART_POLICIES = ['never', 'once', 'always', 'on-failure'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

/** every way an instance can crash; a clean exit is not among them */
export const CRASH_CLASSES = ['trap', 'abort', 'exit-failure', 'deadline', 'memory-limit', 'host-fault'] as const;
export type CrashClass = (typeof CRASH_CLASSES)[number];

/** how an instance of an extension ended */
export type End =
  /** it finished on its own: bf_control_op_exit, or its work done without a fault */
  | { kind: 'exit' }
  /** the engine stopped its code */
  | { kind: 'trap'; trap: TrapKind; message: string }
  /** AssemblyScript's abort(): the code gave up, saying where */
  | { kind: 'abort'; message: string; file?: string; line?: number; column?: number }
  /** bf_control_op_exit, reporting a failure */
  | { kind: 'exit-failure'; message: string }
  /** a callback ran past its CPU budget and its worker was terminated */
  | { kind: 'deadline'; callback: string; budgetMs: number }
  /** it needed more memory than its manifest's fixed maximum */
  | { kind: 'memory-limit'; message: string }
  /** the host's own code failed while serving it */
  | { kind: 'host-fault'; message: string };

export function isCrash(end: End): end is Extract<End, { kind: CrashClass }> {
  return end.kind !== 'exit';
}

/** a crash as the sandbox names it (host/sandbox/trap.ts), as the policy classes it; where: the call it ended */
export function fromFault(f: Fault, where = 'entry point'): End {
  switch (f.kind) {
    case 'trap': return f.trap === 'out-of-memory' ? { kind: 'memory-limit', message: f.message } : { kind: 'trap', trap: f.trap ?? 'other', message: f.message };
    case 'abort': return { kind: 'abort', message: f.message, file: f.file, line: f.line, column: f.column };
    case 'deadline': return { kind: 'deadline', callback: where, budgetMs: f.budgetMs ?? 0 };
    case 'host': return { kind: 'host-fault', message: f.message };
  }
}

export function describeEnd(end: End): string {
  switch (end.kind) {
    case 'exit': return 'clean exit';
    case 'trap': return `trap ${end.trap}: ${end.message}`;
    case 'abort': return `abort: ${end.message}${end.file ? ` (${end.file}:${end.line ?? 0}:${end.column ?? 0})` : ''}`;
    case 'exit-failure': return `exit with failure: ${end.message}`;
    case 'deadline': return `deadline: the ${end.callback}${end.callback === 'entry point' ? '' : ' callback'} ran past its ${end.budgetMs} ms budget`;
    case 'memory-limit': return `memory limit: ${end.message}`;
    case 'host-fault': return `host fault: ${end.message}`;
  }
}

export interface Intensity {
  /** restarts allowed inside any window; one more gives up */
  maxRestarts: number;
  windowMs: number;
}

export interface Backoff {
  /** the delay before the first restart, and again after a healthy run */
  initialMs: number;
  /** each consecutive restart waits this many times longer than the one before */
  factor: number;
  /** no delay is longer */
  capMs: number;
  /** an instance that ran this long before it ended was healthy: the delay starts from initialMs again */
  resetAfterMs: number;
}

export interface RestartSpec {
  policy: RestartPolicy;
  intensity: Intensity;
  backoff: Backoff;
}

export const DEFAULT_INTENSITY: Intensity = { maxRestarts: 5, windowMs: 60_000 };
export const DEFAULT_BACKOFF: Backoff = { initialMs: 100, factor: 2, capMs: 30_000, resetAfterMs: 60_000 };
export const DEFAULT_RESTART: RestartSpec = { policy: 'on-failure', intensity: DEFAULT_INTENSITY, backoff: DEFAULT_BACKOFF };

/** what the policy needs to remember of an extension between its instances */
export interface RestartHistory {
  /** when each restart inside the current window was decided, oldest first */
  readonly restarts: readonly number[];
  /** restarts over the daemon's whole life (the window forgets; `once` does not) */
  readonly total: number;
  /** consecutive restarts since the backoff last started over: the next delay is initialMs × factor^step */
  readonly step: number;
  /** when the current instance started */
  readonly startedAt: number;
}

export function newHistory(startedAt: number): RestartHistory {
  return { restarts: [], total: 0, step: 0, startedAt };
}

/** the restarted instance came up at `now`: its healthy time counts from here */
export function started(h: RestartHistory, now: number): RestartHistory {
  return { ...h, startedAt: now };
}

/** the delay before the restart at this backoff step */
export function backoffDelay(b: Backoff, step: number): number {
  // factor^step overflows to Infinity long before step does: the cap still holds;
  // and no delay at first is no delay ever (0 × Infinity would be NaN)
  if (b.initialMs === 0) return 0;
  return Math.min(b.capMs, Math.round(b.initialMs * b.factor ** step));
}

export type Decision =
  /** start a new instance after delayMs */
  | { action: 'restart'; delayMs: number; reason: string }
  /** the policy does not restart after this end: Stopped after a clean exit, Failed after a crash */
  | { action: 'stop'; state: 'Stopped' | 'Failed'; reason: string }
  /** the policy would restart, but that is more restarts than the intensity allows in its window */
  | { action: 'give-up'; state: 'Failed'; reason: string };

/** whether the policy wants this end restarted, and why (or why not) */
function asked(policy: RestartPolicy, end: End, h: RestartHistory): { restart: boolean; reason: string } {
  const crash = isCrash(end);
  switch (policy) {
    case 'never': return { restart: false, reason: 'never restarts' };
    case 'always': return { restart: true, reason: 'always restarts' };
    case 'on-failure': return crash
      ? { restart: true, reason: 'on-failure restarts after a crash' }
      : { restart: false, reason: 'on-failure does not restart after a clean exit' };
    case 'once':
      if (!crash) return { restart: false, reason: 'once does not restart after a clean exit' };
      return h.total === 0
        ? { restart: true, reason: 'once restarts after its first crash' }
        : { restart: false, reason: 'once has already restarted it once' };
  }
}

/**
 * What to do now that an instance ended at `now`, and the history to keep
 * for the next decision. The policy is asked first; only a restart it wants
 * is counted against the intensity: with r restarts already in the window
 * (now - windowMs, now], restart number r + 1 is allowed when r + 1 <=
 * maxRestarts, and gives up otherwise. The delay grows by `factor` with each
 * consecutive restart up to capMs, and starts again from initialMs when the
 * instance that ended had run at least resetAfterMs.
 */
export function decide(spec: RestartSpec, end: End, h: RestartHistory, now: number): { decision: Decision; history: RestartHistory } {
  const { intensity, backoff } = spec;
  const restarts = h.restarts.filter((t) => now - t < intensity.windowMs);
  const kept = { ...h, restarts };
  const ask = asked(spec.policy, end, h);
  if (!ask.restart) {
    return { decision: { action: 'stop', state: isCrash(end) ? 'Failed' : 'Stopped', reason: ask.reason }, history: kept };
  }
  if (restarts.length + 1 > intensity.maxRestarts) {
    const s = intensity.windowMs / 1000;
    return {
      decision: { action: 'give-up', state: 'Failed', reason: `${restarts.length + 1} restarts within ${s} s is more than the ${intensity.maxRestarts} allowed` },
      history: kept,
    };
  }
  const healthy = now - h.startedAt >= backoff.resetAfterMs;
  const step = healthy ? 0 : h.step;
  const delayMs = backoffDelay(backoff, step);
  return {
    decision: { action: 'restart', delayMs, reason: `${ask.reason}: restart ${restarts.length + 1} of ${intensity.maxRestarts} in ${intensity.windowMs / 1000} s, after ${delayMs} ms${healthy && h.step > 0 ? ' (backoff reset after a healthy run)' : ''}` },
    history: { restarts: [...restarts, now], total: h.total + 1, step: step + 1, startedAt: h.startedAt },
  };
}
