// The ABI conformance catalogue on our firmware under QEMU TCG with the
// frames on the UART, as Bochs and the fault proxy have them: the same
// cases pass as through the shared-memory mailbox, QEMU's default
// (catalogue.qemu.test.ts).
import { firmware } from '../../host/conformance/backends.js';
import { conformance } from './conformance.js';

conformance({ ...firmware('qemu', { transport: 'uart' }), name: 'qemu (UART)' });
