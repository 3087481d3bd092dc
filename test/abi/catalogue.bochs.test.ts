// The ABI conformance catalogue on our firmware under Bochs (Intel VMX),
// case for case the same definitions as on the sim and under QEMU: where a
// case is about a VMCB it needs amd, and its VMCS twin runs here instead.
// A Bochs boot takes most of a second: the catalogue is spread over this
// file and catalogue.bochs-2.test.ts, which run side by side.
import { backends } from '../../host/conformance/backends.js';
import { conformance } from './conformance.js';

conformance(backends.find((b) => b.name === 'bochs')!, [0, 2]);
