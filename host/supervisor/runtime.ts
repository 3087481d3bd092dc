// The supervisor at work: several extensions under one host, started in
// dependency order, each a daemon whose instances end (a crash, a clean
// exit) and are restarted as its manifest says — policy, intensity,
// backoff, state — while the host keeps serving the others. Every VM, VP
// and VPS is a ledger interval from its creation to its release.
import type { Microkernel, ResourceKind } from '../backend/microkernel.js';
import { destroy } from '../boundary/lifecycle.js';
import { LIVE, type ResourceChange } from '../boundary/records.js';
import { AS_STACK_POINTER, globalNames, type StateGlobal } from '../loader/globals.js';
import type { GlobalValue } from '../sandbox/snapshot.js';
import { LoadError, type LoadedModule } from '../loader/load.js';
import { Host, type InstanceEnd, type OutputLine } from '../run/host.js';
import type { CallbackKind } from '../abi/bf.js';
import type { Carried, Extension, ExtensionOptions } from '../sandbox/extension.js';
import type { CloseReason, Ledger } from './ledger.js';
import type { Manifest } from './manifest.js';
import { restartEffects, startOrder } from './order.js';
import { decide, describeEnd, fromFault, isCrash, newHistory, started, type End, type RestartHistory } from './policy.js';
import { BoundedQueue, type DaemonState, type DaemonStatus, type ResourceStatus, type StatusEvent, type StatusSnapshot } from './status.js';

const STATE_OF = { live: 'Running', zombie: 'Zombie', unknown: 'Error', free: 'Stopped', lost: 'Stopped' } as const;

export interface DaemonSpec {
  manifest: Manifest;
  loaded: LoadedModule;
  /** what the extension reads with bfx_config() */
  config?: string;
}

/**
 * The module as the manifest sizes its memory (memory_pages): at least what
 * the module needs at start, at most what it declares it may grow to.
 */
export function fitMemory(m: Manifest, loaded: LoadedModule): LoadedModule {
  if (m.memoryPages === undefined || m.memoryPages === loaded.pages) return loaded;
  const mem = loaded.info.imports.find((i) => i.module === 'env' && i.name === 'memory');
  const initial = mem?.desc.kind === 'memory' ? mem.desc.limits.initial : 0;
  const where = `manifest ${m.file}: memory_pages ${m.memoryPages}`;
  if (m.memoryPages < initial) throw new LoadError(m.name, [`${where} is less than the ${initial} pages the module needs at start`]);
  if (m.memoryPages > loaded.pages) throw new LoadError(m.name, [`${where} is more than the ${loaded.pages} pages the module declares as its maximum (build it with a larger --maximumMemory)`]);
  return { ...loaded, pages: m.memoryPages };
}

export interface SupervisorOptions {
  /** milliseconds, for the policy's windows and backoff; the wall clock by default */
  now?: () => number;
  /** waits out a backoff; a timer by default */
  sleep?: (ms: number) => Promise<void>;
  ledger?: Ledger;
  onOutput?: (line: OutputLine) => void;
  /** how many status events are kept; a full queue drops the oldest */
  events?: number;
  /** each event as it happens (the queue keeps the last ones for status) */
  onEvent?: (e: StatusEvent) => void;
  /** the status, after each change of an extension's state */
  onStatus?: (s: StatusSnapshot) => void;
  maxExits?: number;
  timeoutMs?: number;
}

/** one extension over its life: its instances come and go */
interface Daemon {
  spec: DaemonSpec;
  name: string;
  ext: Extension;
  state: DaemonState;
  since: number;
  history: RestartHistory;
  restarts: number;
  lastCrash?: DaemonStatus['lastCrash'];
  /** the instance's end, waiting to be judged between two exits */
  ended?: End;
  /** in Backoff: when the restart is due */
  restartAt?: number;
  /** the instance was stopped on purpose (a dependency restarted): no policy judges it */
  stopping?: boolean;
  /** when the end was seen (performance.now()), for the restart's latency */
  endedAt?: number;
  /** each restart's time from the end seen to the new instance back in its callbacks, less its backoff, in ms */
  latencies: number[];
  /** where the instance ended: a crash in the entry point leaves nothing to keep */
  endedIn?: 'main' | CallbackKind;
  /** state checkpoint: the last checkpoint, and the resources the instance owned then */
  checkpoint?: { carried: Carried; owned: Set<string> };
  /** what the next instance takes over (checkpoint, resume); undefined: it starts fresh */
  carried?: Carried;
  /** AssemblyScript's shadow stack pointer between two calls, when the module names it */
  stackTop?: number;
  /** the state global that is that pointer; null when the module names none; undefined until looked up */
  stackPointer?: StateGlobal | null;
}

