// The remote backend on our firmware under QEMU: what an exit costs on the
// wire, and a firmware that answers with what is no answer.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootQemu } from '../../host/backend/remote/boot.js';
import { load } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { Host } from '../../host/run/host.js';
import { TYPE } from '../../host/wire/messages.js';
import { qemuRunning } from './processes.js';

const cpuid = () => load(join(ROOT, 'extensions', 'cpuid'));

describe('the remote backend', () => {
  it('an exit costs one frame each way: the handler\'s reads, writes and advance ride on RUN and EXIT', async () => {
    const frames = async (n: number) => {
      const target = await bootQemu({ guest: `cpuid-loop:${n}` });
      try {
        const host = new Host(target.remote);
        host.add(await cpuid());
        host.run();
        expect(host.pps[0].state).toBe('halted');
        return { exits: host.pps[0].exits, syscalls: target.remote.link.sent.get(TYPE.SYSCALL) ?? 0, runs: target.remote.link.sent.get(TYPE.RUN) ?? 0 };
      } finally {
        expect((await target.shutdown()).verdict).toBe('pass');
      }
    };
    const few = await frames(5);
    const more = await frames(25);
    expect(few.exits).toBe(5);
    expect(more.exits).toBe(25);
    // the same syscall frames however many exits: only bootstrap's go to the firmware
    expect(more.syscalls).toBe(few.syscalls);
    // one RUN per exit, and the first
    expect(more.runs).toBe(more.exits + 1);
  });

  it.each(['junk', 'checksum', 'type', 'length', 'version'])(
    'a firmware that answers with %s: the syscall fails with FAILURE_UNKNOWN and says why, and QEMU is stopped',
    async (lie) => {
      const name = `bfx-test-bad-${lie}-${process.pid}`;
      // junk followed by nothing is known for what it is when the answer's time is up
      // on the stream: this firmware would answer SHM with its lie too, and the boot, not the syscall, would fail
      const target = await bootQemu({ mode: `wire-bad ${lie}`, name, timeouts: { requestMs: 1000 }, transport: 'uart' });
      expect(qemuRunning(name), 'the QEMU is found while it runs').toBe(true);
      const host = new Host(target.remote);
      host.add(await cpuid());
      host.run();
      // the cpuid example gives up when open_handle fails: nothing else ran
      const audit = host.env.audit.records.map((r) => `${r.syscall}: ${r.message}`);
      expect(audit[0]).toMatch(/^bf_handle_op_open_handle: .*the firmware sent a malformed frame: /);
      expect(target.remote.link.failed?.message).toMatch(/the firmware sent a malformed frame: /);
      const r = await target.shutdown(2000);
      expect(r.verdict).toBe('stopped');
      expect(qemuRunning(name)).toBe(false);
    },
  );

  it('a firmware that takes an exception: its FAIL frame ends the link, naming the exception', async () => {
    const target = await bootQemu({ mode: 'wire-fault', transport: 'uart' });
    const host = new Host(target.remote);
    host.add(await cpuid());
    host.run();
    expect(target.remote.link.failed?.message).toMatch(/^the firmware failed: exception 6 .*#UD/);
    const r = await target.shutdown(2000);
    expect(['fail', 'stopped']).toContain(r.verdict);
  });
});
