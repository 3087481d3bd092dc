#include "exit.h"
#include "cpu.h"
#include "serial.h"

#define DEBUG_EXIT_PORT 0xF4
#define BOCHS_E9_PORT 0xE9
#define BOCHS_SHUTDOWN_PORT 0x8900

static void e9_puts(const char *s) {
    while (*s) outb(BOCHS_E9_PORT, (uint8_t)*s++);
}

_Noreturn void exit_emulator(uint8_t code) {
    /* Bochs sends a UART's bytes out at the emulated baud rate: a shutdown
     * right after the last write would lose what is still in the FIFO (the
     * console's last line, a BYE on the wire). QEMU's UARTs are empty at once. */
    uart_drain(COM1);
    uart_drain(COM2);
    /* QEMU ends here, with status (code << 1) | 1 */
    outb(DEBUG_EXIT_PORT, code);
    /* Bochs gives no status of its own: the code goes to its port 0xE9
     * (port_e9_hack), where the harness reads it, then Bochs is shut down.
     * QEMU has no device at 0xE9 without -debugcon: its console is unchanged. */
    char line[] = "bfx-exit 000\n";
    line[9] = (char)('0' + code / 100);
    line[10] = (char)('0' + code / 10 % 10);
    line[11] = (char)('0' + code % 10);
    e9_puts(line);
    for (const char *s = "Shutdown"; *s; s++) outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
    halt_forever();
    __builtin_unreachable();
}
