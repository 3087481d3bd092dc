// Naming what went wrong inside an extension: a WebAssembly trap (and which),
// an AssemblyScript abort, or a fault of the host's own code.

export type TrapKind =
  | 'unreachable' | 'memory-out-of-bounds' | 'divide-by-zero' | 'integer-overflow'
  | 'invalid-conversion' | 'indirect-call-null' | 'indirect-call-signature' | 'table-out-of-bounds'
  | 'stack-overflow' | 'out-of-memory' | 'other';

export interface Fault {
  /**
   * trap: the engine stopped the code; abort: the code gave up (AssemblyScript
   * abort); deadline: a call ran past its CPU budget and its worker was
   * terminated; host: a host exception escaped
   */
  kind: 'trap' | 'abort' | 'deadline' | 'host';
  /** for a deadline: the budget it ran past */
  budgetMs?: number;
  trap?: TrapKind;
  message: string;
  /** for an abort: where the extension's source said it */
  file?: string;
  line?: number;
  column?: number;
}

/** thrown by the env.abort import so that the abort unwinds the extension like a trap */
export class ExtensionAbort extends Error {
  constructor(readonly text: string, readonly file: string | undefined, readonly line: number, readonly column: number) {
    super(`abort: ${text}${file ? ` at ${file}:${line}:${column}` : ''}`);
  }
}

/** a call into an extension's worker ran past its CPU budget: the worker was terminated */
export class DeadlineExceeded extends Error {
  constructor(readonly budgetMs: number) {
    super(`it ran past its CPU budget of ${budgetMs} ms; its worker was terminated`);
  }
}

/** what ended a call in an extension's worker, as the worker described it */
export class WorkerError extends Error {
  constructor(readonly info: { name: string; message: string; stack?: string; trap: boolean }) {
    super(info.message);
    this.name = info.name;
    if (info.stack) this.stack = info.stack;
  }
}

/** an extension's worker that cannot serve: stopped, or never started */
export class WorkerGone extends Error {}

const TRAPS: [RegExp, TrapKind][] = [
  [/^unreachable/, 'unreachable'],
  [/memory access out of bounds/, 'memory-out-of-bounds'],
  [/divide by zero|remainder by zero/, 'divide-by-zero'],
  [/divide result unrepresentable|integer overflow/, 'integer-overflow'],
  [/float unrepresentable|invalid conversion/, 'invalid-conversion'],
  [/null function or function signature mismatch/, 'indirect-call-null'],
  [/signature mismatch/, 'indirect-call-signature'],
  [/table index is out of bounds/, 'table-out-of-bounds'],
];

/** the first frame of a trap in AssemblyScript's memory manager (its names survive in debug builds) */
const RUNTIME_ALLOCATOR = /^\s*at ~lib\/rt\/(itcms|tlsf|tcms|stub)\//;

export function classify(e: unknown): Fault {
  if (e instanceof ExtensionAbort) {
    return { kind: 'abort', message: e.text, file: e.file, line: e.line, column: e.column };
  }
  if (e instanceof DeadlineExceeded) return { kind: 'deadline', budgetMs: e.budgetMs, message: e.message };
  if (e instanceof WebAssembly.RuntimeError || (e instanceof WorkerError && e.info.trap)) {
    const kind = TRAPS.find(([re]) => re.test(e.message))?.[1] ?? 'other';
    // AssemblyScript's allocator traps when the memory, fixed in size, cannot grow
    if (kind === 'unreachable' && RUNTIME_ALLOCATOR.test(e.stack?.split('\n')[1] ?? '')) {
      return { kind: 'trap', trap: 'out-of-memory', message: 'the AssemblyScript runtime could not allocate: the memory is full and cannot grow' };
    }
    return { kind: 'trap', trap: kind, message: e.message };
  }
  if ((e instanceof RangeError || (e instanceof WorkerError && e.name === 'RangeError')) && /call stack/.test(e.message)) {
    return { kind: 'trap', trap: 'stack-overflow', message: e.message };
  }
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { kind: 'host', message };
}

export function describeFault(f: Fault): string {
  if (f.kind === 'abort') return `abort: ${f.message}${f.file ? ` (${f.file}:${f.line}:${f.column})` : ''}`;
  if (f.kind === 'trap') return `trap ${f.trap}: ${f.message}`;
  if (f.kind === 'deadline') return `deadline: ${f.message}`;
  return `host fault: ${f.message}`;
}
