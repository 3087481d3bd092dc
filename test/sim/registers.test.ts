// Both architectures' register files hold every bf_reg_t, each in its own
// place (but Intel's fs/gs base, which the VMCS keeps once for two names).
import { describe, expect, it } from 'vitest';
import {
  BF_REG_T_COUNT, BF_REG_T_NAMES, BF_SPEC_ID1_VAL, BF_STATUS_SUCCESS, bf_reg_t,
} from '../../host/abi/bf.js';
import type { Arch } from '../../host/backend/microkernel.js';
import { Sim } from '../../host/backend/sim/sim.js';

/** a sim with a handle and one VPS on pp 0 */
function vpsOn(arch: Arch) {
  const mk = new Sim({ arch });
  const ok = (st: bigint) => expect(st).toBe(BF_STATUS_SUCCESS);
  ok(mk.bf_handle_op_open_handle(BF_SPEC_ID1_VAL));
  const h = mk.out[0];
  ok(mk.bf_vm_op_create_vm(h));
  const vm = Number(mk.out[0]);
  ok(mk.bf_vp_op_create_vp(h, vm));
  const vp = Number(mk.out[0]);
  ok(mk.bf_vps_op_create_vps(h, vp, 0));
  const vps = Number(mk.out[0]);
  const read = (reg: number): bigint => {
    ok(mk.bf_vps_op_read_reg(h, vps, reg));
    return mk.out[0];
  };
  const write = (reg: number, v: bigint) => ok(mk.bf_vps_op_write_reg(h, vps, reg, v));
  return { mk, h, vps, read, write };
}

/**
 * bf_reg_t names for one thing: the FS and GS bases are the IA32_FS_BASE and
 * IA32_GS_BASE MSRs, so the VMCS (and the VMCB) keeps each in one field.
 */
const ALIASES: [string, string][] = [['fs_base_addr', 'ia32_fs_base'], ['gs_base_addr', 'ia32_gs_base']];
const aliasOf = (name: string): string | undefined => ALIASES.find((p) => p.includes(name))?.find((n) => n !== name);

describe.each(['amd', 'intel'] as const)('sim %s register file', (arch) => {
  it('has all 73 bf_reg_t, each its own but for the FS/GS base aliases: write every one, then each reads back its own value', () => {
    const { read, write } = vpsOn(arch);
    expect(BF_REG_T_NAMES.length).toBe(BF_REG_T_COUNT);
    // distinct values narrow enough for a 16-bit selector
    const value = (r: number) => BigInt(0x100 + r * 0x101);
    for (let r = 0; r < BF_REG_T_COUNT; r++) write(r, value(r));
    for (let r = 0; r < BF_REG_T_COUNT; r++) {
      const name = BF_REG_T_NAMES[r];
      const alias = aliasOf(name);
      // of two names for one field, the later write stands
      const expected = alias ? value(Math.max(r, bf_reg_t[alias as keyof typeof bf_reg_t])) : value(r);
      expect(read(r), name).toBe(expected);
    }
  });

  it('keeps all 64 bits of the general-purpose, instruction, stack, flags, control and base registers', () => {
    const { read, write } = vpsOn(arch);
    const wide = [
      'rax', 'rbx', 'rcx', 'rdx', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
      'rip', 'rsp', 'rflags', 'cr0', 'cr2', 'cr3', 'cr4', 'gdtr_base_addr', 'idtr_base_addr',
      'fs_base_addr', 'gs_base_addr', 'ia32_efer', 'ia32_lstar', 'ia32_kernel_gs_base', 'ia32_pat',
    ] as const;
    wide.forEach((name, i) => {
      const v = 0xf0e0d0c0b0a09080n ^ BigInt(i);
      write(bf_reg_t[name], v);
      expect(read(bf_reg_t[name]), name).toBe(v);
    });
  });

  it('keeps a segment selector to 16 bits', () => {
    const { read, write } = vpsOn(arch);
    write(bf_reg_t.cs_selector, 0x12345678n);
    expect(read(bf_reg_t.cs_selector)).toBe(0x5678n);
  });

  it("a second VPS's registers are its own", () => {
    const a = vpsOn(arch);
    const { mk, h } = a;
    expect(mk.bf_vps_op_create_vps(h, 0, 0)).toBe(BF_STATUS_SUCCESS);
    const b = Number(mk.out[0]);
    for (let r = 0; r < BF_REG_T_COUNT; r++) a.write(r, 0x1111n);
    for (let r = 0; r < BF_REG_T_COUNT; r++) {
      expect(mk.bf_vps_op_read_reg(h, b, r)).toBe(BF_STATUS_SUCCESS);
      expect(mk.out[0], BF_REG_T_NAMES[r]).toBe(0n);
    }
  });
});

describe.each(['intel', 'amd'] as const)('sim %s FS/GS base aliases', (arch) => {
  it.each(ALIASES)('%s and %s are one field', (x, y) => {
    const { read, write } = vpsOn(arch);
    const X = bf_reg_t[x as keyof typeof bf_reg_t];
    const Y = bf_reg_t[y as keyof typeof bf_reg_t];
    write(X, 0x7fff00001000n);
    expect(read(Y)).toBe(0x7fff00001000n);
    write(Y, 0x7fff00002000n);
    expect(read(X)).toBe(0x7fff00002000n);
  });
});

describe('sim root state', () => {
  it('init_as_root loads the same machine on both architectures, but for the segment attributes and EFER.SVME', () => {
    const init = (arch: Arch) => {
      const v = vpsOn(arch);
      expect(v.mk.bf_vps_op_init_as_root(v.h, v.vps)).toBe(BF_STATUS_SUCCESS);
      return BF_REG_T_NAMES.map((_, r) => v.read(r));
    };
    const amd = init('amd');
    const intel = init('intel');
    const differ = BF_REG_T_NAMES.filter((_, r) => amd[r] !== intel[r]);
    expect(differ.every((n) => n.endsWith('_attributes') || n === 'ia32_efer'), differ.join(', ')).toBe(true);
    expect(amd[bf_reg_t.ia32_efer] ^ intel[bf_reg_t.ia32_efer]).toBe(1n << 12n);
    expect(amd[bf_reg_t.rip]).toBe(0x100000n);
  });
});
