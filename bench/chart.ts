// npm run bench's chart: one self-contained page (inline CSS and SVG, no
// script, nothing fetched) from a bench result. Each ratio is drawn next
// to its ceiling on one scale — a bar to the median, the middle half of
// the rounds as a dark band, all of them as a thin line — with its target
// where it has one, and every number written as text too. What the result
// lacks is said where it would have been. Tests find each ratio by its
// data-ratio, and its numbers by data-median, data-ceiling, data-target.
import { html } from '../host/conformance/output/report.js';
import type { Figure } from './figure.js';
import { met } from './result.js';
import { ratioText, ratioWords, read, short, targetText, three, type Group, type Missing, type Plain, type Ratio } from './read.js';

// the drawing, in SVG user units: labels on the left, the plot to the right
const WIDTH = 640;
const LEFT = 80;
// room past the plot for the last bar's median in words
const RIGHT = 64;
const BAR = 16;

/** a scale from 0 to a round number past everything drawn on it, and its ticks */
interface Scale {
  max: number;
  step: number;
  x: (v: number) => number;
}

function scale(top: number): Scale {
  const rough = (top > 0 ? top : 1) / 5;
  const p = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= rough)!;
  const max = Math.max(1, Math.ceil(top / step)) * step;
  return { max, step, x: (v) => LEFT + (Math.max(0, v) / max) * (WIDTH - LEFT - RIGHT) };
}

const at = (v: number) => v.toFixed(2);

/** one figure as a bar on a row: a bar to the median, the middle half a band on it, all rounds a thin line, the median a stroke and in words past them */
function bar(f: Figure, y: number, s: Scale, cls: string, name: string, text: (v: number) => string): string {
  const mid = y + BAR / 2;
  return `<g class="bar ${cls}" data-median="${f.median}"><title>${html(`${name}: median ${text(f.median)}; middle half ${text(f.q1)}–${text(f.q3)}; all ${text(f.min)}–${text(f.max)}`)}</title>`
    + `<rect class="fill" x="${at(s.x(0))}" y="${y}" width="${at(s.x(f.median) - s.x(0))}" height="${BAR}"/>`
    + `<line class="range" x1="${at(s.x(f.min))}" x2="${at(s.x(f.max))}" y1="${mid}" y2="${mid}"/>`
    + `<rect class="band" x="${at(s.x(f.q1))}" y="${y + BAR / 4}" width="${at(s.x(f.q3) - s.x(f.q1))}" height="${BAR / 2}"/>`
    + `<line class="median" x1="${at(s.x(f.median))}" x2="${at(s.x(f.median))}" y1="${y - 2}" y2="${y + BAR + 2}"/>`
    + `<text class="value" x="${at(s.x(f.max) + 5)}" y="${mid + 4}">${html(text(f.median))}</text></g>`;
}

function axis(s: Scale, y: number, label: (v: number) => string): string {
  const ticks: string[] = [];
  for (let i = 0; i * s.step <= s.max * (1 + 1e-9); i++) {
    const x = at(s.x(i * s.step));
    ticks.push(`<line class="tick" x1="${x}" x2="${x}" y1="${y}" y2="${y + 4}"/><text class="tick" x="${x}" y="${y + 15}">${html(label(i * s.step))}</text>`);
  }
  return `<g class="axis"><line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}"/>${ticks.join('')}</g>`;
}

/** a ratio's drawing: its ceiling above, the measured figure below, the target across both */
function ratioSvg(r: Ratio, s: Scale): string {
  const text = (v: number) => ratioText(v, r.unit);
  const tick = (v: number) => ratioText(v, r.unit, short);
  const t = r.target;
  const target = t
    ? `<g class="target" data-target="${t.value}"><line x1="${at(s.x(t.value))}" x2="${at(s.x(t.value))}" y1="12" y2="62"/><text x="${at(s.x(t.value))}" y="9">target ${html(targetText(t, r.unit))}</text></g>`
    : '';
  return `<svg class="chart" viewBox="0 0 ${WIDTH} 86" width="${WIDTH}" height="86" role="img" aria-label="${html(`${r.label}: ${ratioWords(r)}`)}">`
    + `<text class="row" x="${LEFT - 6}" y="${16 + BAR - 4}">ceiling</text>${bar(r.ceiling, 16, s, 'ceiling', `ceiling, ${r.ceilingLabel}`, text)}`
    + `<text class="row" x="${LEFT - 6}" y="${40 + BAR - 4}">measured</text>${bar(r.measured, 40, s, `measured ${t ? (met(r.measured.median, t) ? 'met' : 'not-met') : 'no-target'}`, 'measured', text)}`
    + `${target}${axis(s, 64, tick)}</svg>`;
}

