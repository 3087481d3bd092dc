// The firmware under Bochs, for real: Intel VMX (corei7_skylake_x) and AMD
// SVM (ryzen) booted from a cached GRUB ISO, verdicts from the bfx-exit line
// the image writes to port 0xE9, time limits that leave no Bochs behind,
// kept logs, and the wire to the firmware over TCP.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootBochs, FIRMWARE_IMAGE } from '../../host/backend/remote/boot.js';
import { load } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { Host } from '../../host/run/host.js';
import { TYPE } from '../../host/wire/messages.js';
import {
  BOCHS_CPUS, bochsCpu, bochsrc, bochsVerdictOf, boot, DEFAULT_BOCHS_CPU, grubConfig, GRUB_FAILED, isoFor, nodelayLibrary, start,
} from '../../qemu/bochs.js';

const IMAGE = FIRMWARE_IMAGE;
const tmp = mkdtempSync(join(tmpdir(), 'bfx-bochs-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** a Bochs the tests started is still there: found by the name in its run folder, which is on its command line */
function bochsRunning(name: string): boolean {
  const r = spawnSync('pgrep', ['-f', '--', `bochs-bin .*bfx-bochs-${name}-`]);
  if (r.status !== 0 && r.status !== 1) throw new Error(`pgrep failed (status ${r.status}): ${r.stderr}`);
  return r.status === 0;
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the Bochs harness, before Bochs runs', () => {
  it('lists the CPU models with their vendor; the default is Intel VMX; an unknown model names those there are', () => {
    expect(DEFAULT_BOCHS_CPU).toBe('corei7_skylake_x');
    expect(bochsCpu()).toMatchObject({ model: 'corei7_skylake_x', vendor: 'intel' });
    expect(bochsCpu('ryzen')).toMatchObject({ vendor: 'amd' });
    expect(BOCHS_CPUS.filter((c) => c.vendor === 'amd').map((c) => c.model)).toEqual(['ryzen', 'zambezi']);
    expect(() => bochsCpu('pentium')).toThrow(/^unknown Bochs CPU model "pentium": the models are corei7_skylake_x \(intel\), .*ryzen \(amd\)/);
  });

  it('grub.cfg: the image\'s path twice (GRUB drops the first, QEMU puts one there), each word quoted; a failed boot said on 0xE9, then Bochs shut down', () => {
    const cfg = grubConfig("wire guest=cpuid it's");
    expect(cfg.split('\n').slice(0, 3)).toEqual(['set timeout=0', "multiboot /boot/bfx.elf /boot/bfx.elf 'wire' 'guest=cpuid' 'it'\\''s'", 'boot']);
    expect(cfg).toContain(`outb 0xe9 0x${'b'.charCodeAt(0).toString(16)}`);
    expect(cfg.trimEnd().split('\n').slice(-8).join(' ')).toBe([...'Shutdown'].map((c) => `outb 0x8900 0x${c.charCodeAt(0).toString(16)}`).join(' '));
    expect(grubConfig().split('\n')[1]).toBe('multiboot /boot/bfx.elf /boot/bfx.elf');
  });

  it('bochsrc: nothing that waits for a person; COM2 a socket client only with the wire', () => {
    const files = { iso: '/r/boot.iso', console: '/r/com1.log', log: '/r/bochs.log' };
    const rc = bochsrc(bochsCpu('ryzen'), files);
    expect(rc).toContain('cpu: model=ryzen, count=1, ips=10000000, reset_on_triple_fault=0, ignore_bad_msrs=0\n');
    expect(rc).toContain('display_library: rfb, options="timeout=0"\n');
    expect(rc).toContain('ata0-master: type=cdrom, path=/r/boot.iso, status=inserted\nboot: cdrom\n');
    expect(rc).toContain('com1: enabled=1, mode=file, dev=/r/com1.log\n');
    expect(rc).toContain('port_e9_hack: enabled=1\n');
    expect(rc).toContain('panic: action=fatal\n');
    expect(rc).not.toContain('com2');
    expect(bochsrc(bochsCpu(), { ...files, wirePort: 4321 })).toContain('com2: enabled=1, mode=socket-client, dev=127.0.0.1:4321\n');
  });

  const exiting = (m: string) => `====\nBochs is exiting with the following message:\n${m}\n====\n`;
  it.each([
    [{ stdout: 'Next at t=0\nbfx-exit 000\n', stderr: exiting('[UNMAP ] Shutdown port: shutdown requested') }, { verdict: 'pass', code: 0 }],
    [{ stdout: 'bfx-exit 001\n', stderr: exiting('[UNMAP ] Shutdown port: shutdown requested') }, { verdict: 'fail', code: 1 }],
    [{ stdout: '', stderr: exiting('[CPU0  ] exception(): 3rd (13) exception with no resolution') }, { verdict: 'crash', message: '[CPU0  ] exception(): 3rd (13) exception with no resolution' }],
    [{ stdout: '', stderr: exiting('[UNMAP ] Shutdown port: shutdown requested') }, { verdict: 'crash', message: '[UNMAP ] Shutdown port: shutdown requested' }],
    [{ stdout: '', stderr: exiting('[BIOS  ] No bootable device.') }, { verdict: 'error', message: '[BIOS  ] No bootable device.' }],
    [{ stdout: '', stderr: exiting('[      ] bochsrc:1: cpu directive malformed.') }, { verdict: 'error', message: '[      ] bochsrc:1: cpu directive malformed.' }],
    [{ stdout: `${GRUB_FAILED}\n`, stderr: exiting('[UNMAP ] Shutdown port: shutdown requested') }, { verdict: 'error', message: 'GRUB could not boot the image (is it a multiboot image?)' }],
  ])('%j is %j', (r, want) => {
    expect(bochsVerdictOf({ ...r, exitStatus: 1, timedOut: false })).toEqual(want);
  });

  it('a time limit is a timeout whatever else was said', () => {
    expect(bochsVerdictOf({ stdout: '', stderr: '', exitStatus: undefined, timedOut: true })).toEqual({ verdict: 'timeout' });
  });

  it('the ISO is made once per image and command line, then comes from the cache', async () => {
    const cache = join(tmp, 'iso');
    const first = await isoFor(IMAGE, 'hello', cache);
    const again = await isoFor(IMAGE, 'hello', cache);
    const other = await isoFor(IMAGE, 'fail', cache);
    expect(first.built).toBe(true);
    expect(again).toMatchObject({ built: false, path: first.path });
    expect(other.built).toBe(true);
    expect(other.path).not.toBe(first.path);
    expect(again.ms).toBeLessThan(first.ms);
    console.log(`grub-mkrescue: ${first.ms} ms; from the cache: ${again.ms} ms`);
  });

  it('the TCP_NODELAY preload for the wire builds', async () => {
    const lib = await nodelayLibrary();
    expect(lib.problem).toBeUndefined();
    expect(existsSync(lib.path!)).toBe(true);
  });
});

describe('the firmware under Bochs', () => {
  it('is built', () => {
    expect(existsSync(IMAGE), 'npm run build makes firmware/build/bfx.elf').toBe(true);
  });

  it.each(['corei7_skylake_x', 'ryzen'])('hello on %s: the console, then a pass', async (cpu) => {
    const seen: string[] = [];
    const r = await boot({ image: IMAGE, append: 'hello', cpu, timeoutMs: 30_000, onSerial: (l) => seen.push(l) });
    expect(r.verdict).toBe('pass');
    expect(r.code).toBe(0);
    expect(r.serial).toEqual(['bfx firmware: in long mode; command line "hello"', 'bfx firmware: hello']);
    expect(seen).toEqual(r.serial);
    expect(r.accel).toMatchObject({ kind: 'bochs', cpu });
    expect(r.log).toBeUndefined();
    console.log(`Bochs ${cpu}: start to hello and exit in ${r.durationMs} ms`);
  });

  it('selftest on corei7_skylake_x: VMX is offered', async () => {
    const r = await boot({ image: IMAGE, append: 'selftest', timeoutMs: 30_000 });
    expect(r.verdict).toBe('pass');
    expect(r.serial).toContain('PASS: VMX is offered (CPUID 1 ECX bit 5)');
    expect(r.serial.filter((l) => l.startsWith('FAIL:'))).toEqual([]);
    expect(r.serial.some((l) => /^SUMMARY: \d+ tests, 0 failures$/.test(l))).toBe(true);
  });

  it('archtest on corei7_skylake_x: the VMX half end to end (VMXON, a VMCS by encoding, CPUID exits, a halt)', async () => {
    const r = await boot({ image: IMAGE, append: 'archtest', timeoutMs: 30_000 });
    expect(r.serial.filter((l) => l.startsWith('FAIL:') || l.startsWith('  '))).toEqual([]);
    expect(r.serial).toContain('PASS: VMXON, the EPT and the host state are up');
    expect(r.serial).toContain('PASS: cpuid-loop:3 makes three CPUID exits (reason 10)');
    // the guest's own line, written whole by the firmware at the UART's pace
    expect(r.serial).toContain('cpuid-loop done: signature=BfxHyperWasm');
    expect(r.verdict).toBe('pass');
  });

  it('a failing image: verdict fail with its code, and the log kept with the console, the bochsrc and Bochs\' own log', async () => {
    const r = await boot({ image: IMAGE, append: 'fail', timeoutMs: 30_000, logDir: join(tmp, 'logs') });
    expect(r).toMatchObject({ verdict: 'fail', code: 1 });
    expect(r.serial).toContain('bfx firmware: failing on purpose');
    const log = readFileSync(r.log!, 'utf8');
    expect(log).toContain('# verdict fail, code 1');
    expect(log).toContain('bfx firmware: failing on purpose');
    expect(log).toContain('cpu: model=corei7_skylake_x');
    expect(log).toContain('bfx-exit 001');
    expect(log).toMatch(/# the Bochs log \(its end\):\n\d{11}i\[/);
  });

  it('a triple fault: verdict crash, with what Bochs said', async () => {
    const r = await boot({ image: IMAGE, append: 'crash', timeoutMs: 30_000, logDir: join(tmp, 'logs') });
    expect(r.verdict).toBe('crash');
    expect(r.message).toMatch(/^\[CPU0\s*\] exception\(\): 3rd \(\d+\) exception with no resolution$/);
    // the firmware faults without draining COM1: the line's last bytes may not be out yet
    expect(r.serial.some((l) => l.startsWith('bfx firmware: crashing on purpo'))).toBe(true);
    expect(r.log && existsSync(r.log)).toBe(true);
  });

  it('a hang: stopped at the time limit, and no Bochs is left', async () => {
    const name = `hang-${process.pid}-${Date.now()}`;
    const s = await start({ image: IMAGE, append: 'hang', timeoutMs: 4000, name });
    await new Promise((ok) => setTimeout(ok, 300));
    expect(bochsRunning(name), 'the Bochs is found while it runs').toBe(true);
    const r = await s.result;
    expect(r.verdict).toBe('timeout');
    expect(r.serial).toContain('bfx firmware: hanging on purpose');
    expect(r.durationMs).toBeGreaterThanOrEqual(4000);
    expect(bochsRunning(name), 'pgrep finds no Bochs with our name').toBe(false);
    expect(alive(s.pid)).toBe(false);
  });

  it('stop(): verdict stopped, and no Bochs is left', async () => {
    const name = `stop-${process.pid}-${Date.now()}`;
    const s = await start({ image: IMAGE, append: 'hang', timeoutMs: 30_000, name });
    s.stop();
    expect((await s.result).verdict).toBe('stopped');
    expect(bochsRunning(name)).toBe(false);
  });

  it('a file that is not a multiboot image: verdict error, GRUB\'s failure said', async () => {
    const junk = join(tmp, 'junk.elf');
    writeFileSync(junk, 'not an image');
    const r = await boot({ image: junk, timeoutMs: 30_000, isoCache: join(tmp, 'iso') });
    expect(r.verdict).toBe('error');
    expect(r.message).toBe('GRUB could not boot the image (is it a multiboot image?)');
  });
});

describe('the wire under Bochs', () => {
  const cpuid = () => load(join(ROOT, 'extensions', 'cpuid'));

  it('ryzen (AMD SVM): HELLO over TCP says amd, and the cpuid example\'s syscalls and exits make their round trips', async () => {
    const n = 100;
    const target = await bootBochs({ cpu: 'ryzen', guest: `cpuid-loop:${n}`, name: `wire-${process.pid}` });
    try {
      expect(target.remote.hello.arch).toBe('amd');
      expect(target.session.wire?.port).toBeGreaterThan(0);
      const host = new Host(target.remote);
      host.add(await cpuid());
      const t0 = performance.now();
      host.run();
      const ms = performance.now() - t0;
      expect(host.pps[0].state).toBe('halted');
      expect(host.pps[0].exits).toBe(n);
      const trips = (target.remote.link.sent.get(TYPE.SYSCALL) ?? 0) + (target.remote.link.sent.get(TYPE.RUN) ?? 0);
      expect(trips).toBeGreaterThan(n);
      console.log(`Bochs ryzen wire: ${trips} round trips in ${Math.round(ms)} ms, ${Math.round(trips / (ms / 1000))}/s`);
    } finally {
      expect((await target.shutdown()).verdict).toBe('pass');
    }
  });

  it('corei7_skylake_x (Intel VMX): HELLO says intel, and the cpuid example runs its guest', async () => {
    const target = await bootBochs({ guest: 'cpuid' });
    try {
      expect(target.remote.hello.arch).toBe('intel');
      const lines: string[] = [];
      const host = new Host(target.remote, { onOutput: (l) => l.source === 'guest' && lines.push(l.text) });
      host.add(await cpuid());
      host.run();
      expect(host.pps[0].state).toBe('halted');
      expect(lines).toContain('cpuid(0x40000000) signature=BfxHyperWasm max-leaf=0x40000000');
    } finally {
      expect((await target.shutdown()).verdict).toBe('pass');
    }
  });

  it('an image that is not there: bootBochs throws, naming it', async () => {
    await expect(bootBochs({ image: join(tmp, 'no-such.elf') })).rejects.toThrow(/no-such\.elf/);
  });
});
