// The ABI conformance catalogue on the embedded reference microkernel.
import { backends } from '../../host/conformance/backends.js';
import { conformance } from './conformance.js';

conformance(backends.find((b) => b.name === 'sim')!);
