// Frames on the wire (docs/wire-protocol.md): a 20-byte header — magic,
// version, type, flags, seq, length, CRC-32 — then the payload. The reader
// takes bytes as they come and gives back frames, or says exactly what was
// wrong with what is not one.
import { errors, frame as F, messages } from '../../abi/wire.js';
import { crc32 } from './crc32.js';

export interface Frame {
  type: number;
  seq: number;
  flags: number;
  payload: Uint8Array;
}

export type FrameProblem = (typeof errors)[number]['name'] | 'GARBAGE';

/** what the reader could not take, and where in the stream */
export interface FrameError {
  problem: FrameProblem;
  message: string;
  /** the frame's seq, when its header was read */
  seq?: number;
}

const TYPES = new Map(messages.map((m) => [m.type, m.name]));

export function messageName(type: number): string {
  return TYPES.get(type) ?? `type 0x${type.toString(16)}`;
}

export function encodeFrame(type: number, seq: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encodeFrameInto(new Uint8Array(F.HEADER_BYTES + payload.length), type, seq, payload);
}

/** the frame written at the start of `out` (which must hold it): the bytes it takes there */
export function encodeFrameInto(into: Uint8Array, type: number, seq: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (payload.length > F.MAX_PAYLOAD) throw new Error(`wire: a ${payload.length}-byte payload is longer than ${F.MAX_PAYLOAD}`);
  const out = into.subarray(0, F.HEADER_BYTES + payload.length);
  const v = new DataView(out.buffer, out.byteOffset, out.length);
  v.setUint32(0, F.MAGIC, true);
  v.setUint8(4, F.VERSION);
  v.setUint8(5, type);
  v.setUint16(6, 0, true);
  v.setUint32(8, seq >>> 0, true);
  v.setUint32(12, payload.length, true);
  out.set(payload, F.HEADER_BYTES);
  v.setUint32(16, crc32(payload, crc32(out.subarray(0, F.CRC_COVERS))), true);
  return out;
}

const MAGIC = [F.MAGIC & 0xff, (F.MAGIC >>> 8) & 0xff, (F.MAGIC >>> 16) & 0xff, F.MAGIC >>> 24];

/** finds the magic in buf from start; -1 when it is not there (a partial one at the end is kept) */
function findMagic(buf: Uint8Array, start: number): number {
  outer: for (let i = start; i + 4 <= buf.length; i++) {
    for (let k = 0; k < 4; k++) if (buf[i + k] !== MAGIC[k]) continue outer;
    return i;
  }
  return -1;
}

/** junk held back this long is named even before a frame follows it */
const GARBAGE_REPORT = 64;

export class FrameReader {
  private buf: Uint8Array = new Uint8Array(0);
  /** bytes skipped since the last frame, named once when the next frame starts */
  private junk = 0;
  private sample = '';

  private junkReport(): FrameError {
    const e: FrameError = { problem: 'GARBAGE', message: `${this.junk} byte${this.junk === 1 ? '' : 's'} that are no frame ("${this.sample}${this.junk > 40 ? '…' : ''}")` };
    this.junk = 0;
    this.sample = '';
    return e;
  }

  /** the frames and problems the bytes so far make, in order */
  push(chunk: Uint8Array): (Frame | FrameError)[] {
    if (this.buf.length === 0) {
      // the common case, a chunk of whole frames: read where it lies
      this.buf = chunk;
    } else {
      const joined = new Uint8Array(this.buf.length + chunk.length);
      joined.set(this.buf);
      joined.set(chunk, this.buf.length);
      this.buf = joined;
    }
    const out: (Frame | FrameError)[] = [];
    for (;;) {
      const at = findMagic(this.buf, 0);
      if (at !== 0) {
        // bytes before a frame: skip them, keeping only what could start the next magic
        const skip = at < 0 ? Math.max(0, this.buf.length - 3) : at;
        if (this.sample.length < 40) {
          this.sample += new TextDecoder().decode(this.buf.subarray(0, Math.min(skip, 40 - this.sample.length))).replace(/[^\x20-\x7e]/g, '.');
        }
        this.junk += skip;
        this.buf = this.buf.subarray(skip);
        if (at < 0) {
          if (this.junk >= GARBAGE_REPORT) out.push(this.junkReport());
          return out;
        }
      }
      if (this.junk) out.push(this.junkReport());
      if (this.buf.length < F.HEADER_BYTES) return out;
      const v = new DataView(this.buf.buffer, this.buf.byteOffset, F.HEADER_BYTES);
      const version = v.getUint8(4);
      const type = v.getUint8(5);
      const flags = v.getUint16(6, true);
      const seq = v.getUint32(8, true);
      const length = v.getUint32(12, true);
      const crc = v.getUint32(16, true);
      const drop = (problem: FrameProblem, message: string) => {
        out.push({ problem, message, seq });
        this.buf = this.buf.subarray(4); // look for the next magic after this one
      };
      if (version !== F.VERSION) {
        drop('BAD_VERSION', `a frame of protocol version ${version}; this host speaks ${F.VERSION}`);
        continue;
      }
      if (length > F.MAX_PAYLOAD) {
        drop('TOO_LONG', `a frame says its payload is ${length} bytes; the most is ${F.MAX_PAYLOAD}`);
        continue;
      }
      if (this.buf.length < F.HEADER_BYTES + length) return out;
      // the bytes a reader is given are its own (pipes hand over fresh arrays), so a payload can stay where it lies
      const payload = this.buf.subarray(F.HEADER_BYTES, F.HEADER_BYTES + length);
      const want = crc32(payload, crc32(this.buf.subarray(0, F.CRC_COVERS)));
      if (want !== crc) {
        drop('BAD_CHECKSUM', `${messageName(type)} seq ${seq}: checksum 0x${crc.toString(16)}, but its bytes sum to 0x${want.toString(16)}`);
        continue;
      }
      this.buf = this.buf.subarray(F.HEADER_BYTES + length);
      if (!TYPES.has(type)) {
        out.push({ problem: 'UNKNOWN_TYPE', message: `seq ${seq}: no message has type 0x${type.toString(16)}`, seq });
        continue;
      }
      out.push({ type, seq, flags, payload });
    }
  }

  /** the bytes skipped that no frame has followed yet, named; undefined when there are none */
  strayBytes(): FrameError | undefined {
    return this.junk ? this.junkReport() : undefined;
  }

  /** bytes held that are not yet a whole frame */
  get pending(): number {
    return this.buf.length;
  }
}

export function isFrame(x: Frame | FrameError): x is Frame {
  return 'payload' in x;
}
