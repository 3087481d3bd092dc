// A fault round: the typed fuzzer (faults/fuzzer) under the supervisor, on
// the firmware under QEMU, with one fault chosen at random — QEMU killed or
// stalled at a random exit, or the proxy dropping, delaying, duplicating,
// reordering, truncating, corrupting or rewriting frames. What must hold:
// the host never crashes; every status the extension sees is a
// bf_status_t; the ledger has exactly one interval per resource for each
// time it lived, none lost and none doubled; and the microkernel holds
// nothing the host's records do not (no leak outside the zombie rules).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootQemu } from '../host/backend/remote/boot.js';
import { RestartableRemote } from '../host/backend/remote/restartable.js';
import { FREE, LOST, LIVE, ZOMBIE } from '../host/boundary/records.js';
import type { LoadedModule } from '../host/loader/load.js';
import { ROOT } from '../host/paths.js';
import { Ledger } from '../host/supervisor/ledger.js';
import { manifestFrom } from '../host/supervisor/manifest.js';
import { Supervisor } from '../host/supervisor/runtime.js';
import { TYPE } from '../host/wire/messages.js';
import { FAULT_ACTIONS, type FaultRule } from '../qemu/faults.js';
import type { Random } from './random.js';
import { injected, problem, type Tally } from './tally.js';

export const FUZZER = join(ROOT, 'faults', 'fuzzer');
export const FAULTS = [...FAULT_ACTIONS, 'kill', 'stall'] as const;
export type Fault = (typeof FAULTS)[number];
const REQUEST_MS = 400;

/** a proxy rule at random: one direction, frames of the kind that carry syscalls, struck after a random number of them */
function randomRule(rng: Random, action: (typeof FAULT_ACTIONS)[number]): FaultRule {
  // a rewrite is a lie of the microkernel's: in what it answers, in the status (a lie in a request would be the host's own)
  const up = action === 'rewrite' || rng.chance(0.6);
  return {
    dir: up ? 'up' : 'down', type: up ? TYPE.SYSCALL_RESULT : TYPE.SYSCALL, after: rng.int(5, 80), times: rng.int(1, 3), action,
    ms: rng.int(50, REQUEST_MS * 2), keep: rng.int(0, 40), at: action === 'rewrite' ? 0 : rng.int(0, 55), bytes: Array.from({ length: 8 }, () => rng.int(0, 255)),
  };
}

/** the ledger's lines, checked: per resource, open and close alternate; returns the resources open at the end */
export function checkLedger(file: string, tally: Tally): Set<string> {
  const open = new Set<string>();
  // no file: nothing was ever made
  for (const line of (existsSync(file) ? readFileSync(file, 'utf8') : '').split('\n').filter(Boolean)) {
    const e = JSON.parse(line) as { op: 'open' | 'close'; resource: string };
    if (e.op === 'open' && open.has(e.resource)) problem(tally, 'violations', `ledger: ${e.resource} opened twice`);
    if (e.op === 'close' && !open.has(e.resource)) problem(tally, 'violations', `ledger: ${e.resource} closed while not open`);
    if (e.op === 'open') open.add(e.resource);
    else open.delete(e.resource);
  }
  return open;
}

