// bfx's help, and what it says when the command line is wrong: exit 2,
// with a message on stderr that names the problem.
import { beforeAll, describe, it } from 'vitest';
import { bfx, staleDist } from './bfx.js';

beforeAll(() => {
  const stale = staleDist();
  if (stale.length) throw new Error(`dist/ is older than ${stale.join(', ')}: run npx tsc -p tsconfig.json before the CLI tests`);
});

describe.concurrent('help', () => {
  it('bfx --help: the commands and the exit statuses, exit 0', async ({ expect }) => {
    const r = await bfx(['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: bfx <command> [options]');
    for (const c of ['build [paths...]', 'run <extension...>', 'guests', 'boot <image>', 'conformance']) expect(r.stdout).toContain(c);
    expect(r.stdout).toContain('Exit status: 0 all went well; 1 the run finished but something failed;');
    expect(r.stderr).toBe('');
  });

  it('bfx run --help: every option, exit 0', async ({ expect }) => {
    const r = await bfx(['run', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: bfx run <extension...> [options]');
    for (const o of ['--target <t>', '--image <file>', '--guest <name>', '--pps <n>', '--arch <a>', '--config <text>', '--max-exits <n>', '--timeout <s>', '--json', '--quiet', '-h, --help']) {
      expect(r.stdout).toContain(o);
    }
    expect(r.stderr).toBe('');
  });

  it('bfx build --help: every option, exit 0', async ({ expect }) => {
    const r = await bfx(['build', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: bfx build [paths...] [options]');
    for (const o of ['--force', '--quiet', '--json', '-h, --help']) expect(r.stdout).toContain(o);
    expect(r.stdout).toContain('<folder>/build/<name>.wasm');
  });

  it('bfx guests --help and bfx help', async ({ expect }) => {
    const g = await bfx(['guests', '-h']);
    expect(g.exitCode).toBe(0);
    expect(g.stdout).toContain('Usage: bfx guests [--json]');
    const h = await bfx(['help']);
    expect(h.exitCode).toBe(0);
    expect(h.stdout).toContain('Usage: bfx <command> [options]');
  });

  it('bfx --version: the version of the package', async ({ expect }) => {
    const r = await bfx(['--version']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

// each spawns its own bfx: they run side by side (expect is the test's own)
describe.concurrent('a wrong command line exits 2 and says what is wrong on stderr', () => {
  it.for<[string[], string]>([
    [['run', 'extensions/cpuid', '--bogus'], "bfx run: Unknown option '--bogus' (bfx run --help)"],
    [['run', 'extensions/cpuid', '--pps', 'abc'], 'bfx run: --pps takes a whole number from 1 to 64, not "abc" (bfx run --help)'],
    [['run', 'extensions/cpuid', '--pps', '0'], 'bfx run: --pps takes a whole number from 1 to 64, not "0"'],
    [['run', 'extensions/cpuid', '--max-exits', '1.5'], 'bfx run: --max-exits takes a whole number from 1'],
    [['run', 'extensions/cpuid', '--timeout=-3'], 'bfx run: --timeout takes a whole number from 1 to 86400, not "-3"'],
    [['run', 'extensions/cpuid', '--target', 'nope'], 'bfx run: --target takes sim or qemu or bochs, not "nope" (bfx run --help)'],
    [['run', 'extensions/cpuid', '--cpu', 'ryzen'], 'bfx run: --cpu is for --target bochs (a Bochs CPU model: '],
    [['run', 'extensions/cpuid', '--target', 'qemu', '--arch', 'intel'], 'bfx run: --target qemu runs AMD SVM (QEMU TCG has no VMX): leave out --arch intel, or use --target sim'],
    [['run', 'extensions/cpuid', '--target', 'qemu', '--pps', '2'], 'bfx run: --target qemu has one physical processor'],
    [['run', 'extensions/cpuid', '--image', 'x.elf'], 'bfx run: --image is for --target qemu'],
    [['run', 'extensions/cpuid', '--request-timeout', '100'], 'bfx run: --request-timeout is for --target qemu'],
    [['run', 'extensions/cpuid', '--budget', 'soon'], 'bfx run: --budget takes a whole number from 0 to 86400000, not "soon"'],
    [['supervise', 'x.json', '--request-timeout', '100'], 'bfx supervise: --request-timeout is for --target qemu'],
    [['run', 'extensions/cpuid', '--target', 'qemu', '--image', 'no/such.elf'], 'bfx run: --image no/such.elf: no such file'],
    [['run', 'extensions/cpuid', '--arch', 'arm'], 'bfx run: --arch takes amd or intel, not "arm"'],
    [['run'], 'bfx run: name at least one extension to run, e.g. bfx run extensions/cpuid (bfx run --help)'],
    [['run', 'extensions/cpuid', '--guest', 'nope'], 'bfx run: unknown guest "nope"; the guests are: cpuid, msr, io, vmcall, tour, cpuid-loop, idle, runaway'],
    [['run', 'extensions/cpuid', '--guest', 'cpuid-loop:abc'], 'bfx run: guest cpuid-loop: N must be a positive integer, not "abc" (bfx run --help)'],
    [['run', 'extensions/cpuid', '--config'], "bfx run: Option '--config <value>' argument missing (bfx run --help)"],
    [['run', 'extensions/cpuid', '--pools', 'vms=4=5'], 'bfx run: --pools takes name=count pairs of vms, vps, vpss, pages, e.g. vms=4,vpss=8; not "vms=4=5"'],
    [['run', 'extensions/cpuid', '--pools', 'cpus=2'], 'bfx run: --pools takes name=count pairs of vms, vps, vpss, pages, e.g. vms=4,vpss=8; not "cpus=2"'],
    [['run', 'extensions/cpuid', '--pools', 'vms=0'], 'bfx run: --pools vms takes a whole number from 1 to 65534, not "0"'],
    [['build', '--bogus'], "bfx build: Unknown option '--bogus' (bfx build --help)"],
    [['guests', 'extra'], 'bfx guests: it takes no arguments, but was given "extra" (bfx guests --help)'],
    [['nope'], 'bfx: unknown command "nope"; the commands are build, run, guests, boot, conformance, serve, supervise, status, ledger (bfx --help)'],
  ])('bfx %j', async ([args, message], { expect }) => {
    const r = await bfx(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.split('\n').length).toBeLessThanOrEqual(2); // one line, no stack trace
    expect(r.stdout).toBe('');
  });

  it('bfx alone: the help, on stderr, exit 2', async ({ expect }) => {
    const r = await bfx([]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Usage: bfx <command> [options]');
    expect(r.stdout).toBe('');
  });
});
