// hello: the smallest extension, from its entry point to bf_control_op_exit.
import { describe, expect, it } from 'vitest';
import { run } from './run.js';

describe('hello', () => {
  it('writes its two lines of debug output and exits', async () => {
    const r = await run({}, 'hello');
    expect(r.lines('hello')).toEqual([
      'hello from an AssemblyScript extension',
      '0x0000000000001234 0x00000000deadbeef',
    ]);
    const ext = r.host.extensions[0];
    expect(ext.state).toBe('exited');
    expect(ext.faults).toEqual([]);
    expect(ext.callCounts()).toEqual({
      bf_handle_op_open_handle: 1, bf_debug_op_write_str: 1, bf_debug_op_out: 1, bf_control_op_exit: 1,
    });
  });

  it('is a run that went well: ok, no guest, nothing left behind', async () => {
    const r = await run({ pps: 2 }, 'hello');
    expect(r.result.ok).toBe(true);
    expect(r.result.extensions.map((e) => [e.name, e.state, e.faults.length])).toEqual([['hello', 'exited', 0]]);
    expect(r.result.pps.map((p) => p.state)).toEqual(['idle', 'idle']);
    expect(r.result.exits).toEqual({});
    expect(r.result.resources).toEqual({ vm: { live: 0, zombie: 0 }, vp: { live: 0, zombie: 0 }, vps: { live: 0, zombie: 0 } });
    expect(r.result.audit.records).toEqual([]);
    expect(r.hostLines()).toEqual([]);
  });
});
