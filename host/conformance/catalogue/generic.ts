// The cases every syscall gets from its row of abi/table.ts alone: the
// handle, the extension's allowed list, a kernel that lacks it, a kernel
// that throws, each output pointer, and each VM/VP/VPS ID it takes. Each
// makes the syscall's recipe call (fixture.ts) with one thing spoiled, and
// checks that the refused call changed nothing.
import { expect } from '../expect.js';
import {
  BF_INVALID_ID, BF_STATUS_FAILURE_INVALID_HANDLE, BF_STATUS_FAILURE_UNKNOWN,
  BF_STATUS_FAILURE_UNSUPPORTED, BF_STATUS_INVALID_PERM_DENIED, BF_STATUS_INVALID_PERM_EXT,
  BF_STATUS_SUCCESS, BF_SYSCALLS, type ParamInfo, type SyscallInfo, type SyscallName,
} from '../../abi/bf.js';
import { INVALID_PARAMS } from '../../abi/status.js';
import type { Case, Ctx, StatusName } from './case.js';
import { short } from './case.js';
import {
  type Args, kindOf, limit, make, type Made, neverCreated, foreign, recipes, sameBytes, type Spoil, zombie,
} from './fixture.js';
import type { Driver } from '../driver/driver.js';

const BYTES = { u8: 1, u16: 2, u32: 4, u64: 8 } as const;
const P = (n: number): StatusName => `BF_STATUS_INVALID_PARAMS${n}` as StatusName;

/** the refused call left the kernel and the boundary's records as they were */
function unchanged(m: Made, what: string): void {
  expect(sameBytes(m.before.mk, m.after.mk), `${what}: the kernel's state changed`).toBe(true);
  expect(m.after.records, `${what}: the boundary's records changed`).toBe(m.before.records);
}

/** makes the spoiled recipe call on a fresh driver and checks the status and that nothing changed */
async function refused(ctx: Ctx, name: SyscallName, expected: bigint, spoil: Spoil, exts = 1, what: string = name): Promise<Made> {
  const d = await ctx.driver({}, Array.from({ length: exts }, () => ({})));
  const m = make(d, name, spoil);
  ctx.status(m.status, expected, what);
  unchanged(m, what);
  return m;
}

/** an argument of the role that no call accepts, or undefined when every value is valid */
function badValue(p: ParamInfo): number | bigint | undefined {
  switch (p.role) {
    case 'vmid': case 'vpid': case 'vpsid': case 'ppid': return BF_INVALID_ID;
    case 'index': return 0xfffffffffffffff0n;
    case 'reg': return 0x1000n;
    case 'cstr': return 0;
    case 'callback': return 0xffffffff;
    case 'virt': return 1n;
    default: return undefined;
  }
}

function handleCases(s: SyscallInfo, group: string): Case[] {
  const id = `${group}.${short(s.name)}`;
  if (s.inputs[0]?.role !== 'handle') return [];
  const out: Case[] = [
    {
      id: `${id}.bad-handle`, syscall: s.name, status: 'BF_STATUS_FAILURE_INVALID_HANDLE', clause: 'handles',
      rule: 'a handle open_handle did not give answers FAILURE_INVALID_HANDLE',
      run: (ctx) => refused(ctx, s.name, BF_STATUS_FAILURE_INVALID_HANDLE, (a, d) => { a[0] = d.e.handle + 1n; }).then(() => {}),
    },
    {
      id: `${id}.closed-handle`, syscall: s.name, status: 'BF_STATUS_FAILURE_INVALID_HANDLE', clause: 'handles',
      rule: 'the handle after close_handle answers FAILURE_INVALID_HANDLE',
      run: (ctx) => refused(ctx, s.name, BF_STATUS_FAILURE_INVALID_HANDLE, (a, d) => {
        d.e.ok('bf_handle_op_close_handle', d.e.handle);
        a[0] = d.e.handle;
      }).then(() => {}),
    },
  ];
  const rest = [...s.inputs.slice(1), ...s.outputs.map((): ParamInfo => ({ name: 'out', width: 'u64', role: 'virt' }))];
  if (rest.some((p) => badValue(p) !== undefined)) {
    out.push({
      id: `${id}.handle-checked-first`, syscall: s.name, status: 'BF_STATUS_FAILURE_INVALID_HANDLE', clause: 'handles',
      rule: 'a bad handle is reported before any other bad argument',
      run: (ctx) => refused(ctx, s.name, BF_STATUS_FAILURE_INVALID_HANDLE, (a, d) => {
        a[0] = d.e.handle + 1n;
        s.inputs.forEach((p, i) => {
          const v = badValue(p);
          if (i > 0 && v !== undefined) a[i] = v;
        });
        s.outputs.forEach((_, k) => (a[s.inputs.length + k] = 0));
      }).then(() => {}),
    });
  }
  return out;
}

