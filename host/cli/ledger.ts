// bfx ledger: what a supervisor's ledger file says — how long each resource
// computed, for which extension, how its intervals ended, and which are
// still open.
import { LedgerError, readLedger, summarise, type LedgerEntry, type LedgerSummary } from '../supervisor/ledger.js';
import { columns, formatDuration, iso } from '../supervisor/status.js';
import { EXIT, parse, UsageError, type Io } from './common.js';

const HELP = `Usage: bfx ledger <file> [--json]

Summarises a ledger: the JSON-lines file where the supervisor records each
start and stop of a resource's compute (docs/manifest.md, "The ledger").
For each resource and owner: its intervals, their total time, how they
ended, and since when it is open if it is; then the totals per owner.
Open intervals are counted up to now.

Options:
  --json        one JSON object on stdout instead of the tables
  -h, --help    this help

Exit status: 0 the ledger was read; 2 the command line was wrong; 3 the
file is missing or is not a well-formed ledger (the message names the line).
`;

function text(file: string, s: LedgerSummary): string {
  if (!s.entries) return `ledger ${file}: empty, no intervals\n`;
  const resources = new Set(s.resources.map((r) => r.resource)).size;
  let out = `ledger ${file}: ${s.entries} entr${s.entries === 1 ? 'y' : 'ies'} from ${iso(s.from!)} to ${iso(s.to!)}; ${resources} resource${resources === 1 ? '' : 's'}, ${s.open.length} open\n`;
  const ended = (c: Record<string, number>) => Object.entries(c).filter(([, n]) => n).map(([r, n]) => `${r} ×${n}`).join(', ') || '-';
  out += columns([
    ['RESOURCE', 'OWNER', 'INTERVALS', 'TOTAL', 'ENDED', 'OPEN SINCE'],
    ...s.resources.map((r) => [r.resource, r.owner, String(r.intervals), formatDuration(r.totalMs), ended(r.closed), r.open ? `${iso(r.open.since)} (${r.open.reason})` : '-']),
  ]);
  out += 'by owner\n';
  out += columns([
    ['OWNER', 'RESOURCES', 'INTERVALS', 'TOTAL', 'OPEN'],
    ...s.owners.map((o) => [o.owner, String(o.resources), String(o.intervals), formatDuration(o.totalMs), String(o.open)]),
  ]);
  return out;
}

export async function ledger(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`name one ledger file, e.g. bfx ledger ledger.jsonl${positionals.length ? `, not ${positionals.length}` : ''}`);
  const file = positionals[0];
  let entries: LedgerEntry[];
  try {
    entries = readLedger(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof LedgerError) io.err(`bfx ledger: ${e.message}\n`);
    else if (code === 'ENOENT') io.err(`bfx ledger: no such ledger file: ${file}\n`);
    else if (code === 'EISDIR') io.err(`bfx ledger: ${file} is a folder; name the ledger file in it\n`);
    else if (code) io.err(`bfx ledger: cannot read ${file}: ${(e as Error).message}\n`);
    else throw e;
    return EXIT.load;
  }
  const s = summarise(entries, Date.now());
  io.out(values.json ? `${JSON.stringify({ file, ...s }, null, 2)}\n` : text(file, s));
  return EXIT.ok;
}
