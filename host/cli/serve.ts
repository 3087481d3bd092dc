// bfx serve: bfx's firmware as an implementation of the bf ABI that others
// connect to over the wire protocol — every connection a session with the
// firmware fresh from boot under QEMU or Bochs. What `bfx conformance
// --target connect:` attaches to, and the shape any implementation served
// the same way has.
import { existsSync, lstatSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FIRMWARE_IMAGE } from '../backend/remote/boot.js';
import { addressText, parseAddress, type WireAddress } from '../backend/remote/sync-wire.js';
import { ROOT } from '../paths.js';
import { DEFAULT_BOCHS_CPU } from '../../qemu/bochs.js';
import { serve as serveFirmware, type ServeEvent } from '../../qemu/serve.js';
import { EXIT, integer, interruptible, oneOf, parse, UsageError, type Io } from './common.js';
import { cpuOption, imageOption } from './target.js';

const DEFAULT_SESSION_TIMEOUT_S = 600;

const HELP = `Usage: bfx serve --listen <path or host:port> [options]

Listens on a unix socket (a path) or TCP (host:port) and serves every
connection with bfx's firmware fresh from boot under QEMU or Bochs: the
firmware says HELLO, the client speaks the wire protocol
(docs/wire-protocol.md), and the session ends when the client says BYE (the
firmware ends the emulator) or leaves (bfx stops it). Sessions run side by
side. This is the contract \`bfx conformance --target connect:<address>\`
expects of any implementation.

Options:
  --listen <where>  a unix socket path, or host:port (127.0.0.1:7000; port
                    0 lets the system pick one, which the listening line
                    names)
  --target <t>      qemu (default; AMD SVM under TCG) or bochs (Intel VMX,
                    or AMD SVM as --cpu says)
  --cpu <model>     with --target bochs: the CPU model (default ${DEFAULT_BOCHS_CPU})
  --image <file>    a multiboot image that speaks the wire protocol
                    (default: bfx's firmware)
  --timeout <s>     each session's limit, after which its emulator is
                    stopped (default ${DEFAULT_SESSION_TIMEOUT_S})
  --sessions <n>    end after serving n sessions (default: until stopped)
  --json            a JSON object per event on stdout (listening, a session
                    connected, booted, ended) instead of text on stderr
  -h, --help        this help

Each session's end is reported with how its emulator ended (pass: after
BYE; stopped: the client left, or bfx stopped it) and, when it did not end
well, the serial log that was kept (build/serve-logs).

Exit status: 0 stopped by SIGINT or SIGTERM, or --sessions served; 2 the
command line was wrong; 3 it cannot serve (no firmware image, the emulator
not installed, the address in use); 4 bfx itself failed (a bug).
`;

export async function serve(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    listen: { type: 'string' },
    target: { type: 'string' },
    cpu: { type: 'string' },
    image: { type: 'string' },
    timeout: { type: 'string' },
    sessions: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError(`it takes no arguments, but was given "${positionals.join(' ')}"`);
  if (values.listen === undefined) throw new UsageError('say where to listen: --listen <unix socket path> or --listen <host:port>');
  let listen: WireAddress;
  try {
    listen = parseAddress(values.listen);
  } catch (e) {
    throw new UsageError(`--listen ${values.listen}: ${(e as Error).message}`);
  }
  const emulator = oneOf('target', values.target, ['qemu', 'bochs'] as const) ?? 'qemu';
  const cpu = cpuOption(values.cpu, emulator);
  const image = imageOption(values.image, emulator);
  const timeoutMs = (integer('timeout', values.timeout, 1, 86400) ?? DEFAULT_SESSION_TIMEOUT_S) * 1000;
  const limit = integer('sessions', values.sessions, 1, 1_000_000);
  if (image === undefined && !existsSync(FIRMWARE_IMAGE)) {
    io.err(`bfx serve: there is no firmware image at ${relative(process.cwd(), FIRMWARE_IMAGE)}: run npm run build (it builds the firmware), or name an image with --image\n`);
    return EXIT.load;
  }
  if (listen.path !== undefined && existsSync(listen.path) && !lstatSync(listen.path).isSocket()) {
    io.err(`bfx serve: --listen ${listen.path}: a file that is not a socket is there; name a path that is free\n`);
    return EXIT.load;
  }

  const where = addressText(listen);
  const under = emulator === 'qemu' ? 'QEMU' : `Bochs (${cpu?.model})`;
  const say = (e: ServeEvent) => {
    if (values.json) return io.out(`${JSON.stringify(e)}\n`);
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    if (e.event === 'listening') return io.err(`bfx serve: listening on ${e.address}; each connection boots ${image ?? 'the firmware'} under ${under} (Ctrl-C ends)\n`);
    if (e.state === 'connected') return io.err(`bfx serve: session ${e.session}: connected, booting …\n`);
    if (e.state === 'booted') return io.err(`bfx serve: session ${e.session}: booted in ${s(e.ms)}\n`);
    io.err(`bfx serve: session ${e.session}: ended ${e.verdict} after ${s(e.ms)}${e.why ? `: ${e.why}` : ''}${e.log ? ` (serial log: ${e.log})` : ''}\n`);
  };

  let ended = 0;
  let done: () => void = () => {};
  const served = new Promise<void>((ok) => (done = ok));
  let server: Awaited<ReturnType<typeof serveFirmware>>;
  try {
    server = await serveFirmware({
      emulator, cpu: cpu?.model, image, listen, timeoutMs, logDir: join(ROOT, 'build', 'serve-logs'),
      onEvent: (e) => {
        say(e);
        if (e.event === 'session' && e.state === 'ended' && limit !== undefined && ++ended >= limit) done();
      },
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = code === 'EADDRINUSE' ? (listen.path !== undefined ? ': remove the socket if no server is using it' : ': another server has that port') : '';
    io.err(`bfx serve: cannot listen on ${where}: ${(e as Error).message}${hint}\n`);
    return EXIT.load;
  }
  await interruptible((stop) => Promise.race([served, new Promise<void>((ok) => stop.addEventListener('abort', () => ok()))]));
  await server.close();
  if (!values.json) io.err(`bfx serve: stopped after ${server.sessions} session${server.sessions === 1 ? '' : 's'}\n`);
  return EXIT.ok;
}