function permissionCases(s: SyscallInfo, group: string): Case[] {
  const id = `${group}.${short(s.name)}`;
  const out: Case[] = [{
    id: `${id}.not-allowed`, syscall: s.name, status: 'BF_STATUS_INVALID_PERM_EXT', clause: 'status codes',
    rule: "a syscall outside the extension's allowed list answers INVALID_PERM_EXT",
    async run(ctx) {
      const d = await ctx.driver({}, [{ syscalls: BF_SYSCALLS.map((x) => x.name).filter((n) => n !== s.name) }]);
      const m = make(d, s.name);
      ctx.status(m.status, BF_STATUS_INVALID_PERM_EXT);
      unchanged(m, s.name);
    },
  }];
  // a refusal still checks the handle first, as every syscall does
  const handleFirst = (why: 'not-allowed' | 'unsupported', opts: Parameters<Ctx['driver']>): Case => ({
    id: `${id}.${why}-handle-checked-first`, syscall: s.name, status: 'BF_STATUS_FAILURE_INVALID_HANDLE', clause: 'handles',
    rule: `a bad handle is reported before the syscall is refused as ${why === 'not-allowed' ? 'not allowed' : 'unsupported'}`,
    ...(why === 'unsupported' ? { needs: ['unsupported' as const] } : {}),
    async run(ctx) {
      const d = await ctx.driver(...opts);
      const m = make(d, s.name, (a, dd) => (a[0] = dd.e.handle + 1n));
      ctx.status(m.status, BF_STATUS_FAILURE_INVALID_HANDLE);
      unchanged(m, s.name);
    },
  });
  const takesHandle = s.inputs[0]?.role === 'handle';
  if (takesHandle) out.push(handleFirst('not-allowed', [{}, [{ syscalls: BF_SYSCALLS.map((x) => x.name).filter((n) => n !== s.name) }]]));
  if (s.where !== 'kernel') return out;
  if (takesHandle) out.push(handleFirst('unsupported', [{ unsupported: [s.name] }]));
  out.push({
    id: `${id}.unsupported`, syscall: s.name, status: 'BF_STATUS_FAILURE_UNSUPPORTED', clause: 'status codes',
    rule: 'a syscall the microkernel does not implement answers FAILURE_UNSUPPORTED',
    needs: ['unsupported'],
    async run(ctx) {
      const d = await ctx.driver({ unsupported: [s.name] });
      const m = make(d, s.name);
      ctx.status(m.status, BF_STATUS_FAILURE_UNSUPPORTED);
      unchanged(m, s.name);
    },
  });
  out.push({
    id: `${id}.backend-throws`, syscall: s.name, status: 'BF_STATUS_FAILURE_UNKNOWN', clause: 'failure semantics',
    rule: 'an exception in the microkernel answers FAILURE_UNKNOWN, is audited, and the extension goes on',
    needs: ['faults'],
    async run(ctx) {
      const d = await ctx.driver({ faults: [{ syscall: s.name, when: 'before' }] });
      const m = make(d, s.name);
      ctx.status(m.status, BF_STATUS_FAILURE_UNKNOWN);
      expect(sameBytes(m.before.mk, m.after.mk), 'the kernel threw before it changed anything').toBe(true);
      const audit = d.host.env.audit.records.filter((r) => r.kind === 'exception' && r.syscall === s.name);
      expect(audit.length, 'an audit record of the exception').toBe(1);
      expect(audit[0].message).toContain('injected fault');
      const e = d.e;
      expect(e.ext.faults, 'the exception is a status, not a fault of the extension').toEqual([]);
      if (e.ext.handle !== undefined) ctx.status(e.call('bf_debug_op_write_c', e.handle, 0x2e), BF_STATUS_SUCCESS, 'the next syscall');
      else expect(e.ext.state, 'the entry point went on and returned').toBe('returned');
    },
  });
  return out;
}

