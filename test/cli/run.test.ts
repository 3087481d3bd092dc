// bfx run, end to end: the real command on the examples, its output, its
// summary, its JSON, and its exit status for runs that go well, that fail,
// and extensions that cannot be loaded.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { bfx, staleDist } from './bfx.js';

const SIGNATURE = 'cpuid(0x40000000) signature=BfxHyperWasm max-leaf=0x40000000';
const tmp = mkdtempSync(join(tmpdir(), 'bfx-cli-run-'));

beforeAll(() => {
  const stale = staleDist();
  if (stale.length) throw new Error(`dist/ is older than ${stale.join(', ')}: run npx tsc -p tsconfig.json before the CLI tests`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** the lines of stdout a source wrote, without the "source | " column */
function from(stdout: string, source: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith(`${source} `)).map((l) => l.slice(l.indexOf('| ') + 2));
}

describe.concurrent('runs that go well: exit 0', () => {
  it('bfx run extensions/cpuid: the guest\'s lines, then the summary', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/cpuid']);
    expect(r.exitCode).toBe(0);
    expect(from(r.stdout, 'guest0')).toEqual([
      'hello from pp 0',
      'cpuid(0) vendor=AuthenticAMD max-leaf=0x10',
      SIGNATURE,
      'cpuid(1) hypervisor-bit=1',
    ]);
    expect(r.stdout).toMatch(/── summary: ok ── sim \(amd, 1 pp\), [\d.]+ ms\n/);
    expect(r.stdout).toContain('  pp0: guest halted after 3 exits\n');
    expect(r.stdout).toContain('  cpuid: waiting; 34 syscalls; exits handled: cpuid (0x72) ×3\n');
    expect(r.stderr).toBe('');
  });

  it('--arch intel --pps 2: both processors\' guests see the signature', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/cpuid', '--arch', 'intel', '--pps', '2']);
    expect(r.exitCode).toBe(0);
    for (const pp of [0, 1]) {
      expect(from(r.stdout, `guest${pp}`)).toContain(SIGNATURE);
      expect(from(r.stdout, `guest${pp}`)).toContain('cpuid(1) hypervisor-bit=1');
      expect(from(r.stdout, `guest${pp}`)[1]).toMatch(/vendor=GenuineIntel/);
      expect(r.stdout).toContain(`  pp${pp}: guest halted after 3 exits\n`);
    }
    expect(r.stdout).toMatch(/── summary: ok ── sim \(intel, 2 pps\)/);
    expect(r.stdout).toContain('exits handled: cpuid (10) ×6');
  });

  it('--json: exactly one JSON object on stdout, with the whole run', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/cpuid', '--json', '--pps', '2']);
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout); // throws if anything else is on stdout
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['ok', 'backend', 'arch', 'pps', 'extensions', 'exits', 'resources', 'audit', 'target', 'guest', 'output']));
    expect(j.ok).toBe(true);
    expect(j).toMatchObject({ backend: 'sim', arch: 'amd', target: 'sim', guest: 'cpuid' });
    expect(j.pps).toEqual([{ ppid: 0, state: 'halted', exits: 3 }, { ppid: 1, state: 'halted', exits: 3 }]);
    expect(j.extensions).toHaveLength(1);
    expect(j.extensions[0]).toMatchObject({ name: 'cpuid', state: 'waiting', faults: [], exits: { 'cpuid (0x72)': 6 } });
    expect(j.extensions[0].syscalls.bf_vps_op_run).toBe(2);
    expect(j.exits).toEqual({ 'cpuid (0x72)': 6 });
    expect(j.output).toContainEqual({ source: 'guest', ppid: 1, text: SIGNATURE });
    expect(r.stdout.trim().startsWith('{')).toBe(true);
    expect(r.stdout.trim().endsWith('}')).toBe(true);
    expect(r.stderr).toBe('');
  });

  it('--quiet: only the summary', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/cpuid', '--quiet']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.startsWith('── summary: ok')).toBe(true);
    expect(r.stdout).not.toContain('guest0 |');
  });

  it('bfx run extensions/hello: its debug output under its name', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/hello']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('hello  | hello from an AssemblyScript extension\n');
    expect(r.stdout).toContain('hello  | 0x0000000000001234 0x00000000deadbeef\n');
    expect(r.stdout).toContain('  hello: exited; 4 syscalls');
  });

  it('a .wasm named directly runs as its folder does', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/cpuid/build/cpuid.wasm', '--quiet']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('cpuid: waiting; 34 syscalls');
  });

  it('--config reaches the extension: faulty bad-args prints its statuses and the run is ok', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/faulty', '--config', 'bad-args']);
    expect(r.exitCode).toBe(0);
    const lines = from(r.stdout, 'faulty');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('faulty: bad-args: bf_debug_op_out with a wrong handle -> 0xdead000000020001 BF_STATUS_FAILURE_INVALID_HANDLE');
    expect(r.stdout).toContain('── summary: ok');
  });
});

