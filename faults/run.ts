// npm run faults: a fault campaign against the firmware under QEMU, ending
// with its table. Exit 0 only when the host never crashed, no invariant was
// broken and nothing leaked.
import { parseArgs } from 'node:util';
import { campaign, CI_CAMPAIGN } from './campaign.js';
import { ok, renderTally } from './tally.js';
import { FAULTS, type Fault } from './typed.js';

const HELP = `npm run faults -- [--seed <n>] [--long] [--rounds <n>] [--json]

A fault campaign: raw register-level syscalls at random against a fresh
firmware, then rounds of a typed fuzzer extension under the supervisor with
one fault each — QEMU killed or stalled, frames dropped, delayed,
duplicated, reordered, truncated, corrupted or rewritten by the fault proxy.
It ends with a table: faults injected, syscalls made, host crashes,
invariant violations and leaks (each must be 0).

  --seed <n>     the seed (default: the time); the same seed, the same campaign
  --long         ten times the CI size (${CI_CAMPAIGN.rawRounds} raw rounds of ${CI_CAMPAIGN.rawCalls} calls, ${CI_CAMPAIGN.faultRounds} fault rounds)
  --rounds <n>   this many fault rounds (raw rounds: one per 8)
  --only <f>     every fault round with this fault: ${FAULTS.join(', ')}
  --json         the tally as one JSON object
  -h, --help     this help

Exit status: 0 all held; 1 something broke (the table says what); 2 a wrong command line.
`;

function main(): Promise<number> | number {
  let values;
  try {
    ({ values } = parseArgs({ options: { only: { type: 'string' }, seed: { type: 'string' }, long: { type: 'boolean' }, rounds: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    process.stderr.write(`npm run faults: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const whole = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number, not "${v}"`);
    return n;
  };
  let seed: number;
  let rounds: number | undefined;
  try {
    seed = whole('seed', values.seed) ?? (Date.now() % 0x7fffffff);
    rounds = whole('rounds', values.rounds);
  } catch (e) {
    process.stderr.write(`npm run faults: ${(e as Error).message}\n`);
    return 2;
  }
  if (values.only !== undefined && !FAULTS.includes(values.only as Fault)) {
    process.stderr.write(`npm run faults: --only takes one of ${FAULTS.join(', ')}, not "${values.only}"\n`);
    return 2;
  }
  const scale = values.long ? 10 : 1;
  const faultRounds = rounds ?? CI_CAMPAIGN.faultRounds * scale;
  const rawRounds = rounds !== undefined ? Math.max(1, Math.round(rounds / 8)) : CI_CAMPAIGN.rawRounds * scale;
  return campaign({
    seed, rawRounds, rawCalls: CI_CAMPAIGN.rawCalls, faultRounds, only: values.only as Fault | undefined,
    // progress on a terminal as one line rewritten; elsewhere (CI logs) a line every ten rounds
    progress: (done, of) => {
      if (values.json) return;
      if (process.stderr.isTTY) process.stderr.write(`\rbfx faults: round ${done} of ${of}${done === of ? '\n' : ''}`);
      else if (done % 10 === 0 || done === of) process.stderr.write(`bfx faults: round ${done} of ${of}\n`);
    },
  }).then((t) => {
    process.stdout.write(values.json ? `${JSON.stringify({ ...t, ok: ok(t) })}\n` : `${renderTally(t)}\n`);
    return ok(t) ? 0 : 1;
  });
}

process.exitCode = await main();
