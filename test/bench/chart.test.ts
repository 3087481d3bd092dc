// npm run bench's chart (bench/chart.ts), from a small result made by hand
// rather than from a run of the bench, which takes minutes. The page is
// read in headless chromium, as a person would see it, with JavaScript on
// and off; a partial or malformed result is checked on the page's text.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chart } from '../../bench/chart.js';
import type { Figure } from '../../bench/figure.js';
import type { BenchResult } from '../../bench/result.js';
import { summary } from '../../bench/summary.js';
import { readPage } from '../harness/chromium.js';

/** a figure whose median is m, its middle half ±5% and all rounds ±20% */
const f = (m: number): Figure => ({ median: m, min: m * 0.8, max: m * 1.2, q1: m * 0.95, q3: m * 1.05, p99: m * 1.2 });

const RESULT: BenchResult = {
  version: 1,
  when: '2026-01-02T03:04:05.000Z',
  node: 'v20.19.0',
  syscall: {
    calls: 1000, rounds: 3,
    emptyImportNs: f(9.4), readRegNs: f(39), writeRegNs: f(34.5),
    readRegOverEmpty: f(4.2), writeRegOverEmpty: f(3.6),
    target: { value: 5, sense: 'at-most' },
  },
  sim: { perSecond: f(530_000), perSecondInWorker: f(168_000), workerStartMs: f(21), exitsPerRound: 50_003, rounds: 7 },
  boot: [
    { emulator: 'qemu', arch: 'amd', toHelloMs: f(94.4), rounds: 5 },
    { emulator: 'bochs', arch: 'intel', toHelloMs: f(2700), rounds: 5 },
  ],
  heartbeat: [{ emulator: 'qemu', transport: 'uart', roundTripUs: f(268), bytes: 56, trips: 1000 }],
  cpuidExits: [
    { emulator: 'qemu', arch: 'amd', transport: 'uart', wasmPerSecond: f(768), firmwarePerSecond: f(60_000), wasmOverFirmware: f(0.0128), exitsWasm: 400, exitsFirmware: 20_000, boots: 3 },
    { emulator: 'qemu', arch: 'amd', transport: 'shm', wasmPerSecond: f(39_000), firmwarePerSecond: f(60_000), wasmOverFirmware: f(0.65), target: 0.6, exitsWasm: 20_000, exitsFirmware: 20_000, boots: 3 },
    { emulator: 'bochs', arch: 'intel', transport: 'uart', wasmPerSecond: f(240), firmwarePerSecond: f(45_500), wasmOverFirmware: f(0.0053), exitsWasm: 200, exitsFirmware: 20_000, boots: 3 },
    // one that misses its target, to see it said so
    { emulator: 'qemu', arch: 'amd', transport: 'shm-file', wasmPerSecond: f(24_000), firmwarePerSecond: f(60_000), wasmOverFirmware: f(0.4), target: 0.6, exitsWasm: 20_000, exitsFirmware: 20_000, boots: 3 },
  ],
  restart: {
    coldStartMs: f(26.5),
    warm: [
      { state: 'fresh', ms: f(0.41), overCold: f(0.0154), overColdLessWorker: 0.075, samples: 600 },
      { state: 'checkpoint', ms: f(0.28), overCold: f(0.0105), overColdLessWorker: 0.051, samples: 499 },
      // one that misses its target, to see it said so
      { state: 'resume', ms: f(3.2), overCold: f(0.12), overColdLessWorker: 0.58, samples: 499 },
    ],
    target: { value: 0.1, sense: 'below' },
  },
  skipped: [],
};

