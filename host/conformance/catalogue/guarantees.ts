// The guarantees that span syscalls: failed creation leaves no trace,
// exceptions are contained, zombies, exit, traps in callbacks, and real VM
// exits from run.
import { expect } from '../expect.js';
import {
  BF_STATUS_FAILURE_UNKNOWN, BF_STATUS_INVALID_PARAMS1, BF_STATUS_INVALID_PARAMS2, BF_STATUS_SUCCESS,
  BF_SYSCALLS, bf_reg_t, type SyscallInfo, type SyscallName,
} from '../../abi/bf.js';
import { INVALID_PARAMS } from '../../abi/status.js';
import type { ResourceKind } from '../../backend/microkernel.js';
import type { TrapKind } from '../../sandbox/trap.js';
import type { Driver, DriverExt } from '../driver/driver.js';
import type { Case, Ctx } from './case.js';
import {
  arch, exitReason, field, info, intercepts, invalidExit, kindOf, make, running, sameBytes, type Spoil,
  state, VMCS_LINK_POINTER, type World, world, zombie,
} from './fixture.js';

const CREATE: Record<ResourceKind, SyscallName> = { vm: 'bf_vm_op_create_vm', vp: 'bf_vp_op_create_vp', vps: 'bf_vps_op_create_vps' };
const DESTROY: Record<ResourceKind, SyscallName> = { vm: 'bf_vm_op_destroy_vm', vp: 'bf_vp_op_destroy_vp', vps: 'bf_vps_op_destroy_vps' };
const LIMIT = { vm: 'vms', vp: 'vps', vps: 'vpss' } as const;

// ---- (1) a failed creation leaves the microkernel exactly as it was ----

/** the create's output pointer: its last argument */
const outArg = (kind: ResourceKind) => info(CREATE[kind]).wasm.length - 1;
/** an output pointer the case can put a sentinel at */
const usable = (d: Driver, out: number) => out > 0 && out % 2 === 0 && out < d.e.ext.memory.size;

function noTrace(
  kind: ResourceKind, what: string, status: bigint, statusName: Case['status'], rule: string,
  opts: Parameters<Ctx['driver']>[0], spoil: Spoil, needs: Case['needs'] = [],
): Case {
  return {
    id: `guarantees.creation.${kind}-${what}`, syscall: CREATE[kind], status: statusName, clause: 'creation guarantee',
    rule: `create_${kind} ${rule} leaves the microkernel and the records exactly as before`,
    needs,
    async run(ctx) {
      const d = await ctx.driver(opts);
      let allocated: number[] = [];
      const m = make(d, CREATE[kind], (a, dd) => {
        spoil(a, dd);
        const out = Number(a[outArg(kind)]);
        if (usable(dd, out)) dd.e.ext.memory.u16[out >>> 1] = 0xbeef;
        allocated = dd.mk.allocated(kind);
      });
      ctx.status(m.status, status, CREATE[kind]);
      expect(sameBytes(m.before.mk, m.after.mk), "the kernel's state changed").toBe(true);
      expect(m.after.records, "the boundary's records changed").toBe(m.before.records);
      expect(d.mk.allocated(kind)).toEqual(allocated);
      const out = Number(m.args[outArg(kind)]);
      if (usable(d, out)) expect(d.e.u16(out), 'nothing written').toBe(0xbeef);
      if (opts?.faults) {
        const audit = d.host.env.audit.records;
        expect(audit.filter((r) => r.kind === 'exception' && r.syscall === CREATE[kind]).length, 'the exception is audited').toBe(1);
        if (opts.faults[0].when === 'after') {
          expect(audit.some((r) => r.kind === 'rollback' && r.syscall === CREATE[kind]), 'the rollback is audited').toBe(true);
        }
      }
    },
  };
}

