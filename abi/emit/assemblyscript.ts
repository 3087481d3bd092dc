// Emits extensions/sdk/bf.ts: the AssemblyScript side of the ABI. For each
// syscall, `<name>_impl` is the raw import (the WebAssembly convention:
// inputs, then output pointers, status returned) and `<name>` the typed
// function an author calls.
import {
  constants, exitReasons, groups, regs, statuses, syscalls, callbackSignatures,
  type Param, type Syscall,
} from '../table.js';
import { banner, hex, idxConstant } from './names.js';

const id = (p: Param) => ['vmid', 'vpid', 'vpsid', 'ppid'].includes(p.role);

/** the raw import's type for an input: IDs as u32 so that a test can pass an out-of-range one */
function rawType(p: Param): string {
  if (p.role === 'cstr') return 'usize';
  if (p.role === 'callback' || id(p) || p.width !== 'u64') return 'u32';
  return 'u64';
}

function callbackType(s: Syscall): string {
  const sig = callbackSignatures[s.callback!];
  return `(${sig.map((p) => `${p.name}: ${p.width}`).join(', ')}) => void`;
}

/** the typed function's type for an input */
function typedType(s: Syscall, p: Param): string {
  if (p.role === 'reg') return 'bf_reg_t';
  if (p.role === 'cstr') return 'string';
  if (p.role === 'callback') return callbackType(s);
  return p.width;
}

function passArg(p: Param): string {
  if (p.role === 'reg') return `<u64>${p.name}`;
  if (p.role === 'callback') return `${p.name}.index`;
  if (p.role === 'char') return `<u32>${p.name}`;
  return p.name;
}

function outSlot(i: number): string {
  return `BF_OUT${i}`;
}

function failValue(o: Param): string {
  return id(o) ? 'BF_INVALID_ID' : '0';
}

function typed(s: Syscall): string[] {
  const L: string[] = [];
  const params = s.inputs.map((p) => `${p.name}: ${typedType(s, p)}`).join(', ');
  const [first, ...rest] = s.outputs;
  const ret = first ? first.width : 'bf_status_t';
  const returns = first
    ? `Returns ${first.name} (${failValue(first)} on failure); bf_last_status() says why.`
    : 'Returns the bf_status_t, as bf_last_status() does.';
  L.push(`/** ${s.doc}. ${returns} */`);
  L.push(`export function ${s.name}(${params}): ${ret} {`);
  const cstr = s.inputs.find((p) => p.role === 'cstr');
  if (cstr) {
    // a long string goes out in chunks, each NUL-terminated in a static buffer
    const args = s.inputs.map((p) => (p === cstr ? 'BF_CSTR_BUF' : passArg(p))).join(', ');
    L.push('  let next = 0;');
    L.push('  do {');
    L.push(`    next = bf_cstr_chunk(${cstr.name}, next);`);
    L.push(`    last_status = ${s.name}_impl(${args});`);
    L.push(`  } while (last_status == BF_STATUS_SUCCESS && next < ${cstr.name}.length);`);
    L.push('  return last_status;');
    L.push('}');
    return L;
  }
  s.outputs.forEach((o, i) => L.push(`  store<${o.width}>(${outSlot(i)}, ${failValue(o)});`));
  const args = [...s.inputs.map(passArg), ...s.outputs.map((_, i) => outSlot(i))].join(', ');
  L.push(`  last_status = ${s.name}_impl(${args});`);
  rest.forEach((o, i) => L.push(`  ${s.name}_${o.name}_out = load<${o.width}>(${outSlot(i + 1)});`));
  L.push(first ? `  return load<${first.width}>(${outSlot(0)});` : '  return last_status;');
  L.push('}');
  rest.forEach((o) => {
    L.push(`let ${s.name}_${o.name}_out: ${o.width} = 0;`);
    L.push(`/** the ${o.name} output of the last ${s.name} */`);
    L.push(`export function ${s.name}_${o.name}(): ${o.width} {`);
    L.push(`  return ${s.name}_${o.name}_out;`);
    L.push('}');
  });
  return L;
}

function raw(s: Syscall): string[] {
  const params = [
    ...s.inputs.map((p) => `${p.name}: ${rawType(p)}`),
    ...s.outputs.map((o) => `${o.name}_out: usize`),
  ].join(', ');
  return [
    `@external("bf", "${s.name}")`,
    `export declare function ${s.name}_impl(${params}): bf_status_t;`,
  ];
}

export function emitAssemblyScript(): string {
  const L: string[] = [banner('//'), '', "import { BF_CSTR_BUF, bf_cstr_chunk } from './cstr';", ''];
  L.push('export type bf_status_t = u64;', '');
  for (const s of statuses) L.push(`/** ${s.doc} */\nexport const ${s.name}: bf_status_t = ${hex(s.value, 16)};`);
  L.push('');
  for (const [k, v] of Object.entries(constants)) {
    L.push(`export const ${k}: ${k === 'BF_INVALID_ID' ? 'u16' : 'u32'} = ${hex(BigInt(v))};`);
  }
  L.push('');
  for (const g of groups) L.push(`export const ${g.constant}: u16 = ${hex(BigInt(g.op), 4)};`);
  for (const s of syscalls) L.push(`export const ${idxConstant(s)}: u16 = ${hex(BigInt(s.idx), 4)};`);
  L.push('', '/** the guest registers read_reg and write_reg name */', 'export enum bf_reg_t {');
  regs.forEach((r, i) => L.push(`  ${r} = ${i},`));
  L.push('}');
  L.push('', '// exit reasons as each architecture numbers them');
  for (const e of exitReasons) {
    L.push(`/** ${e.doc} */`);
    L.push(`export const BF_SVM_EXIT_${e.name.toUpperCase()}: u64 = ${hex(e.svm)};`);
    L.push(`export const BF_VMX_EXIT_${e.name.toUpperCase()}: u64 = ${hex(e.vmx)};`);
  }
  L.push('');
  L.push('// outputs land here: static, so a syscall allocates nothing');
  const slots = Math.max(...syscalls.map((s) => s.outputs.length));
  L.push(`const BF_OUT0: usize = memory.data(${8 * slots}, 8);`);
  for (let i = 1; i < slots; i++) L.push(`const ${outSlot(i)}: usize = BF_OUT0 + ${8 * i};`);
  L.push('let last_status: bf_status_t = BF_STATUS_SUCCESS;');
  L.push('');
  L.push('/** the name the ABI gives a status, for messages; its hex when it is none of them */');
  L.push('export function bf_status_name(status: bf_status_t): string {');
  for (const st of statuses) L.push(`  if (status == ${st.name}) return '${st.name}';`);
  L.push("  return '0x' + status.toString(16);");
  L.push('}');
  L.push('');
  L.push('/** the status of the last syscall made through the typed functions below */');
  L.push('export function bf_last_status(): bf_status_t {');
  L.push('  return last_status;');
  L.push('}');
  for (const s of syscalls) {
    L.push('', `// ---- ${s.name} ----`);
    L.push(...raw(s));
    L.push(...typed(s));
  }
  L.push('');
  return L.join('\n');
}
