// bfx serve and bfx conformance --target connect:, as an implementer uses
// them: an implementation started by someone else (here bfx serve, our
// firmware fresh from boot for every connection, under QEMU on a unix
// socket and under Bochs on TCP), and the whole catalogue run against it
// over the wire; then the command lines that are wrong, and a client that
// leaves without a word.
import { createConnection } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { connected, type Backend } from '../../host/conformance/backends.js';
import { catalogue } from '../../host/conformance/catalogue/index.js';
import { notApplicable } from '../../host/conformance/runner.js';
import type { ServeEvent } from '../../qemu/serve.js';
import { BIN, bfx } from './bfx.js';

const tmp = mkdtempSync(join(tmpdir(), 'bfx-cli-serve-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Served {
  address: string;
  events: ServeEvent[];
  process: ResultPromise;
  /** SIGTERM, and how it ended */
  stop(): Promise<{ exitCode: number | undefined; stderr: string }>;
}

/** bfx serve --json with these arguments, once it says it listens */
async function served(args: string[]): Promise<Served> {
  const p = execa('node', [BIN, 'serve', '--json', ...args], { reject: false, timeout: 600_000, buffer: { stdout: false } });
  const events: ServeEvent[] = [];
  let pending = '';
  const address = await new Promise<string>((ok, fail) => {
    p.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) {
        const e = JSON.parse(l) as ServeEvent;
        events.push(e);
        if (e.event === 'listening') ok(e.address);
      }
    });
    void p.then((r) => fail(new Error(`bfx serve ended before it listened: ${r.exitCode} ${r.stderr}`)));
  });
  return {
    address, events, process: p,
    async stop() {
      p.kill('SIGTERM');
      const r = await p;
      return { exitCode: r.exitCode, stderr: String(r.stderr) };
    },
  };
}

const ended = (events: ServeEvent[]) => events.flatMap((e) => (e.event === 'session' && e.state === 'ended' ? [e] : []));

interface Run { ok: boolean; target: string; arch: string[]; totals: Record<string, number>; cases: { id: string; result: string; why?: string; message?: string }[] }

async function conformance(args: string[]): Promise<{ exitCode: number; run: Run; stderr: string }> {
  const r = await execa('node', [BIN, 'conformance', '--json', ...args], { reject: false, timeout: 600_000 });
  return { exitCode: r.exitCode ?? -1, run: JSON.parse(r.stdout) as Run, stderr: r.stderr };
}

/** what the run should have found: every case that applies to the backend passed, and only those ran */
function checkRun(run: Run, backend: Backend, chosen = catalogue) {
  const applies = chosen.filter((c) => notApplicable(backend, c) === undefined).map((c) => c.id);
  const failed = run.cases.filter((c) => c.result === 'fail').map((c) => `${c.id}: ${c.message}`);
  expect(failed).toEqual([]);
  expect(run.cases.filter((c) => c.result === 'pass').map((c) => c.id)).toEqual(applies);
  expect(run.cases.map((c) => c.id)).toEqual(chosen.map((c) => c.id));
  return applies;
}

