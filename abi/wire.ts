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
];

export const errors = [
  { name: 'BAD_CHECKSUM', code: 1, doc: 'the CRC-32 did not match' },
  { name: 'BAD_VERSION', code: 2, doc: 'the frame is of another protocol version' },
  { name: 'TOO_LONG', code: 3, doc: 'the length is more than MAX_PAYLOAD' },
  { name: 'UNKNOWN_TYPE', code: 4, doc: 'no message has that type' },
  { name: 'BAD_PAYLOAD', code: 5, doc: 'the payload is not the size the message has' },
] as const;

export const archs = { amd: 1, intel: 2 } as const;
