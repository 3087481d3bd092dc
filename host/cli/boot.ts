// bfx boot: a multiboot test image under QEMU or Bochs, unattended, read
// the way kvm-unit-tests are read: PASS/FAIL/SKIP lines on the serial
// console, and the status the image writes to isa-debug-exit (QEMU) or as
// "bfx-exit N" to port 0xE9 (Bochs).
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { boot, DEFAULT_TIMEOUT_MS, detectAccel, type BootResult } from '../../qemu/qemu.js';
import { boot as bootBochs, DEFAULT_BOCHS_CPU } from '../../qemu/bochs.js';
import { EXIT, integer, oneOf, parse, UsageError, type Io } from './common.js';
import { cpuOption } from './target.js';

const HELP = `Usage: bfx boot <image> [options]

Boots a multiboot image (ours, or any test image) under QEMU or Bochs with
no one watching: the serial console goes to the terminal, lines that start
with PASS:, FAIL: or SKIP: are counted, and the status the image gives
decides: 0 passes, anything else fails. Under QEMU the image writes it to
isa-debug-exit (port 0xf4); under Bochs, which has no such device, as the
line "bfx-exit N" to port 0xE9. The emulator ending without a status (a
triple fault) is a crash; the time limit, a timeout. The serial log of a
run that does not pass is kept.

Options:
  --target <t>      qemu (default) or bochs (from a GRUB rescue ISO, cached
                    in build/bochs-iso)
  --cpu <model>     with --target bochs: the CPU model (default
                    ${DEFAULT_BOCHS_CPU}; bfx run --help lists them)
  --append <args>   the image's command line
  --timeout <s>     seconds before the run is stopped (default ${DEFAULT_TIMEOUT_MS / 1000})
  --log-dir <dir>   where failing runs' serial logs go (default build/logs)
  --tap             TAP version 13 on stdout instead of the console
  --json            one JSON object on stdout instead of the console
  -h, --help        this help

QEMU runs with TCG and -cpu qemu64,+svm,+npt, or with KVM and -cpu host where
the host's KVM nests. Exit status: 0 the image passed; 1 it failed, crashed
or timed out; 2 the command line was wrong; 3 the image or the emulator is
missing, or the emulator could not run the image.
`;

const RESULT = /^(PASS|FAIL|SKIP):\s*(.*)$/;

interface Point {
  result: 'PASS' | 'FAIL' | 'SKIP';
  what: string;
}

function points(serial: string[]): Point[] {
  return serial.flatMap((l) => {
    const m = RESULT.exec(l);
    return m ? [{ result: m[1] as Point['result'], what: m[2] }] : [];
  });
}

function why(r: BootResult, timeoutMs: number): string {
  const bochs = r.accel.kind === 'bochs';
  const emulator = bochs ? 'Bochs' : 'QEMU';
  const where = bochs ? 'port 0xE9 (bfx-exit)' : 'isa-debug-exit';
  switch (r.verdict) {
    case 'pass': return `the image wrote 0 to ${where}`;
    case 'fail': return `the image wrote ${r.code} to ${where}`;
    case 'crash': return `${emulator} ended without a status from the image (${r.message ? `it said: ${r.message}` : 'a triple fault?'})`;
    case 'timeout': return `no status after ${timeoutMs / 1000} s: stopped`;
    case 'error': return `${emulator} could not run it: ${r.message ?? (r.stderr.trim().split('\n')[0] || `exit status ${r.exitStatus}`)}`;
    case 'stopped': return 'bfx stopped it';
  }
}

function tap(image: string, r: BootResult, timeoutMs: number): string {
  const ps = points(r.serial);
  const lines = ['TAP version 13'];
  ps.forEach((p, i) => lines.push(`${p.result === 'FAIL' ? 'not ok' : 'ok'} ${i + 1} - ${p.what}${p.result === 'SKIP' ? ' # SKIP' : ''}`));
  // the boot itself is a test point when it said nothing, or when it did not pass
  if (!ps.length || r.verdict !== 'pass') lines.push(`${r.verdict === 'pass' ? 'ok' : 'not ok'} ${ps.length + 1} - ${image}: ${why(r, timeoutMs)}`);
  lines.push(`1..${lines.length - 1}`);
  return `${lines.join('\n')}\n`;
}

export async function bootCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    target: { type: 'string' },
    cpu: { type: 'string' },
    append: { type: 'string' },
    timeout: { type: 'string' },
    'log-dir': { type: 'string' },
    tap: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('name one image to boot, e.g. bfx boot firmware/build/bfx.elf');
  const target = oneOf('target', values.target, ['qemu', 'bochs'] as const) ?? 'qemu';
  const cpu = cpuOption(values.cpu, target);
  const timeoutMs = (integer('timeout', values.timeout, 1, 86400) ?? DEFAULT_TIMEOUT_MS / 1000) * 1000;
  const image = resolve(positionals[0]);
  if (!existsSync(image)) {
    io.err(`bfx boot: no such image: ${positionals[0]}\n`);
    return EXIT.load;
  }
  const quiet = values.tap || values.json;
  const common = {
    image, append: values.append, timeoutMs,
    logDir: values['log-dir'] ?? join(process.cwd(), 'build', 'logs'),
    onSerial: quiet ? undefined : (line: string) => io.out(`${line}\n`),
  };
  let r: BootResult;
  try {
    r = cpu ? await bootBochs({ ...common, cpu: cpu.model }) : await boot({ ...common, accel: detectAccel() });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err('bfx boot: qemu-system-x86_64 is not installed: run bash qemu/deps.sh (it installs Debian\'s qemu-system-x86)\n');
      return EXIT.load;
    }
    // Bochs boots from a GRUB ISO: no grub-mkrescue (or a failed one) says so
    if (cpu && /cannot make a GRUB rescue ISO/.test((e as Error).message)) {
      io.err(`bfx boot: ${(e as Error).message}\n`);
      return EXIT.load;
    }
    throw e;
  }
  if (r.verdict === 'error') {
    io.err(`bfx boot: ${why(r, timeoutMs)}\n`);
    return EXIT.load;
  }
  const ps = points(r.serial);
  const count = (k: Point['result']) => ps.filter((p) => p.result === k).length;
  const ok = r.verdict === 'pass' && count('FAIL') === 0;
  const name = basename(image);
  if (values.tap) io.out(tap(name, r, timeoutMs));
  else if (values.json) {
    io.out(`${JSON.stringify({ ok, image, verdict: r.verdict, code: r.code, message: r.message, exitStatus: r.exitStatus, passed: count('PASS'), failed: count('FAIL'), skipped: count('SKIP'), durationMs: r.durationMs, accel: r.accel, log: r.log, serial: r.serial }, null, 2)}\n`);
  } else {
    const how = r.accel.kind === 'bochs' ? `bochs, cpu ${r.accel.cpu}` : `${r.accel.kind}, -cpu ${r.accel.cpu}`;
    io.out(`── boot: ${ok ? 'PASS' : r.verdict.toUpperCase()} ── ${name} (${how}), ${r.durationMs} ms: ${why(r, timeoutMs)}; ${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped\n`);
    if (r.log) io.out(`   serial log kept in ${r.log}\n`);
  }
  return ok ? EXIT.ok : EXIT.failed;
}