function outputCases(s: SyscallInfo, group: string): Case[] {
  const id = `${group}.${short(s.name)}`;
  return s.outputs.flatMap((o, k): Case[] => {
    const n = s.inputs.length + k;
    const bytes = BYTES[o.width];
    const status = INVALID_PARAMS[n];
    const clause = `${s.name} outputs`;
    // the output is checked after the index: read8 reaches it only where an 8-bit field exists (a VMCS has none)
    const needs = s.name === 'bf_vps_op_read8' ? { needs: ['amd' as const] } : {};
    const at = (a: Args, v: number) => { a[n] = v; };
    const cases: Case[] = [{
      id: `${id}.${o.name}-out-null`, syscall: s.name, status: P(n), clause, ...needs,
      rule: `a null pointer for the ${o.name} output (argument ${n}) answers INVALID_PARAMS${n}`,
      run: (ctx) => refused(ctx, s.name, status, (a) => at(a, 0)).then(() => {}),
    }];
    if (bytes > 1) {
      cases.push({
        id: `${id}.${o.name}-out-misaligned`, syscall: s.name, status: P(n), clause, ...needs,
        rule: `a pointer for the ${bytes}-byte ${o.name} output that is not ${bytes}-aligned answers INVALID_PARAMS${n}`,
        run: (ctx) => refused(ctx, s.name, status, (a, d) => at(a, d.e.scratch(0) + 1)).then(() => {}),
      });
    }
    cases.push({
      id: `${id}.${o.name}-out-out-of-memory`, syscall: s.name, status: P(n), clause, ...needs,
      rule: `a pointer for the ${o.name} output outside the extension's memory answers INVALID_PARAMS${n}`,
      async run(ctx) {
        // just past the end (aligned), and the top of the 32-bit space (where ptr + size wraps)
        await refused(ctx, s.name, status, (a, d) => at(a, d.e.ext.memory.size), 1, `${s.name} with the pointer at the end of memory`);
        await refused(ctx, s.name, status, (a) => at(a, 0x100000000 - bytes), 1, `${s.name} with the pointer at 4 GiB - ${bytes}`);
      },
    });
    return cases;
  });
}

function idCases(s: SyscallInfo, group: string): Case[] {
  const id = `${group}.${short(s.name)}`;
  return s.inputs.flatMap((p, n): Case[] => {
    const kind = kindOf(p);
    if (!kind) return [];
    const KIND = kind.toUpperCase();
    const status = INVALID_PARAMS[n];
    const clause = `${s.name} inputs`;
    if (kind === 'vps' && recipes[s.name].where !== 'callback') throw new Error(`${s.name}: a zombie VPS is made in a callback; make its recipe one`);
    return [
      {
        id: `${id}.${p.name}-out-of-range`, syscall: s.name, status: P(n), clause,
        rule: `a ${KIND} ID past the pool or BF_INVALID_ID as argument ${n} answers INVALID_PARAMS${n}`,
        async run(ctx) {
          await refused(ctx, s.name, status, (a, d: Driver) => { a[n] = limit(d, kind); }, 1, `${s.name} with ${p.name} = the pool size`);
          await refused(ctx, s.name, status, (a) => { a[n] = BF_INVALID_ID; }, 1, `${s.name} with ${p.name} = BF_INVALID_ID`);
        },
      },
      {
        id: `${id}.${p.name}-never-created`, syscall: s.name, status: P(n), clause,
        rule: `a ${KIND} ID in range that was never created, as argument ${n}, answers INVALID_PARAMS${n}`,
        run: (ctx) => refused(ctx, s.name, status, (a, d) => { a[n] = neverCreated(d, kind); }).then(() => {}),
      },
      {
        id: `${id}.${p.name}-zombie`, syscall: s.name, status: P(n), clause: 'zombies',
        rule: `a zombie ${KIND} as argument ${n} answers INVALID_PARAMS${n}`,
        run: (ctx) => refused(ctx, s.name, status, (a, d) => { a[n] = zombie(d.e, kind); }).then(() => {}),
      },
      {
        id: `${id}.${p.name}-other-extension`, syscall: s.name, status: 'BF_STATUS_INVALID_PERM_DENIED', clause,
        rule: `a ${KIND} another extension owns, as argument ${n}, answers INVALID_PERM_DENIED`,
        run: (ctx) => refused(ctx, s.name, BF_STATUS_INVALID_PERM_DENIED, (a, d) => { a[n] = foreign(d.exts[1], kind); }, 2).then(() => {}),
      },
    ];
  });
}

/** every generic case of every syscall of a group */
export function common(group: string): Case[] {
  return BF_SYSCALLS.filter((s) => s.name.startsWith(`bf_${group}_op_`)).flatMap((s) => [
    ...handleCases(s, group),
    ...permissionCases(s, group),
    ...outputCases(s, group),
    ...idCases(s, group),
  ]);
}

/** a recipe call that must succeed, on a fresh driver: for success cases that then look at the effect */
export async function succeed(ctx: Ctx, name: SyscallName, opts: Parameters<Ctx['driver']>[0] = {}): Promise<{ d: Driver; m: Made }> {
  const d = await ctx.driver(opts);
  const m = make(d, name);
  ctx.status(m.status, BF_STATUS_SUCCESS, name);
  return { d, m };
}
