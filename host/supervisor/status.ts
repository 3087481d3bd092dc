// What `bfx status` shows, as data: each extension's supervision state,
// each resource's state and owner, and the recent events — with the text and
// JSON forms of it. Events go through a bounded queue, so that a flood of
// them costs a fixed amount of memory and says how much it lost.
import type { CrashClass } from './policy.js';

/**
 * Starting: its entry point is running; Running: it is waiting for
 * callbacks; Backoff: it crashed and waits for its restart; Stopping: it is
 * being stopped on purpose; Stopped: it ended and will not restart (clean
 * exit, or stopped by a user); Failed: it crashed and will not restart
 * (its policy said no, or it restarted more than its intensity allows).
 */
export const DAEMON_STATES = ['Starting', 'Running', 'Backoff', 'Stopping', 'Stopped', 'Failed'] as const;
export type DaemonState = (typeof DAEMON_STATES)[number];

/**
 * Creating: a create was sent and has not committed; Running: it exists and
 * computes; Stopped: it exists and does not run; Error: an operation failed
 * midway and the host does not know which state it left (reconciliation
 * asks the microkernel); Zombie: destroyed while in use, refused from then on.
 */
export const RESOURCE_STATES = ['Creating', 'Running', 'Stopped', 'Error', 'Zombie'] as const;
export type ResourceState = (typeof RESOURCE_STATES)[number];

export interface Crash {
  at: number;
  class: CrashClass;
  /** in words, as describeEnd() says it */
  cause: string;
}

export interface DaemonStatus {
  name: string;
  state: DaemonState;
  /** when it entered this state, on the supervisor's clock (ms) */
  since: number;
  /** restarts over its life */
  restarts: number;
  lastCrash?: Crash;
  /** in Backoff: when the restart is due */
  restartAt?: number;
}

export interface ResourceStatus {
  /** e.g. "vm 1", as the ledger names it */
  resource: string;
  state: ResourceState;
  /** the extension that created it */
  owner: string;
}

export interface StatusEvent {
  at: number;
  /** the extension or resource it is about */
  subject: string;
  text: string;
}

export interface QueueRead<T> {
  items: T[];
  /** how many older items were dropped to make room since the last read */
  dropped: number;
}

/** a queue that holds at most `capacity` items: a push to a full one drops the oldest, and counts it */
export class BoundedQueue<T> {
  private readonly ring: (T | undefined)[];
  private head = 0;
  private count = 0;
  private lost = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a bounded queue holds a whole number of items, at least 1, not ${capacity}`);
    this.ring = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.capacity) {
      // full: the oldest makes room
      this.ring[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
      this.lost++;
      return;
    }
    this.ring[(this.head + this.count) % this.capacity] = item;
    this.count++;
  }

  /** what it holds, oldest first, and how many were dropped; it keeps both */
  peek(): QueueRead<T> {
    const items: T[] = [];
    for (let i = 0; i < this.count; i++) items.push(this.ring[(this.head + i) % this.capacity] as T);
    return { items, dropped: this.lost };
  }

  /** what it holds and how many were dropped, then empties it and starts the count again */
  read(): QueueRead<T> {
    const r = this.peek();
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.lost = 0;
    return r;
  }
}

export interface StatusSnapshot {
  /** when it was taken (ms since the epoch): uptimes are counted to here */
  at: number;
  extensions: DaemonStatus[];
  resources: ResourceStatus[];
  events: QueueRead<StatusEvent>;
}

/** a duration for people: 850 ms, 12.3 s, 5 m 03 s, 2 h 05 m, 3 d 04 h */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  const whole = Math.floor(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} m ${pad(whole % 60)} s`;
  if (whole < 86400) return `${Math.floor(whole / 3600)} h ${pad(Math.floor(whole / 60) % 60)} m`;
  return `${Math.floor(whole / 86400)} d ${pad(Math.floor(whole / 3600) % 24)} h`;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** rows of cells as columns, each as wide as its widest cell, two spaces apart */
export function columns(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => `${indent}${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}`.trimEnd() + '\n').join('');
}

/** how long it has been up: only while Running, counted from when it got there */
function uptime(d: DaemonStatus, now: number): number | undefined {
  return d.state === 'Running' ? Math.max(0, now - d.since) : undefined;
}

/** the snapshot as JSON: times as ISO strings, uptimes in milliseconds */
export function statusJson(s: StatusSnapshot) {
  return {
    at: iso(s.at),
    extensions: s.extensions.map((d) => ({
      name: d.name,
      state: d.state,
      since: iso(d.since),
      uptimeMs: uptime(d, s.at) ?? null,
      restarts: d.restarts,
      lastCrash: d.lastCrash ? { at: iso(d.lastCrash.at), class: d.lastCrash.class, cause: d.lastCrash.cause } : null,
      restartAt: d.restartAt === undefined ? null : iso(d.restartAt),
    })),
    resources: s.resources.map((r) => ({ ...r })),
    events: { items: s.events.items.map((e) => ({ at: iso(e.at), subject: e.subject, text: e.text })), dropped: s.events.dropped },
  };
}

/** the snapshot for people: a table of extensions, one of resources, then the events */
export function formatStatus(s: StatusSnapshot): string {
  let out = `extensions (${s.extensions.length})\n`;
  if (s.extensions.length) {
    out += columns([
      ['NAME', 'STATE', 'RESTARTS', 'UPTIME', 'LAST CRASH'],
      ...s.extensions.map((d) => {
        const up = uptime(d, s.at);
        const state = d.state === 'Backoff' && d.restartAt !== undefined ? `Backoff (restart in ${formatDuration(Math.max(0, d.restartAt - s.at))})` : d.state;
        const crash = d.lastCrash ? `${iso(d.lastCrash.at)} ${d.lastCrash.cause}` : '-';
        return [d.name, state, String(d.restarts), up === undefined ? '-' : formatDuration(up), crash];
      }),
    ]);
  }
  out += `resources (${s.resources.length})\n`;
  if (s.resources.length) out += columns([['RESOURCE', 'STATE', 'OWNER'], ...s.resources.map((r) => [r.resource, r.state, r.owner])]);
  const { items, dropped } = s.events;
  out += `events (${items.length}${dropped ? `; ${dropped} older dropped` : ''})\n`;
  if (items.length) out += columns(items.map((e) => [iso(e.at), e.subject, e.text]));
  return out;
}
