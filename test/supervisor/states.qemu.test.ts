// The state policies on our firmware under QEMU TCG: real SVM exits, the
// same cases as on the sim.
import { qemuBackend } from './qemu.js';
import { stateCases } from './states.js';

stateCases(qemuBackend);
