// faulty: every way a WebAssembly extension can crash, in its entry point,
// its bootstrap callback and its vmexit callback. Each crash is recorded as
// exactly what it was, ends only the call it happened in, and leaves the
// host serving the guests and the other extensions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../host/paths.js';
import type { Fault } from '../../host/sandbox/trap.js';
import { describeFault } from '../../host/sandbox/trap.js';
import { Run, run } from './run.js';

const SIGNATURE = 'cpuid(0x40000000) signature=BfxHyperWasm max-leaf=0x40000000';
/** what a guest prints when nothing emulates CPUID for it */
const NATIVE = ['cpuid(0x40000000) signature=............ max-leaf=0x0', 'cpuid(1) hypervisor-bit=0'];
const FAILURE_UNKNOWN = '0xdead000000010001';

// where the abort is in the source: AssemblyScript passes file, line and column to env.abort
const source = readFileSync(join(ROOT, 'extensions', 'faulty', 'main.ts'), 'utf8').split('\n');
const abortLine = source.findIndex((l) => l.includes("throw new Error('faulty was asked to abort')"));

const CRASHES: Record<string, Fault> = {
  'unreachable': { kind: 'trap', trap: 'unreachable', message: 'unreachable' },
  'out-of-bounds': { kind: 'trap', trap: 'memory-out-of-bounds', message: 'memory access out of bounds' },
  'divide-by-zero': { kind: 'trap', trap: 'divide-by-zero', message: 'divide by zero' },
  'stack-overflow': { kind: 'trap', trap: 'stack-overflow', message: 'Maximum call stack size exceeded' },
  'null-call': { kind: 'trap', trap: 'indirect-call-null', message: 'null function or function signature mismatch' },
  'out-of-memory': { kind: 'trap', trap: 'out-of-memory', message: 'the AssemblyScript runtime could not allocate: the memory is full and cannot grow' },
  'abort': {
    kind: 'abort', message: 'faulty was asked to abort',
    file: expect.stringMatching(/(^|\/)extensions\/faulty\/main\.ts$/) as unknown as string,
    line: abortLine + 1, column: source[abortLine].indexOf('throw') + 1,
  },
};
const MODES = Object.keys(CRASHES);

/** the guest lines cpuid makes each processor print */
function expectCpuidGuests(r: Run, pps: number): void {
  for (let pp = 0; pp < pps; pp++) {
    expect(r.guest(pp)).toContain(SIGNATURE);
    expect(r.guest(pp)).toContain('cpuid(1) hypervisor-bit=1');
  }
}

it('the abort is where the test expects it in the source', () => {
  expect(abortLine).toBeGreaterThan(0);
});

