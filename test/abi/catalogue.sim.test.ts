// The ABI conformance catalogue on the embedded reference microkernel.
import { backends } from '../harness/driver.js';
import { conformance } from './conformance.js';

conformance(backends.find((b) => b.name === 'sim')!);