describe.concurrent('an implementation someone else started', () => {
  it('bfx serve --target qemu on a unix socket: the whole catalogue passes over connect:, every session fresh from boot and ended by BYE', async ({ expect }) => {
    const sock = join(tmp, 'qemu.sock');
    const s = await served(['--listen', sock]);
    expect(s.address).toBe(sock);
    try {
      const backend = await connected(sock);
      expect(backend.arch).toEqual(['amd']);
      const { exitCode, run } = await conformance(['--target', `connect:${sock}`]);
      expect(exitCode).toBe(0);
      expect(run.ok).toBe(true);
      expect(run.target).toBe(`connect:${sock}`);
      expect(run.arch).toEqual(['amd']);
      const applies = checkRun(run, backend);
      // the register-level cases speak the wire straight: all of them apply behind connect:
      expect(applies.filter((id) => id.startsWith('raw.'))).toHaveLength(catalogue.filter((c) => c.id.startsWith('raw.')).length);
      expect(applies.length).toBeGreaterThan(400);
      // what cannot apply says why: chosen at boot, or the other architecture
      const why = run.cases.filter((c) => c.result === 'not-applicable').map((c) => c.why!);
      expect(why.some((w) => /needs guest \(the root guest is chosen when a microkernel boots/.test(w))).toBe(true);
      expect(why.some((w) => /needs intel \(.* said hello as AMD/.test(w))).toBe(true);
    } finally {
      const r = await s.stop();
      expect(r.exitCode).toBe(0);
    }
    // a session per connection: the two probes (the test's and the command's), and one or more per case
    const sessions = ended(s.events);
    expect(sessions.length).toBeGreaterThan(400);
    expect(sessions.filter((e) => e.verdict !== 'pass')).toEqual([]);
    expect(existsSync(sock)).toBe(false);
  }, 600_000);

  it('bfx serve --target bochs on TCP, port 0: the register-level and VM cases pass over connect: on Intel VMX', async ({ expect }) => {
    const s = await served(['--target', 'bochs', '--listen', '127.0.0.1:0']);
    try {
      expect(s.address).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
      const backend = await connected(s.address);
      expect(backend.arch).toEqual(['intel']);
      const filter = '/^(raw|vm)\\./';
      const chosen = catalogue.filter((c) => /^(raw|vm)\./.test(c.id));
      const { exitCode, run } = await conformance(['--target', `connect:${s.address}`, '--filter', filter]);
      expect(exitCode).toBe(0);
      expect(run.arch).toEqual(['intel']);
      expect(checkRun(run, backend, chosen).length).toBeGreaterThan(20);
    } finally {
      expect((await s.stop()).exitCode).toBe(0);
    }
    expect(ended(s.events).filter((e) => e.verdict !== 'pass')).toEqual([]);
  }, 300_000);

  it('a client that leaves without BYE: its emulator is stopped; --sessions 1 then ends bfx serve by itself', async ({ expect }) => {
    const sock = join(tmp, 'leave.sock');
    const s = await served(['--listen', sock, '--sessions', '1']);
    const hello = await new Promise<Buffer>((ok, fail) => {
      const c = createConnection(sock);
      c.once('data', (d) => {
        c.destroy();
        ok(d);
      });
      c.once('error', fail);
    });
    // the firmware, fresh from boot, speaks first: a frame's magic
    expect(hello.subarray(0, 4).toString('latin1')).toBe('BFXw');
    const r = await s.process;
    expect(r.exitCode).toBe(0);
    const sessions = ended(s.events);
    expect(sessions).toHaveLength(1);
    expect(sessions[0].verdict).toBe('stopped');
  });
});

describe.concurrent('what is wrong is said', () => {
  it('connect: with nothing listening there: exit 3, naming the address and how to serve one', async ({ expect }) => {
    const sock = join(tmp, 'nobody.sock');
    const r = await bfx(['conformance', '--target', `connect:${sock}`]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(`--target connect:${sock}: cannot connect to ${sock}`);
    expect(r.stderr).toContain(`bfx serve --listen ${sock}`);
  });

  it('connect: without an address, or with a port too big: exit 2', async ({ expect }) => {
    const r = await bfx(['conformance', '--target', 'connect:']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--target connect: needs where the implementation listens');
    const big = await bfx(['conformance', '--target', 'connect:localhost:70000']);
    expect(big.exitCode).toBe(2);
    expect(big.stderr).toContain('a port is at most 65535');
  });

  it('bfx serve without --listen, with a target it cannot serve, or on a file that is no socket', async ({ expect }) => {
    const none = await bfx(['serve']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('say where to listen: --listen');
    const sim = await bfx(['serve', '--target', 'sim', '--listen', join(tmp, 'x.sock')]);
    expect(sim.exitCode).toBe(2);
    expect(sim.stderr).toContain('--target takes qemu or bochs, not "sim"');
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'keep me');
    const taken = await bfx(['serve', '--listen', file]);
    expect(taken.exitCode).toBe(3);
    expect(taken.stderr).toContain('a file that is not a socket is there');
  });

  it('bfx serve --help says how to use it and what connects to it', async ({ expect }) => {
    const r = await bfx(['serve', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: bfx serve --listen <path or host:port>');
    expect(r.stdout).toContain('bfx conformance --target connect:<address>');
  });
});