describe.each(MODES)('faulty %s', (mode) => {
  const fault = CRASHES[mode];

  it('@main (the default): the entry point faults; cpuid in the same host runs on', async () => {
    const r = await run({ pps: 2 }, ['faulty', mode], 'cpuid');
    const [faulty, cpuid] = r.host.extensions;
    expect(faulty.faults).toEqual([{ where: 'main', ppid: 0, fault }]);
    expect(faulty.state).toBe('faulted');
    expect(r.lines('faulty')).toEqual([`faulty: ${mode} in main`]);
    expect(r.hostLines()).toEqual([`faulty: ext_main_entry failed: ${describeFault(faulty.faults[0].fault)}`]);
    // the host goes on: the other extension's guests see its hypervisor
    expect(cpuid.state).toBe('waiting');
    expect(cpuid.faults).toEqual([]);
    expectCpuidGuests(r, 2);
    expect(r.result.pps.map((p) => p.state)).toEqual(['halted', 'halted']);
    expect(r.result.ok).toBe(false);
    expect(r.result.extensions[0].faults.map((f) => f.text)).toEqual([describeFault(faulty.faults[0].fault)]);
  });

  it('@main, said outright, is the same', async () => {
    const r = await run({}, ['faulty', `${mode}@main`]);
    expect(r.host.extensions[0].faults).toEqual([{ where: 'main', ppid: 0, fault }]);
  });

  it('@bootstrap: faults on every processor; the fail callback promotes the guest', async () => {
    const r = await run({ pps: 2 }, ['faulty', `${mode}@bootstrap`]);
    const [faulty] = r.host.extensions;
    expect(faulty.faults).toEqual([{ where: 'bootstrap', ppid: 0, fault }, { where: 'bootstrap', ppid: 1, fault }]);
    expect(faulty.state).toBe('waiting'); // a callback's crash ends the callback, not the extension
    expect(r.lines('faulty')).toEqual([0, 1].flatMap((pp) => [
      `faulty: ${mode} in bootstrap on pp ${pp}`,
      `faulty: the bootstrap callback on pp ${pp} crashed (${mode}), status ${FAILURE_UNKNOWN}; giving the processor back to its OS`,
    ]));
    expect(r.hostLines()).toEqual([0, 1].map((pp) => `faulty: bootstrap callback on pp ${pp} failed: ${describeFault(faulty.faults[pp].fault)}`));
    // promoted: the guest runs on without a hypervisor, so it sees the processor's own CPUID
    expect(r.result.pps).toEqual([{ ppid: 0, state: 'promoted', exits: 0 }, { ppid: 1, state: 'promoted', exits: 0 }]);
    for (const pp of [0, 1]) expect(r.guest(pp).slice(-2)).toEqual(NATIVE);
    // what bootstrap made before it crashed outlives the crash: the host owns it
    expect(r.result.resources).toEqual({ vm: { live: 1, zombie: 0 }, vp: { live: 2, zombie: 0 }, vps: { live: 2, zombie: 0 } });
    expect(r.result.ok).toBe(false);
  });

  it('@bootstrap: cpuid in the same host still gets its guests', async () => {
    const r = await run({ pps: 2 }, ['faulty', `${mode}@bootstrap`], 'cpuid');
    expect(r.host.extensions[0].faults.map((f) => [f.where, f.ppid])).toEqual([['bootstrap', 0], ['bootstrap', 1]]);
    expect(r.host.extensions[1].faults).toEqual([]);
    expectCpuidGuests(r, 2);
    expect(r.result.pps.map((p) => [p.state, p.exits])).toEqual([['halted', 3], ['halted', 3]]);
  });

  it('@vmexit: faults on the first exit of every processor; the fail callback promotes the guest', async () => {
    const r = await run({ pps: 2 }, ['faulty', `${mode}@vmexit`]);
    const [faulty] = r.host.extensions;
    expect(faulty.faults).toEqual([{ where: 'vmexit', ppid: 0, fault }, { where: 'vmexit', ppid: 1, fault }]);
    expect(faulty.state).toBe('waiting');
    expect(r.lines('faulty')).toEqual([0, 1].flatMap((pp) => [
      `faulty: ${mode} in vmexit on pp ${pp}`,
      `faulty: the vmexit callback on pp ${pp} crashed (${mode}), status ${FAILURE_UNKNOWN}; giving the processor back to its OS`,
    ]));
    expect(r.hostLines()).toEqual([0, 1].map((pp) => `faulty: vmexit callback on pp ${pp} failed: ${describeFault(faulty.faults[pp].fault)}`));
    expect(r.result.pps).toEqual([{ ppid: 0, state: 'promoted', exits: 1 }, { ppid: 1, state: 'promoted', exits: 1 }]);
    // the CPUID that exited runs again, natively, and so does the rest of the guest
    for (const pp of [0, 1]) expect(r.guest(pp)).toEqual([`hello from pp ${pp}`, expect.stringMatching(/^cpuid\(0\) vendor=AuthenticAMD/), ...NATIVE]);
    expect(r.result.ok).toBe(false);
  });

  // Not side by side as above: a processor runs the VPS run last in bootstrap, so with
  // cpuid added after faulty, faulty would never see an exit. So the same host runs
  // faulty to its crashes first, then takes cpuid and runs again.
  it('@vmexit: the same host then runs cpuid, whose guests see its signature', async () => {
    const r = new Run({ pps: 2 });
    await r.add('faulty', `${mode}@vmexit`);
    r.run();
    expect(r.host.extensions[0].faults).toHaveLength(2);
    const before = r.output.length;
    await r.add('cpuid');
    const result = r.run();
    const after = r.output.slice(before);
    for (const pp of [0, 1]) {
      expect(after.filter((l) => l.source === 'guest' && l.ppid === pp).map((l) => l.text)).toContain(SIGNATURE);
    }
    expect(r.host.extensions[1].faults).toEqual([]);
    expect(result.extensions[1].exits).toEqual({ 'cpuid (0x72)': 6 });
    expect(result.pps.map((p) => p.state)).toEqual(['halted', 'halted']);
  });
});

describe('faulty on Intel', () => {
  it('crashes in vmexit too: Intel exits on CPUID without being asked', async () => {
    const r = await run({ arch: 'intel' }, ['faulty', 'divide-by-zero@vmexit']);
    expect(r.host.extensions[0].faults).toEqual([{ where: 'vmexit', ppid: 0, fault: CRASHES['divide-by-zero'] }]);
    expect([...r.host.extensions[0].exits]).toEqual([[10n, 1]]);
    expect(r.result.pps).toEqual([{ ppid: 0, state: 'promoted', exits: 1 }]);
  });
});

