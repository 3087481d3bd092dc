// abi/table.ts is the one source: the generated files must be what the
// generators write, a hand edit must be caught, and each output must be
// usable by its language.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generated, stale } from '../../abi/generate.js';
import { statuses, syscalls, regs, syscallRax, encoding } from '../../abi/table.js';
import * as bf from '../../host/abi/bf.js';
import { ROOT } from '../../host/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'bfx-gen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function copyGenerated(): string {
  const dir = mkdtempSync(join(tmp, 'copy-'));
  for (const path of generated().keys()) cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  return dir;
}

describe('generated files', () => {
  it('are exactly what npm run gen writes', () => {
    expect(stale(ROOT)).toEqual([]);
  });

  it.each([...generated().keys()])('a hand edit of %s is caught', (path) => {
    const dir = copyGenerated();
    expect(stale(dir)).toEqual([]);
    const file = join(dir, path);
    writeFileSync(file, `${readFileSync(file, 'utf8')}// a line added by hand\n`);
    expect(stale(dir)).toEqual([path]);
  });

  it('a missing generated file is caught', () => {
    const dir = copyGenerated();
    rmSync(join(dir, 'firmware/include/bf.h'));
    expect(stale(dir)).toEqual(['firmware/include/bf.h']);
  });

  it('npm run gen -- --check passes on a clean tree and fails on a stale one, naming the file', () => {
    const check = (root: string) => spawnSync('npx', ['tsx', 'abi/generate.ts', '--check', '--root', root], { cwd: ROOT, encoding: 'utf8' });
    const dir = copyGenerated();
    expect(check(dir).status).toBe(0);
    writeFileSync(join(dir, 'host/abi/bf.ts'), '// edited by hand\n');
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('stale: host/abi/bf.ts differs from abi/table.ts; run npm run gen');
  });
});

describe('the TypeScript module', () => {
  it('carries every status with its value from the table', () => {
    for (const s of statuses) expect((bf as Record<string, unknown>)[s.name]).toBe(s.value);
    expect(bf.BF_STATUS_INVALID_PARAMS5).toBe(0xdead000000200003n);
  });

  it('describes every syscall with its register-level RAX', () => {
    expect(bf.BF_SYSCALLS.map((s) => s.name)).toEqual(syscalls.map((s) => s.name));
    for (const s of syscalls) {
      const info = bf.BF_SYSCALLS[bf.BF_SYSCALL_ID[s.name as bf.SyscallName]];
      expect(info.rax).toBe(syscallRax(s));
      expect(info.rax & encoding.BF_SYSCALL_SIG_MASK).toBe(encoding.BF_SYSCALL_SIG_VAL);
      expect(Number((info.rax & encoding.BF_SYSCALL_OP_NOSIG_MASK) >> 16n)).toBe(s.op);
      expect(Number(info.rax & encoding.BF_SYSCALL_INDEX_MASK)).toBe(s.idx);
    }
    expect(bf.BF_SYSCALLS.find((s) => s.name === 'bf_vps_op_read_reg')!.rax).toBe(0x664200000006000bn);
  });

  it('numbers bf_reg_t as the ABI does', () => {
    expect(bf.BF_REG_T_COUNT).toBe(73);
    expect(bf.bf_reg_t.rip).toBe(15);
    expect(bf.bf_reg_t.es_selector).toBe(22);
    expect(bf.bf_reg_t.tr_attributes).toBe(53);
    expect(bf.bf_reg_t.ia32_debugctl).toBe(72);
    expect(regs.length).toBe(73);
  });
});

describe('the AssemblyScript SDK', () => {
  const sdk = readFileSync(join(ROOT, 'extensions/sdk/bf.ts'), 'utf8');
  it.each(syscalls.map((s) => s.name))('has %s as a raw import and a typed function', (name) => {
    expect(sdk).toContain(`@external("bf", "${name}")\nexport declare function ${name}_impl(`);
    expect(sdk).toMatch(new RegExp(`export function ${name}\\(`));
  });
});

describe('the C header', () => {
  it('compiles freestanding, C11, with every warning an error', () => {
    const src = join(tmp, 'use.c');
    writeFileSync(src, [
      '#include "bf.h"',
      '#define COUNT(name, op, idx, rax, in, out) +1',
      '_Static_assert((0 BF_SYSCALLS(COUNT)) == ' + syscalls.length + ', "every syscall");',
      '_Static_assert(BF_STATUS_INVALID_PARAMS1 == 0xDEAD000000020003ULL, "status");',
      '_Static_assert(bf_reg_t_ia32_debugctl == 72, "bf_reg_t");',
      '_Static_assert(BF_VPS_OP_READ_REG_IDX_VAL == 0xB, "index");',
      'int main(void) { return 0; }',
      '',
    ].join('\n'));
    execFileSync('gcc', ['-std=c11', '-ffreestanding', '-Wall', '-Wextra', '-Werror', '-pedantic', '-fsyntax-only', '-I', join(ROOT, 'firmware/include'), src]);
  });
});
