// The second half of the ABI conformance catalogue under Bochs (Intel VMX):
// see catalogue.bochs.test.ts.
import { backends } from '../../host/conformance/backends.js';
import { conformance } from './conformance.js';

conformance(backends.find((b) => b.name === 'bochs')!, [1, 2]);
