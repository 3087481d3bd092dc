// The host's end of the wire to the firmware: the handshake, requests
// matched to their answers by seq, and every frame the firmware sends that
// is not a frame (bad magic, bad checksum, unknown type) made an error that
// says so. Such an error ends the link: the host cannot trust what follows.
import type { Duplex } from 'node:stream';
import { FrameReader, encodeFrame, isFrame, messageName, type Frame, type FrameError } from '../../wire/frame.js';
import { PayloadError, TYPE, parseError, parseHello, type Hello, type WireErrorReport } from '../../wire/messages.js';

export const HELLO_TIMEOUT_MS = 10_000;

export class LinkError extends Error {
  constructor(message: string, readonly problem: FrameError['problem'] | 'TIMEOUT' | 'CLOSED' | 'BAD_PAYLOAD' | 'REFUSED') {
    super(message);
  }
}

interface Waiter {
  seq: number | undefined;
  type: number;
  resolve(f: Frame): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class Link {
  private readonly reader = new FrameReader();
  private readonly waiters: Waiter[] = [];
  private nextSeq = 1;
  private failure: LinkError | undefined;
  /** ERROR frames the firmware sent, for the record */
  readonly firmwareErrors: WireErrorReport[] = [];

  constructor(private readonly wire: Duplex) {
    wire.on('data', (chunk: Buffer) => {
      for (const x of this.reader.push(chunk)) {
        if (isFrame(x)) this.frame(x);
        else this.fail(new LinkError(`the firmware sent a malformed frame: ${x.message}`, x.problem));
      }
    });
    wire.on('close', () => this.fail(new LinkError('the wire closed', 'CLOSED')));
    wire.on('error', (e) => this.fail(new LinkError(`the wire failed: ${e.message}`, 'CLOSED')));
  }

  /** why the link ended, when it did */
  get failed(): LinkError | undefined {
    return this.failure;
  }

  private frame(f: Frame): void {
    if (f.type === TYPE.ERROR) {
      let report: WireErrorReport;
      try {
        report = parseError(f.payload);
      } catch (e) {
        this.fail(new LinkError(`the firmware sent an ERROR frame the host cannot read: ${(e as Error).message}`, 'BAD_PAYLOAD'));
        return;
      }
      this.firmwareErrors.push(report);
      const w = this.waiters.find((x) => x.seq === report.seq);
      if (w) this.settle(w, undefined, new LinkError(`the firmware refused frame ${report.seq}: ${report.name} (${report.text})`, 'REFUSED'));
      return;
    }
    const w = this.waiters.find((x) => x.type === f.type && (x.seq === undefined || x.seq === f.seq));
    if (w) this.settle(w, f);
  }

  private settle(w: Waiter, f?: Frame, e?: Error): void {
    this.waiters.splice(this.waiters.indexOf(w), 1);
    clearTimeout(w.timer);
    if (e) w.reject(e);
    else w.resolve(f!);
  }

  private fail(e: LinkError): void {
    if (this.failure) return;
    this.failure = e;
    for (const w of [...this.waiters]) this.settle(w, undefined, e);
  }

  /** a frame of `type` (with `seq`, when given) within timeoutMs */
  private expect(type: number, seq: number | undefined, timeoutMs: number, what: string): Promise<Frame> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        seq, type, resolve, reject,
        timer: setTimeout(() => this.settle(w, undefined, new LinkError(`${what} within ${timeoutMs} ms`, 'TIMEOUT')), timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  send(type: number, payload?: Uint8Array): number {
    const seq = this.nextSeq++;
    this.wire.write(encodeFrame(type, seq, payload));
    return seq;
  }

  /** bytes as they are: for tests of how the firmware takes what is not a frame */
  sendRaw(bytes: Uint8Array): void {
    this.wire.write(bytes);
  }

  /** waits for the firmware's HELLO, checks it, and answers HELLO_ACK */
  async hello(timeoutMs = HELLO_TIMEOUT_MS): Promise<Hello> {
    const f = await this.expect(TYPE.HELLO, undefined, timeoutMs, 'the firmware did not say hello');
    let hello: Hello;
    try {
      hello = parseHello(f.payload);
    } catch (e) {
      if (!(e instanceof PayloadError)) throw e;
      const err = new LinkError(`the firmware's HELLO is not one: ${e.message}`, 'BAD_PAYLOAD');
      this.fail(err);
      throw err;
    }
    this.send(TYPE.HELLO_ACK);
    return hello;
  }

  /** sends a frame and waits for the answer of `answer` type with the same seq */
  async request(type: number, payload: Uint8Array | undefined, answer: number, timeoutMs: number): Promise<Frame> {
    const seq = this.send(type, payload);
    return this.expect(answer, seq, timeoutMs, `no answer to ${messageName(type)} ${seq}`);
  }

  /** the run is over: the firmware ends the emulator */
  bye(): void {
    if (!this.failure) this.send(TYPE.BYE);
  }

  close(): void {
    this.wire.destroy();
  }
}
