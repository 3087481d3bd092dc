// bfx serve: our firmware as an implementation anyone can connect to. It
// listens (a unix socket, or host:port) and serves every connection with
// the firmware fresh from boot under QEMU or Bochs, relaying the wire's
// bytes both ways untouched: the contract `bfx conformance --target
// connect:` expects of any implementation (docs/wire-protocol.md, "Serving
// connections"). A session ends when the firmware ends (after BYE), or when
// the client goes: then the emulator is stopped.
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { startFirmware, type Emulator } from '../host/backend/remote/boot.js';
import { addressText, type WireAddress } from '../host/backend/remote/sync-wire.js';
import type { Session, Verdict } from './qemu.js';

export interface ServeOptions {
  emulator: Emulator;
  /** with bochs: the CPU model */
  cpu?: string;
  image?: string;
  listen: WireAddress;
  /** each session's emulator's own limit */
  timeoutMs?: number;
  /** where the serial log of a session that did not end well is kept */
  logDir?: string;
  onEvent?(e: ServeEvent): void;
}

export type ServeEvent =
  | { event: 'listening'; address: string }
  | { event: 'session'; session: number; state: 'connected' }
  | { event: 'session'; session: number; state: 'booted'; ms: number }
  | { event: 'session'; session: number; state: 'ended'; verdict: Verdict | 'error'; ms: number; why?: string; log?: string };

/** a client that leaves without BYE: the firmware gets this long to end on its own before it is stopped */
const LEFT_GRACE_MS = 500;

export interface Serving {
  /** stops listening, stops every session's emulator, and resolves when all have ended */
  close(): Promise<void>;
  /** sessions served so far */
  readonly sessions: number;
}

export async function serve(o: ServeOptions): Promise<Serving> {
  const running = new Set<Promise<void>>();
  const emulators = new Set<Session>();
  let sessions = 0;
  let closing = false;
  const emit = (e: ServeEvent) => o.onEvent?.(e);

  const relay = async (client: Socket, n: number): Promise<void> => {
    const t0 = performance.now();
    client.pause();
    emit({ event: 'session', session: n, state: 'connected' });
    let s: Session;
    try {
      // the client speaks to the stream: the wire's bytes are what is relayed
      s = await startFirmware({ emulator: o.emulator, cpu: o.cpu, image: o.image, timeoutMs: o.timeoutMs, logDir: o.logDir, name: `bfx-serve-${n}`, transport: 'uart' });
    } catch (e) {
      client.destroy();
      emit({ event: 'session', session: n, state: 'ended', verdict: 'error', ms: performance.now() - t0, why: e instanceof Error ? e.message : String(e) });
      return;
    }
    emulators.add(s);
    if (closing) s.stop();
    emit({ event: 'session', session: n, state: 'booted', ms: performance.now() - t0 });
    const wire = s.wire!;
    client.on('data', (d: Buffer) => wire.write(d));
    client.on('error', () => client.destroy());
    client.on('close', () => setTimeout(() => s.stop(), LEFT_GRACE_MS));
    client.resume();
    // the firmware's bytes to the client, until the wire closes with the emulator
    const pump = (async () => {
      try {
        for (;;) {
          const bytes = await wire.readAsync(1000);
          if (bytes.length && !client.destroyed) client.write(bytes);
        }
      } catch {
        client.end();
      }
    })();
    const r = await s.result;
    await pump;
    emulators.delete(s);
    const why = r.verdict === 'pass' ? undefined : r.serial.slice(-3).join(' | ') || r.stderr.trim().split('\n').slice(-1)[0];
    emit({ event: 'session', session: n, state: 'ended', verdict: r.verdict, ms: performance.now() - t0, why, log: r.log });
  };

  const server: Server = createServer((client) => {
    const p = relay(client, ++sessions).finally(() => running.delete(p));
    running.add(p);
  });
  // a TCP client's frames go out at once
  server.on('connection', (c) => o.listen.port !== undefined && c.setNoDelay(true));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    if (o.listen.path !== undefined) server.listen(o.listen.path, ok);
    else server.listen({ host: o.listen.host, port: o.listen.port, exclusive: true }, ok);
  });
  const bound = server.address();
  emit({ event: 'listening', address: typeof bound === 'object' && bound ? addressText({ host: bound.address, port: bound.port }) : addressText(o.listen) });
  return {
    get sessions() {
      return sessions;
    },
    async close() {
      closing = true;
      // the listener closes once its connections have: stop their emulators meanwhile
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      for (const s of emulators) s.stop();
      // the listener held the process up; now the sessions' ends must
      const alive = setInterval(() => {}, 1000);
      try {
        await Promise.all(running);
        await closed;
      } finally {
        clearInterval(alive);
      }
      if (o.listen.path !== undefined) rmSync(o.listen.path, { force: true });
    },
  };
}
