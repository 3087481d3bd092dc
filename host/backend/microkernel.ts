// The interface every backend (sim today; remote next) gives the host.
// Syscalls are MicrokernelCalls, generated from abi/table.ts; the rest is
// what the host needs to drive physical processors and watch the kernel.
import type { MicrokernelCalls, SyscallName } from '../abi/bf.js';

export type Arch = 'amd' | 'intel';

export interface Limits {
  vms: number;
  vps: number;
  vpss: number;
  pps: number;
  pages: number;
}

/** what a microkernel says of itself when it comes up */
export interface Hello {
  /** e.g. "sim" */
  name: string;
  arch: Arch;
  limits: Limits;
}

/** what a physical processor did after the host resumed it */
export type GuestEvent =
  | { kind: 'exit'; ppid: number; vpsid: number; reason: bigint }
  /** the guest halted with nothing to wake it */
  | { kind: 'halt'; ppid: number; vpsid: number }
  /** the guest reset the processor (a triple fault nobody intercepted) */
  | { kind: 'shutdown'; ppid: number; vpsid: number; why: string }
  /** a promoted guest ran to its end without a hypervisor */
  | { kind: 'promoted'; ppid: number; vpsid: number };

export type ResourceKind = 'vm' | 'vp' | 'vps';

/** a VM, VP or VPS as the kernel holds it */
export type SlotState = 'free' | 'live' | 'zombie';

/** the IDs that are not free, from resources(): what allocated() answers */
export function allocatedOf(states: readonly SlotState[]): number[] {
  return states.flatMap((st, id) => (st !== 'free' ? [id] : []));
}

/**
 * An answer that came after the host had given up waiting for it (the
 * caller got FAILURE_UNKNOWN): for a syscall, what it was and what the
 * microkernel answered; for anything else, only what the request was.
 */
export interface LateAnswer {
  /** the request's message name and seq, e.g. "SYSCALL 12" */
  request: string;
  syscall?: SyscallName;
  /** the syscall's registers as sent, REG0..REG5 */
  regs?: bigint[];
  status?: bigint;
  /** REG0..REG5 as answered */
  out?: bigint[];
  /** it answers no request the host was waiting for: never sent, or answered already */
  unsolicited?: boolean;
}

/**
 * How a microkernel the host can lose is: active; down (gone: every call
 * fails until it is back); failed (its restart policy gave up). epoch counts
 * the times it went down.
 */
export interface KernelHealth {
  state: 'active' | 'down' | 'failed';
  epoch: number;
  /** times it came back */
  restarts: number;
  why?: string;
}

export interface Microkernel extends MicrokernelCalls {
  readonly hello: Hello;
  /** the physical processor the syscalls that follow execute on */
  setCurrentPp(ppid: number): void;
  /** whether the kernel implements a syscall; the boundary answers FAILURE_UNSUPPORTED for those it lacks */
  supports(name: SyscallName): boolean;
  /**
   * Enters the guest of ppid after a callback asked for run or promote, and
   * returns when the processor next needs the host.
   */
  resume(ppid: number): GuestEvent;
  /**
   * resume() without blocking the thread while the guest runs, for a
   * backend whose guest runs elsewhere (an emulator): the event loop goes
   * on meanwhile. Backends without it are resumed with resume().
   */
  resumeAsync?(ppid: number): Promise<GuestEvent>;
  /**
   * CPUID as the current processor answers it natively. Bareflank's
   * extensions execute CPUID themselves in ring 3; a WebAssembly extension
   * cannot, so the host asks the microkernel (the bfx.cpuid service).
   */
  cpuid(leaf: number, subleaf: number): [number, number, number, number];
  /** the IDs of one kind that are allocated (live or zombie), for reconciling after a fault */
  allocated(kind: ResourceKind): number[];
  /** every ID of one kind as the kernel holds it, by ID: what a supervisor reconciles its records with */
  resources(kind: ResourceKind): SlotState[];
  /** the kernel's whole state as bytes: equal bytes, equal state */
  snapshot(): Uint8Array;
  /**
   * Lets the kernel see a page of extension memory by its physical address
   * (bitmaps the guest's intercepts name live there), or forget it (bytes undefined).
   */
  mapPage(phys: bigint, bytes: Uint8Array | undefined): void;
  /** where answers that came too late go (a backend whose answers can), to be settled by the host */
  onLate?(listener: (a: LateAnswer) => void): void;
  /** how it is, for a backend that can lose its microkernel (a real one); an in-process one is always active */
  health?(): KernelHealth;
  /** brings a down microkernel back by its restart policy: true once it is active again, false when the policy gave up */
  recover?(stop?: AbortSignal): Promise<boolean>;
  /** where the kernel's debug output (dumps) and the guests' consoles go */
  onOutput(sink: (line: OutputLine) => void): void;
  close(): void;
}

export interface OutputLine {
  source: 'kernel' | 'guest';
  ppid: number;
  text: string;
}
