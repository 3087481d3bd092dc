// The host drives a run: it calls each extension's entry point, bootstraps
// every physical processor, then resumes processors and delivers their VM
// exits to the extension that owns the VPS, until every processor is done.
import { BF_STATUS_FAILURE_UNKNOWN, type CallbackKind } from '../abi/bf.js';
import type { GuestEvent, Microkernel } from '../backend/microkernel.js';
import { Audit } from '../boundary/audit.js';
import { Current, type Env } from '../boundary/context.js';
import { describe } from '../boundary/guard.js';
import { settleLate } from '../boundary/late.js';
import { Records, ZOMBIE } from '../boundary/records.js';
import { exitReasonName } from '../abi/exits.js';
import type { LoadedModule } from '../loader/load.js';
import { Extension, type ExtensionOptions, type ExtensionState } from '../sandbox/extension.js';
import { describeFault, type Fault } from '../sandbox/trap.js';

export type OutputLine =
  | { source: 'extension'; extension: string; text: string }
  | { source: 'kernel' | 'guest'; ppid: number; text: string }
  | { source: 'host'; text: string };

/**
 * idle: no guest ever ran; running: a guest is set to run; halted: its guest
 * executed HLT with nothing to wake it; promoted: its guest ran on without a
 * hypervisor to the end; shutdown: its guest triple-faulted; stopped: the
 * host could not go on (the reason says why); limit: it was still running
 * when the run reached its limit of exits or time.
 */
export type PpState = 'idle' | 'running' | 'halted' | 'promoted' | 'shutdown' | 'stopped' | 'limit';

export interface PpStatus {
  ppid: number;
  state: PpState;
  why?: string;
  exits: number;
}

/** what a processor does after a callback, and how the callback ended */
interface Delivered {
  next: 'none' | 'run' | 'promote';
  ended: 'returned' | 'exited' | 'fault';
}

/** how an instance of an extension ended, for a supervisor */
export type InstanceEnd =
  /** bf_control_op_exit, or an entry point that returned without waiting for callbacks */
  | { kind: 'exit' }
  | { kind: 'fault'; fault: Fault; where: 'main' | CallbackKind; ppid: number };

export interface HostOptions {
  /** stop after this many VM exits in all */
  maxExits?: number;
  /** stop resuming guests after this many milliseconds */
  timeoutMs?: number;
  onOutput?: (line: OutputLine) => void;
  /** told when an extension's instance ends (after its fail callback had its chance) */
  onEnd?: (ext: Extension, end: InstanceEnd) => void;
  /** told when a call into an extension returned as it should: between two calls its state is whole */
  onReturn?: (ext: Extension) => void;
}

export const HOST_DEFAULTS = { maxExits: 10_000_000, timeoutMs: 600_000 };

/** how long loopAsync() runs exits back to back before the event loop gets a turn */
const YIELD_EVERY_MS = 20;

export class Host {
  readonly env: Env;
  readonly extensions: Extension[] = [];
  readonly pps: PpStatus[];
  /** why the run stopped early, if it did */
  limit: string | undefined;
  private readonly opts: Required<Omit<HostOptions, 'onOutput' | 'onEnd' | 'onReturn'>>;
  private readonly output: (line: OutputLine) => void;
  private readonly onEnd: (ext: Extension, end: InstanceEnd) => void;
  private readonly onReturn: (ext: Extension) => void;
  /** the exit each processor was last handed, until it resumes */
  private readonly pending: (Extract<GuestEvent, { kind: 'exit' }> | undefined)[];
  /** the times the microkernel went down, as far as the host has dealt with them */
  private kernelEpoch = 0;

