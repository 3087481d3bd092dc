// bfx status: what a supervisor's status file says — each extension's
// state, restarts, uptime and last crash; each resource's state and owner.
import { readFileSync } from 'node:fs';
import { columns } from '../supervisor/status.js';
import { EXIT, parse, UsageError, type Io } from './common.js';

const HELP = `Usage: bfx status <file> [--json]

Prints the status a supervisor keeps in <file> (bfx supervise --status
<file>): per extension its state, restart count, uptime and last crash (when
and why); per resource its state and owner; the last events.

Options:
  --json        the file's JSON as it is, checked
  -h, --help    this help

Exit status: 0 it was read; 2 the command line was wrong; 3 the file is
missing or is not a status file.
`;

interface StatusFile {
  at: string;
  extensions: { name: string; state: string; since: string; uptimeMs: number | null; restarts: number; lastCrash: { at: string; class: string; cause: string } | null }[];
  resources: { resource: string; state: string; owner: string }[];
  events: { items: { at: string; subject: string; text: string }[]; dropped: number };
}

export async function status(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`name one status file, e.g. bfx status status.json${positionals.length ? `, not ${positionals.length}` : ''}`);
  const file = positionals[0];
  let s: StatusFile;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as StatusFile;
    if (!Array.isArray(s.extensions) || !Array.isArray(s.resources) || typeof s.at !== 'string') throw new Error('it has no extensions, resources and time (is it a bfx supervise --status file?)');
  } catch (e) {
    io.err(`bfx status: cannot read ${file}: ${(e as Error).message}\n`);
    return EXIT.load;
  }
  if (values.json) {
    io.out(`${JSON.stringify(s, null, 2)}\n`);
    return EXIT.ok;
  }
  const secs = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
  let out = `status at ${s.at}\nextensions (${s.extensions.length})\n`;
  out += columns([['NAME', 'STATE', 'RESTARTS', 'UPTIME', 'LAST CRASH'], ...s.extensions.map((e) => [
    e.name, e.state, String(e.restarts), secs(e.uptimeMs), e.lastCrash ? `${e.lastCrash.at} ${e.lastCrash.cause}` : '-',
  ])]);
  out += `resources (${s.resources.length})\n`;
  if (s.resources.length) out += columns([['RESOURCE', 'STATE', 'OWNER'], ...s.resources.map((r) => [r.resource, r.state, r.owner])]);
  const items = s.events?.items ?? [];
  out += `events (${items.length}${s.events?.dropped ? `; ${s.events.dropped} older dropped` : ''})\n`;
  if (items.length) out += columns(items.map((e) => [e.at, e.subject, e.text]));
  io.out(out);
  return EXIT.ok;
}
