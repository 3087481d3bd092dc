// CRC-32 (IEEE 802.3, reflected; zlib's), as the firmware computes it.
// Eight bytes at a time from eight tables (slicing-by-8): every frame of
// the shared-memory transport is checksummed on the path of each exit.

const TABLES: Uint32Array[] = [new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
})];
for (let t = 1; t < 8; t++) TABLES.push(TABLES[t - 1].map((c) => (c >>> 8) ^ TABLES[0][c & 0xff]));
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES;

export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  let i = 0;
  for (const end = data.length - 7; i < end; i += 8) {
    const lo = (c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
    const hi = data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24);
    c = T7[lo & 0xff] ^ T6[(lo >>> 8) & 0xff] ^ T5[(lo >>> 16) & 0xff] ^ T4[lo >>> 24]
      ^ T3[hi & 0xff] ^ T2[(hi >>> 8) & 0xff] ^ T1[(hi >>> 16) & 0xff] ^ T0[hi >>> 24 & 0xff];
  }
  for (; i < data.length; i++) c = T0[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
