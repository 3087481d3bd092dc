#include "crc32.h"

/* a byte at a time from a table: STATE checksums the whole page pool and
 * every control block, some hundreds of KiB, on each request */
static uint32_t table[256];

static void fill_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1u));
        table[i] = c;
    }
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t n) {
    const uint8_t *p = data;
    if (table[1] == 0) fill_table();
    crc = ~crc;
    while (n--) crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xFF];
    return ~crc;
}
