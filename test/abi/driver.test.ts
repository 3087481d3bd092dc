// The driver itself: a real WebAssembly extension whose syscalls reach the boundary.
import { describe, expect, it } from 'vitest';
import { BF_STATUS_SUCCESS, bf_reg_t } from '../../host/abi/bf.js';
import { backends, Driver } from '../harness/driver.js';

describe.each(backends)('driver on $name', (backend) => {
  it('opens a handle, creates a VM, VP and VPS on a processor and reads a register', async () => {
    const d = (await Driver.create(backend, { pps: 2 })).start();
    const e = d.e;
    expect(e.ext.state).toBe('waiting');
    const rip = d.inCallback(() => {
      const vm = e.createVm();
      const vp = e.createVp(vm);
      const vps = e.createVps(vp, 1);
      expect(e.call('bf_vps_op_init_as_root', e.handle, vps)).toBe(BF_STATUS_SUCCESS);
      return e.readReg(vps, bf_reg_t.rip);
    }, 1);
    expect(rip).toBe(0x100000n);
  });
});
