// The host's end of the wire to the firmware: the handshake, requests
// matched to their answers by seq, and every frame the firmware sends that
// is not a frame (junk, a bad checksum, an unknown type) made an error that
// says so. Such an error ends the link: the host cannot trust what follows.
// Calls block (a syscall from WebAssembly must): the bytes come through a
// SyncWire, whose worker keeps reading while this thread waits.
import { FrameReader, encodeFrameInto, isFrame, messageName, type Frame, type FrameError } from '../../wire/frame.js';
import { PayloadError, TYPE, describeFail, parseError, parseHello, type Hello, type WireErrorReport } from '../../wire/messages.js';
import { SyncWireError, type Pipe } from './sync-wire.js';
import { frame as F } from '../../../abi/wire.js';

export const HELLO_TIMEOUT_MS = 10_000;

export class LinkError extends Error {
  /** the request a TIMEOUT gave up on */
  seq?: number;

  constructor(message: string, readonly problem: FrameError['problem'] | 'TIMEOUT' | 'CLOSED' | 'BAD_PAYLOAD' | 'REFUSED' | 'FAILED') {
    super(message);
  }
}

/** requests given up on, and their late answers, kept at most: past it the oldest are forgotten, and counted */
export const LATE_KEPT = 1024;

/** f at the end of a list held to LATE_KEPT; true when the oldest had to go for it */
function keep(list: Frame[], f: Frame): boolean {
  const full = list.length >= LATE_KEPT;
  if (full) list.shift();
  list.push(f);
  return full;
}

/** what a wait is for: words, or the request whose answer it is (put into words only when it fails) */
type Awaited = string | { type: number; seq: number };

export class Link {
  private readonly reader = new FrameReader();
  private readonly outgoing = new Uint8Array(F.HEADER_BYTES + F.MAX_PAYLOAD);
  /** frames read that nobody has asked for yet */
  private readonly queue: Frame[] = [];
  private nextSeq = 1;
  private failure: LinkError | undefined;
  /** ERROR frames the firmware sent, for the record */
  readonly firmwareErrors: WireErrorReport[] = [];
  /** frames sent, by message type: what a run cost on the wire */
  readonly sent = new Map<number, number>();
  /** requests whose answer did not come in time, by seq: a late answer to one is not a stray */
  private readonly abandoned = new Set<number>();
  /** answers that came after their request had timed out, oldest first, for the backend to settle */
  readonly late: Frame[] = [];
  /** requests given up on, or late answers, that were forgotten to keep within LATE_KEPT */
  lateDropped = 0;
  /** requests sent whose answer has not come yet */
  private readonly outstanding = new Set<number>();
  /** frames that answer no request the host is waiting for (never sent, or answered already), oldest first: the backend reports them */
  readonly unsolicited: Frame[] = [];
  /** unsolicited frames forgotten to keep within LATE_KEPT */
  unsolicitedDropped = 0;

  /** where CONSOLE frames go as they come: text the firmware prints (its dumps) */
  onConsole: (ppid: number, text: string) => void = () => {};

  constructor(private wire: Pipe) {}

  /** frames travel through `pipe` from now on (the mailbox, after SHM): nothing may be on its way */
  reroute(pipe: Pipe): void {
    this.wire = pipe;
  }

  /** what the frames travel through now */
  get pipe(): Pipe {
    return this.wire;
  }

  /** why the link ended, when it did */
  get failed(): LinkError | undefined {
    return this.failure;
  }

  private fail(e: LinkError): never {
    this.failure ??= e;
    throw this.failure;
  }

  /** reads what has come (waiting up to timeoutMs for something) into the queue */
  private pump(timeoutMs: number): void {
    let bytes: Uint8Array;
    try {
      bytes = this.wire.read(timeoutMs);
    } catch (e) {
      if (e instanceof SyncWireError) this.fail(new LinkError(e.message, 'CLOSED'));
      throw e;
    }
    this.take(bytes);
  }

