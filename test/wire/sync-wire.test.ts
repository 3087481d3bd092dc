// The pipe a syscall blocks on: a worker reads the socket into shared
// memory while the caller sleeps; what it does when nothing comes, when the
// other side closes, and when the other side sends more than it can hold.
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RING_BYTES, SyncWire, SyncWireError } from '../../host/backend/remote/sync-wire.js';

const dir = mkdtempSync(join(tmpdir(), 'bfx-syncwire-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function pair(): Promise<{ wire: SyncWire; peer: Socket }> {
  const path = join(dir, `w${n++}.sock`);
  const wire = await SyncWire.listen(path);
  const peer = connect(path);
  await new Promise((ok) => peer.once('connect', ok));
  // the worker accepts on its own thread; let it
  for (let i = 0; i < 100 && !wire.waitConnected(0); i++) await new Promise((ok) => setTimeout(ok, 5));
  return { wire, peer };
}

const flush = (s: Socket, b: Uint8Array) => new Promise<void>((ok) => s.write(b, () => ok()));

describe('SyncWire', () => {
  it('gives the caller, blocking, the bytes the other side sent', async () => {
    const { wire, peer } = await pair();
    expect(wire.waitConnected(0)).toBe(true);
    await flush(peer, Uint8Array.of(1, 2, 3));
    expect([...wire.read(5000)]).toEqual([1, 2, 3]);
    wire.close();
    peer.destroy();
  });

  it('writes reach the other side', async () => {
    const { wire, peer } = await pair();
    const got = new Promise<Buffer>((ok) => peer.once('data', ok));
    wire.write(Uint8Array.of(9, 8, 7));
    expect([...(await got)]).toEqual([9, 8, 7]);
    wire.close();
    peer.destroy();
  });

  it('a read with nothing to read waits its time, then gives nothing', async () => {
    const { wire, peer } = await pair();
    const t0 = performance.now();
    expect(wire.read(120).length).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    wire.close();
    peer.destroy();
  });

  it('the other side closing ends it, once what it sent has been read', async () => {
    const { wire, peer } = await pair();
    await flush(peer, Uint8Array.of(5));
    peer.end();
    await new Promise((ok) => peer.once('close', ok));
    await new Promise((ok) => setTimeout(ok, 50));
    expect([...wire.read(1000)]).toEqual([5]);
    expect(() => wire.read(1000)).toThrow(new SyncWireError('the wire closed'));
    wire.close();
  });

  it('more than the ring holds, unread, ends the link and says so', async () => {
    const { wire, peer } = await pair();
    peer.on('error', () => {});
    await flush(peer, new Uint8Array(RING_BYTES + 4096));
    await new Promise((ok) => setTimeout(ok, 200));
    const read = () => {
      for (;;) wire.read(1000); // drains what fitted, then hits the overflow
    };
    expect(read).toThrow(`the firmware sent more than ${RING_BYTES} bytes the host had not read: the link is closed`);
    wire.close();
    peer.destroy();
  });
});
