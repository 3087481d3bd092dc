// The ledger: an append-only file of JSON lines, one per start or stop of a
// resource's compute, so that how long each VM ran, for whom and why it
// stopped can be read back after the fact, even after the host restarted.
// The caller writes an entry only after the operation it records has
// committed; each entry is on disk (in the kernel's hands) when open() or
// close() returns. A resource has at most one open interval: opening it
// again is a no-op, which is what lets reconciliation repeat safely.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export const OPEN_REASONS = ['boot', 'restart'] as const;
export const CLOSE_REASONS = ['stop-user', 'stop-crash', 'destroy'] as const;
/** boot: first start of the resource; restart: started again, by its owner's restart or a reconciliation */
export type OpenReason = (typeof OPEN_REASONS)[number];
/** stop-user: its owner was stopped on purpose; stop-crash: its owner crashed; destroy: the resource is gone */
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** one line of the ledger; t is milliseconds on the supervisor's clock (wall time since the epoch in the host) */
export type LedgerEntry =
  | { t: number; op: 'open'; resource: string; owner: string; reason: OpenReason }
  | { t: number; op: 'close'; resource: string; owner: string; reason: CloseReason };

export interface OpenInterval {
  resource: string;
  owner: string;
  since: number;
  reason: OpenReason;
}

export class LedgerError extends Error {
  constructor(readonly file: string, readonly line: number, readonly problem: string) {
    super(`ledger ${file}:${line}: ${problem}`);
  }
}

function entryFrom(v: unknown): LedgerEntry | string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'is not a JSON object';
  const o = v as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !['t', 'op', 'resource', 'owner', 'reason'].includes(k));
  if (extra.length) return `has unknown field${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`;
  if (typeof o.t !== 'number' || !Number.isFinite(o.t)) return `"t" must be a time in milliseconds, not ${JSON.stringify(o.t)}`;
  if (typeof o.resource !== 'string' || !o.resource) return `"resource" must be a non-empty string, not ${JSON.stringify(o.resource)}`;
  if (typeof o.owner !== 'string' || !o.owner) return `"owner" must be a non-empty string, not ${JSON.stringify(o.owner)}`;
  if (o.op === 'open') {
    if (!OPEN_REASONS.includes(o.reason as OpenReason)) return `an open's "reason" must be one of ${OPEN_REASONS.join(', ')}, not ${JSON.stringify(o.reason)}`;
  } else if (o.op === 'close') {
    if (!CLOSE_REASONS.includes(o.reason as CloseReason)) return `a close's "reason" must be one of ${CLOSE_REASONS.join(', ')}, not ${JSON.stringify(o.reason)}`;
  } else return `"op" must be open or close, not ${JSON.stringify(o.op)}`;
  return o as LedgerEntry;
}

/**
 * The entries of a ledger file, checked line by line: each is a JSON object
 * of the right shape, a resource is opened only when it is not open, and
 * closed only when it is, by the owner that opened it.
 */
export function readLedger(file: string): LedgerEntry[] {
  return entriesOf(readFileSync(file, 'utf8'), file);
}

function entriesOf(text: string, file: string): LedgerEntry[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const entries: LedgerEntry[] = [];
  const open = new Map<string, OpenInterval>();
  lines.forEach((line, i) => {
    const fail = (problem: string) => new LedgerError(file, i + 1, problem);
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw fail(`not a JSON line: ${(e as Error).message}`);
    }
    const e = entryFrom(json);
    if (typeof e === 'string') throw fail(e);
    const was = open.get(e.resource);
    if (e.op === 'open') {
      if (was) throw fail(`opens ${e.resource}, whose interval is already open (since ${new Date(was.since).toISOString()}, for ${was.owner})`);
      open.set(e.resource, { resource: e.resource, owner: e.owner, since: e.t, reason: e.reason });
    } else {
      if (!was) throw fail(`closes ${e.resource}, which has no open interval`);
      if (was.owner !== e.owner) throw fail(`closes ${e.resource} for ${e.owner}, but ${was.owner} opened it`);
      open.delete(e.resource);
    }
    entries.push(e);
  });
  return entries;
}

export interface ResourceTotal {
  resource: string;
  owner: string;
  intervals: number;
  /** time inside its intervals, an open one counted to `now` */
  totalMs: number;
  /** how its closed intervals ended */
  closed: Record<CloseReason, number>;
  open?: { since: number; reason: OpenReason };
}

export interface OwnerTotal {
  owner: string;
  resources: number;
  intervals: number;
  totalMs: number;
  open: number;
}

export interface LedgerSummary {
  entries: number;
  /** the earliest and latest entry's times; undefined for an empty ledger */
  from?: number;
  to?: number;
  /** at which time the open intervals were counted to */
  now: number;
  /** per resource and owner (a resource's ID can serve several owners in turn), in order of first appearance */
  resources: ResourceTotal[];
  owners: OwnerTotal[];
  open: OpenInterval[];
}

