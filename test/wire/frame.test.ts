// Frames on the wire: what encodeFrame writes, FrameReader reads back, in
// any chunking; and everything that is not a frame is named, then skipped.
import { describe, expect, it } from 'vitest';
import { frame as F } from '../../abi/wire.js';
import { crc32 } from '../../host/wire/crc32.js';
import { FrameReader, encodeFrame, isFrame, type Frame, type FrameError } from '../../host/wire/frame.js';
import { PayloadError, TYPE, parseError, parseHello, u64 } from '../../host/wire/messages.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const read = (...chunks: Uint8Array[]) => {
  const r = new FrameReader();
  return chunks.flatMap((c) => r.push(c));
};
const frames = (xs: (Frame | FrameError)[]) => xs.filter(isFrame);
const problems = (xs: (Frame | FrameError)[]) => xs.filter((x): x is FrameError => !isFrame(x)).map((x) => x.problem);

describe('CRC-32', () => {
  it('is the IEEE one, as zlib computes it', () => {
    expect(crc32(bytes('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(bytes('56789'), crc32(bytes('1234')))).toBe(0xcbf43926);
  });
});

describe('frames', () => {
  const hb = encodeFrame(TYPE.HEARTBEAT, 7, u64(0x1122334455667788n));

  it('have the documented header: magic, version, type, flags, seq, length, CRC', () => {
    const v = new DataView(hb.buffer);
    expect(hb.length).toBe(F.HEADER_BYTES + 8);
    expect([...hb.subarray(0, 4)]).toEqual([...bytes('BFXw')]);
    expect([v.getUint8(4), v.getUint8(5), v.getUint16(6, true), v.getUint32(8, true), v.getUint32(12, true)]).toEqual([1, TYPE.HEARTBEAT, 0, 7, 8]);
    expect(v.getUint32(16, true)).toBe(crc32(hb.subarray(20), crc32(hb.subarray(0, 16))));
  });

  it('read back whole, byte by byte, or two in one chunk', () => {
    const want = { type: TYPE.HEARTBEAT, seq: 7, flags: 0, payload: u64(0x1122334455667788n) };
    expect(read(hb)).toEqual([want]);
    expect(read(...[...hb].map((b) => Uint8Array.of(b)))).toEqual([want]);
    const two = new Uint8Array([...hb, ...encodeFrame(TYPE.BYE, 8)]);
    expect(read(two).map((f) => (f as Frame).seq)).toEqual([7, 8]);
  });

  it('a long run of junk is named before any frame follows it', () => {
    const r = new FrameReader();
    expect(r.push(new Uint8Array(30).fill(0x2e))).toEqual([]);
    expect(problems(r.push(new Uint8Array(40).fill(0x2e)))).toEqual(['GARBAGE']);
  });

  it('bytes before a frame are named GARBAGE once, however they came, and skipped', () => {
    const xs = read(bytes('boot noise '), hb);
    expect(problems(xs)).toEqual(['GARBAGE']);
    expect((xs[0] as FrameError).message).toBe('11 bytes that are no frame ("boot noise ")');
    expect(frames(xs).map((f) => f.seq)).toEqual([7]);
  });

  it('a bad checksum is named, and the next good frame is still read', () => {
    const bad = hb.slice();
    bad[F.HEADER_BYTES] ^= 0xff;
    const xs = read(bad, encodeFrame(TYPE.BYE, 9));
    expect(problems(xs)[0]).toBe('BAD_CHECKSUM');
    expect((xs[0] as FrameError).seq).toBe(7);
    expect(frames(xs).map((f) => f.seq)).toEqual([9]);
  });

  it('another version, a payload too long and an unknown type are each named', () => {
    const version = hb.slice();
    version[4] = 2;
    expect(problems(read(version))).toContain('BAD_VERSION');
    const long = hb.slice();
    new DataView(long.buffer).setUint32(12, F.MAX_PAYLOAD + 1, true);
    expect(problems(read(long))).toContain('TOO_LONG');
    expect(read(encodeFrame(0x7f, 3))).toEqual([{ problem: 'UNKNOWN_TYPE', seq: 3, message: 'seq 3: no message has type 0x7f' }]);
  });

  it('a frame cut short waits for the rest', () => {
    const r = new FrameReader();
    expect(r.push(hb.subarray(0, 25))).toEqual([]);
    expect(r.pending).toBe(25);
    expect(frames(r.push(hb.subarray(25)))).toHaveLength(1);
    expect(r.pending).toBe(0);
  });

  it('a payload longer than the protocol allows is refused when written', () => {
    expect(() => encodeFrame(TYPE.HEARTBEAT, 1, new Uint8Array(F.MAX_PAYLOAD + 1))).toThrow('longer than 1024');
  });
});

describe('payloads', () => {
  it('HELLO: architecture, limits, firmware name; anything else is a PayloadError', () => {
    const p = new Uint8Array([1, 2, 16, 0, 8, 0, 8, 0, 64, 0, ...bytes('fw'), 0]);
    expect(parseHello(p)).toEqual({ arch: 'amd', limits: { pps: 2, vms: 16, vps: 8, vpss: 8, pages: 64 }, firmware: 'fw' });
    expect(() => parseHello(p.subarray(0, 5))).toThrow(PayloadError);
    expect(() => parseHello(new Uint8Array([3, ...p.subarray(1)]))).toThrow('architecture 3');
    expect(() => parseHello(new Uint8Array([1, 0, ...p.subarray(2)]))).toThrow('no pps');
    expect(() => parseHello(p.subarray(0, p.length - 1))).toThrow('NUL');
  });

  it('ERROR: the seq it refers to, the code and its name, the text', () => {
    const p = new Uint8Array([5, 0, 0, 0, 4, 0, ...bytes('no'), 0]);
    expect(parseError(p)).toEqual({ seq: 5, code: 4, name: 'UNKNOWN_TYPE', text: 'no' });
  });
});
