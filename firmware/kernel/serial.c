/* 16550 UARTs, polled: no interrupts in this firmware yet. */
#include "serial.h"
#include "cpu.h"

void uart_init(uint16_t port) {
    outb(port + 1, 0x00); /* no interrupts */
    outb(port + 3, 0x80); /* divisor latch */
    outb(port + 0, 0x01); /* 115200 baud */
    outb(port + 1, 0x00);
    outb(port + 3, 0x03); /* 8 bits, no parity, one stop bit */
    outb(port + 2, 0xC7); /* FIFO on, cleared */
    outb(port + 4, 0x03); /* DTR, RTS */
}

void uart_putc(uint16_t port, uint8_t c) {
    while ((inb(port + 5) & 0x20) == 0) { /* the transmitter holds a byte still */ }
    outb(port, c);
}

uint8_t uart_getc(uint16_t port) {
    while ((inb(port + 5) & 0x01) == 0) __asm__ volatile("pause");
    return inb(port);
}

void serial_init(void) {
    uart_init(COM1);
}

void serial_putc(char c) {
    uart_putc(COM1, (uint8_t)c);
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

/* 16550 line status: the transmitter (its FIFO and shift register) is empty */
#define LSR_TEMT 0x40
/* a UART that is not there reads 0xFF: the bound keeps a strange one from holding the caller forever */
#define DRAIN_SPINS 10000000u

void uart_drain(uint16_t port) {
    for (uint32_t i = 0; i < DRAIN_SPINS && (inb(port + 5) & LSR_TEMT) == 0; i++) __asm__ volatile("pause");
}
