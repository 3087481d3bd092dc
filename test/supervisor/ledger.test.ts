// The ledger: one open interval per resource, opened again as a no-op;
// entries on disk when the call returns; read back by a restarted host;
// refused, by line, when a line is not a well-formed entry; summarised.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger, LedgerError, readLedger, summarise, type LedgerEntry } from '../../host/supervisor/ledger.js';

const tmp = mkdtempSync(join(tmpdir(), 'bfx-ledger-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const fresh = () => join(tmp, `ledger-${n++}.jsonl`);

/** a clock the test moves: now() reads it, to(t) sets it */
function clock(start = 1000) {
  let t = start;
  return { now: () => t, to: (at: number) => void (t = at) };
}

const lines = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as LedgerEntry);

function refused(file: string): LedgerError {
  try {
    readLedger(file);
  } catch (e) {
    if (e instanceof LedgerError) return e;
    throw e;
  }
  throw new Error(`${file} was read, but it should have been refused`);
}

describe('writing intervals', () => {
  it('open then close: two lines, on disk as each call returns', () => {
    const file = fresh();
    const c = clock();
    const l = new Ledger(file, c.now);
    expect(existsSync(file)).toBe(false); // nothing is written until something happens
    expect(l.open('vm 1', 'cpuid', 'boot')).toBe(true);
    expect(lines(file)).toEqual([{ t: 1000, op: 'open', resource: 'vm 1', owner: 'cpuid', reason: 'boot' }]);
    c.to(4500);
    expect(l.close('vm 1', 'destroy')).toBe(true);
    expect(lines(file)).toEqual([
      { t: 1000, op: 'open', resource: 'vm 1', owner: 'cpuid', reason: 'boot' },
      { t: 4500, op: 'close', resource: 'vm 1', owner: 'cpuid', reason: 'destroy' },
    ]);
    expect(l.isOpen('vm 1')).toBe(false);
  });

  it('opening a resource whose interval is open is a no-op that says false, however often, whoever asks', () => {
    const file = fresh();
    const c = clock();
    const l = new Ledger(file, c.now);
    l.open('vm 1', 'cpuid', 'boot');
    const before = readFileSync(file, 'utf8');
    c.to(2000);
    expect(l.open('vm 1', 'cpuid', 'restart')).toBe(false);
    expect(l.open('vm 1', 'cpuid', 'restart')).toBe(false);
    expect(l.open('vm 1', 'other', 'boot')).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(l.openIntervals()).toEqual([{ resource: 'vm 1', owner: 'cpuid', since: 1000, reason: 'boot' }]);
  });

  it('closing one with no open interval is a no-op that says false', () => {
    const file = fresh();
    const l = new Ledger(file, clock().now);
    expect(l.close('vm 9', 'stop-user')).toBe(false);
    expect(existsSync(file)).toBe(false);
    l.open('vm 9', 'a', 'boot');
    expect(l.close('vm 9', 'stop-crash')).toBe(true);
    expect(l.close('vm 9', 'stop-crash')).toBe(false);
    expect(lines(file)).toHaveLength(2);
  });

  it('a closed resource opens a new interval', () => {
    const file = fresh();
    const l = new Ledger(file, clock().now);
    l.open('vm 1', 'a', 'boot');
    l.close('vm 1', 'stop-crash');
    expect(l.open('vm 1', 'a', 'restart')).toBe(true);
    expect(lines(file).map((e) => `${e.op} ${e.reason}`)).toEqual(['open boot', 'close stop-crash', 'open restart']);
  });

  it('a reason of the wrong kind, or no resource or owner, is refused before anything is written', () => {
    const file = fresh();
    const l = new Ledger(file, clock().now);
    // as from JavaScript, past the types
    expect(() => l.open('vm 1', 'a', 'destroy' as never)).toThrow(`ledger ${file}: an interval opens for boot or restart, not "destroy"`);
    expect(() => l.close('vm 1', 'boot' as never)).toThrow(`ledger ${file}: an interval closes for stop-user, stop-crash, destroy, not "boot"`);
    expect(() => l.open('', 'a', 'boot')).toThrow('open needs a resource and an owner, not "" and "a"');
    expect(existsSync(file)).toBe(false);
  });
});

describe('a restarted host reads its ledger back', () => {
  it('the intervals open when it stopped are open again; closed ones are not', () => {
    const file = fresh();
    const c = clock();
    const first = new Ledger(file, c.now);
    first.open('vm 1', 'a', 'boot');
    first.open('vm 2', 'b', 'boot');
    c.to(2000);
    first.close('vm 1', 'stop-user');
    first.open('vm 3', 'a', 'boot');

    const again = new Ledger(file, c.now);
    expect(again.openIntervals()).toEqual([
      { resource: 'vm 2', owner: 'b', since: 1000, reason: 'boot' },
      { resource: 'vm 3', owner: 'a', since: 2000, reason: 'boot' },
    ]);
    // reconciliation opening what is open changes nothing; closing appends after what was there
    expect(again.open('vm 2', 'b', 'restart')).toBe(false);
    c.to(3000);
    expect(again.close('vm 2', 'destroy')).toBe(true);
    expect(lines(file)).toHaveLength(5);
    expect(new Ledger(file, c.now).openIntervals().map((o) => o.resource)).toEqual(['vm 3']);
  });

  it('a last line without its newline: the next entry starts on a line of its own', () => {
    const file = fresh();
    writeFileSync(file, JSON.stringify({ t: 1, op: 'open', resource: 'vm 1', owner: 'a', reason: 'boot' }));
    const l = new Ledger(file, clock(5).now);
    expect(l.close('vm 1', 'destroy')).toBe(true);
    expect(lines(file).map((e) => e.op)).toEqual(['open', 'close']);
  });
});

describe('a malformed ledger is refused, naming the file and the line', () => {
  const open = (resource: string, owner = 'a', t = 1) => JSON.stringify({ t, op: 'open', resource, owner, reason: 'boot' });
  const cases: [string, string[], number, string][] = [
    ['a line that is not JSON', [open('vm 1'), '{"t": 2, "op": "clo'], 2, 'not a JSON line: '],
    ['a JSON line that is not an object', [open('vm 1'), '[1, 2]'], 2, 'is not a JSON object'],
    ['an unknown op', ['{"t": 1, "op": "pause", "resource": "vm 1", "owner": "a", "reason": "boot"}'], 1, '"op" must be open or close, not "pause"'],
    ['an open for a close reason', ['{"t": 1, "op": "open", "resource": "vm 1", "owner": "a", "reason": "destroy"}'], 1, 'an open\'s "reason" must be one of boot, restart, not "destroy"'],
    ['a close for an open reason', [open('vm 1'), '{"t": 2, "op": "close", "resource": "vm 1", "owner": "a", "reason": "boot"}'], 2, 'a close\'s "reason" must be one of stop-user, stop-crash, destroy, not "boot"'],
    ['a time that is not a number', ['{"t": "now", "op": "open", "resource": "vm 1", "owner": "a", "reason": "boot"}'], 1, '"t" must be a time in milliseconds, not "now"'],
    ['no resource', ['{"t": 1, "op": "open", "owner": "a", "reason": "boot"}'], 1, '"resource" must be a non-empty string, not undefined'],
    ['an empty owner', ['{"t": 1, "op": "open", "resource": "vm 1", "owner": "", "reason": "boot"}'], 1, '"owner" must be a non-empty string, not ""'],
    ['an unknown field', ['{"t": 1, "op": "open", "resource": "vm 1", "owner": "a", "reason": "boot", "vm": 1}'], 1, 'has unknown field vm'],
    ['a second open of an open resource', [open('vm 1'), open('vm 2'), open('vm 1', 'a', 5)], 3, 'opens vm 1, whose interval is already open (since 1970-01-01T00:00:00.001Z, for a)'],
    ['a close of a resource not open', [open('vm 1'), '{"t": 2, "op": "close", "resource": "vm 2", "owner": "a", "reason": "destroy"}'], 2, 'closes vm 2, which has no open interval'],
    ['a close by another owner', [open('vm 1'), '{"t": 2, "op": "close", "resource": "vm 1", "owner": "b", "reason": "destroy"}'], 2, 'closes vm 1 for b, but a opened it'],
    ['an empty line in the middle', [open('vm 1'), '', open('vm 2')], 2, 'not a JSON line: '],
  ];
  it.for(cases)('%s', ([, text, line, problem]) => {
    const file = fresh();
    writeFileSync(file, `${text.join('\n')}\n`);
    const e = refused(file);
    expect(e.line).toBe(line);
    expect(e.file).toBe(file);
    expect(e.message.startsWith(`ledger ${file}:${line}: ${problem}`)).toBe(true);
    // a host does not start writing on a ledger it cannot read
    expect(() => new Ledger(file, clock().now)).toThrow(e.message);
  });
});

describe('summarise', () => {
  const entries: LedgerEntry[] = [
    { t: 0, op: 'open', resource: 'vm 1', owner: 'a', reason: 'boot' },
    { t: 100, op: 'open', resource: 'vm 2', owner: 'b', reason: 'boot' },
    { t: 1000, op: 'close', resource: 'vm 1', owner: 'a', reason: 'stop-crash' },
    { t: 1500, op: 'open', resource: 'vm 1', owner: 'a', reason: 'restart' },
    { t: 2000, op: 'close', resource: 'vm 1', owner: 'a', reason: 'destroy' },
    // the ID is reused by another owner: its own row
    { t: 3000, op: 'open', resource: 'vm 1', owner: 'b', reason: 'boot' },
  ];

  it('per resource and owner: intervals, total time, how they ended, and the open one counted to now', () => {
    const s = summarise(entries, 5000);
    expect(s).toEqual({
      entries: 6, from: 0, to: 3000, now: 5000,
      resources: [
        { resource: 'vm 1', owner: 'a', intervals: 2, totalMs: 1500, closed: { 'stop-user': 0, 'stop-crash': 1, destroy: 1 } },
        { resource: 'vm 2', owner: 'b', intervals: 1, totalMs: 4900, closed: { 'stop-user': 0, 'stop-crash': 0, destroy: 0 }, open: { since: 100, reason: 'boot' } },
        { resource: 'vm 1', owner: 'b', intervals: 1, totalMs: 2000, closed: { 'stop-user': 0, 'stop-crash': 0, destroy: 0 }, open: { since: 3000, reason: 'boot' } },
      ],
      owners: [
        { owner: 'a', resources: 1, intervals: 2, totalMs: 1500, open: 0 },
        { owner: 'b', resources: 2, intervals: 2, totalMs: 6900, open: 2 },
      ],
      open: [
        { resource: 'vm 2', owner: 'b', since: 100, reason: 'boot' },
        { resource: 'vm 1', owner: 'b', since: 3000, reason: 'boot' },
      ],
    });
  });

  it('an empty ledger: nothing, and no times', () => {
    expect(summarise([], 10)).toEqual({ entries: 0, now: 10, resources: [], owners: [], open: [] });
  });

  it('Ledger.summarise reads its own file, open intervals counted to its clock', () => {
    const file = fresh();
    const c = clock(0);
    const l = new Ledger(file, c.now);
    l.open('vm 7', 'x', 'boot');
    c.to(250);
    expect(l.summarise().resources).toEqual([{ resource: 'vm 7', owner: 'x', intervals: 1, totalMs: 250, closed: { 'stop-user': 0, 'stop-crash': 0, destroy: 0 }, open: { since: 0, reason: 'boot' } }]);
    // a ledger that has written nothing has no file yet: an empty summary
    expect(new Ledger(fresh(), c.now).summarise().entries).toBe(0);
  });
});