  private async pumpAsync(timeoutMs: number): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = await this.wire.readAsync(timeoutMs);
    } catch (e) {
      if (e instanceof SyncWireError) this.fail(new LinkError(e.message, 'CLOSED'));
      throw e;
    }
    this.take(bytes);
  }

  /** the frames in bytes that came, into the queue */
  private take(bytes: Uint8Array): void {
    for (const x of this.reader.push(bytes)) {
      if (!isFrame(x)) this.fail(new LinkError(`the firmware sent a malformed frame: ${x.message}`, x.problem));
      if (x.type === TYPE.CONSOLE) {
        this.console(x.payload);
        continue;
      }
      if (x.type === TYPE.FAIL) {
        // what came before it still counts (a HELLO, an answer); nothing after it will come
        this.failure ??= new LinkError(`the firmware failed: ${describeFail(x.payload)}`, 'FAILED');
        continue;
      }
      if (x.type !== TYPE.ERROR && this.abandoned.delete(x.seq)) {
        this.keepLate(x);
        continue;
      }
      // an answer to nothing the host asked: not taken for anything, only reported
      if (x.type !== TYPE.ERROR && x.type !== TYPE.HELLO && !this.outstanding.has(x.seq)) {
        this.keepUnsolicited(x);
        continue;
      }
      if (x.type !== TYPE.ERROR) {
        this.queue.push(x);
        continue;
      }
      try {
        if (this.firmwareErrors.length >= LATE_KEPT) this.firmwareErrors.shift();
        const refused = parseError(x.payload);
        this.firmwareErrors.push(refused);
        // a refusal of a request given up on is its late answer: nothing is owed for it any more
        if (this.abandoned.delete(refused.seq)) this.keepLate({ ...x, seq: refused.seq });
      } catch (e) {
        this.fail(new LinkError(`the firmware sent an ERROR frame the host cannot read: ${(e as Error).message}`, 'BAD_PAYLOAD'));
      }
    }
  }

  private console(p: Uint8Array): void {
    if (p.length < 4) this.fail(new LinkError(`the firmware sent a CONSOLE frame of ${p.length} bytes; it has at least 4`, 'BAD_PAYLOAD'));
    this.onConsole(p[2] | (p[3] << 8), new TextDecoder().decode(p.subarray(4)));
  }

  /** the first frame of one of `types` (and `seq`, when given) within timeoutMs; an ERROR naming seq refuses it */
  private expect(types: number | readonly number[], seq: number | undefined, timeoutMs: number, what: Awaited): Frame {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const f = this.found(types, seq, deadline, timeoutMs, what);
      if (f) return f;
      this.pump(deadline - performance.now());
    }
  }

  private async expectAsync(types: number | readonly number[], seq: number, timeoutMs: number, what: Awaited): Promise<Frame> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const f = this.found(types, seq, deadline, timeoutMs, what);
      if (f) return f;
      await this.pumpAsync(deadline - performance.now());
    }
  }

  /** the frame awaited when it has come; throws when it never will */
  private found(types: number | readonly number[], seq: number | undefined, deadline: number, timeoutMs: number, awaited: Awaited): Frame | undefined {
    // the common case first, without a closure or an array: the answer is the one frame queued
    const q = this.queue;
    if (q.length === 1 && (seq === undefined || q[0].seq === seq) && (typeof types === 'number' ? q[0].type === types : types.includes(q[0].type))) return q.pop();
    const wanted = typeof types === 'number' ? [types] : types;
    const i = q.findIndex((f) => wanted.includes(f.type) && (seq === undefined || f.seq === seq));
    if (i >= 0) return q.splice(i, 1)[0];
    const what = typeof awaited === 'string' ? awaited : `no answer to ${messageName(awaited.type)} ${awaited.seq}`;
    const wrong = seq === undefined ? -1 : this.queue.findIndex((f) => f.seq === seq);
    if (wrong >= 0) {
      // its answer, of a type that answers something else: the request fails; the link stays up
      const f = this.queue.splice(wrong, 1)[0];
      throw new LinkError(`${what.replace(/^no answer to/, 'the answer to')} was a ${messageName(f.type)}, which does not answer it`, 'BAD_PAYLOAD');
    }
    if (this.failure) throw this.failure;
    const refused = seq === undefined ? undefined : this.firmwareErrors.find((e) => e.seq === seq);
    if (refused) throw new LinkError(`the firmware refused frame ${seq}: ${refused.name} (${refused.text})`, 'REFUSED');
    if (deadline - performance.now() > 0) return undefined;
    // junk and then silence: the firmware is not speaking the protocol
    const stray = this.reader.strayBytes();
    if (stray) this.fail(new LinkError(`${what} within ${timeoutMs} ms, and the firmware sent a malformed frame: ${stray.message}`, stray.problem));
    throw new LinkError(`${what} within ${timeoutMs} ms`, 'TIMEOUT');
  }

  send(type: number, payload?: Uint8Array): number {
    if (this.failure) throw this.failure;
    const seq = this.nextSeq++;
    // one buffer for every frame sent: a pipe copies what it is given before write returns
    this.wire.write(encodeFrameInto(this.outgoing, type, seq, payload));
    this.sent.set(type, (this.sent.get(type) ?? 0) + 1);
    return seq;
  }

  /** bytes as they are: for tests of how the firmware takes what is not a frame */
  sendRaw(bytes: Uint8Array): void {
    this.wire.write(bytes);
  }

  /** waits for the firmware's HELLO, checks it, and answers HELLO_ACK */
  hello(timeoutMs = HELLO_TIMEOUT_MS): Hello {
    const f = this.expect(TYPE.HELLO, undefined, timeoutMs, 'the firmware did not say hello');
    let hello: Hello;
    try {
      hello = parseHello(f.payload);
    } catch (e) {
      if (!(e instanceof PayloadError)) throw e;
      this.fail(new LinkError(`the firmware's HELLO is not one: ${e.message}`, 'BAD_PAYLOAD'));
    }
    // a firmware that failed right after its hello has said hello all the same; what comes next will fail
    if (!this.failure) this.send(TYPE.HELLO_ACK);
    return hello;
  }

  /**
   * Sends a frame and waits for its answer: a frame of the `answer` type (or
   * one of them) with the same seq. When none comes in time the request is
   * given up on (a LinkError TIMEOUT naming its seq); an answer that comes
   * after goes to `late`, not to whoever waits next.
   */
  request(type: number, payload: Uint8Array | undefined, answer: number | readonly number[], timeoutMs: number): Frame {
    const seq = this.send(type, payload);
    this.outstanding.add(seq);
    try {
      return this.expect(answer, seq, timeoutMs, { type, seq });
    } catch (e) {
      throw this.givenUp(e, seq);
    } finally {
      this.answered(seq);
    }
  }

  /** the request is over: another frame of its seq that comes is unsolicited (a duplicate) */
  private answered(seq: number): void {
    this.outstanding.delete(seq);
    if (!this.queue.length) return;
    for (let i = this.queue.findIndex((f) => f.seq === seq); i >= 0; i = this.queue.findIndex((f) => f.seq === seq)) {
      this.keepUnsolicited(this.queue.splice(i, 1)[0]);
    }
  }

  private keepLate(f: Frame): void {
    if (keep(this.late, f)) this.lateDropped++;
  }

  private keepUnsolicited(f: Frame): void {
    if (keep(this.unsolicited, f)) this.unsolicitedDropped++;
  }

  /** request() without blocking the thread while the answer is awaited */
  async requestAsync(type: number, payload: Uint8Array | undefined, answer: number | readonly number[], timeoutMs: number): Promise<Frame> {
    const seq = this.send(type, payload);
    this.outstanding.add(seq);
    try {
      return await this.expectAsync(answer, seq, timeoutMs, { type, seq });
    } catch (e) {
      throw this.givenUp(e, seq);
    } finally {
      this.answered(seq);
    }
  }

  /** the host gives up on the other side altogether (it stopped answering): the link is failed from now on */
  giveUp(why: string): void {
    this.failure ??= new LinkError(why, 'TIMEOUT');
  }

  /** requests given up on whose answer has not come */
  get awaitingLate(): number {
    return this.abandoned.size;
  }

  /** reads what comes for up to timeoutMs, or until every request given up on is answered: late answers go to `late` */
  collectLate(timeoutMs: number): void {
    const deadline = performance.now() + timeoutMs;
    while (this.abandoned.size > 0 && !this.failure) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      this.pump(left);
    }
  }

  private givenUp(e: unknown, seq: number): unknown {
    if (!(e instanceof LinkError) || e.problem !== 'TIMEOUT') return e;
    if (this.abandoned.size >= LATE_KEPT) {
      this.abandoned.delete(this.abandoned.values().next().value!);
      this.lateDropped++;
    }
    this.abandoned.add(seq);
    e.seq = seq;
    return e;
  }

  /** the run is over: the firmware ends the emulator */
  bye(): void {
    if (!this.failure) this.send(TYPE.BYE);
  }

  close(): void {
    this.wire.close();
  }
}
