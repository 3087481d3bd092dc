// bfx: the command line. Each command lives in its own file; this one
// picks the command, and turns errors into messages and exit codes.
import { bootCommand } from './boot.js';
import { build } from './build.js';
import { EXIT, UsageError, type Io } from './common.js';
import { conformance } from './conformance.js';
import { guests } from './guests.js';
import { ledger } from './ledger.js';
import { run } from './run.js';
import { serve } from './serve.js';
import { status } from './status.js';
import { supervise } from './supervise.js';
import { version } from './version.js';

const HELP = `bfx — write, run and test hypervisor extensions

Usage: bfx <command> [options]

Commands:
  build [paths...]     compile AssemblyScript extensions to WebAssembly
  run <extension...>   run extensions on a microkernel and report what happened
  guests               list the root guests the reference microkernel can run
  boot <image>         boot a multiboot test image under QEMU or Bochs, unattended
  conformance          check an implementation of the bf ABI, case by case
  serve                serve the firmware to whoever connects, over the wire protocol
  supervise <manifests> run extensions under the supervisor, restarted by policy
  status <file>        what a supervisor's status file says
  ledger <file>        summarise a supervisor's ledger of resource intervals

Options:
  -h, --help           this help; bfx <command> --help for a command's own
  -v, --version        the version of bfx

Exit status: 0 all went well; 1 the run finished but something failed;
2 the command line was wrong; 3 an extension could not be built or loaded;
4 bfx itself failed (a bug: please report it).
`;

const commands: Record<string, (args: string[], io: Io) => Promise<number>> = { build, run, guests, boot: bootCommand, conformance, serve, supervise, status, ledger };

export async function main(argv: string[], io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    // a command line without a command is wrong: the help goes where errors go
    io.err(HELP);
    return EXIT.usage;
  }
  if (cmd === '-h' || cmd === '--help' || cmd === 'help') {
    io.out(HELP);
    return EXIT.ok;
  }
  if (cmd === '-v' || cmd === '--version') {
    io.out(`${version()}\n`);
    return EXIT.ok;
  }
  const command = commands[cmd];
  if (!command) {
    io.err(`bfx: unknown command "${cmd}"; the commands are ${Object.keys(commands).join(', ')} (bfx --help)\n`);
    return EXIT.usage;
  }
  try {
    return await command(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`bfx ${cmd}: ${e.message} (bfx ${cmd} --help)\n`);
      return EXIT.usage;
    }
    // a bug of bfx's own, not the extension's: say so, with what is needed to report it
    io.err(`bfx ${cmd}: internal error, please report it with this text:\n${e instanceof Error ? e.stack : String(e)}\n`);
    return EXIT.internal;
  }
}
