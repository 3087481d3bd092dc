// The supervisor's cases on our firmware under QEMU TCG: each case boots
// the image with its root guest, and checks that QEMU ended as it should.
import { bootQemu } from '../../host/backend/remote/boot.js';
import type { StateBackend } from './states.js';

export const qemuBackend: StateBackend = {
  name: 'qemu',
  async boot(guest) {
    const t = await bootQemu({ guest });
    return {
      mk: t.remote,
      async end() {
        t.remote.close();
        const r = await t.shutdown();
        if (r.verdict !== 'pass') throw new Error(`QEMU ended ${r.verdict}: ${r.serial.slice(-5).join(' | ')}`);
      },
    };
  },
};
