// bfx ledger <file> [--json], called as main() calls a command: the
// summary as tables and as JSON, and a clear error with a non-zero exit for
// a file that is missing or malformed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, UsageError } from '../../host/cli/common.js';
import { ledger } from '../../host/cli/ledger.js';
import type { LedgerEntry } from '../../host/supervisor/ledger.js';

const tmp = mkdtempSync(join(tmpdir(), 'bfx-ledger-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function bfxLedger(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await ledger(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

function write(name: string, entries: LedgerEntry[] | string): string {
  const file = join(tmp, name);
  writeFileSync(file, typeof entries === 'string' ? entries : entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  return file;
}

const closedOnly = write('closed.jsonl', [
  { t: T0, op: 'open', resource: 'vm 1', owner: 'cpuid', reason: 'boot' },
  { t: T0 + 1500, op: 'close', resource: 'vm 1', owner: 'cpuid', reason: 'stop-crash' },
  { t: T0 + 2000, op: 'open', resource: 'vm 1', owner: 'cpuid', reason: 'restart' },
  { t: T0 + 62_000, op: 'close', resource: 'vm 1', owner: 'cpuid', reason: 'destroy' },
  { t: T0 + 100, op: 'open', resource: 'vm 2', owner: 'log', reason: 'boot' },
  { t: T0 + 400, op: 'close', resource: 'vm 2', owner: 'log', reason: 'stop-user' },
]);

describe('bfx ledger', () => {
  it('the tables: per resource and owner, then per owner', async () => {
    const r = await bfxLedger([closedOnly]);
    expect(r).toEqual({
      code: EXIT.ok,
      err: '',
      out: [
        `ledger ${closedOnly}: 6 entries from 2026-01-02T03:04:05.000Z to 2026-01-02T03:05:07.000Z; 2 resources, 0 open`,
        '  RESOURCE  OWNER  INTERVALS  TOTAL     ENDED                      OPEN SINCE',
        '  vm 1      cpuid  2          1 m 01 s  stop-crash ×1, destroy ×1  -',
        '  vm 2      log    1          300 ms    stop-user ×1               -',
        'by owner',
        '  OWNER  RESOURCES  INTERVALS  TOTAL     OPEN',
        '  cpuid  1          2          1 m 01 s  0',
        '  log    1          1          300 ms    0',
        '',
      ].join('\n'),
    });
  });

  it('--json: the summary with the file, times in ms as the ledger keeps them', async () => {
    const r = await bfxLedger([closedOnly, '--json']);
    expect(r.code).toBe(EXIT.ok);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({
      file: closedOnly, entries: 6, from: T0, to: T0 + 62_000,
      resources: [
        { resource: 'vm 1', owner: 'cpuid', intervals: 2, totalMs: 61_500, closed: { 'stop-user': 0, 'stop-crash': 1, destroy: 1 } },
        { resource: 'vm 2', owner: 'log', intervals: 1, totalMs: 300, closed: { 'stop-user': 1, 'stop-crash': 0, destroy: 0 } },
      ],
      owners: [
        { owner: 'cpuid', resources: 1, intervals: 2, totalMs: 61_500, open: 0 },
        { owner: 'log', resources: 1, intervals: 1, totalMs: 300, open: 0 },
      ],
      open: [],
    });
    expect(typeof j.now).toBe('number');
  });

  it('an open interval: since when, and its time counted up to now', async () => {
    const since = Date.now() - 5000;
    const file = write('open.jsonl', [{ t: since, op: 'open', resource: 'vm 3', owner: 'cpuid', reason: 'boot' }]);
    const j = JSON.parse((await bfxLedger(['--json', file])).out);
    expect(j.open).toEqual([{ resource: 'vm 3', owner: 'cpuid', since, reason: 'boot' }]);
    expect(j.resources[0].totalMs).toBeGreaterThanOrEqual(5000);
    const text = (await bfxLedger([file])).out;
    expect(text).toContain(`; 1 resource, 1 open`);
    expect(text).toContain(`${new Date(since).toISOString()} (boot)`);
  });

  it('an empty ledger says so', async () => {
    const file = write('empty.jsonl', '');
    expect(await bfxLedger([file])).toEqual({ code: EXIT.ok, out: `ledger ${file}: empty, no intervals\n`, err: '' });
  });

  it('a missing file: a clear error on stderr, exit 3', async () => {
    const file = join(tmp, 'nope.jsonl');
    expect(await bfxLedger([file])).toEqual({ code: EXIT.load, out: '', err: `bfx ledger: no such ledger file: ${file}\n` });
  });

  it('a folder: says to name the file in it', async () => {
    expect(await bfxLedger([tmp])).toEqual({ code: EXIT.load, out: '', err: `bfx ledger: ${tmp} is a folder; name the ledger file in it\n` });
  });

  it('a malformed line: the file and line number, exit 3', async () => {
    const file = write('bad.jsonl', `${JSON.stringify({ t: 1, op: 'open', resource: 'vm 1', owner: 'a', reason: 'boot' })}\nnot json\n`);
    const r = await bfxLedger([file, '--json']);
    expect(r.code).toBe(EXIT.load);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(`^bfx ledger: ledger ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: not a JSON line: .+\n$`));
  });

  it('--help: the usage, exit 0', async () => {
    const r = await bfxLedger(['--help']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain('Usage: bfx ledger <file> [--json]');
    expect(r.out).toContain('Exit status: 0 the ledger was read; 2 the command line was wrong; 3 the');
  });

  it('no file, two files, or an unknown option: a usage error saying what is wrong', async () => {
    await expect(bfxLedger([])).rejects.toThrow(new UsageError('name one ledger file, e.g. bfx ledger ledger.jsonl'));
    await expect(bfxLedger(['a', 'b'])).rejects.toThrow('name one ledger file, e.g. bfx ledger ledger.jsonl, not 2');
    await expect(bfxLedger([closedOnly, '--tap'])).rejects.toThrow(UsageError);
  });
});