function ratioFigure(r: Ratio, s: Scale): string {
  const t = r.target;
  const ok = t && met(r.measured.median, t);
  const data = `data-ratio="${html(r.id)}" data-median="${r.measured.median}" data-ceiling="${r.ceiling.median}" data-unit="${r.unit}"`
    + (t ? ` data-target="${t.value}" data-sense="${t.sense}" data-met="${ok}"` : '');
  const verdict = t ? ` <span class="verdict ${ok ? 'met' : 'not-met'}">${ok ? '✓' : '✗'}</span>` : '';
  return `<figure class="ratio" id="${html(`ratio-${r.id}`)}" ${data}>
<figcaption><b>${html(r.label)}</b>:${verdict} <span class="words">${html(ratioWords(r))}</span>; ceiling <span class="ceiling">${html(ratioText(1, r.unit, short))}</span>, ${html(r.ceilingLabel)}${t ? '' : '; no target'}.
<br><span class="absolute">${r.absolute.map(html).join(' · ')}</span></figcaption>
${ratioSvg(r, s)}
</figure>`;
}

function missingList(missing: readonly Missing[]): string {
  if (!missing.length) return '';
  const items = missing.map((m) => `<li class="missing" data-missing="${html(m.id)}"><b>${html(m.what)}</b>: not measured — ${html(m.why)}</li>`);
  return `<ul class="missing">\n${items.join('\n')}\n</ul>`;
}

function ratios(g: Group<Ratio>): string {
  const top = Math.max(0, ...g.items.flatMap((r) => [r.measured.max, r.ceiling.max, r.target?.value ?? 0]));
  const s = scale(top * 1.04);
  return [...g.items.map((r) => ratioFigure(r, s)), missingList(g.missing)].filter(Boolean).join('\n');
}

/** a figure with no ceiling, on its own scale */
function plainFigure(p: Plain): string {
  const s = scale(p.figure.max * 1.04);
  const text = (v: number) => `${three(v)} ${p.unit}`;
  const tick = (v: number) => `${short(v)} ${p.unit}`;
  return `<figure class="plain" id="${html(`figure-${p.id}`)}" data-figure="${html(p.id)}" data-median="${p.figure.median}" data-unit="${html(p.unit)}" data-ceiling="none">
<figcaption><b>${html(p.label)}</b>: <span class="words">${html(p.text)}</span>; no ceiling.</figcaption>
<svg class="chart" viewBox="0 0 ${WIDTH} 62" width="${WIDTH}" height="62" role="img" aria-label="${html(`${p.label}: ${p.text}`)}">`
    + `<text class="row" x="${LEFT - 6}" y="${16 + BAR - 4}">measured</text>${bar(p.figure, 16, s, 'measured no-target', 'measured', text)}${axis(s, 40, tick)}</svg>
</figure>`;
}

function otherTable(g: Group<Plain>): string {
  const rows = g.items.map((p) => `<tr data-figure="${html(p.id)}" data-median="${p.figure.median}"><th>${html(p.label)}</th><td>${html(p.text)}</td></tr>`);
  return `<table class="figures"><tbody>\n${rows.join('\n')}\n</tbody></table>\n${missingList(g.missing)}`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 60em; }