  constructor(readonly mk: Microkernel, opts: HostOptions = {}) {
    this.opts = { ...HOST_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([k, v]) => v !== undefined && !k.startsWith('on'))) } as Required<Omit<HostOptions, 'onOutput' | 'onEnd' | 'onReturn'>>;
    this.output = opts.onOutput ?? (() => {});
    this.onEnd = opts.onEnd ?? (() => {});
    this.onReturn = opts.onReturn ?? (() => {});
    const limits = mk.hello.limits;
    this.env = { mk, records: new Records(limits), audit: new Audit(), current: new Current(), limits };
    this.pps = Array.from({ length: limits.pps }, (_, ppid) => ({ ppid, state: 'idle', exits: 0 }));
    this.pending = this.pps.map(() => undefined);
    mk.onOutput((l) => this.output(l));
    mk.onLate?.((a) => settleLate(this.env, a));
  }

  add(loaded: LoadedModule, opts: ExtensionOptions = {}): Extension {
    return this.instantiate(this.extensions.length, loaded, opts);
  }

  /**
   * A new instance in the place of extension `id` (a restart): it owns what
   * the records say `id` owns, and starts as `add` leaves one, not started.
   */
  replace(id: number, loaded: LoadedModule, opts: ExtensionOptions = {}): Extension {
    if (!this.extensions[id]) throw new Error(`host: no extension ${id} to replace`);
    return this.instantiate(id, loaded, opts);
  }

  private instantiate(id: number, loaded: LoadedModule, opts: ExtensionOptions): Extension {
    const ext = new Extension(id, loaded, this.env, opts, (extension, text) => this.output({ source: 'extension', extension, text }));
    this.extensions[id] = ext;
    for (const f of ext.faults) this.output({ source: 'host', text: `${ext.name}: its start code failed: ${describeFault(f.fault)}` });
    if (ext.faults.length) this.onEnd(ext, { kind: 'fault', fault: ext.faults[0].fault, where: 'main', ppid: 0 });
    return ext;
  }

  /** calls the entry point of every extension not yet started (or only `only`'s) */
  start(only?: Extension): void {
    for (const ext of only ? [only] : this.extensions) {
      if (ext.state !== 'loaded') continue;
      this.env.current.enter(ext, 'main', 0);
      this.mk.setCurrentPp(0);
      const outcome = ext.start();
      this.env.current.leave();
      if (outcome.kind === 'fault') {
        this.output({ source: 'host', text: `${ext.name}: ext_main_entry failed: ${describeFault(outcome.fault)}` });
        this.onEnd(ext, { kind: 'fault', fault: outcome.fault, where: 'main', ppid: 0 });
      } else if ((ext.state as ExtensionState) !== 'waiting') {
        this.onEnd(ext, { kind: 'exit' });
      }
    }
  }

  /**
   * Calls one callback on a processor and says what the processor does next:
   * run or promote when the callback asked and succeeded, otherwise nothing.
   * A fault ends the callback; the extension's fail callback then gets its chance.
   */
  private deliver(ext: Extension, kind: CallbackKind, ppid: number, args: (number | bigint)[]): Delivered {
    const current = this.env.current;
    current.enter(ext, kind, ppid);
    this.mk.setCurrentPp(ppid);
    const outcome = ext.invoke(kind, ppid, args);
    const resume = current.resume;
    current.leave();
    if (outcome.kind === 'exited') {
      this.onEnd(ext, { kind: 'exit' });
      return { next: 'none', ended: 'exited' };
    }
    if (outcome.kind === 'fault') {
      this.output({ source: 'host', text: `${ext.name}: ${kind} callback on pp ${ppid} failed: ${describeFault(outcome.fault)}` });
      // a call stopped at its deadline took its instance with it: no fail callback is left to call
      const recovered = kind !== 'fail' && ext.callbacks.fail && outcome.fault.kind !== 'deadline' ? this.deliver(ext, 'fail', ppid, [BF_STATUS_FAILURE_UNKNOWN]).next : 'none';
      if (kind !== 'fail') this.onEnd(ext, { kind: 'fault', fault: outcome.fault, where: kind, ppid });
      return { next: recovered, ended: 'fault' };
    }
    this.onReturn(ext);
    return { next: resume, ended: 'returned' };
  }

  /** calls every waiting extension's bootstrap (or only `only`'s) on every processor, in order */
  bootstrap(only?: Extension): void {
    for (const pp of this.pps) {
      let runner: Extension | undefined;
      for (const ext of only ? [only] : this.extensions) {
        if (ext.state !== 'waiting' || !ext.callbacks.bootstrap) continue;
        const { next } = this.deliver(ext, 'bootstrap', pp.ppid, [pp.ppid]);
        if (next === 'none') continue;
        // a processor runs one VPS: the last run asked for is the one loaded
        if (runner) this.output({ source: 'host', text: `pp ${pp.ppid}: ${ext.name} ran its VPS after ${runner.name} had; ${ext.name}'s runs, ${runner.name}'s waits` });
        runner = ext;
        pp.state = 'running';
      }
    }
  }

  private stop(pp: PpStatus, why: string): void {
    pp.state = 'stopped';
    pp.why = why;
  }

  private settle(pp: PpStatus, ev: GuestEvent): void {
    switch (ev.kind) {
      case 'halt': pp.state = 'halted'; break;
      case 'promoted': pp.state = 'promoted'; break;
      case 'shutdown': pp.state = 'shutdown'; pp.why = ev.why; break;
      case 'exit': {
        pp.exits++;
        this.handOver(pp, ev);
        break;
      }
    }
  }

  /** an exit to the extension that owns its VPS; what its callback asks decides what the processor does */
  private handOver(pp: PpStatus, ev: Extract<GuestEvent, { kind: 'exit' }>): void {
    this.pending[pp.ppid] = ev;
    const owner = this.env.records.vps.owner[ev.vpsid];
    const ext = this.extensions[owner];
    if (!ext || ext.state !== 'waiting' || !ext.callbacks.vmexit) {
      this.stop(pp, `vps ${ev.vpsid} exited (${exitReasonName(this.mk.hello.arch, ev.reason)}) and no running extension handles its exits`);
      return;
    }
    ext.exits.set(ev.reason, (ext.exits.get(ev.reason) ?? 0) + 1);
    const { next, ended } = this.deliver(ext, 'vmexit', pp.ppid, [ev.vpsid, ev.reason]);
    if (next === 'none') {
      this.stop(pp, ended === 'exited' ? `${ext.name} exited in its vmexit callback`
        : ended === 'fault' ? `${ext.name}'s vmexit callback failed`
        : `${ext.name}'s vmexit callback returned without resuming a guest`);
      return;
    }
    this.pending[pp.ppid] = undefined;
    pp.state = 'running';
    pp.why = undefined;
  }

  /**
   * The exits processors stopped on, handed again — to the instance that
   * owns their VPS now (a restarted extension): the call that crashed is
   * made again. Only processors stopped on an exit owned by `ext`.
   */
  redeliver(ext: Extension): void {
    for (const pp of this.pps) {
      const ev = this.pending[pp.ppid];
      if (pp.state !== 'stopped' || !ev || this.env.records.vps.owner[ev.vpsid] !== ext.id) continue;
      this.handOver(pp, ev);
    }
  }

  /**
   * True when the microkernel went down since the host last looked. What it
   * held is then lost (each record's first use answers
   * FAILURE_INVALID_HANDLE), every waiting extension's fail callback is
   * called on every processor (the syscalls it makes fail: nothing is
   * there), and every processor is stopped.
   */
  private kernelWentDown(): boolean {
    const h = this.mk.health?.();
    if (!h || h.epoch === this.kernelEpoch) return false;
    this.kernelEpoch = h.epoch;
    this.env.records.loseAll();
    this.pending.fill(undefined);
    this.output({ source: 'host', text: `the microkernel went down (${h.why ?? 'no reason given'}): what it held is gone; each extension's fail callback is called` });
    for (const pp of this.pps) {
      for (const ext of this.extensions) {
        if (ext.state !== 'waiting' || !ext.callbacks.fail) continue;
        // a fail callback that faults here ends its instance as any callback's fault does (deliver reports the others)
        if (this.deliver(ext, 'fail', pp.ppid, [BF_STATUS_FAILURE_UNKNOWN]).ended === 'fault') {
          this.onEnd(ext, { kind: 'fault', fault: ext.faults[ext.faults.length - 1].fault, where: 'fail', ppid: pp.ppid });
        }
      }
      this.stop(pp, `the microkernel went down: ${h.why ?? 'no reason given'}`);
    }
    return true;
  }

  /** the microkernel restarted by its policy, and every waiting extension bootstrapped on it; false when it stays down */
  private async kernelBack(stop?: AbortSignal): Promise<boolean> {
    if (!this.mk.recover || stop?.aborted || !(await this.mk.recover(stop))) {
      const h = this.mk.health?.();
      this.output({ source: 'host', text: `the microkernel stays down: ${h?.why ?? 'it cannot be restarted'}` });
      return false;
    }
    const h = this.mk.health?.();
    this.kernelEpoch = h?.epoch ?? this.kernelEpoch;
    this.output({ source: 'host', text: `the microkernel is back (restart ${h?.restarts ?? '?'}): each extension's bootstrap is called again` });
    for (const pp of this.pps) {
      pp.state = 'idle';
      pp.why = undefined;
    }
    this.bootstrap();
    return true;
  }

  /** whether pp may be resumed: what was destroyed after it was set to run is a zombie, and nothing runs on one */
  private resumable(pp: PpStatus): boolean {
    const r = this.env.records;
    const loaded = [['vps', r.activeVps, r.vps], ['vp', r.activeVp, r.vp], ['vm', r.activeVm, r.vm]] as const;
    const zombie = loaded.find(([, active, table]) => table.state[active[pp.ppid]] === ZOMBIE);
    if (!zombie) return true;
    const [kind, active] = zombie;
    this.stop(pp, `${kind} ${active[pp.ppid]} was destroyed after it was set to run: it is a zombie and does not run`);
    return false;
  }

  private resumeFailed(pp: PpStatus, e: unknown): void {
    this.env.audit.record({ kind: 'exception', extension: '', message: `resuming pp ${pp.ppid}: ${describe(e)}` });
    this.stop(pp, `the microkernel failed to resume it: ${e instanceof Error ? e.message : String(e)}`);
  }

  /** true when the run has reached its limit of exits or time (and says so) */
  private limited(exits: number, deadline: number): boolean {
    if (exits < this.opts.maxExits && performance.now() <= deadline) return false;
    const max = this.opts.maxExits;
    this.limit = exits >= max
      ? `the run reached its limit of ${max} VM exit${max === 1 ? '' : 's'} (--max-exits)`
      : `the run reached its time limit of ${this.opts.timeoutMs / 1000} s (--timeout)`;
    for (const pp of this.pps) if (pp.state === 'running') pp.state = 'limit';
    return true;
  }

  /** resumes guests and delivers their exits until no processor is running */
  loop(): void {
    const deadline = performance.now() + this.opts.timeoutMs;
    let exits = 0;
    for (;;) {
      // nothing brings a microkernel back without waiting: loopAsync() does
      if (this.kernelWentDown()) return;
      const running = this.pps.filter((p) => p.state === 'running');
      if (!running.length) return;
      for (const pp of running) {
        if (!this.resumable(pp)) continue;
        let ev: GuestEvent;
        try {
          ev = this.mk.resume(pp.ppid);
        } catch (e) {
          this.resumeFailed(pp, e);
          continue;
        }
        this.settle(pp, ev);
        if (ev.kind === 'exit') exits++;
      }
      if (this.limited(exits, deadline)) return;
    }
  }

  /**
   * loop(), giving the event loop its turn: while a guest runs (a backend
   * that can wait for it without blocking), and at least every few
   * milliseconds otherwise — so that an interrupt is heard, and `stop`
   * ends the run between two exits.
   */
  async loopAsync(stop?: AbortSignal, pause?: () => boolean): Promise<void> {
    const deadline = performance.now() + this.opts.timeoutMs;
    let exits = 0;
    let turn = performance.now();
    for (;;) {
      if (this.kernelWentDown() && !(await this.kernelBack(stop))) return;
      const running = this.pps.filter((p) => p.state === 'running');
      if (!running.length) return;
      for (const pp of running) {
        // the microkernel went down on the way: nothing more is resumed until it is dealt with
        if (this.mk.health && this.mk.health().epoch !== this.kernelEpoch) break;
        // a supervisor has work between two exits (a restart is due): the processors stay as they are
        if (pause?.()) return;
        if (stop?.aborted) {
          this.stop(pp, `the run was interrupted (${String(stop.reason ?? 'stop')})`);
          continue;
        }
        if (!this.resumable(pp)) continue;
        let ev: GuestEvent;
        try {
          ev = this.mk.resumeAsync ? await this.mk.resumeAsync(pp.ppid) : this.mk.resume(pp.ppid);
        } catch (e) {
          this.resumeFailed(pp, e);
          continue;
        }
        this.settle(pp, ev);
        if (ev.kind === 'exit') exits++;
        if (performance.now() - turn > YIELD_EVERY_MS) {
          await new Promise((ok) => setImmediate(ok));
          turn = performance.now();
        }
      }
      if (this.limited(exits, deadline)) return;
    }
  }

  /** the whole run: entry points, bootstrap, exits */
  run(): void {
    this.start();
    this.bootstrap();
    this.loop();
    for (const ext of this.extensions) ext.flush();
  }

  /** run(), with loopAsync(): for a command that must hear an interrupt */
  async runAsync(stop?: AbortSignal): Promise<void> {
    this.start();
    this.bootstrap();
    await this.loopAsync(stop);
    for (const ext of this.extensions) ext.flush();
  }
}