/** each ratio of RESULT: its median, ceiling 1, its target, and words the caption must hold (the ratio, the target and verdict, the absolute medians) */
const RATIOS = [
  { id: 'syscall.read_reg', median: 4.2, target: 5, sense: 'at-most', met: true, words: ['4.20× the empty import call', 'target ≤ 5×: met', 'bf_vps_op_read_reg 39.0 ns', 'empty import call 9.4 ns'] },
  { id: 'syscall.write_reg', median: 3.6, target: 5, sense: 'at-most', met: true, words: ['3.60× the empty import call', 'target ≤ 5×: met', 'bf_vps_op_write_reg 34.5 ns'] },
  { id: 'cpuid.qemu.uart', median: 0.0128, words: ['1.28% of the firmware’s rate', 'no target', 'in WebAssembly 768 /s', 'in the firmware 60,000 /s', 'QEMU TCG (AMD SVM), over the UART'] },
  { id: 'cpuid.qemu.shm', median: 0.65, target: 0.6, sense: 'at-least', met: true, words: ['65.0% of the firmware’s rate', 'target ≥ 60%: met', 'in WebAssembly 39,000 /s', 'over shared memory'] },
  { id: 'cpuid.bochs.uart', median: 0.0053, words: ['0.530% of the firmware’s rate', 'in WebAssembly 240 /s', 'in the firmware 45,500 /s', 'Bochs (Intel VMX), over the UART'] },
  { id: 'cpuid.qemu.shm-file', median: 0.4, target: 0.6, sense: 'at-least', met: false, words: ['40.0% of the firmware’s rate', 'target ≥ 60%: NOT met', 'in WebAssembly 24,000 /s', 'through the file (no native code)'] },
  { id: 'restart.fresh', median: 0.0154, target: 0.1, sense: 'below', met: true, words: ['0.0154 of a cold start', 'target < 0.1: met', 'restart 410 µs', 'cold start 26,500 µs', '600 restarts'] },
  { id: 'restart.checkpoint', median: 0.0105, target: 0.1, sense: 'below', met: true, words: ['0.0105 of a cold start', 'target < 0.1: met'] },
  { id: 'restart.resume', median: 0.12, target: 0.1, sense: 'below', met: false, words: ['0.120 of a cold start', 'target < 0.1: NOT met', 'restart 3,200 µs'] },
];

interface SeenRatio {
  id: string; median: number; ceiling: number; target: number | null; sense: string | null; met: string | null; caption: string;
  /** as the browser laid the drawing out: where 0 is, the bars' lengths, where the target line stands, the drawing's width */
  zero: number; measured: number; ceilingBar: number; targetX: number | null; width: number;
}
interface Seen {
  title: string;
  ratios: SeenRatio[];
  plains: { id: string; median: number; ceiling: string; caption: string; width: number }[];
  missing: string[];
  scripts: number;
  /** what the frame fetched, by the browser's own account */
  resources: string[];
}

const READ = `(d, w) => {
  const text = (e) => (e ? e.textContent.replace(/\\s+/g, ' ').trim() : null);
  const box = (e) => (e ? e.getBBox() : null);
  return {
    title: d.title,
    ratios: [...d.querySelectorAll('figure.ratio')].map((f) => ({
      id: f.dataset.ratio, median: Number(f.dataset.median), ceiling: Number(f.dataset.ceiling),
      target: f.dataset.target === undefined ? null : Number(f.dataset.target), sense: f.dataset.sense ?? null, met: f.dataset.met ?? null,
      caption: text(f.querySelector('figcaption')),
      zero: box(f.querySelector('g.measured rect.fill')).x,
      measured: box(f.querySelector('g.measured rect.fill')).width,
      ceilingBar: box(f.querySelector('g.ceiling rect.fill')).width,
      targetX: box(f.querySelector('g.target line'))?.x ?? null,
      width: f.querySelector('svg').getBoundingClientRect().width,
    })),
    plains: [...d.querySelectorAll('figure.plain')].map((f) => ({
      id: f.dataset.figure, median: Number(f.dataset.median), ceiling: f.dataset.ceiling, caption: text(f.querySelector('figcaption')),
      width: f.querySelector('svg').getBoundingClientRect().width,
    })),
    missing: [...d.querySelectorAll('li.missing')].map((li) => li.dataset.missing),
    scripts: d.scripts.length,
    resources: w.performance.getEntriesByType('resource').map((e) => e.name),
  };
}`;

