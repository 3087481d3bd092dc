// The wire protocol between the host and the firmware: its constants, once.
// The host imports this file; the firmware's header is generated from it
// (npm run gen). docs/wire-protocol.md says what each message means.

/** a frame: this header, then `length` bytes of payload; all little-endian */
export const frame = {
  /** "BFXw" as bytes */
  MAGIC: 0x77584642,
  VERSION: 1,
  /** magic u32, version u8, type u8, flags u16, seq u32, length u32, crc32 u32 */
  HEADER_BYTES: 20,
  /** the CRC-32 covers the header's first 16 bytes, then the payload */
  CRC_COVERS: 16,
  MAX_PAYLOAD: 1024,
} as const;

export interface Message {
  name: string;
  type: number;
  from: 'firmware' | 'host' | 'both';
  doc: string;
}

export const messages: readonly Message[] = [
  { name: 'HELLO', type: 0x01, from: 'firmware', doc: 'first frame after boot: u8 arch, u8 pps, u16 vms, u16 vps, u16 vpss, u16 pages, then the firmware name (NUL-terminated)' },
  { name: 'HELLO_ACK', type: 0x02, from: 'host', doc: 'the host speaks this version; no payload' },
  { name: 'HEARTBEAT', type: 0x03, from: 'both', doc: 'u64 counter; the firmware answers with the same payload and seq' },
  { name: 'ERROR', type: 0x04, from: 'firmware', doc: 'a frame the firmware could not take: u32 its seq (0 when unknown), u16 error code, then text (NUL-terminated)' },
  { name: 'BYE', type: 0x05, from: 'host', doc: 'the run is over: the firmware ends the emulator with status 0; no payload' },
  { name: 'SYSCALL', type: 0x06, from: 'host', doc: 'a syscall as registers: u64 rax (sig, flags, op, idx), u64 reg0..reg5, u16 ppid it executes on, 6 bytes of zero (64 bytes)' },
  { name: 'SYSCALL_RESULT', type: 0x07, from: 'firmware', doc: 'the answer to SYSCALL: u64 status (bf_status_t), u64 reg0..reg5 (56 bytes)' },
  { name: 'RUN', type: 0x08, from: 'host', doc: 'enter the guest a run or promote made ready on a processor: u16 ppid; answered by EXIT or STOPPED' },
  { name: 'EXIT', type: 0x09, from: 'firmware', doc: 'a VM exit for the extension: u16 ppid, u16 vpsid, u32 zero, u64 reason, u64 info1, u64 info2, then the guest rax, rbx, rcx, rdx, rsi, rdi, rip (88 bytes)' },
  { name: 'STOPPED', type: 0x0a, from: 'firmware', doc: 'the guest stopped without an exit for the extension: u16 ppid, u16 vpsid, u8 how (STOP_*), u8 zero, then why (NUL-terminated)' },
  { name: 'CONSOLE', type: 0x0b, from: 'firmware', doc: 'text the firmware prints (dumps): u8 source (1 kernel), u8 zero, u16 ppid, then the text; sent before the answer of the request that printed it' },
  { name: 'FAIL', type: 0x0c, from: 'firmware', doc: 'the firmware took an exception it cannot contain: u64 vector, u64 error code, u64 rip, then text (NUL-terminated); the emulator ends after it' },
  { name: 'STATE', type: 0x0d, from: 'both', doc: 'host: no payload; firmware: its tables as bytes (docs/wire-protocol.md): equal bytes, equal state' },
  { name: 'CPUID', type: 0x0e, from: 'both', doc: 'host: u32 leaf, u32 subleaf; firmware: u32 eax, ebx, ecx, edx as the processor answers natively' },
  { name: 'PAGE_WRITE', type: 0x0f, from: 'host', doc: 'bytes into a page from alloc_page: u64 phys, u16 offset, u16 count, then count bytes; answered by DONE' },
  { name: 'DONE', type: 0x10, from: 'firmware', doc: 'the request succeeded; no payload' },
  { name: 'BENCH_CPUID', type: 0x11, from: 'both', doc: 'host: u32 n; the firmware runs the root guest through n CPUID exits it answers itself; firmware: u64 exits handled' },
  { name: 'SHM', type: 0x12, from: 'both', doc: 'host: u64 nonce; the firmware writes the mailbox header (with the nonce) and answers u64 its guest-physical address, u32 ring bytes, u32 0; the next frame the host sends, on the mailbox or on the stream, decides the transport' },
];

/** the shared-memory mailbox (docs/wire-protocol.md, "The shared-memory transport"): offsets in bytes from its start */
export const mailbox = {
  /** "BFXs" as bytes */
  MAGIC: 0x73584642,
  VERSION: 1,
  /** u32 magic, u32 version, u64 nonce, u32 ring bytes */
  OFF_MAGIC: 0,
  OFF_VERSION: 4,
  OFF_NONCE: 8,
  OFF_RING_BYTES: 16,
  /** free-running u32 byte counts, each on a cache line of its own: written by the host */
  OFF_DOWN_HEAD: 64,
  /** … by the firmware */
  OFF_DOWN_TAIL: 128,
  /** … by the firmware */
  OFF_UP_HEAD: 192,
  /** … by the host */
  OFF_UP_TAIL: 256,
  /** u32, by the host: 1 while it sleeps and wants a doorbell byte on the stream after each frame */
  OFF_HOST_WAITING: 320,
  /** host → firmware bytes, then firmware → host bytes, RING_BYTES each */
  OFF_DOWN_DATA: 4096,
  RING_BYTES: 16384,
  /** the whole mailbox: the header page and the two rings */
  BYTES: 4096 + 2 * 16384,
} as const;

/** EXIT's flags (its u32 at offset 4) */
export const exitFlags = {
  /** the guest wrote to the console (COM1) since the last EXIT: the host reads the console's file now */
  CONSOLE: 1,
} as const;

/** how a STOPPED guest stopped */
export const stops = { HALT: 1, SHUTDOWN: 2, PROMOTED: 3 } as const;

export const errors = [
  { name: 'BAD_CHECKSUM', code: 1, doc: 'the CRC-32 did not match' },
  { name: 'BAD_VERSION', code: 2, doc: 'the frame is of another protocol version' },
  { name: 'TOO_LONG', code: 3, doc: 'the length is more than MAX_PAYLOAD' },
  { name: 'UNKNOWN_TYPE', code: 4, doc: 'no message has that type' },
  { name: 'BAD_PAYLOAD', code: 5, doc: 'the payload is not the size the message has, or names what does not exist' },
  { name: 'BAD_STATE', code: 6, doc: 'the request cannot be taken now (RUN on a processor with nothing to run)' },
] as const;

export const archs = { amd: 1, intel: 2 } as const;
