// What the commands share: exit codes, output, and option parsing that
// reports a bad command line in words.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT = { ok: 0, failed: 1, usage: 2, load: 3, internal: 4, interrupted: 130 } as const;

/**
 * An AbortSignal that SIGINT and SIGTERM abort while `during` runs, instead
 * of ending the process at once: the command stops its run, says what it
 * did, and cleans up (an emulator it started) before it exits.
 */
export async function interruptible<T>(during: (stop: AbortSignal) => Promise<T>): Promise<{ value: T; signal?: string }> {
  const c = new AbortController();
  const on = (sig: NodeJS.Signals) => c.abort(sig);
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  try {
    const value = await during(c.signal);
    return { value, signal: c.signal.aborted ? String(c.signal.reason) : undefined };
  } finally {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  }
}

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