const tmp = mkdtempSync(join(tmpdir(), 'bfx-bench-chart-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PAGE = join(tmp, 'bench.html');
let page: string;
let withJs: Seen;
let withoutJs: Seen;
beforeAll(async () => {
  page = chart(RESULT);
  writeFileSync(PAGE, page);
  [withJs, withoutJs] = await Promise.all([readPage<Seen>(PAGE, READ, { javascript: true }), readPage<Seen>(PAGE, READ, { javascript: false })]);
}, 60_000);

describe('the bench chart in a browser', () => {
  it('shows every ratio of the result, each with its median, its ceiling and its target', () => {
    expect(withJs.ratios.map((r) => r.id)).toEqual(RATIOS.map((r) => r.id));
    for (const want of RATIOS) {
      const r = withJs.ratios.find((x) => x.id === want.id)!;
      expect([r.id, r.median, r.ceiling, r.target, r.sense, r.met]).toEqual([want.id, want.median, 1, want.target ?? null, want.sense ?? null, want.met === undefined ? null : String(want.met)]);
      for (const w of want.words) expect(r.caption, want.id).toContain(w);
    }
  });

  it('draws each ratio next to its ceiling on one scale, the target line where the target is', () => {
    for (const r of withJs.ratios) {
      expect(r.ceilingBar, r.id).toBeGreaterThan(0);
      // the ceiling is 1: the measured bar is the median's share of it, the target line at the target's
      expect(r.measured / r.ceilingBar, r.id).toBeCloseTo(r.median, 2);
      if (r.target !== null) expect((r.targetX! - r.zero) / r.ceilingBar, r.id).toBeCloseTo(r.target, 2);
      else expect(r.targetX, r.id).toBeNull();
    }
  });

  it('shows the boot times as figures with no ceiling, and says so', () => {
    expect(withJs.plains.map((p) => [p.id, p.median, p.ceiling])).toEqual([['boot.qemu', 94.4, 'none'], ['boot.bochs', 2700, 'none']]);
    for (const p of withJs.plains) expect(p.caption).toContain('no ceiling');
    expect(withJs.plains[1].caption).toContain('Bochs (Intel VMX): 2700.0 ms (middle half 2565.0–2835.0) over 5 boots');
    expect(withJs.missing).toEqual([]);
  });

  it('needs nothing from outside and no script, and renders the same with JavaScript off', () => {
    expect(page).not.toMatch(/\b(src|href)="(?!#)|@import|url\(|<script/i);
    expect(withJs.scripts).toBe(0);
    expect(withJs.resources).toEqual([]);
    expect(withJs.title).toBe('bfx bench — 2026-01-02T03:04:05.000Z');
    for (const s of [...withJs.ratios, ...withJs.plains]) expect(s.width).toBeGreaterThan(300);
    expect(withoutJs).toEqual(withJs);
  });
});

describe('the bench chart of a partial or malformed result', () => {
  const ratioIds = (page: string) => [...page.matchAll(/data-ratio="([^"]+)"/g)].map((m) => m[1]);
  const missing = (page: string) => [...page.matchAll(/<li class="missing" data-missing="([^"]+)">(.*?)<\/li>/g)].map((m) => [m[1], m[2]]);

  it('without Bochs: the rest is drawn, and each Bochs figure says it was not measured and why', () => {
    const why = 'bochs-bin is not installed (bash qemu/deps.sh installs it)';
    const noBochs = {
      ...RESULT,
      boot: RESULT.boot.filter((b) => b.emulator !== 'bochs'),
      cpuidExits: RESULT.cpuidExits.filter((c) => c.emulator !== 'bochs'),
      skipped: [{ ids: ['boot.bochs', 'heartbeat.bochs.uart', 'cpuid.bochs.uart'], why }],
    };
    const p = chart(noBochs);
    expect(ratioIds(p)).toEqual(RATIOS.map((r) => r.id).filter((id) => !id.startsWith('cpuid.bochs')));
    expect(missing(p)).toEqual([
      ['cpuid.bochs.uart', `<b>CPUID exits under Bochs, over the UART</b>: not measured — ${why}`],
      ['boot.bochs', `<b>boot to HELLO under Bochs</b>: not measured — ${why}`],
    ]);
    expect(p).toContain('2 figures missing');
    expect(summary(noBochs)).toContain(`  not measured: boot to HELLO under Bochs: ${why}`);
  });

  it('a malformed figure or entry is missing with what it lacks; the others are drawn', () => {
    const broken = {
      ...RESULT,
      syscall: { ...RESULT.syscall, writeRegOverEmpty: { median: 'fast' } },
      cpuidExits: [{ ...RESULT.cpuidExits[0], wasmOverFirmware: undefined }, RESULT.cpuidExits[2]],
      restart: { ...RESULT.restart, warm: RESULT.restart.warm.slice(0, 2) },
      sim: null,
    };
    const p = chart(JSON.parse(JSON.stringify(broken)));
    expect(ratioIds(p)).toEqual(['syscall.read_reg', 'cpuid.bochs.uart', 'restart.fresh', 'restart.checkpoint']);
    expect(Object.fromEntries(missing(p))).toEqual({
      'syscall.write_reg': '<b>bf_vps_op_write_reg against the empty import call</b>: not measured — the result has no syscall.writeRegOverEmpty',
      'cpuid.qemu.uart': '<b>CPUID exits under QEMU TCG (AMD SVM), over the UART</b>: not measured — its entry in cpuidExits has no wasmOverFirmware',
      'cpuid.qemu.shm': '<b>CPUID exits under QEMU TCG, over shared memory, mapped</b>: not measured — the result has no cpuidExits entry for qemu over shm',
      'cpuid.qemu.shm-file': '<b>CPUID exits under QEMU TCG, over shared memory, through the file (no native code)</b>: not measured — the result has no cpuidExits entry for qemu over shm-file',
      'restart.resume': '<b>a restart with state resume against a cold start</b>: not measured — the result has no restart.warm ms of resume, restart.warm overCold of resume',
      'sim.perSecond': '<b>cpuid exits on the sim, the extension in the host’s thread</b>: not measured — the result has no sim.perSecond',
      'sim.perSecondInWorker': '<b>cpuid exits on the sim, in a worker (--budget)</b>: not measured — the result has no sim.perSecondInWorker',
      'sim.workerStartMs': '<b>worker start and instantiate</b>: not measured — the result has no sim.workerStartMs',
    });
  });

  it('a ceiling of 0, which no ratio can be over, is missing rather than drawn at infinity', () => {
    const p = chart({ ...RESULT, restart: { ...RESULT.restart, coldStartMs: f(0) } });
    expect(ratioIds(p).filter((id) => id.startsWith('restart.'))).toEqual([]);
    expect(missing(p).map(([id]) => id)).toEqual(['restart.fresh', 'restart.checkpoint', 'restart.resume']);
    expect(p).not.toMatch(/NaN|Infinity/);
  });

  it('what is not a result of this version still renders, says why, and lists everything as missing', () => {
    const all = ['syscall.read_reg', 'syscall.write_reg', 'cpuid.qemu.uart', 'cpuid.bochs.uart', 'restart.fresh', 'restart.checkpoint', 'restart.resume', 'boot.qemu', 'boot.bochs'];
    for (const [input, problem] of [
      [null, 'the result is not a JSON object (null)'],
      ['garbage', 'the result is not a JSON object (string)'],
      [[RESULT], 'the result is not a JSON object (an array)'],
      [{ when: 'x', syscall: {} }, 'the result is version null, not 1'],
    ] as const) {
      const p = chart(input);
      expect(p, JSON.stringify(input)).toContain(`<p class="problems">${problem}`);
      expect(ratioIds(p)).toEqual([]);
      expect(missing(p).map(([id]) => id)).toEqual(expect.arrayContaining(all));
    }
  });

  it('writes the result\'s text as text: nothing in it becomes markup', () => {
    const p = chart({ ...RESULT, node: '<script>alert(1)</script>', boot: [{ ...RESULT.boot[0], arch: '<img src=x>' }] });
    expect(p).not.toMatch(/<script|<img/);
    expect(p).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
