// Values as a failure message shows them: short, one line, and bigints in
// hex where they are addresses or statuses rather than counts.

const MAX = 200;

export function show(v: unknown): string {
  const s = text(v, 0);
  return s.length > MAX ? `${s.slice(0, MAX - 1)}…` : s;
}

function text(v: unknown, depth: number): string {
  if (typeof v === 'bigint') return v >= 0x10000n || v <= -0x10000n ? `${v < 0n ? '-' : ''}0x${(v < 0n ? -v : v).toString(16)}n` : `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (typeof v === 'function') return `[function ${v.name || 'anonymous'}]`;
  if (typeof v === 'symbol') return v.toString();
  if (v instanceof RegExp) return String(v);
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  if (depth > 3) return Array.isArray(v) ? '[…]' : '{…}';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Uint8Array).length ?? v.byteLength})`;
  if (Array.isArray(v)) return `[${v.map((x) => text(x, depth + 1)).join(', ')}]`;
  if (v instanceof Set) return `Set {${[...v].map((x) => text(x, depth + 1)).join(', ')}}`;
  if (v instanceof Map) return `Map {${[...v].map(([k, x]) => `${text(k, depth + 1)} => ${text(x, depth + 1)}`).join(', ')}}`;
  const entries = Object.entries(v as object).map(([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${text(x, depth + 1)}`);
  return `{ ${entries.join(', ')} }`.replace('{  }', '{}');
}