/** totals per resource and owner, and per owner; intervals still open count until `now` */
export function summarise(entries: readonly LedgerEntry[], now: number): LedgerSummary {
  const totals = new Map<string, ResourceTotal>();
  const current = new Map<string, { key: string; since: number; reason: OpenReason }>();
  for (const e of entries) {
    const key = JSON.stringify([e.resource, e.owner]);
    let r = totals.get(key);
    if (!r) totals.set(key, (r = { resource: e.resource, owner: e.owner, intervals: 0, totalMs: 0, closed: { 'stop-user': 0, 'stop-crash': 0, destroy: 0 } }));
    if (e.op === 'open') {
      r.intervals++;
      current.set(e.resource, { key, since: e.t, reason: e.reason });
    } else {
      const o = current.get(e.resource);
      // a clock set back must not make time negative
      if (o) r.totalMs += Math.max(0, e.t - o.since);
      r.closed[e.reason]++;
      current.delete(e.resource);
    }
  }
  const open: OpenInterval[] = [];
  for (const [resource, o] of current) {
    const r = totals.get(o.key)!;
    r.totalMs += Math.max(0, now - o.since);
    r.open = { since: o.since, reason: o.reason };
    open.push({ resource, owner: r.owner, since: o.since, reason: o.reason });
  }
  const owners = new Map<string, OwnerTotal>();
  for (const r of totals.values()) {
    let o = owners.get(r.owner);
    if (!o) owners.set(r.owner, (o = { owner: r.owner, resources: 0, intervals: 0, totalMs: 0, open: 0 }));
    o.resources++;
    o.intervals += r.intervals;
    o.totalMs += r.totalMs;
    if (r.open) o.open++;
  }
  return {
    entries: entries.length,
    // a loop, not Math.min(...): a long ledger has more entries than a call has room for arguments
    ...(entries.length && { from: entries.reduce((m, e) => Math.min(m, e.t), Infinity), to: entries.reduce((m, e) => Math.max(m, e.t), -Infinity) }),
    now,
    resources: [...totals.values()],
    owners: [...owners.values()],
    open,
  };
}

/** a ledger file being written; one per host */
export class Ledger {
  private readonly live = new Map<string, OpenInterval>();
  /** the file's last line lacks its newline: the next entry starts a new line first */
  private unterminated = false;

  /** reads what the file already holds, so that a restarted host knows which intervals are open */
  constructor(readonly file: string, private readonly clock: () => number) {
    if (!existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    for (const e of entriesOf(text, file)) {
      if (e.op === 'open') this.live.set(e.resource, { resource: e.resource, owner: e.owner, since: e.t, reason: e.reason });
      else this.live.delete(e.resource);
    }
    this.unterminated = text.length > 0 && !text.endsWith('\n');
  }

  private append(e: LedgerEntry): void {
    appendFileSync(this.file, `${this.unterminated ? '\n' : ''}${JSON.stringify(e)}\n`);
    this.unterminated = false;
  }

  /** starts the resource's interval; false, writing nothing, when one is open already */
  open(resource: string, owner: string, reason: OpenReason): boolean {
    if (!resource || !owner) throw new Error(`ledger ${this.file}: open needs a resource and an owner, not ${JSON.stringify(resource)} and ${JSON.stringify(owner)}`);
    if (!OPEN_REASONS.includes(reason)) throw new Error(`ledger ${this.file}: an interval opens for ${OPEN_REASONS.join(' or ')}, not ${JSON.stringify(reason)}`);
    if (this.live.has(resource)) return false;
    const t = this.clock();
    this.append({ t, op: 'open', resource, owner, reason });
    this.live.set(resource, { resource, owner, since: t, reason });
    return true;
  }

  /** ends the resource's interval; false, writing nothing, when none is open */
  close(resource: string, reason: CloseReason): boolean {
    if (!CLOSE_REASONS.includes(reason)) throw new Error(`ledger ${this.file}: an interval closes for ${CLOSE_REASONS.join(', ')}, not ${JSON.stringify(reason)}`);
    const o = this.live.get(resource);
    if (!o) return false;
    this.append({ t: this.clock(), op: 'close', resource, owner: o.owner, reason });
    this.live.delete(resource);
    return true;
  }

  isOpen(resource: string): boolean {
    return this.live.has(resource);
  }

  /** the intervals open now, oldest first */
  openIntervals(): OpenInterval[] {
    return [...this.live.values()];
  }

  /** the whole file's summary, open intervals counted to now */
  summarise(): LedgerSummary {
    return summarise(existsSync(this.file) ? readLedger(this.file) : [], this.clock());
  }
}