describe('faulty bad-args', () => {
  /** the status each bad call got, as the extension prints it */
  const STATUSES = [
    'bf_debug_op_out with a wrong handle -> 0xdead000000020001 BF_STATUS_FAILURE_INVALID_HANDLE',
    'bf_handle_op_open_handle of version 0x1234 -> 0xdead000000040001 BF_STATUS_FAILURE_UNSUPPORTED',
    'bf_vm_op_create_vm to a null pointer -> 0xdead000000020003 BF_STATUS_INVALID_PARAMS1',
    'bf_vps_op_read_reg to a misaligned pointer -> 0xdead000000080003 BF_STATUS_INVALID_PARAMS3',
    'bf_vps_op_read_reg to a pointer past the end -> 0xdead000000080003 BF_STATUS_INVALID_PARAMS3',
    'bf_vps_op_read_reg of register 73 -> 0xdead000000040003 BF_STATUS_INVALID_PARAMS2',
    'bf_vps_op_read_reg of vpsid 0x10000 -> 0xdead000000020003 BF_STATUS_INVALID_PARAMS1',
    'bf_vm_op_destroy_vm of BF_INVALID_ID -> 0xdead000000020003 BF_STATUS_INVALID_PARAMS1',
    'bf_debug_op_write_str of a null pointer -> 0xdead000000020003 BF_STATUS_INVALID_PARAMS1',
    'bf_callback_op_register_vmexit of table slot 0xffff -> 0xdead000000020003 BF_STATUS_INVALID_PARAMS1',
  ].map((s) => `faulty: bad-args: ${s}`);

  it('@main: prints the exact status of each bad call, cleans up, exits; nothing crashed', async () => {
    const r = await run({}, ['faulty', 'bad-args']);
    expect(r.lines('faulty')).toEqual(STATUSES);
    const [faulty] = r.host.extensions;
    expect(faulty.faults).toEqual([]);
    expect(faulty.state).toBe('exited');
    // the VM, VP and VPS it made to name were destroyed; none of the bad calls made anything
    expect(r.result.resources).toEqual({ vm: { live: 0, zombie: 0 }, vp: { live: 0, zombie: 0 }, vps: { live: 0, zombie: 0 } });
    expect(r.result.audit.records).toEqual([]);
    expect(r.result.ok).toBe(true);
  });

  it.each(['bootstrap', 'vmexit'])('@%s: the same statuses, once, and the guests run to their end', async (where) => {
    const r = await run({ pps: 2 }, ['faulty', `bad-args@${where}`]);
    expect(r.lines('faulty')).toEqual(STATUSES);
    expect(r.host.extensions[0].faults).toEqual([]);
    expect(r.host.extensions[0].state).toBe('waiting');
    // it emulates CPUID with the processor's own answers: the guest sees no hypervisor, and halts
    expect(r.result.pps).toEqual([{ ppid: 0, state: 'halted', exits: 3 }, { ppid: 1, state: 'halted', exits: 3 }]);
    for (const pp of [0, 1]) expect(r.guest(pp).slice(-2)).toEqual(NATIVE);
    expect(r.result.resources).toEqual({ vm: { live: 1, zombie: 0 }, vp: { live: 2, zombie: 0 }, vps: { live: 2, zombie: 0 } });
    expect(r.result.ok).toBe(true);
  });
});

describe('faulty, told nothing or nonsense', () => {
  const HOW = 'say how to fail with --config <mode>[@<where>]; the modes are '
    + 'unreachable, out-of-bounds, divide-by-zero, stack-overflow, null-call, abort, out-of-memory, runaway, exit-failure, bad-args; '
    + 'where is main, bootstrap, vmexit (main when not said)';

  it.each([
    ['', 'no mode given'],
    ['explode', 'unknown mode "explode"'],
    ['abort@teardown', 'unknown place "teardown"'],
  ])('config "%s": says what is wrong and lists the modes, then exits', async (config, what) => {
    const r = await run({}, ['faulty', config]);
    expect(r.lines('faulty')).toEqual([`faulty: ${what}: ${HOW}`]);
    const [faulty] = r.host.extensions;
    expect(faulty.state).toBe('exited');
    expect(faulty.faults).toEqual([]);
    expect(faulty.callCounts().bf_control_op_exit).toBe(1);
  });

  it('a mode with space around it is still that mode', async () => {
    const r = await run({}, ['faulty', ' unreachable@main\n']);
    expect(r.host.extensions[0].faults).toEqual([{ where: 'main', ppid: 0, fault: CRASHES.unreachable }]);
  });
});
