// The trigger sequence of records and reconciliation, as every backend must
// show it: running → a stop that fails midway leaves Error while the
// microkernel holds the VPS alive → start: Running, one open ledger
// interval; reconciling again changes nothing. How the stop is made to fail
// is the backend's (an injected fault on the sim, a lost frame under QEMU).
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Microkernel } from '../../host/backend/microkernel.js';
import { Ledger } from '../../host/supervisor/ledger.js';
import type { Supervisor } from '../../host/supervisor/runtime.js';

/** s has run extension `name`, which owns vps 0; its ledger is `file`. afterStop: what must happen before the stop is looked at */
export async function triggerSequence(s: Supervisor, name: string, file: string, mk: Microkernel, afterStop: () => Promise<void> = async () => {}): Promise<void> {
  const state = (r: string) => s.status().resources.find((x) => x.resource === r)?.state;
  const open = (r: string) => new Ledger(file, Date.now).openIntervals().filter((i) => i.resource === r).length;
  expect(state('vps 0')).toBe('Running');
  expect(open('vps 0')).toBe(1);

  s.stop(name);
  await afterStop();
  expect(s.status().extensions[0].state).toBe('Stopped');
  expect(state('vps 0'), 'the stop failed midway').toBe('Error');
  expect(mk.resources('vps')[0], 'the microkernel holds it alive').toBe('live');
  expect(open('vps 0'), 'an interval closes only when its stop committed').toBe(1);

  s.start(name);
  expect(state('vps 0')).toBe('Running');
  expect(open('vps 0')).toBe(1);
  expect(s.status().extensions[0].state).toBe('Running');
  const lines = readFileSync(file, 'utf8');
  const before = JSON.stringify(s.status().resources);
  expect(s.reconcile(name)).toBe(0);
  expect(readFileSync(file, 'utf8')).toBe(lines);
  expect(JSON.stringify(s.status().resources)).toBe(before);
}
