// bfx conformance --report <file.html>: one self-contained page a person
// reads at a glance. A header (when, bfx's version, the targets), the totals
// per target, then per ABI area a matrix: a row per case, a column per
// target, each cell pass, fail or n/a in colour and in words (readable
// without colour), a failure's message and an n/a's reason in the cell.
// Inline CSS, no fetches; the matrix needs no JavaScript (a few lines of
// it only add a filter). Tests find the tables by their classes and data-*.
import { AREA_NAMES, AREAS, areaOf } from '../areas.js';
import type { Case } from '../catalogue/case.js';
import type { CaseResult } from '../runner.js';
import { archOf, backendName, byArea, count, ok, type RunResults } from './tally.js';
import { duration, failure } from './text.js';

export interface ReportHead {
  /** when the run started */
  started: Date;
  /** bfx's version (package.json) */
  version: string;
  /** the cases the run was to take, in the catalogue's order: the rows */
  cases: readonly Case[];
}

/** text into HTML, in an element or an attribute value in double or single quotes */
export function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin: 0 0 .3em; } h2 { font-size: 1.15em; margin: 1.6em 0 .4em; }
h2 small, header p { color: #555; font-weight: normal; }
table { border-collapse: collapse; margin: .3em 0; }
th, td { border: 1px solid #ccc; padding: .2em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: .95em; white-space: nowrap; }
td.rule { max-width: 42em; } td.clause { color: #555; white-space: nowrap; }
td.cell { white-space: nowrap; font-weight: 600; }
td.pass { background: #dff3df; color: #1a5e1a; }
td.fail { background: #f9d6d6; color: #8a1212; }
td.na { background: #eeeeee; color: #555; font-weight: normal; }
td.not-run { background: #fff; color: #999; font-weight: normal; }
td.cell details { font-weight: normal; white-space: normal; max-width: 30em; }
td.cell summary { cursor: pointer; font-weight: 600; }
td.cell pre { white-space: pre-wrap; margin: .3em 0 0; font-size: .9em; }
.verdict-pass { color: #1a5e1a; } .verdict-fail { color: #8a1212; } .verdict-interrupted { color: #8a5a00; }
#filter { margin: .8em 0; }
`;

// a filter by ID and "only rows that failed somewhere"; without JavaScript the form stays hidden and every row shows
const SCRIPT = `
const form = document.getElementById('filter');
form.hidden = false;
const apply = () => {
  const text = form.elements.text.value.trim();
  const failed = form.elements.failed.checked;
  for (const row of document.querySelectorAll('table.matrix tbody tr')) {
    row.hidden = (text !== '' && !row.dataset.case.includes(text)) || (failed && !row.querySelector('td.fail'));
  }
};
form.addEventListener('input', apply);
`;

const MARK = { pass: '✓ pass', fail: '✗ fail', 'not-applicable': '– n/a' } as const;
const CLASS = { pass: 'pass', fail: 'fail', 'not-applicable': 'na' } as const;

/** one cell: the verdict in colour and in words; a failure's message, an n/a's reason, in a title and a details */
function cell(run: RunResults, r: CaseResult | undefined): string {
  const target = `data-target="${html(run.backend.name)}"`;
  if (!r) return `<td class="cell not-run" ${target} data-result="not-run">· not run</td>`;
  const head = `<td class="cell ${CLASS[r.result]}" ${target} data-result="${r.result}"`;
  if (r.result === 'pass') return `${head} title="${html(duration(r.ms))}">${MARK.pass}</td>`;
  const text = r.result === 'fail' ? failure(r) : r.why ?? '';
  return `${head} title="${html(text)}"><details><summary>${MARK[r.result]}</summary><pre>${html(text)}</pre></details></td>`;
}

function verdict(run: RunResults): string {
  const v = run.interrupted ? 'interrupted' : ok(run) ? 'pass' : 'fail';
  return `<span class="verdict-${v}">${v === 'pass' ? '✓ PASS' : v === 'fail' ? '✗ FAIL' : '! INTERRUPTED'}</span>`;
}

function totals(runs: readonly RunResults[]): string {
  const rows = runs.map((run) => {
    const n = count(run.results);
    return `<tr data-target="${html(run.backend.name)}"><th>${html(run.backend.name)}</th><td>${html(archOf(run))}</td>`
      + `<td class="num">${n.passed}</td><td class="num">${n.failed}</td><td class="num">${n.notApplicable}</td>`
      + `<td class="num">${run.results.length} of ${run.chosen}</td><td class="num">${html(duration(run.durationMs))}</td><td>${verdict(run)}</td></tr>`;
  });
  return `<table class="totals"><thead><tr><th>target</th><th>architecture, model</th><th>passed</th><th>failed</th><th>n/a</th><th>ran</th><th>time</th><th>verdict</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function matrix(area: string, cases: readonly Case[], runs: readonly RunResults[]): string {
  const found = runs.map((run) => new Map(run.results.map((r) => [r.case.id, r])));
  const counts = runs.map((run) => {
    const a = byArea(run.results).find((x) => x.area === area);
    return `${html(run.backend.name)} ${a?.passed ?? 0} passed, ${a?.failed ?? 0} failed, ${a?.notApplicable ?? 0} n/a`;
  });
  const head = `<tr><th>case</th><th>rule</th><th>clause</th>${runs.map((run) => `<th data-target="${html(run.backend.name)}" title="${html(backendName(run))}">${html(run.backend.name)}</th>`).join('')}</tr>`;
  const rows = cases.map((c) => `<tr id="${html(`case-${c.id}`)}" data-case="${html(c.id)}"><td class="id"><code>${html(c.id)}</code></td>`
    + `<td class="rule">${html(c.rule)}</td><td class="clause">${html(c.clause)}</td>${runs.map((run, i) => cell(run, found[i].get(c.id))).join('')}</tr>`);
  return [
    `<section id="${html(`area-${area}`)}" data-area="${html(area)}">`,
    `<h2>${html(area)} <small>— ${html(AREAS[area] ?? '')} (${cases.length} cases; ${counts.join('; ')})</small></h2>`,
    `<table class="matrix" data-area="${html(area)}">`,
    `<thead>${head}</thead>`,
    '<tbody>', ...rows, '</tbody></table></section>',
  ].join('\n');
}

/** the page: header, totals per target, a matrix per area that has a case */
export function report(runs: readonly RunResults[], head: ReportHead): string {
  const names = runs.map((r) => r.backend.name).join(', ');
  const all = runs.every(ok);
  const filter = runs.find((r) => r.filter !== undefined)?.filter;
  const chosen = head.cases.length;
  const catalogued = runs[0]?.catalogued ?? chosen;
  const areas = AREA_NAMES.map((area) => [area, head.cases.filter((c) => areaOf(c) === area)] as const).filter(([, cs]) => cs.length);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bfx conformance: ${html(names)} — ${all ? 'PASS' : 'FAIL'}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>bfx conformance: ${all ? '<span class="verdict-pass">✓ PASS</span>' : '<span class="verdict-fail">✗ FAIL</span>'}</h1>
<p>Run <time datetime="${html(head.started.toISOString())}">${html(head.started.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</time>
with bfx <span class="version">${html(head.version)}</span>
on ${runs.map((r) => `<span class="target">${html(backendName(r))}</span>`).join(', ')};
${chosen} of ${catalogued} cases${filter !== undefined ? ` (--filter <code>${html(filter)}</code>)` : ''}.</p>
</header>
${totals(runs)}
<nav><p>Areas: ${areas.map(([area]) => `<a href="#area-${html(area)}">${html(area)}</a>`).join(' · ')}</p></nav>
<form id="filter" hidden>Show cases whose ID contains <input name="text" type="search" size="30"> <label><input name="failed" type="checkbox"> only those that failed somewhere</label></form>
${areas.map(([area, cs]) => matrix(area, cs, runs)).join('\n')}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
