// A fault campaign: raw rounds (the raw fuzzer against a fresh firmware),
// then fault rounds (the typed fuzzer under the supervisor, one fault each),
// all from one seed. The tally says what was injected and what broke.
import { load } from '../host/loader/load.js';
import { Random } from './random.js';
import { rawRound } from './raw.js';
import { newTally, type Tally } from './tally.js';
import { faultRound, FUZZER, type Fault } from './typed.js';

export interface CampaignOptions {
  seed: number;
  rawRounds: number;
  /** raw syscalls per raw round */
  rawCalls: number;
  faultRounds: number;
  /** every fault round of this kind only */
  only?: Fault;
  /** told after each round */
  progress?: (done: number, of: number, t: Tally) => void;
}

/** the size that fits in CI; `npm run faults -- --long` runs ten times as much */
export const CI_CAMPAIGN = { rawRounds: 3, rawCalls: 800, faultRounds: 24 };

export async function campaign(o: CampaignOptions): Promise<Tally> {
  const t = newTally(o.seed);
  const rng = new Random(o.seed);
  const start = performance.now();
  const of = o.rawRounds + o.faultRounds;
  for (let i = 0; i < o.rawRounds; i++) {
    await rawRound(rng, o.rawCalls, t);
    t.rounds++;
    o.progress?.(t.rounds, of, t);
  }
  const fuzzer = await load(FUZZER);
  for (let i = 0; i < o.faultRounds; i++) {
    await faultRound(rng, fuzzer, t, o.only);
    t.rounds++;
    o.progress?.(t.rounds, of, t);
  }
  t.durationMs = performance.now() - start;
  return t;
}
