// Emits firmware/include/bfx_wire.h from abi/wire.ts.
import { archs, errors, exitFlags, frame, mailbox, messages, stops } from '../wire.js';
import { banner, hex } from './names.js';

export function emitWireC(): string {
  const L = [banner('//', 'abi/wire.ts'), '#ifndef BFX_WIRE_H', '#define BFX_WIRE_H', ''];
  for (const [k, v] of Object.entries(frame)) L.push(`#define BFX_WIRE_${k} ${hex(BigInt(v))}u`);
  L.push('');
  for (const m of messages) L.push(`/* ${m.from}: ${m.doc} */\n#define BFX_WIRE_${m.name} ${hex(BigInt(m.type), 2)}u`);
  L.push('');
  for (const e of errors) L.push(`/* ${e.doc} */\n#define BFX_WIRE_ERROR_${e.name} ${e.code}u`);
  L.push('');
  for (const [k, v] of Object.entries(archs)) L.push(`#define BFX_WIRE_ARCH_${k.toUpperCase()} ${v}u`);
  L.push('');
  for (const [k, v] of Object.entries(stops)) L.push(`#define BFX_WIRE_STOP_${k} ${v}u`);
  L.push('');
  for (const [k, v] of Object.entries(exitFlags)) L.push(`#define BFX_WIRE_EXIT_${k} ${v}u`);
  L.push('');
  for (const [k, v] of Object.entries(mailbox)) L.push(`#define BFX_MAILBOX_${k} ${hex(BigInt(v))}u`);
  L.push('', '#endif', '');
  return L.join('\n');
}
