/* 16550 UARTs: COM1 is the console, COM2 the wire to the host. */
#ifndef SERIAL_H
#define SERIAL_H

#include <stdint.h>

#define COM1 0x3F8
#define COM2 0x2F8

void uart_init(uint16_t port);
void uart_putc(uint16_t port, uint8_t c);
/* waits for a byte */
uint8_t uart_getc(uint16_t port);

/* the console, on COM1 */
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
/* waits until the UART has sent every byte it holds (Bochs sends them at the emulated baud rate) */
void uart_drain(uint16_t port);
void serial_hex(uint64_t v);
void serial_dec(uint64_t v);

#endif