function creationCases(kind: ResourceKind): Case[] {
  const n = outArg(kind);
  const P = INVALID_PARAMS[n];
  const pName = `BF_STATUS_INVALID_PARAMS${n}` as Case['status'];
  // the exhaustion fills the pool from inside the call's context: the recipe already made one parent
  const fill: Spoil = (a, d) => {
    const e = d.e;
    const free = d.mk.hello.limits[LIMIT[kind]] - d.mk.allocated(kind).length;
    for (let i = 0; i < free; i++) {
      if (kind === 'vm') e.createVm();
      else if (kind === 'vp') e.createVp(Number(a[1]));
      else e.createVps(Number(a[1]), 0);
    }
  };
  const cases = [
    noTrace(kind, 'exhausted', BF_STATUS_FAILURE_UNKNOWN, 'BF_STATUS_FAILURE_UNKNOWN', 'with its pool exhausted', { [LIMIT[kind]]: 2 }, fill, ['limits']),
    noTrace(kind, 'bad-pointer', P, pName, 'with a bad output pointer', {}, (a) => void (a[n] = 1)),
    ...(['before', 'after'] as const).map((when) => noTrace(
      kind, `backend-throws-${when}`, BF_STATUS_FAILURE_UNKNOWN, 'BF_STATUS_FAILURE_UNKNOWN',
      `whose microkernel throws ${when === 'before' ? 'before it starts' : 'after it made the ' + kind.toUpperCase()}, answering FAILURE_UNKNOWN and audited,`,
      { faults: [{ syscall: CREATE[kind], when }] }, () => {}, ['faults'],
    )),
  ];
  if (kind !== 'vm') {
    const parent: ResourceKind = kind === 'vp' ? 'vm' : 'vp';
    cases.push(
      noTrace(kind, 'parent-never-created', BF_STATUS_INVALID_PARAMS1, 'BF_STATUS_INVALID_PARAMS1', `in a ${parent.toUpperCase()} never created`, {}, (a, d) => void (a[1] = d.mk.hello.limits[LIMIT[parent]] - 1)),
      noTrace(kind, 'parent-zombie', BF_STATUS_INVALID_PARAMS1, 'BF_STATUS_INVALID_PARAMS1', `in a zombie ${parent.toUpperCase()}`, {}, (a, d) => void (a[1] = zombie(d.e, parent))),
    );
  }
  if (kind === 'vps') cases.push(noTrace(kind, 'bad-ppid', BF_STATUS_INVALID_PARAMS2, 'BF_STATUS_INVALID_PARAMS2', 'on a processor that does not exist', {}, (a) => void (a[2] = 0xffff)));
  return cases;
}

// ---- (3) zombies ----

/** arguments for a syscall with every ID taken from w but the one at n, which is id */
function argsNaming(s: SyscallInfo, e: DriverExt, d: Driver, w: World, n: number, id: number): (number | bigint)[] {
  const bytes = { u8: 1, u16: 2, u32: 4, u64: 8 } as const;
  const width = s.outputs[0]?.width ?? s.inputs[3]?.width ?? 'u64';
  const ins = s.inputs.map((p, i): number | bigint => {
    if (i === n) return id;
    switch (p.role) {
      case 'handle': return e.handle;
      case 'vmid': return w.vm;
      case 'vpid': return w.vp;
      case 'vpsid': return w.vps;
      case 'ppid': return 0;
      case 'index': return field(arch(d), bytes[width]);
      default: return 0;
    }
  });
  return [...ins, ...s.outputs.map((_, k) => e.scratch(k))];
}

function zombieNamed(kind: ResourceKind): Case {
  const K = kind.toUpperCase();
  return {
    id: `guarantees.zombies.${kind}-named-fails`, syscall: DESTROY[kind], status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'zombies',
    rule: `once a ${K} is a zombie, every syscall that names it answers INVALID_PARAMSn, n its position`,
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      d.inCallback(() => {
        // a live VM, VP and VPS beside the zombie, so that only the zombie is wrong
        const w = world(e);
        const id = kind === 'vps' ? zombieVps(ctx, e) : kind === 'vp' ? zombieVp(ctx, e, w) : zombieVm(ctx, e);
        const named = BF_SYSCALLS.flatMap((s) => s.inputs.map((p, n) => [s, p, n] as const)).filter(([, p]) => kindOf(p) === kind);
        expect(named.length).toBeGreaterThan(3);
        for (const [s, p, n] of named) {
          const before = state(d);
          ctx.status(e.call(s.name, ...argsNaming(s, e, d, w, n, id)), INVALID_PARAMS[n], `${s.name} naming the zombie as ${p.name}`);
          expect(sameBytes(before.mk, state(d).mk), `${s.name} changed the kernel`).toBe(true);
          expect(state(d).records, `${s.name} changed the records`).toBe(before.records);
        }
        if (kind === 'vps') {
          // it is the VPS loaded on the processor: resuming it fails too
          ctx.status(e.call('bf_vps_op_run_current', e.handle), BF_STATUS_FAILURE_UNKNOWN, 'run_current of the zombie');
        }
      });
    },
  };
}

