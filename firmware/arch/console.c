/* The guest's console, when no extension intercepts it. The root guest
 * prints a line with one REP OUTSB to COM1, which outruns the 16550 that
 * Bochs emulates: its FIFO drops what it cannot hold, and the line comes
 * out cut or garbled. So both backends take a write to COM1's data port
 * that the extension did not ask for, and the firmware writes the bytes at
 * the UART's pace; the extension never sees that exit, and the guest
 * prints its whole line, as under QEMU. */
#include "arch.h"
#include "backend.h"
#include "bf.h"
#include "serial.h"

/* the next EXIT tells the host, which then reads the console's file (and only then) */
static int console_written;

int arch_console_written(void) {
    int was = console_written;
    console_written = 0;
    return was;
}

int console_write(uint16_t vps, int string, int rep) {
    console_written = 1;
    if (!string) {
        serial_putc((char)arch_reg_read(vps, bf_reg_t_rax));
        return 0;
    }
    /* the guest's console runs in 64-bit code: rsi and rcx at their full width */
    uint64_t rsi = arch_reg_read(vps, bf_reg_t_rsi);
    uint64_t count = rep ? arch_reg_read(vps, bf_reg_t_rcx) : 1;
    int64_t step = (arch_reg_read(vps, bf_reg_t_rflags) & RFLAGS_DF) ? -1 : 1;
    for (; count; count--) {
        uint8_t c;
        if (guest_read(vps, rsi, &c, 1) != 0) break;
        serial_putc((char)c);
        rsi += (uint64_t)step;
    }
    arch_reg_write(vps, bf_reg_t_rsi, rsi);
    if (rep) arch_reg_write(vps, bf_reg_t_rcx, count);
    return count ? -1 : 0;
}
