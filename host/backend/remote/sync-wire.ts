// A byte pipe to the firmware that a thread can block on. WebAssembly
// imports are synchronous, so a syscall that crosses the wire must wait for
// its answer (DESIGN decision 6): a worker owns the socket and copies what
// arrives into a ring in shared memory; the calling thread sleeps in
// Atomics.wait until bytes come or its time is up. Writes go to the worker
// by message, which it takes even while the caller sleeps. The socket is a
// unix one (QEMU), or TCP on loopback (Bochs has no unix sockets); the
// worker listens for the emulator, or connects to an implementation that
// listens (bfx conformance --target connect:).
import { Worker } from 'node:worker_threads';

/** bytes the ring holds; a firmware that outruns the reader by this much ends the link */
export const RING_BYTES = 1 << 20;

// control words
const WRITTEN = 0; // bytes the worker has put in the ring, in all
const READ = 1; // bytes the reader has taken, in all
const STATE = 2; // what the worker says of the socket, below
const OPEN = 0;
const CONNECTED = 1;
const CLOSED = 2;
const OVERFLOW = 3;
const FAILED = 4;

// The worker is plain JavaScript, run from a string, so that it needs no
// build step whether bfx runs from dist/ or from its TypeScript sources.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const { path, tcpHost, connectTo, control, ring } = workerData;
const c = new Int32Array(control);
const r = new Uint8Array(ring);
const size = r.length;
let socket;
let server;
const set = (state) => { Atomics.store(c, ${STATE}, state); Atomics.notify(c, ${WRITTEN}); };
const take = (s, tcp) => {
  socket = s;
  // a frame's bytes go out at once, not held back for more (TCP's Nagle)
  if (tcp) s.setNoDelay(true);
  s.on('data', (chunk) => {
    const written = Atomics.load(c, ${WRITTEN});
    if (written - Atomics.load(c, ${READ}) + chunk.length > size) { set(${OVERFLOW}); s.destroy(); return; }
    for (let i = 0; i < chunk.length; i++) r[(written + i) % size] = chunk[i];
    Atomics.store(c, ${WRITTEN}, written + chunk.length);
    Atomics.notify(c, ${WRITTEN});
  });
  s.on('close', () => { if (Atomics.load(c, ${STATE}) === ${CONNECTED}) set(${CLOSED}); });
  s.on('error', () => set(${FAILED}));
};
if (connectTo) {
  // the other side listens: an implementation someone else started
  const s = net.createConnection(connectTo);
  s.once('connect', () => { set(${CONNECTED}); parentPort.postMessage({ listening: true }); });
  s.once('error', (e) => { if (Atomics.load(c, ${STATE}) === ${OPEN}) parentPort.postMessage({ error: e.message }); });
  take(s, connectTo.port !== undefined);
} else {
  server = net.createServer((s) => {
    server.close(); // one connection is all there is
    take(s, tcpHost !== undefined);
    set(${CONNECTED});
  });
  server.on('error', (e) => parentPort.postMessage({ error: e.message }));
  const listening = () => parentPort.postMessage({ listening: true, port: tcpHost === undefined ? undefined : server.address().port });
  // port 0: the system picks a free one, so parallel runs never collide
  if (tcpHost === undefined) server.listen(path, listening);
  else server.listen({ host: tcpHost, port: 0, exclusive: true }, listening);
}
parentPort.on('message', (m) => {
  if (m.write && socket) socket.write(Buffer.from(m.write));
  // end: what was written goes out first, then the socket closes
  if (m.end && socket) socket.end();
  if (m.close) { if (socket) socket.destroy(); if (server) server.close(); set(${CLOSED}); }
});
`;

export class SyncWireError extends Error {}

/** what a Link reads frames from and writes them to: the stream (SyncWire), or the mailbox (ShmWire); reads throw SyncWireError when it is gone */
export interface Pipe {
  read(timeoutMs: number): Uint8Array;
  readAsync(timeoutMs: number): Promise<Uint8Array>;
  write(bytes: Uint8Array): void;
  close(): void;
}

/** where an implementation listens: a unix socket, or TCP */
export type WireAddress = { path: string; port?: undefined } | { host: string; port: number; path?: undefined };

/**
 * "host:port" (a port of digits, a host without "/") is TCP; anything else
 * is a unix socket's path. "[::1]:5000" is IPv6; port 0, to listen on,
 * lets the system pick one.
 */
export function parseAddress(text: string): WireAddress {
  if (text === '') throw new SyncWireError('an empty address: give a unix socket path or host:port');
  const m = /^(\[[^\]]+\]|[^/:]+):(\d+)$/.exec(text);
  if (!m) return { path: text };
  const port = Number(m[2]);
  // 0 is for a listener: the system picks a free port
  if (port > 65535) throw new SyncWireError(`${text}: a port is at most 65535`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

export function addressText(a: WireAddress): string {
  return a.path ?? (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);
}

export class SyncWire implements Pipe {
  private constructor(
    private readonly worker: Worker,
    private readonly control: Int32Array,
    private readonly ring: Uint8Array,
    /** with listenTcp: the port the system gave */
    readonly port?: number,
  ) {}

  /** a worker listening on the unix socket path; QEMU connects to it */
  static listen(path: string): Promise<SyncWire> {
    return SyncWire.start({ path }, path);
  }

  /**
   * a worker connected to an implementation that listens: a unix socket
   * path, or a TCP host and port; fails when nobody answers there
   */
  static connect(to: WireAddress): Promise<SyncWire> {
    return SyncWire.start({ connectTo: to.path !== undefined ? { path: to.path } : { host: to.host, port: to.port } }, addressText(to), 'cannot connect to');
  }

  /** a worker listening on a TCP port of `host` that the system picks (`port` says which); Bochs connects to it */
  static listenTcp(host = '127.0.0.1'): Promise<SyncWire> {
    return SyncWire.start({ tcpHost: host }, `${host}, a free TCP port`);
  }

  private static async start(where: { path?: string; tcpHost?: string; connectTo?: WireAddress }, what: string, failing = 'cannot listen on'): Promise<SyncWire> {
    const control = new Int32Array(new SharedArrayBuffer(4 * 3));
    const ring = new Uint8Array(new SharedArrayBuffer(RING_BYTES));
    const worker = new Worker(WORKER, { eval: true, workerData: { ...where, control: control.buffer, ring: ring.buffer } });
    worker.unref(); // it ends with the link, or with us
    const port = await new Promise<number | undefined>((ok, fail) => {
      worker.once('message', (m: { listening?: boolean; port?: number; error?: string }) => (m.error ? fail(new SyncWireError(`${failing} ${what}: ${m.error}`)) : ok(m.port)));
      worker.once('error', fail);
    });
    return new SyncWire(worker, control, ring, port);
  }

  private get state(): number {
    return Atomics.load(this.control, STATE);
  }

  /** waits, blocking, until the firmware's side connects; false after timeoutMs */
  waitConnected(timeoutMs: number): boolean {
    const deadline = performance.now() + timeoutMs;
    while (this.state === OPEN) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.control, WRITTEN, 0, Math.min(left, 50));
    }
    return this.state === CONNECTED || Atomics.load(this.control, WRITTEN) > 0;
  }

  write(bytes: Uint8Array): void {
    this.worker.postMessage({ write: bytes });
  }

  /**
   * The bytes that have come, waiting up to timeoutMs for some; empty when
   * none came in time. Throws when the link is gone and nothing is left.
   */
  read(timeoutMs: number): Uint8Array {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const written = Atomics.load(this.control, WRITTEN);
      const got = this.take(written);
      if (got) return got;
      const left = deadline - performance.now();
      if (left <= 0) return new Uint8Array(0);
      Atomics.wait(this.control, WRITTEN, written, left);
    }
  }

  /**
   * The same, without blocking the thread: for waits that are not inside a
   * syscall (a guest running until its next exit), so that the event loop
   * goes on meanwhile — signals, timers, the emulator's end.
   */
  async readAsync(timeoutMs: number): Promise<Uint8Array> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const written = Atomics.load(this.control, WRITTEN);
      const got = this.take(written);
      if (got) return got;
      const left = deadline - performance.now();
      if (left <= 0) return new Uint8Array(0);
      // Atomics.waitAsync alone does not keep the event loop alive: a timer does, while it waits
      const alive = setTimeout(() => {}, left);
      try {
        await Atomics.waitAsync(this.control, WRITTEN, written, left).value;
      } finally {
        clearTimeout(alive);
      }
    }
  }

  /** what has come since the last take, given `written`; undefined when nothing has; throws when the link is gone */
  private take(written: number): Uint8Array | undefined {
    const read = Atomics.load(this.control, READ);
    if (written > read) {
      const out = new Uint8Array(written - read);
      for (let i = 0; i < out.length; i++) out[i] = this.ring[(read + i) % RING_BYTES];
      Atomics.store(this.control, READ, written);
      return out;
    }
    const state = this.state;
    if (state === OVERFLOW) throw new SyncWireError(`the firmware sent more than ${RING_BYTES} bytes the host had not read: the link is closed`);
    if (state === CLOSED || state === FAILED) throw new SyncWireError('the wire closed');
    return undefined;
  }

  /** what was written goes out, then the socket closes (close() may drop what is still on its way) */
  end(): void {
    this.worker.postMessage({ end: true });
  }

  close(): void {
    this.worker.postMessage({ close: true });
    // said here too: the worker may be gone before it takes the message, and a reader must not wait on it
    Atomics.store(this.control, STATE, CLOSED);
    Atomics.notify(this.control, WRITTEN);
    void this.worker.terminate();
  }
}
