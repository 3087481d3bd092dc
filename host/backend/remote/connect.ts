// The remote backend on an implementation someone else started: connect to
// where it listens (a unix socket or host:port), take its hello, and hand
// back a Remote. The contract (docs/wire-protocol.md, "Serving
// connections"): every connection is a session with a microkernel fresh from
// boot, which says HELLO first and ends the session at BYE.
import type { Hello } from '../../wire/messages.js';
import { Link, HELLO_TIMEOUT_MS } from './link.js';
import { Remote, type RemoteTimeouts } from './remote.js';
import { addressText, SyncWire, type WireAddress } from './sync-wire.js';

export interface ConnectOptions {
  helloTimeoutMs?: number;
  timeouts?: Partial<RemoteTimeouts>;
}

export interface Connection {
  remote: Remote;
  hello: Hello;
  /** says bye, lets the implementation close the session, and closes the socket after graceMs at most */
  close(graceMs?: number): Promise<void>;
}

export async function connectRemote(to: WireAddress, o: ConnectOptions = {}): Promise<Connection> {
  const wire = await SyncWire.connect(to);
  const link = new Link(wire);
  let hello: Hello;
  try {
    hello = link.hello(o.helloTimeoutMs ?? HELLO_TIMEOUT_MS);
  } catch (e) {
    wire.close();
    throw new Error(`${addressText(to)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  // its console travels as CONSOLE frames; a COM1 of its own, if any, is not ours to read
  const remote = new Remote({ link, pollConsole: () => [], timeouts: o.timeouts, hello: { name: hello.firmware, arch: hello.arch, limits: hello.limits } });
  const close = async (graceMs = 2000): Promise<void> => {
    remote.close();
    wire.end();
    // the implementation closes its end once it has taken the bye
    try {
      const deadline = performance.now() + graceMs;
      while (performance.now() < deadline) await wire.readAsync(deadline - performance.now());
    } catch {
      // closed: what we waited for
    }
    wire.close();
  };
  return { remote, hello, close };
}
