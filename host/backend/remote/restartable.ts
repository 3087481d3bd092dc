// A microkernel the host can lose and bring back. The link to a real one
// crosses a trust boundary: QEMU can exit, the connection can drop, the
// firmware can fail. Then the microkernel is Down: the call in flight, and
// every call after it, fails (the boundary answers FAILURE_UNKNOWN), and the
// host restarts the image by a restart policy — the supervisor's own rules,
// intensity and backoff — and takes its hello again. Handles the
// extensions hold stay valid: an extension holds a handle the host issued,
// never the microkernel's own; each is opened again on the new microkernel,
// and calls carry the one it knows in its place.
import { BF_STATUS_SUCCESS, BF_SPEC_ID1_VAL, BF_SYSCALLS, type MicrokernelCalls, type SyscallInfo } from '../../abi/bf.js';
import { decide, DEFAULT_RESTART, newHistory, started, type RestartHistory, type RestartSpec } from '../../supervisor/policy.js';
import type { GuestEvent, Hello, KernelHealth, LateAnswer, Microkernel, OutputLine, ResourceKind, SlotState } from '../microkernel.js';
import { LinkError } from './link.js';
import type { Remote } from './remote.js';

/** a microkernel that is Down: nothing it held can be reached until it is back */
export class KernelDown extends Error {}

/** what the host does to have a microkernel: boot one, and how to end it */
export interface KernelBoot {
  remote: Remote;
  /** ends it (a dead one is only waited for) */
  end(): Promise<void>;
}

/** the firmware's pools may not shrink across a restart: the host's records were sized by the first hello */
function sameLimits(a: Hello, b: Hello): boolean {
  return a.arch === b.arch && (['vms', 'vps', 'vpss', 'pps', 'pages'] as const).every((k) => b.limits[k] >= a.limits[k]);
}

/**
 * Whether an error says the microkernel is gone: the link itself failed
 * (closed, a FAIL frame, bytes that are no frame). A timeout (slow), a
 * refused frame, or an answer whose content is wrong fail one request only.
 */
export function isDeath(e: unknown, link: Remote['link']): boolean {
  return e instanceof LinkError && link.failed !== undefined;
}

// the syscall methods are made in the constructor, one per kernel syscall of the table
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RestartableRemote<B extends KernelBoot = KernelBoot> extends MicrokernelCalls {}

/** consecutive requests given up on after which a heartbeat asks whether the microkernel is there at all */
export const SILENT_REQUESTS = 3;

export class RestartableRemote<B extends KernelBoot = KernelBoot> implements Microkernel {
  readonly hello: Hello;
  readonly out = new BigUint64Array(6);
  private kernel: B;
  private state: KernelHealth['state'] = 'active';
  private why: string | undefined;
  private epoch = 0;
  private restarts = 0;
  private history: RestartHistory;
  /** each handle an extension opened, by the value the host issued it, and the value the microkernel now knows it by */
  private readonly handles = new Map<bigint, bigint>();
  /**
   * The host's handle values: in a range of their own (from 2^46, far past
   * the microkernel's small ones, and short of the sign bit, as WebAssembly
   * passes an i64 signed), so that none is ever taken for one of the
   * microkernel's, and none is issued twice.
   */
  private nextHandle = 0x4000_0000_0001n;
  private pp = 0;
  /** requests given up on since the microkernel last answered one */
  private silent = 0;
  private sink: (line: OutputLine) => void = () => {};
  private lateListener: (a: LateAnswer) => void = () => {};

