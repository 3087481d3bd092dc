// The scripted guest: a list of instructions with real x86 lengths, laid out
// at guest addresses so that RIP, advance_ip and exits behave as on hardware.
// Only what a hypervisor intercepts is modelled; `print` stands for the
// guest's console driver: a REP OUTSB of formatted text to COM1.

/** GPRs by bf_reg_t number */
export const RAX = 0;
export const RBX = 1;
export const RCX = 2;
export const RDX = 3;
export const RSI = 5;

export const COM1 = 0x3f8;
/** where the root guest's code starts */
export const CODE_BASE = 0x100000n;

export type Insn =
  | { op: 'mov'; reg: number; imm: bigint }
  | { op: 'cpuid' }
  | { op: 'rdmsr' }
  | { op: 'wrmsr' }
  | { op: 'in'; port: number; size: 1 | 2 | 4 }
  | { op: 'out'; port: number; size: 1 | 2 | 4 }
  | { op: 'hlt' }
  | { op: 'vmcall' }
  | { op: 'print'; text: string }
  | { op: 'dec'; reg: number }
  | { op: 'jnz'; to: string }
  | { op: 'label'; name: string }
  | { op: 'nop' };

/** encoded length of each instruction, as the bytes a real assembler would emit */
export function length(i: Insn): number {
  switch (i.op) {
    case 'mov': return 10; // REX.W B8+r imm64
    case 'cpuid': case 'rdmsr': case 'wrmsr': return 2; // 0F A2 / 0F 32 / 0F 30
    case 'in': case 'out': // E4/E6 ib with an immediate port, EC/EE through DX; 66 for 16-bit
      return (i.port < 0x100 ? 2 : 1) + (i.size === 2 ? 1 : 0);
    case 'hlt': case 'nop': return 1;
    case 'vmcall': return 3; // 0F 01 D9 (VMMCALL) / 0F 01 C1 (VMCALL)
    case 'print': return 2; // F3 6E: rep outsb
    case 'dec': return 3; // REX.W FF /1
    case 'jnz': return 2; // 75 rel8
    case 'label': return 0;
  }
}

export interface Program {
  /** instruction by guest address */
  at: Map<bigint, Insn>;
  /** address of each label */
  labels: Map<string, bigint>;
  entry: bigint;
}

export function assemble(insns: Insn[], base = CODE_BASE): Program {
  const at = new Map<bigint, Insn>();
  const labels = new Map<string, bigint>();
  let rip = base;
  for (const i of insns) {
    if (i.op === 'label') labels.set(i.name, rip);
    else at.set(rip, i);
    rip += BigInt(length(i));
  }
  for (const i of insns) {
    if (i.op === 'jnz' && !labels.has(i.to)) throw new Error(`guest program: jnz to unknown label ${i.to}`);
  }
  return { at, labels, entry: base };
}

// ---- helpers that read like assembly ----
export const mov = (reg: number, imm: bigint | number): Insn => ({ op: 'mov', reg, imm: BigInt(imm) });
export const cpuid = (leaf: number, subleaf = 0): Insn[] => [mov(RAX, leaf), mov(RCX, subleaf), { op: 'cpuid' }];
export const rdmsr = (msr: number): Insn[] => [mov(RCX, msr), { op: 'rdmsr' }];
export const wrmsr = (msr: number, value: bigint): Insn[] => [
  mov(RCX, msr), mov(RAX, value & 0xffffffffn), mov(RDX, value >> 32n), { op: 'wrmsr' },
];
export const outb = (port: number, value: number): Insn[] => [
  mov(RAX, value), ...(port >= 0x100 ? [mov(RDX, port)] : []), { op: 'out', port, size: 1 },
];
export const inb = (port: number): Insn[] => [...(port >= 0x100 ? [mov(RDX, port)] : []), { op: 'in', port, size: 1 }];
export const print = (text: string): Insn => ({ op: 'print', text });
export const hlt: Insn = { op: 'hlt' };
export const vmcall = (rax: number): Insn[] => [mov(RAX, rax), { op: 'vmcall' }];
export const label = (name: string): Insn => ({ op: 'label', name });
export const loop = (reg: number, to: string): Insn[] => [{ op: 'dec', reg }, { op: 'jnz', to }];

/**
 * Formats a guest print: {pp}; {rax} (any GPR, hex); {dec:rax};
 * {sig:rbx,rdx,rcx} (12 characters from three registers, as CPUID vendor strings);
 * {bit:rcx:31}; {edx:eax} (the 64-bit value of two halves).
 */
export function format(text: string, ppid: number, reg: (n: number) => bigint): string {
  const gpr = (name: string): number => {
    const i = ['rax', 'rbx', 'rcx', 'rdx'].indexOf(name);
    if (i < 0) throw new Error(`guest print: unknown register ${name}`);
    return i;
  };
  return text.replace(/\{([^}]+)\}/g, (_, spec: string) => {
    const [kind, a, b] = spec.split(':');
    if (kind === 'pp') return String(ppid);
    if (kind === 'dec') return String(reg(gpr(a)));
    if (kind === 'bit') return String((reg(gpr(a)) >> BigInt(b)) & 1n);
    if (kind === 'edx' && a === 'eax') return `0x${(((reg(RDX) & 0xffffffffn) << 32n) | (reg(RAX) & 0xffffffffn)).toString(16)}`;
    if (kind === 'sig') {
      return a.split(',').map((r) => {
        const v = Number(reg(gpr(r)) & 0xffffffffn);
        return String.fromCharCode(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);
      }).join('').replace(/[^\x20-\x7e]/g, '.');
    }
    return `0x${reg(gpr(kind)).toString(16)}`;
  });
}
