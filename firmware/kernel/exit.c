#include "exit.h"
#include "cpu.h"

#define DEBUG_EXIT_PORT 0xF4
#define BOCHS_SHUTDOWN_PORT 0x8900

_Noreturn void exit_emulator(uint8_t code) {
    outb(DEBUG_EXIT_PORT, code);
    for (const char *s = "Shutdown"; *s; s++) outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
    halt_forever();
    __builtin_unreachable();
}
