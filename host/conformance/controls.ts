// The negative controls: the reference microkernel with one rule of the
// ABI switched off (SimOptions.breaks, test-only) must fail exactly the
// cases that check that rule, and no other. A suite that cannot fail, or
// that fails where nothing is broken, proves nothing.
import { Sim, type SimBreak } from '../backend/sim/sim.js';
import { sim, type Backend } from './backends.js';
import type { Case } from './catalogue/case.js';
import { catalogue } from './catalogue/index.js';
import { runCase } from './runner.js';

export interface Control {
  breaks: SimBreak;
  /** the rule switched off, in words */
  rule: string;
  /** the cases that check that rule: the ones that must fail */
  checks(c: Case): boolean;
}

const FIELD_OPS = /^bf_vps_op_(read|write)(8|16|32|64)$/;

/** cases about another clause that also rely on zombies as they go, each for the reason given */
const ALSO_ZOMBIES: Readonly<Record<string, string>> = {
  'vp.create_vp.success': 'its VM is then in use: destroying it makes a zombie',
  'vps.create_vps.success': 'its VP is then in use: destroying it makes a zombie',
  'guarantees.creation.vp-parent-zombie': 'it needs a zombie VM to create the VP in',
  'guarantees.creation.vps-parent-zombie': 'it needs a zombie VP to create the VPS in',
};

export const CONTROLS: readonly Control[] = [
  {
    breaks: 'zombies',
    rule: 'destroying a VM, VP or VPS still in use makes it a zombie (here: frees it)',
    // a zombie the host makes itself, when a destroy's outcome is unknown (an injected fault), is the host's rule
    checks: (c) => (c.clause === 'zombies' && !(c.needs ?? []).includes('faults')) || c.id in ALSO_ZOMBIES,
  },
  {
    breaks: 'fields',
    rule: 'a VPS field index that names no field of the access\'s width answers INVALID_PARAMS2 (here: reads 0, takes writes)',
    checks: (c) => c.status === 'BF_STATUS_INVALID_PARAMS2' && FIELD_OPS.test(c.syscall ?? ''),
  },
];

/** the sim with the control's rule broken, as a backend for the runner */
export function brokenSim(breaks: SimBreak): Backend {
  return { ...sim, name: `sim (breaks ${breaks})`, create: (o) => new Sim({ ...o, breaks }) };
}

export interface ControlResult {
  control: Control;
  /** IDs of the cases that failed */
  failed: string[];
  /** failed, though they do not check the rule */
  unexpected: string[];
  /** check the rule, yet passed */
  missed: string[];
}

/** every case of the catalogue against the broken sim */
export async function runControl(control: Control, cases: readonly Case[] = catalogue): Promise<ControlResult> {
  const backend = brokenSim(control.breaks);
  const failed: string[] = [];
  const unexpected: string[] = [];
  const missed: string[] = [];
  for (const c of cases) {
    const r = await runCase(backend, c);
    if (r.result === 'fail') {
      failed.push(c.id);
      if (!control.checks(c)) unexpected.push(c.id);
    } else if (r.result === 'pass' && control.checks(c)) {
      missed.push(c.id);
    }
  }
  return { control, failed, unexpected, missed };
}