describe.concurrent('a guest that does more than CPUID: exit 0', () => {
  it('--guest tour: cpuid handles the CPUIDs; MSRs and ports are not intercepted and run natively', async ({ expect }) => {
    for (const arch of ['amd', 'intel']) {
      const r = await bfx(['run', 'extensions/cpuid', '--guest', 'tour', '--arch', arch]);
      expect(r.exitCode, arch).toBe(0);
      expect(from(r.stdout, 'guest0').slice(2), arch).toEqual([
        SIGNATURE,
        'cpuid(1) hypervisor-bit=1',
        'rdmsr(IA32_PAT)=0x7040600070406',
        'wrmsr(IA32_TSC_AUX, 0x1234) then rdmsr=0x1234',
        'out 0x80 <- 0x42',
        'in 0x61 -> 0x20',
      ]);
      expect(r.stdout).toContain('pp0: guest halted after 3 exits');
    }
  });
});

describe.concurrent('runs that fail: exit 1', () => {
  it('--guest vmcall: cpuid intercepts no hypercall, so on AMD the guest takes #UD and shuts down', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/cpuid', '--guest', 'vmcall']);
    expect(r.exitCode).toBe(1);
    expect(from(r.stdout, 'guest0')).toEqual(['hello from pp 0']);
    expect(r.stdout).toContain('── summary: FAILED');
    expect(r.stdout).toContain('  pp0: guest shut down (the guest made a hypercall nobody intercepts: #UD with no IDT) after 0 exits\n');
  });

  it('faulty crashing in its entry point: the fault on stderr as it happens, and in the summary', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/faulty', '--config', 'divide-by-zero']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('faulty | faulty: divide-by-zero in main\n');
    expect(r.stderr).toContain('bfx    | faulty: ext_main_entry failed: trap divide-by-zero: divide by zero\n');
    expect(r.stdout).toContain('── summary: FAILED');
    expect(r.stdout).toContain('  faulty: faulted; 2 syscalls\n');
    expect(r.stdout).toContain('    fault in main: trap divide-by-zero: divide by zero\n');
  });

  it('faulty crashing in bootstrap next to cpuid: --json says which failed, and cpuid served the guest', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/faulty', 'extensions/cpuid', '--config', 'null-call@bootstrap', '--json']);
    expect(r.exitCode).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(false);
    expect(j.extensions.map((e: { name: string; faults: unknown[] }) => [e.name, e.faults.length])).toEqual([['faulty', 1], ['cpuid', 0]]);
    expect(j.extensions[0].faults[0]).toMatchObject({
      where: 'bootstrap', ppid: 0,
      fault: { kind: 'trap', trap: 'indirect-call-null' },
      text: 'trap indirect-call-null: null function or function signature mismatch',
    });
    expect(j.output).toContainEqual({ source: 'guest', ppid: 0, text: SIGNATURE });
    expect(j.output).toContainEqual({ source: 'host', text: 'faulty: bootstrap callback on pp 0 failed: trap indirect-call-null: null function or function signature mismatch' });
  });

  it('a runaway vmexit callback is stopped at --budget: its worker terminated, the deadline in the summary', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/faulty', '--config', 'runaway@vmexit', '--budget', '300']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('faulty | faulty: runaway in vmexit on pp 0\n');
    expect(r.stderr).toContain('bfx    | faulty: vmexit callback on pp 0 failed: deadline: it ran past its CPU budget of 300 ms; its worker was terminated\n');
    expect(r.stdout).toContain('    fault in vmexit on pp0: deadline: it ran past its CPU budget of 300 ms; its worker was terminated\n');
  });

  it('--budget 0: the extension runs in bfx\'s own thread, as fast, with the same result', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/cpuid', '--budget', '0', '--json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).output).toContainEqual({ source: 'guest', ppid: 0, text: SIGNATURE });
  });

  it('--max-exits: the limit stops the run', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/cpuid', '--max-exits', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('the run reached its limit of 1 VM exit (--max-exits)');
    expect(r.stdout).toContain('pp0: still running after 1 exit when the run hit its limit');
  });
});

describe.concurrent('extensions that cannot be loaded: exit 3', () => {
  it('a .wasm that is not WebAssembly: names the file and the problem', async ({ expect }) => {
    const p = join(tmp, 'notes.wasm');
    writeFileSync(p, 'not a module\n');
    const r = await bfx(['run', p]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe(`bfx run: cannot load ${p}: not a WebAssembly module: it does not start with the WebAssembly magic bytes \\0asm\n`);
    expect(r.stdout).toBe('');
  });

  it('the same with --json: one JSON object on stdout', async ({ expect }) => {
    const p = join(tmp, 'notes2.wasm');
    writeFileSync(p, 'not a module either\n');
    const r = await bfx(['run', p, '--json']);
    expect(r.exitCode).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: false, path: p, module: 'notes2' });
    expect(j.problems).toEqual(['not a WebAssembly module: it does not start with the WebAssembly magic bytes \\0asm']);
    expect(j.error).toContain(p);
  });

  it('a path that does not exist', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/nothing-here']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe('bfx run: cannot load extensions/nothing-here: no such file or folder\n');
  });

  it('the first extension that cannot be loaded stops the run before anything runs', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/cpuid', 'extensions/nothing-here']);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe('');
  });
});
