// The root guests the reference microkernel can run, chosen with --guest.
// Each prints what it observed, so a test or a person can see what the
// extension did to it.
import {
  RSI, cpuid, hlt, inb, label, loop, mov, outb, print, rdmsr, vmcall, wrmsr, type Insn,
} from './program.js';

export interface Scenario {
  name: string;
  doc: string;
  /** the program of the root guest of one physical processor; arg is what follows "name:" */
  program(ppid: number, arg: string | undefined): Insn[];
}

const IA32_PAT = 0x277;
const IA32_TSC_AUX = 0xc0000103;
const POST_PORT = 0x80;
const SYSTEM_CONTROL_PORT = 0x61;

const cpuidTour = (): Insn[] => [
  ...cpuid(0),
  print('cpuid(0) vendor={sig:rbx,rdx,rcx} max-leaf={rax}\n'),
  ...cpuid(0x40000000),
  print('cpuid(0x40000000) signature={sig:rbx,rcx,rdx} max-leaf={rax}\n'),
  ...cpuid(1),
  print('cpuid(1) hypervisor-bit={bit:rcx:31}\n'),
];

const msrTour = (): Insn[] => [
  ...rdmsr(IA32_PAT),
  print('rdmsr(IA32_PAT)={edx:eax}\n'),
  ...wrmsr(IA32_TSC_AUX, 0x1234n),
  ...rdmsr(IA32_TSC_AUX),
  print('wrmsr(IA32_TSC_AUX, 0x1234) then rdmsr={edx:eax}\n'),
];

const ioTour = (): Insn[] => [
  ...outb(POST_PORT, 0x42),
  print('out 0x80 <- 0x42\n'),
  ...inb(SYSTEM_CONTROL_PORT),
  print('in 0x61 -> {rax}\n'),
];

const vmcallTour = (): Insn[] => [
  ...vmcall(0xbf01),
  print('vmcall(0xbf01) returned rax={rax}\n'),
];

export const scenarios: readonly Scenario[] = [
  {
    name: 'cpuid',
    doc: 'asks CPUID for the vendor, the hypervisor leaf 0x40000000 and the hypervisor bit, prints them, halts',
    program: () => [print('hello from pp {pp}\n'), ...cpuidTour(), hlt],
  },
  {
    name: 'msr',
    doc: 'reads IA32_PAT, writes and reads back IA32_TSC_AUX, prints them, halts',
    program: () => [print('hello from pp {pp}\n'), ...msrTour(), hlt],
  },
  {
    name: 'io',
    doc: 'writes port 0x80, reads port 0x61, prints them, halts',
    program: () => [print('hello from pp {pp}\n'), ...ioTour(), hlt],
  },
  {
    name: 'vmcall',
    doc: 'makes a hypercall (VMMCALL on AMD, VMCALL on Intel) with rax=0xbf01, prints rax after it, halts',
    program: () => [print('hello from pp {pp}\n'), ...vmcallTour(), hlt],
  },
  {
    name: 'tour',
    doc: 'cpuid, msr and io in turn, then halts (a hypercall is left to the vmcall guest: only an extension that handles it survives it)',
    program: () => [print('hello from pp {pp}\n'), ...cpuidTour(), ...msrTour(), ...ioTour(), hlt],
  },
  {
    name: 'cpuid-loop',
    doc: 'executes CPUID N times (cpuid-loop:N, default 100000), prints the last signature, halts',
    program: (_pp, arg) => {
      const n = arg === undefined ? 100000 : Number(arg);
      if (!Number.isSafeInteger(n) || n < 1) throw new Error(`guest cpuid-loop: N must be a positive integer, not "${arg}"`);
      return [
        mov(RSI, n), label('again'), ...cpuid(0x40000000), ...loop(RSI, 'again'),
        print('cpuid-loop done: signature={sig:rbx,rcx,rdx}\n'), hlt,
      ];
    },
  },
  {
    name: 'idle',
    doc: 'halts at once',
    program: () => [hlt],
  },
  {
    name: 'runaway',
    doc: 'prints, then runs off the end of its code: a triple fault',
    program: () => [print('about to run off the end\n')],
  },
];

export function findScenario(spec: string): { scenario: Scenario; arg: string | undefined } {
  const [name, arg] = spec.split(/:(.*)/s, 2);
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario) {
    throw new Error(`unknown guest "${name}"; the guests are: ${scenarios.map((s) => s.name).join(', ')}`);
  }
  return { scenario, arg: arg === '' ? undefined : arg };
}
