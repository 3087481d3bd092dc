// The shared-memory transport (docs/wire-protocol.md, "The shared-memory
// transport"): the same frames as the stream, through two byte rings in the
// firmware's memory, which QEMU keeps in a file the host maps or reads and
// writes (mailbox-access.ts). The stream stays open
// for the doorbell: a host that has polled long enough sleeps on it, and
// the firmware rings it after a frame while the host says it sleeps.
import { statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mailbox as M } from '../../../abi/wire.js';
import { TYPE } from '../../wire/messages.js';
import type { Link } from './link.js';
import { openMailbox, type Access, type MailboxAccess } from './mailbox-access.js';
import { SyncWireError, type Pipe, type SyncWire } from './sync-wire.js';

/** how long a reader polls the ring before it sleeps on the doorbell: an answer the firmware makes at once comes well within it */
const SPIN_MS = 0.2;
/** the longest sleep on the doorbell at a time: a doorbell lost to a race is found by the next poll */
const NAP_MS = 20;

export class ShmWire implements Pipe {
  private readonly ring = M.RING_BYTES;
  private downHead = 0;
  /** the firmware's down tail as last read: room is known without reading it each time */
  private downTail = 0;
  private upTail = 0;
  /** the up tail the firmware has been told */
  private upTold = 0;
  private waiting = false;
  private closed = false;

  constructor(
    /** the mailbox, mapped or through the file */
    readonly access: MailboxAccess,
    private readonly doorbell: SyncWire,
  ) {}

  /** bytes into the down ring at a free-running count, in one or two pieces */
  private put(count: number, bytes: Uint8Array): void {
    const at = count % this.ring;
    const first = Math.min(bytes.length, this.ring - at);
    this.access.write(M.OFF_DOWN_DATA + at, bytes, 0, first);
    if (first < bytes.length) this.access.write(M.OFF_DOWN_DATA, bytes, first, bytes.length - first);
  }

  /** what the up ring holds now; undefined when nothing */
  private take(): Uint8Array | undefined {
    if (this.closed) throw new SyncWireError('the wire closed');
    const n = (this.access.get(M.OFF_UP_HEAD) - this.upTail) >>> 0;
    if (n === 0) return undefined;
    if (n > this.ring) throw new SyncWireError(`the firmware's up head says ${n} bytes wait in a ring of ${this.ring}: the mailbox is not one`);
    const out = new Uint8Array(n);
    const data = M.OFF_DOWN_DATA + this.ring;
    const at = this.upTail % this.ring;
    const first = Math.min(n, this.ring - at);
    this.access.read(data + at, out, 0, first);
    if (first < n) this.access.read(data, out, first, n - first);
    this.upTail = (this.upTail + n) >>> 0;
    // the firmware needs the tail only for room: told when half the ring is taken, and before the host sleeps
    if (((this.upTail - this.upTold) >>> 0) >= this.ring / 2) this.tell();
    return out;
  }

  private tell(): void {
    if (this.upTold === this.upTail) return;
    this.access.set(M.OFF_UP_TAIL, this.upTail);
    this.upTold = this.upTail;
  }

  private sleeping(on: boolean): void {
    if (on) this.tell();
    if (this.waiting === on) return;
    this.waiting = on;
    this.access.set(M.OFF_HOST_WAITING, on ? 1 : 0);
  }

  /**
   * What has come; when nothing has and `sleep`, the host says it sleeps
   * (a doorbell is wanted) and looks once more, since the firmware may
   * have published just before the flag. The caller then sleeps on the
   * doorbell, whose bytes say nothing but "look".
   */
  private look(sleep: boolean): Uint8Array | undefined {
    let got = this.take();
    if (!got && sleep) {
      this.sleeping(true);
      got = this.take();
    }
    if (got) this.sleeping(false);
    return got;
  }

  /** polls, then sleeps on the doorbell; the bytes, or empty after timeoutMs; throws when the stream closed */
  read(timeoutMs: number): Uint8Array {
    const start = performance.now();
    const deadline = start + timeoutMs;
    for (;;) {
      const now = performance.now();
      const got = this.look(now - start >= SPIN_MS);
      if (got) return got;
      if (now >= deadline) return new Uint8Array(0);
      if (this.waiting) this.doorbell.read(Math.min(NAP_MS, deadline - performance.now()));
    }
  }

  /** the same without blocking the thread: no polling, straight to the doorbell */
  async readAsync(timeoutMs: number): Promise<Uint8Array> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const got = this.look(true);
      if (got) return got;
      if (performance.now() >= deadline) return new Uint8Array(0);
      await this.doorbell.readAsync(Math.min(NAP_MS, deadline - performance.now()));
    }
  }

  write(bytes: Uint8Array): void {
    if (this.closed) throw new SyncWireError('the wire closed');
    if (bytes.length > this.ring) throw new SyncWireError(`${bytes.length} bytes do not fit a ring of ${this.ring}`);
    const deadline = performance.now() + 10_000;
    while (((this.downHead - this.downTail) >>> 0) + bytes.length > this.ring) {
      this.downTail = this.access.get(M.OFF_DOWN_TAIL);
      if (performance.now() > deadline) throw new SyncWireError('the firmware has taken nothing from the mailbox for 10 s');
    }
    this.put(this.downHead, bytes);
    this.downHead = (this.downHead + bytes.length) >>> 0;
    this.access.set(M.OFF_DOWN_HEAD, this.downHead);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.access.close();
    this.doorbell.close();
  }
}

/**
 * Moves the link's frames to the mailbox in `file` (QEMU's RAM): asks the
 * firmware for it (SHM), and checks that the file holds it there, nonce
 * and all. Undefined when moved; else why not, and the stream stays.
 */
export function moveToMailbox(link: Link, stream: SyncWire, file: string, timeoutMs: number, want: Access = 'mapped'): string | undefined {
  const nonce = randomBytes(8);
  let answer: Uint8Array;
  try {
    answer = link.request(TYPE.SHM, nonce, TYPE.SHM, timeoutMs).payload;
  } catch (e) {
    if (link.failed) throw e;
    return `the firmware did not move: ${(e as Error).message}`;
  }
  if (answer.length !== 16) return `the firmware answered SHM with ${answer.length} bytes, not 16`;
  const v = new DataView(answer.buffer, answer.byteOffset, 16);
  const phys = Number(v.getBigUint64(0, true));
  const ring = v.getUint32(8, true);
  if (ring !== M.RING_BYTES) return `the firmware's rings are ${ring} bytes, not ${M.RING_BYTES}`;
  if (phys % 4096 !== 0 || phys + M.BYTES > statSync(file).size) return `the firmware's mailbox at ${phys.toString(16)} is not a page of ${file}`;
  const access = openMailbox(file, phys, M.BYTES, want);
  const header = new Uint8Array(24);
  access.read(0, header, 0, 24);
  const h = Buffer.from(header.buffer);
  const found = h.readUInt32LE(M.OFF_MAGIC) === M.MAGIC && h.readUInt32LE(M.OFF_VERSION) === M.VERSION
    && h.subarray(M.OFF_NONCE, M.OFF_NONCE + 8).equals(nonce) && h.readUInt32LE(M.OFF_RING_BYTES) === ring;
  if (!found) {
    access.close();
    return `no mailbox with the host's nonce at ${phys.toString(16)} of ${file}: the file is not this guest's RAM`;
  }
  link.reroute(new ShmWire(access, stream));
  return undefined;
}
