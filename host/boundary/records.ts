// The boundary's own account of every VM, VP and VPS: who owns it, what it
// belongs to, and whether it is a zombie. It is kept whatever the backend
// says, so that ownership and the zombie rules hold for every backend.
import type { Limits, ResourceKind } from '../backend/microkernel.js';

export const FREE = 0;
export const LIVE = 1;
export const ZOMBIE = 2;
/** the microkernel it lived in went down: it is gone, and its first use says so (FAILURE_INVALID_HANDLE) */
export const LOST = 3;
export const NONE = 0xffff;

/** a change of a resource's state that has committed: for the ledger and the supervisor */
export type ResourceChange = {
  kind: ResourceKind; id: number; owner: number;
  /**
   * unknown: a destroy threw midway, so what the kernel did is not known; the
   * host uses it no more. lost: the microkernel went down and took it along.
   */
  to: 'live' | 'free' | 'zombie' | 'unknown' | 'lost';
};

export class Table {
  /** told of every change, after it is made */
  onChange: (c: ResourceChange) => void = () => {};
  readonly state: Uint8Array;
  /** extension id of the owner; -1 when free */
  readonly owner: Int16Array;
  /** the VM of a VP, the VP of a VPS */
  readonly parent: Uint16Array;
  /** the physical processor a VPS is assigned to */
  readonly pp: Uint16Array;
  /** 1 for a zombie whose destroy threw midway: the microkernel may have destroyed it, or not */
  readonly unknown: Uint8Array;

  constructor(readonly kind: ResourceKind, readonly size: number) {
    this.state = new Uint8Array(size);
    this.owner = new Int16Array(size).fill(-1);
    this.parent = new Uint16Array(size).fill(NONE);
    this.pp = new Uint16Array(size).fill(NONE);
    this.unknown = new Uint8Array(size);
  }

  add(id: number, owner: number, parent = NONE, pp = NONE): void {
    this.state[id] = LIVE;
    this.owner[id] = owner;
    this.parent[id] = parent;
    this.pp[id] = pp;
    this.onChange({ kind: this.kind, id, owner, to: 'live' });
  }

  free(id: number): void {
    const owner = this.owner[id];
    this.state[id] = FREE;
    this.owner[id] = -1;
    this.parent[id] = NONE;
    this.pp[id] = NONE;
    this.unknown[id] = 0;
    this.onChange({ kind: this.kind, id, owner, to: 'free' });
  }

  /** never usable again: a destroy failed, or (unknown) its outcome is not known */
  zombie(id: number, unknown = false): void {
    this.state[id] = ZOMBIE;
    this.unknown[id] = unknown ? 1 : 0;
    this.onChange({ kind: this.kind, id, owner: this.owner[id], to: unknown ? 'unknown' : 'zombie' });
  }

  /** gone with the microkernel it lived in */
  lose(id: number): void {
    this.state[id] = LOST;
    this.onChange({ kind: this.kind, id, owner: this.owner[id], to: 'lost' });
  }

  /** reconciled: the kernel holds it alive after all */
  revive(id: number): void {
    this.state[id] = LIVE;
    this.unknown[id] = 0;
    this.onChange({ kind: this.kind, id, owner: this.owner[id], to: 'live' });
  }

  /** ids that are not free */
  allocated(): number[] {
    const ids: number[] = [];
    this.state.forEach((s, id) => s !== FREE && ids.push(id));
    return ids;
  }

  count(state: number): number {
    return this.state.reduce((n, s) => n + (s === state ? 1 : 0), 0);
  }
}

export class Records {
  readonly vm: Table;
  readonly vp: Table;
  readonly vps: Table;
  /** what each physical processor has loaded, as the successful runs said */
  readonly activeVm: Uint16Array;
  readonly activeVp: Uint16Array;
  readonly activeVps: Uint16Array;

  constructor(limits: Limits) {
    this.vm = new Table('vm', limits.vms);
    this.vp = new Table('vp', limits.vps);
    this.vps = new Table('vps', limits.vpss);
    this.activeVm = new Uint16Array(limits.pps).fill(NONE);
    this.activeVp = new Uint16Array(limits.pps).fill(NONE);
    this.activeVps = new Uint16Array(limits.pps).fill(NONE);
  }

  /** every table's changes, to one listener */
  onChange(listener: (c: ResourceChange) => void): void {
    for (const t of [this.vm, this.vp, this.vps]) t.onChange = listener;
  }

  table(kind: ResourceKind): Table {
    return kind === 'vm' ? this.vm : kind === 'vp' ? this.vp : this.vps;
  }

  /** the microkernel went down: everything it held is gone with it, and nothing is loaded on any processor */
  loseAll(): void {
    for (const t of [this.vps, this.vp, this.vm]) t.state.forEach((s, id) => s !== FREE && s !== LOST && t.lose(id));
    this.activeVm.fill(NONE);
    this.activeVp.fill(NONE);
    this.activeVps.fill(NONE);
  }

  setActive(ppid: number, vm: number, vp: number, vps: number): void {
    this.activeVm[ppid] = vm;
    this.activeVp[ppid] = vp;
    this.activeVps[ppid] = vps;
  }

  /** still in use, so that destroying it makes a zombie: loaded on a processor, or a parent of something not free */
  inUse(kind: ResourceKind, id: number): boolean {
    const active = kind === 'vm' ? this.activeVm : kind === 'vp' ? this.activeVp : this.activeVps;
    if (active.includes(id)) return true;
    const child = kind === 'vm' ? this.vp : kind === 'vp' ? this.vps : undefined;
    if (!child) return false;
    // a child lost with a microkernel that went down is in nothing: its parent here is the new microkernel's
    for (let c = 0; c < child.size; c++) if (child.state[c] !== FREE && child.state[c] !== LOST && child.parent[c] === id) return true;
    return false;
  }

  /** everything recorded, for comparing before and after */
  snapshot(): string {
    const t = (x: Table) => ({ state: [...x.state], owner: [...x.owner], parent: [...x.parent], pp: [...x.pp] });
    return JSON.stringify({
      vm: t(this.vm), vp: t(this.vp), vps: t(this.vps),
      active: [[...this.activeVm], [...this.activeVp], [...this.activeVps]],
    });
  }
}
