// NUL-terminated UTF-8 for bf_debug_op_write_str, without allocating:
// strings are encoded a chunk at a time into one static buffer.

const SIZE: i32 = 256;
export const BF_CSTR_BUF: usize = memory.data(SIZE, 8);

/**
 * Encodes s from code unit `start` into BF_CSTR_BUF, NUL-terminated, as far
 * as it fits. Returns the code unit to continue from (s.length when done).
 */
export function bf_cstr_chunk(s: string, start: i32): i32 {
  let i = start;
  let at: i32 = 0;
  const len = s.length;
  // leave room for the longest sequence (4 bytes) and the NUL
  while (i < len && at <= SIZE - 5) {
    let c = <u32>s.charCodeAt(i++);
    if (c >= 0xd800 && c < 0xdc00 && i < len) {
      const lo = <u32>s.charCodeAt(i);
      if (lo >= 0xdc00 && lo < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    const p = BF_CSTR_BUF + <usize>at;
    if (c < 0x80) {
      store<u8>(p, <u8>c);
      at += 1;
    } else if (c < 0x800) {
      store<u8>(p, <u8>(0xc0 | (c >> 6)));
      store<u8>(p + 1, <u8>(0x80 | (c & 0x3f)));
      at += 2;
    } else if (c < 0x10000) {
      store<u8>(p, <u8>(0xe0 | (c >> 12)));
      store<u8>(p + 1, <u8>(0x80 | ((c >> 6) & 0x3f)));
      store<u8>(p + 2, <u8>(0x80 | (c & 0x3f)));
      at += 3;
    } else {
      store<u8>(p, <u8>(0xf0 | (c >> 18)));
      store<u8>(p + 1, <u8>(0x80 | ((c >> 12) & 0x3f)));
      store<u8>(p + 2, <u8>(0x80 | ((c >> 6) & 0x3f)));
      store<u8>(p + 3, <u8>(0x80 | (c & 0x3f)));
      at += 4;
    }
  }
  store<u8>(BF_CSTR_BUF + <usize>at, 0);
  return i;
}
