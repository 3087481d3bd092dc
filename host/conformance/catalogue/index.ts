// The ABI conformance catalogue: every case, by group, in a stable order.
import type { Case } from './case.js';
import { cases as callback } from './callback.js';
import { cases as control } from './control.js';
import { cases as debug } from './debug.js';
import { cases as guarantees } from './guarantees.js';
import { cases as handle } from './handle.js';
import { cases as intrinsic } from './intrinsic.js';
import { cases as mem } from './mem.js';
import { cases as raw } from './raw.js';
import { cases as vm } from './vm.js';
import { cases as vp } from './vp.js';
import { cases as vps } from './vps.js';

export const groups: Readonly<Record<string, readonly Case[]>> = {
  control, handle, debug, callback, vm, vp, vps, intrinsic, mem, guarantees, raw,
};

export const catalogue: readonly Case[] = Object.values(groups).flat();
