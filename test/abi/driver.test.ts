// The driver itself: a real WebAssembly extension whose syscalls reach the boundary.
import { describe, expect, it, onTestFinished } from 'vitest';
import { BF_STATUS_SUCCESS, bf_reg_t } from '../../host/abi/bf.js';
import { backends, provides } from '../../host/conformance/backends.js';
import { Driver } from '../../host/conformance/driver/driver.js';

describe.each(backends)('driver on $name', (backend) => {
  it('opens a handle, creates a VM, VP and VPS on a processor and reads a register', async () => {
    // on the last processor, where there are several
    const pps = provides(backend, 'smp') ? 2 : 1;
    const d = (await Driver.create(backend, pps > 1 ? { pps } : {})).start();
    onTestFinished(() => d.close());
    const e = d.e;
    expect(e.ext.state).toBe('waiting');
    const rip = d.inCallback(() => {
      const vm = e.createVm();
      const vp = e.createVp(vm);
      const vps = e.createVps(vp, pps - 1);
      expect(e.call('bf_vps_op_init_as_root', e.handle, vps)).toBe(BF_STATUS_SUCCESS);
      return e.readReg(vps, bf_reg_t.rip);
    }, pps - 1);
    expect(rip).toBe(0x100000n);
  });
});
