// The ABI conformance catalogue on our firmware under QEMU TCG with the
// shared-memory transport: the same frames through a mailbox in guest RAM,
// so the same cases pass as over the UART (catalogue.qemu.test.ts).
import { firmware } from '../../host/conformance/backends.js';
import { conformance } from './conformance.js';

conformance({ ...firmware('qemu', { transport: 'shm' }), name: 'qemu (shared memory)' });
