/* COM1: the console, and later the wire to the host. */
#ifndef SERIAL_H
#define SERIAL_H

#include <stdint.h>

void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
void serial_hex(uint64_t v);
void serial_dec(uint64_t v);

#endif
