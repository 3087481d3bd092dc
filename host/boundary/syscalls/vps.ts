// bf_vps_op_*: the guest state. run, run_current, advance_ip_and_run_current
// and promote do not enter the guest at once: they succeed or fail now, and
// the processor resumes when the callback returns (Bareflank's "does not
// return" as WebAssembly can express it).
import {
  BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_INVALID_PARAMS1, BF_STATUS_INVALID_PARAMS2, BF_STATUS_INVALID_PARAMS3,
  BF_STATUS_INVALID_PERM_DENIED, BF_STATUS_SUCCESS, type bf_status_t,
} from '../../abi/bf.js';
import { BAD_HANDLE, handleOk, owned, regIndex } from '../check.js';
import type { Caller, Env } from '../context.js';
import { create, destroy } from '../lifecycle.js';
import { LIVE, NONE } from '../records.js';

export function vpsImports(env: Env, ext: Caller) {
  const { mk, records, current, limits } = env;
  const mem = ext.memory;
  const vpss = records.vps;
  const OK = BF_STATUS_SUCCESS;

  /** a VPS named by argument 1 that the caller may use here: live, its own, assigned to this processor */
  const usable = (vpsid: number): bf_status_t => {
    const st = owned(vpss, vpsid, 1, ext);
    if (st !== OK) return st;
    return vpss.pp[vpsid] === current.ppid ? OK : BF_STATUS_INVALID_PARAMS1;
  };

  /** the VPS, VP and VM loaded on this processor are live and the caller's */
  const currentOk = (): bf_status_t => {
    const p = current.ppid;
    const vps = records.activeVps[p];
    if (vps === NONE) return BF_STATUS_FAILURE_UNKNOWN;
    const live = vpss.state[vps] === LIVE && records.vp.state[records.activeVp[p]] === LIVE && records.vm.state[records.activeVm[p]] === LIVE;
    if (!live) return BF_STATUS_FAILURE_UNKNOWN;
    return vpss.owner[vps] === ext.id ? OK : BF_STATUS_INVALID_PERM_DENIED;
  };

  // Reads change nothing in the kernel, so the output pointer (argument 3)
  // is checked after the kernel has judged the index (argument 2): a call
  // is refused for its first bad argument.
  const read = (bytes: 1 | 2 | 4 | 8, call: (h: bigint, vpsid: number, index: bigint) => bf_status_t) =>
    (handle: bigint, vpsid: number, index: bigint, value_out: number): bigint => {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = usable(vpsid);
      if (st !== OK) return st;
      const status = call(handle, vpsid, BigInt.asUintN(64, index));
      if (status !== OK) return status;
      if (!mem.outOk(value_out, bytes)) return BF_STATUS_INVALID_PARAMS3;
      mem.write(value_out, bytes, mk.out[0]);
      return status;
    };

  const write = <V extends number | bigint>(call: (h: bigint, vpsid: number, index: bigint, value: V) => bf_status_t, width: (v: V) => V) =>
    (handle: bigint, vpsid: number, index: bigint, value: V): bigint => {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = usable(vpsid);
      if (st !== OK) return st;
      return call(handle, vpsid, BigInt.asUintN(64, index), width(value));
    };

  return {
    bf_vps_op_create_vps(handle: bigint, vpid: number, ppid: number, vpsid_out: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = owned(records.vp, vpid, 1, ext);
      if (st !== OK) return st;
      if (!(ppid >= 0 && ppid < limits.pps)) return BF_STATUS_INVALID_PARAMS2;
      if (!mem.outOk(vpsid_out, 2)) return BF_STATUS_INVALID_PARAMS3;
      const r = create(env, ext, 'vps', 'bf_vps_op_create_vps', handle, vpid, ppid, () => mk.bf_vps_op_create_vps(handle, vpid, ppid));
      if (r.status === OK) mem.write(vpsid_out, 2, BigInt(r.id));
      return r.status;
    },

    bf_vps_op_destroy_vps(handle: bigint, vpsid: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      return destroy(env, ext, 'vps', handle, vpsid);
    },

    bf_vps_op_init_as_root(handle: bigint, vpsid: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = usable(vpsid);
      return st !== OK ? st : mk.bf_vps_op_init_as_root(handle, vpsid);
    },

    bf_vps_op_read8: read(1, (h, v, i) => mk.bf_vps_op_read8(h, v, i)),
    bf_vps_op_read16: read(2, (h, v, i) => mk.bf_vps_op_read16(h, v, i)),
    bf_vps_op_read32: read(4, (h, v, i) => mk.bf_vps_op_read32(h, v, i)),
    bf_vps_op_read64: read(8, (h, v, i) => mk.bf_vps_op_read64(h, v, i)),
    bf_vps_op_write8: write((h, v, i, x: number) => mk.bf_vps_op_write8(h, v, i, x), (x) => x & 0xff),
    bf_vps_op_write16: write((h, v, i, x: number) => mk.bf_vps_op_write16(h, v, i, x), (x) => x & 0xffff),
    bf_vps_op_write32: write((h, v, i, x: number) => mk.bf_vps_op_write32(h, v, i, x), (x) => x >>> 0),
    bf_vps_op_write64: write((h, v, i, x: bigint) => mk.bf_vps_op_write64(h, v, i, x), (x) => BigInt.asUintN(64, x)),

    // the hot path of every exit handler: no allocation but the BigInt itself
    bf_vps_op_read_reg(handle: bigint, vpsid: number, reg: bigint, value_out: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = usable(vpsid);
      if (st !== OK) return st;
      const r = regIndex(reg);
      if (r < 0) return BF_STATUS_INVALID_PARAMS2;
      if (!mem.outOk(value_out, 8)) return BF_STATUS_INVALID_PARAMS3;
      const status = mk.bf_vps_op_read_reg(handle, vpsid, r);
      if (status === OK) mem.u64[value_out >>> 3] = mk.out[0];
      return status;
    },

    bf_vps_op_write_reg(handle: bigint, vpsid: number, reg: bigint, value: bigint): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = usable(vpsid);
      if (st !== OK) return st;
      const r = regIndex(reg);
      if (r < 0) return BF_STATUS_INVALID_PARAMS2;
      return mk.bf_vps_op_write_reg(handle, vpsid, r, BigInt.asUintN(64, value));
    },

    bf_vps_op_run(handle: bigint, vpsid: number, vpid: number, vmid: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      let st = usable(vpsid);
      if (st === OK) st = owned(records.vp, vpid, 2, ext);
      if (st === OK) st = owned(records.vm, vmid, 3, ext);
      if (st !== OK) return st;
      // the three must belong together, and the VP may not be running elsewhere
      if (vpss.parent[vpsid] !== vpid) return BF_STATUS_INVALID_PARAMS1;
      if (records.vp.parent[vpid] !== vmid) return BF_STATUS_INVALID_PARAMS2;
      for (let p = 0; p < limits.pps; p++) if (p !== current.ppid && records.activeVp[p] === vpid) return BF_STATUS_INVALID_PARAMS2;
      if (!current.inCallback) return BF_STATUS_FAILURE_UNKNOWN; // a guest runs on a processor, from a callback
      const status = mk.bf_vps_op_run(handle, vpsid, vpid, vmid);
      if (status === OK) {
        current.resume = 'run';
        records.setActive(current.ppid, vmid, vpid, vpsid);
      }
      return status;
    },

    bf_vps_op_run_current(handle: bigint): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      if (!current.inCallback) return BF_STATUS_FAILURE_UNKNOWN;
      const st = currentOk();
      if (st !== OK) return st;
      const status = mk.bf_vps_op_run_current(handle);
      if (status === OK) current.resume = 'run';
      return status;
    },

    bf_vps_op_advance_ip(handle: bigint, vpsid: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = usable(vpsid);
      return st !== OK ? st : mk.bf_vps_op_advance_ip(handle, vpsid);
    },

    bf_vps_op_advance_ip_and_run_current(handle: bigint, vpsid: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      let st = usable(vpsid);
      if (st !== OK) return st;
      if (!current.inCallback) return BF_STATUS_FAILURE_UNKNOWN;
      // it resumes what is loaded here, so it must name what is loaded here
      if (records.activeVps[current.ppid] !== vpsid) return BF_STATUS_INVALID_PARAMS1;
      st = currentOk();
      if (st !== OK) return st;
      const status = mk.bf_vps_op_advance_ip_and_run_current(handle, vpsid);
      if (status === OK) current.resume = 'run';
      return status;
    },

    bf_vps_op_promote(handle: bigint, vpsid: number): bigint {
      if (!handleOk(ext, handle)) return BAD_HANDLE;
      const st = usable(vpsid);
      if (st !== OK) return st;
      if (!current.inCallback) return BF_STATUS_FAILURE_UNKNOWN;
      const status = mk.bf_vps_op_promote(handle, vpsid);
      if (status === OK) {
        current.resume = 'promote';
        const vp = vpss.parent[vpsid];
        records.setActive(current.ppid, records.vp.parent[vp], vp, vpsid);
      }
      return status;
    },
  };
}
