// A figure of the bench: repeated rounds of one measurement, told by their
// median and spread, so that one slow round on a shared machine shows as
// spread rather than moving the figure.

export interface Figure {
  median: number;
  min: number;
  max: number;
  /** the middle half of the rounds */
  q1: number;
  q3: number;
  /** the 99th percentile */
  p99: number;
}

export function figure(samples: readonly number[]): Figure {
  if (samples.length === 0) throw new Error('bench: a figure of no rounds');
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
  return { median: at(0.5), min: s[0], max: s[s.length - 1], q1: at(0.25), q3: at(0.75), p99: at(0.99) };
}

/** the same rounds in other units (order statistics scale with a positive factor): a ceiling's own spread, as a ratio to its median */
export function scaled(f: Figure, by: number): Figure {
  return { median: f.median * by, min: f.min * by, max: f.max * by, q1: f.q1 * by, q3: f.q3 * by, p99: f.p99 * by };
}

/** each round of a over the same round of b: a ratio that drift on a shared machine moves little, as both sides feel it */
export function paired(a: readonly number[], b: readonly number[]): Figure {
  return figure(a.map((x, i) => x / b[i]));
}

/** "39.0 ns (middle half 38.8–39.3)", with the numbers written by `n` */
export function spread(f: Figure, n: (x: number) => string, unit = ''): string {
  return `${n(f.median)}${unit} (middle half ${n(f.q1)}–${n(f.q3)})`;
}

export const fixed = (digits: number) => (x: number) => x.toFixed(digits);
export const whole = (x: number) => Math.round(x).toLocaleString('en');
