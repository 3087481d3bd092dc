/* A 16550 UART at COM1, polled: no interrupts before the host says hello. */
#include "serial.h"
#include "cpu.h"

#define COM1 0x3F8

void serial_init(void) {
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* divisor latch */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8 bits, no parity, one stop bit */
    outb(COM1 + 2, 0xC7); /* FIFO on, cleared */
    outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void serial_putc(char c) {
    while ((inb(COM1 + 5) & 0x20) == 0) { /* wait until the transmitter holds nothing */ }
    outb(COM1, (uint8_t)c);
}

void serial_puts(const char *s) {
    while (*s) serial_putc(*s++);
}

void serial_hex(uint64_t v) {
    serial_puts("0x");
    for (int shift = 60; shift >= 0; shift -= 4) serial_putc("0123456789abcdef"[(v >> shift) & 0xF]);
}

void serial_dec(uint64_t v) {
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    serial_puts(&buf[i]);
}
