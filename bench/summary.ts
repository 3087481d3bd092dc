// npm run bench's text: the same ratios, figures and gaps as the chart,
// read from the result by the same reader, one line a figure.
import { read, ratioWords, type Group, type Missing, type Plain, type Ratio } from './read.js';

const COLUMN = 34;

const under = (text: string) => `${' '.repeat(COLUMN)}${text}`;
/** the label, and its text in a column (under it when the label is too long for one) */
const line = (label: string, text: string) => (label.length < COLUMN - 3 ? `  ${label.padEnd(COLUMN - 3)} ${text}` : `  ${label}\n${under(text)}`);

function ratioLines(g: Group<Ratio>): string[] {
  return g.items.flatMap((r) => [line(r.label, ratioWords(r)), under(r.absolute.join(' · '))]);
}

const plainLines = (g: Group<Plain>) => g.items.map((p) => line(p.label, p.text));
const missingLines = (missing: readonly Missing[]) => missing.map((m) => `  not measured: ${m.what}: ${m.why}`);

export function summary(result: unknown): string {
  const r = read(result);
  const groups = [r.syscall, r.cpuid, r.restart, r.boot, r.other];
  return [
    'bfx bench (medians of repeated rounds in one run; each ratio against its ceiling)',
    ...r.problems.map((p) => `  ${p}`),
    ...ratioLines(r.syscall), ...ratioLines(r.cpuid), ...ratioLines(r.restart),
    ...plainLines(r.boot), ...plainLines(r.other),
    ...missingLines(groups.flatMap((g) => g.missing)),
  ].join('\n');
}
