/* Text the kernel prints for the host (the dumps): one CONSOLE frame per
 * line, sent before the answer of the request that printed it. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stddef.h>
#include <stdint.h>

/* one line of text being put together; what does not fit is cut */
struct line {
    char text[200];
    size_t n;
};

void line_start(struct line *l);
void line_str(struct line *l, const char *s);
void line_dec(struct line *l, uint64_t v);
/* 0x and 16 hex digits, as the host's hex64 */
void line_hex64(struct line *l, uint64_t v);
/* spaces until the line is `width` long (the host's padEnd) */
void line_pad(struct line *l, size_t width);

/* sends the line as a CONSOLE frame from the kernel about processor ppid */
void console_line(uint16_t ppid, const struct line *l);

#endif
