// The fault-injection proxy: a process of its own between QEMU's COM2 and
// the host's wire socket, which passes frames on — or drops, delays,
// duplicates, reorders, truncates, corrupts or rewrites the ones its rules
// name. A process of its own because the host's thread blocks while it waits
// for an answer: the proxy's event loop must not be the host's.
//
// Run by qemu/faults.ts (fork, with an IPC channel): it is told where to
// listen (QEMU connects there) and where to connect (the host's socket),
// then takes rules at any time and says what it injected when asked.
import { createConnection, createServer, type Socket } from 'node:net';
import { frame as F, messages } from '../abi/wire.js';
import { crc32 } from '../host/wire/crc32.js';
import type { FaultRule, ProxyMessage, ProxyReport } from './faults.js';

const SYSCALL = messages.find((m) => m.name === 'SYSCALL')!.type;
const MAGIC = [F.MAGIC & 0xff, (F.MAGIC >>> 8) & 0xff, (F.MAGIC >>> 16) & 0xff, F.MAGIC >>> 24];

/** one direction of the stream, cut into frames (and the bytes between them, passed on as they are) */
class Direction {
  private buf = Buffer.alloc(0);
  /** a frame held back by reorder, sent after the next one */
  private held: Buffer | undefined;
  frames = 0;

  constructor(readonly name: 'up' | 'down', private readonly out: () => Socket | undefined, private readonly proxy: Proxy) {}

  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      const at = this.buf.indexOf(Buffer.from(MAGIC));
      if (at < 0) {
        // keep what could be the start of a magic; the rest is no frame: passed on
        const keep = Math.min(3, this.buf.length);
        this.write(this.buf.subarray(0, this.buf.length - keep));
        this.buf = this.buf.subarray(this.buf.length - keep);
        return;
      }
      if (at > 0) {
        this.write(this.buf.subarray(0, at));
        this.buf = this.buf.subarray(at);
      }
      if (this.buf.length < F.HEADER_BYTES) return;
      const length = this.buf.readUInt32LE(12);
      // a length past the limit is the firmware's or the host's to refuse: passed on as it is
      const total = F.HEADER_BYTES + Math.min(length, F.MAX_PAYLOAD);
      if (length > F.MAX_PAYLOAD || this.buf.length >= total) {
        const whole = Buffer.from(this.buf.subarray(0, total));
        this.buf = this.buf.subarray(total);
        this.frame(whole);
        continue;
      }
      return;
    }
  }

  private write(bytes: Buffer): void {
    if (bytes.length) this.out()?.write(bytes);
  }

  private frame(f: Buffer): void {
    this.frames++;
    const seq = f.length >= F.HEADER_BYTES ? f.readUInt32LE(8) : -1;
    // a SYSCALL's RAX, kept by seq, names the syscall its answer answers
    if (this.name === 'down' && f[5] === SYSCALL && f.length >= F.HEADER_BYTES + 8) this.proxy.raxOf.set(seq, f.readBigUInt64LE(F.HEADER_BYTES).toString(16));
    const rule = this.proxy.match(this.name, f[5], this.proxy.raxOf.get(seq));
    if (this.name === 'up') this.proxy.raxOf.delete(seq);
    const send = (b: Buffer) => {
      this.write(b);
      if (this.held) {
        const h = this.held;
        this.held = undefined;
        this.write(h);
      }
    };
    if (!rule) return send(f);
    this.proxy.injected(rule.action);
    switch (rule.action) {
      case 'drop': return;
      case 'delay': {
        setTimeout(() => this.write(f), rule.ms ?? 100);
        return;
      }
      case 'duplicate': send(f); this.write(f); return;
      case 'reorder': {
        // one held already goes first: held frames keep their order among themselves
        if (this.held) this.write(this.held);
        this.held = f;
        return;
      }
      case 'truncate': send(f.subarray(0, Math.max(0, Math.min(f.length - 1, rule.keep ?? F.HEADER_BYTES)))); return;
      case 'corrupt': {
        const g = Buffer.from(f);
        const at = Math.min(g.length - 1, F.HEADER_BYTES + (rule.at ?? 0));
        g[at] ^= 0xff;
        return send(g);
      }
      case 'rewrite': {
        const g = Buffer.from(f);
        (rule.bytes ?? []).forEach((b, i) => {
          const at = F.HEADER_BYTES + (rule.at ?? 0) + i;
          if (at < g.length) g[at] = b;
        });
        // the CRC made right again: a well-formed frame that says something else
        g.writeUInt32LE(crc32(g.subarray(F.HEADER_BYTES), crc32(g.subarray(0, F.CRC_COVERS))), 16);
        return send(g);
      }
    }
  }
}

class Proxy {
  private rules: (FaultRule & { seen: number; done: number })[] = [];
  private readonly counts: Record<string, number> = {};
  private firmware: Socket | undefined;
  private host: Socket | undefined;
  readonly up = new Direction('up', () => this.host, this);
  readonly down = new Direction('down', () => this.firmware, this);

  setRules(rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r, seen: 0, done: 0 }));
  }

  /** the RAX of each SYSCALL sent, by seq */
  readonly raxOf = new Map<number, string>();

  /** the rule that acts on this frame, counting it */
  match(dir: 'up' | 'down', type: number, rax: string | undefined): FaultRule | undefined {
    for (const r of this.rules) {
      if (r.dir !== dir || (r.type !== undefined && r.type !== type)) continue;
      if (r.rax !== undefined && r.rax.toLowerCase() !== rax) continue;
      r.seen++;
      if (r.seen <= (r.after ?? 0) || r.done >= (r.times ?? 1)) continue;
      r.done++;
      return r;
    }
    return undefined;
  }

  injected(action: string): void {
    this.counts[action] = (this.counts[action] ?? 0) + 1;
    // said at once: the proxy may be gone (with its QEMU) by the time anyone asks
    send(this.report());
  }

  report(): ProxyReport {
    return { kind: 'report', injected: { ...this.counts }, frames: { up: this.up.frames, down: this.down.frames } };
  }

  start(listen: string, connect: string): void {
    const server = createServer((fw) => {
      server.close(); // QEMU connects once
      this.firmware = fw;
      const host = createConnection(connect);
      this.host = host;
      fw.on('data', (d: Buffer) => this.up.push(d));
      host.on('data', (d: Buffer) => this.down.push(d));
      // either end gone: the other goes too, as a cable would
      fw.on('close', () => host.destroy());
      host.on('close', () => fw.destroy());
      fw.on('error', () => host.destroy());
      host.on('error', () => fw.destroy());
    });
    server.on('error', (e) => send({ kind: 'error', message: `cannot listen on ${listen}: ${e.message}` }));
    server.listen(listen, () => send({ kind: 'listening' }));
  }
}

function send(m: ProxyReport | { kind: 'listening' } | { kind: 'error'; message: string }): void {
  process.send?.(m);
}

const proxy = new Proxy();
process.on('message', (m: ProxyMessage) => {
  if (m.kind === 'start') proxy.start(m.listen, m.connect);
  else if (m.kind === 'rules') proxy.setRules(m.rules);
});
// the parent gone: nothing left to serve
process.on('disconnect', () => process.exit(0));
