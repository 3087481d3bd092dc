// The state policies on our firmware under QEMU TCG: real SVM exits, the
// same cases as on the sim.
import { bootQemu } from '../../host/backend/remote/boot.js';
import { stateCases } from './states.js';

stateCases({
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
});
