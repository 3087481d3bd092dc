// The audit is bounded: when full, the oldest records go, and the count of
// those dropped says how many did (the run report shows it).
import { expect, it } from 'vitest';
import { Audit } from '../../host/boundary/audit.js';

it('keeps the newest records up to its capacity, and counts the ones it dropped', () => {
  const a = new Audit(3);
  for (let i = 1; i <= 5; i++) a.record({ kind: 'late', extension: '', message: `m${i}` });
  expect(a.records.map((r) => r.message)).toEqual(['m3', 'm4', 'm5']);
  expect(a.dropped).toBe(2);
});
