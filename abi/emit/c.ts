// Emits firmware/include/bf.h: the same ABI for the C microkernel.
import {
  constants, encoding, exitReasons, groups, regs, statuses, syscalls, syscallRax,
} from '../table.js';
import { banner, hex, idxConstant } from './names.js';

export function emitC(): string {
  const L: string[] = [
    banner('//'),
    '#ifndef BF_H',
    '#define BF_H',
    '',
    '#include <stdint.h>',
    '',
    'typedef uint64_t bf_status_t;',
    '',
  ];
  for (const s of statuses) L.push(`/* ${s.doc} */\n#define ${s.name} ((bf_status_t)${hex(s.value, 16)}ULL)`);
  L.push('');
  for (const [k, v] of Object.entries(encoding)) L.push(`#define ${k} ${hex(v, 16)}ULL`);
  L.push('');
  for (const [k, v] of Object.entries(constants)) L.push(`#define ${k} ${hex(BigInt(v))}U`);
  L.push('');
  for (const g of groups) L.push(`#define ${g.constant} ${hex(BigInt(g.op), 4)}U`);
  for (const s of syscalls) L.push(`#define ${idxConstant(s)} ${hex(BigInt(s.idx), 4)}U`);
  L.push('');
  L.push('/* X(name, op, idx, rax, inputs, outputs): every syscall, for dispatchers and tables */');
  L.push('#define BF_SYSCALLS(X) \\');
  syscalls.forEach((s, i) => {
    const end = i === syscalls.length - 1 ? '' : ' \\';
    L.push(`    X(${s.name}, ${hex(BigInt(s.op), 2)}U, ${hex(BigInt(s.idx), 2)}U, ${hex(syscallRax(s), 16)}ULL, ${s.inputs.length}, ${s.outputs.length})${end}`);
  });
  L.push('', 'enum bf_reg_t {');
  regs.forEach((r, i) => L.push(`    bf_reg_t_${r} = ${i},`));
  L.push(`    bf_reg_t_count = ${regs.length}`);
  L.push('};', '');
  for (const e of exitReasons) {
    L.push(`/* ${e.doc} */`);
    L.push(`#define BF_SVM_EXIT_${e.name.toUpperCase()} ${hex(e.svm)}ULL`);
    L.push(`#define BF_VMX_EXIT_${e.name.toUpperCase()} ${hex(e.vmx)}ULL`);
  }
  L.push('', '#endif', '');
  return L.join('\n');
}