function zombieVm(ctx: Ctx, e: DriverExt): number {
  const vm = e.createVm();
  e.createVp(vm);
  ctx.status(e.call('bf_vm_op_destroy_vm', e.handle, vm), BF_STATUS_FAILURE_UNKNOWN, 'destroy_vm of a VM with a VP');
  return vm;
}

function zombieVp(ctx: Ctx, e: DriverExt, w: World): number {
  const vp = e.createVp(w.vm);
  e.createVps(vp, 0);
  ctx.status(e.call('bf_vp_op_destroy_vp', e.handle, vp), BF_STATUS_FAILURE_UNKNOWN, 'destroy_vp of a VP with a VPS');
  return vp;
}

function zombieVps(ctx: Ctx, e: DriverExt): number {
  const z = world(e);
  e.ok('bf_vps_op_run', e.handle, z.vps, z.vp, z.vm);
  ctx.status(e.call('bf_vps_op_destroy_vps', e.handle, z.vps), BF_STATUS_FAILURE_UNKNOWN, 'destroy_vps of an active VPS');
  return z.vps;
}

// ---- (5) traps in callbacks ----

const TRAPS: [string, (e: DriverExt) => unknown, 'trap' | 'abort', TrapKind | undefined, string][] = [
  ['unreachable', (e) => e.x.trap_unreachable(), 'trap', 'unreachable', 'unreachable'],
  ['divide-by-zero', (e) => e.x.trap_divide(), 'trap', 'divide-by-zero', 'divide by zero'],
  ['stack-overflow', (e) => e.x.trap_stack(), 'trap', 'stack-overflow', 'call stack'],
  ['memory-out-of-bounds', (e) => e.x.trap_oob(), 'trap', 'memory-out-of-bounds', 'out of bounds'],
  ['abort', (e) => e.x.do_abort(), 'abort', undefined, 'driver asked to abort'],
];

function trapCase([name, fire, kind, trap, message]: (typeof TRAPS)[number]): Case {
  return {
    id: `guarantees.traps.${name}`, syscall: undefined, clause: 'callbacks',
    rule: `${kind === 'abort' ? 'an abort' : `a ${name} trap`} in a callback ends that callback with a recorded fault, then the fail callback runs, and the host keeps serving`,
    async run(ctx) {
      const d = (await ctx.driver({}, [{}, {}])).start();
      const [a, b] = d.exts;
      const order: string[] = [];
      let after = false;
      a.on.bootstrap = () => {
        order.push('a.bootstrap');
        fire(a);
        after = true;
      };
      a.on.fail = (st) => {
        order.push('a.fail');
        ctx.status(st, BF_STATUS_FAILURE_UNKNOWN, 'what the fail callback is given');
        ctx.status(a.call('bf_debug_op_out', a.handle, 1n, 2n), BF_STATUS_SUCCESS, 'a syscall in the fail callback');
      };
      let vm = -1;
      b.on.bootstrap = () => {
        order.push('b.bootstrap');
        vm = b.createVm();
      };
      d.host.bootstrap();
      expect(after, 'the callback went on after the fault').toBe(false);
      expect(order).toEqual(['a.bootstrap', 'a.fail', 'b.bootstrap']);
      expect(a.ext.faults.length).toBe(1);
      const f = a.ext.faults[0];
      expect(f.where).toBe('bootstrap');
      expect(f.ppid).toBe(0);
      expect(f.fault.kind).toBe(kind);
      if (trap) expect(f.fault.trap).toBe(trap);
      expect(f.fault.message).toContain(message);
      expect(vm, 'the other extension was served').toBeGreaterThanOrEqual(0);
      ctx.status(b.call('bf_debug_op_dump_vm', b.handle, vm), BF_STATUS_SUCCESS, 'the other extension after the fault');
    },
  };
}

