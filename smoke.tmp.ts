import { Random } from './faults/random.js';
import { rawRound } from './faults/raw.js';
import { newTally, renderTally } from './faults/tally.js';
const t = newTally(1);
const t0 = performance.now();
for (let seed = 1; seed <= 10; seed++) { await rawRound(new Random(seed), 2000, t); t.rounds++; }
t.durationMs = performance.now() - t0;
console.log(renderTally(t));
