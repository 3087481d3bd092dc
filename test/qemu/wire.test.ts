// The wire to the real firmware under QEMU: the handshake, answers matched
// by seq, frames the firmware refuses without dropping the link, and a
// firmware that never says hello or sends what is no frame: a clear error,
// and no QEMU left behind.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Link, LinkError } from '../../host/backend/remote/link.js';
import { encodeFrame } from '../../host/wire/frame.js';
import { TYPE, u64 } from '../../host/wire/messages.js';
import { ROOT } from '../../host/paths.js';
import { start } from '../../qemu/qemu.js';
import { qemuRunning } from './processes.js';

const IMAGE = join(ROOT, 'firmware', 'build', 'bfx.elf');
const caught = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
};

async function firmware(mode: string) {
  const name = `bfx-test-wire-${mode}-${process.pid}-${Date.now()}`;
  const s = await start({ image: IMAGE, append: mode, wire: true, timeoutMs: 30_000, name });
  return { s, link: new Link(s.wire!), name };
}

describe('the wire to the firmware', () => {
  it('says hello with its architecture and limits, answers heartbeats, and ends on bye', async () => {
    const { s, link } = await firmware('wire');
    expect(link.hello(10_000)).toEqual({ arch: 'amd', limits: { pps: 1, vms: 16, vps: 16, vpss: 16, pages: 64 }, firmware: 'bfx-firmware 0.1' });
    const f = link.request(TYPE.HEARTBEAT, u64(0xfeedn), TYPE.HEARTBEAT, 10_000);
    expect(new DataView(f.payload.buffer, f.payload.byteOffset).getBigUint64(0, true)).toBe(0xfeedn);
    link.bye();
    const r = await s.result;
    expect(r.verdict).toBe('pass');
    expect(r.serial).toEqual([
      'bfx firmware: in long mode; command line "wire"',
      'bfx firmware: said hello on COM2',
      'bfx firmware: the host answered hello',
      'bfx firmware: the host said bye',
    ]);
  });

  it('refuses a bad checksum, an unknown type and a wrong payload with ERROR frames, and stays up', async () => {
    const { s, link } = await firmware('wire');
    link.hello(10_000);
    const bad = encodeFrame(TYPE.HEARTBEAT, 100, u64(1n));
    bad[bad.length - 1] ^= 0xff;
    link.sendRaw(bad);
    expect(() => link.request(0x7f, undefined, 0x7f, 10_000)).toThrow(/refused frame \d+: UNKNOWN_TYPE/);
    expect(() => link.request(TYPE.HEARTBEAT, new Uint8Array(3), TYPE.HEARTBEAT, 10_000)).toThrow(/BAD_PAYLOAD/);
    expect(link.firmwareErrors.map((e) => [e.name, e.seq])).toEqual([['BAD_CHECKSUM', 100], ['UNKNOWN_TYPE', 2], ['BAD_PAYLOAD', 3]]);
    link.request(TYPE.HEARTBEAT, u64(2n), TYPE.HEARTBEAT, 10_000); // still up
    link.bye();
    expect((await s.result).verdict).toBe('pass');
  });

  it('a firmware that never says hello: a timeout that says so, and QEMU is stopped', async () => {
    const { s, link, name } = await firmware('wire-silent');
    const e = caught(() => link.hello(1500));
    expect(e).toBeInstanceOf(LinkError);
    expect((e as LinkError).message).toBe('the firmware did not say hello within 1500 ms');
    s.stop();
    expect((await s.result).verdict).toBe('stopped');
    expect(qemuRunning(name)).toBe(false);
  });

  it('a firmware that sends what is no frame: the link fails naming it, and QEMU is stopped', async () => {
    const { s, link, name } = await firmware('wire-garbage');
    const e = caught(() => link.hello(10_000));
    expect(e).toBeInstanceOf(LinkError);
    expect((e as LinkError).problem).toBe('GARBAGE');
    expect((e as LinkError).message).toBe('the firmware sent a malformed frame: 19 bytes that are no frame ("this is not a frame")');
    expect(link.failed).toBe(e);
    s.stop();
    expect((await s.result).verdict).toBe('stopped');
    expect(qemuRunning(name)).toBe(false);
  });
});
