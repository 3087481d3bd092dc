// The ABI conformance catalogue on our firmware under QEMU TCG, case for
// case the same definitions as on the sim; the frames through the
// shared-memory mailbox, QEMU's default (the UART: catalogue.qemu-uart).
import { backends } from '../../host/conformance/backends.js';
import { conformance } from './conformance.js';

conformance(backends.find((b) => b.name === 'qemu')!);
