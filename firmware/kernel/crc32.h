/* CRC-32 (IEEE 802.3, reflected, as zlib computes it): every wire frame carries one. */
#ifndef CRC32_H
#define CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32_update(uint32_t crc, const void *data, size_t n);

static inline uint32_t crc32(const void *data, size_t n) {
    return crc32_update(0, data, n);
}

#endif
