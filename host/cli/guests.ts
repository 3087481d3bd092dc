// bfx guests: the root guests the reference microkernel can run.
import { scenarios } from '../backend/sim/guest/scenarios.js';
import { EXIT, parse, UsageError, type Io } from './common.js';

export async function guests(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (values.help) {
    io.out('Usage: bfx guests [--json]\n\nLists the root guests for bfx run --guest <name>.\n');
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError(`it takes no arguments, but was given "${positionals.join(' ')}"`);
  if (values.json) {
    io.out(`${JSON.stringify(scenarios.map(({ name, doc }) => ({ name, doc })), null, 2)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(...scenarios.map((s) => s.name.length));
  for (const s of scenarios) io.out(`${s.name.padEnd(width)}  ${s.doc}\n`);
  return EXIT.ok;
}
