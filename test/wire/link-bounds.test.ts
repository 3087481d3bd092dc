// The link's memory is bounded, whatever the other side sends: answers to
// requests the host never made, and requests given up on with their late
// answers, are each kept up to LATE_KEPT; past it the oldest are forgotten
// and counted, and the link stays up. The other side here is a real socket
// that floods the host with frames, as a lying microkernel would.
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LATE_KEPT, Link, LinkError } from '../../host/backend/remote/link.js';
import { SyncWire } from '../../host/backend/remote/sync-wire.js';
import { encodeFrame, FrameReader, isFrame } from '../../host/wire/frame.js';
import { TYPE } from '../../host/wire/messages.js';

const dir = mkdtempSync(join(tmpdir(), 'bfx-link-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function pair(): Promise<{ link: Link; wire: SyncWire; peer: Socket }> {
  const path = join(dir, `l${n++}.sock`);
  const wire = await SyncWire.listen(path);
  const peer = connect(path);
  await new Promise((ok) => peer.once('connect', ok));
  for (let i = 0; i < 100 && !wire.waitConnected(0); i++) await new Promise((ok) => setTimeout(ok, 5));
  return { link: new Link(wire), wire, peer };
}

const flush = (s: Socket, b: Uint8Array) => new Promise<void>((ok) => s.write(b, () => ok()));
const result = (seq: number) => encodeFrame(TYPE.SYSCALL_RESULT, seq, new Uint8Array(56));
const many = (frames: Uint8Array[]) => Buffer.concat(frames);

/** the seqs of the frames the host sent, as the peer reads them */
function sentSeqs(peer: Socket): number[] {
  const seqs: number[] = [];
  const reader = new FrameReader();
  peer.on('data', (d: Buffer) => {
    for (const f of reader.push(d)) if (isFrame(f)) seqs.push(f.seq);
  });
  return seqs;
}

describe('the link under a flood', () => {
  it('answers to requests never made: the last LATE_KEPT kept, the rest counted; the request waited for still gets its answer', async () => {
    const { link, wire, peer } = await pair();
    const flood = 100;
    await flush(peer, many(Array.from({ length: LATE_KEPT + flood }, (_, i) => result(50_000 + i))));
    // the host's first request is seq 1: its answer comes after the flood
    await flush(peer, encodeFrame(TYPE.HEARTBEAT, 1, new Uint8Array(8)));
    expect(link.request(TYPE.HEARTBEAT, new Uint8Array(8), TYPE.HEARTBEAT, 5000).seq).toBe(1);
    expect(link.unsolicited.length).toBe(LATE_KEPT);
    expect(link.unsolicitedDropped).toBe(flood);
    expect(link.unsolicited[0].seq).toBe(50_000 + flood);
    expect(link.failed).toBeUndefined();
    wire.close();
    peer.destroy();
  });

  it('requests given up on: LATE_KEPT remembered; a late answer to one forgotten is unsolicited, not late', async () => {
    const { link, wire, peer } = await pair();
    const seqs = sentSeqs(peer);
    const extra = 10;
    for (let i = 0; i < LATE_KEPT + extra; i++) {
      expect(() => link.request(TYPE.SYSCALL, new Uint8Array(64), TYPE.SYSCALL_RESULT, 0)).toThrow(LinkError);
    }
    for (let i = 0; i < 100 && seqs.length < LATE_KEPT + extra; i++) await new Promise((ok) => setTimeout(ok, 10));
    expect(seqs.length).toBe(LATE_KEPT + extra);
    // every answer comes, late; then one the host waits for
    await flush(peer, many(seqs.map(result)));
    const next = LATE_KEPT + extra + 1;
    await flush(peer, encodeFrame(TYPE.HEARTBEAT, next, new Uint8Array(8)));
    link.request(TYPE.HEARTBEAT, new Uint8Array(8), TYPE.HEARTBEAT, 5000);
    expect(link.late.length).toBe(LATE_KEPT);
    expect(link.late[0].seq).toBe(extra + 1);
    expect(link.unsolicited.map((f) => f.seq)).toEqual(seqs.slice(0, extra));
    expect(link.lateDropped).toBe(extra);
    expect(link.failed).toBeUndefined();
    wire.close();
    peer.destroy();
  });
});
