// Emits host/abi/bf.ts: the constants, the syscall descriptors and the
// typed microkernel interface the host is written against.
import {
  callbackSignatures, constants, encoding, exitReasons, groups, regs, statuses,
  syscalls, syscallRax, wasmParams, wasmType, type Param, type Syscall,
} from '../table.js';
import { banner, hex, idxConstant } from './names.js';

function tsType(p: Param): string {
  if (p.role === 'reg') return 'number';
  return p.width === 'u64' ? 'bigint' : 'number';
}

function kernelMethod(s: Syscall): string {
  const args = s.inputs.map((p) => `${p.name}: ${tsType(p)}`).join(', ');
  const outs = s.outputs.length
    ? ` Outputs: ${s.outputs.map((o, i) => `out[${i}] = ${o.name} (${o.width})`).join(', ')}.`
    : '';
  return `  /** ${s.doc}.${outs} */\n  ${s.name}(${args}): bf_status_t;`;
}

export function emitTypeScript(): string {
  const L: string[] = [banner('//'), '', 'export type bf_status_t = bigint;', ''];
  L.push('// ---- bf_status_t ----');
  for (const s of statuses) L.push(`/** ${s.doc} */\nexport const ${s.name}: bf_status_t = ${hex(s.value, 16)}n;`);
  L.push('', '// ---- register-level encoding ----');
  for (const [k, v] of Object.entries(encoding)) L.push(`export const ${k} = ${hex(v, 16)}n;`);
  L.push('', '// ---- constants ----');
  for (const [k, v] of Object.entries(constants)) L.push(`export const ${k} = ${hex(BigInt(v))};`);
  L.push('', '// ---- opcodes and indices ----');
  for (const g of groups) L.push(`export const ${g.constant} = ${hex(BigInt(g.op), 4)};`);
  for (const s of syscalls) L.push(`export const ${idxConstant(s)} = ${hex(BigInt(s.idx), 4)};`);

  L.push('', '// ---- bf_reg_t ----');
  L.push('export const bf_reg_t = {');
  regs.forEach((r, i) => L.push(`  ${r}: ${i},`));
  L.push('} as const;');
  L.push(`export const BF_REG_T_COUNT = ${regs.length};`);
  L.push('export const BF_REG_T_NAMES: readonly string[] = [');
  for (const r of regs) L.push(`  '${r}',`);
  L.push('];');

  L.push('', '// ---- exit reasons ----');
  L.push('export interface ExitReasonInfo { name: string; svm: bigint; vmx: bigint; doc: string }');
  L.push('export const BF_EXIT_REASONS: readonly ExitReasonInfo[] = [');
  for (const e of exitReasons) L.push(`  { name: '${e.name}', svm: ${hex(e.svm)}n, vmx: ${hex(e.vmx)}n, doc: ${JSON.stringify(e.doc)} },`);
  L.push('];');
  for (const e of exitReasons) {
    L.push(`export const BF_SVM_EXIT_${e.name.toUpperCase()} = ${hex(e.svm)}n;`);
    L.push(`export const BF_VMX_EXIT_${e.name.toUpperCase()} = ${hex(e.vmx)}n;`);
  }

  L.push('', '// ---- syscall descriptors ----');
  L.push(`export type Role = ${[...new Set(syscalls.flatMap((s) => [...s.inputs, ...s.outputs]).map((p) => `'${p.role}'`))].join(' | ')};`);
  L.push("export type Width = 'u8' | 'u16' | 'u32' | 'u64';");
  L.push('export interface ParamInfo { readonly name: string; readonly width: Width; readonly role: Role }');
  L.push("export type CallbackKind = 'bootstrap' | 'vmexit' | 'fail';");
  L.push('export interface SyscallInfo {');
  L.push('  /** position in BF_SYSCALLS, for counters */');
  L.push('  readonly id: number;');
  L.push('  readonly name: SyscallName;');
  L.push('  readonly op: number;');
  L.push('  readonly idx: number;');
  L.push('  /** RAX at the register level */');
  L.push('  readonly rax: bigint;');
  L.push('  readonly inputs: readonly ParamInfo[];');
  L.push('  readonly outputs: readonly ParamInfo[];');
  L.push("  readonly where: 'host' | 'kernel';");
  L.push('  readonly callback?: CallbackKind;');
  L.push('  /** the WebAssembly import signature: inputs, then one pointer per output */');
  L.push("  readonly wasm: readonly ('i32' | 'i64')[];");
  L.push('  readonly doc: string;');
  L.push('}');
  L.push(`export type SyscallName =\n${syscalls.map((s) => `  | '${s.name}'`).join('\n')};`);
  const param = (p: Param) => `{ name: '${p.name}', width: '${p.width}', role: '${p.role}' }`;
  L.push('export const BF_SYSCALLS: readonly SyscallInfo[] = [');
  syscalls.forEach((s, id) => {
    L.push(`  {`);
    L.push(`    id: ${id}, name: '${s.name}', op: ${hex(BigInt(s.op), 2)}, idx: ${hex(BigInt(s.idx), 2)}, rax: ${hex(syscallRax(s), 16)}n,`);
    L.push(`    inputs: [${s.inputs.map(param).join(', ')}],`);
    L.push(`    outputs: [${s.outputs.map(param).join(', ')}],`);
    L.push(`    where: '${s.where}',${s.callback ? ` callback: '${s.callback}',` : ''}`);
    L.push(`    wasm: [${wasmParams(s).map((t) => `'${t}'`).join(', ')}],`);
    L.push(`    doc: ${JSON.stringify(s.doc)},`);
    L.push('  },');
  });
  L.push('];');
  L.push('export const BF_SYSCALL_ID: { readonly [K in SyscallName]: number } = {');
  syscalls.forEach((s, id) => L.push(`  ${s.name}: ${id},`));
  L.push('};');
  L.push('/** the WebAssembly parameters of each callback; callbacks return nothing */');
  L.push("export const BF_CALLBACK_WASM: { readonly [K in CallbackKind]: readonly ('i32' | 'i64')[] } = {");
  for (const [k, v] of Object.entries(callbackSignatures)) L.push(`  ${k}: [${v.map((p) => `'${wasmType(p)}'`).join(', ')}],`);
  L.push('};');

  L.push('', '// ---- the microkernel, as the host calls it ----');
  L.push('/**');
  L.push(' * Every syscall that reaches the microkernel, typed. Each returns its');
  L.push(' * bf_status_t and leaves its outputs in `out` (REG0..REG5 of the answer).');
  L.push(' */');
  L.push('export interface MicrokernelCalls {');
  L.push('  /** the outputs of the last call, as REG0..REG5 */');
  L.push('  readonly out: BigUint64Array;');
  for (const s of syscalls.filter((x) => x.where === 'kernel')) L.push(kernelMethod(s));
  L.push('}');
  L.push('');
  return L.join('\n');
}
