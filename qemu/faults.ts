// Faults on the wire, for real: the proxy (qemu/proxy.ts) between QEMU and
// the host, started as a process of its own and told what to do to which
// frames. With QEMU itself killed (SIGKILL) or stalled (SIGSTOP) by the
// tests, this is how the host's contract with an untrusted microkernel is
// shown to hold (docs/untrusted-microkernel.md).
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../host/paths.js';

export const FAULT_ACTIONS = ['drop', 'delay', 'duplicate', 'reorder', 'truncate', 'corrupt', 'rewrite'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

/**
 * What to do to which frames. Frames of one direction (up: firmware to
 * host; down: host to firmware), of one message type if given, are counted;
 * after `after` of them, the next `times` (default 1) get the action.
 */
export interface FaultRule {
  dir: 'up' | 'down';
  type?: number;
  /** only SYSCALL frames (down) of this RAX, or the answers to them (up), in hex: one syscall's traffic */
  rax?: string;
  after?: number;
  times?: number;
  action: FaultAction;
  /** delay: how long, in ms (default 100) */
  ms?: number;
  /** truncate: the bytes of the frame kept (default its header only) */
  keep?: number;
  /** corrupt: the payload byte flipped; rewrite: where in the payload the bytes go (default 0) */
  at?: number;
  /** rewrite: the bytes written; the CRC is made right again */
  bytes?: number[];
}

export type ProxyMessage =
  | { kind: 'start'; listen: string; connect: string }
  | { kind: 'rules'; rules: FaultRule[] };

export interface ProxyReport {
  kind: 'report';
  /** faults injected, by action */
  injected: Record<string, number>;
  /** frames seen each way */
  frames: { up: number; down: number };
}

const PROGRAM = join(ROOT, 'dist', 'qemu', 'proxy.js');

/** the proxy process, as the host's side of a test drives it */
export class FaultProxy {
  private last: ProxyReport = { kind: 'report', injected: {}, frames: { up: 0, down: 0 } };

  private constructor(private readonly child: ChildProcess) {
    // the proxy reports each fault as it injects it
    child.on('message', (m: ProxyReport) => {
      if (m.kind === 'report') this.last = m;
    });
  }

  /** a proxy listening on `listen` for QEMU, which passes what comes to the host's socket at `connect` */
  static async start(listen: string, connect: string, rules: FaultRule[] = []): Promise<FaultProxy> {
    if (!existsSync(PROGRAM)) throw new Error(`the fault proxy is not built (${PROGRAM}): run npm run build`);
    const child = fork(PROGRAM, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const p = new FaultProxy(child);
    await new Promise<void>((ok, fail) => {
      child.once('message', (m: { kind: string; message?: string }) => (m.kind === 'listening' ? ok() : fail(new Error(m.message))));
      child.once('exit', (code) => fail(new Error(`the fault proxy ended (status ${code}) before it listened`)));
      child.send({ kind: 'rules', rules } satisfies ProxyMessage);
      child.send({ kind: 'start', listen, connect } satisfies ProxyMessage);
    });
    child.removeAllListeners('exit');
    return p;
  }

  /** the rules from now on, in place of the ones before (their counts start again) */
  rules(rules: FaultRule[]): void {
    if (this.child.connected) this.child.send({ kind: 'rules', rules } satisfies ProxyMessage);
  }

  /** what it has injected (as of its last report), and the frames it had seen then */
  report(): ProxyReport {
    return this.last;
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
    this.child.kill();
  }
}