// ---- (6) VM exits ----

/** a guest run from bootstrap with CPUID exiting; the exits are handled by onExit */
async function exits(ctx: Ctx, onExit: (e: DriverExt, vps: number, reason: bigint) => void, setup?: (e: DriverExt, d: Driver, w: World) => void) {
  const d = (await ctx.driver()).start();
  const e = d.e;
  let w: World = { vm: -1, vp: -1, vps: -1 };
  d.bootstrap(() => {
    w = world(e);
    intercepts(e, d, w.vps);
    setup?.(e, d, w);
    e.ok('bf_vps_op_run', e.handle, w.vps, w.vp, w.vm);
  });
  e.on.vmexit = (vps, reason) => onExit(e, vps, reason);
  d.loop();
  return { d, e, w };
}

export const cases: Case[] = [
  ...creationCases('vm'),
  ...creationCases('vp'),
  ...creationCases('vps'),

  // (2) exceptions are contained
  {
    id: 'guarantees.exceptions.in-callback', syscall: 'bf_vps_op_read_reg', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'failure semantics',
    rule: 'an exception in the microkernel during a callback is FAILURE_UNKNOWN and an audit record; the callback, the extension and the host go on',
    needs: ['faults'],
    async run(ctx) {
      const d = (await ctx.driver({ faults: [{ syscall: 'bf_vps_op_read_reg', when: 'after' }] }, [{}, {}])).start();
      const [a, b] = d.exts;
      let went = false;
      a.on.bootstrap = () => {
        const w = world(a);
        ctx.status(a.call('bf_vps_op_read_reg', a.handle, w.vps, bf_reg_t.rip, a.scratch(0)), BF_STATUS_FAILURE_UNKNOWN, 'the read_reg that throws');
        ctx.status(a.call('bf_vps_op_write_reg', a.handle, w.vps, bf_reg_t.rax, 1n), BF_STATUS_SUCCESS, 'the next syscall');
        went = true;
      };
      let served = false;
      b.on.bootstrap = () => void (served = b.call('bf_vm_op_create_vm', b.handle, b.scratch(0)) === BF_STATUS_SUCCESS);
      d.host.bootstrap();
      expect(went, 'the callback went on').toBe(true);
      expect(a.ext.faults, 'no fault of the extension').toEqual([]);
      expect(a.ext.state).toBe('waiting');
      expect(served, 'the other extension was served').toBe(true);
      const audit = d.host.env.audit.records.filter((r) => r.kind === 'exception');
      expect(audit.map((r) => r.syscall)).toEqual(['bf_vps_op_read_reg']);
      expect(audit[0].message).toContain('injected fault after bf_vps_op_read_reg');
    },
  },
  {
    id: 'guarantees.exceptions.destroy-throws-makes-zombie', syscall: 'bf_vm_op_destroy_vm', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'zombies',
    rule: 'a destroy whose microkernel throws answers FAILURE_UNKNOWN and, its outcome unknown, leaves a zombie',
    needs: ['faults'],
    async run(ctx) {
      const d = (await ctx.driver({ faults: [{ syscall: 'bf_vm_op_destroy_vm', when: 'before' }] })).start();
      const e = d.e;
      const vm = e.createVm();
      ctx.status(e.call('bf_vm_op_destroy_vm', e.handle, vm), BF_STATUS_FAILURE_UNKNOWN);
      expect(d.host.env.audit.records.some((r) => r.kind === 'exception' && r.syscall === 'bf_vm_op_destroy_vm')).toBe(true);
      ctx.status(e.call('bf_debug_op_dump_vm', e.handle, vm), BF_STATUS_INVALID_PARAMS1, 'dump_vm of it');
      ctx.status(e.call('bf_vp_op_create_vp', e.handle, vm, e.scratch(0)), BF_STATUS_INVALID_PARAMS1, 'create_vp in it');
      const before = state(d);
      ctx.status(e.call('bf_vm_op_destroy_vm', e.handle, vm), BF_STATUS_INVALID_PARAMS1, 'destroying it again');
      expect(sameBytes(before.mk, state(d).mk)).toBe(true);
    },
  },

  // (3) zombies
  zombieNamed('vm'),
  zombieNamed('vp'),
  zombieNamed('vps'),
  {
    id: 'guarantees.zombies.destroy-ignored', syscall: undefined, status: 'BF_STATUS_INVALID_PARAMS1', clause: 'zombies',
    rule: 'destroying a zombie VM, VP or VPS again answers INVALID_PARAMS1 and changes nothing at all',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      d.inCallback(() => {
        for (const kind of ['vm', 'vp', 'vps'] as const) {
          const id = zombie(e, kind);
          for (let i = 0; i < 2; i++) {
            const before = state(d);
            ctx.status(e.call(DESTROY[kind], e.handle, id), BF_STATUS_INVALID_PARAMS1, `destroy of the zombie ${kind}, again`);
            const after = state(d);
            expect(sameBytes(before.mk, after.mk), "the kernel's state changed").toBe(true);
            expect(after.records).toBe(before.records);
          }
          expect(d.mk.allocated(kind)).toContain(id);
        }
      });
    },
  },
  {
    id: 'guarantees.zombies.never-reused', syscall: undefined, status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'zombies',
    rule: "a zombie's ID is never given out again: its pool is one smaller for good",
    needs: ['limits'],
    async run(ctx) {
      for (const kind of ['vm', 'vp', 'vps'] as const) {
        const d = (await ctx.driver({ vms: 3, vps: 3, vpss: 3 })).start();
        const e = d.e;
        d.inCallback(() => {
          const z = zombie(e, kind);
          const w = { vm: e.createVm(), vp: -1 };
          w.vp = e.createVp(w.vm);
          const make1 = () => (kind === 'vm' ? e.call(CREATE.vm, e.handle, e.scratch(0))
            : kind === 'vp' ? e.call(CREATE.vp, e.handle, w.vm, e.scratch(0))
            : e.call(CREATE.vps, e.handle, w.vp, 0, e.scratch(0)));
          const got: number[] = [];
          let st: bigint;
          while ((st = make1()) === BF_STATUS_SUCCESS) got.push(e.u16(e.scratch(0)));
          ctx.status(st, BF_STATUS_FAILURE_UNKNOWN, `create_${kind} once the pool is full`);
          expect(got, `no new ${kind} took the zombie's ID`).not.toContain(z);
          expect(d.mk.allocated(kind).length, `the ${kind} pool is full`).toBe(3);
        });
      }
    },
  },
  {
    id: 'guarantees.zombies.vps-keeps-parents', syscall: 'bf_vp_op_destroy_vp', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'zombies',
    rule: 'a zombie VPS keeps its VP and VM allocated: destroying them fails and makes zombies of them too',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      const w = d.inCallback(() => running(e, d));
      ctx.status(e.call('bf_vps_op_destroy_vps', e.handle, w.vps), BF_STATUS_FAILURE_UNKNOWN, 'destroy_vps of the active VPS');
      ctx.status(e.call('bf_debug_op_dump_vp', e.handle, w.vp), BF_STATUS_SUCCESS, 'its VP is live');
      ctx.status(e.call('bf_debug_op_dump_vm', e.handle, w.vm), BF_STATUS_SUCCESS, 'its VM is live');
      ctx.status(e.call('bf_vp_op_destroy_vp', e.handle, w.vp), BF_STATUS_FAILURE_UNKNOWN, 'destroy_vp of the VP of a zombie VPS');
      ctx.status(e.call('bf_vm_op_destroy_vm', e.handle, w.vm), BF_STATUS_FAILURE_UNKNOWN, 'destroy_vm of the VM of a zombie VP');
      expect(d.mk.allocated('vps')).toContain(w.vps);
      expect(d.mk.allocated('vp')).toContain(w.vp);
      expect(d.mk.allocated('vm')).toContain(w.vm);
      ctx.status(e.call('bf_debug_op_dump_vp', e.handle, w.vp), BF_STATUS_INVALID_PARAMS1, 'the VP is a zombie now');
      ctx.status(e.call('bf_debug_op_dump_vm', e.handle, w.vm), BF_STATUS_INVALID_PARAMS1, 'the VM is a zombie now');
      const later = d.inCallback(() => e.call('bf_vps_op_run', e.handle, world(e).vps, w.vp, w.vm));
      ctx.status(later, BF_STATUS_INVALID_PARAMS2, 'run naming the zombie VP');
    },
  },
  {
    id: 'guarantees.zombies.vm-of-zombie-vp', syscall: 'bf_vm_op_destroy_vm', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'zombies',
    rule: 'a zombie VP keeps its VM in use even once the zombie has no VPS left: the leak cascades upward',
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      const vm = e.createVm();
      const vp = e.createVp(vm);
      const vps = e.createVps(vp, 0);
      e.fails('bf_vp_op_destroy_vp', BF_STATUS_FAILURE_UNKNOWN, e.handle, vp);
      e.ok('bf_vps_op_destroy_vps', e.handle, vps);
      ctx.status(e.call('bf_vm_op_destroy_vm', e.handle, vm), BF_STATUS_FAILURE_UNKNOWN);
      expect(d.mk.allocated('vm')).toContain(vm);
      expect(d.mk.allocated('vp')).toContain(vp);
    },
  },

  // (4) exit
  {
    id: 'guarantees.exit.in-vmexit', syscall: 'bf_control_op_exit', clause: 'bf_control_op_exit',
    rule: 'exit in a vmexit callback ends the extension: its processor stops, the host returns, no fault',
    needs: ['guest'],
    async run(ctx) {
      let after = false;
      const { d, e } = await exits(ctx, (e) => {
        e.call('bf_control_op_exit', e.handle);
        after = true;
      });
      expect(after).toBe(false);
      expect(e.ext.state).toBe('exited');
      expect(e.ext.faults).toEqual([]);
      expect(d.host.pps[0].state).toBe('stopped');
      expect(d.host.pps[0].why).toMatch(/exited/);
    },
  },

  // (5) traps
  ...TRAPS.map(trapCase),
  {
    id: 'guarantees.traps.in-fail-callback', syscall: undefined, clause: 'callbacks',
    rule: 'a trap in the fail callback itself is recorded and ends there: no second fail, the host goes on',
    async run(ctx) {
      const d = (await ctx.driver({}, [{}, {}])).start();
      const [a, b] = d.exts;
      let fails = 0;
      a.on.bootstrap = () => a.x.trap_unreachable();
      a.on.fail = () => {
        fails++;
        a.x.trap_divide();
      };
      let served = false;
      b.on.bootstrap = () => void (served = true);
      d.host.bootstrap();
      expect(fails).toBe(1);
      expect(a.ext.faults.map((f) => [f.where, f.fault.trap])).toEqual([['bootstrap', 'unreachable'], ['fail', 'divide-by-zero']]);
      expect(served).toBe(true);
    },
  },
  {
    id: 'guarantees.traps.in-vmexit', syscall: undefined, clause: 'callbacks',
    rule: "a trap in the vmexit callback is recorded, the fail callback runs, and the guest's processor stops",
    needs: ['guest'],
    async run(ctx) {
      const seen: bigint[] = [];
      const { d, e } = await exits(ctx, (e) => e.x.trap_oob(), (e) => {
        e.on.fail = (st) => void seen.push(st);
      });
      expect(e.ext.faults.map((f) => [f.where, f.fault.trap])).toEqual([['vmexit', 'memory-out-of-bounds']]);
      expect(seen.length, 'the fail callback ran once').toBe(1);
      ctx.status(seen[0], BF_STATUS_FAILURE_UNKNOWN, 'the status the fail callback was given');
      expect(d.host.pps[0].state).toBe('stopped');
      expect(d.host.pps[0].why).toMatch(/failed/);
    },
  },

  // (6) run produces real VM exits
  {
    id: 'guarantees.exits.cpuid', syscall: 'bf_vps_op_run', clause: 'exit reasons',
    rule: "with CPUID intercepted, the guest's CPUID is a VM exit with the CPUID exit reason (0x72 on AMD) and the leaf in rax",
    needs: ['guest'],
    async run(ctx) {
      const got: [number, bigint, bigint][] = [];
      const { d, w } = await exits(ctx, (e, vps, reason) => {
        got.push([vps, reason, e.readReg(vps, bf_reg_t.rax)]);
        e.ok('bf_vps_op_advance_ip_and_run_current', e.handle, vps);
      });
      const cpuid = exitReason(d, 'cpuid');
      if (arch(d) === 'amd') expect(cpuid).toBe(0x72n);
      expect(got).toEqual([[w.vps, cpuid, 0n], [w.vps, cpuid, 0x40000000n], [w.vps, cpuid, 1n]]);
    },
  },
  {
    id: 'guarantees.exits.no-intercept-no-exit', syscall: 'bf_vps_op_run', clause: 'exit reasons',
    rule: 'on AMD, without the CPUID intercept the guest runs its CPUIDs natively and halts with no VM exit',
    needs: ['guest', 'amd'],
    async run(ctx) {
      let n = 0;
      const { d } = await exits(ctx, () => void n++, (e, _d, w) => e.ok('bf_vps_op_write32', e.handle, w.vps, 0xcn, 0));
      expect(n).toBe(0);
      expect(d.host.pps[0].state).toBe('halted');
      expect(d.guestLines().some((l) => l.includes('AuthenticAMD')), 'the guest saw the real vendor').toBe(true);
    },
  },
  {
    id: 'guarantees.exits.advance-ip', syscall: 'bf_vps_op_advance_ip', clause: 'exit reasons',
    rule: 'advance_ip after a CPUID exit moves RIP by 2, the length of CPUID',
    needs: ['guest'],
    async run(ctx) {
      let moved = -1n;
      await exits(ctx, (e, vps) => {
        const before = e.readReg(vps, bf_reg_t.rip);
        e.ok('bf_vps_op_advance_ip', e.handle, vps);
        moved = e.readReg(vps, bf_reg_t.rip) - before;
      });
      expect(moved).toBe(2n);
    },
  },
  {
    id: 'guarantees.exits.invalid-state', syscall: 'bf_vps_op_run', clause: 'exit reasons',
    rule: 'a VPS that cannot be entered (on AMD: no VMRUN intercept) exits at once with VMEXIT_INVALID (0xFFFFFFFFFFFFFFFF on AMD)',
    needs: ['guest'],
    async run(ctx) {
      const got: bigint[] = [];
      const { d } = await exits(ctx, (_e, _vps, reason) => void got.push(reason), (e, dd, w) => {
        if (arch(dd) === 'amd') e.ok('bf_vps_op_write32', e.handle, w.vps, 0x10n, 0);
        else e.ok('bf_vps_op_write64', e.handle, w.vps, VMCS_LINK_POINTER, 0n);
      });
      if (arch(d) === 'amd') expect(invalidExit(d)).toBe(0xffffffffffffffffn);
      expect(got).toEqual([invalidExit(d)]);
      expect(d.guestLines(), 'the guest never ran').toEqual([]);
    },
  },
  {
    id: 'guarantees.exits.invalid-state-recorded', syscall: 'bf_vps_op_run', clause: 'exit reasons',
    rule: 'a VPS that cannot be entered has its exit recorded as any other: in its control block (AMD EXITCODE, Intel exit reason) and in its VP\'s exit log',
    needs: ['guest'],
    async run(ctx) {
      const recorded: bigint[] = [];
      let amd = true;
      let vp = -1;
      const { d, w } = await exits(ctx, (e, vps) => {
        e.ok(amd ? 'bf_vps_op_read64' : 'bf_vps_op_read32', e.handle, vps, amd ? 0x070n : 0x4402n, e.scratch(0));
        recorded.push(amd ? e.u64(e.scratch(0)) : BigInt(e.u32(e.scratch(0))));
        e.ok('bf_debug_op_dump_vmexit_log', e.handle, vp);
      }, (e, dd, ww) => {
        amd = arch(dd) === 'amd';
        vp = ww.vp;
        if (amd) e.ok('bf_vps_op_write32', e.handle, ww.vps, 0x10n, 0);
        else e.ok('bf_vps_op_write64', e.handle, ww.vps, VMCS_LINK_POINTER, 0n);
      });
      expect(recorded).toEqual([invalidExit(d)]);
      const log = d.output.filter((l) => l.source === 'kernel').map((l) => l.text);
      expect(log).toContain(`vmexit log of vp ${w.vp}: last 1`);
      expect(log.some((l) => l.startsWith(`  vps ${w.vps} reason 0x${invalidExit(d).toString(16).padStart(16, '0')}`)), log.join('\n')).toBe(true);
    },
  },
  {
    id: 'guarantees.zombies.loaded-vps-not-resumed', syscall: 'bf_vps_op_destroy_vps', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'zombies',
    rule: 'a VPS set to run and then destroyed in the same callback becomes a zombie, and the host never enters it: the processor stops, saying why',
    needs: ['guest'],
    async run(ctx) {
      const d = (await ctx.driver()).start();
      const e = d.e;
      let vps = -1;
      d.bootstrap(() => {
        vps = running(e, d).vps;
        ctx.status(e.call('bf_vps_op_destroy_vps', e.handle, vps), BF_STATUS_FAILURE_UNKNOWN);
      });
      const exited: number[] = [];
      e.on.vmexit = (v) => void exited.push(v);
      d.loop();
      expect(exited, 'no exit of the zombie was delivered').toEqual([]);
      expect(d.guestLines(), 'the guest never ran').toEqual([]);
      expect(d.host.pps[0]).toEqual({ ppid: 0, state: 'stopped', exits: 0, why: `vps ${vps} was destroyed after it was set to run: it is a zombie and does not run` });
    },
  },
  {
    id: 'guarantees.zombies.loaded-parent-not-resumed', syscall: 'bf_vm_op_destroy_vm', status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'zombies',
    rule: 'a VPS set to run whose VP or VM is then made a zombie is not entered either: nothing runs on a zombie',
    needs: ['guest'],
    async run(ctx) {
      for (const kind of ['vp', 'vm'] as const) {
        const d = (await ctx.driver()).start();
        const e = d.e;
        let w = { vm: -1, vp: -1, vps: -1 };
        d.bootstrap(() => {
          w = running(e, d);
          ctx.status(e.call(kind === 'vp' ? 'bf_vp_op_destroy_vp' : 'bf_vm_op_destroy_vm', e.handle, w[kind]), BF_STATUS_FAILURE_UNKNOWN, kind);
        });
        d.loop();
        expect(d.guestLines(), `the guest never ran (${kind})`).toEqual([]);
        expect(d.host.pps[0].why).toBe(`${kind} ${w[kind]} was destroyed after it was set to run: it is a zombie and does not run`);
      }
    },
  },
  {
    id: 'guarantees.exits.amd-asid-zero', syscall: 'bf_vps_op_run', clause: 'exit reasons',
    rule: 'on AMD a VMCB with guest ASID 0 cannot be entered: VMEXIT_INVALID',
    needs: ['guest', 'amd'],
    async run(ctx) {
      const got: bigint[] = [];
      const { d } = await exits(ctx, (_e, _vps, reason) => void got.push(reason), (e, _d, w) => e.ok('bf_vps_op_write32', e.handle, w.vps, 0x58n, 0));
      expect(got).toEqual([invalidExit(d)]);
    },
  },
  {
    id: 'guarantees.exits.to-the-owner', syscall: 'bf_callback_op_register_vmexit', clause: 'callbacks',
    rule: "each VM exit goes to the vmexit callback of the extension that owns the VPS, with that VPS's ID",
    needs: ['guest', 'smp'],
    async run(ctx) {
      const d = (await ctx.driver({ pps: 2 }, [{}, {}])).start();
      const [a, b] = d.exts;
      const owned: Record<string, number> = {};
      a.on.bootstrap = (pp) => void (pp === 0 && (owned.a = running(a, d, 0).vps));
      b.on.bootstrap = (pp) => void (pp === 1 && (owned.b = running(b, d, 1).vps));
      const seen: [string, number][] = [];
      a.on.vmexit = (vps) => void seen.push(['a', vps]);
      b.on.vmexit = (vps) => void seen.push(['b', vps]);
      d.host.bootstrap();
      d.loop();
      expect(seen.sort()).toEqual([['a', owned.a], ['b', owned.b]]);
    },
  },
];
