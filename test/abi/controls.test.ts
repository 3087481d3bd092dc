// The negative controls: the catalogue against the reference microkernel
// with one rule switched off fails exactly the cases of that rule.
import { describe, expect, it } from 'vitest';
import { CONTROLS, runControl } from '../../host/conformance/controls.js';

describe('negative controls: the suite fails where a rule is broken, and only there', () => {
  it.each(CONTROLS.map((c) => [c.breaks, c] as const))('the sim that breaks %s', async (_, control) => {
    const r = await runControl(control);
    expect(r.failed.length, 'some cases check the rule').toBeGreaterThan(0);
    expect(r.unexpected, 'cases that failed though they do not check the rule').toEqual([]);
    expect(r.missed, 'cases that check the rule, yet passed').toEqual([]);
  });
});
