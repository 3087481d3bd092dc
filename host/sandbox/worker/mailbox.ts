// The mailbox between the host's thread and an extension's worker: a
// SharedArrayBuffer both read and write, so that a syscall crosses threads
// without the event loop (synchronous, as a WebAssembly import must be).
// Small values travel in it; anything structured (a module to instantiate,
// an error to report) goes by a MessagePort that the other side reads at
// once, told to by an op here.

/** Int32 words of the control area */
export const CTL = {
  /** bumped by the host each time it posts an op to the worker */
  toWorker: 0,
  /** bumped by the worker each time it posts an op to the host */
  toHost: 1,
  /** the op the host posted */
  hostOp: 2,
  /** the op the worker posted */
  workerOp: 3,
  /** CALL: a table slot (>= 0) or -1 - the index of an export name; IMPORT: which import */
  target: 4,
  /** how many values follow in the value area */
  count: 5,
  /** 1 when the worker is to copy the state globals out after every call */
  mirror: 6,
  words: 8,
} as const;

/** what the host asks of the worker */
export const HOST_OP = {
  /** instantiate the module on the port; answers READY or FAULT */
  instantiate: 1,
  /** call a function; answers IMPORT while it runs, then DONE, FAULT or HOST_THROW */
  call: 2,
  /** the import returned the value in the value area */
  importReturn: 3,
  /** the import threw: the worker unwinds the call */
  importThrow: 4,
  /** copy the state globals into the global area; answers DONE */
  readGlobals: 5,
  /** set the state globals from the global area; answers DONE */
  writeGlobals: 6,
  /** end the worker */
  quit: 7,
} as const;

/** what the worker tells the host */
export const WORKER_OP = {
  ready: 1,
  done: 2,
  import: 3,
  /** an error ended the call or the instantiation: its description is on the port */
  fault: 4,
  /** an import threw (the host has that exception): the call ended by it */
  hostThrow: 5,
} as const;

/** values: a tag each (0 a number, 1 a bigint, 2 nothing), then 8 bytes each */
export const MAX_VALUES = 16;
/** state globals the mirror holds at most; a module with more is not mirrored */
export const MAX_GLOBALS = 512;

export const LAYOUT = {
  ctlBytes: CTL.words * 4,
  tagsAt: CTL.words * 4,
  valuesAt: CTL.words * 4 + MAX_VALUES * 4,
  globalsAt: CTL.words * 4 + MAX_VALUES * 4 + MAX_VALUES * 8,
  bytes: CTL.words * 4 + MAX_VALUES * 4 + MAX_VALUES * 8 + MAX_GLOBALS * 8,
} as const;

/** how many times a side reads the mailbox before it sleeps on it: a syscall answers in microseconds */
export const SPIN = 20_000;

/** an error from the worker, as it travels */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
  /** a WebAssembly.RuntimeError: a trap */
  trap: boolean;
}

/** what the worker says after an instantiation */
export interface Ready {
  /** the arity of the function in each slot of the exported table, -1 for none; null without a table */
  table: number[] | null;
}