/** one round, with a fault at random (or of the kind `only` says) */
export async function faultRound(rng: Random, fuzzer: LoadedModule, tally: Tally, only?: Fault): Promise<void> {
  const fault = rng.pick(only ? [only] : FAULTS);
  const strikeAt = rng.int(1, 10);
  const rules = fault === 'kill' || fault === 'stall' ? [] : [randomRule(rng, fault)];
  const dir = mkdtempSync(join(tmpdir(), 'bfx-faults-'));
  const ledgerFile = join(dir, 'ledger.jsonl');
  let first = true;
  const boot = async () => {
    const t = await bootQemu({ guest: 'cpuid-loop:60', name: `bfx-faults-${process.pid}`, timeouts: { requestMs: REQUEST_MS }, faults: first ? rules : undefined });
    first = false;
    return { remote: t.remote, session: t.session, end: async () => { await t.shutdown(); } };
  };
  let mk: RestartableRemote<Awaited<ReturnType<typeof boot>>> | undefined;
  let stalled: number | undefined;
  try {
    mk = new RestartableRemote(await boot(), boot);
    const proxy = mk.current.session.proxy;
    const kernel = mk;
    const s = new Supervisor(kernel, [{
      manifest: manifestFrom({ name: 'fuzzer', module: FUZZER, restart: { policy: 'always', intensity: { max_restarts: 2, window_seconds: 60 }, backoff: { initial_ms: 1 } } }, 'fuzzer.json'),
      loaded: fuzzer, config: `seed:${rng.int(1, 0x7fffffff)}`,
    }], {
      ledger: new Ledger(ledgerFile, Date.now),
      onOutput: (l) => {
        if (l.source !== 'extension') return;
        if (l.text.startsWith('bad status')) problem(tally, 'violations', `typed: ${l.text}`);
        if (l.text !== `exit ${strikeAt}` || stalled !== undefined) return;
        const pid = kernel.current.session.pid!;
        if (fault === 'kill') {
          process.kill(pid, 'SIGKILL');
          injected(tally, 'kill');
        } else if (fault === 'stall') {
          // stopped now, let go after a while: the host's thread is busy meanwhile, so a timer is as late as it gets
          process.kill(pid, 'SIGSTOP');
          stalled = pid;
          injected(tally, 'stall');
          setTimeout(() => {
            try {
              process.kill(pid, 'SIGCONT');
            } catch { /* QEMU ended meanwhile (the microkernel was restarted) */ }
          }, rng.int(50, REQUEST_MS * 3));
        }
      },
    });
    try {
      await s.run();
    } catch (e) {
      problem(tally, 'hostCrashes', `typed (${fault}): ${(e as Error).stack ?? String(e)}`);
      return;
    }
    for (const [kind, n] of Object.entries(proxy?.report().injected ?? {})) injected(tally, kind, n);
    tally.syscalls.typed += s.host.extensions.reduce((n, x) => n + x.calls.reduce((a, b) => a + b, 0), 0);

    // as the end of a run does: answers still to come for requests given up on are waited for, and settled
    try {
      if (kernel.health().state === 'active') kernel.settle(REQUEST_MS * 2);
    } catch { /* a microkernel that does not answer is counted below */ }
    const records = s.host.env.records;
    const open = checkLedger(ledgerFile, tally);
    for (const kind of ['vm', 'vp', 'vps'] as const) {
      const t = records.table(kind);
      for (let id = 0; id < t.size; id++) {
        // an interval is open while the resource lives, and while a destroy's outcome is unknown (a zombie in doubt)
        const living = t.state[id] === LIVE || (t.state[id] === ZOMBIE && t.unknown[id] === 1);
        if (living !== open.has(`${kind} ${id}`)) problem(tally, 'violations', `ledger (${fault}): ${kind} ${id} is ${living ? 'alive' : 'not alive'} in the records but its interval is ${open.has(`${kind} ${id}`) ? 'open' : 'closed'}`);
      }
      if (kernel.health().state !== 'active') continue;
      // what the microkernel holds, against what the host records; a microkernel that no longer answers cannot be asked
      let held: ReturnType<typeof kernel.resources>;
      try {
        held = kernel.resources(kind);
      } catch {
        tally.unchecked++;
        break;
      }
      held.forEach((st, id) => {
        if (st !== 'free' && (id >= t.size || t.state[id] === FREE || t.state[id] === LOST)) problem(tally, 'leaks', `${fault}: the microkernel holds ${kind} ${id} (${st}) and no record owns it`);
      });
    }
  } catch (e) {
    problem(tally, 'hostCrashes', `typed (${fault}), outside the run: ${(e as Error).stack ?? String(e)}`);
  } finally {
    if (stalled !== undefined) {
      try {
        process.kill(stalled, 'SIGCONT');
      } catch { /* it ended */ }
    }
    mk?.close();
    await mk?.end().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