h1 { font-size: 1.4em; margin: 0 0 .3em; } h2 { font-size: 1.15em; margin: 1.8em 0 .3em; }
header p, p.about { color: #444; margin: .3em 0; }
figure { margin: 1em 0 1.2em; } figcaption { margin-bottom: .2em; }
.absolute { color: #555; font-size: .92em; }
.verdict.met, .measured.met .median { color: #1a6e1a; stroke: #1a6e1a; } .verdict.not-met { color: #a01010; font-weight: 600; }
svg.chart { display: block; max-width: 100%; height: auto; font-size: 11px; }
svg text { fill: #333; } text.value { font-weight: 600; } text.row { text-anchor: end; } text.tick { text-anchor: middle; fill: #666; }
.axis line { stroke: #999; }
.bar .fill { fill: #cfdff2; } .bar .range { stroke: #555; stroke-width: 1.2; } .bar .band { fill: #2f5f98; } .bar .median { stroke: #111; stroke-width: 2.5; }
.bar.ceiling .fill { fill: #e2e2e2; } .bar.ceiling .band { fill: #8a8a8a; }
.bar.met .fill { fill: #cfeacf; } .bar.met .band { fill: #2b7a2b; }
.bar.not-met .fill { fill: #f4d0d0; } .bar.not-met .band { fill: #a52a2a; }
.target line { stroke: #c0392b; stroke-width: 1.5; stroke-dasharray: 4 3; } .target text { fill: #c0392b; text-anchor: middle; }
ul.missing { color: #8a5a00; } .problems { color: #a01010; font-weight: 600; }
table.figures { border-collapse: collapse; } table.figures th, table.figures td { border: 1px solid #ccc; padding: .2em .6em; text-align: left; font-weight: normal; }
`;

const HOW = `Each figure is the median of repeated rounds measured in one run. In a drawing,
the bar runs to the median and the black stroke marks it; the dark band on it is the middle half of the
rounds (first to third quartile) and the thin line all of them (least to most). A ratio is drawn next to its
ceiling, on the same scale: the grey bar, at 1, with the ceiling's own spread; a dashed red line is the
target, and a ✓ or ✗ says whether the median meets it. The numbers are written beside each drawing.`;

function section(id: string, title: string, about: string, body: string): string {
  return `<section id="${id}">\n<h2>${html(title)}</h2>\n<p class="about">${html(about)}</p>\n${body}\n</section>`;
}

/** the page, from a bench result as JSON.parse gave it: whatever it lacks is said, never thrown */
export function chart(result: unknown): string {
  const r = read(result);
  const missing = [r.syscall, r.cpuid, r.restart, r.boot, r.other].reduce((n, g) => n + g.missing.length, 0);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bfx bench${r.when ? ` — ${html(r.when)}` : ''}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>bfx bench</h1>
<p>Run <span class="when">${html(r.when ?? 'at an unknown time')}</span> on Node.js <span class="node">${html(r.node ?? '?')}</span>${missing ? `; <span class="missing-count">${missing} figure${missing > 1 ? 's' : ''} missing</span>, each said where it would be` : ''}.</p>
${r.problems.map((p) => `<p class="problems">${html(p)}</p>`).join('\n')}
<p class="about">${HOW.replace(/\n/g, ' ')}</p>
</header>
${section('syscall', 'Syscall latency', 'A syscall’s round trip from AssemblyScript through the boundary to the sim and back, against an empty import call of the same WebAssembly type in the same run (the ceiling, 1×). Target: at most 5×.', ratios(r.syscall))}
${section('cpuid', 'CPUID exits handled in WebAssembly, against the firmware', 'The root guest’s CPUID exits, each carried to the host and handled by the cpuid example in WebAssembly, as a fraction of the rate at which the firmware handles the same exits itself, in the same boot (the ceiling, 100%): per emulator and transport.', ratios(r.cpuid))}
${section('restart', 'Restart latency', 'Under the supervisor, per state policy: from a crash seen to the new instance back in its callbacks, against a cold first start of the same extension (the ceiling, 1). Target: under 0.1.', ratios(r.restart))}
${section('boot', 'Boot time', 'From starting the emulator to the host’s HELLO_ACK. These have no ceiling: nothing measured here bounds them, so each is drawn on its own scale.', [...r.boot.items.map(plainFigure), missingList(r.boot.missing)].filter(Boolean).join('\n'))}
${section('other', 'Other figures', 'Measured in the same run; no ceiling.', otherTable(r.other))}
</body>
</html>
`;
}
