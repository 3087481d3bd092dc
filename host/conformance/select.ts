// Which cases a run takes: --filter is a text the case ID contains, or a
// /regular expression/ (flags after the last slash) the ID matches.
import type { Case } from './catalogue/case.js';

export class FilterError extends Error {}

export function caseFilter(text: string): (c: Case) => boolean {
  const re = /^\/(.+)\/([a-z]*)$/s.exec(text);
  if (!re) return (c) => c.id.includes(text);
  let pattern: RegExp;
  try {
    // g and y would make test() remember where it stopped: each ID is matched from its start
    pattern = new RegExp(re[1], re[2].replace(/[gy]/g, ''));
  } catch (e) {
    throw new FilterError(`--filter ${text} is not a regular expression: ${(e as Error).message}`);
  }
  return (c) => pattern.test(c.id);
}
