// The data behind bfx status: the bounded event queue that counts what it
// dropped, durations for people, and the snapshot as text and as JSON.
import { describe, expect, it } from 'vitest';
import { BoundedQueue, formatDuration, formatStatus, statusJson, type StatusSnapshot } from '../../host/supervisor/status.js';

describe('a bounded queue', () => {
  it('holds up to its capacity, oldest first, dropping nothing', () => {
    const q = new BoundedQueue<number>(3);
    q.push(1);
    q.push(2);
    expect(q.size).toBe(2);
    expect(q.peek()).toEqual({ items: [1, 2], dropped: 0 });
  });

  it('full: a push drops the oldest and counts it; a read reports the count', () => {
    const q = new BoundedQueue<number>(3);
    for (let i = 1; i <= 10; i++) q.push(i);
    expect(q.size).toBe(3);
    expect(q.read()).toEqual({ items: [8, 9, 10], dropped: 7 });
  });

  it('a read empties it and starts the count again; a peek keeps both', () => {
    const q = new BoundedQueue<string>(2);
    for (const s of ['a', 'b', 'c']) q.push(s);
    expect(q.peek()).toEqual({ items: ['b', 'c'], dropped: 1 });
    expect(q.peek()).toEqual({ items: ['b', 'c'], dropped: 1 });
    expect(q.read()).toEqual({ items: ['b', 'c'], dropped: 1 });
    expect(q.read()).toEqual({ items: [], dropped: 0 });
    q.push('d');
    expect(q.read()).toEqual({ items: ['d'], dropped: 0 });
  });

  it('wraps round its ring many times over without losing order', () => {
    const q = new BoundedQueue<number>(4);
    for (let i = 0; i < 1003; i++) q.push(i);
    expect(q.read()).toEqual({ items: [999, 1000, 1001, 1002], dropped: 999 });
  });

  it('a capacity of one keeps the newest', () => {
    const q = new BoundedQueue<number>(1);
    q.push(1);
    q.push(2);
    expect(q.read()).toEqual({ items: [2], dropped: 1 });
  });

  it('a capacity that is not a whole number of at least 1 is refused', () => {
    expect(() => new BoundedQueue(0)).toThrow('a bounded queue holds a whole number of items, at least 1, not 0');
    expect(() => new BoundedQueue(2.5)).toThrow(RangeError);
  });
});

describe('durations for people', () => {
  it.for<[number, string]>([
    [0, '0 ms'], [850, '850 ms'], [1000, '1.0 s'], [12_345, '12.3 s'], [59_999, '60.0 s'],
    [60_000, '1 m 00 s'], [303_000, '5 m 03 s'], [7_500_000, '2 h 05 m'], [273_600_000, '3 d 04 h'],
  ])('%i ms: %s', ([ms, text]) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

const snapshot: StatusSnapshot = {
  at: T0 + 90_000,
  extensions: [
    { name: 'cpuid', state: 'Running', since: T0, restarts: 2, lastCrash: { at: T0 - 1000, class: 'trap', cause: 'trap unreachable: unreachable' } },
    { name: 'log', state: 'Backoff', since: T0 + 89_000, restarts: 1, lastCrash: { at: T0 + 89_000, class: 'deadline', cause: 'deadline: the vmexit callback ran past its 50 ms budget' }, restartAt: T0 + 90_400 },
    { name: 'net', state: 'Failed', since: T0 + 10_000, restarts: 5 },
  ],
  resources: [
    { resource: 'vm 1', state: 'Running', owner: 'cpuid' },
    { resource: 'vps 3', state: 'Zombie', owner: 'log' },
  ],
  events: { items: [{ at: T0 + 89_000, subject: 'log', text: 'crashed: deadline' }], dropped: 12 },
};

describe('a status snapshot', () => {
  it('as text: extensions with state, restarts, uptime while running and last crash; resources; events and how many were dropped', () => {
    expect(formatStatus(snapshot)).toBe([
      'extensions (3)',
      '  NAME   STATE                        RESTARTS  UPTIME    LAST CRASH',
      '  cpuid  Running                      2         1 m 30 s  2026-01-02T03:04:04.000Z trap unreachable: unreachable',
      '  log    Backoff (restart in 400 ms)  1         -         2026-01-02T03:05:34.000Z deadline: the vmexit callback ran past its 50 ms budget',
      '  net    Failed                       5         -         -',
      'resources (2)',
      '  RESOURCE  STATE    OWNER',
      '  vm 1      Running  cpuid',
      '  vps 3     Zombie   log',
      'events (1; 12 older dropped)',
      '  2026-01-02T03:05:34.000Z  log  crashed: deadline',
      '',
    ].join('\n'));
  });

  it('as JSON: times as ISO strings, uptime in ms or null, the dropped count', () => {
    const j = statusJson(snapshot);
    expect(JSON.parse(JSON.stringify(j))).toEqual({
      at: '2026-01-02T03:05:35.000Z',
      extensions: [
        { name: 'cpuid', state: 'Running', since: '2026-01-02T03:04:05.000Z', uptimeMs: 90_000, restarts: 2, lastCrash: { at: '2026-01-02T03:04:04.000Z', class: 'trap', cause: 'trap unreachable: unreachable' }, restartAt: null },
        { name: 'log', state: 'Backoff', since: '2026-01-02T03:05:34.000Z', uptimeMs: null, restarts: 1, lastCrash: { at: '2026-01-02T03:05:34.000Z', class: 'deadline', cause: 'deadline: the vmexit callback ran past its 50 ms budget' }, restartAt: '2026-01-02T03:05:35.400Z' },
        { name: 'net', state: 'Failed', since: '2026-01-02T03:04:15.000Z', uptimeMs: null, restarts: 5, lastCrash: null, restartAt: null },
      ],
      resources: [
        { resource: 'vm 1', state: 'Running', owner: 'cpuid' },
        { resource: 'vps 3', state: 'Zombie', owner: 'log' },
      ],
      events: { items: [{ at: '2026-01-02T03:05:34.000Z', subject: 'log', text: 'crashed: deadline' }], dropped: 12 },
    });
  });

  it('nothing running: the headings say so', () => {
    expect(formatStatus({ at: T0, extensions: [], resources: [], events: { items: [], dropped: 0 } })).toBe('extensions (0)\nresources (0)\nevents (0)\n');
  });
});
