// What the commands share: exit codes, output, and option parsing that
// reports a bad command line in words.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT = { ok: 0, failed: 1, usage: 2, load: 3, internal: 4 } as const;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    // node's messages name the option; drop its own advice about '--'
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

export function integer(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} takes a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} takes ${allowed.join(' or ')}, not "${value}"`);
  return value as T;
}
