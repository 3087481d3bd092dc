// The shared-memory transport under QEMU: the frames move from the UART to
// a mailbox in guest RAM that QEMU keeps in a file the host reads and
// writes; where there is no such file (Bochs, the fault proxy) or the file
// does not hold the mailbox, the stream stays, and the target says why.
// It is QEMU's default: the conformance catalogue on it is
// catalogue.qemu.test.ts, and on the UART catalogue.qemu-uart.test.ts.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { mailbox } from '../../abi/wire.js';
import { BF_SPEC_ID1_VAL, BF_STATUS_SUCCESS } from '../../host/abi/bf.js';
import { bootFirmware } from '../../host/backend/remote/boot.js';
import { ShmWire, moveToMailbox } from '../../host/backend/remote/shm-wire.js';
import { TYPE, u64 } from '../../host/wire/messages.js';
import { bfx } from '../cli/bfx.js';

const tmp = mkdtempSync(join(tmpdir(), 'bfx-shm-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.concurrent('the shared-memory transport', () => {
  it.for(['mapped', 'file'] as const)('moves the frames to the mailbox (%s): its header is in the file, heartbeats and syscalls go through it', async (access, { expect }) => {
    const t = await bootFirmware({ transport: 'shm', access, timeoutMs: 60_000 });
    try {
      expect(t.transport).toBe('shm');
      expect(t.fallback).toBeUndefined();
      // the native mapper is built by npm install (npm ci in CI): here it must be there
      expect(t.access).toBe(access);
      const pipe = t.remote.link.pipe;
      expect(pipe).toBeInstanceOf(ShmWire);
      // the magic the firmware wrote is in the file QEMU keeps guest RAM in
      const fd = openSync(t.session.memory!, 'r');
      const base = (pipe as ShmWire).access.offset;
      const word = Buffer.alloc(4);
      readSync(fd, word, 0, 4, base + mailbox.OFF_MAGIC);
      expect(word.readUInt32LE(0)).toBe(mailbox.MAGIC);
      const headBefore = Buffer.alloc(4);
      readSync(fd, headBefore, 0, 4, base + mailbox.OFF_UP_HEAD);
      for (let i = 0; i < 50; i++) {
        const f = t.remote.link.request(TYPE.HEARTBEAT, u64(BigInt(i)), TYPE.HEARTBEAT, 10_000);
        expect(new DataView(f.payload.buffer, f.payload.byteOffset, 8).getBigUint64(0, true)).toBe(BigInt(i));
      }
      const headAfter = Buffer.alloc(4);
      readSync(fd, headAfter, 0, 4, base + mailbox.OFF_UP_HEAD);
      closeSync(fd);
      // fifty answers of 28 bytes went up the ring
      expect(headAfter.readUInt32LE(0) - headBefore.readUInt32LE(0)).toBe(50 * 28);
      // a syscall through it: open_handle answers a handle
      expect(t.remote.bf_handle_op_open_handle(BF_SPEC_ID1_VAL)).toBe(BF_STATUS_SUCCESS);
      // asked again on the mailbox, SHM is refused: the frames are there already
      expect(() => t.remote.link.request(TYPE.SHM, new Uint8Array(8), TYPE.SHM, 10_000)).toThrow(/refused frame \d+: BAD_STATE \(the frames travel through the mailbox already\)/);
    } finally {
      expect((await t.shutdown()).verdict).toBe('pass');
    }
  });

  it('a file that does not hold the mailbox: the host says why and the frames stay on the UART', async ({ expect }) => {
    const t = await bootFirmware({ transport: 'uart', timeoutMs: 60_000 });
    try {
      const other = join(tmp, 'not-ram');
      writeFileSync(other, Buffer.alloc(1 << 23)); // larger than the image: the mailbox's page is in it, without the mailbox
      const why = moveToMailbox(t.remote.link, t.session.wire!, other, 10_000);
      expect(why).toMatch(/^no mailbox with the host's nonce at [0-9a-f]+ of .*: the file is not this guest's RAM$/);
      // the firmware listened on both; the next frame came on the stream, so the stream it is
      const f = t.remote.link.request(TYPE.HEARTBEAT, u64(7n), TYPE.HEARTBEAT, 10_000);
      expect(f.payload[0]).toBe(7);
      expect(t.remote.link.pipe).toBe(t.session.wire);
    } finally {
      expect((await t.shutdown()).verdict).toBe('pass');
    }
  });

  it('falls back to the UART where there is no shared RAM: the fault proxy sees the stream only', async ({ expect }) => {
    const t = await bootFirmware({ transport: 'shm', faults: [], timeoutMs: 60_000 });
    try {
      expect(t.transport).toBe('uart');
      expect(t.fallback).toBe('the fault proxy sees the stream only');
      expect(t.remote.link.request(TYPE.HEARTBEAT, u64(1n), TYPE.HEARTBEAT, 10_000).type).toBe(TYPE.HEARTBEAT);
    } finally {
      await t.shutdown();
    }
  });

  it('falls back to the UART under Bochs, which shares no guest RAM', async ({ expect }) => {
    const t = await bootFirmware({ emulator: 'bochs', transport: 'shm', timeoutMs: 120_000 });
    try {
      expect(t.transport).toBe('uart');
      expect(t.fallback).toBe('Bochs shares no guest RAM with the host');
    } finally {
      expect((await t.shutdown()).verdict).toBe('pass');
    }
  }, 120_000);

  it('bfx run --transport shm: the cpuid example answers a thousand CPUIDs through the mailbox', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/cpuid', '--target', 'qemu', '--transport', 'shm', '--guest', 'cpuid-loop:1000']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('bfx: frames travel through shared memory (mapped)');
    expect(r.stdout).toMatch(/guest0 +\| cpuid-loop done: signature=BfxHyperWasm/);
    expect(r.stdout).toMatch(/exits handled: cpuid \(0x72\) ×1000\b/);
  });

  it('bfx run --transport is for the firmware only', async ({ expect }) => {
    const r = await bfx(['run', 'extensions/cpuid', '--transport', 'shm']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--transport is for --target qemu or bochs');
  });
});
