/* Ending a run with a status the harness can read. */
#ifndef EXIT_H
#define EXIT_H

#include <stdint.h>

/* QEMU's isa-debug-exit turns code into exit status (code << 1) | 1
 * (0 = pass, as kvm-unit-tests read it); Bochs ends on "Shutdown" at 0x8900. */
_Noreturn void exit_emulator(uint8_t code);

#endif