export class Supervisor {
  readonly host: Host;
  private readonly daemons: Daemon[];
  private readonly byId = new Map<number, Daemon>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly ledger: Ledger | undefined;
  readonly events: BoundedQueue<StatusEvent>;
  private readonly onEvent: (e: StatusEvent) => void;
  private readonly onStatus: (s: StatusSnapshot) => void;
  /** a status is built for onStatus only when someone listens */
  private readonly statusWanted: boolean;
  /** why resources are being released, for the ledger; undefined: the extension destroys them itself */
  private releasing: CloseReason | undefined;
  /** the daemon whose instance is being started, for the ledger's open reason */
  private starting: Daemon | undefined;
  /** the supervisor's own record of every VM, VP and VPS an extension made, by "kind id" */
  private readonly resources = new Map<string, ResourceStatus & { kind: ResourceKind; id: number; ownerId: number }>();

  constructor(mk: Microkernel, specs: readonly DaemonSpec[], opts: SupervisorOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((ok) => setTimeout(ok, ms)));
    this.ledger = opts.ledger;
    this.events = new BoundedQueue(opts.events ?? 1000);
    this.onEvent = opts.onEvent ?? (() => {});
    this.onStatus = opts.onStatus ?? (() => {});
    this.statusWanted = opts.onStatus !== undefined;
    this.host = new Host(mk, {
      onOutput: opts.onOutput, maxExits: opts.maxExits, timeoutMs: opts.timeoutMs,
      onEnd: (ext, end) => this.ended(ext, end),
      onReturn: (ext) => ext.checkpointWanted && this.checkpoint(ext),
    });
    this.host.env.records.onChange((c) => this.changed(c));
    const nodes = specs.map((s) => ({ ...s, name: s.manifest.name, dependencies: s.manifest.dependencies, file: s.manifest.file }));
    const t = this.now();
    this.daemons = startOrder(nodes).map((s) => ({
      spec: s, name: s.name, ext: undefined as unknown as Extension, state: 'Starting' as DaemonState, since: t, history: newHistory(t), restarts: 0, latencies: [],
    }));
  }

  private options(d: Daemon): ExtensionOptions {
    const m = d.spec.manifest;
    // each instance in a worker of its own, so that a call past its budget can be stopped
    return {
      config: d.spec.config, syscalls: m.allow.syscalls, msrs: m.allow.msrs,
      budgetMs: m.callbackBudgetMs, mirrorGlobals: m.state === 'resume', worker: d.ext?.worker,
    };
  }

  private event(subject: string, text: string): void {
    const e = { at: this.now(), subject, text };
    this.events.push(e);
    this.onEvent(e);
  }

  private enter(d: Daemon, state: DaemonState): void {
    d.state = state;
    d.since = this.now();
    if (this.statusWanted) this.onStatus(this.status());
  }

  /** the whole life: start in order, then serve exits and restart by policy until nothing runs or is due */
  async run(stop?: AbortSignal): Promise<void> {
    for (const d of this.daemons) {
      d.ext = this.host.add(d.spec.loaded, this.options(d));
      d.ext.supervised = true;
      this.byId.set(d.ext.id, d);
    }
    for (const d of this.daemons) this.startInstance(d, false);
    for (;;) {
      await this.judge();
      await this.host.loopAsync(stop, () => this.daemons.some((d) => d.ended !== undefined || this.due(d)));
      if (stop?.aborted) break;
      await this.judge();
      const waiting = this.daemons.filter((d) => d.state === 'Backoff').sort((a, b) => a.restartAt! - b.restartAt!);
      if (!waiting.length) {
        if (this.host.pps.some((p) => p.state === 'running')) continue;
        break;
      }
      const wait = waiting[0].restartAt! - this.now();
      if (wait > 0 && !this.host.pps.some((p) => p.state === 'running')) await this.sleep(wait);
      else if (wait > 0) await new Promise((ok) => setImmediate(ok));
      for (const d of waiting) if (this.due(d)) this.restart(d, 'policy');
    }
    for (const d of this.daemons) d.ext.flush();
    await Promise.all(this.daemons.map((d) => d.ext.dispose()));
    if (this.statusWanted) this.onStatus(this.status());
  }

  private due(d: Daemon): boolean {
    return d.state === 'Backoff' && d.restartAt! <= this.now();
  }

  /** the entry point, then bootstrap on every processor */
  private startInstance(d: Daemon, restart: boolean): void {
    this.starting = d;
    try {
      if (d.ext.state === 'loaded') {
        this.host.start(d.ext);
        if ((d.ext.state as Extension['state']) === 'waiting') {
          this.host.bootstrap(d.ext);
          d.stackTop ??= this.stackPointer(d) as number | undefined;
          // Running once its processors are bootstrapped: a crash in bootstrap is judged like any other
          this.enter(d, 'Running');
          this.event(d.name, restart ? `restarted (${d.restarts} so far)` : 'started');
          if (d.spec.manifest.state === 'checkpoint' && (d.ext.state as Extension['state']) === 'waiting' && !d.ended) this.checkpoint(d.ext);
        }
      }
    } finally {
      this.starting = undefined;
    }
  }

  private ended(ext: Extension, end: InstanceEnd): void {
    const d = this.byId.get(ext.id);
    if (!d || d.ext !== ext || d.ended || d.stopping) return;
    d.ended = end.kind === 'exit'
      ? (ext.exitStatus === 0n ? { kind: 'exit' } : { kind: 'exit-failure', message: `bf_control_op_exit with status 0x${ext.exitStatus.toString(16)} (bfx_exit_status)` })
      : fromFault(end.fault, end.where === 'main' ? 'entry point' : end.where);
    d.endedIn = end.kind === 'exit' ? undefined : end.where;
    d.endedAt = performance.now();
  }

  /**
   * The policy's word on each instance that ended — once a worker stopped at
   * its deadline has ended: until then it could still write to the memory
   * that its state policy keeps, resets or restores.
   */
  private async judge(): Promise<void> {
    await Promise.all(this.daemons.map((d) => (d.ended?.kind === 'deadline' ? d.ext.settled() : undefined)));
    for (const d of this.daemons) {
      const end = d.ended;
      if (!end) continue;
      d.ended = undefined;
      const t = this.now();
      if (isCrash(end)) d.lastCrash = { at: t, class: end.kind, cause: describeEnd(end) };
      const { decision, history } = decide(d.spec.manifest.restart, end, d.history, t);
      d.history = history;
      this.event(d.name, `${describeEnd(end)}: ${decision.reason}`);
      d.carried = decision.action === 'restart' ? this.keep(d) : undefined;
      this.release(d, isCrash(end) ? 'stop-crash' : 'stop-user', d.carried === undefined ? undefined : (d.checkpoint?.owned ?? 'all'));
      if (decision.action === 'restart') {
        this.enter(d, 'Backoff');
        d.restartAt = t + decision.delayMs;
      } else {
        this.enter(d, decision.state);
      }
    }
  }

  /**
   * What the ended instance owned, as its state policy says: `fresh`
   * destroys it (the ABI's rules: a resource still in use becomes a
   * zombie), VPSs first, then VPs, then VMs.
   */
  private release(d: Daemon, reason: CloseReason, keep?: Set<string> | 'all'): void {
    if (keep === 'all') return;
    const old = d.ext;
    const records = this.host.env.records;
    this.releasing = reason;
    try {
      for (const kind of ['vps', 'vp', 'vm'] as const) {
        const table = records.table(kind);
        for (let id = 0; id < table.size; id++) {
          if (table.state[id] !== LIVE || table.owner[id] !== old.id || keep?.has(`${kind} ${id}`)) continue;
          try {
            destroy(this.host.env, old, kind, old.handle ?? 0n, id);
          } catch (e) {
            this.event(d.name, `releasing ${kind} ${id}: ${(e as Error).message}`);
          }
        }
      }
      // the next instance takes the handle over, and the pages the state it takes knows of
      const pages = keep ? [...old.pages].filter(([at]) => !d.checkpoint?.carried.pages.has(at)).map(([, p]) => p) : [...old.pages.values()];
      for (const page of pages) {
        try {
          this.host.mk.bf_mem_op_free_page(old.handle ?? 0n, page.kvirt);
          this.host.mk.mapPage(page.phys, undefined);
        } catch { /* a page the microkernel cannot free is its loss, not the host's */ }
      }
      if (old.handle !== undefined && !keep) {
        try {
          this.host.mk.bf_handle_op_close_handle(old.handle);
        } catch { /* the handle dies with the microkernel's own state */ }
        old.handle = undefined;
      }
    } finally {
      this.releasing = undefined;
    }
  }

  /** what an instance stopped on purpose owned, released; its end, if the release makes one, is not judged */
  private releaseOnPurpose(d: Daemon): void {
    d.stopping = true;
    try {
      this.release(d, 'stop-user');
    } finally {
      d.stopping = false;
    }
  }

  /** a new instance in the daemon's place; a dependency's restart reaches its dependents */
  private restart(d: Daemon, why: 'policy' | 'dependency' | 'user'): void {
    // the backoff it waited, on the supervisor's clock (it entered Backoff at `since`), is not the restart's own time
    const waited = d.restartAt === undefined ? 0 : Math.max(0, d.restartAt - d.since);
    d.restarts++;
    d.restartAt = undefined;
    d.history = started(d.history, this.now());
    const carried = d.carried;
    d.carried = undefined;
    // the same memory, as new (fresh) or about to be restored: no new one for each restart
    const memory = d.ext.memory;
    if (!carried) memory.reset();
    d.ext = this.host.replace(d.ext.id, d.spec.loaded, { ...this.options(d), memory });
    d.ext.supervised = true;
    this.byId.set(d.ext.id, d);
    if (carried && d.ext.state === 'loaded') {
      // it takes the state over, and the call that crashed is made again
      if (d.spec.manifest.state === 'resume') carried.resumes++;
      d.ext.adopt(carried, (phys, bytes) => this.host.mk.mapPage(phys, bytes));
      // a trap left the shadow stack where the crashed call had it: between two calls it is at its top
      if (d.stackTop !== undefined) this.stackPointer(d, d.stackTop);
      this.enter(d, 'Running');
      this.event(d.name, `${d.spec.manifest.state === 'resume' ? 'resumed' : 'restarted from its checkpoint'} (${d.restarts} restart${d.restarts === 1 ? '' : 's'} so far)`);
      this.host.redeliver(d.ext);
    } else {
      this.startInstance(d, true);
    }
    if (why === 'policy' && d.endedAt !== undefined && d.state === 'Running') d.latencies.push(performance.now() - d.endedAt - waited);
    if (why !== 'policy') return;
    const { restart, notify } = restartEffects(this.daemons.map((x) => ({ name: x.name, dependencies: x.spec.manifest.dependencies })), d.name);
    for (const name of notify) this.event(name, `its dependency ${d.name} restarted`);
    for (const name of restart) {
      const dep = this.daemons.find((x) => x.name === name)!;
      if (dep.state !== 'Running') continue;
      this.event(name, `restarted because its dependency ${d.name} restarted`);
      this.releaseOnPurpose(dep);
      this.restart(dep, 'dependency');
    }
  }

  /**
   * What the next instance takes over, as the state policy says: `resume`
   * the crashed instance's state as it is (a trap leaves the instance
   * there to read), `checkpoint` the last checkpoint. Nothing after a crash
   * in the entry point, or without a checkpoint: then it starts fresh.
   */
  private keep(d: Daemon): Carried | undefined {
    if (d.endedIn === 'main' || d.endedIn === undefined) return undefined;
    try {
      if (d.spec.manifest.state === 'resume') return d.ext.carry();
      if (d.spec.manifest.state === 'checkpoint' && d.checkpoint) return structuredClone(d.checkpoint.carried);
    } catch (e) {
      this.event(d.name, `its state could not be kept (${(e as Error).message}): it restarts fresh`);
    }
    return undefined;
  }

  /** a checkpoint of the extension's instance as it is now, between two calls, with the resources it owns */
  private checkpoint(ext: Extension): void {
    ext.checkpointWanted = false;
    const d = this.byId.get(ext.id);
    if (!d || d.ext !== ext || d.spec.manifest.state !== 'checkpoint') return;
    const records = this.host.env.records;
    const owned = new Set<string>();
    for (const kind of ['vm', 'vp', 'vps'] as const) {
      const t = records.table(kind);
      for (const id of t.allocated()) if (t.owner[id] === ext.id && t.state[id] === LIVE) owned.add(`${kind} ${id}`);
    }
    d.checkpoint = { carried: ext.carry(), owned };
    this.event(d.name, 'checkpoint taken');
  }

  /**
   * A resource's change, as the boundary's records made it: the supervisor's
   * record follows, and the ledger's interval with it — only for what
   * committed. A destroy whose outcome is unknown leaves the record in
   * Error and the interval open, until a start reconciles it.
   */
  private changed(c: ResourceChange): void {
    const resource = `${c.kind} ${c.id}`;
    const owner = this.byId.get(c.owner)?.name ?? `extension ${c.owner}`;
    if (c.to === 'free') this.resources.delete(resource);
    else this.resources.set(resource, { resource, kind: c.kind, id: c.id, ownerId: c.owner, owner, state: STATE_OF[c.to] });
    if (!this.ledger) return;
    if (c.to === 'live') this.ledger.open(resource, owner, this.starting && this.starting.restarts > 0 ? 'restart' : 'boot');
    // a microkernel that went down took what it held: that has committed, whatever the host asked of it
    else if (c.to === 'lost') this.ledger.close(resource, 'stop-crash');
    else if (c.to !== 'unknown') this.ledger.close(resource, this.releasing ?? 'destroy');
  }

  /** stops an extension on purpose: not judged by its policy; what it owns is released */
  stop(name: string): void {
    const d = this.daemon(name);
    if (d.state === 'Stopped' || d.state === 'Failed') return;
    this.enter(d, 'Stopping');
    this.releaseOnPurpose(d);
    d.restartAt = undefined;
    this.enter(d, 'Stopped');
    this.event(d.name, 'stopped');
  }

  /**
   * Starts a stopped or failed extension again — first reconciling the
   * records of what it owns with what the microkernel holds, so that a
   * resource a failed stop left in Error but alive is Running again, not
   * made a second time, and its ledger interval stays the one it had.
   */
  start(name: string): void {
    const d = this.daemon(name);
    this.reconcile(name);
    if (d.state !== 'Stopped' && d.state !== 'Failed') return;
    d.history = newHistory(this.now());
    this.restart(d, 'user');
  }

  /** the daemon's records in Error, made what the microkernel says they are; returns how many changed. Idempotent. */
  reconcile(name: string): number {
    const d = this.daemon(name);
    const records = this.host.env.records;
    const held = new Map<ResourceKind, ReturnType<Microkernel['resources']>>();
    let changed = 0;
    for (const r of [...this.resources.values()]) {
      if (r.ownerId !== d.ext.id || r.state !== 'Error') continue;
      if (!held.has(r.kind)) held.set(r.kind, this.host.mk.resources(r.kind));
      const now = held.get(r.kind)![r.id];
      const table = records.table(r.kind);
      changed++;
      if (now === 'live') table.revive(r.id);
      else if (now === 'free') table.free(r.id);
      else table.zombie(r.id);
      this.event(d.name, `${r.resource}: its record said Error; the microkernel holds it ${now}`);
    }
    return changed;
  }

  /**
   * The instance's AssemblyScript shadow stack pointer (exported by the
   * loader, when the module names it): its value, or set to `to`.
   */
  private stackPointer(d: Daemon, to?: number): GlobalValue | undefined {
    if (d.stackPointer === undefined) {
      // the module's name section, read once per daemon: every instance has the same globals
      const loaded = d.spec.loaded;
      const index = [...globalNames(loaded.module)].find(([, n]) => n === AS_STACK_POINTER)?.[0];
      d.stackPointer = loaded.stateGlobals.find((x) => x.index === index) ?? null;
    }
    const g = d.stackPointer;
    if (g === null || !d.ext.runner) return undefined;
    try {
      if (to === undefined) return d.ext.runner.readGlobals([g])[0];
      d.ext.runner.writeGlobals([g], [to]);
    } catch (e) {
      this.event(d.name, `its stack pointer could not be ${to === undefined ? 'read' : 'set'}: ${(e as Error).message}`);
    }
    return undefined;
  }

  private daemon(name: string): Daemon {
    const d = this.daemons.find((x) => x.name === name);
    if (!d) throw new Error(`supervisor: no extension named ${name}; there are ${this.daemons.map((x) => x.name).join(', ')}`);
    return d;
  }

  /** how long each of the daemon's restarts took, its backoff left out (ms) */
  restartLatencies(name: string): readonly number[] {
    return this.daemons.find((d) => d.name === name)?.latencies ?? [];
  }

  status(): StatusSnapshot {
    const order = { vm: 0, vp: 1, vps: 2 };
    const resources: ResourceStatus[] = [...this.resources.values()]
      .sort((a, b) => order[a.kind] - order[b.kind] || a.id - b.id)
      .map(({ resource, state, owner }) => ({ resource, state, owner }));
    return {
      at: this.now(),
      extensions: this.daemons.map((d) => ({
        name: d.name, state: d.state, since: d.since, restarts: d.restarts,
        ...(d.lastCrash ? { lastCrash: d.lastCrash } : {}),
        ...(d.restartAt !== undefined ? { restartAt: d.restartAt } : {}),
      })),
      resources,
      events: this.events.peek(),
    };
  }
}
