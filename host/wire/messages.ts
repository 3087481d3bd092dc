// The payloads of the messages, read and written.
import { archs, errors, messages } from '../../abi/wire.js';
import type { Arch, Limits } from '../backend/microkernel.js';

export const TYPE = Object.fromEntries(messages.map((m) => [m.name, m.type])) as Record<(typeof messages)[number]['name'], number>;

export interface Hello {
  arch: Arch;
  limits: Limits;
  firmware: string;
}

export class PayloadError extends Error {}

function cstr(p: Uint8Array, at: number): string {
  const end = p.indexOf(0, at);
  if (end < 0) throw new PayloadError('a string with no NUL');
  return new TextDecoder().decode(p.subarray(at, end));
}

export function parseHello(p: Uint8Array): Hello {
  if (p.length < 11) throw new PayloadError(`HELLO is ${p.length} bytes; it has at least 11`);
  const v = new DataView(p.buffer, p.byteOffset, p.length);
  const arch = (Object.entries(archs).find(([, n]) => n === p[0])?.[0]) as Arch | undefined;
  if (!arch) throw new PayloadError(`HELLO names architecture ${p[0]}, which is neither AMD (1) nor Intel (2)`);
  const limits: Limits = { pps: p[1], vms: v.getUint16(2, true), vps: v.getUint16(4, true), vpss: v.getUint16(6, true), pages: v.getUint16(8, true) };
  for (const [k, n] of Object.entries(limits)) if (n === 0) throw new PayloadError(`HELLO says the firmware has no ${k}`);
  return { arch, limits, firmware: cstr(p, 10) };
}

export interface WireErrorReport {
  seq: number;
  code: number;
  name: string;
  text: string;
}

export function parseError(p: Uint8Array): WireErrorReport {
  if (p.length < 7) throw new PayloadError(`ERROR is ${p.length} bytes; it has at least 7`);
  const v = new DataView(p.buffer, p.byteOffset, p.length);
  const code = v.getUint16(4, true);
  return { seq: v.getUint32(0, true), code, name: errors.find((e) => e.code === code)?.name ?? `code ${code}`, text: cstr(p, 6) };
}

export function u64(n: bigint): Uint8Array {
  const p = new Uint8Array(8);
  new DataView(p.buffer).setBigUint64(0, n, true);
  return p;
}

/** a FAIL frame in words: the exception the firmware could not contain */
export function describeFail(p: Uint8Array): string {
  if (p.length < 25) return `a FAIL frame of ${p.length} bytes, too short to read`;
  const v = new DataView(p.buffer, p.byteOffset, p.length);
  const end = p.indexOf(0, 24);
  const text = new TextDecoder().decode(p.subarray(24, end < 0 ? p.length : end));
  const hex = (n: bigint) => `0x${n.toString(16)}`;
  return `exception ${v.getBigUint64(0, true)} (error code ${hex(v.getBigUint64(8, true))}) at rip ${hex(v.getBigUint64(16, true))}${text ? `: ${text}` : ''}`;
}
