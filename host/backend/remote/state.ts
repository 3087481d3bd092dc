// The firmware's STATE answer read: its tables, as docs/wire-protocol.md
// lays them out. The host compares snapshots as bytes; this reading is for
// what it must know of them (what is allocated) and for messages.
import { LinkError } from './link.js';

/** 0 free, 1 live, 2 zombie */
export type SlotState = number;

export interface KernelState {
  limits: { vms: number; vps: number; vpss: number; pps: number; pages: number; handles: number };
  handles: boolean[];
  vm: SlotState[];
  vp: { state: SlotState; vm: number }[];
  vps: { state: SlotState; vp: number; pp: number }[];
  /** state: 0 none, 1 ready, 2 exited, 3 promote, 4 done; vm/vp/vps 0xffff when none */
  pp: { state: number; vm: number; vp: number; vps: number }[];
  pages: boolean[];
  archCrc: number;
  pagesCrc: number;
}

export function parseState(p: Uint8Array): KernelState {
  const v = new DataView(p.buffer, p.byteOffset, p.length);
  let at = 0;
  const need = (n: number, what: string) => {
    if (at + n > p.length) throw new LinkError(`the firmware's STATE ends at byte ${p.length}, inside ${what}`, 'BAD_PAYLOAD');
  };
  const u8 = (what: string) => (need(1, what), p[at++]);
  const u16 = (what: string) => (need(2, what), (at += 2), v.getUint16(at - 2, true));
  const u32 = (what: string) => (need(4, what), (at += 4), v.getUint32(at - 4, true));
  const [vms, vps, vpss, pps, pages, handles] = ['vms', 'vps', 'vpss', 'pps', 'pages', 'handles'].map((k) => u16(`the limit ${k}`));
  const times = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
  const s: KernelState = {
    limits: { vms, vps, vpss, pps, pages, handles },
    handles: times(handles, (i) => u8(`handle ${i + 1}`) === 1),
    vm: times(vms, (i) => u8(`vm ${i}`)),
    vp: times(vps, (i) => ({ state: u8(`vp ${i}`), vm: u16(`vp ${i}`) })),
    vps: times(vpss, (i) => ({ state: u8(`vps ${i}`), vp: u16(`vps ${i}`), pp: u16(`vps ${i}`) })),
    pp: times(pps, (i) => ({ state: u8(`pp ${i}`), vm: u16(`pp ${i}`), vp: u16(`pp ${i}`), vps: u16(`pp ${i}`) })),
    pages: times(pages, (i) => u8(`page ${i}`) === 1),
    archCrc: u32('the control blocks\' checksum'),
    pagesCrc: u32('the pages\' checksum'),
  };
  if (at !== p.length) throw new LinkError(`the firmware's STATE has ${p.length - at} bytes past its end`, 'BAD_PAYLOAD');
  return s;
}
