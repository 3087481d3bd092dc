// What a run did, as data (for --json and tests) and as text (for people).
import { exitReasonName } from '../abi/exits.js';
import type { Arch, KernelHealth } from '../backend/microkernel.js';
import { LIVE, ZOMBIE } from '../boundary/records.js';
import { describeFault, type Fault } from '../sandbox/trap.js';
import type { ExtensionState } from '../sandbox/extension.js';
import type { Host, PpStatus } from './host.js';

export interface ExtensionReport {
  name: string;
  state: ExtensionState;
  faults: { where: string; ppid: number; fault: Fault; text: string }[];
  /** syscalls made, by name */
  syscalls: Record<string, number>;
  /** VM exits delivered, by exit-reason name */
  exits: Record<string, number>;
}

export interface RunReport {
  /** nothing failed: no fault, no processor stopped or shut down, no limit reached */
  ok: boolean;
  backend: string;
  arch: Arch;
  durationMs: number;
  limit?: string;
  pps: PpStatus[];
  extensions: ExtensionReport[];
  /** all VM exits, by exit-reason name */
  exits: Record<string, number>;
  resources: Record<'vm' | 'vp' | 'vps', { live: number; zombie: number }>;
  audit: { records: { kind: string; extension: string; syscall?: string; message: string }[]; dropped: number };
  /** how the emulator the microkernel ran in ended, for a remote target */
  emulator?: EmulatorReport;
  /** for a microkernel the host can lose: how often it went down and came back, and how it is now */
  kernel?: KernelHealth;
}

export interface EmulatorReport {
  /** pass: it ended as the host asked; anything else is a failure of the run */
  verdict: string;
  code?: number;
  accel: string;
  /** the serial log kept when it did not pass */
  log?: string;
}

/** adds how the emulator ended: one that did not end as asked fails the run */
export function withEmulator(r: RunReport, e: EmulatorReport): RunReport {
  return { ...r, ok: r.ok && e.verdict === 'pass', emulator: e };
}

export function report(host: Host, durationMs: number): RunReport {
  const arch = host.mk.hello.arch;
  const exits: Record<string, number> = {};
  const extensions = host.extensions.map((ext): ExtensionReport => {
    const mine: Record<string, number> = {};
    for (const [reason, n] of ext.exits) {
      const name = exitReasonName(arch, reason);
      mine[name] = n;
      exits[name] = (exits[name] ?? 0) + n;
    }
    return {
      name: ext.name,
      state: ext.state,
      faults: ext.faults.map((f) => ({ ...f, text: describeFault(f.fault) })),
      syscalls: ext.callCounts(),
      exits: mine,
    };
  });
  const { records, audit } = host.env;
  const count = (t: typeof records.vm) => ({ live: t.count(LIVE), zombie: t.count(ZOMBIE) });
  const kernel = host.mk.health?.();
  // a microkernel that went down failed the run, even when it came back
  const ok = !host.limit && (kernel === undefined || kernel.epoch === 0)
    && extensions.every((e) => e.faults.length === 0)
    && host.pps.every((p) => p.state !== 'stopped' && p.state !== 'shutdown' && p.state !== 'limit');
  return {
    ok,
    backend: host.mk.hello.name,
    arch,
    durationMs: Math.round(durationMs * 10) / 10,
    ...(host.limit ? { limit: host.limit } : {}),
    pps: host.pps.map((p) => ({ ...p })),
    extensions,
    exits,
    resources: { vm: count(records.vm), vp: count(records.vp), vps: count(records.vps) },
    audit: { records: audit.records.map(({ kind, extension, syscall, message }) => ({ kind, extension, syscall, message })), dropped: audit.dropped },
    ...(kernel ? { kernel } : {}),
  };
}

function counts(c: Record<string, number>): string {
  return Object.entries(c).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join(', ');
}

function ppLine(p: PpStatus): string {
  const exits = `${p.exits} exit${p.exits === 1 ? '' : 's'}`;
  switch (p.state) {
    case 'idle': return `pp${p.ppid}: idle (no guest was run)`;
    case 'running': return `pp${p.ppid}: running, ${exits}`;
    case 'halted': return `pp${p.ppid}: guest halted after ${exits}`;
    case 'promoted': return `pp${p.ppid}: guest promoted, ran on without a hypervisor, after ${exits}`;
    case 'shutdown': return `pp${p.ppid}: guest shut down (${p.why}) after ${exits}`;
    case 'stopped': return `pp${p.ppid}: stopped after ${exits}: ${p.why}`;
    case 'limit': return `pp${p.ppid}: still running after ${exits} when the run hit its limit`;
  }
}

export function renderReport(r: RunReport): string {
  const L: string[] = [];
  L.push(`── summary: ${r.ok ? 'ok' : 'FAILED'} ── ${r.backend} (${r.arch}, ${r.pps.length} pp${r.pps.length === 1 ? '' : 's'}), ${r.durationMs} ms`);
  for (const p of r.pps) L.push(`  ${ppLine(p)}`);
  for (const e of r.extensions) {
    const total = Object.values(e.syscalls).reduce((a, b) => a + b, 0);
    L.push(`  ${e.name}: ${e.state}; ${total} syscall${total === 1 ? '' : 's'}${Object.keys(e.exits).length ? `; exits handled: ${counts(e.exits)}` : ''}`);
    if (total) L.push(`    syscalls: ${counts(e.syscalls)}`);
    for (const f of e.faults) L.push(`    fault in ${f.where}${f.where === 'main' || f.where === 'start' ? '' : ` on pp${f.ppid}`}: ${f.text}`);
  }
  const noun = { vm: ['VM', 'VMs'], vp: ['VP', 'VPs'], vps: ['VPS', 'VPSs'] } as const;
  const res = (Object.keys(noun) as (keyof typeof noun)[])
    .map((k) => `${r.resources[k].live} ${noun[k][r.resources[k].live === 1 ? 0 : 1]}${r.resources[k].zombie ? ` (+${r.resources[k].zombie} zombie)` : ''}`)
    .join(', ');
  L.push(`  resources left: ${res}`);
  if (r.limit) L.push(`  ${r.limit}`);
  if (r.kernel && r.kernel.epoch > 0) {
    const k = r.kernel;
    L.push(`  microkernel: went down ${k.epoch} time${k.epoch === 1 ? '' : 's'}, came back ${k.restarts}; ${k.state === 'active' ? 'up at the end' : `${k.state === 'failed' ? 'given up' : 'down'} at the end: ${k.why}`}`);
  }
  if (r.emulator) {
    const e = r.emulator;
    L.push(`  emulator (${e.accel}): ${e.verdict === 'pass' ? 'ended when the host said bye' : `ended ${e.verdict}${e.code !== undefined ? ` (code ${e.code})` : ''}`}${e.log ? `; serial log kept in ${e.log}` : ''}`);
  }
  if (r.audit.records.length) {
    L.push(`  audit: ${r.audit.records.length} record${r.audit.records.length === 1 ? '' : 's'}${r.audit.dropped ? ` (${r.audit.dropped} older dropped)` : ''}`);
    for (const a of r.audit.records.slice(-5)) L.push(`    ${a.kind}${a.syscall ? ` in ${a.syscall}` : ''}: ${a.message.split('\n')[0]}`);
  }
  return L.join('\n');
}