  constructor(first: B, private readonly boot: () => Promise<B>, private readonly spec: RestartSpec = DEFAULT_RESTART,
    private readonly now: () => number = Date.now, private readonly sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms))) {
    this.kernel = first;
    this.hello = first.remote.hello;
    this.history = newHistory(now());
    for (const s of BF_SYSCALLS) {
      if (s.where !== 'kernel') continue;
      (this as unknown as Record<string, unknown>)[s.name] = (...args: (number | bigint)[]) => this.syscall(s, args);
    }
  }

  /** the Remote of the microkernel up now (tests reach its link and session through it) */
  get remote(): Remote {
    return this.kernel.remote;
  }

  /** the microkernel up now (or the last one, when it is down), as it was booted */
  get current(): B {
    return this.kernel;
  }

  health(): KernelHealth {
    return { state: this.state, epoch: this.epoch, restarts: this.restarts, ...(this.why ? { why: this.why } : {}) };
  }

  /** runs fn on the microkernel up now; a death on the way makes it Down */
  private use<T>(fn: (r: Remote) => T): T {
    if (this.state !== 'active') throw new KernelDown(`the microkernel is ${this.state === 'down' ? 'down' : 'gone for good'}: ${this.why}`);
    try {
      const out = fn(this.kernel.remote);
      this.silent = 0;
      return out;
    } catch (e) {
      this.failed(e);
      throw e;
    }
  }

  /**
   * What an error says of the microkernel: a dead link, it is Down. Slow is
   * not dead, but silence is: after SILENT_REQUESTS requests in a row went
   * unanswered, a heartbeat asks; when that goes unanswered too, it is Down.
   */
  private failed(e: unknown): void {
    const link = this.kernel.remote.link;
    if (isDeath(e, link)) {
      this.lost((e as Error).message);
      return;
    }
    if (!(e instanceof LinkError) || e.problem !== 'TIMEOUT' || ++this.silent < SILENT_REQUESTS) return;
    this.silent = 0;
    try {
      this.kernel.remote.heartbeat();
    } catch (h) {
      if (h instanceof LinkError) this.lost(`it stopped answering: ${SILENT_REQUESTS} requests in a row and a heartbeat went unanswered (${h.message})`);
    }
  }

  private lost(why: string): void {
    if (this.state !== 'active') return;
    // nothing more is sent to it, and ending it does not wait for it to say bye
    this.kernel.remote.link.giveUp(why);
    this.state = 'down';
    this.why = why;
    this.epoch++;
  }

  private syscall(s: SyscallInfo, args: (number | bigint)[]): bigint {
    return this.use((r) => {
      const a = args.slice();
      // the handle the extension holds, as the microkernel up now knows it
      if (s.inputs[0]?.role === 'handle' && typeof a[0] === 'bigint') a[0] = this.handles.get(a[0]) ?? a[0];
      const status = (r as unknown as Record<string, (...x: (number | bigint)[]) => bigint>)[s.name](...a);
      this.out.set(r.out);
      if (status === BF_STATUS_SUCCESS && s.name === 'bf_handle_op_open_handle') {
        const issued = this.nextHandle++;
        this.handles.set(issued, this.out[0]);
        this.out[0] = issued;
      }
      if (status === BF_STATUS_SUCCESS && s.name === 'bf_handle_op_close_handle' && typeof args[0] === 'bigint') this.handles.delete(args[0]);
      return status;
    });
  }

  /**
   * Brings a Down microkernel back, as the restart policy says: waits its
   * backoff, boots a new one, opens every handle again. Resolves true when
   * it is active, false when the policy gives up (it is then gone for good).
   */
  async recover(stop?: AbortSignal): Promise<boolean> {
    while (this.state === 'down') {
      if (stop?.aborted) return false;
      const t = this.now();
      const { decision, history } = decide(this.spec, { kind: 'host-fault', message: this.why ?? 'down' }, this.history, t);
      this.history = history;
      if (decision.action !== 'restart') {
        this.state = 'failed';
        this.why = `${this.why}; not restarted: ${decision.reason}`;
        await this.kernel.end().catch(() => {});
        return false;
      }
      await this.kernel.end().catch(() => {});
      if (decision.delayMs > 0) {
        // an interrupt cuts the backoff short
        await Promise.race([this.sleep(decision.delayMs), new Promise<void>((ok) => stop?.addEventListener('abort', () => ok(), { once: true }))]);
        if (stop?.aborted) return false;
      }
      let next: B;
      try {
        next = await this.boot();
      } catch (e) {
        this.why = `it did not come back: ${(e as Error).message}`;
        continue;
      }
      if (!sameLimits(this.hello, next.remote.hello)) {
        this.why = `it came back as another microkernel (${next.remote.hello.name}, ${next.remote.hello.arch}, pools ${JSON.stringify(next.remote.hello.limits)})`;
        this.kernel = next;
        continue;
      }
      this.kernel = next;
      next.remote.onOutput(this.sink);
      next.remote.onLate(this.lateListener);
      next.remote.setCurrentPp(this.pp);
      try {
        for (const held of this.handles.keys()) {
          if (next.remote.bf_handle_op_open_handle(BF_SPEC_ID1_VAL) !== BF_STATUS_SUCCESS) throw new Error('it refused to open a handle');
          this.handles.set(held, next.remote.out[0]);
        }
      } catch (e) {
        this.why = `it came back, but ${(e as Error).message}`;
        continue;
      }
      this.restarts++;
      this.history = started(this.history, this.now());
      this.state = 'active';
      this.why = undefined;
    }
    return this.state === 'active';
  }

  // ---- the rest of Microkernel, on the microkernel up now ----

  setCurrentPp(ppid: number): void {
    this.pp = ppid;
    this.kernel.remote.setCurrentPp(ppid);
  }

  supports(name: Parameters<Microkernel['supports']>[0]): boolean {
    return this.kernel.remote.supports(name);
  }

  onOutput(sink: (line: OutputLine) => void): void {
    this.sink = sink;
    this.kernel.remote.onOutput(sink);
  }

  onLate(listener: (a: LateAnswer) => void): void {
    this.lateListener = listener;
    this.kernel.remote.onLate(listener);
  }

  resume(ppid: number): GuestEvent {
    return this.use((r) => r.resume(ppid));
  }

  async resumeAsync(ppid: number): Promise<GuestEvent> {
    if (this.state !== 'active') throw new KernelDown(`the microkernel is down: ${this.why}`);
    try {
      const out = await this.kernel.remote.resumeAsync(ppid);
      this.silent = 0;
      return out;
    } catch (e) {
      this.failed(e);
      throw e;
    }
  }

  cpuid(leaf: number, subleaf: number): [number, number, number, number] {
    return this.use((r) => r.cpuid(leaf, subleaf));
  }

  allocated(kind: ResourceKind): number[] {
    return this.use((r) => r.allocated(kind));
  }

  resources(kind: ResourceKind): SlotState[] {
    return this.use((r) => r.resources(kind));
  }

  snapshot(): Uint8Array {
    return this.use((r) => r.snapshot());
  }

  /** the microkernel up now settles the answers that come late (Remote.settle) */
  settle(graceMs?: number): void {
    if (this.state === 'active') this.use((r) => r.settle(graceMs));
  }

  mapPage(phys: bigint, bytes: Uint8Array | undefined): void {
    this.kernel.remote.mapPage(phys, bytes);
  }

  close(): void {
    this.kernel.remote.close();
  }

  /** ends the microkernel up now */
  end(): Promise<void> {
    return this.kernel.end();
  }
}
