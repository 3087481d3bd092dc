// bf_mem_op_*: a page the microkernel allocates appears in the extension's
// own memory, taken from the range its module leaves free below its data.
// The kernel is told where the page lives, so that a bitmap the extension
// writes there (an IOPM, an MSR map) is the one the guest's intercepts use.
import {
  BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_INVALID_PARAMS1, BF_STATUS_INVALID_PARAMS2, BF_STATUS_SUCCESS,
} from '../../abi/bf.js';
import { BAD_HANDLE, handleOk } from '../check.js';
import type { Caller, Env } from '../context.js';

export function memImports(env: Env, ext: Caller) {
  const { mk } = env;
  const mem = ext.memory;
  /** the extension's page at virt, when it is one from alloc_page */
  const page = (virt: bigint) => (virt >= 0n && virt < BigInt(mem.size) ? ext.pages.get(Number(virt)) : undefined);
  return {
    bf_mem_op_alloc_page(handle: bigint, virt_out: number, phys_out: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      if (!mem.outOk(virt_out, 8)) return BF_STATUS_INVALID_PARAMS1;
      if (!mem.outOk(phys_out, 8)) return BF_STATUS_INVALID_PARAMS2;
      // room in the extension first, so that a full memory leaves the kernel untouched
      if (mem.pagesFree === 0) return BF_STATUS_FAILURE_UNKNOWN;
      const status = mk.bf_mem_op_alloc_page(handle);
      if (status !== BF_STATUS_SUCCESS) return status;
      const kvirt = mk.out[0];
      const phys = mk.out[1];
      const at = mem.takePage()!;
      ext.pages.set(at, { kvirt, phys });
      mk.mapPage(phys, mem.pageView(at));
      mem.write(virt_out, 8, BigInt(at));
      mem.write(phys_out, 8, phys);
      return status;
    },

    bf_mem_op_free_page(handle: bigint, virt: bigint): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const p = page(virt);
      if (!p) return BF_STATUS_INVALID_PARAMS1;
      const status = mk.bf_mem_op_free_page(handle, p.kvirt);
      if (status === BF_STATUS_SUCCESS) {
        mk.mapPage(p.phys, undefined);
        ext.pages.delete(Number(virt));
        mem.givePage(Number(virt));
      }
      return status;
    },

    bf_mem_op_virt_to_phys(handle: bigint, virt: bigint, phys_out: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const p = page(virt);
      if (!p) return BF_STATUS_INVALID_PARAMS1;
      if (!mem.outOk(phys_out, 8)) return BF_STATUS_INVALID_PARAMS2;
      const status = mk.bf_mem_op_virt_to_phys(handle, p.kvirt);
      if (status === BF_STATUS_SUCCESS) mem.write(phys_out, 8, mk.out[0]);
      return status;
    },
  };
}
