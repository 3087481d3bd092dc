// Each restart policy × each way an instance ends, on our firmware under
// QEMU TCG: the faulty example's real SVM exits, the same cases as on the sim.
import { qemuBackend } from './qemu.js';
import { policyCases } from './policies.js';

policyCases(qemuBackend);
