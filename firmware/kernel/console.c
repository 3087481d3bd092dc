#include "console.h"
#include "link.h"
#include "string.h"
#include "wire.h"

#define SOURCE_KERNEL 1

void line_start(struct line *l) {
    l->n = 0;
}

static void put(struct line *l, char c) {
    if (l->n < sizeof l->text) l->text[l->n++] = c;
}

void line_str(struct line *l, const char *s) {
    while (*s) put(l, *s++);
}

void line_dec(struct line *l, uint64_t v) {
    char buf[20];
    int i = 0;
    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i) put(l, buf[--i]);
}

void line_hex64(struct line *l, uint64_t v) {
    line_str(l, "0x");
    for (int shift = 60; shift >= 0; shift -= 4) put(l, "0123456789abcdef"[(v >> shift) & 0xF]);
}

void line_pad(struct line *l, size_t width) {
    while (l->n < width) put(l, ' ');
}

void console_line(uint16_t ppid, const struct line *l) {
    uint8_t p[4 + sizeof l->text];
    p[0] = SOURCE_KERNEL;
    p[1] = 0;
    memcpy(p + 2, &ppid, 2);
    memcpy(p + 4, l->text, l->n);
    wire_send(BFX_WIRE_CONSOLE, link_seq, p, (uint32_t)(4 + l->n));
}
