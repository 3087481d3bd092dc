// Records and reconciliation on the firmware under QEMU: the trigger
// sequence, with the failure midway caused for real — the fault proxy drops
// the destroy of the VPS on its way to the firmware, so the stop times out
// (its outcome unknown: the record says Error) while the firmware holds the
// VPS alive; the next start reconciles the record to Running, with one open
// ledger interval, and reconciling again changes nothing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BF_SYSCALLS } from '../../host/abi/bf.js';
import { bootQemu } from '../../host/backend/remote/boot.js';
import { load } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { Ledger } from '../../host/supervisor/ledger.js';
import { manifestFrom } from '../../host/supervisor/manifest.js';
import { Supervisor } from '../../host/supervisor/runtime.js';
import { triggerSequence } from './reconcile.js';

const DESTROY_VPS = BF_SYSCALLS.find((s) => s.name === 'bf_vps_op_destroy_vps')!.rax.toString(16);

it('on QEMU: running → a stop whose destroy is lost on the wire leaves Error while the firmware holds it alive → start: Running, one open interval; reconciling again changes nothing', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'bfx-ledger-')), 'ledger.jsonl');
  const t = await bootQemu({ guest: 'idle', name: `bfx-reconcile-${process.pid}`, timeouts: { requestMs: 300 }, faults: [{ dir: 'down', rax: DESTROY_VPS, action: 'drop' }] });
  try {
    const s = new Supervisor(t.remote, [{
      manifest: manifestFrom({ name: 'c', module: 'cpuid' }, 'c.json'), loaded: await load(join(ROOT, 'extensions', 'cpuid')),
    }], { ledger: new Ledger(file, Date.now) });
    await s.run();
    await triggerSequence(s, 'c', file, t.remote, async () => {
      // the proxy reports by message: the event loop takes it once the host's thread lets it
      for (let i = 0; i < 100 && !t.session.proxy!.report().injected.drop; i++) await new Promise((ok) => setTimeout(ok, 10));
      expect(t.session.proxy!.report().injected).toEqual({ drop: 1 });
    });
  } finally {
    t.remote.close();
    await t.shutdown();
  }
});
