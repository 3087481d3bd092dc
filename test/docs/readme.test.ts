// The README's walk-through is code a newcomer copies: it must compile
// against the SDK and load as an extension, and its commands must exist.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sim } from '../../host/backend/sim/sim.js';
import { load } from '../../host/loader/load.js';
import { ROOT } from '../../host/paths.js';
import { Host } from '../../host/run/host.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const tmp = mkdtempSync(join(ROOT, 'build', 'readme-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('README', () => {
  it('gives the two commands for a fresh machine', () => {
    expect(readme).toContain('npm ci && npx bfx run extensions/cpuid');
    expect(readme).toContain('npm ci && npm test');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin.bfx).toBe('bin/bfx.js');
    expect(pkg.scripts.test).toBeDefined();
  });

  it('walks through an extension that compiles, loads and waits for callbacks', async () => {
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const dir = join(tmp, 'walk');
    mkdirSync(dir);
    // the walk-through sits in extensions/<name>/; here the SDK is further away
    writeFileSync(join(dir, 'main.ts'), code!.replace("'../sdk'", `'${join('..', '..', '..', 'extensions', 'sdk')}'`));
    const host = new Host(new Sim());
    const ext = host.add(await load(dir));
    host.run();
    expect(ext.faults).toEqual([]);
    expect(ext.state).toBe('waiting');
    expect(ext.callCounts()).toEqual({
      bf_handle_op_open_handle: 1, bf_callback_op_register_vmexit: 1, bf_callback_op_wait: 1,
    });
  });
});

describe('docs/wire-protocol.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'wire-protocol.md'), 'utf8');
  it('lists every message and every error code abi/wire.ts defines, with its number', async () => {
    const { messages, errors, frame } = await import('../../abi/wire.js');
    for (const m of messages) expect(doc).toContain(`| 0x${m.type.toString(16).padStart(2, '0')} | ${m.name} | ${m.from} |`);
    for (const e of errors) expect(doc).toContain(`| ${e.code} | ${e.name} |`);
    expect(doc).toContain(`at most ${frame.MAX_PAYLOAD}`);
    expect(doc).toContain(`a ${frame.HEADER_BYTES}-byte header`);
  });
});
